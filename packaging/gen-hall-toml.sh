#!/usr/bin/env bash
# Writes packaging/hall.toml, the /etc/qcall/hall.toml the .deb installs,
# from config/qcall.example.toml: the same file, with the paths a packaged
# install uses (database in /var/lib/qcall, voice pack in /usr/share/qcall)
# and a header saying where it is. Everything else, including the example
# printer at 192.168.1.50, is for the hall to edit.
#
#   packaging/gen-hall-toml.sh          rewrite packaging/hall.toml
#   packaging/gen-hall-toml.sh --check  fail if it is out of date (the suite)
#
# Each replaced line must occur exactly once in the example: when the
# example changes under it, this fails and says which line to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
src=config/qcall.example.toml
out=packaging/hall.toml

# "line in the example" -> "line in the packaged file"
replacements=(
  'db = "var/qcall.db"'
  'db = "/var/lib/qcall/hall.db"'
  'pack = "assets/voice/default"'
  'pack = "/usr/share/qcall/voice/default"'
)

# shellcheck disable=SC2016 # backquotes are the TOML comment's, not the shell's
header='# qcall: this hall'"'"'s configuration (/etc/qcall/hall.toml)
# ==========================================================
#
# Installed by the qcall package from the example configuration below, with
# the paths of a packaged install: the database in /var/lib/qcall and the
# voice pack in /usr/share/qcall/voice. Edit it for your hall: its name,
# [server] listen (0.0.0.0:8080 for kiosks and counters on the LAN), the
# services, counters and printers (the printer at 192.168.1.50 is only an
# example). Then `systemctl restart qcall`; if it does not start,
# `journalctl -u qcall` names the key that is wrong. Upgrades keep your
# edits. The service runs in /var/lib/qcall: relative paths start there.
#'

content=$(cat "$src")
for ((i = 0; i < ${#replacements[@]}; i += 2)); do
  from=${replacements[i]} to=${replacements[i + 1]}
  n=$(grep -cxF -- "$from" "$src" || true)
  if [ "$n" != 1 ]; then
    echo "gen-hall-toml: expected the line '$from' once in $src, found it $n times;" >&2
    echo "  update the replacements in packaging/gen-hall-toml.sh" >&2
    exit 1
  fi
  content=${content/"$from"/"$to"}
done
generated=$(printf '%s\n%s\n' "$header" "$content")

if [ "${1:-}" = "--check" ]; then
  if ! diff -u "$out" <(printf '%s\n' "$generated") >&2; then
    echo "gen-hall-toml: $out is out of date; run packaging/gen-hall-toml.sh and commit it" >&2
    exit 1
  fi
else
  printf '%s\n' "$generated" >"$out"
fi
