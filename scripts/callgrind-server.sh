#!/usr/bin/env bash
# User-space instructions per request of time-server, counted by
# callgrind: unlike requests/s, the count does not move with the machine's
# load, so a change of tens of instructions per request shows. The server
# runs single-threaded under valgrind with per-request logging on (stdout
# to a file) and is loaded by wrk twice, for a short and a long time; the
# figure is the slope, (instructions of the long run - of the short run) /
# (requests of the long run - of the short run), so start-up and shutdown
# cancel out.
#
#   scripts/callgrind-server.sh                        # builds the release binary
#   TIME_SERVER=/path/to/time-server CONNS=64 scripts/callgrind-server.sh
#
# Knobs (env): TIME_SERVER (default: the release build, built here), URL_PATH
# (/time), CONNS (16), SHORT (3 s), LONG (12 s). Needs valgrind and wrk
# (scripts/install-test-deps.sh --bench installs them).
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$ROOT"

scripts/install-test-deps.sh --bench
if [ -z "${TIME_SERVER:-}" ]; then
  cargo build --release --quiet -p time-server
  TIME_SERVER="${CARGO_TARGET_DIR:-$ROOT/target}/release/time-server"
fi
URL_PATH=${URL_PATH:-/time}
CONNS=${CONNS:-16}
SHORT=${SHORT:-3}
LONG=${LONG:-12}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# One run: prints "<requests> <instructions>".
run() {
  local seconds=$1 dir
  dir=$(mktemp -d "$WORK/run.XXXX")
  valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
    "$TIME_SERVER" --listen 127.0.0.1:0 --worker-threads 1 --shutdown-delay 0s \
    >"$dir/stdout" 2>"$dir/stderr" &
  local pid=$! addr=""
  for _ in $(seq 1 300); do
    addr=$(grep -o 'listening on [0-9.:]*' "$dir/stdout" 2>/dev/null | awk '{print $3}' || true)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "callgrind-server: the server did not start: $(cat "$dir/stderr")" >&2; exit 1; }
  wrk -t1 -c"$CONNS" -d"${seconds}s" "http://$addr$URL_PATH" >"$dir/wrk" 2>&1
  kill -TERM "$pid"
  wait "$pid" || true
  echo "$(grep -c 'request_log\] GET' "$dir/stdout") $(awk '/^summary:/ {print $2}' "$dir/callgrind.out")"
}

read -r short_requests short_instructions < <(run "$SHORT")
read -r long_requests long_instructions < <(run "$LONG")
echo "callgrind-server: $TIME_SERVER, $URL_PATH, $CONNS connections: $short_requests and $long_requests requests" >&2
python3 -c "print(f'{($long_instructions - $short_instructions) / ($long_requests - $short_requests):.0f} instructions per request')"
