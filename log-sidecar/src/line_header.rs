//! What a log line says about itself in its first bytes: the time it was
//! written, as a leading RFC 3339 timestamp, and its level, in the column
//! right after that time. time-server writes both
//! (`[2026-11-26T18:35:54.950883Z INFO  time_server::request_log] GET /time 200`,
//! env_logger's layout), and so do most loggers (`2026-11-26T18:35:54Z WARN ...`).
//! The structured outputs use them as the record's time and severity
//! (OpenTelemetry's `time_unix_nano` and `severity_number`); a line that
//! does not start that way has neither, and the time it was read stands in.

/// A line's time and level, where it had them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineHeader<'a> {
    /// Nanoseconds since the Unix epoch, from a leading RFC 3339 timestamp
    /// (times before 1970 are not kept).
    pub unix_nanos: Option<u64>,
    /// The level word right after that timestamp, as written (`INFO`,
    /// `warning`, ...), when it is one of the known ones.
    pub level: Option<&'a str>,
}

/// OpenTelemetry's severity numbers (logs data model, `SeverityNumber`):
/// the first of each range.
pub mod severity {
    /// TRACE.
    pub const TRACE: i32 = 1;
    /// DEBUG.
    pub const DEBUG: i32 = 5;
    /// INFO.
    pub const INFO: i32 = 9;
    /// INFO2: a notice is an INFO that stands out.
    pub const NOTICE: i32 = 10;
    /// WARN.
    pub const WARN: i32 = 13;
    /// ERROR.
    pub const ERROR: i32 = 17;
    /// FATAL.
    pub const FATAL: i32 = 21;
}

impl<'a> LineHeader<'a> {
    /// Reads the header of `line`: an optional `[`, an RFC 3339 timestamp
    /// (`T`, `t` or a space between date and time; any number of fraction
    /// digits, nanoseconds kept; `Z` or `±hh:mm`), then, after spaces, an
    /// optional level word.
    pub fn parse(line: &'a [u8]) -> Self {
        let rest = line.strip_prefix(b"[").unwrap_or(line);
        let Some((unix_nanos, rest)) = rfc3339(rest) else {
            return LineHeader::default();
        };
        let rest = rest.trim_ascii_start();
        let word_len = rest
            .iter()
            .position(|b| !b.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let level = std::str::from_utf8(&rest[..word_len])
            .ok()
            .filter(|word| severity_number(word).is_some());
        LineHeader {
            unix_nanos: u64::try_from(unix_nanos).ok(),
            level,
        }
    }

    /// The level as an OpenTelemetry severity number.
    pub fn severity(&self) -> Option<i32> {
        self.level.and_then(severity_number)
    }
}

fn severity_number(word: &str) -> Option<i32> {
    const WORDS: [(&str, i32); 14] = [
        ("TRACE", severity::TRACE),
        ("DEBUG", severity::DEBUG),
        ("INFO", severity::INFO),
        ("NOTICE", severity::NOTICE),
        ("WARN", severity::WARN),
        ("WARNING", severity::WARN),
        ("ERROR", severity::ERROR),
        ("ERR", severity::ERROR),
        ("FATAL", severity::FATAL),
        ("CRITICAL", severity::FATAL),
        ("CRIT", severity::FATAL),
        ("ALERT", severity::FATAL),
        ("EMERG", severity::FATAL),
        ("PANIC", severity::FATAL),
    ];
    WORDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(word))
        .map(|&(_, number)| number)
}

/// A leading RFC 3339 timestamp of `text` as nanoseconds since the epoch,
/// and what follows it.
fn rfc3339(text: &[u8]) -> Option<(i64, &[u8])> {
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
    // A leap second (60) is the last nanosecond of its minute's 59th second.
    let second = at.digits(2)?;
    let mut nanos: i64 = 0;
    if at.expect(b".").is_some() {
        let start = at.pos;
        while let Some(&b) = at.text.get(at.pos).filter(|b| b.is_ascii_digit()) {
            if at.pos - start < 9 {
                nanos = nanos * 10 + i64::from(b - b'0');
            }
            at.pos += 1;
        }
        let digits = at.pos - start;
        if digits == 0 {
            return None;
        }
        nanos *= 10_i64.pow(9 - digits.min(9) as u32);
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
    Some((seconds * 1_000_000_000 + nanos, &text[at.pos..]))
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

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to `year-month-day` (proleptic Gregorian), after
/// Howard Hinnant's `days_from_civil`.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(line: &str) -> Option<u64> {
        LineHeader::parse(line.as_bytes()).unix_nanos
    }

    #[test]
    fn time_servers_lines() {
        let header = LineHeader::parse(
            b"[2026-11-26T18:35:54.950883Z INFO  time_server::request_log] GET /time 200 78us #1",
        );
        assert_eq!(header.unix_nanos, Some(1_795_718_154_950_883_000));
        assert_eq!(header.level, Some("INFO"));
        assert_eq!(header.severity(), Some(severity::INFO));
        let header = LineHeader::parse(b"[2026-11-26T18:35:54.950883Z WARN  kit] slow");
        assert_eq!(header.severity(), Some(severity::WARN));
        let header = LineHeader::parse(b"[2026-11-26T18:35:54.950883Z ERROR kit] boom");
        assert_eq!(header.severity(), Some(severity::ERROR));
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
        // A leap second is the last nanosecond of the second before it.
        assert_eq!(
            nanos("2016-12-31T23:59:60Z"),
            Some(1_483_228_799_999_999_999)
        );
        assert_eq!(nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(nanos("2000-02-29T00:00:00Z"), Some(951_782_400_000_000_000));
    }

    #[test]
    fn lines_without_a_leading_timestamp_have_no_header() {
        for line in [
            "",
            "GET /time 200",
            "n=00000001 ....",
            "    at continuation",
            "2018-11-11T22:12:26",   // no zone: a local time, not an instant
            "2018-11-11T22:12Z",     // no seconds
            "2018-13-11T22:12:26Z",  // month 13
            "2019-02-29T22:12:26Z",  // not a leap year
            "2018-11-11T24:00:00Z",  // hour 24
            "2018-11-11T22:12:26.Z", // a dot with no digits
            "2018-11-11T22:12:26+3:00",
            "1969-12-31T23:59:59Z", // before the epoch
            " 2018-11-11T22:12:26Z",
        ] {
            assert_eq!(nanos(line), None, "{line:?}");
        }
    }

    #[test]
    fn the_level_is_the_word_after_the_time_if_it_is_a_level() {
        fn level(line: &str) -> Option<&str> {
            LineHeader::parse(line.as_bytes()).level
        }
        assert_eq!(level("2018-11-11T22:12:26Z warning: disk"), Some("warning"));
        assert_eq!(level("2018-11-11T22:12:26Z [ERROR] x"), None);
        assert_eq!(level("2018-11-11T22:12:26Z GET /time"), None);
        assert_eq!(level("2018-11-11T22:12:26Z"), None);
        assert_eq!(level("INFO 2018-11-11T22:12:26Z"), None);
        let severity = |line: &str| LineHeader::parse(line.as_bytes()).severity();
        assert_eq!(severity("2018-11-11T22:12:26Z trace x"), Some(1));
        assert_eq!(severity("2018-11-11T22:12:26Z DEBUG x"), Some(5));
        assert_eq!(severity("2018-11-11T22:12:26Z notice x"), Some(10));
        assert_eq!(severity("2018-11-11T22:12:26Z FATAL x"), Some(21));
    }

    #[test]
    fn days_from_civil_agrees_with_a_day_by_day_walk() {
        let mut days = 0;
        for year in 1970..2101 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(days_from_civil(year, month, day), days);
                    days += 1;
                }
            }
        }
    }
}
