//! The embedded database (the `tzdata` feature) and `ZoneSources::load`
//! against Go's `time.LoadLocation` (Debian's Go 1.19):
//!
//! - every zone of the embedded database, with Go's `ZONEINFO` pointing at
//!   a directory of the very same TZif bytes, and at a zip of them made by
//!   Python's `zipfile` (stored, as Go's own `zoneinfo.zip`);
//! - names Go refuses, names it cannot find and names it finds, with
//!   `ZONEINFO` unset, set to that directory, that zip and a missing path,
//!   and `"Local"` under `TZ`;
//! - the search order: with `ZONEINFO` unset both read the system's files
//!   first, and only names the system lacks load from the embedded copy.
//!
//! `String()` is compared at instants from 1850 to 3000 (transitions and
//! the POSIX footer's rules) and before the first transition.

mod common;

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assert_lines_equal, hex, test_env, timediff, unix_of, GoTool, Rng};
use time_core::tz::{embedded, local_zone_candidates, TimeZone, ZoneSources};
use time_core::{GoTime, Timestamp};

const SYSTEM_ZONEINFO: &str = "/usr/share/zoneinfo";

fn instants() -> Vec<i64> {
    let mut rng = Rng::new(0x5eed_7d8a);
    let mut secs = vec![0, 1_800_000_000, unix_of(2026, 3, 29, 1, 0, 0)];
    for _ in 0..24 {
        secs.push(rng.range(unix_of(1850, 1, 1, 0, 0, 0), unix_of(2100, 1, 1, 0, 0, 0)));
    }
    for _ in 0..8 {
        secs.push(rng.range(unix_of(2100, 1, 1, 0, 0, 0), unix_of(3000, 1, 1, 0, 0, 0)));
    }
    for _ in 0..4 {
        secs.push(rng.range(unix_of(-1000, 1, 1, 0, 0, 0), unix_of(1850, 1, 1, 0, 0, 0)));
    }
    secs
}

/// One answer line, as the Go helper's `load` mode writes it: the
/// location's name and `String()` at each instant, or "ERR".
fn line(result: Result<TimeZone, time_core::Error>, instants: &[i64]) -> String {
    let Ok(zone) = result else {
        return "ERR".to_string();
    };
    let mut line = zone.name().to_string();
    for &s in instants {
        let t = Timestamp::new(s, 0).unwrap();
        line.push('\t');
        line.push_str(&GoTime::new(t, zone.zone_at(t)).to_string());
    }
    line
}

/// Go's answers for `names`, its error messages cut to "ERR" (the test
/// compares outcomes; the messages name Go's paths and errno texts).
fn go_load(
    go: &GoTool,
    names: &[String],
    instants: &[i64],
    zoneinfo: Option<&Path>,
    tz: &str,
) -> String {
    let times: String = instants.iter().map(|s| format!(" {s}")).collect();
    let input: String = names
        .iter()
        .map(|n| format!("{}{times}\n", hex(n.as_bytes())))
        .collect();
    let answer = go.run_with("load", &input, |cmd| {
        // Go's last resort, $GOROOT/lib/time/zoneinfo.zip, has no
        // counterpart here: keep Go away from any installed one.
        cmd.env("GOROOT", "/nonexistent").env("TZ", tz);
        if let Some(z) = zoneinfo {
            cmd.env("ZONEINFO", z);
        }
    });
    String::from_utf8(answer)
        .expect("UTF-8 answers")
        .lines()
        .map(|l| if l.starts_with("ERR\t") { "ERR" } else { l })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A scratch directory under cargo's, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Scratch {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The embedded database written out as a zoneinfo directory (its bytes,
/// one file per name) and as a stored zip of it made by Python.
fn embedded_copy(scratch: &Scratch) -> (Vec<String>, PathBuf, Option<PathBuf>) {
    let names: Vec<String> = embedded::names().map(str::to_string).collect();
    let dir = scratch.0.join("zoneinfo");
    for name in &names {
        let bytes = embedded::tzif(name).expect("every listed name has data");
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
    }
    let zip = scratch.0.join("zoneinfo.zip");
    let made = Command::new("python3")
        .args(["-c", PYTHON_ZIP])
        .arg(&dir)
        .arg(&zip)
        .status();
    let zip = match made {
        Ok(status) if status.success() => Some(zip),
        other => {
            test_env::missing(
                "tzdata_differential",
                &format!("python3 could not write the zip ({other:?})"),
            );
            None
        }
    };
    (names, dir, zip)
}

/// Every file under argv[1] into the zip argv[2], stored (`zip -0`, as Go's
/// `lib/time/update.bash` makes `zoneinfo.zip`).
const PYTHON_ZIP: &str = "
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as z:
    for root, _, files in sorted(os.walk(src)):
        for f in sorted(files):
            p = os.path.join(root, f)
            z.write(p, os.path.relpath(p, src))
";

fn not_found(_: &Path) -> io::Result<Vec<u8>> {
    Err(io::ErrorKind::NotFound.into())
}

#[test]
fn every_embedded_zone_matches_go_reading_the_same_bytes() {
    let Some(go) = timediff("every_embedded_zone_matches_go_reading_the_same_bytes") else {
        return;
    };
    let scratch = Scratch::new("tzdata-every-zone");
    let (names, dir, zip) = embedded_copy(&scratch);
    assert!(names.len() > 500, "only {} names", names.len());
    let instants = instants();
    let inputs: Vec<String> = names.clone();

    // The embedded copy alone: nothing on disk is read.
    let embedded_only = ZoneSources::new(None, TimeZone::utc());
    let ours: Vec<String> = names
        .iter()
        .map(|n| line(embedded_only.load(n, not_found), &instants))
        .collect();
    assert!(ours.iter().all(|l| l != "ERR"), "every embedded zone loads");
    let answer = go_load(go, &names, &instants, Some(&dir), "UTC");
    assert_lines_equal("ZONEINFO=<embedded copy>", &inputs, &ours, &answer);

    // ZONEINFO as a zip, read by both.
    if let Some(zip) = zip {
        let from_zip = ZoneSources::new(zip.to_str(), TimeZone::utc());
        let ours: Vec<String> = names
            .iter()
            .map(|n| line(from_zip.load(n, |p| std::fs::read(p)), &instants))
            .collect();
        let answer = go_load(go, &names, &instants, Some(&zip), "UTC");
        assert_lines_equal("ZONEINFO=<embedded copy>.zip", &inputs, &ours, &answer);
    }
    eprintln!(
        "{} zones x {} instants equal to Go's, from a directory and a zip",
        names.len(),
        instants.len()
    );
}

/// Names from the database and the system directory, and ones Go refuses
/// or cannot find.
fn tricky_names() -> Vec<String> {
    [
        "",
        "UTC",
        "Local",
        "../etc/passwd",
        "/etc/localtime",
        "/usr/share/zoneinfo/Europe/Moscow",
        "\\Europe\\Moscow",
        "Asia/../Asia/Tokyo",
        "Asia/Tokyo/..",
        "a..b",
        "..",
        "europe/moscow",
        "EUROPE/MOSCOW",
        "Europe/Moscow ",
        " Europe/Moscow",
        "Europe/Moscow\0",
        "Europe/Moscow/",
        "Europe//Moscow",
        "./Europe/Moscow",
        "Europe/./Moscow",
        "Nowhere/Atlantis",
        "Europe",
        "Europe/",
        "Etc/GMT+5",
        "Etc/GMT-14",
        "EST5EDT",
        "GMT",
        "Zulu",
        "Factory",
        "posixrules",
        "zone.tab",
        "tzdata.zi",
        "leapseconds",
        "posix/Europe/Moscow",
        "right/Europe/Moscow",
        "localtime",
        "Asia/Kolkata",
        "America/New_York",
        "Australia/Lord_Howe",
        "Europe/Kyiv",
        "Europe/Kiev",
        "US/Pacific",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn names_load_and_fail_as_with_go_wherever_zoneinfo_points() {
    let Some(go) = timediff("names_load_and_fail_as_with_go_wherever_zoneinfo_points") else {
        return;
    };
    let scratch = Scratch::new("tzdata-names");
    let (db_names, dir, zip) = embedded_copy(&scratch);
    let instants = instants();
    let on_system = |n: &str| Path::new(SYSTEM_ZONEINFO).join(n).exists();
    // Names the system lacks load from the embedded copy here, not in Go
    // (whose helper does not import time/tzdata): they are compared in
    // search_order_is_go_s_with_the_embedded_copy_last.
    let names: Vec<String> = tricky_names()
        .into_iter()
        .filter(|n| on_system(n) || !db_names.contains(n))
        .collect();
    assert!(names.len() > 35, "{names:?}");
    let nonexistent = scratch.0.join("nonexistent");
    let mut zoneinfos: Vec<Option<PathBuf>> = vec![None, Some(dir), Some(nonexistent)];
    zoneinfos.extend(zip.map(Some));
    let mut compared = 0;
    for tz in ["Asia/Kolkata", "UTC"] {
        let local = local_zone_candidates(Some(tz)).resolve(|p| std::fs::read(p).ok());
        for zoneinfo in &zoneinfos {
            let sources = ZoneSources::new(
                zoneinfo.as_deref().map(|p| p.to_str().unwrap()),
                local.clone(),
            );
            let ours: Vec<String> = names
                .iter()
                .map(|n| line(sources.load(n, |p| std::fs::read(p)), &instants))
                .collect();
            let answer = go_load(go, &names, &instants, zoneinfo.as_deref(), tz);
            let inputs: Vec<String> = names
                .iter()
                .map(|n| format!("TZ={tz} ZONEINFO={zoneinfo:?} name {n:?}"))
                .collect();
            assert_lines_equal("LoadLocation", &inputs, &ours, &answer);
            compared += names.len();
        }
    }
    let refused = names
        .iter()
        .filter(|n| n.contains("..") || n.starts_with(['/', '\\']))
        .count();
    assert!(refused >= 8);
    eprintln!(
        "{compared} LoadLocation calls equal to Go's ({} names, {} of the database's)",
        names.len(),
        db_names.len()
    );
}

#[test]
fn search_order_is_go_s_with_the_embedded_copy_last() {
    let Some(go) = timediff("search_order_is_go_s_with_the_embedded_copy_last") else {
        return;
    };
    if !Path::new(SYSTEM_ZONEINFO).join("Europe/Moscow").is_file() {
        test_env::missing(
            "search_order_is_go_s_with_the_embedded_copy_last",
            "no /usr/share/zoneinfo (install tzdata)",
        );
        return;
    }
    let names: Vec<String> = embedded::names().map(str::to_string).collect();
    let instants = instants();
    let sources = ZoneSources::new(None, TimeZone::utc());
    let answer = go_load(go, &names, &instants, None, "UTC");
    let mut from_embedded = BTreeSet::new();
    for (name, go_line) in names.iter().zip(answer.lines()) {
        let ours = line(sources.load(name, |p| std::fs::read(p)), &instants);
        if Path::new(SYSTEM_ZONEINFO).join(name).is_file() {
            // The system's file wins, for both.
            assert_eq!(ours, go_line, "{name}: both read {SYSTEM_ZONEINFO}");
        } else {
            // Only the embedded copy has it: Go without time/tzdata fails.
            assert_eq!(go_line, "ERR", "{name}");
            assert_eq!(
                ours,
                line(sources.load(name, not_found), &instants),
                "{name}: from the embedded copy"
            );
            from_embedded.insert(name.clone());
        }
    }
    eprintln!(
        "{} names read from {SYSTEM_ZONEINFO} as Go reads them; {} only in the embedded copy: {from_embedded:?}",
        names.len() - from_embedded.len(),
        from_embedded.len()
    );
}
