#!/usr/bin/env bash
# Starts the whole system on embedded defaults and prints where to go:
#   a Hardhat node on 127.0.0.1 (a block every second), the API with its Hangfire server on SQLite,
#   the operator funded on the local chain, and a first program created through the API.
# The local chain lives in memory, so every start begins with a fresh chain and a fresh data folder (.run/).
# Ctrl-C stops everything it started.
#   LC_NODE_PORT  Hardhat node port (default 8545, a free one if taken)
#   LC_API_PORT   API port (default 5080, a free one if taken)
#   LC_DATABASE   sqlite (default) or postgresql: a throwaway PostgreSQL cluster in a temp folder on
#                 127.0.0.1 and a free port, stopped and deleted with the rest
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/node22.sh"
cd "$ROOT"
source scripts/lib/deps.sh
source scripts/lib/postgres.sh

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
rpc() { curl -s -X POST -H 'content-type: application/json' --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$RPC_URL"; }
json() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const v=eval("JSON.parse(d)"+process.argv[1]);console.log(v)})' "$1"; }

NODE_PORT="${LC_NODE_PORT:-8545}"; port_free "$NODE_PORT" || NODE_PORT="$(free_port)"
API_PORT="${LC_API_PORT:-5080}"; port_free "$API_PORT" || API_PORT="$(free_port)"
RPC_URL="http://127.0.0.1:$NODE_PORT"
API_URL="http://127.0.0.1:$API_PORT"

rm -rf .run && mkdir -p .run/data && chmod 700 .run
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop
}
trap cleanup EXIT INT TERM

echo "==> building the API"
dotnet build src/Loyalty.Chain.Api -c Release --nologo -v q -clp:ErrorsOnly

echo "==> starting Hardhat node on $RPC_URL (log: .run/hardhat-node.log)"
set -m
# Hardhat prints its well-known development keys at start; they stay out of our logs all the same.
npx --no-install hardhat node --hostname 127.0.0.1 --port "$NODE_PORT" \
  > >(grep --line-buffered -v "Private Key" > .run/hardhat-node.log) 2>&1 &
pids+=($!)
set +m
for _ in $(seq 1 300); do rpc eth_chainId '[]' >/dev/null 2>&1 && break; sleep 0.2; done
# A real chain keeps producing blocks; confirmations need them.
rpc evm_setIntervalMining '[1000]' >/dev/null

DB_ENV=(Database__DataDirectory="$ROOT/.run/data")
DB_INFO="SQLite in .run/data"
if [[ "${LC_DATABASE:-sqlite}" == postgresql ]]; then
  echo "==> starting a throwaway PostgreSQL (log: its folder's server.log)"
  pg_start "$(mktemp -d -t lc-pg-XXXXXX)"
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'CREATE DATABASE loyalty' >/dev/null
  DB_ENV+=(Database__Provider=PostgreSql "Database__ConnectionString=$PG_SERVER;Database=loyalty")
  DB_INFO="PostgreSQL on 127.0.0.1:$PG_PORT, database loyalty (user postgres, trust auth, deleted on exit)"
fi
# The demo links a wallet and withdraws at once; a deployment keeps the 24 h cool-off after a link (Wallets:WithdrawalCoolOff).
DB_ENV+=(Wallets__WithdrawalCoolOff="${LC_WITHDRAWAL_COOL_OFF:-00:00:00}")
# Webhook endpoints on http://127.0.0.1 (a receiver on this machine, like the one demo.js starts) pass the SSRF guard only
# with this; it is a development setting for this local system, never for a deployment (https only there).
DB_ENV+=(Webhooks__AllowLoopbackHttp=true)

# The bootstrap admin key: only its SHA-256 goes to the service.
ROOT_KEY="lc_root_$(node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))')"
( umask 077; echo "$ROOT_KEY" > .run/root-admin.key )
ROOT_KEY_SHA256="$(printf '%s' "$ROOT_KEY" | sha256sum | cut -d' ' -f1)"

# A value only this start knows: /health answers it, so the API we talk to is the one we started and not
# another process that took the port between the probe above and our bind.
INSTANCE="$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')"

echo "==> starting the API on $API_URL (log: .run/api.log)"
set -m
Health__Instance="$INSTANCE" Chain__RpcUrl="$RPC_URL" Chain__ChainId=31337 Chain__ConfirmationDepth=2 \
env "${DB_ENV[@]}" Custody__DataDirectory="$ROOT/.run/data" \
Admin__ApiKeySha256="$ROOT_KEY_SHA256" Settlement__MaxIntentAge="00:00:30" Collectibles__PublicBaseUrl="$API_URL" Web__NodeRpcUrl="$RPC_URL" ASPNETCORE_ENVIRONMENT=Development \
  dotnet src/Loyalty.Chain.Api/bin/Release/net10.0/Loyalty.Chain.Api.dll --urls "$API_URL" \
    --contentRoot "$ROOT/src/Loyalty.Chain.Api/bin/Release/net10.0" > .run/api.log 2>&1 &
API_PID=$!
pids+=($API_PID)
set +m
ours() { [[ "$(curl -sf "$API_URL/health" 2>/dev/null | json '.instance' 2>/dev/null)" == "$INSTANCE" ]]; }
for _ in $(seq 1 300); do
  ours && break
  kill -0 "$API_PID" 2>/dev/null || break
  sleep 0.2
done
if ! ours; then
  if curl -sf "$API_URL/health" >/dev/null 2>&1; then
    echo "Another process answers on $API_URL, not the API started here; see .run/api.log" >&2
  else
    echo "API did not start; see .run/api.log" >&2
  fi
  tail -20 .run/api.log >&2; exit 1
fi

OPERATOR="$(curl -sf -H "X-Api-Key: $ROOT_KEY" "$API_URL/v1/admin/operator" | json '.address')"
rpc hardhat_setBalance "[\"$OPERATOR\", \"0x56bc75e2d63100000\"]" >/dev/null   # 100 ETH on the local chain

echo "==> creating the first program"
PROGRAM_JSON="$(curl -sf -X POST -H "X-Api-Key: $ROOT_KEY" -H 'content-type: application/json' "$API_URL/v1/programs" \
  --data '{"name":"Demo Coffee","pointName":"Beans","pointSymbol":"BEAN","decimals":0,"currency":"EUR","pendingPeriodSeconds":0,"timeZone":"UTC"}')"
PROGRAM_ID="$(echo "$PROGRAM_JSON" | json '.program.id')"
PROGRAM_KEY="$(echo "$PROGRAM_JSON" | json '.adminKey')"
( umask 077; echo "$PROGRAM_KEY" > .run/program-$PROGRAM_ID-admin.key )
for _ in $(seq 1 120); do
  STATUS="$(curl -sf -H "X-Api-Key: $PROGRAM_KEY" "$API_URL/v1/programs/$PROGRAM_ID" | json '.status')"
  [[ "$STATUS" == "Active" || "$STATUS" == "Failed" ]] && break; sleep 0.5
done
PROGRAM_NOW="$(curl -sf -H "X-Api-Key: $PROGRAM_KEY" "$API_URL/v1/programs/$PROGRAM_ID")"
# A demo member with a ready portal sign-in link, and a shop key for the till.
call() { curl -sf -X POST -H "X-Api-Key: $PROGRAM_KEY" -H "Idempotency-Key: run-$INSTANCE-$1" -H 'content-type: application/json' \
  "$API_URL/v1/programs/$PROGRAM_ID$2" --data "$3"; }
DEMO_MEMBER="$(call member /members '{"externalId":"demo-member"}' | json '.memberId' 2>/dev/null || true)"
SHOP_KEY="$(call shop /api-keys '{"role":"shop","name":"till"}' | json '.key' 2>/dev/null || true)"
[[ -n "$SHOP_KEY" ]] && ( umask 077; echo "$SHOP_KEY" > .run/program-$PROGRAM_ID-shop.key )
PORTAL_LINK="(no demo member)"
if [[ -n "$DEMO_MEMBER" ]]; then
  MEMBER_TOKEN="$(call token "/members/$DEMO_MEMBER/tokens" '{}' | json '.token' 2>/dev/null || true)"
  [[ -n "$MEMBER_TOKEN" ]] && PORTAL_LINK="$API_URL/portal/#token=$MEMBER_TOKEN"
fi
cat > .run/env <<ENV
LC_API_URL=$API_URL
LC_RPC_URL=$RPC_URL
LC_ROOT_KEY_FILE=$ROOT/.run/root-admin.key
ENV

cat <<INFO

Loyalty.Chain is running.
  API                 $API_URL
  API docs            $API_URL/docs          (OpenAPI: $API_URL/openapi/v1.json)
  Job dashboard       $API_URL/hangfire      (user: admin, password: the root admin key)
  Member portal       $API_URL/portal/
  Brand console       $API_URL/console/      (sign in with the program's admin key below)
  Till                $API_URL/till/         (sign in with the shop key below)
  JSON-RPC node       $RPC_URL  (chainId 31337, a block every second)
  Operator (gas)      $OPERATOR
  Database            $DB_INFO

  Root admin key      $ROOT_KEY
  First program       #$PROGRAM_ID "Demo Coffee" ($(echo "$PROGRAM_NOW" | json '.status'))
    admin key         $PROGRAM_KEY
    points contract   $(echo "$PROGRAM_NOW" | json '.pointsContract')
    collectible       $(echo "$PROGRAM_NOW" | json '.collectibleContract')
    shop key          ${SHOP_KEY:-(none)}
    demo member       ${DEMO_MEMBER:-(none)}, portal sign-in link (valid 15 minutes; a new one:
                      POST /v1/programs/$PROGRAM_ID/members/$DEMO_MEMBER/tokens with the admin key):
                      $PORTAL_LINK

  Keys are also in .run/ (mode 0600). Try: ./scripts/demo.sh
Press Ctrl-C to stop.
INFO
wait
