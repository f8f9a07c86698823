#!/usr/bin/env bash
# Debian's chromium, which the browser tests (tests/web/test_browser.py) drive through Playwright at /usr/bin/chromium
# (`playwright install` is never used). Idempotent: does nothing when /usr/bin/chromium is there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-browser: /usr/bin/chromium is missing and installing it needs root (run: apt-get install -y chromium)" >&2
    exit 1
fi
echo "install-browser: installing chromium for the browser tests"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq chromium
test -x /usr/bin/chromium || { echo "install-browser: apt-get ran but /usr/bin/chromium is still missing" >&2; exit 1; }
