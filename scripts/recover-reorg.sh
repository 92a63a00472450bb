#!/usr/bin/env bash
# After a DEEP_REORG alert: re-index from BLOCK (at or below the first block of the fork) and send again every
# transaction the chain lost. Talks to the API that ./scripts/run.sh started (.run/env), or to LC_API_URL with
# the admin key in LC_ROOT_KEY_FILE.
#   ./scripts/recover-reorg.sh BLOCK
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ $# -eq 1 && "$1" =~ ^[0-9]+$ ]] || { echo "usage: $0 <fromBlock>" >&2; exit 2; }
[[ -f .run/env ]] && source .run/env
: "${LC_API_URL:?set LC_API_URL (or start with ./scripts/run.sh)}"
: "${LC_ROOT_KEY_FILE:?set LC_ROOT_KEY_FILE to a file holding the admin API key}"
curl -sS --fail-with-body -X POST -H "X-Api-Key: $(cat "$LC_ROOT_KEY_FILE")" -H 'content-type: application/json' \
  --data "{\"fromBlock\":$1}" "$LC_API_URL/v1/admin/recovery/reorg"
echo
