//! The zone `/time` answers in: the process's own, chosen as a Go binary in
//! the same container chooses `time.Local` (the `TZ` variable, else
//! `/etc/localtime`, else UTC), so the Rust service and the chapter's Go
//! service print the same thing side by side. Read once at start-up, as Go
//! does; the per-instant offset (daylight saving) comes from the zone's
//! rules on every request.

use time_core::tz::{local_zone_candidates, TimeZone};

/// The process's zone: `TZ` (unset, empty, a name under the zoneinfo
/// directories or an absolute path, as Go reads it), falling back to UTC.
pub fn process_zone() -> TimeZone {
    // A TZ that is not UTF-8 names no file Go would find either.
    let tz = std::env::var_os("TZ").map(|v| v.to_str().map(str::to_owned).unwrap_or_default());
    local_zone_candidates(tz.as_deref()).resolve(|path| std::fs::read(path).ok())
}
