//! The one error type of the crate.
//!
//! Formatting itself cannot fail (Go's `String()` has an answer for every
//! instant); only conversions that Go defines on a narrower range can.

/// Why a conversion could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The nanosecond part of a timestamp was not below one second.
    #[error("nanoseconds must be below 1000000000, got {0}")]
    NanosOutOfRange(u32),
    /// `UnixNano` is only defined where the count of nanoseconds fits an
    /// `int64`: from 1677-09-21T00:12:43.145224192Z to
    /// 2262-04-11T23:47:16.854775807Z. Go silently wraps outside that range;
    /// we refuse instead of returning a wrong number.
    #[error(
        "instant {secs}s {nanos}ns since the Unix epoch is outside the range of UnixNano \
         (1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z)"
    )]
    UnixNanoOutOfRange {
        /// Whole seconds since the Unix epoch.
        secs: i64,
        /// Nanoseconds within the second.
        nanos: u32,
    },
    /// A zone offset beyond what any time zone uses (±24 h, after Go's
    /// tzdata limits); it would print as nonsense.
    #[error("zone offset {0}s is outside -86399..=86399 seconds")]
    OffsetOutOfRange(i32),
    /// Time zone data (the TZif bytes of a file such as `/etc/localtime`)
    /// that Go's `LoadLocationFromTZData` would refuse too, or whose offsets
    /// are beyond what [`FixedZone`](crate::FixedZone) accepts.
    #[error("time zone {name:?}: malformed time zone information: {reason}")]
    BadTzif {
        /// The name the zone was being loaded as.
        name: String,
        /// What is wrong with the bytes.
        reason: &'static str,
    },
    /// A zone name Go's `LoadLocation` refuses before looking anywhere:
    /// one with `..` in it or starting with `/` or `\\` (no zone has one;
    /// such a name would reach outside the zoneinfo directory).
    #[error("time: invalid location name {0:?}")]
    InvalidZoneName(String),
    /// A zone name found in none of the places Go's `LoadLocation` looks.
    #[error("unknown time zone {0}")]
    UnknownZone(String),
    /// A zone file that exists but could not be used (unreadable, too
    /// large, not TZif, a damaged zip): Go reports the first such problem
    /// when no other place has the zone.
    #[error("time zone {name}: {path}: {reason}")]
    ZoneFile {
        /// The name asked for.
        name: String,
        /// The file (or zip file) that was read.
        path: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The system clock reads before the Unix epoch or beyond what fits.
    #[error("the system clock reads an instant that cannot be represented: {0}")]
    Clock(String),
}
