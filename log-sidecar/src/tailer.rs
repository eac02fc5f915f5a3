//! Following a set of files named by glob patterns: finding new files,
//! recognising renamed, truncated, copied and replaced ones, and reading
//! their complete lines in bounded batches. The tailer never decides that a
//! line is delivered: the caller [`commit`](Tailer::commit)s a batch after
//! every output accepted it, and only then do offsets (and so checkpoints)
//! move.
//!
//! Every followed file is held open, so a file that is renamed out of the
//! pattern or deleted is still read to its end through its descriptor before
//! it is let go, and its inode cannot be reused while we hold it.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::checkpoint::{Checkpoint, FileCheckpoint, VERSION};
use crate::events::TailEvents;
use crate::fingerprint::{FileId, Head};
use crate::lines::{self, Block, RawLines};
use crate::record::Record;

/// How long a file that vanished from the patterns (deleted, or renamed out)
/// may keep an unfinished last line before that line is emitted as is.
const GONE_GRACE: Duration = Duration::from_secs(1);

/// Truncated files whose former head is remembered to recognise their copy.
const REMEMBERED_TRUNCATIONS: usize = 16;

/// Bytes read at once for raw output when a file has a backlog: big
/// enough that syscalls do not count, small enough to stay in the L2 cache
/// between the read and the write to stdout.
const PASS_THROUGH_BLOCK: usize = 128 * 1024;

/// Files let go whose position is remembered, in case they were only missed
/// by a scan racing with renames and show up again.
const REMEMBERED_RELEASES: usize = 256;

/// Why the tailer cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    /// A `--path` value is not a valid pattern.
    #[error("invalid path pattern {pattern:?}: {reason}")]
    Pattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// What the tailer needs to know.
#[derive(Debug, Clone)]
pub struct TailerConfig {
    /// Files or glob patterns (`*`, `?`, `[..]`; `*` does not match a leading dot).
    pub patterns: Vec<String>,
    /// Lines longer than this are cut into pieces of this size.
    pub max_line_bytes: usize,
    /// Never followed even when a pattern matches it (the checkpoint file).
    pub exclude: Vec<PathBuf>,
    /// Collect lines as raw stdout bytes ([`Batch::raw`]) instead of
    /// records: for `--format raw` without a sink.
    pub raw_lines: bool,
}

/// One followed file.
#[derive(Debug)]
struct Tracked {
    key: u64,
    path: Arc<Path>,
    /// Shared with the stdout writer, which splices ranges from it.
    file: Arc<File>,
    id: FileId,
    head: Head,
    /// First byte not yet delivered (committed).
    offset: u64,
    /// First byte not yet read: ahead of `offset` while a batch is in flight.
    read_pos: u64,
    /// Bumped when the file is found truncated, so that a batch read before
    /// cannot commit an offset into the new content.
    generation: u64,
    /// Seen in the latest scan under some matching path.
    present: bool,
    gone_since: Option<Instant>,
    /// Nothing read from it yet: it may still turn out to be a copy.
    fresh: bool,
    /// Inherited an offset as a copy that was not fully written yet: wait
    /// for it to reach that offset instead of calling it truncated.
    copy_wait: bool,
    /// Size seen at the latest read, for lag.
    size: u64,
    mtime: SystemTime,
}

/// Lines read but not yet delivered, and where each file's offset goes once
/// they are.
#[derive(Debug, Default)]
pub struct Batch {
    /// The lines, oldest file first, in file order (unless `raw_lines`).
    pub records: Vec<Record>,
    /// The same lines encoded for raw stdout (when `raw_lines`).
    pub raw: RawLines,
    /// How many lines the batch holds.
    pub lines: usize,
    /// Bytes of the files the records cover.
    pub bytes: u64,
    /// True when a budget stopped reading: call again without waiting.
    pub more: bool,
    /// (file key, generation, new offset).
    advances: Vec<(u64, u64, u64)>,
}

impl Batch {
    /// True when there is nothing to deliver or commit.
    pub fn is_empty(&self) -> bool {
        self.lines == 0 && self.advances.is_empty()
    }
}

/// Follows the files matching the patterns.
pub struct Tailer {
    raw_patterns: Vec<String>,
    max_line: usize,
    exclude: Vec<PathBuf>,
    raw_lines: bool,
    files: Vec<Tracked>,
    /// Checkpoint entries not yet matched to a file (first scan only).
    resume: Vec<FileCheckpoint>,
    truncated_heads: Vec<(Head, u64, Arc<Path>)>,
    /// Files let go (most recent last), to resume them if seen again.
    released: Vec<FileCheckpoint>,
    next_key: u64,
    buf: Vec<u8>,
    /// A raw-lines buffer back from stdout, for the next batch.
    spare_raw: Vec<u8>,
    events: Arc<dyn TailEvents>,
}

impl std::fmt::Debug for Tailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tailer")
            .field("patterns", &self.raw_patterns)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

fn match_options() -> glob::MatchOptions {
    glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    }
}

impl Tailer {
    /// A tailer that resumes from `checkpoint`.
    pub fn new(
        config: TailerConfig,
        checkpoint: Checkpoint,
        events: Arc<dyn TailEvents>,
    ) -> Result<Self, TailError> {
        for p in &config.patterns {
            glob::Pattern::new(p).map_err(|e| TailError::Pattern {
                pattern: p.clone(),
                reason: e.to_string(),
            })?;
        }
        Ok(Self {
            raw_patterns: config.patterns,
            max_line: config.max_line_bytes.max(1),
            exclude: config.exclude,
            raw_lines: config.raw_lines,
            files: Vec::new(),
            resume: checkpoint.files,
            truncated_heads: Vec::new(),
            released: Vec::new(),
            next_key: 0,
            buf: Vec::new(),
            spare_raw: Vec::new(),
            events,
        })
    }

    /// Directories whose changes may concern us: the literal part of each
    /// pattern and the directories of followed files.
    pub fn watch_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self
            .raw_patterns
            .iter()
            .map(|p| literal_dir(p))
            .chain(
                self.files
                    .iter()
                    .filter_map(|t| t.path.parent().map(Path::to_path_buf)),
            )
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// Paths currently followed, for diagnostics and tests.
    pub fn followed(&self) -> Vec<Arc<Path>> {
        self.files.iter().map(|t| Arc::clone(&t.path)).collect()
    }

    /// True while the file with this identity is followed (held open).
    pub fn follows(&self, id: FileId) -> bool {
        self.files.iter().any(|t| t.id == id)
    }

    /// Bytes written to followed files and not yet delivered.
    pub fn lag_bytes(&self) -> u64 {
        self.files
            .iter()
            .map(|t| t.size.saturating_sub(t.offset))
            .sum()
    }

    /// Looks for files matching the patterns: new ones are opened (and
    /// resumed from the checkpoint when they are in it), known ones found
    /// under a new name are renames. Unreadable entries are logged and
    /// skipped; they are retried on the next scan.
    pub fn scan(&mut self) {
        for t in &mut self.files {
            t.present = false;
        }
        let mut seen = HashSet::new();
        for pattern in self.raw_patterns.clone() {
            let paths = match glob::glob_with(&pattern, match_options()) {
                Ok(paths) => paths,
                Err(e) => {
                    log::warn!("pattern {pattern:?}: {e}");
                    continue;
                }
            };
            for entry in paths {
                let path = match entry {
                    Ok(p) => p,
                    Err(e) => {
                        log::debug!("pattern {pattern:?}: {e}");
                        continue;
                    }
                };
                if self.exclude.iter().any(|x| x == &path) || !seen.insert(path.clone()) {
                    continue;
                }
                if let Err(e) = self.visit(&path) {
                    if e.kind() != io::ErrorKind::NotFound {
                        log::warn!("cannot follow {}: {e}", path.display());
                    }
                }
            }
        }
        let now = Instant::now();
        for t in &mut self.files {
            if t.present {
                t.gone_since = None;
            } else if t.gone_since.is_none() {
                t.gone_since = Some(now);
            }
        }
        // Checkpoint entries only resume files found by the first scan;
        // the others were deleted while we were down.
        self.resume.clear();
    }

    fn visit(&mut self, path: &Path) -> io::Result<()> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Ok(());
        }
        let id = FileId::of(&meta);
        if let Some(t) = self.files.iter_mut().find(|t| t.id == id) {
            t.present = true;
            if *t.path != *path {
                // Two names for one inode (a hard link) would flap: only a
                // name that no longer leads to this inode counts as a rename.
                let old_name_moved = std::fs::metadata(&t.path)
                    .map(|m| FileId::of(&m) != id)
                    .unwrap_or(true);
                if old_name_moved {
                    self.events.rotated(&t.path, path);
                    t.path = Arc::from(path);
                }
            }
            return Ok(());
        }
        let file = File::open(path)?;
        let meta = file.metadata()?;
        let id = FileId::of(&meta);
        if self.files.iter().any(|t| t.id == id) {
            // Replaced between stat and open; the next scan sorts it out.
            return Ok(());
        }
        let size = meta.len();
        let mut offset = 0;
        let mut head = Head::default();
        let mut fresh = true;
        let known = match self.resume.iter().position(|c| c.id == id) {
            Some(pos) => Some(self.resume.swap_remove(pos)),
            None => self
                .released
                .iter()
                .rposition(|c| c.id == id)
                .map(|pos| self.released.remove(pos)),
        };
        if let Some(cp) = known {
            if cp.head().matches(&file, size)? && cp.offset <= size {
                offset = cp.offset;
                head = cp.head();
                fresh = false;
            } else {
                self.events.truncated(path);
            }
        }
        self.events.file_opened(path);
        self.files.push(Tracked {
            key: self.next_key,
            path: Arc::from(path),
            file: Arc::new(file),
            id,
            head,
            offset,
            read_pos: offset,
            generation: 0,
            present: true,
            gone_since: None,
            fresh,
            copy_wait: false,
            size,
            mtime: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        });
        self.next_key += 1;
        Ok(())
    }

    /// Reads complete lines, oldest file first, until `max_bytes` or
    /// `max_lines` is reached. `flush_partial` also emits unfinished last
    /// lines (shutdown). Files that are gone and fully delivered are let go.
    pub fn read_batch(&mut self, max_bytes: u64, max_lines: usize, flush_partial: bool) -> Batch {
        let mut batch = Batch {
            raw: RawLines::reuse(std::mem::take(&mut self.spare_raw)),
            ..Batch::default()
        };
        let now = Instant::now();
        self.refresh();
        let released = &mut self.released;
        self.files.retain(|t| {
            let done = !t.present && t.offset >= t.size && t.read_pos == t.offset && !t.copy_wait;
            if done {
                self.events.file_closed(&t.path);
                // A scan racing with a cascade of renames can miss a file
                // that still exists: remember where it was.
                released.push(FileCheckpoint {
                    path: t.path.to_path_buf(),
                    id: t.id,
                    head_len: t.head.len,
                    head_hash: t.head.hash,
                    offset: t.offset,
                });
            }
            !done
        });
        if self.released.len() > REMEMBERED_RELEASES {
            let excess = self.released.len() - REMEMBERED_RELEASES;
            self.released.drain(..excess);
        }
        let mut order: Vec<usize> = (0..self.files.len()).collect();
        order.sort_by_key(|&i| (self.files[i].mtime, self.files[i].key));
        let chunk = (64 * 1024).max(self.max_line + 2);
        for i in order {
            let budget = max_bytes.saturating_sub(batch.bytes);
            if batch.lines >= max_lines || (budget < (self.max_line + 2) as u64 && batch.lines > 0)
            {
                batch.more = true;
                break;
            }
            let flush = flush_partial
                || self.files[i]
                    .gone_since
                    .is_some_and(|g| now.duration_since(g) >= GONE_GRACE);
            if let Err(e) = self.read_file(i, budget, max_lines, flush, chunk, &mut batch) {
                log::warn!("cannot read {}: {e}", self.files[i].path.display());
            }
        }
        batch
    }

    /// Re-stats every file and handles truncation, rewrites and copies.
    fn refresh(&mut self) {
        for i in 0..self.files.len() {
            if let Err(e) = self.refresh_one(i) {
                log::warn!("cannot stat {}: {e}", self.files[i].path.display());
            }
        }
    }

    fn refresh_one(&mut self, i: usize) -> io::Result<()> {
        let meta = self.files[i].file.metadata()?;
        let size = meta.len();
        let t = &mut self.files[i];
        t.size = size;
        t.mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if t.copy_wait {
            if size < t.offset {
                return Ok(());
            }
            t.copy_wait = false;
        }
        // No early return when the size is unchanged: a file truncated and
        // rewritten to the same size between two looks is only told apart
        // by its head (mtime is too coarse). A 256-byte pread is cheap.
        if size < t.read_pos || !t.head.matches(&t.file, size)? {
            self.events.truncated(&t.path);
            if t.head.is_full() {
                self.truncated_heads
                    .push((t.head, t.offset, Arc::clone(&t.path)));
                if self.truncated_heads.len() > REMEMBERED_TRUNCATIONS {
                    self.truncated_heads.remove(0);
                }
            }
            t.offset = 0;
            t.read_pos = 0;
            t.generation += 1;
            t.head = Head::default();
        }
        if t.head.len < size && !t.head.is_full() {
            t.head = Head::read(&t.file, size)?;
        }
        if t.fresh && t.offset == 0 && t.head.is_full() {
            t.fresh = false;
            let head = t.head;
            let key = t.key;
            let original = self
                .files
                .iter()
                .find(|o| o.key != key && o.head == head && o.offset > 0)
                .map(|o| (o.offset, Arc::clone(&o.path)))
                .or_else(|| {
                    self.truncated_heads
                        .iter()
                        .rev()
                        .find(|(h, _, _)| *h == head)
                        .map(|(_, off, from)| (*off, Arc::clone(from)))
                });
            if let Some((offset, from)) = original {
                let t = &mut self.files[i];
                self.events.copy_detected(&t.path, &from);
                t.offset = offset;
                t.read_pos = offset;
                t.copy_wait = size < offset;
            }
        }
        Ok(())
    }

    fn read_file(
        &mut self,
        i: usize,
        mut budget: u64,
        max_lines: usize,
        flush: bool,
        chunk: usize,
        batch: &mut Batch,
    ) -> io::Result<()> {
        let t = &mut self.files[i];
        if t.copy_wait || t.size <= t.read_pos {
            return Ok(());
        }
        let start = t.read_pos;
        let mut pos = start;
        let start_lines = batch.lines;
        let mut cuts = 0;
        // Raw output of lines that need no change is the file's bytes: read
        // blocks straight into the output buffer and keep their complete
        // lines as they are. Only a block that needs a change (a CR, a line
        // longer than the block) goes line by line, and from then on the
        // rest of this file's batch too, as does a final flush.
        let mut whole_blocks = self.raw_lines && !flush;
        let block_max = PASS_THROUGH_BLOCK.min(self.max_line);
        loop {
            let room = max_lines.saturating_sub(batch.lines);
            let left = (t.size - pos).min(budget);
            if left == 0 || room == 0 {
                break;
            }
            if whole_blocks {
                let want = left.min(block_max as u64) as usize;
                let block = batch.raw.spare(want);
                let n = read_full_at(&t.file, block, pos)?;
                match lines::pass_through(&block[..n], room) {
                    Block::Clean { consumed, lines } => {
                        batch.raw.keep_file_bytes(consumed, &t.file, pos, t.head);
                        batch.lines += lines;
                        batch.bytes += consumed as u64;
                        budget -= consumed as u64;
                        let reached_end = n < want || pos + n as u64 >= t.size;
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
            self.buf.resize(want, 0);
            let n = read_full_at(&t.file, &mut self.buf, pos)?;
            let at_end = pos + n as u64 >= t.size;
            let (buf, path, flush) = (&self.buf[..n], &t.path, flush && at_end);
            let split = if self.raw_lines {
                lines::split(buf, path, self.max_line, room, flush, &mut batch.raw)
            } else {
                lines::split(buf, path, self.max_line, room, flush, &mut batch.records)
            };
            batch.lines += split.lines;
            cuts += split.cuts;
            pos += split.consumed as u64;
            budget -= split.consumed as u64;
            batch.bytes += split.consumed as u64;
            if split.consumed == 0 || n < want {
                break;
            }
        }
        t.fresh = false;
        let lines = batch.lines - start_lines;
        if pos > start {
            t.read_pos = pos;
            batch.advances.push((t.key, t.generation, pos));
            self.events.lines_read(&t.path, lines, pos - start);
            for _ in 0..cuts {
                self.events.long_line(&t.path);
            }
        }
        if pos < t.size && (budget < (self.max_line + 2) as u64 || batch.lines >= max_lines) {
            batch.more = true;
        }
        Ok(())
    }

    /// Takes back the buffer of a raw batch that was written, so that the
    /// next batches reuse it instead of allocating.
    pub fn recycle(&mut self, raw: Vec<u8>) {
        if raw.capacity() > self.spare_raw.capacity() {
            self.spare_raw = raw;
        }
    }

    /// Moves offsets past a batch that every output accepted. Batches must
    /// be committed in the order they were read.
    pub fn commit(&mut self, batch: Batch) {
        for (key, generation, offset) in batch.advances {
            if let Some(t) = self
                .files
                .iter_mut()
                .find(|t| t.key == key && t.generation == generation)
            {
                t.offset = offset;
            }
        }
        for t in &self.files {
            self.events
                .file_lag(&t.path, t.size.saturating_sub(t.offset));
        }
    }

    /// Where every followed file stands, to be stored. Before the first
    /// scan that is still the checkpoint it was built from.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            version: VERSION,
            files: self
                .files
                .iter()
                .map(|t| FileCheckpoint {
                    path: t.path.to_path_buf(),
                    id: t.id,
                    head_len: t.head.len,
                    head_hash: t.head.hash,
                    offset: t.offset,
                })
                .chain(self.resume.iter().cloned())
                .collect(),
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

/// The directory part of a pattern before its first wildcard.
fn literal_dir(pattern: &str) -> PathBuf {
    let path = Path::new(pattern);
    let mut dir = PathBuf::new();
    let components: Vec<_> = path.components().collect();
    for (n, c) in components.iter().enumerate() {
        let s = c.as_os_str().to_string_lossy();
        if n + 1 == components.len() || s.contains(['*', '?', '[']) {
            break;
        }
        dir.push(c);
    }
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_dir_stops_at_the_first_wildcard() {
        assert_eq!(
            literal_dir("/var/log/time-service/time-service.log*"),
            Path::new("/var/log/time-service")
        );
        assert_eq!(literal_dir("/var/log/*/x.log"), Path::new("/var/log"));
        assert_eq!(literal_dir("x.log"), Path::new("."));
    }
}
