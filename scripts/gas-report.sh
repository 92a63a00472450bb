#!/usr/bin/env bash
# Gas report of the loyalty contracts: compiles, starts a throw-away Hardhat node on a free loopback
# port, runs scripts/gas-report.js against it and always stops the node again.
# Prints a human-readable table and, as the LAST line of stdout, one JSON object with the figures.
# Exit status: 0 when the report was produced (even if a gas target is missed), non-zero on errors.
set -euo pipefail

# shellcheck source=lib/node22.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/node22.sh"
cd "$ROOT"
# npm ci from the lock file when needed, and compile (output to stderr: stdout ends with the JSON line).
source scripts/lib/deps.sh >&2

HARDHAT="$ROOT/node_modules/.bin/hardhat"
if [[ ! -x "$HARDHAT" ]]; then
  echo "gas-report: $HARDHAT missing; run 'npm ci' (with Node 22 first on PATH) first" >&2
  exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/gas-report.XXXXXX")"
NODE_PGID=""

cleanup() {
  local status=$?
  if [[ -n "$NODE_PGID" ]]; then
    # The node runs in its own process group (setsid): stop the whole group, then make sure.
    kill -TERM -- "-$NODE_PGID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 -- "-$NODE_PGID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$NODE_PGID" 2>/dev/null || true
    wait "$NODE_PGID" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -s "$WORK/node.log" ]]; then
    echo "gas-report: failed (exit $status); last lines of the Hardhat node log:" >&2
    tail -n 20 "$WORK/node.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "gas-report: compiling contracts" >&2
"$HARDHAT" compile --quiet >&2

PORT="$(node -e '
  const s = require("node:net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
')"
RPC_URL="http://127.0.0.1:$PORT"

echo "gas-report: starting Hardhat node on $RPC_URL" >&2
# setsid without a fork (this shell's background child is never a group leader), so $! is the
# leader of the node's new process group and session.
setsid "$HARDHAT" node --hostname 127.0.0.1 --port "$PORT" >"$WORK/node.log" 2>&1 </dev/null &
NODE_PGID=$!

# Wait until the node answers eth_chainId (60 s at most) or dies.
node --input-type=module - "$RPC_URL" "$NODE_PGID" <<'EOF'
const [url, pid] = process.argv.slice(2);
const deadline = Date.now() + 60_000;
const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
for (;;) {
  try { process.kill(Number(pid), 0); } catch { console.error("gas-report: Hardhat node exited"); process.exit(1); }
  try {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
    const json = await res.json();
    if (json.result) { console.error(`gas-report: node up, chainId ${Number(json.result)}`); process.exit(0); }
  } catch { /* not listening yet */ }
  if (Date.now() > deadline) { console.error("gas-report: Hardhat node did not answer within 60 s"); process.exit(1); }
  await new Promise((r) => setTimeout(r, 200));
}
EOF

node "$ROOT/scripts/gas-report.js" "$RPC_URL"
