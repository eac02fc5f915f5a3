//! Cutting bytes read from a file into records: complete lines only (a
//! partial last line waits for its newline, unless the caller flushes it at
//! shutdown), CRLF handled, and lines longer than `--max-line-bytes` split
//! into pieces so one huge line can never stall a file or blow the memory
//! bound.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use crate::fingerprint::Head;
use crate::record::Record;
use crate::splice::FileRange;

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
///
/// The buffer is recycled from batch to batch and never shrinks: its bytes
/// past the lines held are scratch space that file blocks are read into
/// directly (see [`pass_through`]), so a recycled buffer is neither
/// reallocated nor zeroed again.
#[derive(Debug, Default)]
pub struct RawLines {
    buf: Vec<u8>,
    len: usize,
    /// The stretches of the lines that are a file's bytes unchanged.
    ranges: Vec<FileRange>,
}

impl RawLines {
    /// Empty lines in a recycled buffer (its old contents are scratch).
    pub fn reuse(buf: Vec<u8>) -> Self {
        Self {
            buf,
            len: 0,
            ranges: Vec::new(),
        }
    }

    /// Lines already encoded for stdout (JSON lines): `buf` whole, none
    /// of it a file's bytes.
    pub fn encoded(buf: Vec<u8>) -> Self {
        Self {
            len: buf.len(),
            buf,
            ranges: Vec::new(),
        }
    }

    /// The encoded lines.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The stretches of [`RawLines::as_bytes`] that are a file's bytes
    /// unchanged, in order.
    pub fn ranges(&self) -> &[FileRange] {
        &self.ranges
    }

    /// `n` bytes of scratch space right after the encoded lines, to read a
    /// block into; [`RawLines::keep`] then keeps a prefix of it.
    pub fn spare(&mut self, n: usize) -> &mut [u8] {
        if self.buf.len() < self.len + n {
            self.buf.resize(self.len + n, 0);
        }
        &mut self.buf[self.len..self.len + n]
    }

    /// Keeps the first `n` bytes of the [`RawLines::spare`] space as lines.
    pub fn keep(&mut self, n: usize) {
        assert!(
            self.len + n <= self.buf.len(),
            "kept more than the spare space"
        );
        self.len += n;
    }

    /// [`RawLines::keep`], for bytes that are `file`'s from `offset` on,
    /// unchanged (whose head is `head`): stdout may splice them from the
    /// file instead of writing them from here.
    pub fn keep_file_bytes(&mut self, n: usize, file: &Arc<File>, offset: u64, head: Head) {
        let at = self.len;
        self.keep(n);
        let extended = self
            .ranges
            .last_mut()
            .is_some_and(|last| last.extend(file, offset, at, n));
        if !extended {
            self.ranges.push(FileRange {
                file: Arc::clone(file),
                offset,
                at,
                len: n,
                head,
            });
        }
    }

    /// Drops the lines past the first `len` bytes (and their file ranges).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
        self.ranges.retain(|r| r.at < self.len);
        if let Some(last) = self.ranges.last_mut() {
            last.len = last.len.min(self.len - last.at);
        }
    }

    /// The buffer back, for the next batch to reuse.
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }
}

impl LineSink for RawLines {
    fn push_line(&mut self, _path: &Arc<Path>, line: &[u8], _truncated: bool) {
        // One copy for the line and its newline: `spare` grows the buffer
        // (amortised) only while it is smaller than a batch.
        let dst = self.spare(line.len() + 1);
        dst[..line.len()].copy_from_slice(line);
        dst[line.len()] = b'\n';
        self.len += line.len() + 1;
    }
}

/// What [`pass_through`] found at the start of a block.
#[derive(Debug, PartialEq, Eq)]
pub enum Block {
    /// The first `consumed` bytes are `lines` complete lines that raw
    /// output prints exactly as they are in the file.
    Clean {
        /// Bytes of those lines, newlines included.
        consumed: usize,
        /// How many lines.
        lines: usize,
    },
    /// Not one complete line in the block.
    NoNewline,
    /// A line needs a change (a CR to strip): cut it line by line.
    NeedsSplit,
}

/// Looks at a block of a file for raw output, which for most logs is the
/// block itself: the complete lines at its start, at most `max_lines`, are
/// [`Block::Clean`] when none of them has a CR. The caller guarantees that
/// the block starts at a line start and is at most `--max-line-bytes` long,
/// so no line in it can be over-long. Two SIMD passes (count the newlines,
/// look for a CR) replace a search, a copy and a push per line; the result
/// is byte for byte what [`split`] into [`RawLines`] would give.
pub fn pass_through(block: &[u8], max_lines: usize) -> Block {
    let Some(last) = memchr::memrchr(b'\n', block) else {
        return Block::NoNewline;
    };
    if max_lines == 0 {
        return Block::NeedsSplit;
    }
    let mut consumed = last + 1;
    let mut lines = memchr::memchr_iter(b'\n', &block[..consumed]).count();
    if lines > max_lines {
        let nth = memchr::memchr_iter(b'\n', block)
            .nth(max_lines - 1)
            .expect("more newlines than max_lines were counted");
        consumed = nth + 1;
        lines = max_lines;
    }
    if memchr::memchr(b'\r', &block[..consumed]).is_some() {
        return Block::NeedsSplit;
    }
    Block::Clean { consumed, lines }
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
    Record::new(Arc::clone(path), line.to_vec(), truncated)
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
        assert_eq!(raw.as_bytes(), encoded);
        assert_eq!(raw.as_bytes(), b"a\nbcd\nefg\n\xff\npar\nt\n");
    }

    #[test]
    fn truncated_raw_lines_keep_only_the_file_ranges_of_what_is_left() {
        let path: Arc<Path> = Arc::from(Path::new("/x.log"));
        let file = Arc::new(tempfile::tempfile().unwrap());
        let mut raw = RawLines::default();
        raw.push_line(&path, b"a", false);
        raw.spare(10);
        raw.keep_file_bytes(10, &file, 0, Head::default());
        raw.spare(6);
        raw.keep_file_bytes(6, &file, 10, Head::default());
        let range = |raw: &RawLines| {
            raw.ranges()
                .iter()
                .map(|r| (r.at, r.len))
                .collect::<Vec<_>>()
        };
        assert_eq!(range(&raw), [(2, 16)]);
        raw.truncate(7);
        assert_eq!((raw.as_bytes().len(), range(&raw)), (7, vec![(2, 5)]));
        raw.truncate(2);
        assert_eq!((raw.as_bytes(), range(&raw)), (&b"a\n"[..], vec![]));
    }

    #[test]
    fn line_budget_respected() {
        let path: Arc<Path> = Arc::from(Path::new("/x.log"));
        let mut out = Vec::new();
        let s = split(b"a\nb\nc\n", &path, 10, 2, false, &mut out);
        assert_eq!((s.lines, s.consumed), (2, 4));
    }

    #[test]
    fn pass_through_takes_complete_clean_lines_only() {
        assert_eq!(
            pass_through(b"ab\ncd\nef", 10),
            Block::Clean {
                consumed: 6,
                lines: 2
            }
        );
        assert_eq!(
            pass_through(b"ab\ncd\nef\n", 2),
            Block::Clean {
                consumed: 6,
                lines: 2
            }
        );
        assert_eq!(pass_through(b"partial", 10), Block::NoNewline);
        assert_eq!(pass_through(b"a\r\nb\n", 10), Block::NeedsSplit);
        assert_eq!(
            pass_through(b"a\nb\r\n", 1),
            Block::Clean {
                consumed: 2,
                lines: 1
            },
            "a CR past the line budget does not matter"
        );
    }

    /// Whatever the block, a clean pass-through is exactly what splitting
    /// it line by line into raw lines gives.
    #[test]
    fn pass_through_agrees_with_split() {
        let path: Arc<Path> = Arc::from(Path::new("/x.log"));
        let alphabet = b"ab\n\r\xff";
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut clean = 0;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let block: Vec<u8> = (0..len)
                .map(|k| alphabet[((state >> (k * 2 % 60)) % 5) as usize])
                .collect();
            let max_lines = 1 + (state >> 61) as usize;
            let mut raw = RawLines::default();
            let s = split(
                &block,
                &path,
                block.len().max(1),
                max_lines,
                false,
                &mut raw,
            );
            match pass_through(&block, max_lines) {
                Block::Clean { consumed, lines } => {
                    clean += 1;
                    assert_eq!((consumed, lines), (s.consumed, s.lines), "{block:?}");
                    assert_eq!(&block[..consumed], raw.as_bytes(), "{block:?}");
                }
                Block::NoNewline => assert_eq!(s.lines, 0, "{block:?}"),
                Block::NeedsSplit => assert!(block[..s.consumed].contains(&b'\r')),
            }
        }
        assert!(
            clean > 1000,
            "the generator makes clean blocks too ({clean})"
        );
    }
}
