#!/usr/bin/env bash
# Installs what building and testing qcall needs from the system, and nothing
# if it is already there (idempotent). Rust itself is expected (rustup).
#
# SQLite is compiled in (rusqlite's `bundled`). Hall audio playback (the
# default `playback` feature: rodio -> cpal -> ALSA) needs the ALSA headers.
# The page tests (tests/pages) drive Debian's Chromium headless through
# playwright-core, and need a CJK font so Chinese does not render as boxes.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build or the tests need. The .deb test
# (scripts/deb-test.sh) needs dpkg-dev (cargo-deb's dependency scan),
# systemd (systemd-analyze), adduser (the package's postinst), curl and
# strace (the sandbox check).
APT_PACKAGES=(pkg-config libasound2-dev chromium fonts-wqy-microhei dpkg-dev systemd adduser curl strace)
# Node.js runs the page tests; any node >= 18 with npm will do, so Debian's
# is installed only when there is none on the PATH.
command -v node >/dev/null || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null || APT_PACKAGES+=(npm)
# The API test's schemathesis lives in a venv; Debian's python3 needs
# python3-venv for one.
python3 -c 'import ensurepip, venv' 2>/dev/null || APT_PACKAGES+=(python3 python3-venv)

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

# playwright-core, pinned by tests/pages/package-lock.json (no browser
# download: the tests use /usr/bin/chromium). Reinstalled only when the
# lock file changed since the last install.
if [ ! -f tests/pages/node_modules/.package-lock.json ] ||
  [ tests/pages/package-lock.json -nt tests/pages/node_modules/.package-lock.json ]; then
  echo "setup: installing the page tests' npm packages"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/pages --no-audit --no-fund --loglevel=error
fi

# schemathesis for the property-based API test (tests/api/schemathesis.sh),
# pinned with all it pulls in by tests/api/requirements.txt, in a venv inside
# the repository (gitignored). Installed again only when the pins changed.
API_VENV=tests/api/.venv
if ! cmp -s tests/api/requirements.txt "$API_VENV/installed-requirements.txt" 2>/dev/null ||
  [ ! -x "$API_VENV/bin/schemathesis" ]; then
  echo "setup: installing schemathesis into $API_VENV"
  python3 -m venv "$API_VENV"
  "$API_VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/api/requirements.txt
  cp tests/api/requirements.txt "$API_VENV/installed-requirements.txt"
fi

command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust from https://rustup.rs" >&2; exit 1; }
# cargo-deb builds the .deb (`cargo deb -p qcall`), pinned to one version.
CARGO_DEB_VERSION=3.8.0
if [ "$(cargo deb --version 2>/dev/null)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
  echo "setup: installing cargo-deb $CARGO_DEB_VERSION"
  cargo install --locked cargo-deb --version "$CARGO_DEB_VERSION"
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt 2>/dev/null || true
echo "setup: ok"
