#!/usr/bin/env bash
# Installs what the project needs (Node 22, npm packages, NuGet packages) and runs every test:
# Hardhat contract tests, then the .NET unit and integration tests (real Hardhat nodes, real SQLite),
# then the browser tests in Debian's Chromium (installed when missing),
# then the integration tests again on a real PostgreSQL it starts in a temp folder on 127.0.0.1 (and stops).
# Exits non-zero on any failure; safe to run twice (the second run skips installed parts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/node22.sh"
cd "$ROOT"
source scripts/lib/deps.sh
source scripts/lib/postgres.sh
source scripts/lib/chromium.sh

echo "==> checking generated C# bindings are up to date"
tmp="$(mktemp -d)"
trap 'pg_stop; rm -rf "$tmp"' EXIT
node scripts/gen-bindings.js "$tmp/Generated" >/dev/null
if ! diff -r -q "$tmp/Generated" src/Loyalty.Chain.Contracts/Generated >/dev/null; then
  diff -r -q "$tmp/Generated" src/Loyalty.Chain.Contracts/Generated || true
  echo "ERROR: src/Loyalty.Chain.Contracts/Generated is stale: run 'node scripts/gen-bindings.js' and commit" >&2
  exit 1
fi

echo "==> dotnet restore + build"
dotnet build Loyalty.Chain.sln -c Release --nologo -v q -clp:ErrorsOnly

passed=0; failed=0
echo "==> contract tests (Hardhat)"
set +e
npx --no-install hardhat test mocha 2>&1 | tee "$tmp/mocha.log"
mocha_rc=${PIPESTATUS[0]}
set -e
p=$(grep -Eo '^ *[0-9]+ passing' "$tmp/mocha.log" | grep -Eo '[0-9]+' | tail -1 || true)
f=$(grep -Eo '^ *[0-9]+ failing' "$tmp/mocha.log" | grep -Eo '[0-9]+' | tail -1 || true)
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))

dotnet_rc=0
summary=()
# dotnet_tests_to LOG PROJECT [ENV=VALUE...] [-- DOTNET-TEST-ARGS...]: one dotnet test run, its whole output in LOG;
# returns its exit code.
dotnet_tests_to() {
  local log="$1" project="$2"; shift 2
  local envs=() args=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do envs+=("$1"); shift; done
  [[ "${1:-}" == "--" ]] && { shift; args=("$@"); }
  env "${envs[@]}" dotnet test "$project" -c Release --no-build --nologo --logger "console;verbosity=normal" "${args[@]}" > "$log" 2>&1
}
# count_dotnet_tests LABEL PROJECT LOG RC SECONDS: adds a finished run to the totals, the summary and the failure list.
count_dotnet_tests() {
  local label="$1" project="$2" log="$3" rc="$4" seconds="$5" p f
  [[ $rc -ne 0 ]] && dotnet_rc=$rc
  p=$(grep -Eo 'Passed: +[0-9]+' "$log" | grep -Eo '[0-9]+' | tail -1 || true)
  f=$(grep -Eo 'Failed: +[0-9]+' "$log" | grep -Eo '[0-9]+' | tail -1 || true)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  summary+=("$label $(basename "$project" .csproj): ${p:-0} passed, ${f:-0} failed (rc $rc, ${seconds}s)")
  # keep each failed test's name and the start of its message, printed again at the very end
  # (a test's line is "  Failed Namespace.Class.Method [time]"; EF's "Failed executing DbCommand" logs are not tests)
  local failed_test='^ +Failed [A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+.* \[[0-9][^]]*\]$'
  # a failure's block: its line, its whole message (the tests put the pipeline's state there) and the top of its stack
  awk -v re="$failed_test" '
    $0 ~ re { on = 1; n = 0; stack = -1 }
    on { print; n++; if ($0 ~ /^ +Stack Trace:/) stack = n; if (n >= 45 || (stack > 0 && n >= stack + 3)) on = 0 }
  ' "$log" | sed "s/^/[$label] /" | head -300 >> "$tmp/failures.log" || true
  grep -E "$failed_test" "$log" | sed -E "s/^ +Failed /[$label] /" >> "$tmp/failed-names.log" || true
}
# run_dotnet_tests LABEL PROJECT [ENV=VALUE...]: in the foreground, output shown as it comes.
run_dotnet_tests() {
  local label="$1" project="$2"; shift 2
  local log="$tmp/$label-$(basename "$project" .csproj).log" began=$SECONDS rc
  echo "==> dotnet test $project ($label)"
  : > "$log"
  set +e
  dotnet_tests_to "$log" "$project" "$@" &
  local pid=$!
  tail -n +1 -f "$log" --pid=$pid 2>/dev/null
  wait $pid; rc=$?
  set -e
  count_dotnet_tests "$label" "$project" "$log" $rc $((SECONDS - began))
}

# With LC_TEST_JOBS=2 the PostgreSQL pass runs beside the other passes (its own process, database and nodes) and its
# log is shown when it ends. Not the default: on 2 cores the two passes slow each other down so much that the whole
# run still took 30m41s and SettlementScaleTests timed out on PostgreSQL (2026-12-02).
jobs_wanted="${LC_TEST_JOBS:-1}"
pg_log="$tmp/postgresql-Loyalty.Chain.IntegrationTests.log"
pg_project=tests/Loyalty.Chain.IntegrationTests/Loyalty.Chain.IntegrationTests.csproj
# The PostgreSQL pass runs the classes where the database is the point; classes about the chain, node faults, HTTP
# hardening or authorization carry [Trait("Postgres", "NotThePoint")] and run on SQLite only
# (tests/Loyalty.Chain.IntegrationTests/Infrastructure/PostgresPass.cs says why).
pg_filter=(-- --filter "Postgres!=NotThePoint")
start_pg_pass() {
  echo "==> starting a throwaway PostgreSQL for the second integration pass"
  # fsync off: the cluster is thrown away after the run, and no test crashes the PostgreSQL server itself (the crash
  # tests kill the service), so what the tests see is unchanged; CREATE DATABASE and commits stop waiting on the disk.
  PG_EXTRA_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    pg_start "$(mktemp -d -t lc-pg-XXXXXX)"
  pg_began=$SECONDS
}
if [[ "$jobs_wanted" -ge 2 ]]; then
  start_pg_pass
  echo "==> dotnet test $pg_project (postgresql, in the background; log shown when it ends)"
  set +e; dotnet_tests_to "$pg_log" "$pg_project" "LOYALTY_TEST_POSTGRES=$PG_SERVER" "${pg_filter[@]}" & pg_pid=$!; set -e
fi

for project in tests/*/*.csproj; do
  [[ "$project" == *BrowserTests* ]] && continue
  run_dotnet_tests sqlite "$project"
done

echo "==> browser tests (Debian Chromium driven by Playwright, against the real host, node and SQLite)"
ensure_chromium
run_dotnet_tests browser tests/Loyalty.Chain.BrowserTests/Loyalty.Chain.BrowserTests.csproj "CHROMIUM_PATH=$CHROMIUM_PATH"

if [[ "$jobs_wanted" -ge 2 ]]; then
  set +e; wait $pg_pid; pg_rc=$?; set -e
  echo "==> dotnet test $pg_project (postgresql) output"
  cat "$pg_log"
else
  start_pg_pass
  run_dotnet_tests postgresql "$pg_project" "LOYALTY_TEST_POSTGRES=$PG_SERVER" "${pg_filter[@]}"
  pg_rc=""
fi
[[ -n "$pg_rc" ]] && count_dotnet_tests postgresql "$pg_project" "$pg_log" "$pg_rc" $((SECONDS - pg_began))
pg_stop

if [[ -s "$tmp/failures.log" ]]; then
  # CI keeps the last ~150 lines of this output: the first failures' messages, then the summary and every name
  echo; echo "==> failed tests"; head -100 "$tmp/failures.log"
fi
echo
printf '%s\n' "${summary[@]}"
if [[ -s "$tmp/failed-names.log" ]]; then
  echo; echo "==> failed test names"; cat "$tmp/failed-names.log"
fi
echo
echo "$passed passed, $failed failed"
if [[ $mocha_rc -ne 0 || $dotnet_rc -ne 0 || $failed -ne 0 || $passed -eq 0 ]]; then
  exit 1
fi
