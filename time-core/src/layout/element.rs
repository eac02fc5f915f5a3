//! Finding the elements of a layout: Go's `nextStdChunk`
//! (`src/time/format.go`), case for case and in the same order, because
//! the order is the language: `1` is a month unless it starts `15`, `Jan`
//! is a month unless a lower-case letter follows, a run of `0`s or `9`s
//! after `.` or `,` is a fraction only when no digit follows it.
//!
//! Go's `AppendFormat` calls `nextStdChunk` on the rest of the layout
//! after each element, which finds the same elements as one pass over it.
//! [`scan`] is that pass: each byte is text or starts an element, and the
//! [`Sink`] hears of each, in order: text in runs, as long as they go. A
//! table says which bytes may begin an element, so that text costs one
//! load and one test a byte, and each arm names its element as a
//! constant, so that once the formatter's sink is inlined, no second
//! dispatch on the element remains.

/// One element of a layout, Go's `std*` constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Std {
    LongMonth,           // "January"
    Month,               // "Jan"
    NumMonth,            // "1"
    ZeroMonth,           // "01"
    LongWeekDay,         // "Monday"
    WeekDay,             // "Mon"
    Day,                 // "2"
    UnderDay,            // "_2"
    ZeroDay,             // "02"
    UnderYearDay,        // "__2"
    ZeroYearDay,         // "002"
    Hour,                // "15"
    Hour12,              // "3"
    ZeroHour12,          // "03"
    Minute,              // "4"
    ZeroMinute,          // "04"
    Second,              // "5"
    ZeroSecond,          // "05"
    LongYear,            // "2006"
    Year,                // "06"
    UpperPm,             // "PM"
    LowerPm,             // "pm"
    ZoneName,            // "MST"
    Iso8601,             // "Z0700"
    Iso8601Seconds,      // "Z070000"
    Iso8601Short,        // "Z07"
    Iso8601Colon,        // "Z07:00"
    Iso8601ColonSeconds, // "Z07:00:00"
    Num,                 // "-0700"
    NumSeconds,          // "-070000"
    NumShort,            // "-07"
    NumColon,            // "-07:00"
    NumColonSeconds,     // "-07:00:00"
    /// ".000" or ",000": Go's stdFracSecond0; the separator and the
    /// number of digits are read off the layout.
    Fraction0,
    /// ".999" or ",999": stdFracSecond9.
    Fraction9,
}

/// The bytes that can start an element: every other byte, those of
/// characters beyond ASCII included, is text.
const MAY_START_ELEMENT: [bool; 256] = {
    let mut table = [false; 256];
    let starts = b"JM0123_45Pp-Z.,";
    let mut k = 0;
    while k < starts.len() {
        table[starts[k] as usize] = true;
        k += 1;
    }
    table
};

/// What [`scan`] finds, in layout order.
pub(super) trait Sink {
    /// The text after the last element, echoed as it is: whole
    /// characters of the layout's UTF-8.
    fn text(&mut self, text: &[u8]);
    /// The text before an element (as for [`Sink::text`], perhaps empty),
    /// then the element, with its first byte and length in the layout (a
    /// fraction's separator and number of digits).
    fn element(&mut self, text: &[u8], std: Std, first: u8, len: usize);
}

/// Go's `nextStdChunk` over the whole layout. Inlined into the formatter,
/// so that the output's length stays in a register.
#[inline(always)]
pub(super) fn scan(layout: &str, sink: &mut impl Sink) {
    let layout = layout.as_bytes();
    // The text not yet handed on starts at `start`; `i` looks for the
    // next element. Text ends before an ASCII byte that starts an
    // element, so at a character boundary.
    let mut start = 0;
    let mut i = 0;
    loop {
        // Most text: one load and one test a byte.
        while let Some(&c) = layout.get(i) {
            if MAY_START_ELEMENT[usize::from(c)] {
                break;
            }
            i += 1;
        }
        let Some(&c) = layout.get(i) else {
            break;
        };
        let rest = &layout[i + 1..];
        // Hands the text before it and an element of `len` bytes to the
        // sink, and moves past them.
        macro_rules! element {
            ($std:expr, $len:expr) => {
                element!($std, $len, c)
            };
            ($std:expr, $len:expr, $first:expr) => {{
                sink.element(&layout[start..i], $std, $first, $len);
                i += $len;
                start = i;
                continue;
            }};
        }
        match c {
            // January, Jan ("Jan" only when no lower-case letter follows).
            b'J' => match rest {
                [b'a', b'n', b'u', b'a', b'r', b'y', ..] => element!(Std::LongMonth, 7),
                [b'a', b'n', b'a'..=b'z', ..] => {}
                [b'a', b'n', ..] => element!(Std::Month, 3),
                _ => {}
            },
            // Monday, Mon, MST
            b'M' => match rest {
                [b'o', b'n', b'd', b'a', b'y', ..] => element!(Std::LongWeekDay, 6),
                [b'o', b'n', b'a'..=b'z', ..] => {}
                [b'o', b'n', ..] => element!(Std::WeekDay, 3),
                [b'S', b'T', ..] => element!(Std::ZoneName, 3),
                _ => {}
            },
            // 01, 02, 03, 04, 05, 06 (Go's std0x), 002
            b'0' => match rest {
                [b'1', ..] => element!(Std::ZeroMonth, 2),
                [b'2', ..] => element!(Std::ZeroDay, 2),
                [b'3', ..] => element!(Std::ZeroHour12, 2),
                [b'4', ..] => element!(Std::ZeroMinute, 2),
                [b'5', ..] => element!(Std::ZeroSecond, 2),
                [b'6', ..] => element!(Std::Year, 2),
                [b'0', b'2', ..] => element!(Std::ZeroYearDay, 3),
                _ => {}
            },
            // 15, 1
            b'1' => match rest {
                [b'5', ..] => element!(Std::Hour, 2),
                _ => element!(Std::NumMonth, 1),
            },
            // 2006, 2
            b'2' => match rest {
                [b'0', b'0', b'6', ..] => element!(Std::LongYear, 4),
                _ => element!(Std::Day, 1),
            },
            // "_2006 is really a literal _, followed by stdLongYear"; _2, __2
            b'_' => match rest {
                [b'2', b'0', b'0', b'6', ..] => {
                    // The '_' joins the text before the year.
                    i += 1;
                    element!(Std::LongYear, 4, b'2')
                }
                [b'2', ..] => element!(Std::UnderDay, 2),
                [b'_', b'2', ..] => element!(Std::UnderYearDay, 3),
                _ => {}
            },
            b'3' => element!(Std::Hour12, 1),
            b'4' => element!(Std::Minute, 1),
            b'5' => element!(Std::Second, 1),
            b'P' if rest.first() == Some(&b'M') => element!(Std::UpperPm, 2),
            b'p' if rest.first() == Some(&b'm') => element!(Std::LowerPm, 2),
            // -070000, -07:00:00, -0700, -07:00, -07
            b'-' => match rest {
                [b'0', b'7', b'0', b'0', b'0', b'0', ..] => element!(Std::NumSeconds, 7),
                [b'0', b'7', b':', b'0', b'0', b':', b'0', b'0', ..] => {
                    element!(Std::NumColonSeconds, 9)
                }
                [b'0', b'7', b'0', b'0', ..] => element!(Std::Num, 5),
                [b'0', b'7', b':', b'0', b'0', ..] => element!(Std::NumColon, 6),
                [b'0', b'7', ..] => element!(Std::NumShort, 3),
                _ => {}
            },
            // Z070000, Z07:00:00, Z0700, Z07:00, Z07
            b'Z' => match rest {
                [b'0', b'7', b'0', b'0', b'0', b'0', ..] => element!(Std::Iso8601Seconds, 7),
                [b'0', b'7', b':', b'0', b'0', b':', b'0', b'0', ..] => {
                    element!(Std::Iso8601ColonSeconds, 9)
                }
                [b'0', b'7', b'0', b'0', ..] => element!(Std::Iso8601, 5),
                [b'0', b'7', b':', b'0', b'0', ..] => element!(Std::Iso8601Colon, 6),
                [b'0', b'7', ..] => element!(Std::Iso8601Short, 3),
                _ => {}
            },
            // ,000, or .000, or ,999, or .999 - repeated digits for
            // fractional seconds.
            b'.' | b',' => {
                if let [ch @ (b'0' | b'9'), ..] = rest {
                    let run = rest.iter().take_while(|&b| b == ch).count();
                    // "String of digits must end here - only fractional
                    // second is all digits."
                    if !rest.get(run).is_some_and(u8::is_ascii_digit) {
                        if *ch == b'0' {
                            element!(Std::Fraction0, 1 + run)
                        } else {
                            element!(Std::Fraction9, 1 + run)
                        }
                    }
                }
            }
            _ => {}
        }
        // Not an element after all: the byte is text.
        i += 1;
    }
    if start < layout.len() {
        sink.text(&layout[start..]);
    }
}
