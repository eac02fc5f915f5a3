//! Which zone Go makes `time.Local` at start-up, as a plan the caller
//! carries out: the files to try in order and what to use when none loads.
//!
//! Go 1.19's `initLocal` (`src/time/zoneinfo_unix.go`), quoted: "no $TZ
//! means use the system default /etc/localtime. $TZ="" means use UTC.
//! $TZ="foo" or $TZ=":foo" if foo is an absolute path, then the file pointed
//! by foo will be used to initialize timezone; otherwise, file
//! /usr/share/zoneinfo/foo will be used." Relative names are looked up in
//! `platformZoneSources` (`/usr/share/zoneinfo/`, `/usr/share/lib/zoneinfo/`,
//! `/usr/lib/locale/TZ/`); `TZ=UTC` is UTC without reading anything; and
//! "Fall back to UTC": when nothing loads, the zone is UTC named "UTC".
//! Before that, Go's `loadLocation` tries its embedded `time/tzdata` for a
//! relative name, and so does the plan when the `tzdata` feature is on;
//! Go's `$GOROOT/lib/time/zoneinfo.zip` belongs to a Go installation and
//! is left out.
//!
//! Keeping this a plan, not a loader, leaves the crate free of I/O: the
//! server reads the files ([`LocalZonePlan::resolve`] takes the reader).

use std::path::{Path, PathBuf};

use super::TimeZone;

/// Go's `platformZoneSources` on Linux and other Unix systems.
pub const PLATFORM_ZONE_SOURCES: [&str; 3] = [
    "/usr/share/zoneinfo/",
    "/usr/share/lib/zoneinfo/",
    "/usr/lib/locale/TZ/",
];

/// Go's `maxFileSize` for zone files: larger files are refused ("is too
/// large") and the next candidate is tried.
pub const MAX_ZONE_FILE_BYTES: usize = 10 << 20;

/// One file to try and the location name the zone gets if it loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneCandidate {
    /// The file to read.
    pub path: PathBuf,
    /// Go's name for the resulting location: "Local" for
    /// `/etc/localtime`, otherwise the value of `TZ` (colon stripped).
    pub location_name: String,
}

/// Go's choice of local zone, as steps: try [`candidates`] in order, the
/// first file that reads and parses wins; if none does, use [`fallback`].
///
/// [`candidates`]: LocalZonePlan::candidates
/// [`fallback`]: LocalZonePlan::fallback
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalZonePlan {
    /// Files to try, in Go's order; empty when `TZ` says UTC.
    pub candidates: Vec<ZoneCandidate>,
    /// The name to look up in the embedded database (the `tzdata`
    /// feature) when no file loads: `TZ`'s relative name, as Go's
    /// `loadLocation` falls back to its `time/tzdata` for it.
    pub embedded_name: Option<String>,
    /// UTC named "UTC", what Go falls back to.
    pub fallback: TimeZone,
}

/// The plan for a process whose `TZ` variable is `tz_env` (`None` when
/// unset, which is different from empty).
///
/// ```
/// use std::path::Path;
/// use time_core::tz::local_zone_candidates;
///
/// let plan = local_zone_candidates(None);
/// assert_eq!(plan.candidates[0].path, Path::new("/etc/localtime"));
/// assert_eq!(plan.candidates[0].location_name, "Local");
///
/// let plan = local_zone_candidates(Some(":Europe/Moscow"));
/// assert_eq!(plan.candidates[0].path, Path::new("/usr/share/zoneinfo/Europe/Moscow"));
/// assert_eq!(plan.candidates.len(), 3);
///
/// assert!(local_zone_candidates(Some("")).candidates.is_empty());
/// assert!(local_zone_candidates(Some("UTC")).candidates.is_empty());
/// ```
pub fn local_zone_candidates(tz_env: Option<&str>) -> LocalZonePlan {
    let mut embedded_name = None;
    let candidates = match tz_env {
        None => vec![ZoneCandidate {
            path: PathBuf::from("/etc/localtime"),
            location_name: "Local".to_string(),
        }],
        Some(tz) => {
            let tz = tz.strip_prefix(':').unwrap_or(tz);
            if tz.starts_with('/') {
                vec![ZoneCandidate {
                    path: PathBuf::from(tz),
                    location_name: if tz == "/etc/localtime" {
                        "Local".to_string()
                    } else {
                        tz.to_string()
                    },
                }]
            } else if tz.is_empty() || tz == "UTC" {
                Vec::new()
            } else {
                embedded_name = Some(tz.to_string());
                PLATFORM_ZONE_SOURCES
                    .iter()
                    .map(|dir| ZoneCandidate {
                        path: Path::new(dir).join(tz),
                        location_name: tz.to_string(),
                    })
                    .collect()
            }
        }
    };
    LocalZonePlan {
        candidates,
        embedded_name,
        fallback: TimeZone::utc(),
    }
}

impl LocalZonePlan {
    /// Carries the plan out with `read` (for example
    /// `|p| std::fs::read(p).ok()`): the first candidate whose bytes
    /// are at most [`MAX_ZONE_FILE_BYTES`] and parse as TZif, named as Go
    /// names it; then the embedded database (the `tzdata` feature);
    /// otherwise the fallback. Unreadable and malformed files are skipped
    /// silently, as Go skips them.
    ///
    /// ```
    /// use time_core::tz::local_zone_candidates;
    /// let zone = local_zone_candidates(Some("Nowhere/Atlantis")).resolve(|_| None);
    /// assert_eq!(zone.name(), "UTC");
    /// // With no zoneinfo files at all, the embedded database has Moscow.
    /// let zone = local_zone_candidates(Some("Europe/Moscow")).resolve(|_| None);
    /// let expected = if cfg!(feature = "tzdata") { "Europe/Moscow" } else { "UTC" };
    /// assert_eq!(zone.name(), expected);
    /// ```
    pub fn resolve(&self, mut read: impl FnMut(&Path) -> Option<Vec<u8>>) -> TimeZone {
        for c in &self.candidates {
            let Some(bytes) = read(&c.path) else {
                continue;
            };
            if bytes.len() > MAX_ZONE_FILE_BYTES {
                continue;
            }
            if let Ok(zone) = TimeZone::from_tzif(&c.location_name, &bytes) {
                return zone;
            }
        }
        let embedded = self.embedded_name.as_deref().and_then(|name| {
            let bytes = super::embedded::tzif(name)?;
            TimeZone::from_tzif(name, bytes).ok()
        });
        embedded.unwrap_or_else(|| self.fallback.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tz::tests::tzif;
    use crate::Timestamp;

    #[test]
    fn absolute_paths_keep_their_name_except_etc_localtime() {
        let plan = local_zone_candidates(Some("/opt/zones/Moscow"));
        assert_eq!(
            plan.candidates,
            vec![ZoneCandidate {
                path: PathBuf::from("/opt/zones/Moscow"),
                location_name: "/opt/zones/Moscow".into()
            }]
        );
        let plan = local_zone_candidates(Some(":/etc/localtime"));
        assert_eq!(plan.candidates[0].location_name, "Local");
    }

    #[test]
    fn relative_names_search_the_platform_directories_in_order() {
        let plan = local_zone_candidates(Some("Asia/Kolkata"));
        let paths: Vec<_> = plan.candidates.iter().map(|c| c.path.clone()).collect();
        assert_eq!(
            paths,
            [
                "/usr/share/zoneinfo/Asia/Kolkata",
                "/usr/share/lib/zoneinfo/Asia/Kolkata",
                "/usr/lib/locale/TZ/Asia/Kolkata"
            ]
            .map(PathBuf::from)
        );
        assert!(plan
            .candidates
            .iter()
            .all(|c| c.location_name == "Asia/Kolkata"));
        // ":" alone and "UTC" read nothing.
        assert!(local_zone_candidates(Some(":")).candidates.is_empty());
        assert_eq!(local_zone_candidates(Some(":UTC")).fallback.name(), "UTC");
    }

    #[test]
    fn resolve_skips_missing_malformed_and_huge_files() {
        let good = tzif(b'2', &[], &[(19_800, false, "IST")], "IST-5:30");
        let plan = local_zone_candidates(Some("Asia/Kolkata"));
        let mut asked = Vec::new();
        let zone = plan.resolve(|p| {
            asked.push(p.to_path_buf());
            match asked.len() {
                1 => Some(b"not tzif".to_vec()),
                2 => Some(good.clone()),
                _ => None,
            }
        });
        assert_eq!(asked.len(), 2);
        assert_eq!(zone.name(), "Asia/Kolkata");
        assert_eq!(zone.zone_at(Timestamp::UNIX_EPOCH).name(), "IST");

        let mut huge = good.clone();
        huge.resize(MAX_ZONE_FILE_BYTES + 1, b'\n');
        let zone = local_zone_candidates(None).resolve(|_| Some(huge.clone()));
        assert_eq!(zone, TimeZone::utc());

        let zone = local_zone_candidates(None).resolve(|_| Some(good.clone()));
        assert_eq!(zone.name(), "Local");
    }
}
