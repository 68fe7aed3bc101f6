#!/usr/bin/env bash
# Find or install the Chromium the browser tests drive, and print its path (for CHROMIUM_PATH).
#
# `make test` runs this before pytest, so that a fresh machine runs the browser tests instead of
# ending in errors. Where a Chromium is already there it only looks (no apt-get, no download).
# Otherwise, in order: Debian's chromium with apt-get when running as root; Playwright's own
# build of Chromium; and where neither works, one line saying what to install, and exit 1.
# Messages go to stderr: stdout carries the path alone.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_CHROMIUM=/usr/bin/chromium
VENV_BIN="${VENV_BIN:-.venv/bin}"

say() { echo "ensure_chromium: $*" >&2; }

# A path the developer chose is used as it is: installing another browser elsewhere would
# quietly test with something they did not ask for.
if [ -n "${CHROMIUM_PATH:-}" ]; then
  if command -v "$CHROMIUM_PATH" >/dev/null; then
    echo "$CHROMIUM_PATH"
    exit 0
  fi
  say "CHROMIUM_PATH=$CHROMIUM_PATH is not a program; point it at Chromium or unset it."
  exit 1
fi

if [ -x "$DEBIAN_CHROMIUM" ]; then
  echo "$DEBIAN_CHROMIUM"
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "installing Debian's chromium with apt-get (about half a minute)"
  # A fresh container has no package lists yet, so they are fetched first.
  if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
    >&2 && [ -x "$DEBIAN_CHROMIUM" ]; then
    echo "$DEBIAN_CHROMIUM"
    exit 0
  fi
  say "apt-get could not install chromium; trying Playwright's own Chromium"
fi

playwright_chromium() {
  "$VENV_BIN/python" - <<'PYTHON' 2>/dev/null
from playwright.sync_api import sync_playwright

with sync_playwright() as playwright:
    print(playwright.chromium.executable_path)
PYTHON
}

if [ -x "$VENV_BIN/playwright" ]; then
  path="$(playwright_chromium || true)"
  if [ ! -x "$path" ]; then
    say "downloading Playwright's Chromium"
    # Its own failure is pages of a stack trace; the line at the end says what to do instead.
    "$VENV_BIN/playwright" install chromium >/dev/null 2>&1 || say "that download failed"
    path="$(playwright_chromium || true)"
  fi
  # It must also start: Playwright's build needs system libraries that Debian's package brings.
  if [ -x "$path" ]; then
    if "$path" --headless --version >/dev/null 2>&1; then
      echo "$path"
      exit 0
    fi
    say "Playwright's Chromium does not start here: its libraries are missing" \
      "(as root, $VENV_BIN/playwright install-deps chromium adds them)"
  fi
fi

say "no Chromium for the browser tests: install Debian's (apt-get install -y chromium, as root)" \
  "or set CHROMIUM_PATH to a Chromium."
exit 1
