//! Following one file: holding it open (so a file renamed out of the
//! patterns or deleted is still read to its end, and its inode cannot be
//! reused meanwhile), noticing that it was truncated or rewritten, and
//! reading its complete lines into a batch. Which files to follow, and
//! what a new file is (a rename, a copy, a file seen before), is the
//! tailer's.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::batch::{Advance, Batch, Lines};
use crate::checkpoint::FileCheckpoint;
use crate::events::TailEvents;
use crate::fingerprint::{FileId, Head};
use crate::lines::{self, Block};
use crate::multiline::Multiline;

/// How long a file that vanished from the patterns (deleted, or renamed out)
/// may keep an unfinished last line before that line is emitted as is.
const GONE_GRACE: Duration = Duration::from_secs(1);

/// Bytes read at once for raw output when a file has a backlog: big
/// enough that syscalls do not count, small enough to stay in the L2 cache
/// between the read and the write to stdout.
const PASS_THROUGH_BLOCK: usize = 128 * 1024;

/// Bytes read at once when lines are cut one by one.
const CHUNK: usize = 64 * 1024;

/// Whether a file's start is known, or it may still be a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lineage {
    /// Nothing read from it yet: it may turn out to be a copy of a
    /// followed or truncated file (copytruncate), resumed where that was.
    Undecided,
    /// A copy that inherited an offset it has not grown to yet: it is
    /// being written, not truncated; wait for it.
    CopyCatchingUp,
    /// Read on from where it is.
    Settled,
}

/// Where a file stood when it was found truncated: a new file starting
/// with its former head is its copy (copytruncate) and resumes there.
#[derive(Debug)]
pub(crate) struct TruncatedHead {
    pub(crate) head: Head,
    pub(crate) offset: u64,
    pub(crate) path: Arc<Path>,
}

/// One followed file.
#[derive(Debug)]
pub(crate) struct Followed {
    /// Tells batches' advances which file they move.
    pub(crate) key: u64,
    /// The name it was last seen under.
    pub(crate) path: Arc<Path>,
    /// Shared with the stdout writer, which splices ranges from it.
    file: Arc<File>,
    pub(crate) id: FileId,
    pub(crate) head: Head,
    /// First byte not yet delivered (committed).
    pub(crate) delivered: u64,
    /// First byte not yet read: ahead of `delivered` while a batch is in
    /// flight.
    read: u64,
    /// Bumped when the file is found truncated, so that a batch read before
    /// cannot commit an offset into the new content.
    generation: u64,
    /// Seen by the scan in progress under some matching path.
    seen: bool,
    /// Since when no scan found it under a matching path.
    gone_since: Option<Instant>,
    /// Since when its last record is held for more continuation lines
    /// (multi-line records), unchanged.
    held_since: Option<Instant>,
    lineage: Lineage,
    /// Size at the latest look.
    size: u64,
    /// Modification time at the latest look: older files are read first.
    pub(crate) mtime: SystemTime,
    /// The last read error reported, so that it is reported once, not on
    /// every batch.
    read_error: Option<String>,
    /// Its size when the sidecar started: an earlier run may have delivered
    /// any of it after its last checkpoint, so a crash before the next
    /// store would send it once more (see [`Followed::replaying`]).
    replay_end: u64,
}

/// The longest line, how lines make records, and scratch space to cut
/// lines in: what reading lines from any file uses.
#[derive(Debug)]
pub(crate) struct LineReader {
    max_line: usize,
    /// Continuation lines joined into records (records only, never raw
    /// lines).
    pub(crate) multiline: Option<Multiline>,
    scratch: Vec<u8>,
}

impl LineReader {
    pub(crate) fn new(max_line: usize) -> Self {
        LineReader {
            max_line: max_line.max(1),
            multiline: None,
            scratch: Vec::new(),
        }
    }

    /// Room below which a batch stops: one longest line and its CRLF.
    pub(crate) fn longest(&self) -> u64 {
        (self.max_line + 2) as u64
    }
}

/// How much a batch may still take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) bytes: u64,
    pub(crate) lines: usize,
}

impl Followed {
    /// Follows `file`, just opened at `path`, from its start or, when
    /// `resume` is where this very file stood (same identity, same head),
    /// from there.
    pub(crate) fn new(
        key: u64,
        path: &Path,
        file: File,
        meta: &Metadata,
        resume: Option<FileCheckpoint>,
        events: &dyn TailEvents,
    ) -> io::Result<Self> {
        let size = meta.len();
        let mut followed = Followed {
            key,
            path: Arc::from(path),
            file: Arc::new(file),
            id: FileId::of(meta),
            head: Head::default(),
            delivered: 0,
            read: 0,
            generation: 0,
            seen: true,
            gone_since: None,
            held_since: None,
            lineage: Lineage::Undecided,
            size,
            mtime: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            read_error: None,
            replay_end: 0,
        };
        if let Some(cp) = resume {
            if cp.head().matches(&followed.file, size)? && cp.offset <= size {
                followed.delivered = cp.offset;
                followed.read = cp.offset;
                followed.head = cp.head();
                followed.lineage = Lineage::Settled;
            } else {
                events.truncated(path);
            }
        }
        events.file_opened(path);
        Ok(followed)
    }

    /// Found at start-up: everything it holds now may have been delivered
    /// already by the run before (after that run's last checkpoint).
    pub(crate) fn found_at_start(&mut self) {
        self.replay_end = self.size;
    }

    /// Lines it held at start-up are not all delivered yet: each of them
    /// may already have gone out once, before a crash. A crash before they
    /// are checkpointed would send them a third time, so the loop stores
    /// a checkpoint as soon as such lines are delivered.
    pub(crate) fn replaying(&self) -> bool {
        self.delivered < self.replay_end
    }

    /// Where it stands, to be stored.
    pub(crate) fn checkpoint(&self) -> FileCheckpoint {
        FileCheckpoint {
            path: self.path.to_path_buf(),
            id: self.id,
            head_len: self.head.len,
            head_hash: self.head.hash,
            offset: self.delivered,
        }
    }

    /// A scan begins: not seen yet.
    pub(crate) fn unsee(&mut self) {
        self.seen = false;
    }

    /// The scan found it under `path`: a new name is a rename, unless the
    /// old name still leads to it too (a hard link would flap).
    pub(crate) fn seen_at(&mut self, path: &Path, events: &dyn TailEvents) {
        self.seen = true;
        if *self.path != *path {
            let old_name_moved = std::fs::metadata(&self.path)
                .map(|m| FileId::of(&m) != self.id)
                .unwrap_or(true);
            if old_name_moved {
                events.rotated(&self.path, path);
                self.path = Arc::from(path);
            }
        }
    }

    /// The scan is over: a file it did not find is gone since now.
    pub(crate) fn scanned(&mut self, now: Instant) {
        if self.seen {
            self.gone_since = None;
        } else if self.gone_since.is_none() {
            self.gone_since = Some(now);
        }
    }

    /// Gone from the patterns, read to its end and delivered: let it go.
    pub(crate) fn finished(&self) -> bool {
        !self.seen
            && self.delivered >= self.size
            && self.read == self.delivered
            && self.lineage != Lineage::CopyCatchingUp
    }

    /// When its held multi-line record is due to be flushed.
    pub(crate) fn flush_due(&self, timeout: Duration) -> Option<Instant> {
        self.held_since.map(|since| since + timeout)
    }

    /// Bytes written to it and not yet delivered.
    pub(crate) fn lag(&self) -> u64 {
        self.size.saturating_sub(self.delivered)
    }

    /// Looks at the file again: its size, and whether it still starts as
    /// it did. A file now shorter than what was read, or with other first
    /// bytes, was truncated or rewritten: it is read again from 0, and where
    /// it stood is returned (when its head was distinctive enough) so that a
    /// copy of it can be recognised.
    pub(crate) fn refresh(&mut self, events: &dyn TailEvents) -> io::Result<Option<TruncatedHead>> {
        let meta = self.file.metadata()?;
        let size = meta.len();
        self.size = size;
        self.mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if self.lineage == Lineage::CopyCatchingUp {
            if size < self.delivered {
                return Ok(None);
            }
            self.lineage = Lineage::Settled;
        }
        let mut former = None;
        // No early return when the size is unchanged: a file truncated and
        // rewritten to the same size between two looks is only told apart
        // by its head (mtime is too coarse). A 256-byte pread is cheap.
        if size < self.read || !self.head.matches(&self.file, size)? {
            events.truncated(&self.path);
            if self.head.is_full() {
                former = Some(TruncatedHead {
                    head: self.head,
                    offset: self.delivered,
                    path: Arc::clone(&self.path),
                });
            }
            self.delivered = 0;
            self.read = 0;
            self.generation += 1;
            self.head = Head::default();
            // A held record went with the old content: nothing is due.
            self.held_since = None;
            // The new content was written after start-up.
            self.replay_end = 0;
        }
        if self.head.len < size && !self.head.is_full() {
            self.head = Head::read(&self.file, size)?;
        }
        Ok(former)
    }

    /// The head to look for an original by, once: a file read from 0
    /// whose head just became distinctive and which was never read.
    pub(crate) fn copy_candidate(&mut self) -> Option<Head> {
        if self.lineage != Lineage::Undecided || self.delivered != 0 || !self.head.is_full() {
            return None;
        }
        self.lineage = Lineage::Settled;
        Some(self.head)
    }

    /// It is a copy of `original`, which stood at `offset`: resume there,
    /// waiting for the copy to grow to it if it has not yet.
    pub(crate) fn resume_as_copy(&mut self, offset: u64, original: &Path, events: &dyn TailEvents) {
        events.copy_detected(&self.path, original);
        self.delivered = offset;
        self.read = offset;
        if self.size < offset {
            self.lineage = Lineage::CopyCatchingUp;
        }
    }

    /// [`Followed::read_into`], with a failure reported on stderr once
    /// (until a read succeeds or the error changes): `None` then.
    pub(crate) fn read_into_or_report(
        &mut self,
        batch: &mut Batch,
        budget: Budget,
        flush_partial: bool,
        reader: &mut LineReader,
        events: &dyn TailEvents,
    ) -> Option<Budget> {
        match self.read_into(batch, budget, flush_partial, reader, events) {
            Ok(left) => {
                if self.read_error.take().is_some() {
                    log::info!("{} can be read again", self.path.display());
                }
                Some(left)
            }
            Err(e) => {
                let why = e.to_string();
                if self.read_error.as_ref() != Some(&why) {
                    log::warn!("cannot read {}: {why}", self.path.display());
                    self.read_error = Some(why);
                }
                None
            }
        }
    }

    /// Reads complete lines into `batch`, within `budget`. `flush_partial`
    /// also emits an unfinished last line (shutdown); so does a file gone
    /// for longer than [`GONE_GRACE`], and either emits a held multi-line
    /// record, as does its timeout. Returns what is left of the budget.
    fn read_into(
        &mut self,
        batch: &mut Batch,
        mut budget: Budget,
        flush_partial: bool,
        reader: &mut LineReader,
        events: &dyn TailEvents,
    ) -> io::Result<Budget> {
        if self.lineage == Lineage::CopyCatchingUp || self.size <= self.read {
            return Ok(budget);
        }
        let flush = flush_partial
            || self
                .gone_since
                .is_some_and(|gone| gone.elapsed() >= GONE_GRACE);
        // A held record is flushed once it waited the timeout.
        let hold_last = self
            .held_since
            .zip(reader.multiline.as_ref())
            .is_none_or(|(since, m)| since.elapsed() < m.timeout());
        // Whether the last record is held now: known once the end was read.
        let mut holds = None;
        let (start, unread, held) = (self.read, budget, batch.lines.held());
        let mut pos = start;
        let mut read = 0;
        let mut cuts = 0;
        // Raw output of lines that need no change is the file's bytes: read
        // blocks straight into the output buffer and keep their complete
        // lines as they are. Only a block that needs a change (a CR, a line
        // longer than the block) goes line by line, and from then on the
        // rest of this file's batch too, as does a final flush.
        let mut whole_blocks = matches!(batch.lines, Lines::Raw(_)) && !flush;
        let block_max = PASS_THROUGH_BLOCK.min(reader.max_line);
        let chunk = CHUNK.max(reader.max_line + 2);
        loop {
            let left = (self.size - pos).min(budget.bytes);
            if left == 0 || budget.lines == 0 {
                break;
            }
            if let (true, Lines::Raw(raw)) = (whole_blocks, &mut batch.lines) {
                let want = left.min(block_max as u64) as usize;
                let block = raw.spare(want);
                let n = read_full_at(&self.file, block, pos)?;
                match lines::pass_through(&block[..n], budget.lines) {
                    Block::Clean { consumed, lines } => {
                        raw.keep_file_bytes(consumed, &self.file, pos, self.head);
                        read += lines;
                        budget.lines -= lines;
                        budget.bytes -= consumed as u64;
                        let reached_end = n < want || pos + n as u64 >= self.size;
                        pos += consumed as u64;
                        if reached_end {
                            // The rest is a partial line shorter than the
                            // block: it waits for its newline.
                            break;
                        }
                        // On one core (a CPU limit) the stdout thread, woken
                        // when its pipe has room, waits for us unless we let
                        // it run now: the pipe would sit empty while we read
                        // the rest of the batch (7% less throughput).
                        std::thread::yield_now();
                        continue;
                    }
                    // The line by line path would look at no more bytes
                    // than this block, without a newline in them and not
                    // enough of them to cut: nothing to take yet.
                    Block::NoNewline if left <= want as u64 => break,
                    Block::NoNewline | Block::NeedsSplit => whole_blocks = false,
                }
            }
            let want = left.min(chunk as u64) as usize;
            reader.scratch.resize(want, 0);
            let n = read_full_at(&self.file, &mut reader.scratch, pos)?;
            let at_end = pos + n as u64 >= self.size;
            let (bytes, flush) = (&reader.scratch[..n], flush && at_end);
            let (path, max_line, room) = (&self.path, reader.max_line, budget.lines);
            let split = match (&mut batch.lines, &reader.multiline) {
                (Lines::Raw(raw), _) => lines::split(bytes, path, max_line, room, flush, raw),
                (Lines::Records(records), None) => {
                    lines::split(bytes, path, max_line, room, flush, records)
                }
                (Lines::Records(records), Some(multiline)) => {
                    let take = if flush {
                        n
                    } else {
                        let take = multiline.whole_records(bytes, room, max_line, hold_last);
                        if at_end {
                            holds = Some(take.holds);
                        }
                        take.bytes
                    };
                    let first = records.len();
                    let split = lines::split(&bytes[..take], path, max_line, room, flush, records);
                    multiline.join(records, first, max_line);
                    split
                }
            };
            read += split.lines;
            cuts += split.cuts;
            budget.lines -= split.lines;
            budget.bytes -= split.consumed as u64;
            pos += split.consumed as u64;
            if split.consumed == 0 || n < want {
                break;
            }
        }
        if pos > start && !self.still_holds(pos) {
            // Truncated and written again since `refresh` looked: what was
            // just read may be the new content at the old offsets, and
            // passing it off as the old would lose the old (its copy
            // resumes past it). It is dropped; the next look sees the
            // truncation.
            batch.lines.truncate(held);
            return Ok(unread);
        }
        if self.lineage == Lineage::Undecided {
            self.lineage = Lineage::Settled;
        }
        if pos > start {
            self.held_since = None;
        }
        match holds {
            Some(true) => {
                self.held_since.get_or_insert_with(Instant::now);
            }
            Some(false) => self.held_since = None,
            None => {}
        }
        if pos > start {
            self.read = pos;
            batch.receipt.lines += read;
            batch.receipt.bytes += pos - start;
            batch.receipt.advances.push(Advance {
                file: self.key,
                generation: self.generation,
                offset: pos,
            });
            events.lines_read(&self.path, read, pos - start);
            for _ in 0..cuts {
                events.long_line(&self.path);
            }
        }
        if pos < self.size && (budget.bytes < reader.longest() || budget.lines == 0) {
            batch.more = true;
        }
        Ok(budget)
    }

    /// The file still holds `..end` as it did when it was last looked at:
    /// as long, and with the same head (a failed look counts as no).
    fn still_holds(&self, end: u64) -> bool {
        self.file
            .metadata()
            .and_then(|meta| {
                let size = meta.len();
                Ok(size >= end && self.head.matches(&self.file, size)?)
            })
            .unwrap_or(false)
    }

    /// A batch holding `advance` was delivered: move the delivered offset,
    /// unless the file was truncated since the batch was read.
    pub(crate) fn commit(&mut self, advance: &Advance) {
        if advance.file == self.key && advance.generation == self.generation {
            self.delivered = advance.offset;
        }
    }
}

fn read_full_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], pos + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::Receipt;
    use crate::events::NoEvents;
    use crate::lines::RawLines;

    fn numbered(from: u64, to: u64) -> String {
        (from..to).map(|n| format!("line {n:08}\n")).collect()
    }

    /// Issue 11, defect 6: a copytruncate, and the writer going on, between
    /// the look at a file and the read of it. The read finds new lines at
    /// the old offsets; taken for the old ones, they moved the offset the
    /// copy resumes at past old lines that were never read.
    #[test]
    fn a_truncation_between_the_look_and_the_read_reads_nothing_of_it() {
        let empty = [Lines::Raw(RawLines::default()), Lines::Records(Vec::new())];
        for lines in empty {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("app.log");
            std::fs::write(&path, numbered(0, 100)).unwrap();
            let file = File::open(&path).unwrap();
            let meta = file.metadata().unwrap();
            let mut followed = Followed::new(0, &path, file, &meta, None, &NoEvents).unwrap();
            assert!(followed.refresh(&NoEvents).unwrap().is_none());

            std::fs::write(&path, numbered(100, 300)).unwrap();
            let mut batch = Batch {
                lines,
                receipt: Receipt::default(),
                more: false,
            };
            let mut reader = LineReader::new(1024);
            let budget = Budget {
                bytes: 1 << 20,
                lines: 1000,
            };
            let mut read = |followed: &mut Followed, batch: &mut Batch| {
                followed
                    .read_into(batch, budget, false, &mut reader, &NoEvents)
                    .unwrap()
            };
            let left = read(&mut followed, &mut batch);
            assert_eq!(batch.lines.held(), 0, "new lines taken for the old");
            assert!(batch.receipt.advances.is_empty());
            assert_eq!((left.bytes, left.lines), (budget.bytes, budget.lines));

            // The next look sees the truncation, with nothing delivered for
            // the copy to resume from, and reads the new content whole.
            let former = followed.refresh(&NoEvents).unwrap();
            assert_eq!(former.map(|f| f.offset), Some(0));
            let left = read(&mut followed, &mut batch);
            assert_eq!(budget.lines - left.lines, 200);
            assert_eq!(batch.receipt.advances[0].offset, 200 * 14);
        }
    }
}
