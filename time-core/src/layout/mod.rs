//! Go's `Time.Format(layout)`: the reference-time layout language of Go
//! 1.19, byte for byte, and Go's named layouts.
//!
//! A layout is the reference time `Mon Jan 2 15:04:05 MST 2006` written
//! the way the output should look: Go finds each element of it and echoes
//! everything else (`element.rs` is Go's `nextStdChunk`). What Go prints for
//! each element (`AppendFormat`) is quoted at each arm below, including
//! the oddities: years outside 0..9999 (`-0001`, `10000`; `06` is the last
//! two digits of the year's absolute value), a sub-minute negative offset
//! (`-07:00:00` prints `+00:00:-30` for -30 s), a fraction of more than
//! nine digits (nine) and one of 4096 (Go keeps the length in 12 bits:
//! none).
//!
//! Go reads the layout anew at every call, and finding its elements was
//! most of the work. Here a layout is read once into steps (`compiled.rs`):
//! Go's named layouts at compile time, each formatted by code of its own;
//! others once per thread, kept for the next call; a layout too long to
//! keep is formatted as it is read. Nothing is allocated but the output,
//! and [`GoTime::write_format`] appends to a buffer the caller reuses.
//!
//! ```
//! use time_core::{layout, FixedZone, GoTime, Timestamp};
//! let t = GoTime::new(Timestamp::new(1_541_974_346, 0)?, FixedZone::new("MSK", 10_800)?);
//! assert_eq!(t.format(layout::RFC822), "12 Nov 18 01:12 MSK");
//! assert_eq!(t.format("Monday, 2 January 2006, 3:04 pm (-07:00)"), "Monday, 12 November 2018, 1:12 am (+03:00)");
//! # Ok::<(), time_core::Error>(())
//! ```

mod compiled;
mod element;
mod out;

use compiled::{with_compiled, Compiled, Step};
use element::{next_element, Std};
use out::{Out, OutStorage, WINDOW};

use crate::civil::Civil;
use crate::text_buf::TextBuf;
use crate::GoTime;

/// `"01/02 03:04:05PM '06 -0700"`: Go's `time.Layout`, the reference time
/// in numerical order.
pub const LAYOUT: &str = "01/02 03:04:05PM '06 -0700";
/// `"Mon Jan _2 15:04:05 2006"`: Go's `time.ANSIC`.
pub const ANSIC: &str = "Mon Jan _2 15:04:05 2006";
/// `"Mon Jan _2 15:04:05 MST 2006"`: Go's `time.UnixDate`.
pub const UNIX_DATE: &str = "Mon Jan _2 15:04:05 MST 2006";
/// `"Mon Jan 02 15:04:05 -0700 2006"`: Go's `time.RubyDate`.
pub const RUBY_DATE: &str = "Mon Jan 02 15:04:05 -0700 2006";
/// `"02 Jan 06 15:04 MST"`: Go's `time.RFC822`.
pub const RFC822: &str = "02 Jan 06 15:04 MST";
/// `"02 Jan 06 15:04 -0700"`: Go's `time.RFC822Z`, RFC 822 with a numeric zone.
pub const RFC822Z: &str = "02 Jan 06 15:04 -0700";
/// `"Monday, 02-Jan-06 15:04:05 MST"`: Go's `time.RFC850`.
pub const RFC850: &str = "Monday, 02-Jan-06 15:04:05 MST";
/// `"Mon, 02 Jan 2006 15:04:05 MST"`: Go's `time.RFC1123`.
pub const RFC1123: &str = "Mon, 02 Jan 2006 15:04:05 MST";
/// `"Mon, 02 Jan 2006 15:04:05 -0700"`: Go's `time.RFC1123Z`, RFC 1123
/// with a numeric zone.
pub const RFC1123Z: &str = "Mon, 02 Jan 2006 15:04:05 -0700";
/// `"2006-01-02T15:04:05Z07:00"`: Go's `time.RFC3339`.
pub const RFC3339: &str = "2006-01-02T15:04:05Z07:00";
/// `"2006-01-02T15:04:05.999999999Z07:00"`: Go's `time.RFC3339Nano`
/// (trailing zeros of the fraction removed).
pub const RFC3339_NANO: &str = "2006-01-02T15:04:05.999999999Z07:00";
/// `"3:04PM"`: Go's `time.Kitchen`.
pub const KITCHEN: &str = "3:04PM";
/// `"Jan _2 15:04:05"`: Go's `time.Stamp`.
pub const STAMP: &str = "Jan _2 15:04:05";
/// `"Jan _2 15:04:05.000"`: Go's `time.StampMilli`.
pub const STAMP_MILLI: &str = "Jan _2 15:04:05.000";
/// `"Jan _2 15:04:05.000000"`: Go's `time.StampMicro`.
pub const STAMP_MICRO: &str = "Jan _2 15:04:05.000000";
/// `"Jan _2 15:04:05.000000000"`: Go's `time.StampNano`.
pub const STAMP_NANO: &str = "Jan _2 15:04:05.000000000";
/// `"2006-01-02 15:04:05"`: Go 1.20's `time.DateTime`, for code ported
/// from newer Go (1.19 formats it the same way).
pub const DATE_TIME: &str = "2006-01-02 15:04:05";
/// `"2006-01-02"`: Go 1.20's `time.DateOnly`.
pub const DATE_ONLY: &str = "2006-01-02";
/// `"15:04:05"`: Go 1.20's `time.TimeOnly`.
pub const TIME_ONLY: &str = "15:04:05";

/// Go's named layouts, read at compile time ([`Compiled::named`]): a
/// layout equal to one of them is formatted by code written for it
/// (`GoTime::write_named_layout`), one function each.
macro_rules! named_layouts {
    ($($k:literal => $name:ident,)*) => {
        /// Go's named layouts, in the order of [`NAMED`].
        const NAMED_LAYOUTS: [&str; [$($name),*].len()] = [$($name),*];
        const NAMED: [Compiled; NAMED_LAYOUTS.len()] = [$(Compiled::named($name)),*];

        impl GoTime {
            /// Appends `Format` with `layout` to `dest` if it is one of Go's
            /// named layouts; false if it is not.
            #[inline(always)]
            fn write_named(&self, layout: &str, dest: &mut String) -> bool {
                $(
                    if layout == $name {
                        self.write_named_layout::<$k>(dest);
                        return true;
                    }
                )*
                false
            }
        }
    };
}

named_layouts!(
    0 => LAYOUT,
    1 => ANSIC,
    2 => UNIX_DATE,
    3 => RUBY_DATE,
    4 => RFC822,
    5 => RFC822Z,
    6 => RFC850,
    7 => RFC1123,
    8 => RFC1123Z,
    9 => RFC3339,
    10 => RFC3339_NANO,
    11 => KITCHEN,
    12 => STAMP,
    13 => STAMP_MILLI,
    14 => STAMP_MICRO,
    15 => STAMP_NANO,
    16 => DATE_TIME,
    17 => DATE_ONLY,
    18 => TIME_ONLY,
);

/// A name padded to 16 bytes, for [`TextBuf::prefix16`]: the long name
/// and its three-letter form are one copy of the same bytes.
#[derive(Clone, Copy)]
struct Name {
    bytes: [u8; 16],
    len: usize,
}

const fn names<const K: usize>(names: [&str; K]) -> [Name; K] {
    let mut table = [Name {
        bytes: [0; 16],
        len: 0,
    }; K];
    let mut k = 0;
    while k < K {
        let name = names[k].as_bytes();
        let mut i = 0;
        while i < name.len() {
            table[k].bytes[i] = name[i];
            i += 1;
        }
        table[k].len = name.len();
        k += 1;
    }
    table
}

const LONG_DAY_NAMES: [Name; 7] = names([
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
]);

const LONG_MONTH_NAMES: [Name; 12] = names([
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]);

/// The fields of the formatted time, computed once, before the layout
/// is read: nearly every layout needs the date, and a field computed on
/// first use costs a test at each use.
struct Fields {
    civil: Civil,
}

impl Fields {
    #[inline(always)]
    fn civil(&self) -> &Civil {
        &self.civil
    }

    #[inline(always)]
    fn month(&self) -> &'static Name {
        &LONG_MONTH_NAMES[usize::from(self.civil.month) - 1]
    }

    #[inline(always)]
    fn weekday(&self) -> &'static Name {
        &LONG_DAY_NAMES[usize::from(self.civil.weekday)]
    }

    /// Go's `yday`, 1-based.
    #[inline(always)]
    fn year_day(&self) -> u16 {
        self.civil.yday + 1
    }

    /// "Noon is 12PM, midnight is 12AM."
    #[inline(always)]
    fn hour12(&self) -> u8 {
        match self.civil.hour % 12 {
            0 => 12,
            hr => hr,
        }
    }
}
impl GoTime {
    /// Go's `t.Format(layout)`.
    ///
    /// ```
    /// use time_core::{layout, FixedZone, GoTime, Timestamp};
    /// let t = GoTime::new(Timestamp::new(1_233_810_057, 12_345_600)?, FixedZone::new("PST", -8 * 3600)?);
    /// assert_eq!(t.format(layout::RFC1123), "Wed, 04 Feb 2009 21:00:57 PST");
    /// assert_eq!(t.format(layout::KITCHEN), "9:00PM");
    /// assert_eq!(t.format("Mon Jan _2 002 15:04:05,000 -07:00:00"), "Wed Feb  4 035 21:00:57,012 -08:00:00");
    /// // Only the reference time's parts are elements: "Hi" and "Janet" are text.
    /// assert_eq!(t.format("Hi Janet, the Month is January"), "Hi Janet, the Month is February");
    /// # Ok::<(), time_core::Error>(())
    /// ```
    pub fn format(&self, layout: &str) -> String {
        // Allocated once, at its length, when the text is handed over.
        let mut out = String::new();
        self.write_format(layout, &mut out);
        out
    }

    /// Appends Go's `t.Format(layout)` to `out` (Go's `AppendFormat`): the
    /// form for hot paths that reuse a buffer, which then allocates
    /// nothing.
    pub fn write_format(&self, layout: &str, out: &mut String) {
        if self.write_named(layout, out) {
            return;
        }
        self.writing(out, |fields, out| {
            if with_compiled(layout, |compiled| self.run(compiled, fields, out)).is_none() {
                self.format_as_read(layout, fields, out);
            }
        });
    }

    /// What every `Format` does around its layout: the fields of the time,
    /// computed before the layout is read (nearly every layout needs the
    /// date, and a field computed on first use costs a test at each use),
    /// and the output, gathered on the stack and handed to `dest` at the
    /// end.
    #[inline(always)]
    fn writing(&self, dest: &mut String, body: impl FnOnce(&Fields, &mut Out<'_>)) {
        let mut storage = OutStorage::new();
        let mut out = Out::new(dest, &mut storage);
        let fields = Fields {
            civil: self.civil(),
        };
        body(&fields, &mut out);
        out.finish();
    }

    /// Appends `Format` with Go's named layout `K`, its steps written out
    /// as code of their own: the element of each is a constant, and no
    /// dispatch on it remains. A function each, or the tests' debug builds
    /// (inlining but not sharing stack slots) overflow their stacks.
    #[inline(never)]
    fn write_named_layout<const K: usize>(&self, dest: &mut String) {
        let compiled = &NAMED[K];
        self.writing(dest, |fields, out| {
            let steps = compiled.steps();
            macro_rules! unrolled {
                ($($k:literal)*) => {$(
                    if $k < steps.len() {
                        self.step(&steps[$k], fields, out);
                    }
                )*};
            }
            unrolled!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23);
            const { assert!(compiled::MAX_STEPS == 24, "one arm above per step") };
            self.tail(compiled, out);
        });
    }

    /// Formats from a layout's steps, one after the other.
    #[inline(always)]
    fn run(&self, compiled: &Compiled, fields: &Fields, out: &mut Out<'_>) {
        for step in compiled.steps() {
            self.step(step, fields, out);
        }
        self.tail(compiled, out);
    }

    /// One step: its text, copied as a 16-byte block, and its element.
    #[inline(always)]
    fn step(&self, step: &Step, fields: &Fields, out: &mut Out<'_>) {
        out.make_room();
        out.text.prefix16(step.text(), step.text_len());
        self.append_element(out, fields, step.std, (step.first, usize::from(step.len)));
    }

    #[inline(always)]
    fn tail(&self, compiled: &Compiled, out: &mut Out<'_>) {
        out.make_room();
        let (tail, len) = compiled.tail();
        out.text.prefix16(tail, len);
    }

    /// A layout not kept, formatted as it is read.
    fn format_as_read(&self, layout: &str, fields: &Fields, out: &mut Out<'_>) {
        let layout = layout.as_bytes();
        let mut from = 0;
        while let Some(element) = next_element(layout, from) {
            out.make_room();
            out.put_text(&layout[from..element.at]);
            let first = layout[element.at];
            self.append_element(out, fields, element.std, (first, element.len));
            from = element.at + element.len;
        }
        out.make_room();
        out.put_text(&layout[from..]);
    }

    /// One arm of Go's `AppendFormat` switch; the element's first byte and
    /// length give a fraction's separator and number of digits. At most
    /// [`out::ROOM`] bytes go through the buffer.
    #[inline(always)]
    fn append_element(
        &self,
        out: &mut Out<'_>,
        fields: &Fields,
        std: Std,
        (separator, element_len): (u8, usize),
    ) {
        let offset = self.zone().offset_seconds();
        let text = &mut out.text;
        match std {
            // "January", "Jan"
            Std::LongMonth => {
                let name = fields.month();
                text.prefix16(&name.bytes, name.len);
            }
            Std::Month => text.prefix16(&fields.month().bytes, 3),
            Std::NumMonth => text.one_or_two(fields.civil().month),
            Std::ZeroMonth => text.two(fields.civil().month),
            // "Monday", "Mon"
            Std::LongWeekDay => {
                let name = fields.weekday();
                text.prefix16(&name.bytes, name.len);
            }
            Std::WeekDay => text.prefix16(&fields.weekday().bytes, 3),
            Std::Day => text.one_or_two(fields.civil().day),
            // `if day < 10 { ' ' }; appendInt(b, day, 0)`
            Std::UnderDay => {
                let day = fields.civil().day;
                if day < 10 {
                    text.byte(b' ');
                }
                text.one_or_two(day);
            }
            Std::ZeroDay => text.two(fields.civil().day),
            // `if yday < 100 { ' '; if yday < 10 { ' ' } }; appendInt(b, yday, 0)`:
            // three characters, as "002" (1..=366).
            Std::UnderYearDay => {
                let yday = fields.year_day();
                text.byte(match yday / 100 {
                    0 => b' ',
                    hundreds => b'0' + hundreds as u8,
                });
                if yday < 10 {
                    text.byte(b' ');
                    text.byte(b'0' + yday as u8);
                } else {
                    text.two((yday % 100) as u8);
                }
            }
            Std::ZeroYearDay => {
                let yday = fields.year_day();
                text.byte(b'0' + (yday / 100) as u8);
                text.two((yday % 100) as u8);
            }
            Std::Hour => text.two(fields.civil().hour),
            Std::Hour12 => text.one_or_two(fields.hour12()),
            Std::ZeroHour12 => text.two(fields.hour12()),
            Std::Minute => text.one_or_two(fields.civil().minute),
            Std::ZeroMinute => text.two(fields.civil().minute),
            Std::Second => text.one_or_two(fields.civil().second),
            Std::ZeroSecond => text.two(fields.civil().second),
            Std::LongYear => text.year(fields.civil().year),
            // `if y < 0 { y = -y }; appendInt(b, y%100, 2)`
            Std::Year => text.two((fields.civil().year.unsigned_abs() % 100) as u8),
            Std::UpperPm | Std::LowerPm => {
                let [am, pm, m] = if std == Std::UpperPm {
                    *b"APM"
                } else {
                    *b"apm"
                };
                text.byte(if fields.civil().hour >= 12 { pm } else { am });
                text.byte(m);
            }
            // "No time zone known for this time, but we must print one.
            // Use the -0700 format."
            Std::ZoneName if self.zone().name_bytes().is_empty() => {
                let written = numeric_zone(text.window(), offset, Std::Num);
                text.advance(written);
            }
            Std::ZoneName => out.zone_name(self.zone()),
            Std::Iso8601
            | Std::Iso8601Seconds
            | Std::Iso8601Short
            | Std::Iso8601Colon
            | Std::Iso8601ColonSeconds
                if offset == 0 =>
            {
                // "We cheat and take the "Z" variants to mean "the time zone
                // as formatted for ISO 8601"."
                text.byte(b'Z');
            }
            Std::Fraction0 | Std::Fraction9 => {
                // stdFracSecond keeps the run's length in 12 bits:
                // `(n & 0xfff) << stdArgShift`.
                let digits = (element_len - 1) & 0xfff;
                let trim = std == Std::Fraction9;
                let written = fraction(
                    text.window(),
                    self.instant().nanos(),
                    separator,
                    digits,
                    trim,
                );
                text.advance(written);
            }
            numeric @ (Std::Iso8601
            | Std::Iso8601Seconds
            | Std::Iso8601Short
            | Std::Iso8601Colon
            | Std::Iso8601ColonSeconds
            | Std::Num
            | Std::NumSeconds
            | Std::NumShort
            | Std::NumColon
            | Std::NumColonSeconds) => {
                let written = numeric_zone(text.window(), offset, numeric);
                text.advance(written);
            }
        }
    }
}

/// The numeric zone forms, as Go writes them, into `window`; returns the
/// number of bytes written (at most 10). `offset / 60` truncates toward
/// zero and the seconds come from the offset before its sign was taken,
/// so -30 s prints "+0000", "+00:00:-30" with seconds. Inlined, as
/// [`fraction`] is: a named layout's zone form is then a constant
/// (RFC3339: 372 instructions a call out of line, 338 inlined), and the
/// loop over a kept layout's steps lost as much as it paid (its
/// arithmetic is done before the loop, whether a layout has the element
/// or not).
#[inline(always)]
fn numeric_zone(window: &mut [u8; WINDOW], offset: i32, std: Std) -> usize {
    let mut text = TextBuf::over(window);
    let mut zone = offset / 60; // convert to minutes
    let mut abs_offset = offset;
    if zone < 0 {
        text.byte(b'-');
        zone = -zone;
        abs_offset = -abs_offset;
    } else {
        text.byte(b'+');
    }
    // Offsets are below a day: hours below 24, minutes below 60.
    text.two((zone / 60) as u8);
    if matches!(
        std,
        Std::Iso8601Colon | Std::NumColon | Std::Iso8601ColonSeconds | Std::NumColonSeconds
    ) {
        text.byte(b':');
    }
    if !matches!(std, Std::NumShort | Std::Iso8601Short) {
        text.two((zone % 60) as u8);
    }
    // "append seconds if appropriate"
    if matches!(
        std,
        Std::Iso8601Seconds | Std::NumSeconds | Std::NumColonSeconds | Std::Iso8601ColonSeconds
    ) {
        if matches!(std, Std::NumColonSeconds | Std::Iso8601ColonSeconds) {
            text.byte(b':');
        }
        // `appendInt(b, absoffset%60, 2)`, negative (above -60) only for
        // a sub-minute negative offset.
        let seconds = abs_offset % 60;
        if seconds < 0 {
            text.byte(b'-');
        }
        text.two(seconds.unsigned_abs() as u8);
    }
    text.len()
}

/// Go's `formatNano` into `window`; returns the number of bytes written:
/// nine digits of the fraction cut to `digits` (at most nine), and for
/// nines trailing zeros trimmed and nothing at all, not even the
/// separator, when none is left. Zeros of length 0 (4096 of them in the
/// layout) print the separator alone. All nine digits are written and
/// those not kept left out of the count.
#[inline(always)]
fn fraction(
    window: &mut [u8; WINDOW],
    nanos: u32,
    separator: u8,
    digits: usize,
    trim: bool,
) -> usize {
    let mut text = TextBuf::over(window);
    text.byte(separator);
    text.nine_digits(nanos);
    let mut n = digits.min(9);
    if trim {
        let written = text.tail(9);
        while n > 0 && written[n - 1] == b'0' {
            n -= 1;
        }
        if n == 0 {
            return 0;
        }
    }
    1 + n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil;
    use crate::{FixedZone, Timestamp};

    /// Go's `format_test.go` instant: Thu Feb  4 21:00:57.012345600 PST 2009.
    fn go_test_time() -> GoTime {
        GoTime::new(
            Timestamp::from_unix_nano(1_233_810_057_012_345_600),
            FixedZone::new("PST", -8 * 3600).unwrap(),
        )
    }

    /// Marks each element in parentheses, as Go's `TestNextStdChunk`,
    /// following [`next_element`] through the layout.
    fn mark(layout: &str) -> String {
        let bytes = layout.as_bytes();
        let mut marked = String::new();
        let mut from = 0;
        while let Some(element) = next_element(bytes, from) {
            let end = element.at + element.len;
            marked.push_str(&layout[from..element.at]);
            marked.push('(');
            marked.push_str(&layout[element.at..end]);
            marked.push(')');
            from = end;
        }
        marked.push_str(&layout[from..]);
        marked
    }

    /// `TestNextStdChunk`'s layouts: each parenthesised part is one element.
    #[test]
    fn chunks_as_go_test_next_std_chunk_marks_them() {
        let marked = [
            "(2006)-(01)-(02)T(15):(04):(05)(Z07:00)",
            "(2006)-(01)-(02) (002) (15):(04):(05)",
            "(2006)-(01) (002) (15):(04):(05)",
            "(2006)-(002) (15):(04):(05)",
            "(2006)(002)(01) (15):(04):(05)",
            "(2006)(002)(04) (15):(04):(05)",
            // And a few of ours: Go's order of tests, and text.
            "Hi Janet, (January) (January) Month(Mon) (MST)ONE",
            ".00(01) (.9)x(.99) ,000(01)_(2006) _(__2)0(06) (-07)0 (Z0700)0",
            "日本(2006)年(01)月(02)日 (PM)(pm) Pm",
        ];
        for want in marked {
            let layout: String = want.chars().filter(|c| !"()".contains(*c)).collect();
            assert_eq!(mark(&layout), want);
        }
    }

    /// A layout formats alike whichever way it is read: as a named layout
    /// (steps read at compile time, unrolled), kept (steps read at run
    /// time, looped over) and as it is read, element by element.
    #[test]
    fn every_way_of_reading_a_layout_formats_alike() {
        let mut layouts = NAMED_LAYOUTS.to_vec();
        layouts.extend([
            "Monday, January _2 __2 3:04:05,999 pm -07:00:00",
            "002 __2 06 2006 Z07 Z0700 Z070000 Z07:00 Z07:00:00",
            "-07 -0700 -070000 -07:00 -07:00:00 MST",
            ".0 .9 ,000000000 .999999999 .0000000000 ,99999999999 x",
            "日本 2006年01月02日 15時04分 PM",
            "",
            "text only",
        ]);
        let zones = [
            FixedZone::new("PST", -8 * 3600).unwrap(),
            FixedZone::UTC,
            FixedZone::new("", -30).unwrap(),
            FixedZone::new("", 5 * 3600 + 45 * 60).unwrap(),
            FixedZone::new("A zone of a long name", 3600).unwrap(),
        ];
        let instants = [
            Timestamp::from_unix_nano(1_233_810_057_012_345_600),
            Timestamp::new(civil::days_before_year(-1) * 86_400 + 43_200, 500).unwrap(),
            Timestamp::new(civil::days_before_year(12_345) * 86_400, 0).unwrap(),
            Timestamp::new(1_541_974_346, 100_000_000).unwrap(),
        ];
        for layout in layouts {
            let kept = Compiled::read(layout).expect("every layout above is kept");
            for zone in &zones {
                for &instant in &instants {
                    let t = GoTime::new(instant, zone.clone());
                    let mut as_read = String::new();
                    t.writing(&mut as_read, |fields, out| {
                        t.format_as_read(layout, fields, out)
                    });
                    let mut from_steps = String::new();
                    t.writing(&mut from_steps, |fields, out| t.run(&kept, fields, out));
                    assert_eq!(from_steps, as_read, "{layout:?} at {t}");
                    assert_eq!(t.format(layout), as_read, "{layout:?} at {t}");
                }
            }
        }
    }

    /// `TestFormat`'s table, verbatim.
    #[test]
    fn go_test_format_table() {
        let t = go_test_time();
        let cases = [
            (ANSIC, "Wed Feb  4 21:00:57 2009"),
            (UNIX_DATE, "Wed Feb  4 21:00:57 PST 2009"),
            (RUBY_DATE, "Wed Feb 04 21:00:57 -0800 2009"),
            (RFC822, "04 Feb 09 21:00 PST"),
            (RFC850, "Wednesday, 04-Feb-09 21:00:57 PST"),
            (RFC1123, "Wed, 04 Feb 2009 21:00:57 PST"),
            (RFC1123Z, "Wed, 04 Feb 2009 21:00:57 -0800"),
            (RFC3339, "2009-02-04T21:00:57-08:00"),
            (RFC3339_NANO, "2009-02-04T21:00:57.0123456-08:00"),
            (KITCHEN, "9:00PM"),
            ("3pm", "9pm"),
            ("3PM", "9PM"),
            ("06 01 02", "09 02 04"),
            (
                "Hi Janet, the Month is January",
                "Hi Janet, the Month is February",
            ),
            (STAMP, "Feb  4 21:00:57"),
            (STAMP_MILLI, "Feb  4 21:00:57.012"),
            (STAMP_MICRO, "Feb  4 21:00:57.012345"),
            (STAMP_NANO, "Feb  4 21:00:57.012345600"),
            ("Jan  2 002 __2 2", "Feb  4 035  35 4"),
            ("2006 6 06 _6 __6 ___6", "2009 6 09 _6 __6 ___6"),
            ("Jan January 1 01 _1", "Feb February 2 02 _2"),
            ("2 02 _2 __2", "4 04  4  35"),
            ("Mon Monday", "Wed Wednesday"),
            ("15 3 03 _3", "21 9 09 _9"),
            ("4 04 _4", "0 00 _0"),
            ("5 05 _5", "57 57 _57"),
            // TestFormatFractionalSecondSeparators (issue 48037)
            ("15:04:05.000", "21:00:57.012"),
            ("15:04:05.999", "21:00:57.012"),
            ("15:04:05,000", "21:00:57,012"),
            ("15:04:05,999", "21:00:57,012"),
        ];
        for (layout, want) in cases {
            assert_eq!(t.format(layout), want, "layout {layout:?}");
        }
    }

    #[test]
    fn go_test_single_digits_noon_midnight_and_rfc3339() {
        let utc = |secs, nanos| GoTime::new(Timestamp::new(secs, nanos).unwrap(), FixedZone::UTC);
        // TestFormatSingleDigits (issue 12440): 2001-02-03 04:05:06.7
        assert_eq!(utc(981_173_106, 700_000_000).format("3:4:5"), "4:5:6");
        // TestNoonIs12PM, TestMidnightIs12AM: year 0, January 1st.
        let year0 = -62_167_219_200;
        for layout in ["3:04PM", "03:04PM"] {
            assert_eq!(utc(year0 + 12 * 3600, 0).format(layout), "12:00PM");
            assert_eq!(utc(year0, 0).format(layout), "12:00AM");
        }
        // TestRFC3339Conversion; the seconds are of the wall clock read as UTC.
        let cases = [
            (1_221_681_866, "UTC", 0, "2008-09-17T20:04:26Z"),
            (779_832_266, "EST", -18_000, "1994-09-17T20:04:26-05:00"),
            (977_793_306, "OTO", 15_600, "2000-12-26T01:15:06+04:20"),
        ];
        for (secs, name, off, want) in cases {
            let zone = FixedZone::new(name, off).unwrap();
            let local = secs - i64::from(off);
            let t = GoTime::new(Timestamp::new(local, 0).unwrap(), zone);
            assert_eq!(t.format(RFC3339), want);
        }
    }

    /// TestFormatShortYear: January 1st of years around every digit count,
    /// as `2006.01.02`.
    #[test]
    fn go_test_format_short_year() {
        let years = [
            -100_001, -100_000, -99_999, -10_001, -10_000, -9_999, -1_001, -1_000, -999, -101,
            -100, -99, -11, -10, -9, -1, 0, 1, 9, 10, 11, 99, 100, 101, 999, 1_000, 1_001, 9_999,
            10_000, 10_001, 99_999, 100_000, 100_001,
        ];
        for y in years {
            let days = civil::days_before_year(y);
            let t = GoTime::new(Timestamp::new(days * 86_400, 0).unwrap(), FixedZone::UTC);
            let want = if y < 0 {
                format!("-{:04}.01.01", -y)
            } else {
                format!("{y:04}.01.01")
            };
            assert_eq!(t.format("2006.01.02"), want);
        }
    }

    /// TestFormatSecondsInTimeZone: 1871-01-01 05:33:02 in "LMT" zones with
    /// second offsets.
    #[test]
    fn go_test_format_seconds_in_time_zone() {
        let cases = [
            (
                "2006-01-02T15:04:05-070000",
                "1871-01-01T05:33:02-003408",
                -2_048,
            ),
            (
                "2006-01-02T15:04:05-07:00:00",
                "1871-01-01T05:33:02-00:34:08",
                -2_048,
            ),
            (
                "2006-01-02T15:04:05-070000",
                "1871-01-01T05:33:02+003408",
                2_048,
            ),
            (
                "2006-01-02T15:04:05-07:00:00",
                "1871-01-01T05:33:02+00:34:08",
                2_048,
            ),
            (
                "2006-01-02T15:04:05Z070000",
                "1871-01-01T05:33:02-003408",
                -2_048,
            ),
            (
                "2006-01-02T15:04:05Z07:00:00",
                "1871-01-01T05:33:02+00:34:08",
                2_048,
            ),
            ("2006-01-02T15:04:05-07", "1871-01-01T05:33:02+01", 3_600),
            ("2006-01-02T15:04:05-07", "1871-01-01T05:33:02-02", -7_200),
            ("2006-01-02T15:04:05Z07", "1871-01-01T05:33:02-02", -7_200),
        ];
        let local = civil::days_before_year(1871) * 86_400 + 5 * 3600 + 33 * 60 + 2;
        for (layout, want, off) in cases {
            let zone = FixedZone::new("LMT", off).unwrap();
            let t = GoTime::new(Timestamp::new(local - i64::from(off), 0).unwrap(), zone);
            assert_eq!(t.format(layout), want);
        }
    }

    #[test]
    fn missing_zone_name_prints_the_offset() {
        // TestMissingZone: Thu Feb 02 16:10:03 -0500 2006, parsed without a name.
        let t = GoTime::new(
            Timestamp::new(1_138_914_603, 0).unwrap(),
            FixedZone::new("", -5 * 3600).unwrap(),
        );
        assert_eq!(t.format(UNIX_DATE), "Thu Feb  2 16:10:03 -0500 2006");
    }

    #[test]
    fn corners_go_pins_by_its_code() {
        let t = go_test_time();
        // Digits after a run of zeros or nines make it text: ".0001" is
        // ".00" and "01"; a nine-run cut to one digit of a fraction that
        // starts with 0 trims to nothing.
        assert_eq!(t.format(".0001"), ".0002");
        assert_eq!(t.format(".9x"), "x");
        assert_eq!(t.format(".99"), ".01");
        assert_eq!(t.format(",0000000000000"), ",012345600");
        // 4096 zeros wrap to 0 digits: the separator alone; 4097 to 1.
        assert_eq!(t.format(&format!(".{}", "0".repeat(4096))), ".");
        assert_eq!(t.format(&format!(".{}", "0".repeat(4097))), ".0");
        assert_eq!(t.format(&format!(".{}", "9".repeat(4096))), "");
        // "_2006" is "_" and the year; "__2006" is "__2", "0" and "06".
        assert_eq!(t.format("_2006 __2006"), "_2009  35009");
        // A lower-case letter after Jan/Mon keeps them text; MST is not text.
        assert_eq!(t.format("Janx Monx MSTx"), "Janx Monx PSTx");
        // Sub-minute negative offsets: Go's truncating division.
        let t = GoTime::new(Timestamp::UNIX_EPOCH, FixedZone::new("", -30).unwrap());
        assert_eq!(
            t.format("-07:00:00 Z070000 MST"),
            "+00:00:-30 +0000-30 +0000"
        );
        let t = GoTime::new(Timestamp::UNIX_EPOCH, FixedZone::new("", -90).unwrap());
        assert_eq!(t.format("-07:00:00 Z07"), "-00:01:30 -00");
        // Non-ASCII text passes through; "日本" is not an element.
        assert_eq!(
            GoTime::new(Timestamp::UNIX_EPOCH, FixedZone::UTC).format("日本 2006年01月02日 MST"),
            "日本 1970年01月01日 UTC"
        );
    }

    #[test]
    fn years_beyond_four_digits_and_before_zero() {
        let at = |y: i64| {
            GoTime::new(
                Timestamp::new(civil::days_before_year(y) * 86_400, 0).unwrap(),
                FixedZone::UTC,
            )
        };
        let layout = "2006 06 __2 Mon Monday";
        assert_eq!(at(-1).format(layout), "-0001 01   1 Fri Friday");
        assert_eq!(at(-101).format(layout), "-0101 01   1 Sun Sunday");
        assert_eq!(at(12_345).format(layout), "12345 45   1 Mon Monday");
        assert_eq!(at(0).format(layout), "0000 00   1 Sat Saturday");
    }

    #[test]
    fn write_format_appends() {
        let t = go_test_time();
        let mut out = String::from("at ");
        t.write_format(KITCHEN, &mut out);
        t.write_format(" on Monday", &mut out);
        assert_eq!(out, "at 9:00PM on Wednesday");
        assert_eq!(t.format(""), "");
    }
}
