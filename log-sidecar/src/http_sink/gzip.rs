//! `Content-Encoding: gzip` request bodies (`--sink-compression gzip`).
//! One deflate compressor lives as long as the sink and is reset for each
//! body: its state is a few hundred KiB, and making one per request would
//! map and fault in that much memory every time. The gzip wrapping is the
//! 10-byte header and 8-byte trailer of RFC 1952, around raw deflate at the
//! fastest level: log lines shrink several times over even there, and the
//! sidecar's CPU is the budget that matters.

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// RFC 1952: magic, deflate, no flags, no mtime, no extra flags, unknown OS.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// A reusable gzip compressor.
#[derive(Debug)]
pub(crate) struct Gzip {
    deflate: Compress,
}

impl Gzip {
    pub(crate) fn new() -> Self {
        Gzip {
            deflate: Compress::new(Compression::fast(), false),
        }
    }

    /// One gzip member holding `parts`, back to back.
    pub(crate) fn compress(&mut self, parts: &[&[u8]]) -> Vec<u8> {
        self.deflate.reset();
        let mut crc = Crc::new();
        let total: usize = parts.iter().map(|p| p.len()).sum();
        // Log lines compress well; grown as needed when they do not.
        let mut out = Vec::with_capacity(HEADER.len() + total / 3 + 64);
        out.extend_from_slice(&HEADER);
        for part in parts {
            crc.update(part);
            let mut input = *part;
            while !input.is_empty() {
                out.reserve(input.len() / 3 + 64);
                let before = self.deflate.total_in();
                self.deflate
                    .compress_vec(input, &mut out, FlushCompress::None)
                    .expect("deflating into a Vec with room cannot fail");
                let taken =
                    usize::try_from(self.deflate.total_in() - before).expect("taken from a slice");
                input = &input[taken..];
            }
        }
        loop {
            out.reserve(1024);
            let status = self
                .deflate
                .compress_vec(&[], &mut out, FlushCompress::Finish)
                .expect("deflating into a Vec with room cannot fail");
            if status == Status::StreamEnd {
                break;
            }
        }
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&crc.amount().to_le_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("a valid gzip member");
        out
    }

    #[test]
    fn bodies_gunzip_to_their_parts_and_the_compressor_is_reused() {
        let mut gzip = Gzip::new();
        let lines: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("n={i:08} GET /time 200 78us\n").into_bytes())
            .collect();
        for parts in [
            vec![&b"prefix"[..], &lines[..]],
            vec![&lines[..1000]],
            vec![],
            vec![&b""[..], &b"x"[..]],
        ] {
            let body = gzip.compress(&parts);
            assert_eq!(gunzip(&body), parts.concat());
        }
        let body = gzip.compress(&[&lines]);
        assert!(body.len() * 5 < lines.len(), "{} bytes", body.len());
    }

    #[test]
    fn incompressible_bytes_still_round_trip() {
        let mut state: u64 = 42;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (state >> 56) as u8
            })
            .collect();
        assert_eq!(gunzip(&Gzip::new().compress(&[&noise])), noise);
    }
}
