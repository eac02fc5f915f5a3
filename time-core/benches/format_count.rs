//! `write_format` in a loop, for counting instructions with callgrind
//! (scripts/bench-core.sh): `format_count <layout name> <calls>`
//! (`custom-changing`: `layouts::CHANGING` in turn). Counts
//! do not move with the machine's load as times do; the script runs Go's
//! AppendFormat loop (scripts/bench-core/count) the same way and subtracts
//! a run with 0 calls from each side. Without arguments (as `cargo test
//! --all-targets` runs it) it formats each layout once, as a smoke test.

use std::hint::black_box;

use time_core::{FixedZone, GoTime, Timestamp};

mod layouts;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 1 {
        for (name, layout) in layouts::LAYOUTS {
            println!("{name}: {}", time().format(layout));
        }
        return;
    }
    let usage =
        "usage: format_count <RFC1123|UnixDate|RFC3339|StampMicro|custom|custom-changing> <calls>";
    let (Some(name), Some(calls)) = (args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    // The layouts formatted in turn: one, or CHANGING's five.
    let turns: &[&str] = match layouts::LAYOUTS.iter().find(|(n, _)| n == name) {
        Some((_, layout)) => std::slice::from_ref(layout),
        None if name == "custom-changing" => &layouts::CHANGING,
        None => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let calls: u64 = calls.parse().unwrap_or_else(|_| {
        eprintln!("{usage}");
        std::process::exit(2)
    });
    let t = time();
    let mut buf = String::with_capacity(64);
    for call in 0..calls {
        buf.clear();
        let layout = turns[call as usize % turns.len()];
        black_box(&t).write_format(black_box(layout), &mut buf);
        black_box(&buf);
    }
    println!("{buf}");
}

/// The instant and zone of format.rs: 2018-11-12 01:12:26.123456789 +0300 MSK.
fn time() -> GoTime {
    GoTime::new(
        Timestamp::new(1_541_974_346, 123_456_789).expect("valid"),
        FixedZone::new("MSK", 10_800).expect("valid"),
    )
}
