#!/usr/bin/env bash
# The benchmarks that need the pod's real surroundings, under a private
# rootful podman (scripts/pod/podman-lab.sh, torn down at the end) with
# every image built here FROM scratch, nothing pulled. The driver is
# tests/src/bin/bench-pod/ (it shares the pod test's way of playing the
# manifests); it prints markdown tables of medians, every run on stderr.
# Needs root (podman runs rootful here) and 2 CPUs. A benchmark, never a test.
#
# pod (the default): the whole pod from manifests/, loaded by wrk through
#   the server's host port, every request line counted in `podman logs` of
#   the sidecar; next to the chapter's Go service with busybox `tail -F` as
#   the sidecar, in the same pod shape.
# sidecar: lines/s from a pre-written file into the container runtime's log
#   (conmon, read back with `podman logs`), for log-sidecar and busybox
#   `tail -F` in the same container set-up (also `scripts/bench-sidecar.sh podman`).
#
#   scripts/bench-pod.sh                                   # whole pod, full run
#   REPS=1 DURATION=3 scripts/bench-pod.sh                 # quick look
#   scripts/bench-pod.sh sidecar                           # into conmon, full run
#   LINES=200000 ROUNDS=1 scripts/bench-pod.sh sidecar     # quick look
#
# Knobs (env), pod: REPS (3), DURATION (10 s), CONNS (16), URL_PATH (/time),
# POD_CPU (0), LOAD_CPU (1), DRAIN_QUIET (5 s), DRAIN_TIMEOUT (120 s).
# sidecar: LINES (1000000), ROUNDS (5), TOOL_CPU (0), READER_CPU (1),
# RUN_TIMEOUT (300 s).
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$ROOT"

mode=${1:-pod}
case "$mode" in
  pod | sidecar) ;;
  *) echo "usage: $0 [pod|sidecar]" >&2; exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
  echo "bench-pod: podman runs rootful here: run as root" >&2
  exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
  echo "bench-pod: needs 2 CPUs to pin the pod and the load apart" >&2
  exit 1
fi
scripts/install-test-deps.sh --bench
test_path
exec cargo run --release --quiet -p e2e --bin bench-pod -- "$mode"
