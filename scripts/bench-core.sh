#!/usr/bin/env bash
# Benchmarks time-core's formatting against Go's, side by side in one run:
# the same instant (2018-11-12 01:12:26.123456789 +0300 MSK) and zone, and
# for Format(layout) the same layouts (four named ones and one custom, and
# the custom one five ways in turn: a layout not kept, read anew),
# Rust with criterion (time-core/benches/format.rs), Go with `go test
# -bench` (scripts/bench-core/string_test.go, Debian's Go 1.19, TZ set to
# Europe/Moscow so that time.Local is that zone file). Both are pinned with
# taskset to the same CPU and run alternately REPEATS times; the script
# prints every run's ns/op, the medians and the ratio Go/ours (above 1:
# we are faster). A benchmark, never a test.
#
# Times move with whatever else the machine runs. The script also counts
# the instructions of one Format(layout) call on each side (callgrind;
# time-core/benches/format_count.rs and Go's scripts/bench-core/count, each
# run with COUNT_CALLS calls and with none, the difference divided): a
# figure that does not move with the load.
#
#   scripts/bench-core.sh               # 5 rounds on CPU 1
#   REPEATS=3 BENCH_CPU=0 scripts/bench-core.sh
#   REPEATS=0 scripts/bench-core.sh     # instruction counts only
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$ROOT"
REPEATS="${REPEATS:-5}"
CPU="${BENCH_CPU:-1}"
# Go, taskset and valgrind.
scripts/install-test-deps.sh --bench
test_path

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "bench-core: building (cargo bench --no-run, go test -c)..." >&2
# cargo's own messages stay on stderr: a failed build says why (they were
# thrown away, and grep's empty answer then ended the script in silence).
bench_exe() {
  cargo bench -p time-core --bench "$1" --no-run --message-format=json |
    awk -F'"executable":"' 'NF > 1 { split($2, rest, "\""); exe = rest[1] } END { print exe }'
}
ours=$(bench_exe format)
ours_count=$(bench_exe format_count)
for exe in "$ours" "$ours_count"; do
  [[ -x "$exe" ]] || { echo "bench-core: could not find a criterion binary (format, format_count)" >&2; exit 1; }
done
go_build() { GO111MODULE=off GOPATH="$work/gopath" GOCACHE="$work/gocache" GOPROXY=off GOFLAGS='' CGO_ENABLED=0 go "$@"; }
(cd scripts/bench-core && go_build test -c -o "$work/bench-core.test" .)
(cd scripts/bench-core/count && go_build build -o "$work/count" .)

# criterion prints "name   time:   [low unit mid unit high unit]" (long names on the line above).
parse_ours() {
  awk '
    /^[^ ]/ && NF == 1 { name = $1 }
    /time:/ {
      if ($1 != "time:") name = $1
      s = $0; sub(/.*\[/, "", s); split(s, a, " ")
      v = a[3]; u = a[4]
      if (u == "ps") v /= 1000; else if (u == "µs" || u == "us") v *= 1000; else if (u == "ms") v *= 1000000
      printf "%s %.2f\n", name, v
    }'
}
# go test prints "BenchmarkString-2   1000000   1228 ns/op".
parse_go() {
  awk '/^Benchmark/ { n = $1; sub(/-[0-9]+$/, "", n); for (i = 2; i < NF; i++) if ($(i + 1) == "ns/op") print n, $i }'
}

for ((r = 1; r <= REPEATS; r++)); do
  echo "bench-core: round $r/$REPEATS on CPU $CPU" >&2
  taskset -c "$CPU" "$ours" --bench --warm-up-time 1 --measurement-time 3 --noplot \
    | tee "$work/ours.$r.log" | parse_ours >"$work/ours.$r.tsv"
  TZ=Europe/Moscow taskset -c "$CPU" "$work/bench-core.test" -test.run '^$' -test.bench . -test.benchtime 2s \
    | tee "$work/go.$r.log" | parse_go >"$work/go.$r.tsv"
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
values() { cat "$work/$1".*.tsv | awk -v n="$2" '$1 == n { print $2 }'; }

if (( REPEATS > 0 )); then
echo
echo "time-core vs $(go version | awk '{print $3}') on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), CPU $CPU, $REPEATS rounds"
sed -n 's/^formats:/  ours &/p' "$work"/ours.1.log
TZ=Europe/Moscow "$work/bench-core.test" -test.run 'TestPrint' -test.v | grep -o 'formats:.*' | sed 's/^/  go   /' || true
echo "  custom layout: Monday, January _2 __2 3:04:05,999 pm -07:00:00"
printf '\n%-44s %12s %12s %9s\n' "case (Go benchmark / ours)" "Go ns/op" "ours ns/op" "Go/ours"
while read -r label gob rb; do
  g="$(values go "$gob" | median)"
  o="$(values ours "$rb" | median)"
  printf "%-44s %12s %12s %8.1fx\n" "${label//_/ }" "$g" "$o" "$(awk -v g="$g" -v o="$o" 'BEGIN { print g / o }')"
  echo "    runs: Go $(values go "$gob" | xargs) | ours $(values ours "$rb" | xargs)"
done <<'CASES'
String()_(ours_into_a_reused_String) BenchmarkString write_go_string
String()_(ours_to_string) BenchmarkString to_string
String()_monotonic,_Local=Europe/Moscow BenchmarkStringMonotonic zone_at+write_go_string+monotonic
Format(RFC3339Nano) BenchmarkRFC3339Nano rfc3339_nano
/time_body_(json.Encoder) BenchmarkJSON to_go_json
/nanotime_body_(UnixNano+json.Encoder) BenchmarkNanoTimeJSON nanotime_body
Format(RFC1123) BenchmarkFormat/RFC1123 format/RFC1123
Format(UnixDate) BenchmarkFormat/UnixDate format/UnixDate
Format(RFC3339) BenchmarkFormat/RFC3339 format/RFC3339
Format(StampMicro) BenchmarkFormat/StampMicro format/StampMicro
Format(custom) BenchmarkFormat/custom format/custom
Format(custom),_a_new_layout_each_call BenchmarkFormatChanging format/custom-changing
AppendFormat(RFC1123)_/_write_format BenchmarkAppendFormat/RFC1123 write_format/RFC1123
AppendFormat(UnixDate)_/_write_format BenchmarkAppendFormat/UnixDate write_format/UnixDate
AppendFormat(RFC3339)_/_write_format BenchmarkAppendFormat/RFC3339 write_format/RFC3339
AppendFormat(StampMicro)_/_write_format BenchmarkAppendFormat/StampMicro write_format/StampMicro
AppendFormat(custom)_/_write_format BenchmarkAppendFormat/custom write_format/custom
CASES
echo
echo "ours only (no Go counterpart: Go caches the zone of 'now' at load time):"
for rb in zone_at/table zone_at/footer_rule; do
  printf '  %-42s %12s ns/op   runs: %s\n' "$rb" "$(values ours "$rb" | median)" "$(values ours "$rb" | xargs)"
done
fi

COUNT_CALLS="${COUNT_CALLS:-20000}"
# callgrind's total for one run; Go needs asynchronous preemption off (its
# signals crash valgrind) and one P.
instructions() {
  GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null \
    | awk '/Collected :/ { print $NF }'
}
echo
echo "instructions per Format(layout) call (callgrind, $COUNT_CALLS calls less 0 calls; Go AppendFormat / ours write_format, both into a reused buffer)"
printf '%-15s %14s %14s %9s\n' layout "Go instr/op" "ours instr/op" "Go/ours"
for layout in RFC1123 UnixDate RFC3339 StampMicro custom custom-changing; do
  g="$(( ($(instructions "$work/count" "$layout" "$COUNT_CALLS") - $(instructions "$work/count" "$layout" 0)) / COUNT_CALLS ))"
  o="$(( ($(instructions "$ours_count" "$layout" "$COUNT_CALLS") - $(instructions "$ours_count" "$layout" 0)) / COUNT_CALLS ))"
  printf '%-15s %14s %14s %8.2fx\n' "$layout" "$g" "$o" "$(awk -v g="$g" -v o="$o" 'BEGIN { print g / o }')"
done
