//! The per-file offsets that survive a restart. An offset is only ever
//! written after the lines before it were delivered to every output, and the
//! file is replaced atomically (temporary file, `sync_all`, `rename`, fsync of
//! the directory), so after a crash the sidecar resumes exactly where its last
//! checkpoint says and at worst repeats what it delivered after it.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fingerprint::{FileId, Head};

/// The only format version this build reads and writes.
pub const VERSION: u32 = 1;

/// Why a checkpoint could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Reading the file failed (other than it not existing yet).
    #[error("cannot read checkpoint {path}: {source}")]
    Read {
        /// The checkpoint file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The file is not a checkpoint this build understands.
    #[error(
        "checkpoint {path} is not valid (delete it to re-read every file from its start): {reason}"
    )]
    Invalid {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Writing, syncing or renaming failed.
    #[error("cannot write checkpoint {path}: {source}")]
    Write {
        /// The checkpoint file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
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
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(CheckpointError::Read {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        let invalid = |reason: String| CheckpointError::Invalid {
            path: path.to_owned(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => return Err(invalid(format!("version {v}, this build reads {VERSION}"))),
            None => return Err(invalid("no version field".into())),
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
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
        let err = |source| CheckpointError::Write {
            path: path.to_owned(),
            source,
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
        let e = Checkpoint::load(&path).unwrap_err().to_string();
        assert!(e.contains("version 2, this build reads 1"), "{e}");
        fs::write(&path, b"{not json").unwrap();
        assert!(matches!(
            Checkpoint::load(&path),
            Err(CheckpointError::Invalid { .. })
        ));
    }
}
