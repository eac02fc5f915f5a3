//! Go's `time.Time` formatting, byte for byte.
//!
//! `String()` is `Format("2006-01-02 15:04:05.999999999 -0700 MST")` plus,
//! when the time carries a monotonic clock reading, ` m=±S.NNNNNNNNN`. The
//! rules below are quoted from Go's `src/time/format.go` and `time.go`
//! (Go 1.19 through 1.23 agree on every one of them).

use std::fmt;

use crate::civil::Civil;
use crate::text_buf::{Storage, TextBuf};
use crate::{FixedZone, Timestamp};

/// An instant as Go's `time.Time` holds it: the instant, the zone it is
/// shown in and, optionally, a monotonic clock reading.
///
/// ```
/// use time_core::{FixedZone, GoTime, Timestamp};
/// let t = GoTime::new(Timestamp::new(1_541_974_346, 123_400_000)?, FixedZone::new("MSK", 10_800)?);
/// assert_eq!(t.to_string(), "2018-11-12 01:12:26.1234 +0300 MSK");
/// assert_eq!(t.rfc3339_nano(), "2018-11-12T01:12:26.1234+03:00");
/// let t = t.with_monotonic(1_500_000_002);
/// assert_eq!(t.to_string(), "2018-11-12 01:12:26.1234 +0300 MSK m=+1.500000002");
/// # Ok::<(), time_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoTime {
    instant: Timestamp,
    zone: FixedZone,
    monotonic: Option<i64>,
}

impl GoTime {
    /// The instant shown in `zone`, without a monotonic reading (as a time
    /// built by `time.Date` or `time.Unix`).
    pub fn new(instant: Timestamp, zone: FixedZone) -> Self {
        GoTime {
            instant,
            zone,
            monotonic: None,
        }
    }

    /// Adds a monotonic reading in nanoseconds, as `time.Now()` carries one:
    /// Go counts it from process start, so a reading is small and positive
    /// in practice, but any `i64` is formatted as Go would.
    pub fn with_monotonic(mut self, nanos: i64) -> Self {
        self.monotonic = Some(nanos);
        self
    }

    /// The instant.
    pub fn instant(&self) -> Timestamp {
        self.instant
    }

    /// The zone the instant is shown in.
    pub fn zone(&self) -> &FixedZone {
        &self.zone
    }

    /// The monotonic reading in nanoseconds, if any.
    pub fn monotonic(&self) -> Option<i64> {
        self.monotonic
    }

    /// Appends Go's `String()` to `out`; the allocation-free form of
    /// `to_string()` for hot paths that reuse a buffer.
    pub fn write_go_string(&self, out: &mut String) {
        let mut storage = (Storage::new(), Storage::new());
        let (mut head, name, mut tail) = self.go_string_parts(&mut storage);
        out.reserve(head.len() + name.len() + tail.len());
        out.push_str(head.as_str());
        out.push_str(name);
        out.push_str(tail.as_str());
    }

    /// Calls `f` with `String()` as three byte strings (the date to the
    /// numeric zone, the zone name, the monotonic suffix), for writers that
    /// assemble a response around it without a temporary `String`. Only the
    /// zone name can hold anything but printable ASCII.
    pub(crate) fn with_go_string_parts<R>(&self, f: impl FnOnce([&[u8]; 3]) -> R) -> R {
        let mut storage = (Storage::new(), Storage::new());
        let (head, name, tail) = self.go_string_parts(&mut storage);
        f([head.as_bytes(), name.as_bytes(), tail.as_bytes()])
    }

    /// `String()` in three pieces, so that neither output form needs a
    /// temporary `String`: the date to the numeric zone, the zone name, the
    /// monotonic suffix (empty without a reading), written to `storage`.
    fn go_string_parts<'a>(
        &'a self,
        storage: &'a mut (Storage<80>, Storage<48>),
    ) -> (TextBuf<'a, 80>, &'a str, TextBuf<'a, 48>) {
        let c = self.civil();
        let offset = self.zone.offset_seconds();
        let mut a = TextBuf::new(&mut storage.0);
        // "2006-01-02 15:04:05"
        a.date(&c);
        a.byte(b' ');
        a.clock(&c);
        // ".999999999": "A fractional second [...] with nines [...] trailing
        // zeros are omitted", and with no digits left the dot goes too.
        a.trimmed_fraction(self.instant.nanos());
        // " -0700": stdNumTZ; `zone := offset / 60` truncates toward zero, so
        // an offset of -30s prints as +0000.
        a.byte(b' ');
        a.numeric_offset(offset, false);
        // " MST": stdTZ; "No time zone known for this time, but we must print
        // one. Use the -0700 format."
        a.byte(b' ');
        let name = self.zone.name();
        if name.is_empty() {
            a.numeric_offset(offset, false);
        }
        let mut m_part = TextBuf::new(&mut storage.1);
        if let Some(m) = self.monotonic {
            m_part.monotonic(m);
        }
        (a, name, m_part)
    }

    /// Go's `Format(time.RFC3339Nano)`, layout
    /// `2006-01-02T15:04:05.999999999Z07:00`: `Z` for a zero offset,
    /// otherwise `±hh:mm` (seconds of the offset are dropped, as in Go). The
    /// monotonic reading is never part of it.
    pub fn rfc3339_nano(&self) -> String {
        let c = self.civil();
        let mut storage = Storage::<80>::new();
        let mut a = TextBuf::new(&mut storage);
        a.date(&c);
        a.byte(b'T');
        a.clock(&c);
        a.trimmed_fraction(self.instant.nanos());
        // stdISO8601ColonTZ: "Z" only for an offset of exactly zero.
        if self.zone.offset_seconds() == 0 {
            a.byte(b'Z');
        } else {
            a.numeric_offset(self.zone.offset_seconds(), true);
        }
        String::from(a.as_str())
    }

    // This and the `TextBuf` helpers it feeds are inlined into every caller
    // (the `/time` body's is the hot one): with a second caller (a log
    // line's date, once a second), LLVM kept them apart, at 80
    // instructions per request.
    #[inline(always)]
    pub(crate) fn civil(&self) -> Civil {
        Civil::from_local_seconds(self.instant.unix() as i128 + self.zone.offset_seconds() as i128)
    }
}

impl fmt::Display for GoTime {
    /// Go's `String()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut storage = (Storage::new(), Storage::new());
        let (mut head, name, mut tail) = self.go_string_parts(&mut storage);
        f.write_str(head.as_str())?;
        f.write_str(name)?;
        f.write_str(tail.as_str())
    }
}

// The writers of `String()`'s pieces, on the stack buffer they share with
// `Format(layout)`. Each buffer is sized for the longest output of its
// use (a 20-character year is the most an `i64` year can take) and the
// 16 bytes `as_str` needs past it.
impl<const N: usize> TextBuf<'_, N> {
    /// "2006-01-02".
    #[inline(always)]
    fn date(&mut self, c: &Civil) {
        self.year(c.year);
        self.byte(b'-');
        self.two(c.month);
        self.byte(b'-');
        self.two(c.day);
    }

    /// "15:04:05".
    #[inline(always)]
    fn clock(&mut self, c: &Civil) {
        self.two(c.hour);
        self.byte(b':');
        self.two(c.minute);
        self.byte(b':');
        self.two(c.second);
    }

    /// `formatNano` with `stdFracSecond9`: nine digits, trailing zeros
    /// trimmed, nothing at all (not even the dot) when the fraction is zero.
    #[inline(always)]
    fn trimmed_fraction(&mut self, nanos: u32) {
        if nanos == 0 {
            return;
        }
        let mut n = nanos;
        let mut len = 9;
        while n % 10 == 0 {
            n /= 10;
            len -= 1;
        }
        self.byte(b'.');
        self.padded(false, u64::from(n), len);
    }

    /// "-0700" (`colon == false`) or the `±hh:mm` part of "Z07:00". Go:
    /// `zone := offset / 60 // convert to minutes; if zone < 0 { '-'; zone = -zone }
    /// else { '+' }; appendInt(b, zone/60, 2); appendInt(b, zone%60, 2)`.
    fn numeric_offset(&mut self, offset_secs: i32, colon: bool) {
        let zone = offset_secs / 60; // truncates toward zero, as Go's integer division
        self.byte(if zone < 0 { b'-' } else { b'+' });
        let zone = u64::from(zone.unsigned_abs());
        self.padded(false, zone / 60, 2);
        if colon {
            self.byte(b':');
        }
        self.two((zone % 60) as u8);
    }

    /// Go's `String()` tail: "Format monotonic clock reading as
    /// m=±ddd.nnnnnnnnn." The sign is always printed; whole seconds are
    /// unpadded (`m0` above 1e9 s pads the next group to 9 digits, which
    /// comes to the same); the fraction always has 9 digits.
    fn monotonic(&mut self, m: i64) {
        self.byte(b' ');
        self.byte(b'm');
        self.byte(b'=');
        self.byte(if m < 0 { b'-' } else { b'+' });
        let abs = m.unsigned_abs();
        self.padded(false, abs / 1_000_000_000, 0);
        self.byte(b'.');
        self.padded(false, abs % 1_000_000_000, 9);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(secs: i64, nanos: u32, name: &'static str, off: i32) -> String {
        GoTime::new(
            Timestamp::new(secs, nanos).unwrap(),
            FixedZone::new(name, off).unwrap(),
        )
        .to_string()
    }

    #[test]
    fn epoch_in_utc() {
        assert_eq!(fmt(0, 0, "UTC", 0), "1970-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn fraction_is_trimmed() {
        assert_eq!(
            fmt(0, 100_000_000, "UTC", 0),
            "1970-01-01 00:00:00.1 +0000 UTC"
        );
        assert_eq!(
            fmt(0, 1, "UTC", 0),
            "1970-01-01 00:00:00.000000001 +0000 UTC"
        );
    }

    #[test]
    fn nameless_zone_repeats_the_offset() {
        assert_eq!(fmt(0, 0, "", 3 * 3600), "1970-01-01 03:00:00 +0300 +0300");
        assert_eq!(
            fmt(0, 0, "", -(5 * 3600 + 30 * 60)),
            "1969-12-31 18:30:00 -0530 -0530"
        );
    }

    #[test]
    fn sub_minute_negative_offset_prints_plus_zero() {
        assert_eq!(fmt(0, 0, "", -30), "1969-12-31 23:59:30 +0000 +0000");
    }

    #[test]
    fn years_outside_four_digits() {
        // 0001-01-01 minus year 0 (leap, 366 days) and year -1 (365 days)
        let t = Timestamp::new(-62_135_596_800 - 86_400 * (366 + 365), 0).unwrap();
        let s = GoTime::new(t, FixedZone::UTC).to_string();
        assert_eq!(s, "-0001-01-01 00:00:00 +0000 UTC");
        let t = Timestamp::new(253_402_300_800, 0).unwrap(); // 10000-01-01
        assert_eq!(
            GoTime::new(t, FixedZone::UTC).to_string(),
            "10000-01-01 00:00:00 +0000 UTC"
        );
    }

    #[test]
    fn monotonic_suffix() {
        let t = GoTime::new(Timestamp::UNIX_EPOCH, FixedZone::UTC);
        assert_eq!(
            t.clone().with_monotonic(1).to_string(),
            "1970-01-01 00:00:00 +0000 UTC m=+0.000000001"
        );
        assert_eq!(
            t.clone().with_monotonic(-2_500_000_000).to_string(),
            "1970-01-01 00:00:00 +0000 UTC m=-2.500000000"
        );
        assert_eq!(
            t.with_monotonic(i64::MIN).to_string(),
            "1970-01-01 00:00:00 +0000 UTC m=-9223372036.854775808"
        );
    }

    #[test]
    fn rfc3339_nano_zone() {
        let t = GoTime::new(
            Timestamp::new(0, 5_000).unwrap(),
            FixedZone::new("X", -(3 * 3600 + 1799)).unwrap(),
        );
        assert_eq!(t.rfc3339_nano(), "1969-12-31T20:30:01.000005-03:29");
        assert_eq!(
            GoTime::new(Timestamp::UNIX_EPOCH, FixedZone::UTC).rfc3339_nano(),
            "1970-01-01T00:00:00Z"
        );
    }
}
