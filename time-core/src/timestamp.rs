//! An instant on the UTC time line, as Go's `time.Time` holds it without
//! its location: whole seconds since the Unix epoch and nanoseconds.

use crate::Error;

/// Nanoseconds in one second.
pub(crate) const NANOS_PER_SEC: u32 = 1_000_000_000;

/// An instant: seconds since 1970-01-01T00:00:00Z (negative before it)
/// plus nanoseconds within the second, always in `0..1_000_000_000`.
///
/// The range covers every year Go can print, so formatting never fails;
/// only [`Timestamp::unix_nano`] has a narrower range, as in Go.
///
/// ```
/// use time_core::Timestamp;
/// let t = Timestamp::new(-1, 999_999_999)?; // 1969-12-31T23:59:59.999999999Z
/// assert_eq!(t.unix_nano()?, -1);
/// assert_eq!(Timestamp::from_unix_nano(-1), t);
/// # Ok::<(), time_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

impl Timestamp {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp { secs: 0, nanos: 0 };

    /// Builds an instant from seconds since the epoch and nanoseconds within
    /// the second; `nanos` must be below 1,000,000,000.
    pub fn new(secs: i64, nanos: u32) -> Result<Self, Error> {
        if nanos >= NANOS_PER_SEC {
            return Err(Error::NanosOutOfRange(nanos));
        }
        Ok(Timestamp { secs, nanos })
    }

    /// The instant `n` nanoseconds after the epoch, as Go's `time.Unix(0, n)`.
    /// Every `i64` is a valid input.
    pub fn from_unix_nano(n: i64) -> Self {
        Timestamp {
            secs: n.div_euclid(NANOS_PER_SEC as i64),
            // rem_euclid of a positive divisor is in 0..1e9, so it fits u32.
            nanos: n.rem_euclid(NANOS_PER_SEC as i64) as u32,
        }
    }

    /// Whole seconds since the epoch (Go's `Unix()`), rounding toward minus
    /// infinity as Go does: one nanosecond before the epoch is second -1.
    pub fn unix(&self) -> i64 {
        self.secs
    }

    /// Nanoseconds within the second (Go's `Nanosecond()`), `0..1e9`.
    pub fn nanos(&self) -> u32 {
        self.nanos
    }

    /// Go's `UnixNano()`: nanoseconds since the epoch.
    ///
    /// Go's own doc: "The result is undefined if the Unix time in
    /// nanoseconds cannot be represented by an int64 (a date before the year
    /// 1678 or after 2262)." Where Go would return a wrapped number we return
    /// [`Error::UnixNanoOutOfRange`].
    pub fn unix_nano(&self) -> Result<i64, Error> {
        (self.secs as i128 * NANOS_PER_SEC as i128 + self.nanos as i128)
            .try_into()
            .map_err(|_| Error::UnixNanoOutOfRange {
                secs: self.secs,
                nanos: self.nanos,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_nano_bounds_are_exactly_i64() {
        assert_eq!(
            Timestamp::from_unix_nano(i64::MIN).unix_nano(),
            Ok(i64::MIN)
        );
        assert_eq!(
            Timestamp::from_unix_nano(i64::MAX).unix_nano(),
            Ok(i64::MAX)
        );
        let past_max = Timestamp::new(9_223_372_036, 854_775_808).unwrap();
        assert!(matches!(
            past_max.unix_nano(),
            Err(Error::UnixNanoOutOfRange { .. })
        ));
        let before_min = Timestamp::new(-9_223_372_037, 145_224_191).unwrap();
        assert!(matches!(
            before_min.unix_nano(),
            Err(Error::UnixNanoOutOfRange { .. })
        ));
    }

    #[test]
    fn nanos_must_be_below_a_second() {
        assert_eq!(
            Timestamp::new(0, 1_000_000_000),
            Err(Error::NanosOutOfRange(1_000_000_000))
        );
    }
}
