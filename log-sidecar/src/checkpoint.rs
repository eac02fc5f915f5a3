//! The per-file offsets that survive a restart. An offset is only ever
//! written after the lines before it were delivered to every output, and the
//! file is replaced atomically (temporary file, `sync_all`, `rename`, fsync of
//! the directory), so after a crash the sidecar resumes exactly where its last
//! checkpoint says and at worst repeats what it delivered after it.
//!
//! A checkpoint that cannot be used (unreadable, not JSON, not a regular
//! file) is moved aside and the sidecar starts as on a first run: repeats
//! are better than a crash loop. Only one written by a newer build is
//! refused, since guessing what its fields mean could skip lines.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fingerprint::{open_regular, FileId, Head};

/// The only format version this build reads and writes.
pub const VERSION: u32 = 1;

/// Why a checkpoint could not be read or written. (The OS error is part
/// of the message, not a `source`, so that it is printed once.)
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Reading the file failed (other than it not existing yet).
    #[error("cannot read checkpoint {path}: {error}")]
    Read {
        /// The checkpoint file.
        path: PathBuf,
        /// The cause.
        error: io::Error,
    },
    /// The file is not a checkpoint this build understands.
    #[error("checkpoint {path} is not valid: {reason}")]
    Invalid {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A newer build wrote it: its fields may mean what this one cannot know.
    #[error(
        "checkpoint {path} has format version {version}, newer than this build's {VERSION}: \
         run the log-sidecar that wrote it, or move the file away to read every file from its start"
    )]
    Newer {
        /// The checkpoint file.
        path: PathBuf,
        /// Its version.
        version: u64,
    },
    /// Writing, syncing or renaming failed.
    #[error("cannot write checkpoint {path}: {error}")]
    Write {
        /// The checkpoint file.
        path: PathBuf,
        /// The cause.
        error: io::Error,
    },
}

/// Everything the checkpoint file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format version, [`VERSION`].
    pub version: u32,
    /// One entry per file being followed.
    pub files: Vec<FileCheckpoint>,
}

/// Where reading of one file resumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCheckpoint {
    /// The path the file had when the checkpoint was written (informative:
    /// files are matched by `id` and `head`, never by path; a name that is
    /// not UTF-8 is written with replacement characters).
    #[serde(serialize_with = "lossy_path")]
    pub path: PathBuf,
    /// Device and inode.
    #[serde(flatten)]
    pub id: FileId,
    /// Checksum of the file's first bytes when the checkpoint was written.
    pub head_len: u64,
    /// See [`Head::hash`].
    pub head_hash: u64,
    /// The first byte not yet delivered.
    pub offset: u64,
}

fn lossy_path<S: serde::Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

impl FileCheckpoint {
    /// The head checksum as a [`Head`].
    pub fn head(&self) -> Head {
        Head {
            len: self.head_len,
            hash: self.head_hash,
        }
    }
}

impl Default for Checkpoint {
    fn default() -> Self {
        Self {
            version: VERSION,
            files: Vec::new(),
        }
    }
}

impl Checkpoint {
    /// Loads the checkpoint at `path`; a missing file is an empty checkpoint
    /// (first start: every file is read from its start).
    pub fn load(path: &Path) -> Result<Self, CheckpointError> {
        let read_error = |error| CheckpointError::Read {
            path: path.to_owned(),
            error,
        };
        let invalid = |reason: String| CheckpointError::Invalid {
            path: path.to_owned(),
            reason,
        };
        // Never blocks: a FIFO at the checkpoint's name is refused, not
        // waited on.
        let mut file = match open_regular(path) {
            Ok(Some((file, _))) => file,
            Ok(None) => return Err(invalid("not a regular file".into())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(read_error(e)),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(read_error)?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
        match value.get("version") {
            Some(serde_json::Value::Number(n)) => match n.as_u64() {
                Some(v) if v == u64::from(VERSION) => {}
                Some(v) if v > u64::from(VERSION) => {
                    return Err(CheckpointError::Newer {
                        path: path.to_owned(),
                        version: v,
                    })
                }
                _ => return Err(invalid(format!("unknown format version {n}"))),
            },
            Some(other) => {
                return Err(invalid(format!(
                    "the version field is not a number: {other}"
                )))
            }
            None => return Err(invalid("no version field".into())),
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }

    /// [`Checkpoint::load`] for a start-up: a checkpoint that cannot be
    /// used is moved aside (to `<path>.unusable-<unix seconds>`, if it can
    /// be moved), said loudly, and the start is a first run, every file
    /// read from its start. Only [`CheckpointError::Newer`] is an error.
    pub fn load_or_set_aside(path: &Path) -> Result<Self, CheckpointError> {
        match Self::load(path) {
            Ok(checkpoint) => Ok(checkpoint),
            Err(e @ CheckpointError::Newer { .. }) => Err(e),
            Err(e) => {
                let mut aside = path.as_os_str().to_owned();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                aside.push(format!(".unusable-{now}"));
                let aside = PathBuf::from(aside);
                let moved = match fs::rename(path, &aside) {
                    Ok(()) => format!("moved aside to {}", aside.display()),
                    Err(err) => format!("could not be moved aside ({err})"),
                };
                log::error!(
                    "{e}; {moved}; starting as on a first run: every file is read from its start, \
                     so lines forwarded before are sent again"
                );
                Ok(Self::default())
            }
        }
    }

    /// The files a checkpoint at `path` is kept in: itself and the
    /// temporary file it is written to before the rename. Neither is a log.
    pub fn files(path: &Path) -> [PathBuf; 2] {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        [path.to_owned(), tmp.into()]
    }

    /// Replaces the checkpoint at `path` atomically and durably.
    pub fn store(&self, path: &Path) -> Result<(), CheckpointError> {
        let err = |error| CheckpointError::Write {
            path: path.to_owned(),
            error,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let [_, tmp] = Self::files(path);
        let bytes = serde_json::to_vec(self).expect("a checkpoint always serializes");
        let mut file = File::create(&tmp).map_err(err)?;
        file.write_all(&bytes).map_err(err)?;
        file.sync_all().map_err(err)?;
        drop(file);
        fs::rename(&tmp, path).map_err(err)?;
        // The rename itself is only durable once the directory is synced.
        File::open(dir).and_then(|d| d.sync_all()).map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_empty_and_roundtrip_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        assert_eq!(Checkpoint::load(&path).unwrap(), Checkpoint::default());
        let cp = Checkpoint {
            version: VERSION,
            files: vec![FileCheckpoint {
                path: "/var/log/a.log".into(),
                id: FileId { dev: 1, ino: 2 },
                head_len: 3,
                head_hash: 4,
                offset: 5,
            }],
        };
        cp.store(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), cp);
        assert!(!dir.path().join("cp.json.tmp").exists());
    }

    #[test]
    fn other_versions_and_garbage_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        fs::write(&path, br#"{"version":2,"files":[]}"#).unwrap();
        let e = Checkpoint::load(&path).unwrap_err();
        assert!(
            matches!(e, CheckpointError::Newer { version: 2, .. }),
            "{e}"
        );
        fs::write(&path, br#"{"version":"1","files":[]}"#).unwrap();
        let e = Checkpoint::load(&path).unwrap_err().to_string();
        assert!(
            e.contains(r#"the version field is not a number: "1""#),
            "{e}"
        );
        fs::write(&path, br#"{"version":0,"files":[]}"#).unwrap();
        let e = Checkpoint::load(&path).unwrap_err().to_string();
        assert!(e.contains("unknown format version 0"), "{e}");
        fs::write(&path, b"{not json").unwrap();
        assert!(matches!(
            Checkpoint::load(&path),
            Err(CheckpointError::Invalid { .. })
        ));
    }

    #[test]
    fn an_unusable_checkpoint_is_set_aside_and_a_newer_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        fs::write(&path, b"{not json").unwrap();
        assert_eq!(
            Checkpoint::load_or_set_aside(&path).unwrap(),
            Checkpoint::default()
        );
        assert!(!path.exists());
        let aside: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            aside.len() == 1 && aside[0].starts_with("cp.json.unusable-"),
            "{aside:?}"
        );
        fs::write(&path, br#"{"version":7,"files":[]}"#).unwrap();
        assert!(Checkpoint::load_or_set_aside(&path).is_err());
        assert!(path.exists(), "a newer checkpoint is left where it is");
    }
}
