// The Go side of scripts/bench-core.sh's instruction counts: AppendFormat
// into a reused slice, in a loop, for callgrind: `count <layout name>
// <calls>`. The instant, zone and layouts are those of string_test.go and
// time-core/benches/layouts/mod.rs; custom-changing formats the custom
// layout five ways in turn (string_test.go's changing). Standard library
// only.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

var layouts = map[string]string{
	"RFC1123":    time.RFC1123,
	"UnixDate":   time.UnixDate,
	"RFC3339":    time.RFC3339,
	"StampMicro": time.StampMicro,
	"custom":     "Monday, January _2 __2 3:04:05,999 pm -07:00:00",
}

func main() {
	const usage = "usage: count <RFC1123|UnixDate|RFC3339|StampMicro|custom|custom-changing> <calls>"
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	var turns []string
	if os.Args[1] == "custom-changing" {
		for k := 1; k <= 5; k++ {
			turns = append(turns, fmt.Sprintf("%s (%d)", layouts["custom"], k))
		}
	} else if layout, ok := layouts[os.Args[1]]; ok {
		turns = []string{layout}
	}
	calls, err := strconv.Atoi(os.Args[2])
	if turns == nil || err != nil {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	t := time.Date(2018, 11, 12, 1, 12, 26, 123456789, time.FixedZone("MSK", 3*3600))
	buf := make([]byte, 0, 64)
	for i := 0; i < calls; i++ {
		buf = t.AppendFormat(buf[:0], turns[i%len(turns)])
	}
	fmt.Println(string(buf))
}
