# shellcheck shell=bash
# Source after node22.sh: installs npm packages from package-lock.json (npm ci) unless the installed
# tree already matches the lock file, and compiles the contracts. Safe to run twice.

_lock_hash="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
_stamp="$ROOT/node_modules/.lc-lock-sha256"
if [[ ! -f "$_stamp" || "$(cat "$_stamp")" != "$_lock_hash" \
      || ! -d "$ROOT/node_modules/@nomicfoundation/edr-linux-x64-gnu" ]]; then
  echo "==> npm ci (Node $(node -v))"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$_lock_hash" > "$_stamp"
else
  echo "==> npm packages up to date"
fi
unset _lock_hash _stamp

echo "==> compiling contracts"
(cd "$ROOT" && npx --no-install hardhat compile --quiet >/dev/null)

echo "==> building the web pages (web/ -> web/dist)"
(cd "$ROOT" && npx --no-install vite build --config web/vite.config.js --logLevel error)
