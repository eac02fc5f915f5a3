#!/usr/bin/env bash
# Measures README's "time to the first green run": clones the committed
# HEAD into a new directory (so an empty target/ and no .venv), runs
# README's test command there, and prints the wall time with the machine's
# load average before and after (on a shared machine the figure means
# little without it). The clone is removed afterwards; its log is kept in
# target/first-run.log.
#
#   scripts/time-first-run.sh
#
# What it cannot make fresh: the Debian packages already on this machine
# and cargo's download cache (~/.cargo/registry). The packages' install
# time on a fresh machine is what scripts/check-fresh-install.sh measures;
# CI=true here would add that check itself to the run.
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

say() { echo "time-first-run: $*" >&2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/time-service-first-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
git clone -q "$ROOT" "$work/repo"
log=${CARGO_TARGET_DIR:-$ROOT/target}/first-run.log
mkdir -p "$(dirname "$log")"
say "running scripts/test.sh in a fresh clone of $(git -C "$ROOT" rev-parse --short HEAD) ($work/repo); log: $log"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# The 1-minute load average every 30 s while the run lasts.
while sleep 30; do cut -d' ' -f1 /proc/loadavg; done >"$work/load" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true; rm -rf "$work"' EXIT
started=$(date +%s)
status=0
# Nothing of this checkout's build or venv may leak into the clone's run.
(cd "$work/repo" && env -u CARGO_TARGET_DIR -u TIME_SERVICE_VENV -u TIME_SERVICE_BIN_DIR \
  -u STATIC_TARGET_DIR scripts/test.sh) >"$log" 2>&1 || status=$?
took=$(($(date +%s) - started))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
load_mean=$(awk '{ s += $1; n++ } END { if (n) printf "%.1f", s / n; else print "?" }' "$work/load")

if [ "$status" != 0 ]; then
  tail -n 30 "$log" >&2
  say "FAILED (exit $status) after $((took / 60)) min $((took % 60)) s"
  exit 1
fi
echo "first green run from a fresh clone: $((took / 60)) min $((took % 60)) s" \
  "on $(nproc) cores; load average before $load_before, during (mean of the 1-min) $load_mean, after $load_after"
