#!/usr/bin/env bash
# The .deb end to end: builds it with cargo-deb, checks what is in it,
# verifies its systemd unit, installs it with dpkg, runs the daemon the way
# the unit does and asks it for /healthz, upgrades to a higher version
# (the database and an edited config survive), removes it (both still
# there) and purges it (both gone, and the user too).
#
# Fast on purpose: it packages the debug binary `scripts/test.sh` has just
# built (`cargo build -p qcall --bin qcall`) with
# `cargo deb --profile dev --no-build --fast`: stripped, light compression.
# cargo-deb 3.8 warns that the dev profile is not for releases; the package
# is the release package in every other respect (the same metadata,
# maintainer scripts, unit, config and assets), and `cargo deb -p qcall`
# builds the release one. The upgrade is that package repacked as revision 2
# (dpkg-deb -R, -b): what dpkg sees of an upgrade, maintainer scripts and all.
#
# There is no systemd in CI (a container), so the daemon is started with the
# unit's own ExecStart, User, Group, SupplementaryGroups, WorkingDirectory
# and UMask, with no new privileges and an empty capability bounding set,
# through setpriv. Its config is the installed /etc/qcall/hall.toml with
# only the two printer URIs sent to files (the example printer at
# 192.168.1.50 must not be contacted), on a free port on 127.0.0.1.
#
# It installs the package on this machine, so it needs root (it asks sudo
# otherwise), purges it at the end and on failure, and refuses to run where
# a qcall package or user it did not install is present.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=target/deb-test
MARKER=/var/lib/qcall/.qcall-deb-test
UNIT=/usr/lib/systemd/system/qcall.service

fail() {
  echo "deb-test: FAIL: $*" >&2
  exit 1
}
step() { echo "deb-test: $*"; }

# ---------------------------------------------------------------------------
# Build and inspect (as the calling user).
# ---------------------------------------------------------------------------
if [ "${1:-}" != "--installed" ]; then
  packaging/gen-hall-toml.sh --check
  # A no-op after scripts/test.sh's own build of it: the daemon with its
  # default features, as the release package has it.
  cargo build -p qcall --bin qcall --quiet
  rm -rf "$OUT" && mkdir -p "$OUT"
  cargo deb -p qcall --profile dev --no-build --fast --quiet -o "$OUT/" >/dev/null 2>"$OUT/cargo-deb.log" ||
    { cat "$OUT/cargo-deb.log" >&2; fail "cargo deb failed"; }
  v1=$(ls "$OUT"/qcall_*-1_*.deb)
  # The upgrade: the same package with revision 2 (repacked, which takes 2 s
  # where a second cargo deb takes 15).
  v2=${v1/-1_/-2_}
  tree=$OUT/v2
  dpkg-deb -R "$v1" "$tree"
  sed -i "s/^Version: \(.*\)-1\$/Version: \1-2/" "$tree/DEBIAN/control"
  dpkg-deb -b --root-owner-group -Zgzip -z1 "$tree" "$v2" >/dev/null
  rm -rf "$tree"
  [ "$(dpkg-deb -f "$v2" Version)" = "$(dpkg-deb -f "$v1" Version | sed 's/-1$/-2/')" ] ||
    fail "could not make revision 2"
  step "built $v1 and $v2"

  # Control: name, conffile, dependencies, maintainer scripts.
  info=$(dpkg-deb -I "$v1")
  [ "$(dpkg-deb -f "$v1" Package)" = qcall ] || fail "package name is not qcall"
  dpkg-deb -f "$v1" Depends | grep -q 'adduser' || fail "Depends lacks adduser (postinst uses it)"
  dpkg-deb -f "$v1" Depends | grep -q 'libasound2' || fail "Depends lacks libasound2 (hall audio)"
  for script in postinst postrm prerm conffiles; do
    grep -qw "$script" <<<"$info" || fail "control archive has no $script"
  done
  [ "$(dpkg-deb --ctrl-tarfile "$v1" | tar -xO ./conffiles)" = /etc/qcall/hall.toml ] ||
    fail "conffiles is not exactly /etc/qcall/hall.toml"

  # Data: each file with its mode, and nothing under /var (the database
  # directory is made by postinst, so removing the package keeps it).
  contents=$(dpkg-deb -c "$v1")
  expect() { # mode path
    grep -qE "^$1 0/0 .* \./$2\$" <<<"$contents" || fail "the package lacks $2 with mode $1"
  }
  expect -rwxr-xr-x usr/bin/qcall
  expect -rw-r----- etc/qcall/hall.toml
  expect -rw-r--r-- usr/lib/systemd/system/qcall.service
  expect -rw-r--r-- usr/share/qcall/voice/default/manifest.toml
  expect -rw-r--r-- usr/share/qcall/voice/default/chime.wav
  expect -rw-r--r-- usr/share/doc/qcall/copyright
  ! grep -q ' \./var/' <<<"$contents" || fail "the package ships files under /var"
  dpkg-deb --fsys-tarfile "$v1" | tar -xO ./etc/qcall/hall.toml | cmp -s - packaging/hall.toml ||
    fail "the packaged hall.toml is not packaging/hall.toml"
  dpkg-deb --fsys-tarfile "$v1" | tar -xO ./usr/lib/systemd/system/qcall.service |
    cmp -s - packaging/qcall.service || fail "the packaged unit is not packaging/qcall.service"
  step "contents ok ($(grep -c . <<<"$contents") entries)"

  if [ "$(id -u)" -eq 0 ]; then exec "$0" --installed; else exec sudo "$0" --installed; fi
fi

# ---------------------------------------------------------------------------
# Install, run, upgrade, remove, purge (as root).
# ---------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || fail "the install steps need root"
v1=$(ls "$OUT"/qcall_*-1_*.deb) v2=$(ls "$OUT"/qcall_*-2_*.deb)

installed() { dpkg-query -W -f='${Status}' qcall 2>/dev/null | grep -qv 'not-installed'; }
# Purges the test's install, and whatever a failed purge left behind.
purge_all() {
  if installed; then dpkg -P qcall >/dev/null 2>&1 || true; fi
  rm -rf /var/lib/qcall /etc/qcall
  if getent passwd qcall >/dev/null; then userdel qcall || true; fi
  if getent group qcall >/dev/null; then groupdel qcall || true; fi
}
# Idempotent: clears what an earlier, interrupted run left, and only that.
if installed || getent passwd qcall >/dev/null || [ -e /etc/qcall ] || [ -e /var/lib/qcall ]; then
  [ -e "$MARKER" ] || fail "a qcall package, user, /etc/qcall or /var/lib/qcall is present and was not installed by this test; it would purge them. Remove them first (dpkg -P qcall)."
  step "clearing what an earlier run left"
  purge_all
fi

WORK=$(mktemp -d)
chmod 0755 "$WORK"
DAEMON_PID=
cleanup() {
  status=$?
  [ -z "${DAEMON_PID:-}" ] || kill -KILL "$DAEMON_PID" 2>/dev/null || true
  if [ "$status" -ne 0 ] && [ -s "$WORK/daemon.log" ]; then
    echo "deb-test: the daemon's log:" >&2
    tail -n 30 "$WORK/daemon.log" >&2
  fi
  if [ "$status" -ne 0 ]; then purge_all; fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT

unit_key() { sed -n "s/^$1=//p" "$UNIT"; }

# Starts the daemon as the unit would, on the installed config with the
# printers sent to files and a free loopback port; sets URL, DAEMON_PID
# (the process to wait for) and SIGNAL_PID (the daemon itself). With
# `trace`, under strace, its system calls written to $WORK/trace/syscalls.
start_daemon() {
  local cfg=$WORK/hall.toml prefix=()
  if [ "${1:-}" = trace ]; then
    install -d -o qcall -g qcall "$WORK/trace"
    prefix=(strace -f -qq -o "$WORK/trace/syscalls")
  fi
  sed -e 's#^uri = "tcp://192.168.1.50:9100"$#uri = "file://'"$WORK"'/print/kiosk-1.bin"#' \
    -e 's#^uri = "usb:///dev/usb/lp0"$#uri = "file://'"$WORK"'/print/hall.bin"#' \
    /etc/qcall/hall.toml >"$cfg"
  chmod 0644 "$cfg"
  [ "$(diff /etc/qcall/hall.toml "$cfg" | grep -c '^[<>]')" = 4 ] ||
    fail "the test config should differ from /etc/qcall/hall.toml in the two printer URIs only"
  install -d -o qcall -g qcall "$WORK/print"
  local exec_start groups
  exec_start=$(unit_key ExecStart)
  [ "$exec_start" = "/usr/bin/qcall serve --config /etc/qcall/hall.toml" ] ||
    fail "the unit runs '$exec_start'"
  groups=$(unit_key SupplementaryGroups | tr ' ' ,)
  # shellcheck disable=SC2086 # ExecStart is split into words, as systemd does
  coproc QCALL {
    cd "$(unit_key WorkingDirectory)" && umask "$(unit_key UMask)" &&
      exec setpriv --reuid="$(unit_key User)" --regid="$(unit_key Group)" --groups="$groups" \
        --no-new-privs --bounding-set=-all --inh-caps=-all "${prefix[@]}" \
        ${exec_start/\/etc\/qcall\/hall.toml/$cfg} --listen 127.0.0.1:0 2>>"$WORK/daemon.log"
  }
  DAEMON_PID=$QCALL_PID
  local line
  IFS= read -r -t 60 line <&"${QCALL[0]}" || fail "the daemon printed no ready line within 60 s"
  URL=${line##* on }
  [[ $URL == http://127.0.0.1:* ]] || fail "unexpected ready line: $line"
  READY=$line
  SIGNAL_PID=$DAEMON_PID
  if ((${#prefix[@]})); then SIGNAL_PID=$(pgrep -P "$DAEMON_PID" -x qcall); fi
}

# SIGTERM, as `systemctl stop` sends it; it must exit 0 well within the
# unit's TimeoutStopSec.
stop_daemon() {
  local limit
  limit=$(unit_key TimeoutStopSec)
  kill -TERM "$SIGNAL_PID"
  timeout "${limit%s}" tail --pid="$DAEMON_PID" -f /dev/null ||
    fail "the daemon did not exit within $limit of SIGTERM"
  wait "$DAEMON_PID" || fail "the daemon exited with status $? on SIGTERM"
  DAEMON_PID=
}

owner_mode() { stat -c '%U:%G %a' "$1"; }

# The system calls of a filter, groups expanded.
syscalls_of() {
  systemd-analyze syscall-filter "$1" | sed -n 's/^ \+\([@a-z0-9_-]\+\)$/\1/p' | while read -r name; do
    if [[ $name == @* ]]; then syscalls_of "$name"; else echo "$name"; fi
  done
}

# What the traced daemon did stays inside the unit's sandbox: its system
# calls pass SystemCallFilter=, no memory is mapped writable and executable
# (MemoryDenyWriteExecute=), its sockets are of RestrictAddressFamilies=.
check_trace() {
  local trace=$WORK/trace/syscalls used allowed=() denied=() filter f out
  used=$(grep -oE '^[0-9]+ +[a-z0-9_]+\(' "$trace" | awk '{print $2}' | tr -d '(' | sort -u)
  [ -n "$used" ] || fail "strace recorded no system calls"
  # Each SystemCallFilter= line allows its list, or with ~ denies all of it.
  while IFS= read -r filter; do
    for f in ${filter#\~}; do
      if [[ $filter == "~"* ]]; then mapfile -t -O "${#denied[@]}" denied < <(syscalls_of "$f"); else
        mapfile -t -O "${#allowed[@]}" allowed < <(syscalls_of "$f"); fi
    done
  done < <(unit_key SystemCallFilter)
  out=$(comm -23 <(echo "$used") <(printf '%s\n' "${allowed[@]}" | sort -u))
  [ -z "$out" ] || fail "the daemon made system calls SystemCallFilter= does not allow: $(tr "\n" " " <<<"$out")"
  out=$(comm -12 <(echo "$used") <(printf '%s\n' "${denied[@]}" | sort -u))
  [ -z "$out" ] || fail "the daemon made system calls SystemCallFilter= denies: $(tr "\n" " " <<<"$out")"
  out=$(grep -E ' (mmap|mprotect|pkey_mprotect)\(' "$trace" | grep 'PROT_WRITE' | grep 'PROT_EXEC' || true)
  [ -z "$out" ] || fail "the daemon mapped memory writable and executable: $(head -n 1 <<<"$out")"
  out=$(grep -oE ' socket\(AF_[A-Z0-9]+' "$trace" | sed 's/.*(//' | sort -u |
    grep -vxF -f <(unit_key RestrictAddressFamilies | tr ' ' '\n') || true)
  [ -z "$out" ] || fail "the daemon opened sockets RestrictAddressFamilies= refuses: $(tr "\n" " " <<<"$out")"
  echo "$(wc -l <<<"$used") distinct system calls"
}

step "dpkg -i $(basename "$v1")"
dpkg -i "$v1" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; fail "dpkg -i failed"; }
touch "$MARKER"

# The user, its groups, the directories and modes.
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd qcall) || fail "postinst made no qcall user"
[ "$uid" -lt 1000 ] || fail "qcall is not a system user (uid $uid)"
[ "$home" = /var/lib/qcall ] || fail "qcall's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "qcall's shell is $shell"
for g in qcall lp dialout audio; do
  id -nG qcall | tr ' ' '\n' | grep -qx "$g" || fail "qcall is not in group $g"
done
[ "$(owner_mode /var/lib/qcall)" = "qcall:qcall 750" ] || fail "/var/lib/qcall is $(owner_mode /var/lib/qcall)"
[ "$(owner_mode /etc/qcall/hall.toml)" = "root:qcall 640" ] ||
  fail "/etc/qcall/hall.toml is $(owner_mode /etc/qcall/hall.toml)"
/usr/bin/qcall --version >/dev/null || fail "/usr/bin/qcall does not run"

# The unit: systemd's own checks, the hardening it must keep, and
# systemd's exposure rating (1.8 "OK" when written; fails above 2.5).
verify=$(systemd-analyze verify "$UNIT" 2>&1) || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify warns: $verify"
for key in ProtectSystem=strict ReadWritePaths=/var/lib/qcall NoNewPrivileges=yes PrivateTmp=yes \
  ProtectHome=yes ProtectKernelTunables=yes ProtectKernelModules=yes ProtectControlGroups=yes \
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' RestrictNamespaces=yes LockPersonality=yes \
  MemoryDenyWriteExecute=yes SystemCallFilter=@system-service CapabilityBoundingSet= \
  User=qcall Restart=on-failure KillSignal=SIGTERM; do
  grep -qx -- "$key" "$UNIT" || fail "the unit lacks $key"
done
exposure=$(systemd-analyze security --offline=yes --threshold=25 "$UNIT" 2>&1 | tail -n 1) ||
  fail "systemd-analyze security: $exposure"
step "unit ok: ${exposure#→ }"

# The daemon, as the unit runs it.
start_daemon
status=$(grep -E '^(Uid|Gid|Groups|NoNewPrivs|CapBnd):' "/proc/$DAEMON_PID/status" | tr -s '\t' ' ')
grep -qx "Uid: $uid $uid $uid $uid" <<<"$status" || fail "the daemon does not run as qcall: $status"
grep -qx "NoNewPrivs: 1" <<<"$status" || fail "the daemon may gain privileges: $status"
grep -qx "CapBnd: 0000000000000000" <<<"$status" || fail "the daemon keeps capabilities: $status"
health=$(curl -sS --max-time 10 "$URL/healthz") || fail "GET /healthz failed"
step "serving as qcall at $URL; /healthz: $health"
[ "$(owner_mode /var/lib/qcall/hall.db)" = "qcall:qcall 600" ] ||
  fail "the database is $(owner_mode /var/lib/qcall/hall.db)"
# A credential, as README says to create one, kept across the upgrade.
token=$(runuser -u qcall -- qcall token create --config /etc/qcall/hall.toml --supervisor deb-test 2>/dev/null) ||
  fail "qcall token create as the qcall user failed"
whoami() { curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$URL/api/v1/whoami"; }
[ "$(whoami)" = 200 ] || fail "the new supervisor token is refused"
stop_daemon

# Upgrade, with an edited conffile and a database with a credential in it.
# (the hall's name: the first `name =` line, in [hall]).
sed -i '0,/^name = .*/s//name = { zh = "测试大厅", en = "Deb Test Hall" }/' /etc/qcall/hall.toml
grep -q 'en = "Deb Test Hall"' /etc/qcall/hall.toml || fail "could not edit the hall's name"
step "dpkg -i $(basename "$v2") (upgrade)"
dpkg -i "$v2" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; fail "the upgrade failed"; }
[ "$(dpkg-query -W -f='${Version}' qcall)" = "$(dpkg-deb -f "$v2" Version)" ] || fail "not upgraded"
grep -q 'en = "Deb Test Hall"' /etc/qcall/hall.toml || fail "the upgrade lost the edited config"
! ls /etc/qcall/hall.toml.dpkg-* >/dev/null 2>&1 || fail "the upgrade left $(ls /etc/qcall/hall.toml.dpkg-*)"
[ "$(owner_mode /etc/qcall/hall.toml)" = "root:qcall 640" ] || fail "the upgrade changed the config's mode"
start_daemon trace
[[ $READY == "qcall: Deb Test Hall listening on"* ]] || fail "the daemon does not use the edited config: $READY"
[ "$(whoami)" = 200 ] || fail "the token created before the upgrade is refused: the database was lost"
step "upgrade kept the edited config and the database"
# Some work for the trace: a ticket (201, or 409 outside the hours), the
# kiosk page, the display's websocket.
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"service":"A","source":"kiosk-1"}' "$URL/api/v1/tickets")
[[ $code == 201 || $code == 409 ]] || fail "POST /api/v1/tickets answered $code"
curl -sS --max-time 10 -o /dev/null "$URL/kiosk" || fail "GET /kiosk failed"
ws=$(curl -sS -i -N --max-time 10 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
  -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
  "$URL/ws/display" 2>/dev/null | head -c 400 || true)
grep -q '"snapshot"' <<<"$ws" || fail "/ws/display sent no snapshot"
stop_daemon
summary=$(check_trace) || exit 1
step "sandbox ok: $summary within SystemCallFilter=, no W+X memory, sockets $(unit_key RestrictAddressFamilies)"

# Remove keeps the config, the database and the user; purge deletes them.
dpkg -r qcall >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; fail "dpkg -r failed"; }
[ ! -e /usr/bin/qcall ] || fail "dpkg -r left /usr/bin/qcall"
grep -q 'en = "Deb Test Hall"' /etc/qcall/hall.toml || fail "dpkg -r removed the config"
[ -f /var/lib/qcall/hall.db ] || fail "dpkg -r removed the database"
getent passwd qcall >/dev/null || fail "dpkg -r removed the user"
dpkg -P qcall >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; fail "dpkg -P failed"; }
[ ! -e /etc/qcall ] || fail "the purge left /etc/qcall"
[ ! -e /var/lib/qcall ] || fail "the purge left /var/lib/qcall"
! getent passwd qcall >/dev/null || fail "the purge left the qcall user"
! getent group qcall >/dev/null || fail "the purge left the qcall group"
! installed || fail "the package is still known to dpkg"
step "remove kept config, database and user; purge deleted them"
step "ok"
