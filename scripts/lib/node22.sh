# shellcheck shell=bash
# Source this file (do not execute it): sets ROOT to the repository root and makes sure a
# Node.js >= 22 is first on PATH (Hardhat 3 needs it; these machines ship Node 20).
# When the `node` on PATH is older and the project-local copy is missing, the copy is installed
# from the npm registry as the package `node@22` (it ships the binary) under $ROOT/.tools/node22.
# Idempotent: a second call installs nothing and does not grow PATH.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ROOT

NODE22_VERSION="${NODE22_VERSION:-22.23.3}"
NODE22_BIN="$ROOT/.tools/node22/node_modules/node/bin"

# Major version of the `node` on PATH, 0 when there is none.
_node22_major() {
  local v
  v="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)"
  [[ "$v" =~ ^[0-9]+$ ]] && echo "$v" || echo 0
}

if [[ "$(_node22_major)" -lt 22 && ! -x "$NODE22_BIN/node" ]]; then
  echo "node22.sh: installing node@$NODE22_VERSION into $ROOT/.tools/node22" >&2
  mkdir -p "$ROOT/.tools/node22"
  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    --prefix "$ROOT/.tools/node22" "node@$NODE22_VERSION" >/dev/null
  if [[ ! -x "$NODE22_BIN/node" ]]; then
    echo "node22.sh: installing node@$NODE22_VERSION failed ($NODE22_BIN/node missing)" >&2
    return 1 2>/dev/null || exit 1
  fi
fi

# Prepend the local copy when present, once.
if [[ -x "$NODE22_BIN/node" && ":$PATH:" != *":$NODE22_BIN:"* ]]; then
  PATH="$NODE22_BIN:$PATH"
fi
export PATH

if [[ "$(_node22_major)" -lt 22 ]]; then
  echo "node22.sh: Node >= 22 required, found $(node -v 2>/dev/null || echo none)" >&2
  unset -f _node22_major
  return 1 2>/dev/null || exit 1
fi
unset -f _node22_major
