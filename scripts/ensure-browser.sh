#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the Playwright browser tests (Playwright's own download cannot run here).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "[ensure-browser] chromium missing and not root" >&2; exit 1; fi
echo "[ensure-browser] installing chromium (apt-get)" >&2
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
