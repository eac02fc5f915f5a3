//! Waking the pipeline as soon as a followed directory changes, so that new
//! lines go out within milliseconds while an idle sidecar costs no CPU.
//! inotify events are only a hint to look again (the tailer re-stats
//! everything), so a lost or overflowed event costs latency, never lines;
//! the pipeline's fallback poll covers filesystems without inotify
//! (some network and overlay filesystems) and directories created later.
//!
//! After each wake-up the thread lets the events of the next few
//! milliseconds gather in the kernel, which merges a file's repeated
//! modifications into one event: a server that logs in many small writes
//! would otherwise wake it (and the loop) once per write.
//!
//! Events about the sidecar's own checkpoint files are dropped: the
//! checkpoint lives beside the logs by default, and each store (write,
//! rename) would otherwise wake the loop and make it re-scan the patterns.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use inotify::{EventMask, Inotify, WatchMask, Watches};
use tokio::sync::Notify;

/// Directory watches and the wake-up they trigger.
#[derive(Debug)]
pub struct Watcher {
    watches: Option<Watches>,
    watched: HashSet<PathBuf>,
    wake: Arc<Notify>,
    /// Set when names changed (create, rename, delete): the directory must
    /// be scanned again even while the pipeline is busy reading.
    names_changed: Arc<AtomicBool>,
}

impl Watcher {
    /// Starts a thread that blocks on inotify and wakes [`Watcher::changed`],
    /// except for events about files named as one of `ignored` (the
    /// checkpoint's), and after each wake-up waits `spacing` before it reads
    /// events again (the first change after a quiet spell wakes at once).
    /// Without inotify (e.g. the limit of instances is reached), the watcher
    /// does nothing and the pipeline relies on its poll.
    pub fn new(ignored: &[PathBuf], spacing: Duration) -> Self {
        let ignored: HashSet<OsString> = ignored
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_owned()))
            .collect();
        let wake = Arc::new(Notify::new());
        let names_changed = Arc::new(AtomicBool::new(false));
        let watches = match Inotify::init().and_then(blocking) {
            Ok(mut inotify) => {
                let watches = inotify.watches();
                let notify = Arc::clone(&wake);
                let names = Arc::clone(&names_changed);
                let naming = EventMask::CREATE
                    | EventMask::DELETE
                    | EventMask::MOVED_FROM
                    | EventMask::MOVED_TO
                    | EventMask::Q_OVERFLOW
                    | EventMask::DELETE_SELF
                    | EventMask::MOVE_SELF;
                let spawned = std::thread::Builder::new()
                    .name("inotify".into())
                    .spawn(move || {
                        let mut buf = [0u8; 4096];
                        loop {
                            match inotify.read_events(&mut buf) {
                                Ok(events) => {
                                    let (mut any, mut renamed) = (false, false);
                                    for e in events {
                                        if e.name.is_some_and(|n| ignored.contains(n)) {
                                            continue;
                                        }
                                        any = true;
                                        renamed |= e.mask.intersects(naming);
                                    }
                                    if renamed {
                                        names.store(true, Ordering::Release);
                                    }
                                    if any {
                                        notify.notify_one();
                                        std::thread::sleep(spacing);
                                    }
                                }
                                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                                Err(e) => {
                                    log::warn!("inotify stopped ({e}); relying on polling");
                                    return;
                                }
                            }
                        }
                    });
                match spawned {
                    Ok(_) => Some(watches),
                    Err(e) => {
                        log::warn!("cannot start the inotify thread ({e}); relying on polling");
                        None
                    }
                }
            }
            Err(e) => {
                log::warn!("inotify unavailable ({e}); relying on polling");
                None
            }
        };
        Self {
            watches,
            watched: HashSet::new(),
            wake,
            names_changed,
        }
    }

    /// Watches each directory not watched yet. A directory that does not
    /// exist yet is tried again on the next call.
    pub fn watch(&mut self, dirs: &[PathBuf]) {
        let Some(watches) = &mut self.watches else {
            return;
        };
        let mask = WatchMask::MODIFY
            | WatchMask::CLOSE_WRITE
            | WatchMask::CREATE
            | WatchMask::DELETE
            | WatchMask::MOVED_FROM
            | WatchMask::MOVED_TO
            | WatchMask::ATTRIB
            | WatchMask::DELETE_SELF
            | WatchMask::MOVE_SELF;
        for dir in dirs {
            if self.watched.contains(dir) {
                continue;
            }
            match watches.add(dir, mask) {
                Ok(_) => {
                    log::debug!("watching {}", dir.display());
                    self.watched.insert(dir.clone());
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => log::warn!("cannot watch {}: {e}; polling it", dir.display()),
            }
        }
        // A watched directory that was removed loses its watch in the
        // kernel; forget it so it is watched again once it comes back.
        self.watched.retain(|d| Path::new(d).is_dir());
    }

    /// True (once) when a name changed in a watched directory since the
    /// previous call; always true without inotify, since then we cannot know.
    pub fn take_names_changed(&self) -> bool {
        self.watches.is_none() || self.names_changed.swap(false, Ordering::AcqRel)
    }

    /// Resolves at the next change after the previous call (a change that
    /// happened in between is not lost: it resolves at once).
    pub async fn changed(&self) {
        self.wake.notified().await;
    }
}

/// Makes `inotify`'s descriptor blocking, once: the thread only ever
/// blocks on it, and each wake-up then costs one read (the crate's
/// `read_events_blocking` toggles `O_NONBLOCK` around every read, four
/// fcntl calls more).
fn blocking(inotify: Inotify) -> std::io::Result<Inotify> {
    let flags = rustix::fs::fcntl_getfl(&inotify)?;
    rustix::fs::fcntl_setfl(&inotify, flags - rustix::fs::OFlags::NONBLOCK)?;
    Ok(inotify)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn checkpoint_stores_wake_nothing_and_log_changes_wake_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = dir.path().join("ck.json");
        let mut watcher = Watcher::new(
            &crate::checkpoint::Checkpoint::files(&checkpoint),
            Duration::from_millis(5),
        );
        watcher.watch(&[dir.path().to_path_buf()]);

        // A checkpoint store: write the temporary file, rename it over.
        for _ in 0..3 {
            crate::checkpoint::Checkpoint::default()
                .store(&checkpoint)
                .unwrap();
        }
        let woke = tokio::time::timeout(Duration::from_millis(300), watcher.changed()).await;
        assert!(woke.is_err(), "a checkpoint store woke the pipeline");
        assert!(
            !watcher.take_names_changed(),
            "a checkpoint store asked for a re-scan"
        );

        std::fs::write(dir.path().join("app.log"), "a line\n").unwrap();
        tokio::time::timeout(Duration::from_secs(5), watcher.changed())
            .await
            .expect("a new log file wakes the pipeline");
        assert!(
            watcher.take_names_changed(),
            "a new name asks for a re-scan"
        );
    }
}
