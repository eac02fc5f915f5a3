//! Cutting bytes read from a file into records: complete lines only (a
//! partial last line waits for its newline, unless the caller flushes it at
//! shutdown), CRLF handled, and lines longer than `--max-line-bytes` split
//! into pieces so one huge line can never stall a file or blow the memory
//! bound.

use std::path::Path;
use std::sync::Arc;

use crate::record::Record;

/// Where [`split`] puts the lines it finds.
pub trait LineSink {
    /// One line, without its terminator; `truncated` when it was cut.
    fn push_line(&mut self, path: &Arc<Path>, line: &[u8], truncated: bool);
}

impl LineSink for Vec<Record> {
    fn push_line(&mut self, path: &Arc<Path>, line: &[u8], truncated: bool) {
        self.push(record(path, line, truncated));
    }
}

/// Lines as raw stdout wants them, each followed by a newline, in one
/// buffer: nothing allocated per line, for the common `--format raw`
/// without a sink, where a `Record` per line would cost more than the copy.
#[derive(Debug, Default)]
pub struct RawLines {
    /// The encoded lines.
    pub bytes: Vec<u8>,
}

impl LineSink for RawLines {
    fn push_line(&mut self, _path: &Arc<Path>, line: &[u8], _truncated: bool) {
        self.bytes.extend_from_slice(line);
        self.bytes.push(b'\n');
    }
}

/// What [`split`] took from a buffer.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    /// Bytes of the buffer covered by the records pushed (the offset advance).
    pub consumed: usize,
    /// Records pushed.
    pub lines: usize,
    /// Pieces cut at the maximum line length.
    pub cuts: usize,
}

/// Appends to `out` the records found at the start of `buf`, at most
/// `max_lines` of them. `flush_partial` also emits a final line that has no
/// newline (shutdown, or a file that will never grow again).
pub fn split(
    buf: &[u8],
    path: &Arc<Path>,
    max_line: usize,
    max_lines: usize,
    flush_partial: bool,
    out: &mut impl LineSink,
) -> Split {
    debug_assert!(max_line > 0);
    let mut s = Split::default();
    let mut start = 0;
    while s.lines < max_lines && start < buf.len() {
        let rest = &buf[start..];
        match memchr_newline(rest) {
            Some(nl) if nl <= max_line || (nl == max_line + 1 && rest[nl - 1] == b'\r') => {
                let mut line = &rest[..nl];
                if line.last() == Some(&b'\r') {
                    line = &line[..line.len() - 1];
                }
                out.push_line(path, line, false);
                s.lines += 1;
                start += nl + 1;
            }
            _ if rest.len() > max_line + 1
                || (rest.len() == max_line + 1 && rest[max_line] != b'\r') =>
            {
                // No newline within reach: cut a piece, the rest of the line
                // follows. (A line of exactly max_line bytes waits for the
                // byte after it, which may be its newline or its CR.)
                out.push_line(path, &rest[..max_line], true);
                s.lines += 1;
                s.cuts += 1;
                start += max_line;
            }
            _ if flush_partial => {
                let mut line = rest;
                if line.last() == Some(&b'\r') {
                    line = &line[..line.len() - 1];
                }
                out.push_line(path, line, false);
                s.lines += 1;
                start = buf.len();
            }
            _ => break,
        }
    }
    s.consumed = start;
    s
}

fn record(path: &Arc<Path>, line: &[u8], truncated: bool) -> Record {
    Record {
        path: Arc::clone(path),
        line: line.to_vec(),
        truncated,
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(buf: &[u8], max_line: usize, flush: bool) -> (Vec<(String, bool)>, Split) {
        let path: Arc<Path> = Arc::from(Path::new("/x.log"));
        let mut out = Vec::new();
        let s = split(buf, &path, max_line, usize::MAX, flush, &mut out);
        let lines = out
            .into_iter()
            .map(|r| (String::from_utf8_lossy(&r.line).into_owned(), r.truncated))
            .collect();
        (lines, s)
    }

    #[test]
    fn complete_lines_only_and_crlf_stripped() {
        let (lines, s) = run(b"a\r\nb\npart", 100, false);
        assert_eq!(lines, [("a".into(), false), ("b".into(), false)]);
        assert_eq!(s.consumed, 5);
    }

    #[test]
    fn partial_line_emitted_when_flushed() {
        let (lines, s) = run(b"a\npart", 100, true);
        assert_eq!(lines, [("a".into(), false), ("part".into(), false)]);
        assert_eq!(s.consumed, 6);
    }

    #[test]
    fn long_line_split_into_marked_pieces() {
        let (lines, s) = run(b"abcdefgh\nxy\n", 3, false);
        assert_eq!(
            lines,
            [
                ("abc".into(), true),
                ("def".into(), true),
                ("gh".into(), false),
                ("xy".into(), false)
            ]
        );
        assert_eq!(s.cuts, 2);
        assert_eq!(s.consumed, 12);
    }

    #[test]
    fn line_of_exactly_max_is_not_cut() {
        let (lines, s) = run(b"abc\nabc\r\n", 3, false);
        assert_eq!(lines, [("abc".into(), false), ("abc".into(), false)]);
        assert_eq!(s.cuts, 0);
    }

    #[test]
    fn partial_long_line_cut_without_waiting() {
        let (lines, s) = run(b"abcdefg", 3, false);
        assert_eq!(lines, [("abc".into(), true), ("def".into(), true)]);
        assert_eq!(s.consumed, 6, "'g' waits for more");
        let (lines, _) = run(b"abcd", 4, false);
        assert!(lines.is_empty(), "'abcd' may still end with a newline");
    }

    #[test]
    fn raw_lines_encode_like_records() {
        let path: Arc<Path> = Arc::from(Path::new("/x.log"));
        let input = b"a\r\nbcdefg\n\xff\npart";
        let mut records = Vec::new();
        let mut raw = RawLines::default();
        let a = split(input, &path, 3, usize::MAX, true, &mut records);
        let b = split(input, &path, 3, usize::MAX, true, &mut raw);
        assert_eq!(a, b);
        let mut encoded = Vec::new();
        for r in &records {
            r.write_raw(&mut encoded);
        }
        assert_eq!(raw.bytes, encoded);
        assert_eq!(raw.bytes, b"a\nbcd\nefg\n\xff\npar\nt\n");
    }

    #[test]
    fn line_budget_respected() {
        let path: Arc<Path> = Arc::from(Path::new("/x.log"));
        let mut out = Vec::new();
        let s = split(b"a\nb\nc\n", &path, 10, 2, false, &mut out);
        assert_eq!((s.lines, s.consumed), (2, 4));
    }
}
