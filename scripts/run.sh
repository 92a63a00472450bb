#!/usr/bin/env bash
# Starts the system on embedded defaults: a local Hardhat node on 127.0.0.1, both contracts deployed.
# Stops everything it started on Ctrl-C.
#   LC_NODE_PORT   port of the Hardhat node (default 8545; a free one is picked if taken)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/node22.sh"
cd "$ROOT"
source scripts/lib/deps.sh

mkdir -p .run
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
NODE_PORT="${LC_NODE_PORT:-8545}"
port_free "$NODE_PORT" || NODE_PORT="$(free_port)"
RPC_URL="http://127.0.0.1:$NODE_PORT"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "==> starting Hardhat node on $RPC_URL (log: .run/hardhat-node.log)"
set -m
npx --no-install hardhat node --hostname 127.0.0.1 --port "$NODE_PORT" > .run/hardhat-node.log 2>&1 &
pids+=($!)
set +m
for _ in $(seq 1 300); do
  if curl -s -o /dev/null -X POST -H 'content-type: application/json' \
       --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$RPC_URL"; then break; fi
  sleep 0.2
done

echo "==> deploying contracts"
node scripts/deploy.js "$RPC_URL" .run/deployment.json > /dev/null
cat <<INFO

Loyalty.Chain is running.
  JSON-RPC node       $RPC_URL  (chainId $(node -p 'require("./.run/deployment.json").chainId'))
  LoyaltyPoints       $(node -p 'require("./.run/deployment.json").loyaltyPoints')
  LoyaltyCollectible  $(node -p 'require("./.run/deployment.json").loyaltyCollectible')
  deployment file     .run/deployment.json

Press Ctrl-C to stop.
INFO
wait
