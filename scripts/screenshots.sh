#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png: each screen in zh and en, the kiosk in
# elderly mode too, on the demo hall after a simulated morning.
#
# Uses a separate build of qcall with the `test-clock` feature (in
# target/screenshots, so the normal build is untouched) so the morning runs
# on a manual clock and waits, SLA colours and statistics look real.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
CARGO_TARGET_DIR=target/screenshots cargo build -p qcall --bin qcall --features test-clock
QCALL_SCREENSHOT_BIN="$PWD/target/screenshots/debug/qcall" node tests/pages/screenshots.mjs
