//! Records cut into request bodies no larger than the configured limits,
//! encoded one batch at a time so the sink holds at most one batch's bytes
//! beyond the records themselves, however large the caller's slice. Each
//! record is encoded once ([`Encoder::encode`]); a retried or split request
//! is built from a slice of the same bytes, never a re-encode.

use std::ops::Range;

use bytes::Bytes;

use super::encoding::Encoder;
use crate::record::Record;

/// The records of one batch, each encoded, back to back, with where each ends.
#[derive(Debug)]
pub(crate) struct Encoded<'a> {
    bytes: Bytes,
    /// `ends[i]` is the offset just past record `i`'s encoding.
    ends: Vec<usize>,
    /// The records themselves, for dead letters.
    records: &'a [Record],
}

impl Encoded<'_> {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    fn start(&self, record: usize) -> usize {
        if record == 0 {
            0
        } else {
            self.ends[record - 1]
        }
    }

    /// The encodings of records `range`, back to back: a slice of the
    /// shared buffer.
    pub(crate) fn encoded(&self, range: Range<usize>) -> Bytes {
        if range.is_empty() {
            return Bytes::new();
        }
        self.bytes
            .slice(self.start(range.start)..self.ends[range.end - 1])
    }

    /// Record `i` of the batch.
    pub(crate) fn record(&self, i: usize) -> &Record {
        &self.records[i]
    }
}

/// Consecutive batches of at most `max_lines` records and `max_bytes`
/// encoded bytes, in order. A single record longer than `max_bytes` goes
/// alone in its batch: records are never split here (`--max-line-bytes`
/// bounds them upstream).
#[derive(Debug)]
pub(crate) struct Batches<'a> {
    records: &'a [Record],
    /// The first record not encoded yet.
    next: usize,
    max_lines: usize,
    max_bytes: usize,
    /// A record encoded that did not fit the previous batch: the next one's start.
    carry: Option<Vec<u8>>,
}

impl<'a> Batches<'a> {
    pub(crate) fn new(records: &'a [Record], max_lines: usize, max_bytes: usize) -> Self {
        Batches {
            records,
            next: 0,
            max_lines: max_lines.max(1),
            max_bytes,
            carry: None,
        }
    }

    /// The next batch, encoded by `encoder`.
    pub(crate) fn next(&mut self, encoder: &mut Encoder) -> Option<Encoded<'a>> {
        let mut buffer = Vec::new();
        let mut ends = Vec::new();
        let first = self.next - usize::from(self.carry.is_some());
        if let Some(carried) = self.carry.take() {
            buffer = carried;
            ends.push(buffer.len());
        }
        while ends.len() < self.max_lines && self.next < self.records.len() {
            let before = buffer.len();
            encoder.encode(&self.records[self.next], &mut buffer);
            self.next += 1;
            if buffer.len() > self.max_bytes && !ends.is_empty() {
                self.carry = Some(buffer.split_off(before));
                break;
            }
            ends.push(buffer.len());
        }
        (!ends.is_empty()).then(|| Encoded {
            bytes: Bytes::from(buffer),
            records: &self.records[first..first + ends.len()],
            ends,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http_sink::encoding::Encoding;
    use crate::otlp::Origin;
    use crate::record::PodMetadata;
    use std::path::Path;
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    /// Records all read at one instant: equal lines encode to equal lengths.
    fn records(lines: &[&str]) -> Vec<Record> {
        let path: Arc<Path> = Arc::from(Path::new("/l"));
        let read_at = UNIX_EPOCH + Duration::from_nanos(1_795_718_155_123_456_789);
        lines
            .iter()
            .map(|line| Record {
                observed: read_at,
                ..Record::new(path.clone(), line.as_bytes().to_vec(), false)
            })
            .collect()
    }

    fn ndjson() -> Encoder {
        Encoder::new(&Encoding::Ndjson(PodMetadata::default()))
    }

    /// Every batch of `records`.
    fn all<'a>(
        records: &'a [Record],
        encoder: &mut Encoder,
        lines: usize,
        bytes: usize,
    ) -> Vec<Encoded<'a>> {
        let mut batches = Batches::new(records, lines, bytes);
        std::iter::from_fn(|| batches.next(encoder)).collect()
    }

    /// Each record's encoding, alone.
    fn encodings(records: &[Record], encoder: &mut Encoder) -> Vec<Vec<u8>> {
        records
            .iter()
            .map(|r| {
                let mut out = Vec::new();
                encoder.encode(r, &mut out);
                out
            })
            .collect()
    }

    /// The batches' sizes in records.
    fn cut(lines: &[&str], max_lines: usize, max_bytes: usize) -> Vec<usize> {
        let records = records(lines);
        all(&records, &mut ndjson(), max_lines, max_bytes)
            .iter()
            .map(Encoded::len)
            .collect()
    }

    #[test]
    fn records_are_encoded_once_in_order_and_sliced() {
        let records = records(&["a", "b", "c"]);
        let mut encoder = ndjson();
        let each = encodings(&records, &mut encoder);
        let batches = all(&records, &mut encoder, 10, 1000);
        assert_eq!(batches.len(), 1);
        assert_eq!(
            &batches[0].encoded(1..3)[..],
            [&each[1][..], &each[2][..]].concat()
        );
        assert_eq!(batches[0].record(2).line, b"c");
        assert!(batches[0].encoded(2..2).is_empty());
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
        let one = encodings(&records(&["0"]), &mut ndjson())[0].len();
        assert_eq!(cut(&lines, 100, 2 * one), [2, 2, 1]);
        assert_eq!(cut(&lines, 100, 2 * one + 1), [2, 2, 1]);
        assert_eq!(cut(&lines, 100, 2 * one - 1), [1, 1, 1, 1, 1]);
    }

    #[test]
    fn an_oversized_record_travels_alone() {
        let long = "x".repeat(500);
        let records = records(&["a", &long, "b"]);
        let batches = all(&records, &mut ndjson(), 100, 100);
        assert_eq!(
            batches.iter().map(Encoded::len).collect::<Vec<_>>(),
            [1, 1, 1]
        );
        assert_eq!(batches[1].record(0).line, long.as_bytes());
        assert!(batches[1].encoded(0..1).len() > 500);
    }

    #[test]
    fn batches_cover_every_record_exactly_once_in_order_in_both_encodings() {
        let texts: Vec<String> = (0..997)
            .map(|i| format!("{i:04}{}", "y".repeat(i % 37)))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let records = records(&refs);
        for encoding in [
            Encoding::Ndjson(PodMetadata::default()),
            Encoding::Otlp(Origin::default()),
        ] {
            let mut encoder = Encoder::new(&encoding);
            let whole = encodings(&records, &mut encoder).concat();
            for (lines, bytes) in [(1, 1), (7, 300), (1000, 1 << 20), (50, 1000)] {
                let mut joined = Vec::new();
                let mut seen = Vec::new();
                for batch in all(&records, &mut encoder, lines, bytes) {
                    let body = batch.encoded(0..batch.len());
                    assert!(batch.len() <= lines);
                    assert!(batch.len() == 1 || body.len() <= bytes);
                    joined.extend_from_slice(&body);
                    seen.extend((0..batch.len()).map(|i| batch.record(i).line.clone()));
                }
                assert_eq!(joined, whole, "{encoding:?} {lines} {bytes}");
                let lines: Vec<Vec<u8>> = records.iter().map(|r| r.line.clone()).collect();
                assert_eq!(seen, lines);
            }
        }
    }

    #[test]
    fn no_records_no_batches() {
        assert!(cut(&[], 10, 10).is_empty());
    }
}
