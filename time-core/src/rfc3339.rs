//! RFC 3339 timestamps read back, at the start of a text: what
//! [`GoTime::rfc3339_nano`](crate::GoTime::rfc3339_nano) writes, and what
//! time-server and most loggers begin a log line with. The one parser of
//! them in the workspace (the sidecar's record times, the pod benchmark's
//! container log).
//!
//! ```
//! use time_core::{rfc3339, Timestamp};
//!
//! let (instant, rest) = rfc3339::parse_prefix(b"[2026-11-26T21:35:54.950883+03:00 INFO  x] GET /time"
//!     .strip_prefix(b"[").unwrap()).unwrap();
//! assert_eq!(instant, Timestamp::new(1_795_718_154, 950_883_000)?);
//! assert_eq!(rest, b" INFO  x] GET /time");
//! # Ok::<(), time_core::Error>(())
//! ```

use crate::civil::{days_from_civil, days_in_month};
use crate::Timestamp;

/// The RFC 3339 timestamp `text` starts with, and what follows it: a date,
/// `T`, `t` or a space, a time with any number of fraction digits
/// (nanoseconds kept, the rest dropped), and `Z`, `z` or `±hh:mm`. A leap
/// second (`:60`) is the last nanosecond of the second before it. `None`
/// when `text` does not start with one, a local time without a zone
/// included (it names no instant).
pub fn parse_prefix(text: &[u8]) -> Option<(Timestamp, &[u8])> {
    let mut at = Cursor { text, pos: 0 };
    let year = at.digits(4)?;
    at.expect(b"-")?;
    let month = at.digits(2)?;
    at.expect(b"-")?;
    let day = at.digits(2)?;
    at.expect(b"Tt ")?;
    let hour = at.digits(2)?;
    at.expect(b":")?;
    let minute = at.digits(2)?;
    at.expect(b":")?;
    let second = at.digits(2)?;
    let mut nanos: u32 = 0;
    if at.expect(b".").is_some() {
        let start = at.pos;
        while let Some(&b) = at.text.get(at.pos).filter(|b| b.is_ascii_digit()) {
            if at.pos - start < 9 {
                nanos = nanos * 10 + u32::from(b - b'0');
            }
            at.pos += 1;
        }
        let digits = at.pos - start;
        if digits == 0 {
            return None;
        }
        nanos *= 10_u32.pow(9 - digits.min(9) as u32);
    }
    let offset_minutes = match at.text.get(at.pos)? {
        b'Z' | b'z' => {
            at.pos += 1;
            0
        }
        &sign @ (b'+' | b'-') => {
            at.pos += 1;
            let hours = at.digits(2)?;
            at.expect(b":")?;
            let minutes = at.digits(2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 60 + minutes;
            if sign == b'-' {
                -offset
            } else {
                offset
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let (second, nanos) = if second == 60 {
        (59, 999_999_999)
    } else {
        (second, nanos)
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
        - offset_minutes * 60;
    let instant = Timestamp::new(seconds, nanos).expect("nanoseconds below one second");
    Some((instant, &text[at.pos..]))
}

struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    /// Exactly `n` ASCII digits as a number.
    fn digits(&mut self, n: usize) -> Option<i64> {
        let digits = self.text.get(self.pos..self.pos + n)?;
        let mut value = 0;
        for &b in digits {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(b - b'0');
        }
        self.pos += n;
        Some(value)
    }

    /// One byte among `any`.
    fn expect(&mut self, any: &[u8]) -> Option<()> {
        let b = self.text.get(self.pos)?;
        any.contains(b).then(|| self.pos += 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FixedZone, GoTime};

    fn nanos(text: &str) -> Option<i64> {
        parse_prefix(text.as_bytes()).map(|(t, _)| t.unix_nano().unwrap())
    }

    #[test]
    fn offsets_fractions_and_separators() {
        let utc = nanos("2018-11-11T22:12:26Z").unwrap();
        assert_eq!(utc, 1_541_974_346_000_000_000);
        assert_eq!(nanos("2018-11-12T01:12:26+03:00"), Some(utc));
        assert_eq!(nanos("2018-11-11T17:12:26-05:00 x"), Some(utc));
        assert_eq!(nanos("2018-11-11 22:12:26z"), Some(utc));
        assert_eq!(nanos("2018-11-11t22:12:26.1Z"), Some(utc + 100_000_000));
        assert_eq!(nanos("2018-11-11T22:12:26.000000001Z"), Some(utc + 1));
        // Digits past nanoseconds are dropped, not rounded.
        assert_eq!(
            nanos("2018-11-11T22:12:26.1234567899Z"),
            Some(utc + 123_456_789)
        );
        assert_eq!(
            nanos("2016-12-31T23:59:60Z"),
            Some(1_483_228_799_999_999_999)
        );
        assert_eq!(nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(nanos("1969-12-31T23:59:59Z"), Some(-1_000_000_000));
        assert_eq!(nanos("2000-02-29T00:00:00Z"), Some(951_782_400_000_000_000));
        let (_, rest) = parse_prefix(b"2018-11-11T22:12:26Z INFO").unwrap();
        assert_eq!(rest, b" INFO");
    }

    #[test]
    fn what_is_no_timestamp() {
        for text in [
            "",
            "GET /time 200",
            "2018-11-11T22:12:26",   // no zone: a local time, not an instant
            "2018-11-11T22:12Z",     // no seconds
            "2018-13-11T22:12:26Z",  // month 13
            "2019-02-29T22:12:26Z",  // not a leap year
            "2018-11-11T24:00:00Z",  // hour 24
            "2018-11-11T22:12:26.Z", // a dot with no digits
            "2018-11-11T22:12:26+3:00",
            "2018-11-11T22:12:26+24:00",
            " 2018-11-11T22:12:26Z",
        ] {
            assert_eq!(nanos(text), None, "{text:?}");
        }
    }

    #[test]
    fn reads_back_what_rfc3339_nano_writes() {
        for n in (-4_000_000_000_000_000_000_i64..4_000_000_000_000_000_000)
            .step_by(9_876_543_210_987_654)
        {
            let instant = Timestamp::from_unix_nano(n);
            for zone in [FixedZone::UTC, FixedZone::new("MSK", 3 * 3600).unwrap()] {
                let text = GoTime::new(instant, zone).rfc3339_nano();
                assert_eq!(
                    parse_prefix(text.as_bytes()),
                    Some((instant, &b""[..])),
                    "{text}"
                );
            }
        }
    }
}
