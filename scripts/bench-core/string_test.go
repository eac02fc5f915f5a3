// The Go side of scripts/bench-core.sh: the same instant and zone as
// time-core/benches/format.rs, formatted by Go's time and encoding/json.
// Run with TZ=Europe/Moscow so that time.Local is the Moscow zone file, as
// in the Rust monotonic case. Standard library only.
package benchcore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"
)

type Time struct {
	Time     string `json:"time,omitempty"`
	NanoTime string `json:"nanoTime,omitempty"`
}

var (
	msk     = time.FixedZone("MSK", 3*3600)
	instant = time.Date(2018, 11, 12, 1, 12, 26, 123456789, msk)
	sink    string
)

// withMonotonic is the instant in time.Local carrying a monotonic reading:
// only time.Now() and what Add derives from it carry one.
func withMonotonic() time.Time {
	now := time.Now()
	return now.Add(instant.Sub(now))
}

func TestPrint(t *testing.T) {
	t.Logf("formats: %s", instant.String())
	t.Logf("formats: %s", withMonotonic().String())
}

func BenchmarkString(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = instant.String()
	}
}

func BenchmarkStringMonotonic(b *testing.B) {
	t := withMonotonic()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink = t.String()
	}
}

func BenchmarkRFC3339Nano(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = instant.Format(time.RFC3339Nano)
	}
}

func BenchmarkJSON(b *testing.B) {
	v := Time{Time: instant.String()}
	var buf bytes.Buffer
	for i := 0; i < b.N; i++ {
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(v)
	}
}

func BenchmarkNanoTimeJSON(b *testing.B) {
	var buf bytes.Buffer
	for i := 0; i < b.N; i++ {
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(Time{NanoTime: strconv.FormatInt(instant.UnixNano(), 10)})
	}
}

// The layouts of time-core/benches/format.rs's format/* and write_format/* rows.
var layouts = []struct{ name, layout string }{
	{"RFC1123", time.RFC1123},
	{"UnixDate", time.UnixDate},
	{"RFC3339", time.RFC3339},
	{"StampMicro", time.StampMicro},
	{"custom", "Monday, January _2 __2 3:04:05,999 pm -07:00:00"},
}

func TestPrintLayouts(t *testing.T) {
	for _, l := range layouts {
		t.Logf("formats: %s %s", l.name, instant.Format(l.layout))
	}
}

func BenchmarkFormat(b *testing.B) {
	for _, l := range layouts {
		b.Run(l.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sink = instant.Format(l.layout)
			}
		})
	}
}

// changing is the custom layout five ways, formatted in turn (as
// time-core/benches/layouts/mod.rs's CHANGING).
var changing = func() (l [5]string) {
	for k := range l {
		l[k] = fmt.Sprintf("Monday, January _2 __2 3:04:05,999 pm -07:00:00 (%d)", k+1)
	}
	return
}()

func BenchmarkFormatChanging(b *testing.B) {
	turn := 0
	for i := 0; i < b.N; i++ {
		turn = (turn + 1) % len(changing)
		sink = instant.Format(changing[turn])
	}
}

func BenchmarkAppendFormat(b *testing.B) {
	buf := make([]byte, 0, 64)
	for _, l := range layouts {
		b.Run(l.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				buf = instant.AppendFormat(buf[:0], l.layout)
			}
			sink = string(buf)
		})
	}
}
