//! Raw lines that are a file's bytes unchanged go to the stdout pipe with
//! splice(2): the kernel hands the pipe references to the file's pages
//! instead of copying them through our memory. The tailer has already read
//! those bytes once (to find the lines and check they need no change);
//! splicing saves the second copy and the pipe's page allocations, which
//! were half of the sidecar's CPU when it forwards a backlog.
//!
//! What is spliced must be what was checked. Log files only grow, so the
//! bytes of a range stay as they were unless the file is truncated and
//! rewritten past the range (copytruncate) or rewritten in place. Right
//! before the file is read into the pipe, the range is therefore checked
//! against the file: still that long, and still starting with the head it
//! had when the range was read. The splice never waits for room in the
//! pipe between that check and its read (SPLICE_F_NONBLOCK: we wait with
//! poll, then check again), so however long stdout is blocked, the window
//! between check and read stays a few microseconds, of a rotation that is
//! racy by nature (see README: copytruncate). What fails the check, or is
//! no longer in the file when the splice reads, is written from the bytes
//! that were checked.

use std::fs::File;
use std::io;
use std::os::fd::BorrowedFd;
use std::sync::Arc;

use rustix::event::{PollFd, PollFlags};
use rustix::io::Errno;
use rustix::pipe::SpliceFlags;

use crate::fingerprint::Head;

/// Ranges shorter than this are written, not spliced: checking a range
/// (fstat, a 256-byte read) and splicing it costs about what copying
/// 16 KiB does, and a line or two arriving alone should go out at once.
pub const MIN_LEN: usize = 16 * 1024;

/// A stretch of a batch's raw bytes that is, unchanged, a range of a file.
#[derive(Debug, Clone)]
pub struct FileRange {
    /// The file, kept open so that a rename or deletion does not matter.
    pub file: Arc<File>,
    /// Where the range starts in the file.
    pub offset: u64,
    /// Where the same bytes start in the batch buffer.
    pub at: usize,
    /// How many bytes.
    pub len: usize,
    /// The file's head when the range was read, to notice a rewrite.
    pub head: Head,
}

impl FileRange {
    /// Extends this range by `len` bytes when they follow it both in the
    /// file and in the buffer; false when they do not (start a new range).
    pub fn extend(&mut self, file: &Arc<File>, offset: u64, at: usize, len: usize) -> bool {
        let follows = Arc::ptr_eq(&self.file, file)
            && self.offset + self.len as u64 == offset
            && self.at + self.len == at;
        if follows {
            self.len += len;
        }
        follows
    }
}

/// True for the errors that say splice cannot work here at all (stdout is
/// not a pipe, or the file system cannot splice): write instead, for good.
pub fn unsupported(e: &io::Error) -> bool {
    [Errno::INVAL, Errno::NOSYS, Errno::OPNOTSUPP]
        .iter()
        .any(|errno| e.raw_os_error() == Some(errno.raw_os_error()))
}

/// Splices `range` into the pipe `out`, adding the bytes moved to `moved`
/// as it goes. Returns Ok with `*moved < range.len` when the file no
/// longer holds (all of) the range as it was read: the caller writes the
/// rest from its buffer. An error (EPIPE, or [`unsupported`]) may come
/// after some bytes were moved, which `moved` then says.
pub fn splice_range(range: &FileRange, out: BorrowedFd<'_>, moved: &mut usize) -> io::Result<()> {
    if !still_there(range) {
        return Ok(());
    }
    while *moved < range.len {
        let mut offset = range.offset + *moved as u64;
        let left = range.len - *moved;
        let flags = SpliceFlags::NONBLOCK;
        match rustix::pipe::splice(&*range.file, Some(&mut offset), out, None, left, flags) {
            // End of file: truncated since the check.
            Ok(0) => return Ok(()),
            Ok(n) => *moved += n,
            Err(Errno::AGAIN) => {
                wait_for_room(out)?;
                if !still_there(range) {
                    return Ok(());
                }
            }
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// True when the file still holds the range as it was read: long enough,
/// and with the same head (an error reading it counts as no).
fn still_there(range: &FileRange) -> bool {
    range
        .file
        .metadata()
        .and_then(|meta| {
            let size = meta.len();
            Ok(size >= range.offset + range.len as u64 && range.head.matches(&range.file, size)?)
        })
        .unwrap_or(false)
}

/// Blocks until the pipe has room (or its reader is gone, which the next
/// splice reports as EPIPE): backpressure, as a blocking write would be.
fn wait_for_room(out: BorrowedFd<'_>) -> io::Result<()> {
    let mut fds = [PollFd::from_borrowed_fd(out, PollFlags::OUT)];
    loop {
        match rustix::event::poll(&mut fds, None) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::os::fd::{AsFd, OwnedFd};

    use super::*;

    fn pipe() -> (File, OwnedFd) {
        let (r, w) = rustix::pipe::pipe().unwrap();
        (File::from(r), w)
    }

    fn file_with(bytes: &[u8]) -> (tempfile::NamedTempFile, Arc<File>) {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(bytes).unwrap();
        tmp.flush().unwrap();
        let file = Arc::new(File::open(tmp.path()).unwrap());
        (tmp, file)
    }

    fn range(file: &Arc<File>, offset: u64, len: usize) -> FileRange {
        let size = file.metadata().unwrap().len();
        FileRange {
            file: Arc::clone(file),
            offset,
            at: 0,
            len,
            head: Head::read(file, size).unwrap(),
        }
    }

    fn writable(path: &std::path::Path) -> File {
        std::fs::OpenOptions::new().write(true).open(path).unwrap()
    }

    /// Splices `part` into a fresh pipe and checks that nothing went in.
    fn assert_moves_nothing(part: &FileRange) {
        let (mut r, w) = pipe();
        let mut moved = 0;
        splice_range(part, w.as_fd(), &mut moved).unwrap();
        assert_eq!(moved, 0);
        drop(w);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert!(got.is_empty());
    }

    #[test]
    fn a_range_arrives_in_the_pipe_as_the_file_has_it() {
        let bytes: Vec<u8> = (0..50_000u32)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let (_tmp, file) = file_with(&bytes);
        let (r, w) = pipe();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut r = r;
            r.read_to_end(&mut got).unwrap();
            got
        });
        let mut moved = 0;
        let part = range(&file, 1000, bytes.len() - 1000);
        splice_range(&part, w.as_fd(), &mut moved).unwrap();
        assert_eq!(moved, bytes.len() - 1000);
        drop(w);
        assert_eq!(reader.join().unwrap(), &bytes[1000..]);
    }

    #[test]
    fn a_truncated_file_moves_nothing_and_the_caller_writes_the_range() {
        let (tmp, file) = file_with(b"first line\nsecond line\n");
        let part = range(&file, 11, 12);
        writable(tmp.path()).set_len(5).unwrap();
        assert_moves_nothing(&part);
    }

    #[test]
    fn a_file_rewritten_past_the_range_moves_nothing() {
        let (tmp, file) = file_with(b"old head line\nold second line\n");
        let part = range(&file, 14, 16);
        // copytruncate, and the writer already wrote past the range again.
        let mut f = writable(tmp.path());
        f.set_len(0).unwrap();
        f.write_all(b"new head line\nnew second line\nthird\n")
            .unwrap();
        assert_moves_nothing(&part);
    }

    #[test]
    fn a_rewrite_while_the_pipe_is_full_is_not_spliced() {
        // More than a pipe holds, so the splice has to wait for room.
        let bytes: Vec<u8> = (0..40_000u32)
            .flat_map(|i| format!("old line {i:08}\n").into_bytes())
            .collect();
        let (tmp, file) = file_with(&bytes);
        let part = range(&file, 0, bytes.len());
        let (mut r, w) = pipe();
        let path = tmp.path().to_path_buf();
        let reader = std::thread::spawn(move || {
            // Let the pipe fill up, then copytruncate and rewrite past the
            // range before reading a byte.
            std::thread::sleep(std::time::Duration::from_millis(200));
            let mut f = writable(&path);
            f.set_len(0).unwrap();
            let new: Vec<u8> = (0..45_000u32)
                .flat_map(|i| format!("NEW line {i:08}\n").into_bytes())
                .collect();
            f.write_all(&new).unwrap();
            let mut got = Vec::new();
            r.read_to_end(&mut got).unwrap();
            got
        });
        let mut moved = 0;
        splice_range(&part, w.as_fd(), &mut moved).unwrap();
        assert!(
            moved > 0 && moved < bytes.len(),
            "moved {moved}: the pipe filled up first"
        );
        drop(w);
        let got = reader.join().unwrap();
        assert_eq!(got.len(), moved);
        assert_eq!(&got[..], &bytes[..moved], "only old bytes were spliced");
    }

    #[test]
    fn a_destination_that_is_not_a_pipe_is_unsupported() {
        let (_tmp, file) = file_with(b"a line\n");
        let out_tmp = tempfile::NamedTempFile::new().unwrap();
        let out = writable(out_tmp.path());
        let part = range(&file, 0, 7);
        let mut moved = 0;
        let e = splice_range(&part, out.as_fd(), &mut moved).unwrap_err();
        assert!(unsupported(&e), "{e}");
        assert_eq!(moved, 0);
    }

    #[test]
    fn ranges_extend_only_when_contiguous_in_file_and_buffer() {
        let (_tmp, file) = file_with(b"0123456789");
        let (_tmp2, other) = file_with(b"0123456789");
        let mut r = range(&file, 2, 3);
        r.at = 10;
        assert!(r.extend(&file, 5, 13, 2));
        assert_eq!(r.len, 5);
        assert!(!r.extend(&file, 8, 16, 1), "gap in the file");
        assert!(!r.extend(&file, 7, 14, 1), "gap in the buffer");
        assert!(!r.extend(&other, 7, 15, 1), "another file");
    }
}
