//! `GoTime::format` against Go's `Time.Format` (Debian's Go 1.19): layouts
//! built at random from every element of the layout language, the
//! near-misses around them and literal text, Go's named layouts and the
//! layouts of Go's own `format_test.go`, each at instants across Go's whole
//! range in named and random zones. The bytes must be equal.

mod common;

use common::{
    assert_lines_equal, edge_instants, fraction, hex, random_secs, random_zone, timediff, Rng,
    ZONES,
};
use time_core::{layout, FixedZone, GoTime, Timestamp};

/// Every element Go 1.19 recognises.
const ELEMENTS: &[&str] = &[
    "January",
    "Jan",
    "1",
    "01",
    "Monday",
    "Mon",
    "2",
    "_2",
    "02",
    "__2",
    "002",
    "15",
    "3",
    "03",
    "4",
    "04",
    "5",
    "05",
    "2006",
    "06",
    "PM",
    "pm",
    "MST",
    "Z0700",
    "Z070000",
    "Z07",
    "Z07:00",
    "Z07:00:00",
    "-0700",
    "-070000",
    "-07",
    "-07:00",
    "-07:00:00",
    ".0",
    ".00",
    ".000",
    ".000000",
    ".000000000",
    ".0000000000000",
    ".9",
    ".99",
    ".999",
    ".999999",
    ".999999999",
    ".99999999999",
    ",0",
    ",000",
    ",000000000",
    ",9",
    ",999",
    ",999999999",
];

/// Text that is, or starts, or nearly is an element, so that pieces put
/// side by side make new elements and break others ("Jan" + "uary",
/// ".00" + "1", "_" + "2006", "Mon" + "th").
const NEAR_MISSES: &[&str] = &[
    "J", "Ja", "Janet", "Janu", "uary", "M", "Mo", "Month", "Mond", "day", "MS", "T", "S", "P",
    "p", "AM", "am", "Pm", "pM", "0", "00", "000", "0000", "6", "7", "8", "9", "20", "200", "_",
    "__", "___", "-", "-0", "-07:", "-07:0", "-07:00:0", "Z", "Z0", "Z07:", "Z07:0", "Z0700:",
    "+0700", ".", ",", "..", ".0.", ".09", ".90", ".0001", ".9x", ",99a", ":", "T", "t", " ", "  ",
    "\t", "/", "'", "\"", "\\", "%", "<&>", "{", "é", "日本", "€", "\u{2028}", "Hi ", "the ",
    "Week", "Year", "Z00", "ZZ",
];

/// Go's `format_test.go` layouts (`TestFormat`, `TestFormatShortYear`,
/// `TestFormatSecondsInTimeZone`, `TestNoonIs12PM`,
/// `TestFormatFractionalSecondSeparators`, `TestFormatSingleDigits`,
/// `TestUnderscoreTwoThousand`, `TestNextStdChunk`) besides the named ones.
const GO_TEST_LAYOUTS: &[&str] = &[
    "3pm",
    "3PM",
    "06 01 02",
    "Hi Janet, the Month is January",
    "Jan  2 002 __2 2",
    "2006 6 06 _6 __6 ___6",
    "Jan January 1 01 _1",
    "2 02 _2 __2",
    "Mon Monday",
    "15 3 03 _3",
    "4 04 _4",
    "5 05 _5",
    "2006.01.02",
    "2006-01-02T15:04:05-070000",
    "2006-01-02T15:04:05-07:00:00",
    "2006-01-02T15:04:05Z070000",
    "2006-01-02T15:04:05Z07:00:00",
    "2006-01-02T15:04:05-07",
    "2006-01-02T15:04:05Z07",
    "3:04PM",
    "03:04PM",
    "15:04:05.000",
    "15:04:05.999",
    "15:04:05,000",
    "15:04:05,999",
    "3:4:5",
    "15:04_20060102",
    "2006-01-02 15:04:05.999999999 -0700 MST",
    "2006-01-02T15:04:05Z07:00",
    "2006-01-02 002 15:04:05",
    "2006-01 002 15:04:05",
    "2006-002 15:04:05",
    "200600201 15:04:05",
    "200600204 15:04:05",
    "Mon Jan _2 15:04:05.000 2006",
    "Mon Jan _2 15:04:05.000000 2006",
    "Mon Jan _2 15:04:05.000000000 2006",
    "Mon Jan _2 15:04:05,000 2006",
    "Mon Jan _2 15:04:05,000000 2006",
    "Mon Jan _2 15:04:05,000000000 2006",
    "2006.01.02.15.04.05.0",
    "2006.01.02.15.04.05.00",
    "Hi Janet, the Month is January: Jan _2 15:04:05 2006",
];

fn named_layouts() -> Vec<&'static str> {
    vec![
        layout::LAYOUT,
        layout::ANSIC,
        layout::UNIX_DATE,
        layout::RUBY_DATE,
        layout::RFC822,
        layout::RFC822Z,
        layout::RFC850,
        layout::RFC1123,
        layout::RFC1123Z,
        layout::RFC3339,
        layout::RFC3339_NANO,
        layout::KITCHEN,
        layout::STAMP,
        layout::STAMP_MILLI,
        layout::STAMP_MICRO,
        layout::STAMP_NANO,
        layout::DATE_TIME,
        layout::DATE_ONLY,
        layout::TIME_ONLY,
    ]
}

fn pick_str(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.range(0, items.len() as i64 - 1) as usize]
}

fn random_layout(rng: &mut Rng) -> String {
    let pieces = rng.range(1, 14);
    let mut layout = String::new();
    for _ in 0..pieces {
        match rng.range(0, 9) {
            0..=4 => layout.push_str(pick_str(rng, ELEMENTS)),
            5..=7 => layout.push_str(pick_str(rng, NEAR_MISSES)),
            8 => {
                // A run of fraction digits of random length, sometimes with
                // a digit after it (then it is not a fraction).
                layout.push(*rng.pick(&['.', ',']));
                let digit = *rng.pick(&['0', '9']);
                for _ in 0..rng.range(1, 12) {
                    layout.push(digit);
                }
                if rng.range(0, 3) == 0 {
                    layout.push(*rng.pick(&['1', '0', '9', '5', 'x']));
                }
            }
            _ => {
                let len = rng.range(1, 4);
                for _ in 0..len {
                    layout.push(*rng.pick(&['a', 'b', 'x', 'Y', 'q', ' ', '-', ':']));
                }
            }
        }
    }
    layout
}

struct Case {
    secs: i64,
    nanos: u32,
    name: String,
    offset: i32,
    layout: String,
}

fn cases() -> Vec<Case> {
    let mut rng = Rng::new(0x5eed_1a70);
    let mut cases = Vec::new();
    let mut push = |secs, nanos, name: &str, offset, layout: &str| {
        cases.push(Case {
            secs,
            nanos,
            name: name.to_string(),
            offset,
            layout: layout.to_string(),
        })
    };
    // Go's named and test layouts at every edge instant in every named zone.
    let fixed: Vec<&str> = named_layouts()
        .into_iter()
        .chain(GO_TEST_LAYOUTS.iter().copied())
        .collect();
    let edges = edge_instants();
    for layout in &fixed {
        for &(secs, nanos) in &edges {
            let &(name, offset) = rng.pick(ZONES);
            push(secs, nanos, name, offset, layout);
        }
        for &(name, offset) in ZONES {
            push(1_233_810_057, 12_345_600, name, offset, layout);
        }
    }
    // Fraction runs around Go's 12-bit length: 4095 digits print nine,
    // 4096 print none (the separator alone for zeros), 4097 print one.
    for len in [4_095, 4_096, 4_097, 4_105, 8_192, 8_193] {
        for digit in ["0", "9"] {
            let layout = format!("05.{}|", digit.repeat(len));
            push(1_233_810_057, 12_345_600, "PST", -28_800, &layout);
            push(0, 0, "UTC", 0, &layout);
        }
    }
    // Random layouts at random instants and zones.
    for i in 0..30_000u32 {
        let secs = random_secs(&mut rng, i);
        let digits = rng.range(0, 9) as u32;
        let nanos = fraction(&mut rng, digits);
        let (name, offset) = random_zone(&mut rng);
        let layout = random_layout(&mut rng);
        push(secs, nanos, &name, offset, &layout);
    }
    cases
}

#[test]
fn format_matches_go_on_random_named_and_go_test_layouts() {
    let Some(go) = timediff("format_matches_go_on_random_named_and_go_test_layouts") else {
        return;
    };
    let cases = cases();
    assert!(cases.len() >= 20_000, "only {} cases", cases.len());
    let mut input = String::new();
    let mut inputs = Vec::new();
    let mut ours = Vec::new();
    let mut out = String::new();
    for c in &cases {
        input.push_str(&format!(
            "{} {} {} {} {}\n",
            c.secs,
            c.nanos,
            c.offset,
            hex(c.name.as_bytes()),
            hex(c.layout.as_bytes())
        ));
        inputs.push(format!(
            "{}s {}ns zone {:?} {:+} layout {:?}",
            c.secs, c.nanos, c.name, c.offset, c.layout
        ));
        let t = GoTime::new(
            Timestamp::new(c.secs, c.nanos).unwrap(),
            FixedZone::new(c.name.clone(), c.offset).unwrap(),
        );
        // The appending form, into a buffer reused across cases, must give
        // what `format` gives.
        out.clear();
        t.write_format(&c.layout, &mut out);
        let formatted = t.format(&c.layout);
        assert_eq!(out, formatted);
        ours.push(hex(formatted.as_bytes()));
    }
    let answer = go.run("layout", &input, &[]);
    assert_lines_equal("Format(layout)", &inputs, &ours, &answer);
    eprintln!("Format(layout): {} cases equal to Go's", cases.len());
}
