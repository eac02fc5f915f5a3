//! Go's `time.Time` formatting, byte for byte.
//!
//! `String()` is `Format("2006-01-02 15:04:05.999999999 -0700 MST")` plus,
//! when the time carries a monotonic clock reading, ` m=±S.NNNNNNNNN`. The
//! rules below are quoted from Go's `src/time/format.go` and `time.go`
//! (Go 1.19 through 1.23 agree on every one of them).

use std::fmt;

use crate::civil::Civil;
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
        let c = self.civil();
        // "2006-01-02 15:04:05"
        push_year(out, c.year);
        out.push('-');
        push2(out, c.month);
        out.push('-');
        push2(out, c.day);
        out.push(' ');
        push_clock(out, &c);
        // ".999999999": "A fractional second [...] with nines [...] trailing
        // zeros are omitted", and with no digits left the dot goes too.
        push_trimmed_fraction(out, self.instant.nanos());
        // " -0700": stdNumTZ; `zone := offset / 60` truncates toward zero, so
        // an offset of -30s prints as +0000.
        out.push(' ');
        push_numeric_offset(out, self.zone.offset_seconds(), false);
        // " MST": stdTZ; "No time zone known for this time, but we must print
        // one. Use the -0700 format."
        out.push(' ');
        if self.zone.name().is_empty() {
            push_numeric_offset(out, self.zone.offset_seconds(), false);
        } else {
            out.push_str(self.zone.name());
        }
        if let Some(m) = self.monotonic {
            push_monotonic(out, m);
        }
    }

    /// Go's `Format(time.RFC3339Nano)`, layout
    /// `2006-01-02T15:04:05.999999999Z07:00`: `Z` for a zero offset,
    /// otherwise `±hh:mm` (seconds of the offset are dropped, as in Go). The
    /// monotonic reading is never part of it.
    pub fn rfc3339_nano(&self) -> String {
        let mut out = String::with_capacity(36);
        let c = self.civil();
        push_year(&mut out, c.year);
        out.push('-');
        push2(&mut out, c.month);
        out.push('-');
        push2(&mut out, c.day);
        out.push('T');
        push_clock(&mut out, &c);
        push_trimmed_fraction(&mut out, self.instant.nanos());
        if self.zone.offset_seconds() == 0 {
            out.push('Z');
        } else {
            push_numeric_offset(&mut out, self.zone.offset_seconds(), true);
        }
        out
    }

    fn civil(&self) -> Civil {
        Civil::from_local_seconds(self.instant.unix() as i128 + self.zone.offset_seconds() as i128)
    }
}

impl fmt::Display for GoTime {
    /// Go's `String()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(64);
        self.write_go_string(&mut s);
        f.write_str(&s)
    }
}

const DIGITS: &[u8; 10] = b"0123456789";

fn digit(d: u64) -> char {
    DIGITS[(d % 10) as usize] as char
}

fn push2(out: &mut String, v: u8) {
    out.push(digit(v as u64 / 10));
    out.push(digit(v as u64));
}

/// Go's `appendInt(b, x, width)`: a '-' for negatives, then the absolute
/// value zero-padded to `width` digits, never cut.
fn push_padded(out: &mut String, negative: bool, mut abs: u64, width: usize) {
    if negative {
        out.push('-');
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = DIGITS[(abs % 10) as usize];
        abs /= 10;
        if abs == 0 {
            break;
        }
    }
    for _ in (buf.len() - i)..width {
        out.push('0');
    }
    for &b in &buf[i..] {
        out.push(b as char);
    }
}

/// "2006": `appendInt(b, year, 4)`, so year 5 is `0005`, year -5 is `-0005`
/// and year 12345 is `12345`.
fn push_year(out: &mut String, year: i64) {
    if (0..10_000).contains(&year) {
        let y = year as u64;
        out.push(digit(y / 1000));
        out.push(digit(y / 100));
        out.push(digit(y / 10));
        out.push(digit(y));
    } else {
        push_padded(out, year < 0, year.unsigned_abs(), 4);
    }
}

/// "15:04:05".
fn push_clock(out: &mut String, c: &Civil) {
    push2(out, c.hour);
    out.push(':');
    push2(out, c.minute);
    out.push(':');
    push2(out, c.second);
}

/// `formatNano` with `stdFracSecond9`: nine digits, trailing zeros trimmed,
/// nothing at all (not even the dot) when the fraction is zero.
fn push_trimmed_fraction(out: &mut String, nanos: u32) {
    if nanos == 0 {
        return;
    }
    let mut digits = [0u8; 9];
    let mut n = nanos;
    for d in digits.iter_mut().rev() {
        *d = DIGITS[(n % 10) as usize];
        n /= 10;
    }
    let mut len = 9;
    while digits[len - 1] == b'0' {
        len -= 1;
    }
    out.push('.');
    for &d in &digits[..len] {
        out.push(d as char);
    }
}

/// "-0700" (`colon == false`) or the `±hh:mm` part of "Z07:00". Go:
/// `zone := offset / 60 // convert to minutes; if zone < 0 { '-'; zone = -zone }
/// else { '+' }; appendInt(b, zone/60, 2); appendInt(b, zone%60, 2)`.
fn push_numeric_offset(out: &mut String, offset_secs: i32, colon: bool) {
    let zone = offset_secs / 60; // truncates toward zero, as Go's integer division
    out.push(if zone < 0 { '-' } else { '+' });
    let zone = zone.unsigned_abs() as u64;
    push_padded(out, false, zone / 60, 2);
    if colon {
        out.push(':');
    }
    push_padded(out, false, zone % 60, 2);
}

/// Go's `String()` tail: "Format monotonic clock reading as m=±ddd.nnnnnnnnn."
/// The sign is always printed; whole seconds are unpadded (`m0` above 1e9 s
/// pads the next group to 9 digits); the fraction always has 9 digits.
fn push_monotonic(out: &mut String, m: i64) {
    out.push_str(" m=");
    out.push(if m < 0 { '-' } else { '+' });
    let abs = m.unsigned_abs();
    push_padded(out, false, abs / 1_000_000_000, 0);
    out.push('.');
    push_padded(out, false, abs % 1_000_000_000, 9);
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
