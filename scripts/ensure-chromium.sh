#!/usr/bin/env bash
# Make sure kaleido has a Chrome to drive. Prefer Debian's chromium; fall back to plotly_get_chrome.
set -euo pipefail
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then exit 0; fi
done
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=""; fi
  fi
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    echo "Installing Debian's chromium for kaleido (one time)..."
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
    command -v chromium >/dev/null 2>&1 && exit 0
  fi
fi
echo "No Chrome found; trying plotly_get_chrome (downloads a Chrome build)..."
if [ -x .venv/bin/plotly_get_chrome ] && .venv/bin/plotly_get_chrome -y; then exit 0; fi
cat >&2 <<'MSG'
infopipe needs Chrome or Chromium to export images, and none could be installed.
Install it yourself, then run the command again:
  Debian/Ubuntu:  sudo apt-get install -y chromium
  other systems:  .venv/bin/plotly_get_chrome
MSG
exit 1
