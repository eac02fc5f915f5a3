//! Following the set of files the patterns name: what each file found by
//! [`discovery`](crate::discovery) is (followed already under another
//! name: a rename; resumed from the checkpoint; a copy of a followed or
//! truncated file; new), reading the followed files (`follow`)
//! oldest first into bounded batches, and moving offsets once a batch is
//! delivered. The tailer never decides that a line is delivered: the
//! caller [`commit`](Tailer::commit)s a batch's receipt after every output
//! accepted it, and only then do offsets (and so checkpoints) move.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::batch::{Batch, Lines, Receipt};
use crate::checkpoint::{Checkpoint, FileCheckpoint, VERSION};
use crate::discovery::Patterns;
use crate::events::TailEvents;
use crate::fingerprint::FileId;
use crate::follow::{Budget, Followed, LineReader, TruncatedHead};

/// Truncated files whose former head is remembered to recognise their copy.
const REMEMBERED_TRUNCATIONS: usize = 16;

/// Files let go whose position is remembered, in case they were only missed
/// by a scan racing with renames and show up again.
const REMEMBERED_RELEASES: usize = 256;

/// How much one batch may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// File bytes at most (a single longest line always fits).
    pub bytes: u64,
    /// Lines at most.
    pub lines: usize,
}

/// Follows the files matching the patterns.
pub struct Tailer {
    patterns: Patterns,
    files: Vec<Followed>,
    /// Checkpoint entries not yet matched to a file (first scan only).
    resume: Vec<FileCheckpoint>,
    truncated: Vec<TruncatedHead>,
    /// Files let go (most recent last), to resume them if seen again.
    released: Vec<FileCheckpoint>,
    next_key: u64,
    reader: LineReader,
    events: Arc<dyn TailEvents>,
}

impl std::fmt::Debug for Tailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tailer")
            .field("patterns", &self.patterns)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl Tailer {
    /// A tailer of the files `patterns` name, cutting lines longer than
    /// `max_line_bytes`, that resumes from `checkpoint`.
    pub fn new(
        patterns: Patterns,
        max_line_bytes: usize,
        checkpoint: Checkpoint,
        events: Arc<dyn TailEvents>,
    ) -> Self {
        Tailer {
            patterns,
            files: Vec::new(),
            resume: checkpoint.files,
            truncated: Vec::new(),
            released: Vec::new(),
            next_key: 0,
            reader: LineReader::new(max_line_bytes),
            events,
        }
    }

    /// Directories whose changes may concern us: the literal part of each
    /// pattern and the directories of followed files.
    pub fn watch_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self
            .patterns
            .dirs()
            .chain(
                self.files
                    .iter()
                    .filter_map(|f| f.path.parent().map(Path::to_path_buf)),
            )
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// True while the file with this identity is followed (held open).
    pub fn follows(&self, id: FileId) -> bool {
        self.files.iter().any(|f| f.id == id)
    }

    /// Looks for files matching the patterns: new ones are opened (and
    /// resumed from the checkpoint when they are in it), known ones found
    /// under a new name are renames. Unreadable entries are logged and
    /// skipped; they are retried on the next scan.
    pub fn scan(&mut self) {
        for f in &mut self.files {
            f.unsee();
        }
        for path in self.patterns.matches() {
            if let Err(e) = self.visit(&path) {
                if e.kind() != io::ErrorKind::NotFound {
                    log::warn!("cannot follow {}: {e}", path.display());
                }
            }
        }
        let now = Instant::now();
        for f in &mut self.files {
            f.scanned(now);
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
        if let Some(f) = self.files.iter_mut().find(|f| f.id == id) {
            f.seen_at(path, &*self.events);
            return Ok(());
        }
        let file = File::open(path)?;
        let meta = file.metadata()?;
        let id = FileId::of(&meta);
        if self.follows(id) {
            // Replaced between stat and open; the next scan sorts it out.
            return Ok(());
        }
        let resume = match self.resume.iter().position(|c| c.id == id) {
            Some(pos) => Some(self.resume.swap_remove(pos)),
            None => self
                .released
                .iter()
                .rposition(|c| c.id == id)
                .map(|pos| self.released.remove(pos)),
        };
        let followed = Followed::new(self.next_key, path, file, &meta, resume, &*self.events)?;
        self.files.push(followed);
        self.next_key += 1;
        Ok(())
    }

    /// Reads complete lines into `lines`, oldest file first, within
    /// `limits`. `flush_partial` also emits unfinished last lines
    /// (shutdown). Files that are gone and fully delivered are let go.
    pub fn read_batch(&mut self, lines: Lines, limits: BatchLimits, flush_partial: bool) -> Batch {
        let mut batch = Batch {
            lines,
            receipt: Receipt::default(),
            more: false,
        };
        self.refresh();
        self.release_finished();
        let mut order: Vec<usize> = (0..self.files.len()).collect();
        order.sort_by_key(|&i| (self.files[i].mtime, self.files[i].key));
        let mut budget = Budget {
            bytes: limits.bytes,
            lines: limits.lines,
        };
        for i in order {
            let started = budget.lines < limits.lines;
            if budget.lines == 0 || (budget.bytes < self.reader.longest() && started) {
                batch.more = true;
                break;
            }
            let file = &mut self.files[i];
            match file.read_into(
                &mut batch,
                budget,
                flush_partial,
                &mut self.reader,
                &*self.events,
            ) {
                Ok(left) => budget = left,
                Err(e) => log::warn!("cannot read {}: {e}", file.path.display()),
            }
        }
        batch
    }

    /// Lets go of files gone from the patterns and delivered to their end,
    /// remembering where they were: a scan racing with a cascade of
    /// renames can miss a file that still exists.
    fn release_finished(&mut self) {
        let (events, released) = (&self.events, &mut self.released);
        self.files.retain(|f| {
            let finished = f.finished();
            if finished {
                events.file_closed(&f.path);
                released.push(f.checkpoint());
            }
            !finished
        });
        if released.len() > REMEMBERED_RELEASES {
            let excess = released.len() - REMEMBERED_RELEASES;
            released.drain(..excess);
        }
    }

    /// Looks at every file again (truncations, rewrites), then at the new
    /// ones that may be copies of a followed or truncated file.
    fn refresh(&mut self) {
        for f in &mut self.files {
            match f.refresh(&*self.events) {
                Ok(Some(former)) => {
                    self.truncated.push(former);
                    if self.truncated.len() > REMEMBERED_TRUNCATIONS {
                        self.truncated.remove(0);
                    }
                }
                Ok(None) => {}
                Err(e) => log::warn!("cannot stat {}: {e}", f.path.display()),
            }
        }
        for i in 0..self.files.len() {
            let Some(head) = self.files[i].copy_candidate() else {
                continue;
            };
            let key = self.files[i].key;
            let original = self
                .files
                .iter()
                .find(|o| o.key != key && o.head == head && o.delivered > 0)
                .map(|o| (o.delivered, Arc::clone(&o.path)))
                .or_else(|| {
                    self.truncated
                        .iter()
                        .rev()
                        .find(|t| t.head == head)
                        .map(|t| (t.offset, Arc::clone(&t.path)))
                });
            if let Some((offset, from)) = original {
                self.files[i].resume_as_copy(offset, &from, &*self.events);
            }
        }
    }

    /// Moves offsets past a batch that every output accepted. Batches must
    /// be committed in the order they were read.
    pub fn commit(&mut self, receipt: Receipt) {
        for advance in &receipt.advances {
            if let Some(f) = self.files.iter_mut().find(|f| f.key == advance.file) {
                f.commit(advance);
            }
        }
        for f in &self.files {
            self.events.file_lag(&f.path, f.lag());
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
                .map(Followed::checkpoint)
                .chain(self.resume.iter().cloned())
                .collect(),
        }
    }
}
