#!/usr/bin/env bash
# Benchmark of the whole system (issue 7), not part of the test suite. Builds Release, then runs
# benchmarks/Loyalty.Chain.Bench, which starts everything it needs on 127.0.0.1 and free ports: a Hardhat
# node (automine on plus a block every second), the API as its own process on SQLite, then a throw-away
# PostgreSQL cluster (scripts/lib/postgres.sh finds or installs the server) and the API on it.
# See benchmarks/README.md for what each figure means.
#   ./scripts/bench.sh           full run (60 s intake per database, 100,000 accruals for 10,000 members)
#   ./scripts/bench.sh --quick   a tenth of the size, under 5 minutes once installed and built
#   --phases naive,sqlite,settle,redeem,analytics,webhooks,read,reconcile,recovery,pg,engagement   only some phases (figures of the others are null)
# Progress goes to stderr; the LAST line of stdout is one JSON object with the figures. Logs and that JSON are
# kept in benchmarks/results/ (git-ignored). Everything started is stopped, also on failure and Ctrl-C.
# Exit status: 0 when every phase ran, 1 when one failed (its figures are null, "<phase>_error" says why).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/node22.sh"
cd "$ROOT"
# npm ci from the lock file when needed, and compile (to stderr: stdout ends with the JSON line).
source scripts/lib/deps.sh >&2
# The PostgreSQL server binaries (installed from Debian when missing); the bench starts its own cluster.
source scripts/lib/postgres.sh
LC_PG_BIN="$(pg_bin)"
export LC_PG_BIN

echo "==> building the API and the benchmark (Release)" >&2
dotnet build src/Loyalty.Chain.Api -c Release --nologo -v q -clp:ErrorsOnly >&2
dotnet build benchmarks/Loyalty.Chain.Bench -c Release --nologo -v q -clp:ErrorsOnly >&2

mode=full
for a in "$@"; do [[ "$a" == "--quick" ]] && mode=quick; done
WORK="$(mktemp -d "${TMPDIR:-/tmp}/lc-bench.XXXXXX")"
chmod 700 "$WORK"
RESULTS="$ROOT/benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)-$mode"
BENCH_PID=""

# Kills a process the bench recorded, only if it is still one of ours (its command line names this checkout).
kill_ours() {
  local pid=$1
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  if tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF "$ROOT"; then kill -KILL "$pid" 2>/dev/null || true; fi
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$BENCH_PID" ]] && kill -0 "$BENCH_PID" 2>/dev/null; then
    # The bench stops its node, API processes and PostgreSQL itself on SIGTERM, then prints its JSON line.
    kill -TERM "$BENCH_PID" 2>/dev/null || true
    for _ in $(seq 1 600); do kill -0 "$BENCH_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BENCH_PID" 2>/dev/null || true
    wait "$BENCH_PID" 2>/dev/null || true
  fi
  # Whatever a bench that could not clean up (killed, crashed) left running.
  if [[ -f "$WORK/leftovers" ]]; then
    while read -r kind value; do
      case "$kind" in
        pid) kill_ours "$value" ;;
        pgdata)
          if [[ -d "$value/data" ]]; then
            pg_ctl="$LC_PG_BIN/pg_ctl"
            if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$pg_ctl" -D "$value/data" -m immediate stop >/dev/null 2>&1 || true
            else "$pg_ctl" -D "$value/data" -m immediate stop >/dev/null 2>&1 || true; fi
          fi
          rm -rf "$value" ;;
      esac
    done < "$WORK/leftovers"
  fi
  mkdir -p "$RESULTS"
  cp -r "$WORK/logs/." "$RESULTS/" 2>/dev/null || true
  cp "$WORK/result.json" "$RESULTS/" 2>/dev/null || true
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "==> benchmark ($mode); logs will be kept in ${RESULTS#"$ROOT"/}" >&2
# In the background so a signal to this script reaches the trap at once (not after the bench has ended).
dotnet benchmarks/Loyalty.Chain.Bench/bin/Release/net10.0/Loyalty.Chain.Bench.dll --root "$ROOT" --work "$WORK" "$@" </dev/null &
BENCH_PID=$!
set +e
wait "$BENCH_PID"
rc=$?
set -e
BENCH_PID=""
exit "$rc"
