//! `tz::TimeZone` against Go's `time.LoadLocation` and
//! `time.LoadLocationFromTZData`: the system's zoneinfo files, TZif files
//! built here around chosen POSIX footers, and damaged files, with
//! `String()` compared byte for byte at many instants.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_lines_equal, hex, timediff, unix_of, Rng};
use time_core::tz::TimeZone;
use time_core::{Error, GoTime, Timestamp};

const ZONEINFO: &str = "/usr/share/zoneinfo";

/// The zones the brief names: no DST now (Moscow, Kolkata, Sao Paulo since
/// 2019), northern and southern DST, half-hour DST (Lord Howe), 45-minute
/// offsets (Chatham) and negative DST (Dublin's winter "GMT" is the DST
/// period in tzdata).
const NAMED: &[&str] = &[
    "Europe/Moscow",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Chatham",
    "Europe/Dublin",
];

fn ours(zone: &TimeZone, secs: i64, nanos: u32) -> String {
    let t = Timestamp::new(secs, nanos).unwrap();
    GoTime::new(t, zone.zone_at(t)).to_string()
}

fn load(name: &str) -> TimeZone {
    let bytes = std::fs::read(Path::new(ZONEINFO).join(name)).expect("read the zone file");
    TimeZone::from_tzif(name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn zoneinfo_or_skip(test: &str) -> bool {
    if Path::new(ZONEINFO).join("Europe/Moscow").is_file() {
        return true;
    }
    common::test_env::missing(
        test,
        &format!("no {ZONEINFO}/Europe/Moscow: install Debian's tzdata"),
    );
    false
}

/// Compares `zone` mode answers for `(zone name, secs, nanos)` requests.
fn compare(what: &str, requests: &[(String, i64, u32)]) {
    let go = timediff(what).expect("checked by the caller");
    let mut input = String::new();
    let mut inputs = Vec::new();
    let mut mine = Vec::new();
    let mut zones = std::collections::HashMap::new();
    for (name, secs, nanos) in requests {
        let line = format!("{name} {secs} {nanos}");
        input.push_str(&line);
        input.push('\n');
        inputs.push(line);
        let zone = zones.entry(name.clone()).or_insert_with(|| load(name));
        mine.push(ours(zone, *secs, *nanos));
    }
    let answer = go.run("zone", &input, &[]);
    assert_lines_equal(what, &inputs, &mine, &answer);
}

#[test]
fn named_zones_match_go_every_quarter_hour_and_across_centuries() {
    let test = "named_zones_match_go_every_quarter_hour_and_across_centuries";
    if timediff(test).is_none() || !zoneinfo_or_skip(test) {
        return;
    }
    let mut rng = Rng::new(0x5eed_007a);
    let mut requests = Vec::new();
    for name in NAMED {
        // Every 15 minutes of a year inside the table and of one after it
        // (Debian's files list transitions up to 2037; the footer rules
        // after), which crosses every DST change at its exact minute.
        for year in [2026, 2040] {
            let start = unix_of(year, 1, 1, 0, 0, 0) - 86_400;
            let end = unix_of(year + 1, 1, 1, 0, 0, 0) + 86_400;
            for secs in (start..end).step_by(900) {
                requests.push((name.to_string(), secs, 0));
            }
        }
        // One second either side of quarter hours near the switches.
        for year in [1916, 1942, 1971, 1996, 2011, 2019, 2037, 2038, 2100] {
            for _ in 0..100 {
                let q = rng.range(
                    unix_of(year, 1, 1, 0, 0, 0),
                    unix_of(year + 1, 1, 1, 0, 0, 0),
                ) / 900
                    * 900;
                for d in [-1, 0, 1] {
                    requests.push((name.to_string(), q + d, 999_999_999));
                }
            }
        }
        for _ in 0..3_000 {
            let secs = rng.range(unix_of(1900, 1, 1, 0, 0, 0), unix_of(2100, 1, 1, 0, 0, 0));
            requests.push((name.to_string(), secs, rng.range(0, 999_999_999) as u32));
        }
        // Before the first transition (LMT) and far after the last one.
        for _ in 0..300 {
            let secs = rng.range(
                unix_of(-3_000, 1, 1, 0, 0, 0),
                unix_of(1_900, 1, 1, 0, 0, 0),
            );
            requests.push((name.to_string(), secs, 0));
            let secs = rng.range(
                unix_of(2_100, 1, 1, 0, 0, 0),
                unix_of(100_000, 1, 1, 0, 0, 0),
            );
            requests.push((name.to_string(), secs, 0));
        }
    }
    assert!(requests.len() > 7 * 70_000);
    compare("named zones", &requests);
}

fn zone_files(dir: &Path, base: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list the zoneinfo directory")
        .map(|e| e.expect("read a zoneinfo entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let rel = path
            .strip_prefix(base)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // posix/ and right/ repeat the tree (right/ with leap seconds).
        if rel == "posix" || rel == "right" || rel == "localtime" {
            continue;
        }
        if path.is_dir() {
            zone_files(&path, base, out);
        } else if std::fs::read(&path).is_ok_and(|b| b.starts_with(b"TZif")) {
            out.push(rel);
        }
    }
}

#[test]
fn every_system_zone_matches_go() {
    let test = "every_system_zone_matches_go";
    if timediff(test).is_none() || !zoneinfo_or_skip(test) {
        return;
    }
    let mut names = Vec::new();
    zone_files(Path::new(ZONEINFO), Path::new(ZONEINFO), &mut names);
    assert!(names.len() > 300, "only {} zone files", names.len());
    let mut rng = Rng::new(0x5eed_0a11);
    let mut requests = Vec::new();
    for name in &names {
        for _ in 0..150 {
            let secs = rng.range(unix_of(1800, 1, 1, 0, 0, 0), unix_of(2200, 1, 1, 0, 0, 0));
            requests.push((name.clone(), secs, 0));
        }
        for _ in 0..10 {
            let secs = rng.range(
                unix_of(-50_000, 1, 1, 0, 0, 0),
                unix_of(50_000, 1, 1, 0, 0, 0),
            );
            requests.push((name.clone(), secs, 1));
        }
    }
    compare("every zone under /usr/share/zoneinfo", &requests);
}

/// A TZif v2 file: both blocks and `footer`.
fn tzif(tx: &[(i64, u8)], zones: &[(i32, bool, &str)], footer: &str) -> Vec<u8> {
    let mut abbrev = Vec::new();
    let mut idx = Vec::new();
    for (_, _, name) in zones {
        idx.push(abbrev.len() as u8);
        abbrev.extend_from_slice(name.as_bytes());
        abbrev.push(0);
    }
    let mut out = Vec::new();
    for size in [4, 8] {
        out.extend_from_slice(b"TZif2");
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
        out.extend(tx.iter().map(|(_, i)| *i));
        for (k, (off, dst, _)) in zones.iter().enumerate() {
            out.extend_from_slice(&off.to_be_bytes());
            out.push(u8::from(*dst));
            out.push(idx[k]);
        }
        out.extend_from_slice(&abbrev);
    }
    out.push(b'\n');
    out.extend_from_slice(footer.as_bytes());
    out.push(b'\n');
    out
}

/// Whether the transitions Go reads (the 64-bit block of a v2+ file) are in
/// order. zic always writes them so; when a damaged file has them out of
/// order, Go's answers come from a cache filled at load time with the zone
/// of *that moment*, so they depend on the wall clock and cannot be
/// reproduced by a pure lookup.
fn transitions_sorted(f: &[u8]) -> bool {
    let count = |at: usize| -> Option<usize> {
        Some(u32::from_be_bytes(f.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    let block = |h: usize, size: usize| -> Option<usize> {
        let [ul, sw, leap, time, zone, chars] = [0, 1, 2, 3, 4, 5].map(|i| count(h + 20 + 4 * i));
        Some(time? * size + time? + zone? * 6 + chars? + leap? * (size + 4) + sw? + ul?)
    };
    let Some(second) = block(0, 4).map(|l| 44 + l) else {
        return true; // Go refuses it anyway
    };
    let (Some(n), true) = (count(second + 32), f.get(4) != Some(&0)) else {
        return true;
    };
    let times: Vec<i64> = (0..n)
        .map_while(|i| {
            let at = second + 44 + 8 * i;
            Some(i64::from_be_bytes(f.get(at..at + 8)?.try_into().ok()?))
        })
        .collect();
    times.windows(2).all(|w| w[0] <= w[1])
}

/// What [`compare_tzdata`] saw.
#[derive(Debug, Default)]
struct Outcome {
    /// Loaded by both, `String()` equal at every instant.
    compared: usize,
    /// Refused by both.
    refused: usize,
    /// Loaded by Go, refused by us for an offset of a day or more.
    beyond_a_day: usize,
    /// Not compared: unsorted transitions or abbreviations that are not UTF-8.
    skipped: usize,
}

/// Runs `tzdata` mode: for each file, Go's load result and `String()` at
/// `instants`, against ours. Files Go refuses must be refused by us; files
/// only we refuse must be refused for an offset of a day or more.
fn compare_tzdata(what: &str, files: &[Vec<u8>], instants: &[Vec<i64>]) -> Outcome {
    let go = timediff(what).expect("checked by the caller");
    let mut input = String::new();
    for (f, secs) in files.iter().zip(instants) {
        input.push_str(&hex(f));
        for s in secs {
            input.push_str(&format!(" {s}"));
        }
        input.push('\n');
    }
    let answer = go.run_bytes("tzdata", &input, &[]);
    let lines: Vec<&[u8]> = answer.split(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), files.len() + 1, "one answer per file");
    let mut outcome = Outcome::default();
    for (i, (f, secs)) in files.iter().zip(instants).enumerate() {
        let go_line = lines[i];
        let mine = TimeZone::from_tzif("X", f);
        match (go_line == b"ERR", mine) {
            (true, Err(_)) => outcome.refused += 1,
            (true, Ok(_)) => panic!("{what}: Go refuses file #{i} ({}), we load it", hex(f)),
            (false, Err(Error::BadTzif { reason, .. })) if reason.contains("a day or more") => {
                outcome.beyond_a_day += 1
            }
            (false, Err(e)) => panic!("{what}: Go loads file #{i} ({}), we refuse: {e}", hex(f)),
            (false, Ok(zone)) => {
                // Damaged abbreviations may not be UTF-8: Go prints the
                // bytes, we cannot hold them in a String; skip those files.
                let Ok(go_line) = std::str::from_utf8(go_line) else {
                    outcome.skipped += 1;
                    continue;
                };
                if go_line.contains('\u{fffd}') || !transitions_sorted(f) {
                    outcome.skipped += 1;
                    continue;
                }
                let mine: Vec<String> = secs.iter().map(|&s| ours(&zone, s, 0)).collect();
                let go_strings: Vec<&str> = go_line.split('\t').collect();
                for (k, (m, g)) in mine.iter().zip(&go_strings).enumerate() {
                    assert_eq!(
                        m,
                        g,
                        "{what}: file #{i} ({}) at {} differs",
                        hex(f),
                        secs[k]
                    );
                }
                assert_eq!(mine.len(), go_strings.len());
                outcome.compared += 1;
            }
        }
    }
    eprintln!("{what}: {outcome:?}");
    outcome
}

#[test]
fn posix_footers_match_go_tzset() {
    if timediff("posix_footers_match_go_tzset").is_none() {
        return;
    }
    // Real footers from tzdata, POSIX corner cases tzcode accepts, and
    // strings Go refuses (then the last zone of the table lasts forever).
    let footers = [
        "MSK-3",
        "<+03>-3",
        "<-03>3",
        "IST-5:30",
        "<+0545>-5:45",
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "EST5EDT,M3.2.0,M11.1.0",
        "EST5EDT",
        "PST8PDT,M3.2.0/2:00:00,M11.1.0/2:00:00",
        "IST-1GMT0,M10.5.0,M3.5.0/1",
        "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
        "AEST-10AEDT,M10.1.0,M4.1.0/3",
        "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
        "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
        "IST-2IDT,M3.4.4/26,M10.5.0",
        "<+00>0<+02>-2,M3.5.0/1,M10.5.0/3",
        "WART4WARST,J1/0,J365/25",
        "EST5EDT,J60,J300",
        "EST5EDT,59,300/-26",
        "EST5EDT,0/0,365/25",
        "XXX-167:59:59YYY-100,M1.1.0,M12.5.6/167",
        "EST5EDT4;M3.2.0,M11.1.0",
        "EST5EDT4,M2.5.0,M2.5.6",
        "EST5EDT,M3.2.0,M11.1.0,",
        "EST5EDT,M3.2.0",
        "AB-3",
        "MSK",
        "<+03-3",
        "EST5EDT,M13.1.0,M11.1.0",
        "",
        "garbage",
    ];
    let mut rng = Rng::new(0x5eed_0f00);
    let mut files = Vec::new();
    let mut instants = Vec::new();
    for footer in footers {
        // No transitions (the footer rules all time, before 1970 included,
        // where Go's truncating remainder matters) and one transition.
        let tables: [Vec<(i64, u8)>; 2] = [vec![], vec![(unix_of(1990, 6, 1, 0, 0, 0), 1)]];
        for tx in tables {
            files.push(tzif(
                &tx,
                &[(7_200, false, "LMT"), (3_600, true, "OLD")],
                footer,
            ));
            let mut secs = Vec::new();
            for _ in 0..400 {
                let year = *rng.pick(&[1969, 1970, 1989, 1990, 2000, 2024, 2025, 2100]);
                secs.push(rng.range(
                    unix_of(year, 1, 1, 0, 0, 0),
                    unix_of(year + 1, 1, 1, 0, 0, 0),
                ));
            }
            for _ in 0..100 {
                secs.push(rng.range(
                    unix_of(-3_000, 1, 1, 0, 0, 0),
                    unix_of(5_000, 1, 1, 0, 0, 0),
                ));
            }
            // The first and last seconds of years, where the UTC year and
            // the local year differ.
            for year in [-1, 0, 1, 1969, 1970, 2024, 2025] {
                let y = unix_of(year, 1, 1, 0, 0, 0);
                secs.extend([y - 3_600, y - 1, y, y + 1, y + 3_600]);
            }
            instants.push(secs);
        }
    }
    let outcome = compare_tzdata("POSIX footers", &files, &instants);
    // Only the 167-hour footer is beyond what FixedZone holds.
    assert_eq!(outcome.beyond_a_day, 2, "{outcome:?}");
    assert_eq!(outcome.compared, files.len() - 2, "{outcome:?}");
}

#[test]
fn damaged_files_are_refused_or_read_as_go_reads_them() {
    let test = "damaged_files_are_refused_or_read_as_go_reads_them";
    if timediff(test).is_none() || !zoneinfo_or_skip(test) {
        return;
    }
    let mut rng = Rng::new(0x5eed_0bad);
    let originals: Vec<Vec<u8>> = [
        "Europe/Moscow",
        "America/New_York",
        "Europe/Dublin",
        "Etc/GMT-3",
    ]
    .iter()
    .map(|n| std::fs::read(Path::new(ZONEINFO).join(n)).unwrap())
    .collect();
    assert!(originals.iter().all(|f| transitions_sorted(f)));
    let mut files = Vec::new();
    let mut instants = Vec::new();
    for _ in 0..3_000 {
        let mut f = rng.pick(&originals).clone();
        match rng.range(0, 3) {
            0 => f.truncate(rng.range(0, f.len() as i64) as usize),
            1 => {
                for _ in 0..rng.range(1, 3) {
                    let i = rng.range(0, f.len() as i64 - 1) as usize;
                    f[i] = rng.next_u64() as u8;
                }
            }
            2 => {
                // A header count (either header) set to a random value.
                let header = *rng.pick(&[0usize, f.len() / 2]);
                let at = (rng.range(0, 5) as usize) * 4 + 20;
                if let Some(pos) = f.windows(4).skip(header).position(|w| w == b"TZif") {
                    let at = header + pos + at;
                    let v = (rng.next_u64() % 64) as u32;
                    f[at..at + 4].copy_from_slice(&v.to_be_bytes());
                }
            }
            _ => {
                let i = rng.range(0, f.len() as i64 - 1) as usize;
                f[i] ^= 1 << rng.range(0, 7);
            }
        }
        files.push(f);
        instants.push(
            (0..8)
                .map(|_| rng.range(unix_of(1850, 1, 1, 0, 0, 0), unix_of(2150, 1, 1, 0, 0, 0)))
                .collect(),
        );
    }
    let outcome = compare_tzdata("damaged files", &files, &instants);
    assert!(outcome.compared > 500, "{outcome:?}");
    assert!(outcome.refused > 500, "{outcome:?}");
}

#[test]
fn local_zone_plan_chooses_what_go_makes_time_local() {
    let test = "local_zone_plan_chooses_what_go_makes_time_local";
    let Some(go) = timediff(test) else {
        return;
    };
    if !zoneinfo_or_skip(test) {
        return;
    }
    // Files for the absolute-path cases: a good zone, a damaged one.
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("local-zone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("Kolkata");
    std::fs::copy(Path::new(ZONEINFO).join("Asia/Kolkata"), &good).unwrap();
    let bad = dir.join("damaged");
    std::fs::write(&bad, b"TZif2 but not really").unwrap();
    let (good, bad) = (
        good.to_str().unwrap().to_string(),
        bad.to_str().unwrap().to_string(),
    );

    let mut rng = Rng::new(0x5eed_10ca);
    let secs: Vec<i64> = (0..40)
        .map(|_| rng.range(unix_of(1900, 1, 1, 0, 0, 0), unix_of(2100, 1, 1, 0, 0, 0)))
        .collect();
    let input: String = secs.iter().map(|s| format!("{s}\n")).collect();

    let tz_values: Vec<Option<String>> = [
        None,
        Some(""),
        Some(":"),
        Some("UTC"),
        Some(":UTC"),
        Some("Europe/Moscow"),
        Some(":Europe/Moscow"),
        Some("America/New_York"),
        Some("Australia/Lord_Howe"),
        Some("Etc/GMT+5"),
        Some("EST5EDT"),
        Some("Asia/../Asia/Tokyo"),
        Some("Nowhere/Atlantis"),
        Some("/usr/share/zoneinfo/Pacific/Chatham"),
        Some("/etc/localtime"),
        Some(":/etc/localtime"),
        Some("/nonexistent/zone"),
        Some("/usr/share/zoneinfo"),
        Some(good.as_str()),
        Some(bad.as_str()),
    ]
    .into_iter()
    .map(|v| v.map(str::to_string))
    .collect();

    for tz in &tz_values {
        let answer = go.run_with("local", &input, |cmd| match tz {
            Some(v) => {
                cmd.env("TZ", v);
            }
            None => {
                cmd.env_remove("TZ");
            }
        });
        let answer = String::from_utf8(answer).unwrap();
        let zone = time_core::tz::local_zone_candidates(tz.as_deref())
            .resolve(|path| std::fs::read(path).ok());
        let inputs: Vec<String> = secs.iter().map(|s| format!("TZ={tz:?} {s}")).collect();
        let mine: Vec<String> = secs
            .iter()
            .map(|&s| format!("{}\t{}", zone.name(), ours(&zone, s, 0)))
            .collect();
        assert_lines_equal("time.Local", &inputs, &mine, &answer);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
