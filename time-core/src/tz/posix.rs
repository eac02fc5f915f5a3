//! The POSIX `TZ` string at the end of a TZif v2+ file ("MSK-3",
//! "CET-1CEST,M3.5.0,M10.5.0/3"), which says what the zone does after its
//! last listed transition.
//!
//! Parsing and evaluation follow Go 1.19's `tzset`, `tzsetName`,
//! `tzsetOffset`, `tzsetRule`, `tzsetNum` and `tzruleTime`
//! (`src/time/zoneinfo.go`) step by step, including their quirks: the year
//! is taken from the UTC instant, the second of the year uses Go's
//! truncating `sec % secondsPerDay`, and when the end rule falls before the
//! start rule (southern hemisphere) the two periods swap roles. The string is
//! parsed once when the zone is loaded instead of at every lookup; since
//! parsing does not depend on the instant, the answers are the same.

use crate::civil::{self, days_in_month, is_leap, DAYS_BEFORE};
use crate::FixedZone;

const SECS_PER_DAY: i64 = 86_400;
const SECS_PER_HOUR: i64 = 3_600;

/// A parsed footer: a standard period and, optionally, daylight saving time
/// with the rules that start and end it each year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PosixTz {
    std: FixedZone,
    dst: Option<Dst>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Dst {
    zone: FixedZone,
    start: Rule,
    end: Rule,
}

/// When in the year a change happens: the day, and `time` seconds after
/// local midnight of that day (default 02:00, may be negative or > 24 h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rule {
    kind: RuleKind,
    time: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleKind {
    /// `Jn`: day 1..=365, February 29th never counted.
    Julian(i64),
    /// `n`: zero-based day 0..=365, February 29th counted.
    DayOfYear(i64),
    /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    MonthWeekDay { mon: i64, week: i64, day: i64 },
}

/// Why a footer cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// Go's `tzset` would fail to parse it too and fall back to the last
    /// transition's zone.
    Syntax,
    /// Go would use it, but an offset is a day or more, which
    /// [`FixedZone`] refuses.
    OffsetBeyondADay,
}

impl PosixTz {
    /// Parses a footer as Go's `tzset` does before it looks at the instant.
    pub(crate) fn parse(s: &str) -> Result<PosixTz, Unusable> {
        let (std_name, s) = name(s).ok_or(Unusable::Syntax)?;
        let (std_offset, s) = offset(s).ok_or(Unusable::Syntax)?;
        // "The numbers in the tzset string are added to local time to get
        // UTC, but our offsets are added to UTC to get local time, so we
        // negate the number we see here."
        let std_offset = -std_offset;
        let std = zone(std_name, std_offset)?;
        if s.is_empty() || s.starts_with(',') {
            // "No daylight savings time." Go ignores whatever follows.
            return Ok(PosixTz { std, dst: None });
        }
        let (dst_name, s) = name(s).ok_or(Unusable::Syntax)?;
        let (dst_offset, s) = if s.is_empty() || s.starts_with(',') {
            (std_offset + SECS_PER_HOUR, s)
        } else {
            let (o, rest) = offset(s).ok_or(Unusable::Syntax)?;
            (-o, rest)
        };
        // "Default DST rules per tzcode."
        let s = if s.is_empty() { ",M3.2.0,M11.1.0" } else { s };
        // "The TZ definition does not mention ';' here but tzcode accepts it."
        let s = s
            .strip_prefix(',')
            .or_else(|| s.strip_prefix(';'))
            .ok_or(Unusable::Syntax)?;
        let (start, s) = rule(s).ok_or(Unusable::Syntax)?;
        let s = s.strip_prefix(',').ok_or(Unusable::Syntax)?;
        let (end, s) = rule(s).ok_or(Unusable::Syntax)?;
        if !s.is_empty() {
            return Err(Unusable::Syntax);
        }
        Ok(PosixTz {
            std,
            dst: Some(Dst {
                zone: zone(dst_name, dst_offset)?,
                start,
                end,
            }),
        })
    }

    /// The zone in effect at `sec` seconds since the epoch: the tail of Go's
    /// `tzset(s, lastTxSec, sec)`.
    pub(crate) fn zone_at(&self, sec: i64) -> &FixedZone {
        let Some(dst) = &self.dst else {
            return &self.std;
        };
        // Go: `year, _, _, yday := absDate(uint64(sec+unixToInternal+internalToAbsolute), false)`
        let (year, yday) = civil::year_and_yday(sec.div_euclid(SECS_PER_DAY));
        // Go: `ysec := int64(yday*secondsPerDay) + sec%secondsPerDay`, a
        // truncating remainder, negative before 1970.
        let ysec = yday * SECS_PER_DAY + sec % SECS_PER_DAY;
        let std_offset = i64::from(self.std.offset_seconds());
        let dst_offset = i64::from(dst.zone.offset_seconds());
        let mut start = rule_time(year, dst.start, std_offset);
        let mut end = rule_time(year, dst.end, dst_offset);
        let (mut std_zone, mut dst_zone) = (&self.std, &dst.zone);
        // "this is a flipping of "DST" and "STD" while retaining the labels.
        // This happens in southern hemispheres."
        if end < start {
            std::mem::swap(&mut start, &mut end);
            std::mem::swap(&mut std_zone, &mut dst_zone);
        }
        if ysec < start || ysec >= end {
            std_zone
        } else {
            dst_zone
        }
    }
}

fn zone(name: &str, offset: i64) -> Result<FixedZone, Unusable> {
    let offset = i32::try_from(offset).map_err(|_| Unusable::OffsetBeyondADay)?;
    FixedZone::copied(name, offset).map_err(|_| Unusable::OffsetBeyondADay)
}

/// Go's `tzsetName`: `<...>` quoted, or at least three characters up to
/// the first digit, ',', '-' or '+'.
fn name(s: &str) -> Option<(&str, &str)> {
    if s.is_empty() {
        return None;
    }
    if let Some(quoted) = s.strip_prefix('<') {
        let close = quoted.find('>')?;
        return Some((&quoted[..close], &quoted[close + 1..]));
    }
    for (i, c) in s.char_indices() {
        if c.is_ascii_digit() || matches!(c, ',' | '-' | '+') {
            if i < 3 {
                return None;
            }
            return Some((&s[..i], &s[i..]));
        }
    }
    if s.len() < 3 {
        return None;
    }
    Some((s, ""))
}

/// Go's `tzsetOffset`: `[+-]hh[:mm[:ss]]`, hours up to 24 * 7 ("The tzdata
/// code permits values up to 24 * 7 here, although POSIX does not").
fn offset(s: &str) -> Option<(i64, &str)> {
    if s.is_empty() {
        return None;
    }
    let (neg, s) = match s.as_bytes()[0] {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let sign = if neg { -1 } else { 1 };
    let (hours, s) = num(s, 0, 24 * 7)?;
    let mut off = hours * SECS_PER_HOUR;
    let Some(s) = s.strip_prefix(':') else {
        return Some((sign * off, s));
    };
    let (mins, s) = num(s, 0, 59)?;
    off += mins * 60;
    let Some(s) = s.strip_prefix(':') else {
        return Some((sign * off, s));
    };
    let (secs, s) = num(s, 0, 59)?;
    off += secs;
    Some((sign * off, s))
}

/// Go's `tzsetRule`: `Jn`, `n` or `Mm.w.d`, then an optional `/time`.
fn rule(s: &str) -> Option<(Rule, &str)> {
    if s.is_empty() {
        return None;
    }
    let (kind, s) = if let Some(rest) = s.strip_prefix('J') {
        let (day, s) = num(rest, 1, 365)?;
        (RuleKind::Julian(day), s)
    } else if let Some(rest) = s.strip_prefix('M') {
        let (mon, s) = num(rest, 1, 12)?;
        let s = s.strip_prefix('.')?;
        let (week, s) = num(s, 1, 5)?;
        let s = s.strip_prefix('.')?;
        let (day, s) = num(s, 0, 6)?;
        (RuleKind::MonthWeekDay { mon, week, day }, s)
    } else {
        let (day, s) = num(s, 0, 365)?;
        (RuleKind::DayOfYear(day), s)
    };
    let Some(s) = s.strip_prefix('/') else {
        // "2am is the default"
        return Some((
            Rule {
                kind,
                time: 2 * SECS_PER_HOUR,
            },
            s,
        ));
    };
    let (time, s) = offset(s)?;
    Some((Rule { kind, time }, s))
}

/// Go's `tzsetNum`: decimal digits whose value stays within `min..=max`
/// at every step.
fn num(s: &str, min: i64, max: i64) -> Option<(i64, &str)> {
    if s.is_empty() {
        return None;
    }
    let mut n = 0;
    for (i, b) in s.bytes().enumerate() {
        if !b.is_ascii_digit() {
            if i == 0 || n < min {
                return None;
            }
            return Some((n, &s[i..]));
        }
        n = n * 10 + i64::from(b - b'0');
        if n > max {
            return None;
        }
    }
    if n < min {
        return None;
    }
    Some((n, ""))
}

/// Go's `tzruleTime`: seconds after January 1st 00:00 UTC of `year` at
/// which `r` takes effect in a zone `off` seconds east of UTC.
fn rule_time(year: i64, r: Rule, off: i64) -> i64 {
    let s = match r.kind {
        RuleKind::Julian(day) => {
            let mut s = (day - 1) * SECS_PER_DAY;
            if is_leap(year) && day >= 60 {
                s += SECS_PER_DAY;
            }
            s
        }
        RuleKind::DayOfYear(day) => day * SECS_PER_DAY,
        RuleKind::MonthWeekDay { mon, week, day } => {
            // "Zeller's Congruence." Go's `/` and `%` truncate, as Rust's do.
            let m1 = (mon + 9) % 12 + 1;
            let yy0 = if mon <= 2 { year - 1 } else { year };
            let yy1 = yy0 / 100;
            let yy2 = yy0 % 100;
            let mut dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
            if dow < 0 {
                dow += 7;
            }
            // "Now dow is the day-of-week of the first day of r.mon. Get the
            // day-of-month of the first "dow" day."
            let mut d = day - dow;
            if d < 0 {
                d += 7;
            }
            for _ in 1..week {
                if d + 7 >= days_in_month(year, mon) {
                    break;
                }
                d += 7;
            }
            d += DAYS_BEFORE[mon as usize - 1];
            if is_leap(year) && mon > 2 {
                d += 1;
            }
            d * SECS_PER_DAY
        }
    };
    s + r.time - off
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tz: &str, sec: i64) -> (String, i32) {
        let z = PosixTz::parse(tz).unwrap();
        let z = z.zone_at(sec);
        (z.name().to_string(), z.offset_seconds())
    }

    #[test]
    fn fixed_footers() {
        assert_eq!(at("MSK-3", 0), ("MSK".into(), 10_800));
        assert_eq!(at("<+03>-3", 0), ("+03".into(), 10_800));
        assert_eq!(at("<-0330>3:30", 0), ("-0330".into(), -12_600));
        assert_eq!(at("<+0545>-5:45", 0), ("+0545".into(), 20_700));
        assert_eq!(at("UTC0", 0), ("UTC".into(), 0));
    }

    #[test]
    fn central_europe_switches_on_the_last_sundays() {
        let cet = "CET-1CEST,M3.5.0,M10.5.0/3";
        // 2024-03-31 01:00:00Z is 02:00 CET, the switch to CEST.
        assert_eq!(at(cet, 1_711_846_799), ("CET".into(), 3_600));
        assert_eq!(at(cet, 1_711_846_800), ("CEST".into(), 7_200));
        // 2024-10-27 01:00:00Z is 03:00 CEST, back to CET.
        assert_eq!(at(cet, 1_729_990_799), ("CEST".into(), 7_200));
        assert_eq!(at(cet, 1_729_990_800), ("CET".into(), 3_600));
    }

    #[test]
    fn default_rules_and_default_dst_offset() {
        // EST5EDT: March 2nd Sunday to November 1st Sunday, DST = std + 1 h.
        // 2024-03-10 07:00:00Z is 02:00 EST.
        assert_eq!(at("EST5EDT", 1_710_053_999), ("EST".into(), -18_000));
        assert_eq!(at("EST5EDT", 1_710_054_000), ("EDT".into(), -14_400));
    }

    #[test]
    fn southern_hemisphere_and_negative_dst() {
        let chatham = "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45";
        assert_eq!(at(chatham, 1_704_067_200).0, "+1345"); // January
        assert_eq!(at(chatham, 1_719_792_000).0, "+1245"); // July
        let dublin = "IST-1GMT0,M10.5.0,M3.5.0/1";
        assert_eq!(at(dublin, 1_704_067_200), ("GMT".into(), 0)); // winter
        assert_eq!(at(dublin, 1_719_792_000), ("IST".into(), 3_600)); // summer
    }

    #[test]
    fn syntax_errors_are_those_go_rejects() {
        for bad in [
            "",
            "AB-3",
            "<+03-3",
            "MSK",
            "MSK-169",
            "MSK-3:60",
            "EST5EDT,M3.2.0",
            "EST5EDT,M13.2.0,M11.1.0",
            "EST5EDT,M3.6.0,M11.1.0",
            "EST5EDT,J0,J365",
            "EST5EDT,M3.2.0,M11.1.0x",
            "EST5EDT:M3.2.0,M11.1.0",
        ] {
            assert_eq!(PosixTz::parse(bad), Err(Unusable::Syntax), "{bad:?}");
        }
        // Accepted quirks: anything after ',' without DST; ';' as separator.
        assert!(PosixTz::parse("MSK-3,garbage").is_ok());
        assert!(PosixTz::parse("EST5EDT4;M3.2.0,M11.1.0").is_ok());
        // Without an explicit DST offset the ";" is part of the name, and fails.
        assert_eq!(
            PosixTz::parse("EST5EDT;M3.2.0,M11.1.0"),
            Err(Unusable::Syntax)
        );
        assert!(PosixTz::parse("EST5EDT,J60/-1,300/26:30").is_ok());
        assert_eq!(PosixTz::parse("XXX-100"), Err(Unusable::OffsetBeyondADay));
    }

    #[test]
    fn every_i64_second_has_a_zone() {
        for tz in [
            "CET-1CEST,M3.5.0,M10.5.0/3",
            "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
            "XXX-22:59:59YYY,J1/167,365/-167",
        ] {
            let z = PosixTz::parse(tz).unwrap();
            for sec in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX] {
                let zone = z.zone_at(sec);
                assert!(zone.offset_seconds().abs() < 86_400, "{tz} at {sec}");
            }
        }
    }

    #[test]
    fn zeller_weekdays() {
        // The last Sunday of March 2024 is the 31st (day 90 of the year,
        // zero-based), at 01:00 UTC for CET.
        let r = Rule {
            kind: RuleKind::MonthWeekDay {
                mon: 3,
                week: 5,
                day: 0,
            },
            time: 7_200,
        };
        assert_eq!(rule_time(2024, r, 3_600), 90 * SECS_PER_DAY + 3_600);
    }
}
