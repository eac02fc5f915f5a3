//! Finding the elements of a layout: Go's `nextStdChunk`
//! (`src/time/format.go`), case for case and in the same order, because
//! the order is the language: `1` is a month unless it starts `15`, `Jan`
//! is a month unless a lower-case letter follows, a run of `0`s or `9`s
//! after `.` or `,` is a fraction only when no digit follows it.

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

/// Go's `std0x`: the elements "01" to "06".
const STD_0X: [Std; 6] = [
    Std::ZeroMonth,
    Std::ZeroDay,
    Std::ZeroHour12,
    Std::ZeroMinute,
    Std::ZeroSecond,
    Std::Year,
];

/// The bytes that can start an element; any other byte is text, skipped
/// without a look at what follows it.
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

/// The element of Go's `nextStdChunk` that starts at `layout[i]`, as (the
/// element, where it starts, where the text after it starts), or `None`
/// when `layout[i]` is text. Go's `nextStdChunk` is this, tried at each
/// byte in turn; the arms are its `case`s, their tests in Go's order. Only
/// ASCII bytes start or end an element, so both offsets are `char`
/// boundaries.
#[inline(always)]
pub(super) fn element_at(layout: &[u8], i: usize) -> Option<(Std, usize, usize)> {
    let c = layout[i];
    let rest = &layout[i + 1..];
    let (std, len) = match c {
        // January, Jan ("Jan" only when no lower-case letter follows).
        b'J' => match rest {
            [b'a', b'n', b'u', b'a', b'r', b'y', ..] => (Std::LongMonth, 7),
            [b'a', b'n', b'a'..=b'z', ..] => return None,
            [b'a', b'n', ..] => (Std::Month, 3),
            _ => return None,
        },
        // Monday, Mon, MST
        b'M' => match rest {
            [b'o', b'n', b'd', b'a', b'y', ..] => (Std::LongWeekDay, 6),
            [b'o', b'n', b'a'..=b'z', ..] => return None,
            [b'o', b'n', ..] => (Std::WeekDay, 3),
            [b'S', b'T', ..] => (Std::ZoneName, 3),
            _ => return None,
        },
        // 01, 02, 03, 04, 05, 06, 002
        b'0' => match rest {
            [d @ b'1'..=b'6', ..] => (STD_0X[usize::from(d - b'1')], 2),
            [b'0', b'2', ..] => (Std::ZeroYearDay, 3),
            _ => return None,
        },
        // 15, 1
        b'1' => match rest {
            [b'5', ..] => (Std::Hour, 2),
            _ => (Std::NumMonth, 1),
        },
        // 2006, 2
        b'2' => match rest {
            [b'0', b'0', b'6', ..] => (Std::LongYear, 4),
            _ => (Std::Day, 1),
        },
        // "_2006 is really a literal _, followed by stdLongYear"; _2, __2
        b'_' => match rest {
            [b'2', b'0', b'0', b'6', ..] => return Some((Std::LongYear, i + 1, i + 5)),
            [b'2', ..] => (Std::UnderDay, 2),
            [b'_', b'2', ..] => (Std::UnderYearDay, 3),
            _ => return None,
        },
        b'3' => (Std::Hour12, 1),
        b'4' => (Std::Minute, 1),
        b'5' => (Std::Second, 1),
        b'P' if rest.first() == Some(&b'M') => (Std::UpperPm, 2),
        b'p' if rest.first() == Some(&b'm') => (Std::LowerPm, 2),
        // -070000, -07:00:00, -0700, -07:00, -07 and the same with Z for
        // the sign (Z070000, ...).
        b'-' | b'Z' => {
            let [b'0', b'7', rest @ ..] = rest else {
                return None;
            };
            let form = match rest {
                [b'0', b'0', b'0', b'0', ..] => 0,
                [b':', b'0', b'0', b':', b'0', b'0', ..] => 1,
                [b'0', b'0', ..] => 2,
                [b':', b'0', b'0', ..] => 3,
                _ => 4,
            };
            const NUM: [(Std, usize); 5] = [
                (Std::NumSeconds, 7),
                (Std::NumColonSeconds, 9),
                (Std::Num, 5),
                (Std::NumColon, 6),
                (Std::NumShort, 3),
            ];
            const ISO: [(Std, usize); 5] = [
                (Std::Iso8601Seconds, 7),
                (Std::Iso8601ColonSeconds, 9),
                (Std::Iso8601, 5),
                (Std::Iso8601Colon, 6),
                (Std::Iso8601Short, 3),
            ];
            if c == b'-' {
                NUM[form]
            } else {
                ISO[form]
            }
        }
        // ,000, or .000, or ,999, or .999 - repeated digits for fractional
        // seconds.
        b'.' | b',' => {
            let Some(&ch @ (b'0' | b'9')) = rest.first() else {
                return None;
            };
            let run = rest.iter().take_while(|&&b| b == ch).count();
            // "String of digits must end here - only fractional second is
            // all digits."
            if rest.get(run).is_some_and(u8::is_ascii_digit) {
                return None;
            }
            let std = if ch == b'0' {
                Std::Fraction0
            } else {
                Std::Fraction9
            };
            (std, 1 + run)
        }
        _ => return None,
    };
    Some((std, i, i + len))
}

/// Text and the element after it: `text..start` is text, `start..end` the
/// element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Chunk {
    pub text: usize,
    pub start: usize,
    pub end: usize,
    pub std: Std,
}

/// Calls `f` for each element of `layout` in order, and returns where the
/// text after the last one starts. One pass: Go's `nextStdChunk` rescans
/// the rest of the layout from where the last element ended, which comes
/// to the same.
#[inline(always)]
pub(super) fn each_element(layout: &[u8], mut f: impl FnMut(Chunk)) -> usize {
    let (mut i, mut text) = (0, 0);
    while i < layout.len() {
        if !MAY_START_ELEMENT[usize::from(layout[i])] {
            i += 1;
            continue;
        }
        let Some((std, start, end)) = element_at(layout, i) else {
            i += 1;
            continue;
        };
        f(Chunk {
            text,
            start,
            end,
            std,
        });
        (i, text) = (end, end);
    }
    text
}
