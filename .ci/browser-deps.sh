#!/usr/bin/env bash
# Install what tests/test_browser.py needs to drive a real browser: Debian's chromium
# (Playwright's own browser download is not used) and a basic font so pages render text.
# Idempotent: does nothing when chromium and the font are already there.
set -euo pipefail

pkgs=()
command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || pkgs+=(fonts-dejavu-core)

if [ ${#pkgs[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi

command -v chromium >/dev/null 2>&1 || { echo "browser-deps: chromium still not on PATH" >&2; exit 1; }
chromium --version
