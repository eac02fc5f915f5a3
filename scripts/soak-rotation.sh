#!/usr/bin/env bash
# Runs log-sidecar's rotation tests many times under CPU and disk pressure
# and says how many runs came out clean: a test that failed once on a
# cold, loaded machine (issue 11, defect 6) is a real failure until a soak
# says otherwise. Each run is the copytruncate and rename rotation tests
# of tests/tailing.rs (the real binary, 100 rotations each, every line
# counted) and the tailer's model test (generated sequences, copytruncate
# with the copy seen half-written among them).
#
#   scripts/soak-rotation.sh                  # 50 runs
#   RUNS=10 CPU_HOGS=1 scripts/soak-rotation.sh
#
# Pressure, all on the filesystem the tests' temporary files are on
# (SOAK_DIR, default $TMPDIR or /tmp), started before the first run and
# stopped (by PID) after the last, however the script ends:
# - CPU_HOGS (2) busy loops, one per core of this machine's two;
# - DISK_HOGS (1) writers of DISK_MB (256) MiB with fsync, again and again,
#   so the tests' fsyncs and the page cache meet writeback as they did on
#   the first run after a build.
# Every failed run's output is kept in $SOAK_DIR/soak-rotation-logs/.
# Knobs: RUNS (50), RUN_TIMEOUT (300 s per run), CPU_HOGS, DISK_HOGS, DISK_MB.
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$ROOT"

RUNS=${RUNS:-50}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
CPU_HOGS=${CPU_HOGS:-2}
DISK_HOGS=${DISK_HOGS:-1}
DISK_MB=${DISK_MB:-256}
SOAK_DIR=${SOAK_DIR:-${TMPDIR:-/tmp}}
for knob in RUNS RUN_TIMEOUT CPU_HOGS DISK_HOGS DISK_MB; do
  case "${!knob}" in
  '' | *[!0-9]*)
    echo "soak-rotation: $knob=${!knob}: expected a whole number" >&2
    exit 2
    ;;
  esac
done
[ "$RUNS" -gt 0 ] || { echo "soak-rotation: RUNS must be at least 1" >&2; exit 2; }

say() { echo "soak-rotation: $*" >&2; }

# Build first (the profile scripts/test.sh uses), without pressure: the
# soak is about the tests, not cargo.
say "building the tests (release)"
cargo test -p log-sidecar --profile release-tests --test tailing --test model --no-run --quiet
tests_bin() {
  cargo test -p log-sidecar --profile release-tests --no-run --message-format=json --test "$1" 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["executable"])'
}
tailing=$(tests_bin tailing)
model=$(tests_bin model)
if [ ! -x "$tailing" ] || [ ! -x "$model" ]; then
  say "cannot find the test binaries"
  exit 1
fi

work=$(mktemp -d "$SOAK_DIR/soak-rotation.XXXXXX")
logs="$SOAK_DIR/soak-rotation-logs"
mkdir -p "$logs"
hogs=()
stop_hogs() {
  local pid
  for pid in "${hogs[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${hogs[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  hogs=()
  rm -rf "$work"
}
trap stop_hogs EXIT

for ((i = 0; i < CPU_HOGS; i++)); do
  (while :; do :; done) &
  hogs+=("$!")
done
for ((i = 0; i < DISK_HOGS; i++)); do
  (while :; do
    dd if=/dev/zero of="$work/disk-hog.$i" bs=1M count="$DISK_MB" conv=fsync status=none
    rm -f "$work/disk-hog.$i"
  done) &
  hogs+=("$!")
done
say "$RUNS runs; pressure: $CPU_HOGS CPU hogs, $DISK_HOGS disk hogs of $DISK_MB MiB with fsync in $SOAK_DIR; load $(cut -d' ' -f1-3 /proc/loadavg)"

clean=0
failed=0
started=$(date +%s)
for ((run = 1; run <= RUNS; run++)); do
  out="$work/run.log"
  if TMPDIR="$work" timeout "$RUN_TIMEOUT" "$tailing" --test-threads 1 rotations >"$out" 2>&1 &&
    TMPDIR="$work" timeout "$RUN_TIMEOUT" "$model" >>"$out" 2>&1; then
    clean=$((clean + 1))
  else
    failed=$((failed + 1))
    cp "$out" "$logs/run-$run.log"
    say "run $run FAILED (kept in $logs/run-$run.log):"
    grep -E 'panicked|lines missing|appeared|timed out' "$out" | head -5 >&2 || true
  fi
  say "run $run: $clean clean, $failed failed; load $(cut -d' ' -f1-3 /proc/loadavg)"
done
say "done in $(($(date +%s) - started)) s"
echo "soak-rotation: $clean of $RUNS runs clean ($CPU_HOGS CPU hogs, $DISK_HOGS disk hogs, load at the end $(cut -d' ' -f1-3 /proc/loadavg))"
[ "$failed" -eq 0 ]
