//! Following the set of files the patterns name: what each file found by
//! [`discovery`](crate::discovery) is (followed already under another
//! name: a rename; resumed from the checkpoint; a copy of a followed or
//! truncated file; new), reading the followed files (`follow`)
//! oldest first into bounded batches, and moving offsets once a batch is
//! delivered. The tailer never decides that a line is delivered: the
//! caller [`commit`](Tailer::commit)s a batch's receipt after every output
//! accepted it, and only then do offsets (and so checkpoints) move.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::batch::{Batch, Lines, Receipt};
use crate::checkpoint::{Checkpoint, FileCheckpoint, VERSION};
use crate::discovery::Patterns;
use crate::events::TailEvents;
use crate::fingerprint::{open_regular, FileId};
use crate::follow::{Budget, Followed, LineReader, TruncatedHead};
use crate::multiline::Multiline;

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
    /// Follow what a symlink leads to even outside the watched directories.
    links_outside: bool,
    /// Paths matched but not followed, and why: each is reported once per
    /// reason, not on every scan.
    problems: Problems,
    files: Vec<Followed>,
    /// Checkpoint entries not yet matched to a file (first scan only).
    resume: Vec<FileCheckpoint>,
    /// The first scan is over: files found from now on were not there at
    /// start-up.
    scanned_once: bool,
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
            links_outside: false,
            problems: Problems::default(),
            files: Vec::new(),
            resume: checkpoint.files,
            scanned_once: false,
            truncated: Vec::new(),
            released: Vec::new(),
            next_key: 0,
            reader: LineReader::new(max_line_bytes),
            events,
        }
    }

    /// Also follows files that a symlink (or a symlinked directory) in the
    /// watched directories leads out of them to; by default they are
    /// refused, so that a link to `/etc/shadow` dropped on a shared volume
    /// is not forwarded.
    pub fn follow_links_outside(mut self, allow: bool) -> Self {
        self.links_outside = allow;
        self
    }

    /// Joins continuation lines into one record by `multiline` when lines
    /// are read as records; by default every line is a record.
    pub fn join_multiline(mut self, multiline: Option<Multiline>) -> Self {
        self.reader.multiline = multiline;
        self
    }

    /// How long until a held multi-line record is due to be flushed: the
    /// loop reads again then, even if nothing was written.
    pub fn next_flush_in(&self) -> Option<Duration> {
        let timeout = self.reader.multiline.as_ref()?.timeout();
        let due = self
            .files
            .iter()
            .filter_map(|f| f.flush_due(timeout))
            .min()?;
        Some(due.saturating_duration_since(Instant::now()))
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

    /// Lines that were in the files at start-up (and after the checkpoint)
    /// are not all delivered yet: the run before may have delivered them
    /// already, so they should be checkpointed as soon as they are.
    pub fn replaying(&self) -> bool {
        self.files.iter().any(Followed::replaying)
    }

    /// True while the file with this identity is followed (held open).
    pub fn follows(&self, id: FileId) -> bool {
        self.files.iter().any(|f| f.id == id)
    }

    /// Looks for files matching the patterns: new ones are opened (and
    /// resumed from the checkpoint when they are in it), known ones found
    /// under a new name are renames. Entries that cannot be followed are
    /// reported once (and again when the reason changes) and retried on
    /// every scan.
    pub fn scan(&mut self) {
        for f in &mut self.files {
            f.unsee();
        }
        let found = self.patterns.matches();
        let roots = if self.links_outside {
            Vec::new()
        } else {
            self.roots()
        };
        for (dir, e) in found.unlisted {
            self.problems.report(&dir, format!("cannot list it: {e}"));
        }
        for path in found.paths {
            match self.visit(&path, &roots) {
                Ok(()) => {}
                Err(Refused::Io(e)) if e.kind() == io::ErrorKind::NotFound => {}
                Err(Refused::Io(e)) => self.problems.report(&path, e.to_string()),
                Err(Refused::Outside(real)) => self.problems.report(
                    &path,
                    format!(
                        "it leads outside the watched directories, to {} \
                         (--follow-symlinks-outside to follow it)",
                        real.display()
                    ),
                ),
            }
        }
        let unfollowable = self.problems.scanned();
        self.events.unfollowable(unfollowable);
        let now = Instant::now();
        for f in &mut self.files {
            f.scanned(now);
        }
        // Checkpoint entries only resume files found by the first scan;
        // the others were deleted while we were down.
        self.resume.clear();
        self.scanned_once = true;
    }

    /// Where files may really be: each pattern's directory, resolved.
    fn roots(&self) -> Vec<PathBuf> {
        self.patterns
            .dirs()
            .filter_map(|dir| std::fs::canonicalize(dir).ok())
            .collect()
    }

    fn visit(&mut self, path: &Path, roots: &[PathBuf]) -> Result<(), Refused> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Ok(());
        }
        let id = FileId::of(&meta);
        if let Some(f) = self.files.iter_mut().find(|f| f.id == id) {
            f.seen_at(path, &*self.events);
            return Ok(());
        }
        let Some((file, meta)) = open_regular(path)? else {
            // Swapped for a FIFO or a device between stat and open.
            return Ok(());
        };
        if !self.links_outside {
            let real = real_path(&file, path)?;
            if !roots.iter().any(|root| real.starts_with(root)) {
                return Err(Refused::Outside(real));
            }
        }
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
        let mut followed = Followed::new(self.next_key, path, file, &meta, resume, &*self.events)?;
        if !self.scanned_once {
            followed.found_at_start();
        }
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
            if let Some(left) = file.read_into_or_report(
                &mut batch,
                budget,
                flush_partial,
                &mut self.reader,
                &*self.events,
            ) {
                budget = left;
            }
        }
        // A batch that took nothing leaves every file as it was: the next
        // one would take nothing either (an unfinished line longer than
        // the room the limits leave), so asking for it would spin.
        if batch.receipt.lines == 0 {
            batch.more = false;
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

/// Why a matched path is not followed.
#[derive(Debug)]
enum Refused {
    Io(io::Error),
    /// It (or a directory on its way) is a symlink to this real path,
    /// outside the watched directories.
    Outside(PathBuf),
}

impl From<io::Error> for Refused {
    fn from(e: io::Error) -> Self {
        Refused::Io(e)
    }
}

/// Where the file just opened really is, every symlink resolved: what the
/// kernel says the descriptor names, so a link swapped in after a check
/// cannot fool it (`path` resolved as a fallback when /proc is missing).
fn real_path(file: &File, path: &Path) -> io::Result<PathBuf> {
    let fd = format!("/proc/self/fd/{}", file.as_raw_fd());
    std::fs::read_link(fd).or_else(|_| std::fs::canonicalize(path))
}

/// Paths that cannot be followed, reported on stderr once per path and
/// reason: the scan looks at them up to ten times a second, and an
/// unreadable file, or more files than descriptors, must not repeat the
/// same warning each time.
#[derive(Debug, Default)]
struct Problems {
    /// Reported so far, and why.
    known: HashMap<PathBuf, String>,
    /// Found by the scan in progress.
    current: HashMap<PathBuf, String>,
}

impl Problems {
    fn report(&mut self, path: &Path, why: String) {
        if self.known.get(path) != Some(&why) {
            log::warn!("cannot follow {}: {why}", path.display());
        }
        self.current.insert(path.to_owned(), why);
    }

    /// The scan is over: problems it did not meet again are over too.
    /// Returns how many paths could not be followed.
    fn scanned(&mut self) -> usize {
        for path in self.known.keys() {
            if !self.current.contains_key(path) {
                log::info!("{}: no longer refused", path.display());
            }
        }
        self.known = std::mem::take(&mut self.current);
        self.known.len()
    }
}
