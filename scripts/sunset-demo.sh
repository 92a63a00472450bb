#!/usr/bin/env bash
# A sunset against a system started with ./scripts/run.sh, through the HTTP API only: a program with members, points
# and a collectible; then the sunset (earning refused), withdrawals to members' own wallets, the final snapshot checked
# by scripts/verify-snapshot.mjs against the node, the metadata export and the drop re-pointed on chain, and the
# contracts' ownership handed to the brand. Uses a running system, or starts one and stops it at the end.
# The last line printed is a JSON object (snapshot_root_verified, ownership_handed_over, withdrawn_members, metadata_exported, ...).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/node22.sh"
cd "$ROOT"
STARTED=""
running() { [[ -f .run/env ]] && curl -sf "$(grep '^LC_API_URL=' .run/env | cut -d= -f2-)/health" >/dev/null 2>&1; }
if ! running; then
  # run.sh starts from an empty .run/, so its output goes elsewhere.
  RUN_LOG="${TMPDIR:-/tmp}/loyalty-sunset-run.$$.log"
  echo "==> no running system: starting ./scripts/run.sh (log: $RUN_LOG)"
  rm -f .run/env
  setsid ./scripts/run.sh > "$RUN_LOG" 2>&1 &
  STARTED=$!
  trap '[[ -n "$STARTED" ]] && kill -- -"$STARTED" 2>/dev/null; wait "$STARTED" 2>/dev/null || true' EXIT
  # .run/env is written once the first program is Active.
  for _ in $(seq 1 600); do running && break; kill -0 "$STARTED" 2>/dev/null || break; sleep 0.5; done
  running || { echo "run.sh did not come up; see $RUN_LOG" >&2; tail -20 "$RUN_LOG" >&2; exit 1; }
fi
node scripts/sunset-demo.js
