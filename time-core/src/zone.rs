//! A zone as Go's formatter sees it at one instant: an offset east of UTC
//! and an abbreviation that may be empty.
//!
//! A [`FixedZone`] is built once per request (the server asks its
//! [`TimeZone`](crate::tz::TimeZone) for the zone of each instant), so its
//! name is stored without touching the allocator or a shared counter when it
//! can be: a `&'static str`, or inline bytes for the short abbreviations of
//! the tz database ("MSK", "+0545", "LHDT").

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::Error;

/// The zone of an instant, as Go's `time.FixedZone(name, offset)`.
///
/// The name is the abbreviation Go prints for `MST` in a layout ("UTC",
/// "MSK", "+03"). An empty name is legal: Go then prints the numeric offset
/// in its place, so a nameless +03:00 zone formats as `+0300 +0300`.
///
/// ```
/// use time_core::FixedZone;
/// let msk = FixedZone::new("MSK", 3 * 3600)?;
/// assert_eq!(msk.offset_seconds(), 10800);
/// assert_eq!(FixedZone::UTC.name(), "UTC");
/// # Ok::<(), time_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FixedZone {
    name: Name,
    offset: i32,
}

/// Longest abbreviation kept inline; every abbreviation in the tz database
/// is at most 6 bytes.
const INLINE_CAP: usize = 15;

/// Where the name's bytes live. Cloning never allocates: inline bytes are
/// copied, a long name shares one `Arc`.
#[derive(Clone)]
enum Name {
    Static(&'static str),
    Inline { len: u8, bytes: [u8; INLINE_CAP] },
    Shared(Arc<str>),
}

impl Name {
    fn from_str(s: &str) -> Name {
        if s.len() <= INLINE_CAP {
            let mut bytes = [0u8; INLINE_CAP];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Name::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            Name::Shared(Arc::from(s))
        }
    }

    /// The name's bytes, without the UTF-8 check that `as_str` makes of
    /// inline ones (they were copied from a `&str`), for writers that
    /// check their whole output once.
    fn as_bytes(&self) -> &[u8] {
        match self {
            Name::Static(s) => s.as_bytes(),
            Name::Inline { len, bytes } => &bytes[..*len as usize],
            Name::Shared(s) => s.as_bytes(),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Name::Static(s) => s,
            Name::Inline { len, bytes } => std::str::from_utf8(&bytes[..*len as usize])
                .expect("inline names are copied whole from a &str"),
            Name::Shared(s) => s,
        }
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl FixedZone {
    /// Coordinated Universal Time, named "UTC" as Go's `time.UTC`.
    pub const UTC: FixedZone = FixedZone {
        name: Name::Static("UTC"),
        offset: 0,
    };

    /// A zone `offset` seconds east of UTC, printed as `name`.
    ///
    /// Offsets are limited to less than a day either way, which covers every
    /// zone in the tz database (the widest are under ±16 h).
    pub fn new(name: impl Into<Cow<'static, str>>, offset: i32) -> Result<Self, Error> {
        if !(-86_399..=86_399).contains(&offset) {
            return Err(Error::OffsetOutOfRange(offset));
        }
        let name = match name.into() {
            Cow::Borrowed(s) => Name::Static(s),
            Cow::Owned(s) => Name::from_str(&s),
        };
        Ok(FixedZone { name, offset })
    }

    /// A zone with a name borrowed for the call only (a zone table's
    /// abbreviation): the name is copied inline when short.
    pub(crate) fn copied(name: &str, offset: i32) -> Result<Self, Error> {
        if !(-86_399..=86_399).contains(&offset) {
            return Err(Error::OffsetOutOfRange(offset));
        }
        Ok(FixedZone {
            name: Name::from_str(name),
            offset,
        })
    }

    /// The abbreviation, possibly empty.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The abbreviation's UTF-8 bytes.
    pub(crate) fn name_bytes(&self) -> &[u8] {
        self.name.as_bytes()
    }

    /// Seconds east of UTC.
    pub fn offset_seconds(&self) -> i32 {
        self.offset
    }
}

impl fmt::Debug for FixedZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedZone")
            .field("name", &self.name())
            .field("offset", &self.offset)
            .finish()
    }
}

impl Default for FixedZone {
    fn default() -> Self {
        FixedZone::UTC
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_every_length_read_back() {
        for len in 0..40 {
            let name: String = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"[..len].to_string();
            let z = FixedZone::new(name.clone(), 60).unwrap();
            assert_eq!(z.name(), name);
            assert_eq!(FixedZone::copied(&name, 60).unwrap(), z);
        }
        let z = FixedZone::new("€uro", 0).unwrap();
        assert_eq!(z.clone().name(), "€uro");
    }

    #[test]
    fn equality_ignores_storage() {
        let a = FixedZone::new("UTC", 0).unwrap();
        let b = FixedZone::new(String::from("UTC"), 0).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, FixedZone::UTC);
        assert_ne!(a, FixedZone::new("UTC", 1).unwrap());
    }

    #[test]
    fn offsets_beyond_a_day_are_refused() {
        assert_eq!(
            FixedZone::new("X", 86_400),
            Err(Error::OffsetOutOfRange(86_400))
        );
        assert_eq!(
            FixedZone::copied("X", -86_400),
            Err(Error::OffsetOutOfRange(-86_400))
        );
    }
}
