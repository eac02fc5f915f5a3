#!/usr/bin/env bash
# Benchmarks log-sidecar side by side with GNU `tail -F` and busybox `tail -F`
# in one run on this machine: throughput from a pre-written file to a pipe
# (read by a reader faster than every tool, and by a slow line-counting one),
# CPU per million lines, peak RSS, idle CPU, and write-to-output latency
# p50/p99. Tools are pinned to one core, the load generator to another; each
# measure is repeated and the medians and ratios printed as a markdown table
# (per-run figures on stderr). Throughput runs in rounds of the three tools
# back to back, ratios taken within a round (this VM's speed drifts). The
# sidecar is built as the Dockerfile builds it (static glibc). A benchmark,
# never a test.
#
#   scripts/bench-sidecar.sh                       # full run (~7 minutes)
#   LINES=200000 REPEATS=3 IDLE_SECONDS=5 LATENCY_SECONDS=3 scripts/bench-sidecar.sh   # quick look
#
# Knobs (env): LINES (2000000), THROUGHPUT_ROUNDS (15), REPEATS (3, of the
# idle and latency runs), IDLE_SECONDS (30), LATENCY_SECONDS (10), RATE
# (1000 lines/s), TOOL_CPU (0), LOAD_CPU (1), SIDECAR_BIN (default: the
# release build, built here with BENCH_RUSTFLAGS, default the Dockerfile's).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v busybox >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox >/dev/null
  else
    echo "bench-sidecar: busybox is missing: apt-get install busybox" >&2
    exit 1
  fi
fi
for tool in taskset tail python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench-sidecar: $tool is missing" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then
  echo "bench-sidecar: needs 2 CPUs to pin the tools and the load generator apart" >&2
  exit 1
fi

if [ -z "${SIDECAR_BIN:-}" ]; then
  # What the image ships: the Dockerfile's flags and target.
  BENCH_RUSTFLAGS=${BENCH_RUSTFLAGS:-"-C target-feature=+crt-static -C link-arg=-Wl,-z,pack-relative-relocs"}
  RUSTFLAGS="$BENCH_RUSTFLAGS" \
    cargo build --release --quiet --target x86_64-unknown-linux-gnu -p log-sidecar
  SIDECAR_BIN="${CARGO_TARGET_DIR:-$PWD/target}/x86_64-unknown-linux-gnu/release/log-sidecar"
fi
export SIDECAR_BIN
echo "bench-sidecar: $("$SIDECAR_BIN" --version), $(tail --version | head -1), $(busybox | head -1 | cut -d' ' -f1-2)" >&2
exec python3 scripts/bench-sidecar/bench.py
