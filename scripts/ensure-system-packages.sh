#!/usr/bin/env bash
# Make sure the Debian packages infopipe draws with are installed:
#   fonts-liberation   Liberation Sans, the theme's font (PNG and PDF are drawn with exactly this file)
#   fonts-dejavu-core  DejaVu Sans, for characters Liberation Sans lacks
#   fontconfig         fc-match, which picks the font file that text is measured with
#   libcairo2          cairo, which cairosvg uses to write page.pdf
#   librsvg2-bin       rsvg-convert: the tests draw each SVG with librsvg too (Inkscape's and GNOME's renderer),
#                      so the files are checked in a second renderer, not only in resvg and Chromium
#   chromium           only for the tests that check how a browser shows the SVG and the HTML pages
#   postgresql         only for the tests of database datasets and the test that runs the Prefect server
#                      on PostgreSQL with three workers (tests/postgres.py starts a throwaway cluster on a
#                      loopback port; no cluster is started here)
# Installs what is missing with apt-get (as root, or through passwordless sudo); otherwise says what to install.
set -euo pipefail
PACKAGES=(fonts-liberation fonts-dejavu-core fontconfig libcairo2 librsvg2-bin postgresql)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
fi
have_browser=0
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then have_browser=1; fi
done
[ "$have_browser" -eq 1 ] || missing+=(chromium)
[ "${#missing[@]}" -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    echo "Installing Debian packages for drawing (one time): ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
  fi
fi
cat >&2 <<MSG
infopipe needs these packages to draw its panels and pages, and could not install them:
  ${missing[*]}
Install them yourself, then run the command again:
  Debian/Ubuntu:  sudo apt-get install -y ${missing[*]}
MSG
exit 1
