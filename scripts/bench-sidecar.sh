#!/usr/bin/env bash
# log-sidecar side by side with the tools people run instead: GNU `tail -F`,
# busybox `tail -F` (the Kubernetes docs' streaming sidecar) and rsyslog's
# imfile (the shipper Debian runs), in one run on this machine, each tool
# pinned to one core and the driver to another. The sidecar is built as the
# Dockerfile builds it (scripts/static-build.sh); the peers come from
# scripts/install-test-deps.sh --bench. A benchmark, never a test.
#
# speed (the default): throughput from a pre-written file to a pipe (read
#   by a reader faster than every tool, and by a slow line-counting one),
#   CPU per million lines, peak RSS, idle CPU, write-to-output latency
#   p50/p99; throughput in rounds of the tools back to back, ratios taken
#   within a round (this VM's speed drifts). See scripts/bench-sidecar/bench.py.
# chaos: lines lost and repeated under rename and copytruncate rotations,
#   SIGKILLs with restarts, and SIGTERM while the writer still writes,
#   counted exactly on numbered lines. See scripts/bench-sidecar/chaos.py.
# otlp: lines/s delivered to an OTLP/HTTP receiver with gzip on (a receiver
#   that decodes nothing, so it is not the bottleneck; its busy time is
#   printed), CPU per million lines and peak RSS, next to GNU `tail -F`
#   into a pipe. See scripts/bench-sidecar/otlp.py.
# podman: the reader a pod really has: lines/s into the container
#   runtime's log (conmon), log-sidecar and busybox `tail -F` in containers;
#   runs `scripts/bench-pod.sh sidecar` (root, podman; knobs there).
# Each prints a markdown table (medians; every run on stderr).
#
#   scripts/bench-sidecar.sh                 # speed, full run
#   LINES=200000 THROUGHPUT_ROUNDS=3 REPEATS=1 IDLE_SECONDS=5 LATENCY_SECONDS=3 scripts/bench-sidecar.sh
#   scripts/bench-sidecar.sh chaos           # chaos, full run
#   REPEATS=1 ROTATIONS=5 KILLS=3 scripts/bench-sidecar.sh chaos
#   scripts/bench-sidecar.sh otlp            # into an OTLP receiver, full run
#   LINES=200000 THROUGHPUT_ROUNDS=3 scripts/bench-sidecar.sh otlp
#   scripts/bench-sidecar.sh podman          # into conmon, full run
#
# Knobs (env), speed: LINES (2000000), THROUGHPUT_ROUNDS (15), REPEATS (3,
# of the idle and latency runs), IDLE_SECONDS (30), LATENCY_SECONDS (10),
# RATE (1000 lines/s of the latency runs).
# otlp: LINES (2000000), THROUGHPUT_ROUNDS (5).
# chaos: REPEATS (3), RATE (5000 lines/s), PER_FILE (5000 lines between
# rotations), ROTATIONS (10), KEEP (5 rotated files), KILLS (10), KILL_AFTER
# (1 s), TERM_AFTER (2 s), TERM_WRITE_SECONDS (1 s), QUIET_SECONDS (3).
# Both: TOOL_CPU (0), LOAD_CPU (1), RSYSLOG_PERSIST (100: imfile's
# PersistStateInterval, see scripts/bench-sidecar/rsyslog-imfile.sh),
# SIDECAR_BIN (default: built here as the Dockerfile builds it).
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$ROOT"

case "${1:-speed}" in
  speed) driver=bench.py ;;
  chaos) driver=chaos.py ;;
  otlp) driver=otlp.py ;;
  podman) exec scripts/bench-pod.sh sidecar ;;
  *) echo "usage: $0 [speed|chaos|otlp|podman]" >&2; exit 2 ;;
esac

scripts/install-test-deps.sh --bench
export PATH="$PATH:/usr/sbin"   # rsyslogd
for tool in taskset tail python3 busybox rsyslogd; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench-sidecar: $tool is missing" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then
  echo "bench-sidecar: needs 2 CPUs to pin the tools and the driver apart" >&2
  exit 1
fi

if [ -z "${SIDECAR_BIN:-}" ]; then
  SIDECAR_BIN="$(scripts/static-build.sh -p log-sidecar)/log-sidecar"
fi
export SIDECAR_BIN
# sed -n 1p, not head -1: it reads to the end, so busybox's long usage text
# never meets a closed pipe (SIGPIPE, 141 under pipefail).
echo "bench-sidecar: $("$SIDECAR_BIN" --version), $(tail --version | sed -n 1p), $(busybox | sed -n 1p | cut -d' ' -f1-2)," \
  "$(rsyslogd -v | sed -n 1p | cut -d, -f1)" >&2
exec python3 "scripts/bench-sidecar/$driver"
