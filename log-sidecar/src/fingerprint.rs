//! Recognising a file by what it is rather than by its name, so that a
//! renamed (rotated) file is never read twice and a new file that reuses an
//! old inode number is never mistaken for the old one.
//!
//! A file's identity is its (device, inode) plus a checksum of its first
//! [`HEAD_MAX`] bytes. A file shorter than that is identified by a checksum of
//! all its bytes so far; the head grows with the file until it is full. A head
//! that no longer matches means the inode now holds other bytes: the file was
//! truncated and rewritten (copytruncate) or the inode was reused after a
//! deletion; either way it is read again from its start.
//!
//! Only regular files have an identity worth following, and finding out
//! must never block (`open_regular`).

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// How many leading bytes the head checksum covers once the file is that long.
pub const HEAD_MAX: u64 = 256;

/// Where a file lives: stable across renames, not across copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileId {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}

impl FileId {
    /// The identity of an open file or a stat result.
    pub fn of(meta: &Metadata) -> Self {
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// A checksum of a file's first `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Head {
    /// Bytes covered, at most [`HEAD_MAX`].
    pub len: u64,
    /// FNV-1a 64 of those bytes (stable across builds, unlike std's hasher).
    pub hash: u64,
}

impl Head {
    /// True once the head covers [`HEAD_MAX`] bytes: only then is it
    /// distinctive enough to recognise a copy of the file.
    pub fn is_full(&self) -> bool {
        self.len >= HEAD_MAX
    }

    /// Reads the first `min(size, HEAD_MAX)` bytes of `file` and hashes them.
    pub fn read(file: &File, size: u64) -> io::Result<Self> {
        let len = size.min(HEAD_MAX);
        let bytes = read_prefix(file, len)?;
        Ok(Self {
            len: bytes.len() as u64,
            hash: fnv1a(&bytes),
        })
    }

    /// True when the file of `size` bytes still starts with the bytes this
    /// head was taken from. A file now shorter than the head cannot match.
    pub fn matches(&self, file: &File, size: u64) -> io::Result<bool> {
        if self.len == 0 {
            return Ok(true);
        }
        if size < self.len {
            return Ok(false);
        }
        let bytes = read_prefix(file, self.len)?;
        Ok(bytes.len() as u64 == self.len && fnv1a(&bytes) == self.hash)
    }
}

/// Opens `path` for reading if it is a regular file, without ever
/// blocking: a FIFO moved onto a log's name would block a plain open(2)
/// until some writer came, and a device may do anything when opened.
/// `None`: not a regular file (the descriptor is closed again at once).
pub(crate) fn open_regular(path: &Path) -> io::Result<Option<(File, Metadata)>> {
    use rustix::fs::OFlags;
    let flags = OFlags::NONBLOCK | OFlags::NOCTTY;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)?;
    let meta = file.metadata()?;
    Ok(meta.is_file().then_some((file, meta)))
}

fn read_prefix(file: &File, len: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len as usize];
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// FNV-1a, 64 bits: tiny, stable and good enough to tell log heads apart.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn fnv1a_known_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn head_grows_with_the_file_and_detects_rewrites() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"line 1\n").unwrap();
        let file = f.reopen().unwrap();
        let head = Head::read(&file, 7).unwrap();
        assert_eq!(head.len, 7);
        assert!(!head.is_full());
        f.write_all(&[b'x'; 300]).unwrap();
        assert!(head.matches(&file, 307).unwrap());
        let full = Head::read(&file, 307).unwrap();
        assert_eq!(full.len, HEAD_MAX);
        assert!(full.is_full());

        f.as_file().set_len(0).unwrap();
        std::fs::write(f.path(), b"line 2\n").unwrap();
        assert!(!head.matches(&file, 7).unwrap(), "same length, other bytes");
        assert!(!full.matches(&file, 7).unwrap(), "shorter than the head");
    }
}
