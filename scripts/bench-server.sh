#!/usr/bin/env bash
# Benchmark: our time-server against the chapter's Go service, on this
# machine, in one run. Both servers run pinned to core 0 (taskset) and are
# loaded one at a time, back to back at each point, by wrk pinned to core 1,
# at several concurrencies on /time and /nanotime, with per-request logging
# on in both (each server's log output redirected to a file), repeated;
# prints medians of requests/s and p99 latency, the median of the Rust/Go
# ratios of back-to-back runs, server CPU time per request, the idle RSS
# of each, and draws docs/bench-server.svg. The Go side is the chapter's
# service, in this repository (scripts/go-time-service/); the Rust binary is
# built as the Dockerfile builds it (scripts/static-build.sh). What it needs
# (wrk, Go) is installed by scripts/install-test-deps.sh --bench.
#
# Usage: scripts/bench-server.sh            (3 repetitions x 10 s)
#        REPS=1 DURATION=3 scripts/bench-server.sh   (quick look)
# Env:   CONCURRENCY="1 16 64 256" PATHS="/time /nanotime /time?tz=Asia/Tokyo"
#        RUST_ARGS="--log-file /tmp/x.log"  (extra flags for time-server)
#        OUT=dir (keep raw results there; default a temp dir)
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$ROOT"

REPS=${REPS:-3}
DURATION=${DURATION:-10}
CONCURRENCY=${CONCURRENCY:-"1 16 64 256"}
# /time?tz=Asia/Tokyo: ours loads the zone once (then from its cache) and
# answers in it; the chapter's Go service ignores the query, so its row is
# its plain /time, and the row against ours' /time row is the cost of tz.
PATHS=${PATHS:-"/time /nanotime /time?tz=Asia/Tokyo"}
RUST_ARGS=${RUST_ARGS:-}
GO_PORT=18081
RUST_PORT=18080
SERVER_CPU=0
LOAD_CPU=1

WORK=$(mktemp -d /tmp/bench-server.XXXXXX)
OUT=${OUT:-$WORK/results}
mkdir -p "$OUT"
declare -A PID=([go]="" [rust]="")
declare -A PORT_OF=([go]=$GO_PORT [rust]=$RUST_PORT)
cleanup() {
  for name in go rust; do
    if [[ -n "${PID[$name]}" ]] && kill -0 "${PID[$name]}" 2>/dev/null; then
      kill "${PID[$name]}" 2>/dev/null || true
      wait "${PID[$name]}" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK/go" "$WORK/logs"
}
trap cleanup EXIT

scripts/install-test-deps.sh --bench
if [[ $(nproc --all) -lt 2 ]]; then
  echo "bench: needs 2 cores (server and load generator on different ones)" >&2
  exit 1
fi

# --- build both -------------------------------------------------------------
echo "bench: building the chapter's Go service (scripts/go-time-service) with $(PATH="$PATH:/usr/lib/go/bin" go version | cut -d' ' -f3)" >&2
GO_BIN="$WORK/go/go-time-service"
scripts/go-time-service/build.sh "$GO_BIN"
echo "bench: building time-server as the Dockerfile builds it (scripts/static-build.sh)" >&2
RUST_BIN="$(scripts/static-build.sh -p time-server)/time-server"

# --- helpers ----------------------------------------------------------------
wait_port() { # port
  for _ in $(seq 1 500); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$1/time" 2>/dev/null; then return 0; fi
    sleep 0.01
  done
  echo "bench: server on port $1 did not come up" >&2
  return 1
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime
TICKS=$(getconf CLK_TCK)

start_server() { # name
  mkdir -p "$WORK/logs"
  if ss -ltn "( sport = :${PORT_OF[$1]} )" | grep -q LISTEN; then
    echo "bench: port ${PORT_OF[$1]} is already in use" >&2
    exit 1
  fi
  case $1 in
    go)
      # Go's log package writes to stderr: both streams to the file.
      LISTEN_ADDR=127.0.0.1:$GO_PORT taskset -c $SERVER_CPU "$GO_BIN" >"$WORK/logs/go.log" 2>&1 &
      PID[go]=$! ;;
    rust)
      # shellcheck disable=SC2086 # RUST_ARGS holds several flags: split on purpose
      RUST_LOG=info taskset -c $SERVER_CPU "$RUST_BIN" --listen 127.0.0.1:$RUST_PORT \
        --shutdown-delay 0s $RUST_ARGS >"$WORK/logs/rust.log" 2>&1 &
      PID[rust]=$! ;;
  esac
  wait_port "${PORT_OF[$1]}"
  sleep 0.5
  echo "$1 idle_rss_kib $(rss_kib "${PID[$1]}")" >>"$OUT/rss.txt"
}

stop_server() { # name
  echo "$1 loaded_rss_kib $(rss_kib "${PID[$1]}")" >>"$OUT/rss.txt"
  kill -TERM "${PID[$1]}"
  wait "${PID[$1]}" 2>/dev/null || true
  PID[$1]=""
}

# wrk's "99%  1.23ms" in microseconds.
to_us() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") m = 1; else if (u == "ms") m = 1000; else if (u == "s") m = 1000000; else if (u == "m") m = 60000000; else m = 1;
    printf "%.1f", n * m }'
}

run_load() { # name path conns rep
  local raw="$OUT/wrk-$1-${2//\//}-c$3-r$4.txt"
  local t0 t1
  t0=$(cpu_ticks "${PID[$1]}")
  taskset -c $LOAD_CPU wrk -t1 -c"$3" -d"${DURATION}s" --latency "http://127.0.0.1:${PORT_OF[$1]}$2" >"$raw"
  t1=$(cpu_ticks "${PID[$1]}")
  local rps p99 errors total cpu_us
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw")
  total=$(awk '/requests in/ {print $1}' "$raw")
  # Server CPU time (user + system) per request: less at the mercy of other
  # processes sharing the machine than requests/s.
  cpu_us=$(awk -v d=$((t1 - t0)) -v n="$total" -v hz="$TICKS" 'BEGIN { printf "%.2f", d / hz * 1e6 / n }')
  p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$raw")")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$raw" | tr '\n' ' ')
  [[ -z "$errors" ]] || echo "bench: $1 $2 c=$3: $errors" >&2
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$rps" "$p99" "$cpu_us" >>"$OUT/runs.tsv"
}

# --- run --------------------------------------------------------------------
: >"$OUT/runs.tsv"; : >"$OUT/rss.txt"
echo "bench: $REPS x ${DURATION}s per point; servers on core $SERVER_CPU, wrk on core $LOAD_CPU" >&2
# Both servers run side by side (the idle one costs nothing) and every
# point is measured for Go and Rust back to back, in alternating order, so
# each Rust/Go ratio compares runs seconds apart: this VM's speed drifts
# over tens of seconds, which made ratios of runs minutes apart swing.
for rep in $(seq 1 "$REPS"); do
  if (( rep % 2 )); then order="go rust"; else order="rust go"; fi
  for name in $order; do start_server "$name"; done
  for path in $PATHS; do
    for c in $CONCURRENCY; do
      for name in $order; do
        echo "bench: rep $rep $name $path c=$c" >&2
        run_load "$name" "$path" "$c" "$rep"
      done
    done
  done
  for name in $order; do stop_server "$name"; done
  rm -rf "$WORK/logs"
done

python3 scripts/bench-server/report.py "$OUT" "$ROOT/docs/bench-server.svg"
echo "bench: raw results in $OUT" >&2
