//! Multi-line records: a program that writes one message over several
//! lines (time-server indents a message's continuation lines by four
//! spaces, as env_logger does; a stack trace) means one record, and the
//! structured outputs (`--format json`, both sinks) carry it as one, as
//! Fluent Bit's `multiline.parser` and Vector's `multiline` do. Lines are
//! joined as they are read, before any output sees them.
//!
//! Only whole records are taken from a file: the last record of a file
//! that stopped growing is held, its bytes not read and so not
//! checkpointed, until a line that starts the next record arrives, the
//! flush timeout passes, the file goes away or the sidecar stops. Nothing
//! is lost by holding, and a restart reads the held record again whole.
//!
//! Rules: a line that starts with four spaces continues the record before
//! it ([`Multiline::indent`], the default), or a line that matches a start
//! pattern begins a record and every other line continues it
//! ([`Multiline::start_pattern`]). The first line read from a file always
//! begins a record. A record is at most `--max-line-bytes` long: a
//! continuation that would make it longer begins a record of its own,
//! and a record that long is never held.
//!
//! Raw stdout writes a joined record as the lines it was made of
//! (newlines between them), so its bytes do not change.

use std::time::Duration;

use regex_lite::Regex;

use crate::record::Record;

/// Which lines continue a record, and how long a file's last record waits
/// for more of them.
#[derive(Debug, Clone)]
pub struct Multiline {
    rule: Rule,
    timeout: Duration,
}

#[derive(Debug, Clone)]
enum Rule {
    /// Four leading spaces continue.
    Indent,
    /// A match begins a record; other lines continue.
    Start(Regex),
}

/// What [`Multiline::whole_records`] found at the start of a file's
/// unread bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Take {
    /// Bytes to cut into records now: whole records only.
    pub(crate) bytes: usize,
    /// Complete lines after them are held: the last record, which may
    /// still grow.
    pub(crate) holds: bool,
}

impl Multiline {
    /// time-server's (and env_logger's) rule: a line starting with four
    /// spaces continues the record before it. The last record of a quiet
    /// file is flushed after `timeout`.
    pub fn indent(timeout: Duration) -> Self {
        Multiline {
            rule: Rule::Indent,
            timeout,
        }
    }

    /// A line matching `pattern` begins a record; any other line continues
    /// the one before. Or why `pattern` is no regular expression.
    pub fn start_pattern(pattern: &str, timeout: Duration) -> Result<Self, regex_lite::Error> {
        Ok(Multiline {
            rule: Rule::Start(Regex::new(pattern)?),
            timeout,
        })
    }

    /// How long a held record waits for a line that ends it.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn continues(&self, line: &[u8]) -> bool {
        match &self.rule {
            Rule::Indent => line.starts_with(b"    "),
            Rule::Start(start) => {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                !start.is_match(&String::from_utf8_lossy(line))
            }
        }
    }

    /// How much of `bytes`, a file's unread bytes from a record's start,
    /// to cut into records now: whole records, at most `max_lines` lines
    /// (a single record with more is cut there), the last one held when
    /// `hold_last` (it may still grow) unless it is longer than
    /// `max_record`, which then goes to the line cutter as it is.
    pub(crate) fn whole_records(
        &self,
        bytes: &[u8],
        max_lines: usize,
        max_record: usize,
        hold_last: bool,
    ) -> Take {
        let mut record_start = 0;
        let mut lines = 0;
        let mut at = 0;
        while let Some(newline) = memchr::memchr(b'\n', &bytes[at..]) {
            if at > 0 && !self.continues(&bytes[at..at + newline]) {
                record_start = at;
            }
            if lines == max_lines {
                let cut = if record_start > 0 { record_start } else { at };
                return Take {
                    bytes: cut,
                    holds: false,
                };
            }
            lines += 1;
            at += newline + 1;
        }
        if bytes.len() - record_start > max_record {
            Take {
                bytes: bytes.len(),
                holds: false,
            }
        } else if hold_last && record_start < at {
            Take {
                bytes: record_start,
                holds: true,
            }
        } else {
            Take {
                bytes: at,
                holds: false,
            }
        }
    }

    /// Joins each continuation in `records[from..]` (all from one file,
    /// the first a record's start) to the record before it, with a
    /// newline between, up to `max_record` bytes a record.
    pub(crate) fn join(&self, records: &mut Vec<Record>, from: usize, max_record: usize) {
        if records.len() <= from + 1 {
            return;
        }
        let mut into = from;
        for i in from + 1..records.len() {
            let fits = records[into].line.len() + 1 + records[i].line.len() <= max_record;
            if fits && self.continues(&records[i].line) {
                let line = std::mem::take(&mut records[i].line);
                let truncated = records[i].truncated;
                let record = &mut records[into];
                record.line.push(b'\n');
                record.line.extend_from_slice(&line);
                record.truncated |= truncated;
            } else {
                into += 1;
                records.swap(into, i);
            }
        }
        records.truncate(into + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::Arc;

    const SECOND: Duration = Duration::from_secs(1);

    fn records(lines: &[&str]) -> Vec<Record> {
        let path: Arc<Path> = Arc::from(Path::new("/x.log"));
        lines
            .iter()
            .map(|l| Record::new(path.clone(), l.as_bytes().to_vec(), false))
            .collect()
    }

    fn joined(rule: &Multiline, lines: &[&str], max_record: usize) -> Vec<String> {
        let mut records = records(lines);
        rule.join(&mut records, 0, max_record);
        records
            .iter()
            .map(|r| String::from_utf8(r.line.clone()).unwrap())
            .collect()
    }

    #[test]
    fn indented_lines_join_the_record_before_them() {
        let rule = Multiline::indent(SECOND);
        assert_eq!(
            joined(
                &rule,
                &[
                    "[t INFO  a] one",
                    "    two",
                    "    three",
                    "[t INFO  a] four",
                    "  five"
                ],
                1000
            ),
            [
                "[t INFO  a] one\n    two\n    three",
                "[t INFO  a] four",
                "  five"
            ]
        );
        assert_eq!(
            joined(&rule, &["    orphan", "    too"], 1000),
            ["    orphan\n    too"],
            "the first line read begins a record, whatever it looks like"
        );
    }

    #[test]
    fn a_start_pattern_begins_records_and_everything_else_continues() {
        let rule = Multiline::start_pattern(r"^\d{4}-\d\d-\d\d ", SECOND).unwrap();
        assert_eq!(
            joined(
                &rule,
                &[
                    "2026-12-01 boom",
                    "java.lang.Error: x",
                    "\tat A.b(A.java:1)",
                    "2026-12-01 fine\r"
                ],
                1000
            ),
            [
                "2026-12-01 boom\njava.lang.Error: x\n\tat A.b(A.java:1)",
                "2026-12-01 fine\r"
            ]
        );
        assert!(Multiline::start_pattern("(", SECOND).is_err());
    }

    #[test]
    fn a_record_never_grows_past_the_longest_line() {
        let rule = Multiline::indent(SECOND);
        assert_eq!(
            joined(&rule, &["start", "    1", "    2", "    3"], 17),
            ["start\n    1\n    2", "    3"]
        );
    }

    #[test]
    fn the_last_record_is_held_while_it_may_grow() {
        let rule = Multiline::indent(SECOND);
        let bytes = b"a\n    b\nc\n    d\n    e\npart";
        let held = rule.whole_records(bytes, usize::MAX, 1000, true);
        assert_eq!(
            held,
            Take {
                bytes: 8,
                holds: true
            },
            "c and its continuations wait"
        );
        let flushed = rule.whole_records(bytes, usize::MAX, 1000, false);
        assert_eq!(
            flushed,
            Take {
                bytes: 22,
                holds: false
            },
            "after the timeout every complete line goes, the partial one waits"
        );
        assert_eq!(
            rule.whole_records(b"a\n    b\n", usize::MAX, 1000, true),
            Take {
                bytes: 0,
                holds: true
            }
        );
        assert_eq!(
            rule.whole_records(b"no newline", usize::MAX, 1000, true),
            Take {
                bytes: 0,
                holds: false
            }
        );
    }

    #[test]
    fn a_record_too_long_to_hold_goes_as_it_is() {
        let rule = Multiline::indent(SECOND);
        let bytes = b"a\n    b\n    c\n";
        assert_eq!(
            rule.whole_records(bytes, usize::MAX, 10, true),
            Take {
                bytes: bytes.len(),
                holds: false
            }
        );
    }

    #[test]
    fn a_line_budget_cuts_between_records() {
        let rule = Multiline::indent(SECOND);
        let bytes = b"a\n    b\nc\n    d\ne\n";
        assert_eq!(rule.whole_records(bytes, 3, 1000, true).bytes, 8);
        assert_eq!(rule.whole_records(bytes, 4, 1000, true).bytes, 16);
        assert_eq!(rule.whole_records(bytes, 2, 1000, true).bytes, 8);
        assert_eq!(
            rule.whole_records(bytes, 1, 1000, true).bytes,
            2,
            "a record longer than the budget is cut at the budget"
        );
    }
}
