//! A problem with the sink that only a person can fix (it refuses our
//! credentials, the URL is wrong, it redirects) is said at once, then again
//! once a minute while it lasts, and its end is said too: loud enough to be
//! seen in `kubectl logs`, never one line per retry.

use std::time::Duration;

use tokio::time::Instant;

/// How often a persisting problem is said again.
pub(crate) const REPEAT_EVERY: Duration = Duration::from_secs(60);

/// How loud: a redirect is a warning (the sink is there, somewhere else),
/// anything else is an error (nothing gets through).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    Warn,
    Error,
}

#[derive(Debug)]
struct Ongoing {
    since: Instant,
    last_said: Instant,
    attempts: u64,
}

/// The problem in progress, if any.
#[derive(Debug, Default)]
pub(crate) struct Complaint {
    ongoing: Option<Ongoing>,
}

impl Complaint {
    /// Another attempt failed for `reason`: says it when it is new or a
    /// minute has passed since it was last said.
    pub(crate) fn failed(&mut self, url: &str, severity: Severity, reason: &str) {
        let now = Instant::now();
        let level = match severity {
            Severity::Warn => log::Level::Warn,
            Severity::Error => log::Level::Error,
        };
        match &mut self.ongoing {
            None => {
                log::log!(
                    level,
                    "HTTP sink {url}: {reason}; lines are held (not dead-lettered) and retried with backoff until this is fixed"
                );
                self.ongoing = Some(Ongoing {
                    since: now,
                    last_said: now,
                    attempts: 1,
                });
            }
            Some(ongoing) => {
                ongoing.attempts += 1;
                if now.duration_since(ongoing.last_said) >= REPEAT_EVERY {
                    log::log!(
                        level,
                        "HTTP sink {url}: still {reason} ({} attempts in {}s); lines are held",
                        ongoing.attempts,
                        now.duration_since(ongoing.since).as_secs()
                    );
                    ongoing.last_said = now;
                }
            }
        }
    }

    /// The sink answered in a way that is not this problem: says it ended.
    pub(crate) fn cleared(&mut self, url: &str) {
        if let Some(ongoing) = self.ongoing.take() {
            log::info!(
                "HTTP sink {url}: accepted again after {} refused attempts over {}s",
                ongoing.attempts,
                ongoing.since.elapsed().as_secs()
            );
        }
    }
}
