//! Records encoded once as NDJSON and cut into request bodies no larger than
//! the configured limits. Encoding once into one buffer means a retried or
//! bisected batch is a cheap slice of the same bytes, never a re-encode.

use std::ops::Range;

use bytes::Bytes;

use crate::record::{PodMetadata, Record};

/// The NDJSON lines of one `deliver` call, back to back, with where each ends.
#[derive(Debug)]
pub(crate) struct Encoded {
    bytes: Bytes,
    /// `ends[i]` is the offset just past line `i`'s newline.
    ends: Vec<usize>,
}

impl Encoded {
    pub(crate) fn new(records: &[Record], meta: &PodMetadata) -> Self {
        let mut buffer = Vec::new();
        let mut ends = Vec::with_capacity(records.len());
        for record in records {
            record.write_json(meta, &mut buffer);
            ends.push(buffer.len());
        }
        Encoded {
            bytes: Bytes::from(buffer),
            ends,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    fn start(&self, line: usize) -> usize {
        if line == 0 {
            0
        } else {
            self.ends[line - 1]
        }
    }

    /// The request body for lines `range`: a slice of the shared buffer.
    pub(crate) fn body(&self, range: Range<usize>) -> Bytes {
        if range.is_empty() {
            return Bytes::new();
        }
        self.bytes
            .slice(self.start(range.start)..self.ends[range.end - 1])
    }

    /// One line with its newline, for a dead letter.
    pub(crate) fn line(&self, line: usize) -> &[u8] {
        &self.bytes[self.start(line)..self.ends[line]]
    }

    /// Cuts all lines, in order, into consecutive batches of at most
    /// `max_lines` lines and `max_bytes` bytes. A single line longer than
    /// `max_bytes` goes alone in its batch: lines are never split here
    /// (`--max-line-bytes` bounds them upstream).
    pub(crate) fn batches(&self, max_lines: usize, max_bytes: usize) -> Vec<Range<usize>> {
        let max_lines = max_lines.max(1);
        let mut batches = Vec::new();
        let mut start = 0;
        while start < self.len() {
            let mut end = start + 1;
            while end < self.len()
                && end - start < max_lines
                && self.ends[end] - self.start(start) <= max_bytes
            {
                end += 1;
            }
            batches.push(start..end);
            start = end;
        }
        batches
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::Arc;

    fn encoded(lines: &[&str]) -> Encoded {
        let path: Arc<Path> = Arc::from(Path::new("/l"));
        let records: Vec<Record> = lines
            .iter()
            .map(|line| Record {
                path: path.clone(),
                line: line.as_bytes().to_vec(),
                truncated: false,
            })
            .collect();
        Encoded::new(&records, &PodMetadata::default())
    }

    fn line_len(text: &str) -> usize {
        // {"line":"<text>","file":"/l"}\n
        text.len() + r#"{"line":"","file":"/l"}"#.len() + 1
    }

    #[test]
    fn bodies_are_ndjson_in_order() {
        let e = encoded(&["a", "b", "c"]);
        assert_eq!(
            &e.body(1..3)[..],
            b"{\"line\":\"b\",\"file\":\"/l\"}\n{\"line\":\"c\",\"file\":\"/l\"}\n"
        );
        assert_eq!(e.line(0), b"{\"line\":\"a\",\"file\":\"/l\"}\n");
        assert!(e.body(2..2).is_empty());
    }

    #[test]
    fn batches_respect_the_line_limit() {
        let e = encoded(&["0", "1", "2", "3", "4", "5", "6"]);
        assert_eq!(e.batches(3, usize::MAX), [0..3, 3..6, 6..7]);
    }

    #[test]
    fn batches_respect_the_byte_limit() {
        let e = encoded(&["0", "1", "2", "3", "4"]);
        let two_lines = 2 * line_len("0");
        assert_eq!(e.batches(100, two_lines), [0..2, 2..4, 4..5]);
        assert_eq!(e.batches(100, two_lines + 1), [0..2, 2..4, 4..5]);
        assert_eq!(
            e.batches(100, two_lines - 1),
            [0..1, 1..2, 2..3, 3..4, 4..5]
        );
    }

    #[test]
    fn an_oversized_line_travels_alone() {
        let long = "x".repeat(500);
        let e = encoded(&["a", &long, "b"]);
        assert_eq!(e.batches(100, 100), [0..1, 1..2, 2..3]);
        assert_eq!(e.body(1..2).len(), line_len(&long));
    }

    #[test]
    fn batches_cover_every_line_exactly_once() {
        let texts: Vec<String> = (0..997).map(|i| "y".repeat(i % 37)).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let e = encoded(&refs);
        for (lines, bytes) in [(1, 1), (7, 300), (1000, 1 << 20), (50, 1000)] {
            let batches = e.batches(lines, bytes);
            let mut next = 0;
            for batch in &batches {
                assert_eq!(batch.start, next);
                assert!(batch.len() <= lines);
                assert!(batch.len() == 1 || e.body(batch.clone()).len() <= bytes);
                next = batch.end;
            }
            assert_eq!(next, e.len());
        }
    }

    #[test]
    fn no_records_no_batches() {
        assert!(encoded(&[]).batches(10, 10).is_empty());
    }
}
