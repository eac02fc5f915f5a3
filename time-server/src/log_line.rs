//! The time service's log lines: env_logger's default layout with
//! microsecond timestamps,
//! `[2026-11-26T18:35:54.950883Z INFO  time_server::request_log] GET /time 200 78us #1`,
//! written by the process's logger into the kit's [`LogSink`].
//!
//! env_logger still decides which records are logged (`RUST_LOG`, its
//! filter syntax), but the line is written here, straight into the sink's
//! queue: env_logger's writer formats into a buffer, copies it through an
//! ANSI-stripping adapter and then into the pipe, which profiling showed
//! as a visible share of a request's cost, and which paged in code that
//! otherwise sits idle.

use std::cell::Cell;
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, Log, Metadata, Record};
use time_core::{FixedZone, GoTime, Timestamp};

use crate::kit::{LogSink, LogWriter};

/// Makes `sink` the destination of the `log` crate's records, filtered as
/// `RUST_LOG` says (`info` when unset), laid out as env_logger's default
/// format.
pub fn init_logger(sink: &LogSink) -> Result<(), log::SetLoggerError> {
    QueueLogger::from_env(sink.writer()).install()
}

/// Appends one record as a line: `[<time> <LEVEL> <target>] <message>\n`,
/// continuation lines of a multi-line message indented by 4 spaces (as
/// env_logger does).
fn write_line(out: &mut Vec<u8>, now: SystemTime, record: &Record<'_>) {
    out.push(b'[');
    write_rfc3339_micros(out, now);
    out.extend_from_slice(level_column(record.level()));
    out.extend_from_slice(record.target().as_bytes());
    out.extend_from_slice(b"] ");
    let start = out.len();
    match record.args().as_str() {
        Some(message) => out.extend_from_slice(message.as_bytes()),
        // Writing into a Vec cannot fail.
        None => {
            let _ = write!(out, "{}", record.args());
        }
    }
    if out[start..].contains(&b'\n') {
        let message = out.split_off(start);
        for (i, part) in message.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\n    ");
            }
            out.extend_from_slice(part);
        }
    }
    out.push(b'\n');
}

/// ` INFO  `: the level left-aligned in five columns between spaces, as
/// env_logger's `{:<5}`, without going through the formatter.
fn level_column(level: Level) -> &'static [u8] {
    match level {
        Level::Error => b" ERROR ",
        Level::Warn => b" WARN  ",
        Level::Info => b" INFO  ",
        Level::Debug => b" DEBUG ",
        Level::Trace => b" TRACE ",
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC (times before 1970 print as 1970).
fn write_rfc3339_micros(out: &mut Vec<u8>, now: SystemTime) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    // Under load hundreds of lines share a second: the date and time of
    // day are formatted once per second per thread, only the microseconds
    // each time.
    let (cached, mut prefix) = SECOND.get();
    if cached != secs {
        prefix = second_prefix(secs);
        SECOND.set((secs, prefix));
    }
    let mut micros = *b"000000Z";
    let mut value = since.subsec_micros();
    for digit in micros[..6].iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
    out.extend_from_slice(&prefix);
    out.extend_from_slice(&micros);
}

/// `YYYY-MM-DDTHH:MM:SS.` of a whole second: Go's RFC 3339 of a time with
/// no fraction, in UTC, is that with a `Z` for the dot. A clock past the
/// year 9999, which RFC 3339 cannot write, shows the last second it can.
fn second_prefix(secs: u64) -> [u8; 20] {
    let whole = i64::try_from(secs)
        .ok()
        .and_then(|secs| Timestamp::new(secs, 0).ok())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let text = GoTime::new(whole, FixedZone::UTC).rfc3339_nano();
    let mut prefix: [u8; 20] = text
        .as_bytes()
        .try_into()
        .unwrap_or(*b"9999-12-31T23:59:59Z");
    prefix[19] = b'.';
    prefix
}

thread_local! {
    /// The last second formatted on this thread, and its
    /// `YYYY-MM-DDTHH:MM:SS.` text.
    static SECOND: Cell<(u64, [u8; 20])> = const { Cell::new((u64::MAX, [0; 20])) };
}

/// The process's logger: env_logger's filter, this module's layout, the
/// sink's queue.
#[derive(Debug)]
struct QueueLogger {
    filter: env_logger::Logger,
    queue: LogWriter,
}

impl QueueLogger {
    /// Filters as `RUST_LOG` says (`info` when unset) and queues into `queue`.
    fn from_env(queue: LogWriter) -> Self {
        let filter =
            env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
                .build();
        QueueLogger { filter, queue }
    }

    /// Installs this logger for the `log` macros.
    fn install(self) -> Result<(), log::SetLoggerError> {
        let max = self.filter.filter();
        log::set_boxed_logger(Box::new(self))?;
        log::set_max_level(max);
        Ok(())
    }
}

thread_local! {
    static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Log for QueueLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.filter.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.filter.matches(record) {
            return;
        }
        LINE.with(|line| {
            // Re-entrancy (a Display impl that logs) gets its own buffer.
            let mut own = Vec::new();
            let mut borrowed = line.try_borrow_mut();
            let buf = match borrowed.as_deref_mut() {
                Ok(buf) => buf,
                Err(_) => &mut own,
            };
            buf.clear();
            write_line(buf, SystemTime::now(), record);
            self.queue.push(buf);
        });
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, micros: u32) -> String {
        let mut out = Vec::new();
        write_rfc3339_micros(&mut out, UNIX_EPOCH + Duration::new(secs, micros * 1000));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_micros() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(1_541_974_346, 500_000), "2018-11-11T22:12:26.500000Z");
        assert_eq!(at(951_782_400, 1), "2000-02-29T00:00:00.000001Z");
        assert_eq!(at(4_107_542_399, 999_999), "2100-02-28T23:59:59.999999Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
        assert_eq!(at(1_795_718_154, 950_883), "2026-11-26T18:35:54.950883Z");
        // The per-second cache: same second, next second, back again.
        assert_eq!(at(1_795_718_154, 7), "2026-11-26T18:35:54.000007Z");
        assert_eq!(at(1_795_718_155, 0), "2026-11-26T18:35:55.000000Z");
        assert_eq!(at(1_795_718_154, 8), "2026-11-26T18:35:54.000008Z");
    }

    #[test]
    fn lines_have_env_loggers_layout() {
        let now = UNIX_EPOCH + Duration::new(1_795_718_154, 950_883_000);
        let mut out = Vec::new();
        write_line(
            &mut out,
            now,
            &Record::builder()
                .level(log::Level::Info)
                .target("time_server::request_log")
                .args(format_args!("GET /time 200 78us #1"))
                .build(),
        );
        write_line(
            &mut out,
            now,
            &Record::builder()
                .level(log::Level::Error)
                .target("time_server")
                .args(format_args!("two\nlines"))
                .build(),
        );
        let n = 42;
        for (level, text) in [(log::Level::Warn, "a"), (log::Level::Debug, "b\nc")] {
            write_line(
                &mut out,
                now,
                &Record::builder()
                    .level(level)
                    .target("x")
                    .args(format_args!("{text} {n}"))
                    .build(),
            );
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[2026-11-26T18:35:54.950883Z INFO  time_server::request_log] GET /time 200 78us #1\n\
             [2026-11-26T18:35:54.950883Z ERROR time_server] two\n    lines\n\
             [2026-11-26T18:35:54.950883Z WARN  x] a 42\n\
             [2026-11-26T18:35:54.950883Z DEBUG x] b\n    c 42\n"
        );
    }
}
