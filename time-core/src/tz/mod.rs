//! Time zones with rules, so the server can answer in its process's zone
//! exactly as a Go binary in the same container would.
//!
//! A Go service prints `time.Now().String()` in `time.Local`, which Go
//! builds at start-up from the `TZ` variable and the zoneinfo files
//! ([`local`]). This module is pure: it turns the bytes of such a file into
//! a [`TimeZone`] ([`from_tzif`](TimeZone::from_tzif)) and answers which
//! offset and abbreviation apply at an instant
//! ([`zone_at`](TimeZone::zone_at)), with Go 1.19's lookup
//! (`src/time/zoneinfo.go`): binary search of the transitions, the first
//! zone rule for instants before them, and the file's POSIX `TZ` footer
//! after the last one. Reading the files is the caller's job.
//!
//! [`ZoneSources::load`] is Go's `time.LoadLocation(name)`: the names Go
//! refuses and the places it looks, in its order, ending with the
//! [`embedded`] database when the `tzdata` feature is on.
//!
//! ```
//! use time_core::tz::TimeZone;
//! use time_core::{FixedZone, GoTime, Timestamp};
//!
//! // A minimal TZif v2 file: no transitions, one zone, footer "MSK-3".
//! let mut tzif = Vec::new();
//! for _ in 0..2 {
//!     tzif.extend_from_slice(b"TZif2");
//!     tzif.extend_from_slice(&[0; 15]);
//!     for count in [0u32, 0, 0, 0, 1, 4] {
//!         tzif.extend_from_slice(&count.to_be_bytes());
//!     }
//!     tzif.extend_from_slice(&10_800i32.to_be_bytes());
//!     tzif.extend_from_slice(&[0, 0]);
//!     tzif.extend_from_slice(b"MSK\0");
//! }
//! tzif.extend_from_slice(b"\nMSK-3\n");
//!
//! let moscow = TimeZone::from_tzif("Europe/Moscow", &tzif)?;
//! let t = Timestamp::new(1_541_974_346, 0)?;
//! assert_eq!(moscow.zone_at(t), FixedZone::new("MSK", 10_800)?);
//! assert_eq!(
//!     GoTime::new(t, moscow.zone_at(t)).to_string(),
//!     "2018-11-12 01:12:26 +0300 MSK"
//! );
//! # Ok::<(), time_core::Error>(())
//! ```

pub mod embedded;
mod load;
pub mod local;
mod posix;
mod tzif;
mod zip;

use std::sync::Arc;

use crate::{Error, FixedZone, Timestamp};

pub use load::ZoneSources;
pub use local::{local_zone_candidates, LocalZonePlan, ZoneCandidate};

/// A time zone: a fixed zone, or a table of transitions with a rule for
/// what comes after them, as Go's `*time.Location`.
///
/// Cloning is cheap (the table is shared), so one zone loaded at start-up
/// can be handed to every connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone {
    /// Go's `Location.String()`: "UTC", "Local", "Europe/Moscow".
    name: Arc<str>,
    kind: Arc<Kind>,
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Fixed(FixedZone),
    Table(Table),
}

/// The parts of a TZif file Go's lookup uses.
#[derive(Debug, PartialEq, Eq)]
struct Table {
    zones: Vec<ZoneType>,
    /// Never empty: a file without transitions gets one at `i64::MIN`.
    tx: Vec<Transition>,
    /// Go's `lookupFirstZone()`, computed once.
    first_zone: usize,
    /// The footer, when Go's `tzset` can parse it.
    extend: Option<posix::PosixTz>,
}

#[derive(Debug, PartialEq, Eq)]
struct ZoneType {
    zone: FixedZone,
    is_dst: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Transition {
    when: i64,
    index: u8,
}

impl TimeZone {
    /// UTC, named "UTC": Go's `time.UTC`, and what Go's `time.Local`
    /// becomes when no zone file can be loaded.
    pub fn utc() -> TimeZone {
        TimeZone::fixed(FixedZone::UTC)
    }

    /// One offset and abbreviation for every instant, as
    /// `time.FixedZone(name, offset)`; the zone's name is the location name.
    pub fn fixed(zone: FixedZone) -> TimeZone {
        TimeZone {
            name: Arc::from(zone.name()),
            kind: Arc::new(Kind::Fixed(zone)),
        }
    }

    /// Go's `time.LoadLocationFromTZData(name, bytes)`: reads a TZif file
    /// (versions 1 to 3; the 64-bit data of v2+ and its POSIX `TZ` footer).
    ///
    /// Fails, as Go does, on data that is not TZif, is cut short, has no
    /// local time types or refers to types or abbreviations that do not
    /// exist; and, unlike Go, on UTC offsets of a day or more, which no
    /// zone uses and [`FixedZone`] refuses. A footer Go cannot parse is
    /// ignored, as Go ignores it: the last transition's zone then lasts
    /// forever.
    pub fn from_tzif(name: &str, bytes: &[u8]) -> Result<TimeZone, Error> {
        let table = tzif::parse(name, bytes)?;
        Ok(TimeZone {
            name: Arc::from(name),
            kind: Arc::new(Kind::Table(table)),
        })
    }

    /// The location name, as Go's `Location.String()`. It is never
    /// printed by `String()`, which prints the abbreviation of
    /// [`zone_at`](TimeZone::zone_at).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same zone under another location name, as Go renames its local
    /// zone "Local".
    pub fn renamed(&self, name: &str) -> TimeZone {
        TimeZone {
            name: Arc::from(name),
            kind: Arc::clone(&self.kind),
        }
    }

    /// The offset and abbreviation in effect at `t`: Go's
    /// `Location.lookup(t.Unix())`.
    ///
    /// Cheap enough for every request: a binary search over the
    /// transitions (a few hundred at most) or, past the last one, a few
    /// dozen integer operations on the footer rule. Names are copied
    /// inline, so no allocation happens.
    pub fn zone_at(&self, t: Timestamp) -> FixedZone {
        self.zone_at_unix(t.unix()).clone()
    }

    fn zone_at_unix(&self, sec: i64) -> &FixedZone {
        let table = match &*self.kind {
            Kind::Fixed(z) => return z,
            Kind::Table(t) => t,
        };
        let tx = &table.tx;
        if sec < tx[0].when {
            return &table.zones[table.first_zone].zone;
        }
        // "Binary search for entry with largest time <= sec." Go's loop,
        // kept as is so that damaged, unsorted data gets the answer of Go's
        // lookup too (Go may answer those from the cache it fills at load
        // time for "now"; a pure function cannot follow that).
        let (mut lo, mut hi) = (0, tx.len());
        while hi - lo > 1 {
            let m = lo + (hi - lo) / 2;
            if sec < tx[m].when {
                hi = m;
            } else {
                lo = m;
            }
        }
        // "If we're at the end of the known zone transitions, try the
        // extend string."
        if lo == tx.len() - 1 {
            if let Some(rule) = &table.extend {
                return rule.zone_at(sec);
            }
        }
        &table.zones[tx[lo].index as usize].zone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a TZif v1 file (4-byte times) or v2 file (both blocks).
    pub(crate) fn tzif(
        version: u8,
        tx: &[(i64, u8)],
        zones: &[(i32, bool, &str)],
        footer: &str,
    ) -> Vec<u8> {
        let mut abbrev = Vec::new();
        let mut idx = Vec::new();
        for (_, _, name) in zones {
            idx.push(abbrev.len() as u8);
            abbrev.extend_from_slice(name.as_bytes());
            abbrev.push(0);
        }
        let block = |out: &mut Vec<u8>, size: usize| {
            out.extend_from_slice(b"TZif");
            out.push(version);
            out.extend_from_slice(&[0; 15]);
            for c in [0, 0, 0, tx.len(), zones.len(), abbrev.len()] {
                out.extend_from_slice(&(c as u32).to_be_bytes());
            }
            for (when, _) in tx {
                if size == 4 {
                    out.extend_from_slice(&(*when as i32).to_be_bytes());
                } else {
                    out.extend_from_slice(&when.to_be_bytes());
                }
            }
            for (_, i) in tx {
                out.push(*i);
            }
            for (k, (off, dst, _)) in zones.iter().enumerate() {
                out.extend_from_slice(&off.to_be_bytes());
                out.push(u8::from(*dst));
                out.push(idx[k]);
            }
            out.extend_from_slice(&abbrev);
        };
        let mut out = Vec::new();
        block(&mut out, 4);
        if version != 0 {
            block(&mut out, 8);
            out.push(b'\n');
            out.extend_from_slice(footer.as_bytes());
            out.push(b'\n');
        }
        out
    }

    fn at(z: &TimeZone, sec: i64) -> (String, i32) {
        let f = z.zone_at(Timestamp::new(sec, 0).unwrap());
        (f.name().to_string(), f.offset_seconds())
    }

    #[test]
    fn transitions_then_footer() {
        let data = tzif(
            b'2',
            &[(-1_000, 1), (1_000, 2)],
            &[
                (7_200, false, "LMT"),
                (3_600, false, "A"),
                (7_200, true, "B"),
            ],
            "CCC-3",
        );
        let z = TimeZone::from_tzif("X", &data).unwrap();
        assert_eq!(at(&z, -1_001), ("LMT".into(), 7_200));
        assert_eq!(at(&z, -1_000), ("A".into(), 3_600));
        assert_eq!(at(&z, 999), ("A".into(), 3_600));
        // After the last transition the footer decides, not zone B.
        assert_eq!(at(&z, 1_000), ("CCC".into(), 10_800));
        assert_eq!(z.name(), "X");
        assert_eq!(z.renamed("Local").name(), "Local");
        assert_eq!(at(&z.renamed("Local"), 1_000), ("CCC".into(), 10_800));
    }

    #[test]
    fn unparsable_footer_keeps_the_last_zone() {
        let data = tzif(b'3', &[(0, 0)], &[(3_600, false, "A")], "??");
        let z = TimeZone::from_tzif("X", &data).unwrap();
        assert_eq!(at(&z, 1 << 40), ("A".into(), 3_600));
    }

    #[test]
    fn first_zone_rules() {
        // Zone 0 used by a transition, first transition to DST: the closest
        // earlier standard zone wins.
        let data = tzif(
            b'2',
            &[(0, 2), (10, 0)],
            &[(100, false, "S0"), (200, false, "S1"), (300, true, "D")],
            "",
        );
        let z = TimeZone::from_tzif("X", &data).unwrap();
        assert_eq!(at(&z, -5).0, "S1");
        // Zone 0 unused: it wins.
        let data = tzif(b'2', &[(0, 1)], &[(100, false, "U"), (200, false, "S")], "");
        assert_eq!(at(&TimeZone::from_tzif("X", &data).unwrap(), -5).0, "U");
    }

    #[test]
    fn version_one_reads_32_bit_times() {
        let data = tzif(0, &[(-5, 1)], &[(60, false, "A"), (120, false, "B")], "");
        let z = TimeZone::from_tzif("X", &data).unwrap();
        assert_eq!(at(&z, -6).0, "A");
        assert_eq!(at(&z, -5).0, "B");
    }

    #[test]
    fn no_transitions_uses_the_footer_everywhere() {
        let data = tzif(b'2', &[], &[(0, false, "LMT")], "<+05>-5");
        let z = TimeZone::from_tzif("X", &data).unwrap();
        assert_eq!(at(&z, i64::MIN + 1), ("+05".into(), 18_000));
        assert_eq!(at(&z, 0), ("+05".into(), 18_000));
    }

    #[test]
    fn malformed_data_is_an_error_never_a_panic() {
        let good = tzif(b'2', &[(0, 1)], &[(0, false, "A"), (60, true, "B")], "A0");
        assert!(TimeZone::from_tzif("X", &good).is_ok());
        // Cutting into the data must fail; the footer ("\nA0\n") is optional.
        for cut in 0..good.len() - 4 {
            assert!(
                TimeZone::from_tzif("X", &good[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        assert!(TimeZone::from_tzif("X", &good[..good.len() - 4]).is_ok());
        let mut bad_version = good.clone();
        bad_version[4] = b'4';
        assert!(matches!(
            TimeZone::from_tzif("X", &bad_version),
            Err(Error::BadTzif { .. })
        ));
        let no_zones = tzif(b'2', &[], &[], "");
        assert!(TimeZone::from_tzif("X", &no_zones).is_err());
        let bad_index = tzif(b'2', &[(0, 7)], &[(0, false, "A")], "");
        assert!(TimeZone::from_tzif("X", &bad_index).is_err());
        let huge = tzif(b'2', &[], &[(86_400, false, "A")], "");
        assert!(TimeZone::from_tzif("X", &huge).is_err());
        // Every byte flipped: errors or zones, never a panic.
        for i in 0..good.len() {
            let mut d = good.clone();
            d[i] ^= 0xff;
            if let Ok(z) = TimeZone::from_tzif("X", &d) {
                for sec in [i64::MIN, -1, 0, 1, i64::MAX] {
                    z.zone_at(Timestamp::new(sec, 0).unwrap());
                }
            }
        }
    }

    #[test]
    fn utc_and_fixed() {
        assert_eq!(at(&TimeZone::utc(), 12_345), ("UTC".into(), 0));
        let z = TimeZone::fixed(FixedZone::new("", -3_600).unwrap());
        assert_eq!(at(&z, 0), ("".into(), -3_600));
    }
}
