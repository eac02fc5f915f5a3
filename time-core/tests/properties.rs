//! Invariants that must hold for every input, checked with proptest over
//! the whole input space (every `i64` of seconds or nanoseconds, every
//! offset, any name), with parsers written here, independent of the crate.

mod common;

use common::days_from_civil;
use proptest::prelude::*;
use time_core::{FixedZone, GoTime, TimeResponse, Timestamp};

fn days_in_month(y: i128, m: i128) -> i128 {
    let leap = y.rem_euclid(4) == 0 && (y.rem_euclid(100) != 0 || y.rem_euclid(400) == 0);
    [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][m as usize - 1]
}

/// The fields of Go's `2006-01-02 15:04:05.999999999 -0700 MST m=±S.N`.
#[derive(Debug)]
struct Parsed {
    year: i128,
    month: i128,
    day: i128,
    hour: i128,
    minute: i128,
    second: i128,
    fraction: String,
    offset: String,
    name: String,
    monotonic: Option<String>,
}

/// Splits a `String()` result into its fields; `name` may contain spaces,
/// so the parser is told whether a monotonic suffix is present.
fn parse_go_string(s: &str, has_mono: bool) -> Parsed {
    let (s, monotonic) = if has_mono {
        let (a, b) = s.rsplit_once(" m=").expect("a monotonic suffix");
        (a, Some(b.to_string()))
    } else {
        (s, None)
    };
    // The year may be negative and longer than 4 digits: split at the
    // first '-' after the first character.
    let dash = 1 + s[1..].find('-').expect("year-month separator");
    let year: i128 = s[..dash].parse().expect("year");
    let rest = &s[dash + 1..];
    let b = rest.as_bytes();
    assert_eq!(
        (b[2], b[5], b[8], b[11]),
        (b'-', b' ', b':', b':'),
        "field order in {s:?}"
    );
    let num = |r: std::ops::Range<usize>| rest[r].parse::<i128>().expect("two digits");
    let (month, day, hour, minute, second) =
        (num(0..2), num(3..5), num(6..8), num(9..11), num(12..14));
    let rest = &rest[14..];
    let (fraction, rest) = match rest.strip_prefix('.') {
        Some(f) => {
            let end = f.find(' ').expect("space after the fraction");
            (f[..end].to_string(), &f[end..])
        }
        None => (String::new(), rest),
    };
    let rest = rest.strip_prefix(' ').expect("space before the offset");
    let (offset, name) = rest.split_at(5);
    let name = name.strip_prefix(' ').expect("space before the zone name");
    Parsed {
        year,
        month,
        day,
        hour,
        minute,
        second,
        fraction,
        offset: offset.to_string(),
        name: name.to_string(),
        monotonic,
    }
}

fn zone_strategy() -> impl Strategy<Value = FixedZone> {
    (prop::option::of("[A-Za-z+0-9 -]{0,8}"), -86_399i32..=86_399)
        .prop_map(|(name, off)| FixedZone::new(name.unwrap_or_default(), off).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    #[test]
    fn unix_nano_round_trips_over_all_i64(n in any::<i64>()) {
        let t = Timestamp::from_unix_nano(n);
        prop_assert_eq!(t.unix_nano(), Ok(n));
        prop_assert!(t.nanos() < 1_000_000_000);
        prop_assert_eq!(t.unix() as i128 * 1_000_000_000 + t.nanos() as i128, n as i128);
    }

    #[test]
    fn unix_nano_is_defined_exactly_where_it_fits(secs in any::<i64>(), nanos in 0u32..1_000_000_000) {
        let t = Timestamp::new(secs, nanos).unwrap();
        let exact = secs as i128 * 1_000_000_000 + nanos as i128;
        match t.unix_nano() {
            Ok(n) => {
                prop_assert_eq!(n as i128, exact);
                prop_assert_eq!(Timestamp::from_unix_nano(n), t);
            }
            Err(_) => prop_assert!(i64::try_from(exact).is_err()),
        }
    }

    #[test]
    fn string_fields_are_in_range_and_name_the_same_instant(
        secs in any::<i64>(),
        nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000, (1u32..10).prop_map(|d| d * 100_000_000)],
        zone in zone_strategy(),
        mono in prop::option::of(any::<i64>()),
    ) {
        let mut t = GoTime::new(Timestamp::new(secs, nanos).unwrap(), zone.clone());
        if let Some(m) = mono {
            t = t.with_monotonic(m);
        }
        let s = t.to_string();
        let p = parse_go_string(&s, mono.is_some());
        prop_assert!((1..=12).contains(&p.month), "{s}");
        prop_assert!((1..=days_in_month(p.year, p.month)).contains(&p.day), "{s}");
        prop_assert!(p.hour < 24 && p.minute < 60 && p.second < 60, "{s}");
        if (0..10_000).contains(&p.year) {
            prop_assert_eq!(s.find('-'), Some(4), "four-digit year in {}", s);
        }
        // The fraction: at most 9 digits, never a trailing zero, and absent
        // exactly when the nanoseconds are zero.
        prop_assert!(p.fraction.len() <= 9 && !p.fraction.ends_with('0'), "{s}");
        prop_assert_eq!(p.fraction.is_empty(), nanos == 0);
        if !p.fraction.is_empty() {
            let padded = format!("{:0<9}", p.fraction);
            prop_assert_eq!(padded.parse::<u32>().unwrap(), nanos);
        }
        // Offset: sign and hhmm of the offset truncated to minutes.
        let minutes = zone.offset_seconds() / 60;
        let expect_off = format!(
            "{}{:02}{:02}",
            if minutes < 0 { '-' } else { '+' },
            minutes.abs() / 60,
            minutes.abs() % 60
        );
        prop_assert_eq!(&p.offset, &expect_off);
        let expect_name = if zone.name().is_empty() { expect_off.as_str() } else { zone.name() };
        prop_assert_eq!(p.name.as_str(), expect_name);
        // The wall clock minus the offset is the instant.
        let local = days_from_civil(p.year, p.month, p.day) * 86_400
            + p.hour * 3_600 + p.minute * 60 + p.second;
        prop_assert_eq!(local - zone.offset_seconds() as i128, secs as i128, "{}", s);
        if let (Some(m), Some(text)) = (mono, &p.monotonic) {
            let (sign, digits) = text.split_at(1);
            prop_assert_eq!(sign, if m < 0 { "-" } else { "+" });
            let (whole, frac) = digits.split_once('.').unwrap();
            prop_assert_eq!(frac.len(), 9);
            prop_assert!(whole == "0" || !whole.starts_with('0'), "unpadded seconds: {}", text);
            let n = whole.parse::<i128>().unwrap() * 1_000_000_000 + frac.parse::<i128>().unwrap();
            prop_assert_eq!(n, (m as i128).abs());
        }
    }

    #[test]
    fn rfc3339_nano_parses_back_to_the_instant(
        secs in -62_167_219_200i64..253_402_300_800, // years 0 to 9999 in UTC
        nanos in 0u32..1_000_000_000,
        offset in -86_399i32..=86_399,
    ) {
        let zone = FixedZone::new("", offset).unwrap();
        let s = GoTime::new(Timestamp::new(secs, nanos).unwrap(), zone).rfc3339_nano();
        let local_year: i128 = s[..4].parse().unwrap();
        prop_assume!((0..10_000).contains(&local_year) && !s.starts_with('-'));
        // 2006-01-02T15:04:05[.fffffffff](Z|±hh:mm)
        let b = s.as_bytes();
        prop_assert_eq!((b[4], b[7], b[10], b[13], b[16]), (b'-', b'-', b'T', b':', b':'), "{}", s);
        let n = |r: std::ops::Range<usize>| s[r].parse::<i128>().unwrap();
        let local = days_from_civil(n(0..4), n(5..7), n(8..10)) * 86_400
            + n(11..13) * 3_600 + n(14..16) * 60 + n(17..19);
        let rest = &s[19..];
        let (frac, zone) = match rest.strip_prefix('.') {
            Some(f) => {
                let end = f.find(['Z', '+', '-']).unwrap();
                (&f[..end], &f[end..])
            }
            None => ("", rest),
        };
        let parsed_nanos = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse::<u32>().unwrap() };
        let off = if zone == "Z" {
            0
        } else {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            sign * (zone[1..3].parse::<i128>().unwrap() * 3_600 + zone[4..6].parse::<i128>().unwrap() * 60)
        };
        // RFC 3339 carries whole minutes: Go drops the offset's seconds, so
        // the instant comes back exact when the offset has none.
        let dropped = offset as i128 - off;
        prop_assert!(dropped.abs() < 60);
        prop_assert_eq!(local - off - dropped, secs as i128, "{}", s);
        prop_assert_eq!(parsed_nanos, nanos);
        prop_assert_eq!(zone == "Z", offset == 0);
    }

    #[test]
    fn go_json_is_json_that_reads_back(time in ".*", nano in "[\\x00-\\x7f\u{2028}\u{2029}<>&]*") {
        let r = TimeResponse { time, nano_time: nano };
        let body = r.to_go_json();
        prop_assert_eq!(body.last(), Some(&b'\n'));
        prop_assert!(!body[..body.len() - 1].contains(&b'\n'));
        for banned in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            prop_assert!(!String::from_utf8_lossy(&body).contains(banned));
        }
        let back: TimeResponse = serde_json::from_slice(&body).unwrap();
        prop_assert_eq!(back, r);
    }

    #[test]
    fn time_json_writers_write_what_the_encoder_writes(
        secs in -100_000_000_000i64..100_000_000_000,
        nanos in 0u32..1_000_000_000,
        name in "[A-Za-z+0-9 -]{0,8}|.{0,6}",
        offset in -86_399i32..=86_399,
        mono in prop::option::of(any::<i64>()),
        n in any::<i64>(),
    ) {
        let mut t = GoTime::new(Timestamp::new(secs, nanos).unwrap(), FixedZone::new(name, offset).unwrap());
        if let Some(m) = mono {
            t = t.with_monotonic(m);
        }
        let mut body = Vec::new();
        time_core::write_time_json(&mut body, &t);
        prop_assert_eq!(&body, &TimeResponse::time(t.to_string()).to_go_json());
        prop_assert_eq!(body.len(), body.capacity());
        let mut body = Vec::new();
        time_core::write_nano_time_json(&mut body, n);
        prop_assert_eq!(&body, &TimeResponse::nano_time(n).to_go_json());
        prop_assert_eq!(body.len(), body.capacity());
    }

    #[test]
    fn go_json_fast_path_writes_what_the_encoder_writes(
        time in "[ -~]{0,40}|.*",
        nano in "[0-9-]{0,20}|[ -~]{0,20}",
    ) {
        // to_go_json skips the serializer for plain strings; the bytes must
        // be the same as the encoder's either way.
        let r = TimeResponse { time, nano_time: nano };
        let mut encoded = Vec::new();
        time_core::write_go_json(&mut encoded, &r).unwrap();
        prop_assert_eq!(r.to_go_json(), encoded);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Any instant has a zone in every system zone, and `String()` in that
    /// zone still names the instant (the zone's offset undoes the wall
    /// clock). Skipped quietly where the machine has no zoneinfo; the
    /// differential tests insist on it under CI.
    #[test]
    fn zone_at_is_total_and_consistent(secs in any::<i64>(), which in 0usize..4) {
        let name = ["America/New_York", "Pacific/Chatham", "Europe/Dublin", "Australia/Lord_Howe"][which];
        let Ok(bytes) = std::fs::read(format!("/usr/share/zoneinfo/{name}")) else {
            return Ok(());
        };
        let tz = time_core::TimeZone::from_tzif(name, &bytes).unwrap();
        let t = Timestamp::new(secs, 0).unwrap();
        let zone = tz.zone_at(t);
        prop_assert!(zone.offset_seconds().abs() < 86_400);
        let s = GoTime::new(t, zone.clone()).to_string();
        let p = parse_go_string(&s, false);
        let local = days_from_civil(p.year, p.month, p.day) * 86_400
            + p.hour * 3_600 + p.minute * 60 + p.second;
        prop_assert_eq!(local - zone.offset_seconds() as i128, secs as i128, "{}", s);
        prop_assert_eq!(p.name.as_str(), zone.name());
    }
}
