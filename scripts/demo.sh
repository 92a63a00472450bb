#!/usr/bin/env bash
# Walks the main flow against a system started with ./scripts/run.sh, through the HTTP API only:
# program, rules and a campaign, members, purchases and actions, a return, settlement, reconciliation.
# The last line printed is a JSON object with the figures ("reconciled": true when ledger and chain agree).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/node22.sh"
cd "$ROOT"
[[ -f .run/env ]] || { echo "no running system found: start ./scripts/run.sh first (in another terminal)" >&2; exit 1; }
exec node scripts/demo.js
