#!/usr/bin/env bash
# Property-based API test: schemathesis generates requests from the daemon's
# own OpenAPI document (GET /api/v1/openapi.json) and sends them to the real
# daemon, checking that nothing answers 5xx and that every status, content
# type and body is the one the document declares.
#
# The daemon is the debug build (scripts/test.sh builds it; QCALL_BIN names
# another), on 127.0.0.1 with a temporary database and the demo hall: open
# around the clock, no rate limit, no speaker, printers writing into files in
# the temporary directory. Requests carry a supervisor token made with the
# real CLI, so the staff endpoints are exercised past their credential check;
# a second, shorter pass without a credential covers the kiosk side and the
# 401s. Deterministic (fixed seed, no example database) and bounded.
#
# schemathesis is installed by scripts/setup.sh into tests/api/.venv.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${QCALL_BIN:-$ROOT/target/debug/qcall}"
ST="$ROOT/tests/api/.venv/bin/schemathesis"
SEED="${SCHEMATHESIS_SEED:-20261202}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-25}"

[ -x "$BIN" ] || { echo "api: no qcall binary at $BIN; run cargo build -p qcall --bin qcall" >&2; exit 1; }
[ -x "$ST" ] || { echo "api: schemathesis is not installed; run scripts/setup.sh" >&2; exit 1; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/qcall-api.XXXXXX")"
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# The demo hall, made safe and open for a test run.
CONFIG="$TMP/hall.toml"
DB="$TMP/hall.db"
sed -e 's/^enabled = true$/enabled = false/' \
  -e "s|^pack = .*|pack = \"$ROOT/assets/voice/default\"|" \
  -e "s|file:var/|file://$TMP/|g" \
  -e 's/^\(mon\|tue\|wed\|thu\|fri\|sat\|sun\) = .*/\1 = ["00:00-23:59"]/' \
  -e 's/^cutoff_minutes = .*/cutoff_minutes = 0/' \
  -e 's/^kiosk_rate_per_minute = .*/kiosk_rate_per_minute = 0/' \
  "$ROOT/config/demo.toml" >"$CONFIG"
# Printers print into files here, never at a device on a network.
if grep -E '^uri = ' "$CONFIG" | grep -v "file://$TMP/" >&2; then
  echo "api: a printer above is not a file in $TMP; refusing to start" >&2
  exit 1
fi

RUST_LOG=warn "$BIN" serve --config "$CONFIG" --db "$DB" --listen 127.0.0.1:0 \
  >"$TMP/stdout" 2>"$TMP/daemon.log" &
PID=$!
URL=""
for _ in $(seq 200); do
  URL="$(sed -n 's/.* listening on \(http:[^ ]*\).*/\1/p' "$TMP/stdout" | head -1)"
  [ -n "$URL" ] && break
  kill -0 "$PID" 2>/dev/null || { cat "$TMP/daemon.log" >&2; echo "api: qcall exited before listening" >&2; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { echo "api: qcall did not start listening within 20 s" >&2; exit 1; }

token() {
  "$BIN" token create --config "$CONFIG" --db "$DB" "$@" | grep '^qc_' | head -1
}
SUPERVISOR="$(token --supervisor api-test)"
[ -n "$SUPERVISOR" ] || { echo "api: could not create a supervisor token" >&2; exit 1; }

# Some life in the hall, so reads have tickets, counters and calls to show
# (ticket 1 is called at counter 1; the examples in the document name them).
"$ROOT/tests/api/.venv/bin/python" - "$URL" "$SUPERVISOR" <<'PY'
import json, sys, urllib.request
url, token = sys.argv[1], sys.argv[2]
def post(path, body=None):
    req = urllib.request.Request(url + "/api/v1" + path, method="POST",
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": "Bearer " + token, "content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status < 300, (path, r.status)
for service in ["A", "B", "C", "A"]:
    post("/tickets", {"service": service, "source": "kiosk-1"})
post("/counters/1/open")
post("/counters/1/call-next")
PY

run() {
  # From the temporary directory: schemathesis keeps a cache where it runs.
  # One worker: with two, this machine's Python (3.11.7) now and then fails
  # inside schemathesis with "SystemError: AST constructor recursion depth
  # mismatch", CPython's gh-106905 (threads building ASTs at once), which
  # says nothing about the daemon.
  (cd "$TMP" && "$ST" run "$URL/api/v1/openapi.json" --url "$URL" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --seed "$SEED" --generation-database none --no-shrink \
    --request-timeout 10 --workers 1 --no-color --warnings off \
    --suppress-health-check all "$@")
}

status=0
echo "api: schemathesis against $URL, with a supervisor token"
run --max-examples "$EXAMPLES" -H "Authorization: Bearer $SUPERVISOR" || status=1
echo "api: schemathesis against $URL, without a credential"
run --max-examples 5 --phases examples,coverage || status=1

if ! kill -0 "$PID" 2>/dev/null; then
  echo "api: the daemon died during the run" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "api: daemon log (last 40 lines):" >&2
  tail -40 "$TMP/daemon.log" >&2
fi
exit "$status"
