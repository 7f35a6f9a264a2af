#!/usr/bin/env bash
# The .deb under a real systemd: boots a Debian 12 container
# (debootstrap + systemd-nspawn, private network) in which the package is
# installed, `systemctl start qcall` runs the unit with its whole sandbox,
# the daemon answers /healthz, a websocket and a token, an upgrade while it
# runs restarts it with the database kept, `systemctl stop` ends it cleanly,
# and a purge removes it. scripts/deb-test.sh checks the same package
# without systemd (CI has none); this is the deeper, slower check, not part
# of scripts/test.sh: the first run downloads about 100 MB of Debian
# packages (3 minutes here), later runs reuse target/deb-systemd/root and
# take about 30 s.
#
#   sudo scripts/deb-systemd-test.sh     (needs debootstrap, systemd-container)
#
# It uses the packages scripts/deb-test.sh left in target/deb-test (run that
# first) and touches nothing outside target/deb-systemd.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "deb-systemd-test: FAIL: $*" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, systemd-nspawn)"
for tool in debootstrap systemd-nspawn; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install debootstrap systemd-container"
done
v1=$(ls target/deb-test/qcall_*-1_*.deb 2>/dev/null || true)
v2=$(ls target/deb-test/qcall_*-2_*.deb 2>/dev/null || true)
{ [ -n "$v1" ] && [ -n "$v2" ]; } || fail "no packages in target/deb-test: run scripts/deb-test.sh first"

DIR=target/deb-systemd
ROOT=$DIR/root
if [ ! -e "$ROOT/.complete" ]; then
  echo "deb-systemd-test: debootstrap bookworm into $ROOT (once)"
  rm -rf "$ROOT" && mkdir -p "$DIR"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,adduser,libasound2,curl \
    bookworm "$ROOT" http://deb.debian.org/debian >"$DIR/debootstrap.log" 2>&1 ||
    { tail -n 20 "$DIR/debootstrap.log" >&2; fail "debootstrap failed"; }
  touch "$ROOT/.complete"
fi

cp "$v1" "$ROOT/root/qcall-1.deb"
cp "$v2" "$ROOT/root/qcall-2.deb"
rm -f "$ROOT/root/result"

# Runs once at boot, writes /root/result, powers the container off.
cat >"$ROOT/root/check.sh" <<'EOF'
#!/bin/bash
set -uo pipefail
exec >/root/result 2>&1
fail() { echo "FAIL: $*"; journalctl -u qcall --no-pager -o cat | tail -n 20; exit 1; }
ok() { echo "ok: $*"; }
url=http://127.0.0.1:8080
health() { curl -sS --retry 100 --retry-connrefused --retry-delay 0 --retry-max-time 30 --max-time 5 "$url/healthz"; }
status() { grep -E "^$2:" "/proc/$1/status" | tr -s '\t' ' '; }

dpkg -P qcall >/dev/null 2>&1
dpkg -i /root/qcall-1.deb >/dev/null || fail "dpkg -i"
[ "$(systemctl is-enabled qcall)" = disabled ] || fail "the package enabled the service"
# Printers to files: the example printer at 192.168.1.50 is never contacted.
sed -i -e 's#^uri = "tcp://192.168.1.50:9100"$#uri = "file:///var/lib/qcall/kiosk-1.bin"#' \
  -e 's#^uri = "usb:///dev/usb/lp0"$#uri = "file:///var/lib/qcall/hall.bin"#' /etc/qcall/hall.toml
systemctl enable --now qcall 2>/dev/null || fail "systemctl enable --now qcall"
h=$(health) || fail "no /healthz"
ok "systemctl enable --now qcall: /healthz $h"
pid=$(systemctl show qcall -p MainPID --value)
[ "$(status "$pid" Uid)" = "Uid: $(id -u qcall) $(id -u qcall) $(id -u qcall) $(id -u qcall)" ] || fail "not the qcall user: $(status "$pid" Uid)"
[ "$(status "$pid" NoNewPrivs)" = "NoNewPrivs: 1" ] || fail "NoNewPrivs"
[ "$(status "$pid" CapBnd)" = "CapBnd: 0000000000000000" ] || fail "capabilities left"
[ "$(status "$pid" Seccomp)" = "Seccomp: 2" ] || fail "no system-call filter"
ok "runs as qcall, $(status "$pid" Groups), no capabilities, $(status "$pid" Seccomp_filters)"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"service":"A","source":"kiosk-1"}' "$url/api/v1/tickets")
[[ $code == 201 || $code == 409 ]] || fail "POST /api/v1/tickets: $code"
ws=$(curl -sS -i -N --max-time 10 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
  -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
  "$url/ws/display" 2>/dev/null | head -c 400)
grep -q '"snapshot"' <<<"$ws" || fail "/ws/display sent no snapshot"
token=$(runuser -u qcall -- qcall token create --config /etc/qcall/hall.toml --supervisor li 2>/dev/null) ||
  fail "token create"
whoami() { curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url/api/v1/whoami"; }
[ "$(whoami)" = 200 ] || fail "token refused"
ok "POST /tickets $code, /ws/display snapshot, a supervisor token"

dpkg -i /root/qcall-2.deb >/dev/null || fail "upgrade"
h=$(health) || fail "no /healthz after the upgrade"
pid2=$(systemctl show qcall -p MainPID --value)
[ "$pid2" != "$pid" ] || fail "the upgrade did not restart the running service"
[ "$(whoami)" = 200 ] || fail "the token is refused after the upgrade"
[ "$(systemctl is-enabled qcall)" = enabled ] || fail "the upgrade disabled the service"
ok "upgrade restarted the service (pid $pid -> $pid2), token kept, still enabled"

start=$(date +%s%N)
systemctl stop qcall
ms=$((($(date +%s%N) - start) / 1000000))
[ "$(systemctl show qcall -p Result --value)" = success ] || fail "stop: $(systemctl show qcall -p Result --value)"
[ "$ms" -lt 5000 ] || fail "systemctl stop took $ms ms"
ok "systemctl stop: exit 0 in $ms ms"

dpkg -P qcall >/dev/null || fail "purge"
[ ! -e /usr/lib/systemd/system/qcall.service ] && [ ! -e /var/lib/qcall ] && ! getent passwd qcall >/dev/null ||
  fail "purge left the unit, /var/lib/qcall or the user"
[ ! -e /etc/systemd/system/multi-user.target.wants/qcall.service ] || fail "purge left the enable link"
ok "purged"
echo PASS
EOF
chmod +x "$ROOT/root/check.sh"
cat >"$ROOT/etc/systemd/system/qcall-check.service" <<'EOF'
[Unit]
Description=qcall package check
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/root/check.sh
ExecStopPost=/bin/systemctl poweroff --no-block
EOF
ln -sf /etc/systemd/system/qcall-check.service "$ROOT/etc/systemd/system/multi-user.target.wants/qcall-check.service"

echo "deb-systemd-test: booting the container"
timeout 300 systemd-nspawn -D "$ROOT" --keep-unit --register=no --private-network -b --console=pipe \
  >"$DIR/boot.log" 2>&1 || true
[ -f "$ROOT/root/result" ] || { tail -n 30 "$DIR/boot.log" >&2; fail "the check did not run"; }
sed 's/^/deb-systemd-test: /' "$ROOT/root/result"
grep -qx PASS "$ROOT/root/result" || fail "see above"
