//! Go's `time.LoadLocation(name)`: which names it refuses, and where it
//! looks for the others, in its order.
//!
//! Go 1.19 (`src/time/zoneinfo.go`, `zoneinfo_read.go`): `""` and `"UTC"`
//! are UTC and `"Local"` is `time.Local`, without reading anything; a name
//! containing `..` or starting with `/` or `\` is refused ("No valid IANA
//! Time Zone name contains a single dot, much less dot dot. Likewise, none
//! begin with a slash."). Otherwise the first of these that holds the name
//! as TZif data Go can read wins:
//!
//! 1. `$ZONEINFO`, read once per process: a directory, or an uncompressed
//!    `.zip` of one;
//! 2. the system directories ([`PLATFORM_ZONE_SOURCES`]);
//! 3. the embedded database, when the `tzdata` feature is on (Go's
//!    `import _ "time/tzdata"`), by the exact name.
//!
//! A missing file sends Go to the next place; a file that is there but
//! unusable (unreadable, over 10 MB, not TZif, a damaged zip) does too,
//! and is what Go reports when no place has the zone. Go's last resort,
//! `$GOROOT/lib/time/zoneinfo.zip`, belongs to a Go installation and is
//! left out.
//!
//! The crate does no I/O: [`ZoneSources::load`] takes the function that
//! reads a file.

use std::io;
use std::path::{Path, PathBuf};

use super::local::{MAX_ZONE_FILE_BYTES, PLATFORM_ZONE_SOURCES};
use super::{embedded, zip, TimeZone};
use crate::Error;

/// Where Go's `LoadLocation` looks, set up once per process as Go sets it
/// up: `$ZONEINFO` as it was at start, and what `"Local"` means.
///
/// ```
/// use std::path::Path;
/// use time_core::tz::{TimeZone, ZoneSources};
/// use time_core::Error;
///
/// let sources = ZoneSources::new(None, TimeZone::utc());
/// let read = |path: &Path| std::fs::read(path);
/// assert_eq!(sources.load("UTC", read)?.name(), "UTC");
/// assert!(matches!(sources.load("../etc/passwd", read), Err(Error::InvalidZoneName(_))));
/// assert!(matches!(sources.load("Nowhere/Atlantis", read), Err(Error::UnknownZone(_))));
/// # Ok::<(), time_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ZoneSources {
    zoneinfo: Option<String>,
    local: TimeZone,
}

impl ZoneSources {
    /// `zoneinfo` is the value of `$ZONEINFO` (unset and empty are the
    /// same to Go); `local` is the process's local zone, which `"Local"`
    /// names.
    pub fn new(zoneinfo: Option<&str>, local: TimeZone) -> ZoneSources {
        ZoneSources {
            zoneinfo: zoneinfo.filter(|z| !z.is_empty()).map(str::to_string),
            local,
        }
    }

    /// Go's `time.LoadLocation(name)`, reading files with `read` (for
    /// example `|p| std::fs::read(p)`). The zone is named `name`, as Go
    /// names it.
    pub fn load(
        &self,
        name: &str,
        mut read: impl FnMut(&Path) -> io::Result<Vec<u8>>,
    ) -> Result<TimeZone, Error> {
        match name {
            "" | "UTC" => return Ok(TimeZone::utc()),
            "Local" => return Ok(self.local.clone()),
            _ => {}
        }
        if name.contains("..") || name.starts_with(['/', '\\']) {
            return Err(Error::InvalidZoneName(name.to_string()));
        }
        // Go keeps the first problem other than a missing file.
        let mut first_problem = None;
        let mut note = |problem: Error| {
            first_problem.get_or_insert(problem);
        };
        if let Some(zoneinfo) = &self.zoneinfo {
            match from_dir_or_zip(zoneinfo, name, &mut read) {
                Ok(Some(zone)) => return Ok(zone),
                Ok(None) => {}
                Err(problem) => note(problem),
            }
        }
        for dir in PLATFORM_ZONE_SOURCES {
            match from_dir_or_zip(dir, name, &mut read) {
                Ok(Some(zone)) => return Ok(zone),
                Ok(None) => {}
                Err(problem) => note(problem),
            }
        }
        if let Some(bytes) = embedded::tzif(name) {
            match TimeZone::from_tzif(name, bytes) {
                Ok(zone) => return Ok(zone),
                Err(problem) => note(problem),
            }
        }
        Err(first_problem.unwrap_or_else(|| Error::UnknownZone(name.to_string())))
    }
}

/// Go's `loadTzinfoFromDirOrZip` then `LoadLocationFromTZData`: `Ok(None)`
/// when the file or zip entry does not exist.
fn from_dir_or_zip(
    source: &str,
    name: &str,
    read: &mut impl FnMut(&Path) -> io::Result<Vec<u8>>,
) -> Result<Option<TimeZone>, Error> {
    let problem = |path: &Path, reason: String| Error::ZoneFile {
        name: name.to_string(),
        path: path.display().to_string(),
        reason,
    };
    // Go: `len(dir) > 4 && dir[len(dir)-4:] == ".zip"`.
    if source.len() > 4 && source.ends_with(".zip") {
        let path = Path::new(source);
        let bytes = match read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(problem(path, e.to_string())),
        };
        return match zip::find_stored(&bytes, name) {
            Ok(Some(data)) => TimeZone::from_tzif(name, data).map(Some),
            Ok(None) => Ok(None),
            Err(reason) => Err(problem(path, reason.to_string())),
        };
    }
    // Go joins with "/" whatever the directory ends with.
    let path = PathBuf::from(format!("{source}/{name}"));
    match read(&path) {
        Ok(bytes) if bytes.len() > MAX_ZONE_FILE_BYTES => {
            Err(problem(&path, "is too large".to_string()))
        }
        Ok(bytes) => TimeZone::from_tzif(name, &bytes).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(problem(&path, e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tz::tests::tzif;
    use crate::tz::zip::tests::SAMPLE;
    use crate::Timestamp;
    use std::collections::HashMap;

    /// A file system of the given files; anything else is missing.
    fn files(map: &HashMap<PathBuf, Vec<u8>>) -> impl FnMut(&Path) -> io::Result<Vec<u8>> + '_ {
        |p| {
            map.get(p)
                .cloned()
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
        }
    }

    fn abbreviation(zone: &TimeZone) -> String {
        zone.zone_at(Timestamp::UNIX_EPOCH).name().to_string()
    }

    #[test]
    fn names_go_answers_without_looking() {
        let local = TimeZone::fixed(crate::FixedZone::new("LCL", 60).unwrap()).renamed("Local");
        let sources = ZoneSources::new(Some("/nonexistent"), local.clone());
        let mut asked = Vec::new();
        let mut read = |p: &Path| {
            asked.push(p.to_path_buf());
            Err(io::Error::from(io::ErrorKind::NotFound))
        };
        assert_eq!(sources.load("", &mut read).unwrap(), TimeZone::utc());
        assert_eq!(sources.load("UTC", &mut read).unwrap(), TimeZone::utc());
        assert_eq!(sources.load("Local", &mut read).unwrap(), local);
        for bad in [
            "../x",
            "Asia/../Tokyo",
            "a..b",
            "..",
            "/etc/localtime",
            "\\x",
        ] {
            assert_eq!(
                sources.load(bad, &mut read),
                Err(Error::InvalidZoneName(bad.to_string()))
            );
        }
        assert!(asked.is_empty(), "{asked:?}");
    }

    #[test]
    fn zoneinfo_then_system_directories_first_usable_wins() {
        let a = tzif(b'2', &[], &[(3_600, false, "AAA")], "AAA-1");
        let b = tzif(b'2', &[], &[(7_200, false, "BBB")], "BBB-2");
        let mut map = HashMap::new();
        map.insert(PathBuf::from("/zi/X/Y"), a.clone());
        map.insert(PathBuf::from("/usr/share/zoneinfo//X/Y"), b.clone());
        map.insert(PathBuf::from("/usr/share/zoneinfo//Only/System"), b.clone());
        map.insert(PathBuf::from("/zi/Bad"), b"not tzif".to_vec());
        map.insert(PathBuf::from("/usr/share/lib/zoneinfo//Bad"), a.clone());
        let with = ZoneSources::new(Some("/zi"), TimeZone::utc());
        let zone = with.load("X/Y", files(&map)).unwrap();
        assert_eq!((zone.name(), abbreviation(&zone).as_str()), ("X/Y", "AAA"));
        assert_eq!(
            abbreviation(&with.load("Only/System", files(&map)).unwrap()),
            "BBB"
        );
        // A damaged file is skipped for the next place that has the name.
        assert_eq!(abbreviation(&with.load("Bad", files(&map)).unwrap()), "AAA");
        let without = ZoneSources::new(Some(""), TimeZone::utc());
        assert_eq!(
            abbreviation(&without.load("X/Y", files(&map)).unwrap()),
            "BBB"
        );
    }

    #[test]
    fn the_first_problem_is_reported_when_nothing_loads() {
        let mut map = HashMap::new();
        map.insert(PathBuf::from("/zi/Bad"), b"not tzif".to_vec());
        map.insert(
            PathBuf::from("/usr/share/zoneinfo//Big"),
            vec![b'T'; MAX_ZONE_FILE_BYTES + 1],
        );
        let sources = ZoneSources::new(Some("/zi"), TimeZone::utc());
        assert!(matches!(
            sources.load("Bad", files(&map)),
            Err(Error::BadTzif { .. })
        ));
        match sources.load("Big", files(&map)) {
            Err(Error::ZoneFile { path, reason, .. }) => {
                assert_eq!(path, "/usr/share/zoneinfo//Big");
                assert_eq!(reason, "is too large");
            }
            other => panic!("{other:?}"),
        }
        let denied = |_: &Path| Err(io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(matches!(
            sources.load("Nowhere/Atlantis", denied),
            Err(Error::ZoneFile { .. })
        ));
        if !cfg!(feature = "tzdata") {
            assert_eq!(
                sources.load("Europe/Moscow", files(&map)),
                Err(Error::UnknownZone("Europe/Moscow".to_string()))
            );
        }
    }

    #[test]
    fn zoneinfo_may_be_an_uncompressed_zip() {
        let mut map = HashMap::new();
        map.insert(PathBuf::from("/z/zoneinfo.zip"), SAMPLE.to_vec());
        let zip = ZoneSources::new(Some("/z/zoneinfo.zip"), TimeZone::utc());
        let zone = zip.load("Asia/Kolkata", files(&map)).unwrap();
        assert_eq!(
            (zone.name(), abbreviation(&zone).as_str()),
            ("Asia/Kolkata", "IST")
        );
        assert_eq!(
            zip.load("Not/There", files(&map)),
            Err(Error::UnknownZone("Not/There".to_string()))
        );
        assert!(matches!(
            zip.load("Deflated/Kolkata", files(&map)),
            Err(Error::ZoneFile { reason, .. }) if reason == "unsupported compression"
        ));
        assert!(matches!(
            zip.load("Not/TZif", files(&map)),
            Err(Error::BadTzif { .. })
        ));
        // ".zip" alone is a directory to Go (its length is not over 4).
        let a = tzif(b'2', &[], &[(3_600, false, "AAA")], "AAA-1");
        map.insert(PathBuf::from(".zip/X/Y"), a);
        let dir = ZoneSources::new(Some(".zip"), TimeZone::utc());
        assert_eq!(abbreviation(&dir.load("X/Y", files(&map)).unwrap()), "AAA");
    }
}
