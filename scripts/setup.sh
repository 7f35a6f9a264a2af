#!/usr/bin/env bash
# Installs what building and testing qcall needs from the system, and nothing
# if it is already there (idempotent). Rust itself is expected (rustup).
#
# SQLite is compiled in (rusqlite's `bundled`). Hall audio playback (the
# default `playback` feature: rodio -> cpal -> ALSA) needs the ALSA headers.
# Devices and page tests add packages here as they arrive.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build or the tests need.
APT_PACKAGES=(pkg-config libasound2-dev)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust from https://rustup.rs" >&2; exit 1; }
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt 2>/dev/null || true
echo "setup: ok"
