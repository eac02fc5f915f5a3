//! Go-exact time formatting and the time service's response types.
//!
//! The time service of the book chapter answers `/time` with Go's
//! `time.Now().String()` and `/nanotime` with `UnixNano()`. This crate
//! reproduces those bytes exactly, so a client written against the Go
//! service cannot tell the difference, and it does so without reading a
//! clock: the instant, the zone and the monotonic reading are inputs.
//!
//! ```
//! use time_core::{FixedZone, GoTime, Timestamp, TimeResponse};
//!
//! let now = GoTime::new(Timestamp::new(1_541_974_346, 500_000_000)?, FixedZone::UTC)
//!     .with_monotonic(42_000_000_001);
//! let body = TimeResponse::time(now.to_string()).to_go_json();
//! assert_eq!(body, b"{\"time\":\"2018-11-11 22:12:26.5 +0000 UTC m=+42.000000001\"}\n");
//!
//! let body = TimeResponse::nano_time(now.instant().unix_nano()?).to_go_json();
//! assert_eq!(body, b"{\"nanoTime\":\"1541974346500000000\"}\n");
//! # Ok::<(), time_core::Error>(())
//! ```
//!
//! A server answers in its process's zone as a Go binary would: Go's
//! choice of `time.Local` is a plan of files to read ([`tz::local_zone_candidates`]),
//! the caller reads them, and [`TimeZone::zone_at`] gives the zone of each
//! instant:
//!
//! ```no_run
//! use time_core::tz::local_zone_candidates;
//! use time_core::{GoTime, SystemClock};
//!
//! let tz_env = std::env::var("TZ").ok();
//! let local = local_zone_candidates(tz_env.as_deref()).resolve(|path| std::fs::read(path).ok());
//! let clock = SystemClock::start();
//! let instant = clock.now_timestamp()?;
//! let now = GoTime::new(instant, local.zone_at(instant)).with_monotonic(clock.monotonic_nanos());
//! println!("{now}"); // 2026-11-26 21:42:00.123456789 +0300 MSK m=+0.000012345
//! # Ok::<(), time_core::Error>(())
//! ```
//!
//! # Fidelity
//! Byte equality with Go 1.19 is tested against the real Go
//! (`tests/go_differential.rs`, `tests/tz_differential.rs`). Where the two
//! differ, it is on purpose: `UnixNano` outside 1677..2262 is an
//! [`Error`] (Go returns a wrapped number); instants more than about 292
//! billion years from now print their true date (Go's arithmetic wraps);
//! zone offsets of a day or more are refused (Go accepts them, no zone uses
//! them); zone names are UTF-8 (Go prints bytes of damaged files verbatim);
//! and a damaged zone file with unsorted transitions gets the answer of
//! Go's lookup, not of its load-time cache.
//!
//! # Layout
//! - [`timestamp`]: the instant (seconds and nanoseconds since the epoch), `UnixNano`.
//! - [`zone`]: the offset and abbreviation an instant is shown in.
//! - [`tz`]: time zones with rules (TZif files, POSIX `TZ` footers), Go's
//!   choice of the local zone and Go's `LoadLocation`, as pure functions
//!   over bytes; with the `tzdata` feature, the IANA database inside.
//! - [`format`](mod@format): Go's `String()` and `RFC3339Nano`.
//! - [`layout`]: Go's `Format(layout)` for any layout, and Go's named layouts.
//! - [`response`]: the JSON body, encoded as Go's `json.Encoder` writes it.
//! - [`rfc3339`]: RFC 3339 timestamps read back, at the start of a text.
//! - [`clock`]: the only code that reads the system clock.
//! - [`error`]: what can go wrong.
#![deny(missing_docs)]

mod civil;
pub mod clock;
pub mod error;
pub mod format;
pub mod layout;
pub mod response;
pub mod rfc3339;
mod text_buf;
pub mod timestamp;
pub mod tz;
pub mod zone;

pub use clock::SystemClock;
pub use error::Error;
pub use format::GoTime;
pub use response::{write_go_json, write_nano_time_json, write_time_json, TimeResponse};
pub use timestamp::Timestamp;
pub use tz::TimeZone;
pub use zone::FixedZone;
