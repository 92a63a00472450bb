# Sourced by scripts: makes sure Debian's Chromium is installed for the browser tests (Playwright drives it; its own
# browser download does not work offline) and exports CHROMIUM_PATH.
ensure_chromium() {
  local bin
  bin="$(command -v chromium || command -v chromium-browser || true)"
  if [[ -z "$bin" ]]; then
    echo "chromium.sh: installing Debian's chromium for the browser tests (apt-get install chromium)" >&2
    local sudo=""
    [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
      || { $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
    bin="$(command -v chromium || command -v chromium-browser)"
  fi
  export CHROMIUM_PATH="$bin"
}
