//! Finding the elements of a layout: Go's `nextStdChunk`
//! (`src/time/format.go`), case for case and in the same order, because
//! the order is the language: `1` is a month unless it starts `15`, `Jan`
//! is a month unless a lower-case letter follows, a run of `0`s or `9`s
//! after `.` or `,` is a fraction only when no digit follows it.
//!
//! [`next_element`] is `nextStdChunk`: Go's `AppendFormat` calls it on the
//! rest of the layout after each element, and so do the formatter (a
//! layout read as it is formatted) and the compiler of layouts into steps
//! (`compiled.rs`), which runs it at compile time on Go's named layouts.
//! Hence a `const fn`. A table says which bytes may begin an element, so
//! that text costs one load and one test a byte.

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

/// An element found in a layout: where it starts, what it is and how many
/// bytes of the layout it takes. Its first byte is a fraction's separator,
/// its length less one the number of digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Element {
    pub at: usize,
    pub std: Std,
    pub len: usize,
}

/// Go's `nextStdChunk`: the first element of `layout` at or after `from`,
/// or `None` when the rest is text. The text before it, `from..at`, ends
/// before an ASCII byte, so at a character boundary.
#[inline(always)]
pub(super) const fn next_element(layout: &[u8], from: usize) -> Option<Element> {
    let mut i = from;
    while i < layout.len() {
        let c = layout[i];
        // Most text: one load and one test a byte.
        if !MAY_START_ELEMENT[c as usize] {
            i += 1;
            continue;
        }
        let rest = layout.split_at(i + 1).1;
        let found = match c {
            // January, Jan ("Jan" only when no lower-case letter follows).
            b'J' => match rest {
                [b'a', b'n', b'u', b'a', b'r', b'y', ..] => Some((Std::LongMonth, 7)),
                [b'a', b'n', b'a'..=b'z', ..] => None,
                [b'a', b'n', ..] => Some((Std::Month, 3)),
                _ => None,
            },
            // Monday, Mon, MST
            b'M' => match rest {
                [b'o', b'n', b'd', b'a', b'y', ..] => Some((Std::LongWeekDay, 6)),
                [b'o', b'n', b'a'..=b'z', ..] => None,
                [b'o', b'n', ..] => Some((Std::WeekDay, 3)),
                [b'S', b'T', ..] => Some((Std::ZoneName, 3)),
                _ => None,
            },
            // 01, 02, 03, 04, 05, 06 (Go's std0x), 002
            b'0' => match rest {
                [b'1', ..] => Some((Std::ZeroMonth, 2)),
                [b'2', ..] => Some((Std::ZeroDay, 2)),
                [b'3', ..] => Some((Std::ZeroHour12, 2)),
                [b'4', ..] => Some((Std::ZeroMinute, 2)),
                [b'5', ..] => Some((Std::ZeroSecond, 2)),
                [b'6', ..] => Some((Std::Year, 2)),
                [b'0', b'2', ..] => Some((Std::ZeroYearDay, 3)),
                _ => None,
            },
            // 15, 1
            b'1' => match rest {
                [b'5', ..] => Some((Std::Hour, 2)),
                _ => Some((Std::NumMonth, 1)),
            },
            // 2006, 2
            b'2' => match rest {
                [b'0', b'0', b'6', ..] => Some((Std::LongYear, 4)),
                _ => Some((Std::Day, 1)),
            },
            // "_2006 is really a literal _, followed by stdLongYear"; _2, __2
            b'_' => match rest {
                [b'2', b'0', b'0', b'6', ..] => {
                    // The '_' is text before the year.
                    return Some(Element {
                        at: i + 1,
                        std: Std::LongYear,
                        len: 4,
                    });
                }
                [b'2', ..] => Some((Std::UnderDay, 2)),
                [b'_', b'2', ..] => Some((Std::UnderYearDay, 3)),
                _ => None,
            },
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' => match rest {
                [b'M', ..] => Some((Std::UpperPm, 2)),
                _ => None,
            },
            b'p' => match rest {
                [b'm', ..] => Some((Std::LowerPm, 2)),
                _ => None,
            },
            // -070000, -07:00:00, -0700, -07:00, -07
            b'-' => match rest {
                [b'0', b'7', b'0', b'0', b'0', b'0', ..] => Some((Std::NumSeconds, 7)),
                [b'0', b'7', b':', b'0', b'0', b':', b'0', b'0', ..] => {
                    Some((Std::NumColonSeconds, 9))
                }
                [b'0', b'7', b'0', b'0', ..] => Some((Std::Num, 5)),
                [b'0', b'7', b':', b'0', b'0', ..] => Some((Std::NumColon, 6)),
                [b'0', b'7', ..] => Some((Std::NumShort, 3)),
                _ => None,
            },
            // Z070000, Z07:00:00, Z0700, Z07:00, Z07
            b'Z' => match rest {
                [b'0', b'7', b'0', b'0', b'0', b'0', ..] => Some((Std::Iso8601Seconds, 7)),
                [b'0', b'7', b':', b'0', b'0', b':', b'0', b'0', ..] => {
                    Some((Std::Iso8601ColonSeconds, 9))
                }
                [b'0', b'7', b'0', b'0', ..] => Some((Std::Iso8601, 5)),
                [b'0', b'7', b':', b'0', b'0', ..] => Some((Std::Iso8601Colon, 6)),
                [b'0', b'7', ..] => Some((Std::Iso8601Short, 3)),
                _ => None,
            },
            // ,000, or .000, or ,999, or .999 - repeated digits for
            // fractional seconds.
            b'.' | b',' => match rest {
                [ch @ (b'0' | b'9'), ..] => {
                    let mut run = 1;
                    while run < rest.len() && rest[run] == *ch {
                        run += 1;
                    }
                    // "String of digits must end here - only fractional
                    // second is all digits."
                    if run < rest.len() && rest[run].is_ascii_digit() {
                        None
                    } else if *ch == b'0' {
                        Some((Std::Fraction0, 1 + run))
                    } else {
                        Some((Std::Fraction9, 1 + run))
                    }
                }
                _ => None,
            },
            _ => None,
        };
        if let Some((std, len)) = found {
            return Some(Element { at: i, std, len });
        }
        // Not an element after all: the byte is text.
        i += 1;
    }
    None
}
