#!/bin/sh
# The end-to-end tests drive Debian's Chromium; install it when missing (CI and fresh machines).
if [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium for the end-to-end tests (apt-get install chromium)..." >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && exit 0
fi
echo "The end-to-end tests need Chromium: install Debian's package (apt-get install chromium) or set CHROMIUM to its path." >&2
exit 1
