//! conmon's log of a container (podman's `k8s-file` driver, the CRI log
//! format a kubelet's runtime writes), read as it grows so that lines are
//! timed by when they reached it. Each entry is
//! `<RFC 3339 stamp with ns> <stdout|stderr> <F|P> <bytes>\n`: conmon cuts
//! what it reads from the container's pipe at newlines and at the end of
//! its buffer, stamps each piece and marks a piece the next one of the same
//! stream continues `P`. What the benchmark counts is checked afterwards
//! with `podman logs`, podman's own reader of this file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// One whole line, as a reader of the log sees it.
#[derive(Debug)]
pub struct Line<'a> {
    /// When conmon stamped the entry that ended the line (ns since 1970).
    pub stamp_ns: i128,
    /// From the container's stdout (else stderr).
    pub stdout: bool,
    /// The line, without its newline.
    pub text: &'a [u8],
}

/// A container log followed from its start.
#[derive(Debug)]
pub struct CtrLog {
    path: PathBuf,
    offset: u64,
    /// An entry not yet ended by a newline.
    rest: Vec<u8>,
    /// The `P` pieces of the line in progress, per stream (stdout, stderr).
    pieces: [Vec<u8>; 2],
}

impl CtrLog {
    /// Follows the log at `path` (podman's `{{.HostConfig.LogConfig.Path}}`).
    pub fn new(path: &Path) -> CtrLog {
        CtrLog {
            path: path.to_path_buf(),
            offset: 0,
            rest: Vec::new(),
            pieces: [Vec::new(), Vec::new()],
        }
    }

    /// Reads what was appended since the last call and hands each line it
    /// completed to `each`. A log not created yet has no lines.
    pub fn read_new(&mut self, mut each: impl FnMut(Line<'_>)) {
        let Ok(mut file) = File::open(&self.path) else {
            return;
        };
        file.seek(SeekFrom::Start(self.offset))
            .expect("seeking in a regular file");
        let mut buf = std::mem::take(&mut self.rest);
        let read = file
            .read_to_end(&mut buf)
            .unwrap_or_else(|e| panic!("reading {}: {e}", self.path.display()));
        self.offset += read as u64;
        let mut start = 0;
        while let Some(len) = buf[start..].iter().position(|&b| b == b'\n') {
            let entry = &buf[start..start + len];
            start += len + 1;
            let (stamp_ns, stdout, full, text) = parse_entry(entry).unwrap_or_else(|| {
                panic!(
                    "{}: not a k8s-file entry: {:?}",
                    self.path.display(),
                    String::from_utf8_lossy(entry)
                )
            });
            let pieces = &mut self.pieces[usize::from(!stdout)];
            if !full {
                pieces.extend_from_slice(text);
            } else if pieces.is_empty() {
                each(Line {
                    stamp_ns,
                    stdout,
                    text,
                });
            } else {
                pieces.extend_from_slice(text);
                let whole = std::mem::take(pieces);
                each(Line {
                    stamp_ns,
                    stdout,
                    text: &whole,
                });
            }
        }
        self.rest = buf[start..].to_vec();
    }
}

/// `(stamp_ns, stdout, full, text)` of one entry.
fn parse_entry(entry: &[u8]) -> Option<(i128, bool, bool, &[u8])> {
    let mut fields = entry.splitn(4, |&b| b == b' ');
    let stamp = std::str::from_utf8(fields.next()?).ok()?;
    let stdout = match fields.next()? {
        b"stdout" => true,
        b"stderr" => false,
        _ => return None,
    };
    let full = match fields.next()? {
        b"F" => true,
        b"P" => false,
        _ => return None,
    };
    Some((
        parse_stamp(stamp)?,
        stdout,
        full,
        fields.next().unwrap_or_default(),
    ))
}

/// `2026-12-01T00:57:22.261367148+00:00` (conmon writes local time with its
/// offset) as nanoseconds since 1970.
fn parse_stamp(s: &str) -> Option<i128> {
    let (instant, rest) = time_core::rfc3339::parse_prefix(s.as_bytes())?;
    let nanos = i128::from(instant.unix()) * 1_000_000_000 + i128::from(instant.nanos());
    rest.is_empty().then_some(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_nanoseconds_since_1970_whatever_the_offset() {
        assert_eq!(parse_stamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_stamp("2026-12-01T00:57:22.261367148+00:00"),
            Some(1_796_086_642_261_367_148)
        );
        assert_eq!(
            parse_stamp("2026-12-01T03:57:22.5+03:00"),
            Some(1_796_086_642_500_000_000)
        );
        assert_eq!(parse_stamp("yesterday"), None);
    }

    #[test]
    fn pieces_of_a_line_are_joined_per_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        std::fs::write(
            &path,
            "2026-12-01T00:00:00.1+00:00 stdout P abc\n\
             2026-12-01T00:00:00.2+00:00 stderr F oops\n\
             2026-12-01T00:00:00.3+00:00 stdout F def\n\
             2026-12-01T00:00:00.4+00:00 stdout F ghi\n\
             2026-12-01T00:00:00.5+00:00 stdout F unfinished",
        )
        .unwrap();
        let mut log = CtrLog::new(&path);
        let mut lines = Vec::new();
        log.read_new(|l| {
            lines.push((
                l.stamp_ns % 1_000_000_000,
                l.stdout,
                String::from_utf8_lossy(l.text).into_owned(),
            ))
        });
        assert_eq!(
            lines,
            [
                (200_000_000, false, "oops".to_string()),
                (300_000_000, true, "abcdef".to_string()),
                (400_000_000, true, "ghi".to_string()),
            ]
        );
        // The entry conmon was still writing completes on the next read.
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"!\n")
            .unwrap();
        let mut more = Vec::new();
        log.read_new(|l| more.push(String::from_utf8_lossy(l.text).into_owned()));
        assert_eq!(more, ["unfinished!"]);
    }
}
