#!/usr/bin/env bash
# Runs the qcall daemon on the bundled demo hall (config/demo.toml) at
# http://127.0.0.1:8080, keeping its database under ./var/.
#
# On first run it creates a token for counter 1 and keeps it in
# var/counter-1.token, so you can call tickets right away:
#   qcall ticket take A
#   qcall counter call --counter 1 --token "$(cat var/counter-1.token)"
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --quiet -p qcall
QCALL=target/release/qcall
mkdir -p var
if [ ! -s var/counter-1.token ]; then
  "$QCALL" token create --config config/demo.toml --counter 1 > var/counter-1.token
  echo "demo: a token for counter 1 is in var/counter-1.token"
fi
exec "$QCALL" serve --config config/demo.toml "$@"
