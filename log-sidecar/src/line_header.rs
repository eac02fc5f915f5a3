//! What a log line says about itself in its first bytes: the time it was
//! written, as a leading RFC 3339 timestamp, and its level, in the column
//! right after that time. time-server writes both
//! (`[2026-11-26T18:35:54.950883Z INFO  time_server::request_log] GET /time 200`,
//! env_logger's layout), and so do most loggers (`2026-11-26T18:35:54Z WARN ...`).
//! The structured outputs use them as the record's time and severity
//! (OpenTelemetry's `time_unix_nano` and `severity_number`); a line that
//! does not start that way has neither, and the time it was read stands in.
//! The timestamp is read by time-core ([`time_core::rfc3339`]).

use time_core::rfc3339;

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
        let Some((instant, rest)) = rfc3339::parse_prefix(rest) else {
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
            unix_nanos: instant.unix_nano().ok().and_then(|n| u64::try_from(n).ok()),
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
    fn lines_without_a_leading_timestamp_have_no_header() {
        for line in [
            "",
            "GET /time 200",
            "n=00000001 ....",
            "    at continuation",
            "[2018-11-11T22:12:26", // no zone (time-core's tests have the rest)
            "1969-12-31T23:59:59Z", // before the epoch
            "[[2018-11-11T22:12:26Z",
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
}
