//! A zone as Go's formatter sees it at one instant: an offset east of UTC
//! and an abbreviation that may be empty.

use std::borrow::Cow;

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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FixedZone {
    name: Cow<'static, str>,
    offset: i32,
}

impl FixedZone {
    /// Coordinated Universal Time, named "UTC" as Go's `time.UTC`.
    pub const UTC: FixedZone = FixedZone {
        name: Cow::Borrowed("UTC"),
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
        Ok(FixedZone {
            name: name.into(),
            offset,
        })
    }

    /// The abbreviation, possibly empty.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Seconds east of UTC.
    pub fn offset_seconds(&self) -> i32 {
        self.offset
    }
}

impl Default for FixedZone {
    fn default() -> Self {
        FixedZone::UTC
    }
}
