#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test
# (unit, property and end-to-end against the real binary), then the pages
# in headless Chromium against the real daemon, the .deb installed,
# upgraded and purged with dpkg (as root, or through sudo), then the API
# against its OpenAPI document (schemathesis).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo clippy --all-targets --all-features -- -D warnings
# Optional hardware is a feature: the crates must build without it too.
cargo clippy -p qcall-printer --all-targets --no-default-features -- -D warnings
# ...and the daemon and the audio crate must also
# build without sound playback (no ALSA).
cargo clippy -p qcall-audio -p qcall --all-targets --no-default-features -- -D warnings
cargo test --workspace --all-targets
# The wait estimate checked from outside, through the public API, on one
# of issue 17's peak days (the harness checks its own parts first, and
# stops if GET /stats does not count what it did).
python3 scripts/estimate-days.py --self-test
cargo build -p qcall --bin qcall --features test-clock
python3 scripts/estimate-days.py --bin target/debug/qcall --shape peak --seeds 1 --out target/estimate-days
cargo build -p qcall --bin qcall
# The .deb, from that binary: contents, unit, install, upgrade, purge.
scripts/deb-test.sh
npm test --prefix tests/pages
# The v1 API against its own OpenAPI document, with schemathesis.
tests/api/schemathesis.sh
