// timediff answers time-core's differential tests with the real Go time
// and encoding/json packages. One process per test: it reads one request
// per line on stdin and writes one answer line per request on stdout.
// Strings travel hex-encoded so that empty names, spaces and control
// characters survive the line protocol. Standard library only.
//
// Modes (first argument):
//
//	format:  "secs nanos offset nameHex"  -> "String()\tUnixNano()\tFormat(RFC3339Nano)"
//	mono:    "d"                          -> "unix nanos offset nameHex\tString()" of time.Now().Add(d)
//	json:    "timeHex nanoTimeHex"        -> json.NewEncoder(os.Stdout).Encode(Time{...}) (its own newline)
//	zone:    "name secs nanos"            -> time.Unix(secs, nanos).In(time.LoadLocation(name)).String()
//	tzdata:  "tzifHex secs..."            -> "ERR" or the String() of each instant, tab-separated
//	local:   "secs"                       -> "time.Local.String()\ttime.Unix(secs, 0).String()" (zone from $TZ)
//	layout:  "secs nanos offset nameHex layoutHex" -> hex of Format(layout) ("-" if empty)
//	load:    "nameHex secs..."            -> "ERR\terror" or "loc.String()\tString() of each instant" (time.LoadLocation; $ZONEINFO, $TZ)
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Time is the chapter's response struct, verbatim.
type Time struct {
	Time     string `json:"time,omitempty"`
	NanoTime string `json:"nanoTime,omitempty"`
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: timediff format|mono|json|zone|tzdata|local|layout|load")
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer out.Flush()
	enc := json.NewEncoder(out)
	locs := map[string]*time.Location{}
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch os.Args[1] {
		case "format":
			t := time.Unix(num(f[0]), num(f[1])).In(time.FixedZone(unhex(f[3]), int(num(f[2]))))
			fmt.Fprintf(out, "%s\t%d\t%s\n", t.String(), t.UnixNano(), t.Format(time.RFC3339Nano))
		case "mono":
			t := time.Now().Add(time.Duration(num(f[0])))
			name, offset := t.Zone()
			fmt.Fprintf(out, "%d %d %d %s\t%s\n", t.Unix(), t.Nanosecond(), offset, hex.EncodeToString([]byte(name)), t.String())
		case "json":
			v := Time{Time: unhex(field(f, 0)), NanoTime: unhex(field(f, 1))}
			if err := enc.Encode(v); err != nil {
				fail(err.Error())
			}
		case "zone":
			loc, ok := locs[f[0]]
			if !ok {
				var err error
				if loc, err = time.LoadLocation(f[0]); err != nil {
					fail(err.Error())
				}
				locs[f[0]] = loc
			}
			fmt.Fprintln(out, time.Unix(num(f[1]), num(f[2])).In(loc).String())
		case "tzdata":
			loc, err := time.LoadLocationFromTZData("X", []byte(unhex(f[0])))
			if err != nil {
				fmt.Fprintln(out, "ERR")
				continue
			}
			s := make([]string, 0, len(f)-1)
			for _, sec := range f[1:] {
				s = append(s, time.Unix(num(sec), 0).In(loc).String())
			}
			fmt.Fprintln(out, strings.Join(s, "\t"))
		case "layout":
			t := time.Unix(num(f[0]), num(f[1])).In(time.FixedZone(unhex(f[3]), int(num(f[2]))))
			fmt.Fprintln(out, hexOrDash(t.Format(unhex(f[4]))))
		case "load":
			loc, err := time.LoadLocation(unhex(f[0]))
			if err != nil {
				fmt.Fprintf(out, "ERR\t%v\n", err)
				continue
			}
			s := []string{loc.String()}
			for _, sec := range f[1:] {
				s = append(s, time.Unix(num(sec), 0).In(loc).String())
			}
			fmt.Fprintln(out, strings.Join(s, "\t"))
		case "local":
			fmt.Fprintf(out, "%s\t%s\n", time.Local.String(), time.Unix(num(f[0]), 0).String())
		default:
			fail("unknown mode " + os.Args[1])
		}
	}
	if err := in.Err(); err != nil {
		fail(err.Error())
	}
}

func field(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

func hexOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return hex.EncodeToString([]byte(s))
}

func num(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		fail(err.Error())
	}
	return n
}

func unhex(s string) string {
	if s == "-" {
		return ""
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		fail(err.Error())
	}
	return string(b)
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "timediff:", msg)
	os.Exit(2)
}
