//! time-core against the real Go (Debian's golang-go): the same instants
//! and zones go through Go's `time` and `encoding/json` and through
//! time-core, and the bytes must be equal.
//!
//! Go's own range is respected: `time.Unix(sec, _)` and `Format` are exact
//! only while `sec + 9223372028715321600` does not leave an int64's range
//! and `sec + 62135596800` does not overflow (beyond that Go prints
//! wrapped-around dates; time-core prints the right ones), so random
//! instants stay inside, up to about ±292 billion years.

mod common;

use common::{
    assert_lines_equal, edge_instants, fraction, hex, random_secs, random_zone, timediff, Rng,
    ZONES,
};
use time_core::{Error, FixedZone, GoTime, TimeResponse, Timestamp};

/// One instant per line of the `format` mode.
struct Case {
    secs: i64,
    nanos: u32,
    name: String,
    offset: i32,
}

fn cases() -> Vec<Case> {
    let mut rng = Rng::new(0x5eed_0002);
    let mut cases = Vec::new();
    // Every edge instant in every named zone.
    for (secs, nanos) in edge_instants() {
        for &(name, offset) in ZONES {
            cases.push(Case {
                secs,
                nanos,
                name: name.to_string(),
                offset,
            });
        }
    }
    // Random instants, fraction lengths cycling through 0..=9, in a named
    // zone or a random one.
    for i in 0..12_000u32 {
        let secs = random_secs(&mut rng, i);
        let nanos = fraction(&mut rng, i % 10);
        let (name, offset) = random_zone(&mut rng);
        cases.push(Case {
            secs,
            nanos,
            name,
            offset,
        });
    }
    cases
}

#[test]
fn string_unix_nano_and_rfc3339_nano_match_go_byte_for_byte() {
    let Some(go) = timediff("string_unix_nano_and_rfc3339_nano_match_go_byte_for_byte") else {
        return;
    };
    let cases = cases();
    assert!(cases.len() >= 10_000);
    let mut input = String::new();
    let mut inputs = Vec::new();
    let mut ours = Vec::new();
    let mut out_of_range = 0;
    for c in &cases {
        let line = format!(
            "{} {} {} {}",
            c.secs,
            c.nanos,
            c.offset,
            hex(c.name.as_bytes())
        );
        input.push_str(&line);
        input.push('\n');
        inputs.push(line);
        let t = GoTime::new(
            Timestamp::new(c.secs, c.nanos).unwrap(),
            FixedZone::new(c.name.clone(), c.offset).unwrap(),
        );
        let true_nanos = c.secs as i128 * 1_000_000_000 + c.nanos as i128;
        let unix_nano = match t.instant().unix_nano() {
            Ok(n) => {
                assert_eq!(n as i128, true_nanos);
                n
            }
            Err(Error::UnixNanoOutOfRange { secs, nanos }) => {
                assert_eq!((secs, nanos), (c.secs, c.nanos));
                assert!(i64::try_from(true_nanos).is_err(), "{true_nanos} fits i64");
                out_of_range += 1;
                // Where we refuse, Go returns the product wrapped to 64 bits;
                // the comparison checks Go really is outside its range there.
                true_nanos as i64
            }
            Err(e) => panic!("unexpected error {e}"),
        };
        ours.push(format!("{t}\t{unix_nano}\t{}", t.rfc3339_nano()));
    }
    assert!(
        out_of_range > 1_000,
        "too few instants outside UnixNano's range: {out_of_range}"
    );
    let answer = go.run("format", &input, &[]);
    assert_lines_equal("String/UnixNano/RFC3339Nano", &inputs, &ours, &answer);
}

/// Parses Go's ` m=±S.NNNNNNNNN` back into nanoseconds.
fn parse_monotonic(s: &str) -> i64 {
    let (sign, rest) = s.split_at(1);
    let (whole, frac) = rest.split_once('.').expect("m= has a dot");
    assert_eq!(frac.len(), 9, "Go always prints 9 fraction digits: {s}");
    let n = whole.parse::<i128>().unwrap() * 1_000_000_000 + frac.parse::<i128>().unwrap();
    i64::try_from(if sign == "-" { -n } else { n }).expect("a monotonic reading fits i64")
}

#[test]
fn monotonic_suffix_matches_go_on_time_now_add() {
    let Some(go) = timediff("monotonic_suffix_matches_go_on_time_now_add") else {
        return;
    };
    const YEAR: i64 = 365 * 86_400 * 1_000_000_000;
    let mut ds: Vec<i64> = vec![
        0,
        1,
        -1,
        999_999_999,
        1_000_000_000,
        -1_000_000_000,
        3_600_000_000_000,
        -3_600_000_000_000,
        100 * YEAR,   // seconds above 1e9: Go's m0 group
        -100 * YEAR,  // negative readings
        130 * YEAR,   // near the end of Go's packed wall clock (2157)
        -140 * YEAR,  // near its start (1885)
        200 * YEAR,   // beyond: Go drops the reading
        i64::MAX,     // the reading would overflow: dropped
        i64::MIN + 1, // likewise
    ];
    let mut rng = Rng::new(0x5eed_0003);
    for _ in 0..500 {
        let d = match rng.range(0, 2) {
            0 => rng.range(-1_000_000_000_000, 1_000_000_000_000),
            1 => rng.range(-141 * YEAR, 131 * YEAR),
            _ => rng.range(i64::MIN, i64::MAX),
        };
        ds.push(d);
    }
    let input: String = ds.iter().map(|d| format!("{d}\n")).collect();
    // A zone with a name, and one without, so both zone forms meet the suffix.
    for tz in ["Europe/Moscow", "Etc/GMT-3", "UTC"] {
        let answer = go.run("mono", &input, &[("TZ", tz)]);
        let mut with_reading = 0;
        let mut inputs = Vec::new();
        let mut ours = Vec::new();
        let mut theirs = String::new();
        for (d, line) in ds.iter().zip(answer.lines()) {
            let (fields, go_string) = line.split_once('\t').expect("two columns");
            let f: Vec<&str> = fields.split(' ').collect();
            let name = if f[3] == "-" {
                String::new()
            } else {
                String::from_utf8(
                    (0..f[3].len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&f[3][i..i + 2], 16).unwrap())
                        .collect(),
                )
                .unwrap()
            };
            let mut t = GoTime::new(
                Timestamp::new(f[0].parse().unwrap(), f[1].parse().unwrap()).unwrap(),
                FixedZone::new(name, f[2].parse().unwrap()).unwrap(),
            );
            if let Some((_, m)) = go_string.split_once(" m=") {
                t = t.with_monotonic(parse_monotonic(m));
                with_reading += 1;
            }
            inputs.push(format!("TZ={tz} d={d}"));
            ours.push(t.to_string());
            theirs.push_str(go_string);
            theirs.push('\n');
        }
        assert!(
            with_reading > 300,
            "{tz}: only {with_reading} readings kept by Go"
        );
        assert_lines_equal("time.Now().Add(d).String()", &inputs, &ours, &theirs);
    }
}

#[test]
fn json_bodies_match_go_encoder() {
    let Some(go) = timediff("json_bodies_match_go_encoder") else {
        return;
    };
    let alphabet: Vec<char> =
        "<>&\"\\/'aZ09 \u{7f}\u{80}\u{2028}\u{2029}\u{2027}\u{202a}é日😀\u{fffd}\u{feff}"
            .chars()
            .chain((0u8..0x20).map(char::from))
            .collect();
    let mut rng = Rng::new(0x5eed_0004);
    let mut input = String::new();
    let mut inputs = Vec::new();
    let mut ours = Vec::new();
    let mut fixed = vec![
        TimeResponse::default(),
        TimeResponse::time("2018-11-11 22:12:26.5 +0000 UTC m=+0.000000001"),
        TimeResponse::nano_time(-1_541_974_346_123_456_789),
        TimeResponse {
            time: "both".into(),
            nano_time: "set".into(),
        },
    ];
    for _ in 0..3_000 {
        let mut s = || -> String {
            let len = rng.range(0, 12) as usize;
            (0..len).map(|_| *rng.pick(&alphabet)).collect()
        };
        fixed.push(TimeResponse {
            time: s(),
            nano_time: s(),
        });
    }
    for r in &fixed {
        let line = format!("{} {}", hex(r.time.as_bytes()), hex(r.nano_time.as_bytes()));
        input.push_str(&line);
        input.push('\n');
        inputs.push(line);
        let body = String::from_utf8(r.to_go_json()).unwrap();
        let body = body
            .strip_suffix('\n')
            .expect("Go's encoder ends every value with a newline");
        assert!(
            !body.contains('\n'),
            "an escaped body is one line: {body:?}"
        );
        ours.push(body.to_string());
    }
    let answer = go.run("json", &input, &[]);
    assert!(answer.ends_with('\n'));
    assert_lines_equal("json.Encoder.Encode(Time{...})", &inputs, &ours, &answer);
}
