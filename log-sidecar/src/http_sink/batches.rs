//! Records cut into NDJSON request bodies no larger than the configured
//! limits, encoded one batch at a time so the sink holds at most one body
//! beyond the records themselves, however large the caller's slice. A retried
//! or bisected batch is a cheap slice of the same bytes, never a re-encode.

use std::ops::Range;

use bytes::Bytes;

use crate::record::{PodMetadata, Record};

/// The NDJSON lines of one batch, back to back, with where each ends.
#[derive(Debug)]
pub(crate) struct Encoded {
    bytes: Bytes,
    /// `ends[i]` is the offset just past line `i`'s newline.
    ends: Vec<usize>,
}

impl Encoded {
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
}

/// Consecutive batches of at most `max_lines` lines and `max_bytes` bytes,
/// in order. A single line longer than `max_bytes` goes alone in its batch:
/// lines are never split here (`--max-line-bytes` bounds them upstream).
#[derive(Debug)]
pub(crate) struct Batches<'a> {
    records: &'a [Record],
    meta: &'a PodMetadata,
    next: usize,
    max_lines: usize,
    max_bytes: usize,
    /// A line encoded that did not fit the previous batch: the next one's start.
    carry: Option<Vec<u8>>,
}

impl<'a> Batches<'a> {
    pub(crate) fn new(
        records: &'a [Record],
        meta: &'a PodMetadata,
        max_lines: usize,
        max_bytes: usize,
    ) -> Self {
        Batches {
            records,
            meta,
            next: 0,
            max_lines: max_lines.max(1),
            max_bytes,
            carry: None,
        }
    }
}

impl Iterator for Batches<'_> {
    type Item = Encoded;

    fn next(&mut self) -> Option<Encoded> {
        let mut buffer = Vec::new();
        let mut ends = Vec::new();
        if let Some(carried) = self.carry.take() {
            buffer = carried;
            ends.push(buffer.len());
        }
        while ends.len() < self.max_lines && self.next < self.records.len() {
            let before = buffer.len();
            self.records[self.next].write_json(self.meta, &mut buffer);
            self.next += 1;
            if buffer.len() > self.max_bytes && !ends.is_empty() {
                self.carry = Some(buffer.split_off(before));
                break;
            }
            ends.push(buffer.len());
        }
        (!ends.is_empty()).then(|| Encoded {
            bytes: Bytes::from(buffer),
            ends,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::Arc;

    fn records(lines: &[&str]) -> Vec<Record> {
        let path: Arc<Path> = Arc::from(Path::new("/l"));
        lines
            .iter()
            .map(|line| Record {
                path: path.clone(),
                line: line.as_bytes().to_vec(),
                truncated: false,
            })
            .collect()
    }

    /// The batches' sizes in lines.
    fn cut(lines: &[&str], max_lines: usize, max_bytes: usize) -> Vec<usize> {
        let records = records(lines);
        let meta = PodMetadata::default();
        Batches::new(&records, &meta, max_lines, max_bytes)
            .map(|b| b.len())
            .collect()
    }

    fn line_len(text: &str) -> usize {
        // {"line":"<text>","file":"/l"}\n
        text.len() + r#"{"line":"","file":"/l"}"#.len() + 1
    }

    #[test]
    fn bodies_are_ndjson_in_order() {
        let records = records(&["a", "b", "c"]);
        let meta = PodMetadata::default();
        let batch = Batches::new(&records, &meta, 10, 1000)
            .next()
            .expect("one batch");
        assert_eq!(
            &batch.body(1..3)[..],
            b"{\"line\":\"b\",\"file\":\"/l\"}\n{\"line\":\"c\",\"file\":\"/l\"}\n"
        );
        assert_eq!(batch.line(0), b"{\"line\":\"a\",\"file\":\"/l\"}\n");
        assert!(batch.body(2..2).is_empty());
    }

    #[test]
    fn batches_respect_the_line_limit() {
        assert_eq!(
            cut(&["0", "1", "2", "3", "4", "5", "6"], 3, usize::MAX),
            [3, 3, 1]
        );
    }

    #[test]
    fn batches_respect_the_byte_limit() {
        let lines = ["0", "1", "2", "3", "4"];
        let two_lines = 2 * line_len("0");
        assert_eq!(cut(&lines, 100, two_lines), [2, 2, 1]);
        assert_eq!(cut(&lines, 100, two_lines + 1), [2, 2, 1]);
        assert_eq!(cut(&lines, 100, two_lines - 1), [1, 1, 1, 1, 1]);
    }

    #[test]
    fn an_oversized_line_travels_alone() {
        let long = "x".repeat(500);
        let records = records(&["a", &long, "b"]);
        let meta = PodMetadata::default();
        let batches: Vec<Encoded> = Batches::new(&records, &meta, 100, 100).collect();
        assert_eq!(
            batches.iter().map(Encoded::len).collect::<Vec<_>>(),
            [1, 1, 1]
        );
        assert_eq!(batches[1].body(0..1).len(), line_len(&long));
    }

    #[test]
    fn batches_cover_every_line_exactly_once_in_order() {
        let texts: Vec<String> = (0..997)
            .map(|i| format!("{i:04}{}", "y".repeat(i % 37)))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let records = records(&refs);
        let meta = PodMetadata::default();
        let mut all = Vec::new();
        for record in &records {
            record.write_json(&meta, &mut all);
        }
        for (lines, bytes) in [(1, 1), (7, 300), (1000, 1 << 20), (50, 1000)] {
            let mut joined = Vec::new();
            let mut count = 0;
            for batch in Batches::new(&records, &meta, lines, bytes) {
                let body = batch.body(0..batch.len());
                assert!(batch.len() <= lines);
                assert!(batch.len() == 1 || body.len() <= bytes);
                joined.extend_from_slice(&body);
                count += batch.len();
            }
            assert_eq!(count, records.len());
            assert_eq!(joined, all);
        }
    }

    #[test]
    fn no_records_no_batches() {
        assert!(cut(&[], 10, 10).is_empty());
    }
}
