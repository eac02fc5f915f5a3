//! Days since the epoch to a proleptic Gregorian date, the calendar Go uses
//! for every year, including years before 1582 and before year 1.

/// A calendar date and time of day in some zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    /// Days since 1970-01-01 (negative before it).
    pub days: i64,
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Go's `absWeekday`, 0 for Sunday.
    pub weekday: u8,
    /// Go's `yday`, 0-based: the days of the year before this one.
    pub yday: u16,
}

/// What the day count alone gives.
struct Date {
    year: i64,
    month: u8,
    day: u8,
    weekday: u8,
    yday: u16,
}

const SECS_PER_DAY: i64 = 86_400;

impl Civil {
    /// The wall clock reading `local_secs` seconds after 1970-01-01T00:00:00
    /// of the zone. `i128` input so that adding a zone offset to any `i64`
    /// second count cannot overflow; the arithmetic itself runs in `i64`
    /// (128-bit division is a slow library call), since the day count of
    /// any such input fits easily.
    #[inline(always)] // see `GoTime::civil`
    pub fn from_local_seconds(local_secs: i128) -> Civil {
        let (days, sod) = match i64::try_from(local_secs) {
            Ok(s) => (s.div_euclid(SECS_PER_DAY), s.rem_euclid(SECS_PER_DAY)),
            Err(_) => wide_days(local_secs),
        };
        let sod = sod as u32; // [0, 86399]
        let Date {
            year,
            month,
            day,
            weekday,
            yday,
        } = civil_from_days(days);
        Civil {
            days,
            year,
            month,
            day,
            hour: (sod / 3600) as u8,
            minute: (sod / 60 % 60) as u8,
            second: (sod % 60) as u8,
            weekday,
            yday,
        }
    }
}

/// Days and second of the day of a reading beyond `i64`: out of line,
/// since LLVM otherwise computed the 128-bit division on every call and
/// only then chose the `i64` result (50 instructions in `__divti3`).
#[cold]
#[inline(never)]
fn wide_days(local_secs: i128) -> (i64, i64) {
    (
        local_secs.div_euclid(SECS_PER_DAY as i128) as i64,
        local_secs.rem_euclid(SECS_PER_DAY as i128) as i64,
    )
}

/// Day `days` after 1970-01-01 as a date: Neri and Schneider's algorithm
/// ("Euclidean affine functions and their application to calendar
/// algorithms", 2022), exact for the whole proleptic Gregorian calendar
/// and a third of Hinnant's instructions, on their computational calendar
/// (years from March 1st, year 0) shifted by `ERAS` 400-year eras so that
/// every day of an `i64` of seconds (at most about 1.1e14 either way)
/// counts up from zero; `4 * n + 3` stays far below `u64::MAX`. The day
/// of the week and of the year fall out of the same numbers, for a few
/// instructions more (none where they are not used: this is inlined).
#[inline(always)]
fn civil_from_days(days: i64) -> Date {
    const ERAS: i64 = 800_000_000;
    let n = (days + 719_468 + ERAS * 146_097) as u64;
    let n1 = 4 * n + 3;
    let century = n1 / 146_097;
    let day_of_century = (n1 % 146_097) as u32 / 4;
    let n2 = 4 * u64::from(day_of_century) + 3;
    let p2 = 2_939_745 * n2;
    let year_of_century = p2 >> 32;
    let day_of_year = (p2 as u32) / 2_939_745 / 4; // March-based, [0, 365]
    let n3 = 2_141 * day_of_year + 197_913;
    let month = n3 >> 16; // [3, 14]
    let day = (n3 & 0xffff) / 2_141 + 1;
    let january_or_february = day_of_year >= 306;
    let year =
        (100 * century + year_of_century) as i64 + i64::from(january_or_february) - 400 * ERAS;
    let month = if january_or_february {
        month - 12
    } else {
        month
    };
    // Day 0 of the shifted count is a Wednesday: 1970-01-01, a Thursday,
    // is day 719,468 + ERAS * 146,097, and 146,097 days are whole weeks.
    let weekday = ((n + 3) % 7) as u8;
    // March to December follow January and February of the same year,
    // which has a February 29th when its March-based year, the same
    // number, is a leap year: divisible by 4, and a century year only
    // when its century is divisible by 4 (ERAS * 400 years keep both).
    let yday = if january_or_february {
        day_of_year - 306
    } else {
        let leap = if year_of_century == 0 {
            century % 4 == 0
        } else {
            year_of_century % 4 == 0
        };
        day_of_year + 59 + u32::from(leap)
    };
    Date {
        year,
        month: month as u8,
        day: day as u8,
        weekday,
        yday: yday as u16,
    }
}

/// Days from 1970-01-01 to January 1st of `year` (Hinnant's
/// `days_from_civil` for month 1, day 1), for the years of `i64` seconds.
pub(crate) fn days_before_year(year: i64) -> i64 {
    let y = year - 1; // January counts in the March-based year before
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + 306; // 306 = days from March 1 to January 1
    era * 146_097 + doe - 719_468
}

/// Days in the months before each month of a year that is not a leap
/// year (Go's `daysBefore`): `DAYS_BEFORE[m - 1]` for month `m`.
pub(crate) const DAYS_BEFORE: [i64; 13] =
    [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

pub(crate) fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1 to 12) of `year`.
pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    let days = DAYS_BEFORE[month as usize] - DAYS_BEFORE[month as usize - 1];
    days + i64::from(month == 2 && is_leap(year))
}

/// Days from 1970-01-01 to `year-month-day` (month 1 to 12, day within
/// it), for the years of `i64` seconds.
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let leap_day = i64::from(month > 2 && is_leap(year));
    days_before_year(year) + DAYS_BEFORE[month as usize - 1] + leap_day + day - 1
}

/// The year and the zero-based day within it of the day `days` after
/// 1970-01-01, as Go's `absDate(abs, false)` returns them.
pub(crate) fn year_and_yday(days: i64) -> (i64, i64) {
    let date = civil_from_days(days);
    (date.year, i64::from(date.yday))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(days: i64) -> (i64, u8, u8) {
        let date = civil_from_days(days);
        (date.year, date.month, date.day)
    }

    #[test]
    fn known_days() {
        assert_eq!(ymd(0), (1970, 1, 1));
        assert_eq!(ymd(-1), (1969, 12, 31));
        assert_eq!(ymd(11_016), (2000, 2, 29));
        assert_eq!(ymd(-719_162), (1, 1, 1));
        assert_eq!(ymd(-719_163), (0, 12, 31));
        assert_eq!(civil_from_days(0).weekday, 4); // Thursday
        assert_eq!(civil_from_days(-1).weekday, 3);
        assert_eq!(civil_from_days(-719_163).yday, 365); // year 0 is leap
        assert_eq!(civil_from_days(11_016 + 306).yday, 365); // 2000-12-31
        assert_eq!(civil_from_days(-25_567 + 58).yday, 58); // 1900-02-28
        assert_eq!(civil_from_days(-25_567 + 59).yday, 59); // 1900-03-01: 1900 is not leap
        assert_eq!(civil_from_days(11_016 + 1).yday, 60); // 2000-03-01: 2000 is
    }

    #[test]
    fn start_of_year_and_day_of_year() {
        assert_eq!(days_before_year(1970), 0);
        assert_eq!(days_before_year(1971), 365);
        assert_eq!(days_before_year(1969), -365);
        assert_eq!(days_before_year(1), -719_162);
        assert_eq!(days_before_year(0), -719_162 - 366);
        assert_eq!(year_and_yday(0), (1970, 0));
        assert_eq!(year_and_yday(-1), (1969, 364));
        assert_eq!(year_and_yday(11_016), (2000, 59)); // Feb 29
        assert_eq!(year_and_yday(11_322), (2000, 365)); // Dec 31 of a leap year
        for days in (-800_000..800_000).step_by(997) {
            let (y, yday) = year_and_yday(days);
            assert_eq!(days_before_year(y) + yday, days);
            assert!((0..366).contains(&yday));
        }
    }

    #[test]
    fn days_from_civil_inverts_civil_from_days() {
        let mut days = days_from_civil(1600, 1, 1);
        for year in 1600..2401 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(days_from_civil(year, month, day), days);
                    let date = civil_from_days(days);
                    assert_eq!(
                        (date.year, date.month, date.day),
                        (year, month as u8, day as u8)
                    );
                    days += 1;
                }
            }
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }

    /// Hinnant's `civil_from_days`, the algorithm this crate used first.
    fn hinnant(days: i64) -> (i64, u8, u8) {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        (yoe + era * 400 + i64::from(month <= 2), month, day)
    }

    #[test]
    fn agrees_with_hinnant_and_counting_everywhere_it_is_used() {
        let limit = i64::MAX / 86_400 + 2;
        let mut days: Vec<i64> = (-1_000_000..1_000_000).step_by(3).collect();
        days.extend([limit, -limit, limit - 1, -limit + 1, 0, -1]);
        let mut x = 0x5eed_u64;
        for _ in 0..200_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            days.push((x as i64) % limit);
        }
        for d in days {
            let date = civil_from_days(d);
            assert_eq!(ymd(d), hinnant(d), "day {d}");
            assert_eq!(i64::from(date.weekday), (d + 4).rem_euclid(7), "day {d}");
            assert_eq!(
                i64::from(date.yday),
                d - days_before_year(date.year),
                "day {d}"
            );
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        let min = Civil::from_local_seconds(i64::MIN as i128 - 86_399);
        let max = Civil::from_local_seconds(i64::MAX as i128 + 86_399);
        // Both paths agree where they meet.
        let edge = Civil::from_local_seconds(i64::MAX as i128);
        let past = Civil::from_local_seconds(i64::MAX as i128 + 1);
        assert_eq!((edge.hour, edge.minute, edge.second), (15, 30, 7));
        assert_eq!((past.year, past.second), (edge.year, 8));
        assert!(min.year < -292_000_000_000);
        assert!(max.year > 292_000_000_000);
    }
}
