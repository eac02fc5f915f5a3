//! The log file on the pod's shared volume: appended to in whole lines,
//! rotated by rename when it would pass its size limit
//! (`<file>` → `<file>.1` → … → `<file>.N`, the oldest dropped), and
//! reopened when it fails, so a full disk or a deleted directory costs lost
//! file lines (counted by the caller) but never blocks or crashes serving,
//! and writing resumes once the problem is gone.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a broken file is tried again, and how often the path is
/// checked for still naming the file we hold open.
pub(crate) const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// The most rotated files `--log-max-files` accepts. A rotation renames
/// every file kept, and a program that rotates often must not spend its
/// writer thread renaming: 100 renames are about a millisecond.
pub const MAX_LOG_FILES: u32 = 100;

/// Where and how much to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFileOptions {
    /// The live file; rotated files get `.1`, `.2`, … appended.
    pub path: PathBuf,
    /// The live file is rotated before it would grow past this (a single
    /// longer line is still written whole, into a fresh file).
    pub max_bytes: u64,
    /// How many rotated files to keep; 0 deletes the live file instead.
    pub max_files: u32,
}

/// Why a batch (or part of it) did not reach the file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileError {
    /// Opening (or creating) the file failed.
    #[error("cannot open log file {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// A write failed (e.g. ENOSPC).
    #[error("cannot write log file {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// Renaming for rotation failed.
    #[error("cannot rotate log file {path}: {source}")]
    Rotate {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The file failed recently; it is retried after [`RETRY_INTERVAL`].
    #[error("log file {path} is waiting to be retried after an error")]
    Backoff {
        /// The file.
        path: PathBuf,
    },
}

/// What one batch did to the file.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Appended {
    /// Bytes that reached the file.
    pub(crate) bytes: u64,
    /// How many rotations happened.
    pub(crate) rotations: u32,
}

/// The open log file and its rotation state.
#[derive(Debug)]
pub(crate) struct LogFile {
    options: LogFileOptions,
    file: Option<File>,
    /// (device, inode) of `file`, to notice the path being replaced or deleted.
    identity: (u64, u64),
    size: u64,
    last_check: Instant,
    failed_at: Option<Instant>,
}

impl LogFile {
    /// Prepares the file; it is opened on the first write.
    pub(crate) fn new(options: LogFileOptions) -> Self {
        LogFile {
            options,
            file: None,
            identity: (0, 0),
            size: 0,
            last_check: Instant::now(),
            failed_at: None,
        }
    }

    /// The live file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.options.path
    }

    /// Appends `batch` (whole lines), rotating as needed. On error the lines
    /// not written are lost; the part that was written stays, and a line cut
    /// by a failing write is truncated away so the file holds only whole
    /// lines.
    pub(crate) fn write_batch(&mut self, batch: &[u8]) -> Result<Appended, (Appended, FileError)> {
        let mut done = Appended::default();
        if let Err(e) = self.ensure_open() {
            return Err((done, e));
        }
        let mut rest = batch;
        while !rest.is_empty() {
            let room = self.options.max_bytes.saturating_sub(self.size);
            let take = if rest.len() as u64 <= room {
                rest.len()
            } else {
                let window = &rest[..room.min(rest.len() as u64) as usize];
                match window.iter().rposition(|&b| b == b'\n') {
                    Some(i) => i + 1,
                    None if self.size > 0 => {
                        if let Err(e) = self.rotate() {
                            return Err((done, self.fail(e)));
                        }
                        done.rotations += 1;
                        continue;
                    }
                    // A line longer than the limit goes whole into a fresh file.
                    None => rest
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(rest.len(), |i| i + 1),
                }
            };
            let file = self
                .file
                .as_mut()
                .expect("ensure_open and rotate leave a file open");
            if let Err(source) = file.write_all(&rest[..take]) {
                // Drop any partial line so the next successful write starts
                // on a line boundary (best effort: /dev/full cannot be cut).
                let _ = file.set_len(self.size);
                let path = self.options.path.clone();
                return Err((done, self.fail(FileError::Write { path, source })));
            }
            self.size += take as u64;
            done.bytes += take as u64;
            rest = &rest[take..];
        }
        Ok(done)
    }

    /// Flushes the file to disk (at shutdown).
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        match &self.file {
            Some(file) => file.sync_all(),
            None => Ok(()),
        }
    }

    fn fail(&mut self, e: FileError) -> FileError {
        self.file = None;
        self.failed_at = Some(Instant::now());
        e
    }

    fn ensure_open(&mut self) -> Result<(), FileError> {
        let now = Instant::now();
        if self.file.is_some() && now.duration_since(self.last_check) >= RETRY_INTERVAL {
            self.last_check = now;
            // Someone renamed or deleted the file (or its directory) under us:
            // writes would go to an inode nobody reads. Reopen by path.
            let same = fs::metadata(&self.options.path)
                .map(|m| (m.dev(), m.ino()) == self.identity)
                .unwrap_or(false);
            if !same {
                self.file = None;
            }
        }
        if self.file.is_some() {
            return Ok(());
        }
        if let Some(at) = self.failed_at {
            if now.duration_since(at) < RETRY_INTERVAL {
                return Err(FileError::Backoff {
                    path: self.options.path.clone(),
                });
            }
        }
        self.open().map_err(|e| self.fail(e))
    }

    /// Opens (or creates) the file now.
    pub(crate) fn open(&mut self) -> Result<(), FileError> {
        let path = &self.options.path;
        let open_error = |source| FileError::Open {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(open_error)?;
        let meta = file.metadata().map_err(open_error)?;
        self.identity = (meta.dev(), meta.ino());
        self.size = meta.len();
        self.file = Some(file);
        self.last_check = Instant::now();
        self.failed_at = None;
        Ok(())
    }

    fn rotate(&mut self) -> Result<(), FileError> {
        self.file = None;
        let path = self.options.path.clone();
        let rotate_error = |source| FileError::Rotate {
            path: path.clone(),
            source,
        };
        let numbered = |n: u32| {
            let mut name = path.clone().into_os_string();
            name.push(format!(".{n}"));
            PathBuf::from(name)
        };
        if self.options.max_files == 0 {
            fs::remove_file(&path).map_err(rotate_error)?;
        } else {
            // Only the files up to the first free name move: `.1 … .k-1`
            // shift into `.k`, and those past a gap stay. A rotation costs
            // one rename per file kept, never one per file allowed (a bound
            // of four billion made every rotation spin).
            let mut free = 1;
            while free < self.options.max_files && fs::symlink_metadata(numbered(free)).is_ok() {
                free += 1;
            }
            // Oldest first, so each rename lands on a free (or dropped) name;
            // renaming onto `.N` replaces the oldest file.
            for n in (1..free).rev() {
                match fs::rename(numbered(n), numbered(n + 1)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(rotate_error(e)),
                }
            }
            fs::rename(&path, numbered(1)).map_err(rotate_error)?;
        }
        self.open()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(range: std::ops::Range<u32>) -> Vec<u8> {
        range
            .map(|i| format!("line {i:04}\n"))
            .collect::<String>()
            .into_bytes()
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_default()
    }

    #[test]
    fn rotates_by_rename_keeping_n_files_and_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        // Each line is 10 bytes; 35 bytes hold 3 lines.
        let mut file = LogFile::new(LogFileOptions {
            path: path.clone(),
            max_bytes: 35,
            max_files: 2,
        });
        let mut rotations = 0;
        for chunk in [0..2, 2..5, 5..6, 6..13] {
            rotations += file.write_batch(&lines(chunk)).unwrap().rotations;
        }
        // 13 lines in files of 3: 0-2, 3-5, 6-8, 9-11, 12 -> 4 rotations.
        assert_eq!(rotations, 4);
        assert_eq!(read(&path), String::from_utf8(lines(12..13)).unwrap());
        assert_eq!(
            read(&dir.path().join("app.log.1")),
            String::from_utf8(lines(9..12)).unwrap()
        );
        assert_eq!(
            read(&dir.path().join("app.log.2")),
            String::from_utf8(lines(6..9)).unwrap()
        );
        assert!(
            !dir.path().join("app.log.3").exists(),
            "only 2 rotated files kept"
        );
    }

    /// Issue 11, defect 4: with a bound of four billion every rotation
    /// tried four billion renames. Rotation moves only the files before
    /// the first free name and leaves those past a gap as they are, so
    /// its work is the files kept, whatever the bound.
    #[test]
    fn rotation_moves_only_the_files_before_the_first_free_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let numbered = |n: u32| dir.path().join(format!("app.log.{n}"));
        fs::write(numbered(1), "older\n").unwrap();
        fs::write(numbered(3), "past a gap\n").unwrap();
        for max_files in [5, u32::MAX] {
            let mut file = LogFile::new(LogFileOptions {
                path: path.clone(),
                max_bytes: 10,
                max_files,
            });
            let written = file.write_batch(&lines(0..2)).unwrap();
            assert_eq!(written.rotations, 1, "max_files {max_files}");
            assert_eq!(read(&path), "line 0001\n");
            assert_eq!(read(&numbered(1)), "line 0000\n");
            // .1 moved into the gap; .3 stayed where it was.
            assert_eq!(read(&numbered(2)), "older\n");
            assert_eq!(read(&numbered(3)), "past a gap\n");
            assert!(!numbered(4).exists(), "max_files {max_files}");
            // Back to the start for the next bound.
            fs::remove_file(&path).unwrap();
            fs::rename(numbered(2), numbered(1)).unwrap();
        }
    }

    #[test]
    fn a_line_longer_than_the_limit_is_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let mut file = LogFile::new(LogFileOptions {
            path: path.clone(),
            max_bytes: 8,
            max_files: 1,
        });
        file.write_batch(b"short\n").unwrap();
        file.write_batch(b"a much longer line\nok\n").unwrap();
        assert_eq!(read(&dir.path().join("app.log.1")), "a much longer line\n");
        assert_eq!(read(&path), "ok\n");
    }

    #[test]
    fn a_deleted_directory_fails_then_works_again_when_it_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        fs::create_dir(&logs).unwrap();
        let path = logs.join("app.log");
        let mut file = LogFile::new(LogFileOptions {
            path: path.clone(),
            max_bytes: 1 << 20,
            max_files: 1,
        });
        file.write_batch(b"before\n").unwrap();
        fs::remove_dir_all(&logs).unwrap();

        // Within the check interval writes may still land in the unlinked
        // inode; after it, the sink notices and the open fails.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if file.write_batch(b"lost\n").is_err() {
                break;
            }
            assert!(Instant::now() < deadline, "deleted directory never noticed");
            std::thread::sleep(Duration::from_millis(50));
        }
        fs::create_dir(&logs).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while file.write_batch(b"after\n").is_err() {
            assert!(Instant::now() < deadline, "never recovered");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(read(&path), "after\n");
    }

    #[test]
    fn dev_full_reports_enospc_without_panicking() {
        // /dev/full accepts an append-mode open and fails every write with
        // ENOSPC: a disk that is full from the start.
        let mut file = LogFile::new(LogFileOptions {
            path: PathBuf::from("/dev/full"),
            max_bytes: 1 << 20,
            max_files: 1,
        });
        let (written, err) = file.write_batch(b"x\n").unwrap_err();
        assert_eq!(written.bytes, 0);
        match err {
            FileError::Write { source, .. } => {
                assert_eq!(source.raw_os_error(), Some(28), "ENOSPC")
            }
            other => panic!("expected a write error, got {other}"),
        }
        assert!(matches!(
            file.write_batch(b"y\n"),
            Err((_, FileError::Backoff { .. }))
        ));
    }
}
