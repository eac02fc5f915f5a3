//! The one place that reads the system clock, kept apart from the pure
//! formatting so that everything else can be tested with fixed instants.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::{Error, FixedZone, GoTime, Timestamp};

/// Reads wall time and a monotonic reading counted from when the clock was
/// made, as Go's `time.Now()` counts `m=` from process start: build one at
/// start-up and keep it.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    start: Instant,
}

impl SystemClock {
    /// A clock whose monotonic readings start now.
    pub fn start() -> Self {
        SystemClock {
            start: Instant::now(),
        }
    }

    /// The current instant on the wall clock.
    pub fn now_timestamp(&self) -> Result<Timestamp, Error> {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| Error::Clock(format!("{e}")))?;
        let secs = i64::try_from(since.as_secs()).map_err(|e| Error::Clock(e.to_string()))?;
        Timestamp::new(secs, since.subsec_nanos())
    }

    /// Nanoseconds since [`SystemClock::start`]; at least 1, as Go's
    /// `startNano = runtimeNano() - 1` makes its readings.
    pub fn monotonic_nanos(&self) -> i64 {
        i64::try_from(self.start.elapsed().as_nanos())
            .unwrap_or(i64::MAX)
            .saturating_add(1)
    }

    /// Go's `time.Now()` in `zone`: wall time plus the monotonic reading.
    pub fn now(&self, zone: FixedZone) -> Result<GoTime, Error> {
        let mono = self.monotonic_nanos();
        Ok(GoTime::new(self.now_timestamp()?, zone).with_monotonic(mono))
    }
}
