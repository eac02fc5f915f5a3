//! Formatting one fixed instant, the work of one `/time` or `/nanotime`
//! response. scripts/bench-core.sh runs this beside Go's
//! `go test -bench` on the same instant and zone
//! (scripts/bench-core/string_test.go) and prints the ratio.
//!
//! The instant is 2018-11-12 01:12:26.123456789 +0300 MSK. The monotonic
//! case resolves the zone through the Europe/Moscow TZif file, as a server
//! in that zone does per request (and as Go's `time.Local` does), and
//! carries a reading as long as the one Go's benchmark gets.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use time_core::tz::TimeZone;
use time_core::{FixedZone, GoTime, TimeResponse, Timestamp};

const SECS: i64 = 1_541_974_346;
const NANOS: u32 = 123_456_789;
/// About what Go prints for `time.Now().Add(d)` back to 2018 (m=-2.5e8 s).
const MONOTONIC: i64 = -254_102_400_123_456_789;

mod layouts;
use layouts::{CHANGING, LAYOUTS};

fn moscow() -> TimeZone {
    let path = "/usr/share/zoneinfo/Europe/Moscow";
    match std::fs::read(path) {
        Ok(bytes) => TimeZone::from_tzif("Europe/Moscow", &bytes).expect("a valid zone file"),
        Err(e) => {
            eprintln!("{path}: {e}; using a fixed MSK zone for the monotonic case");
            TimeZone::fixed(FixedZone::new("MSK", 10_800).expect("a valid offset"))
        }
    }
}

fn bench(c: &mut Criterion) {
    let instant = Timestamp::new(SECS, NANOS).expect("nanos below a second");
    let msk = FixedZone::new("MSK", 10_800).expect("a valid offset");
    let t = GoTime::new(instant, msk);
    let local = moscow();
    println!("formats: {t}");

    let mut buf = String::with_capacity(64);
    c.bench_function("write_go_string", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&t).write_go_string(&mut buf);
            black_box(&buf);
        })
    });
    c.bench_function("to_string", |b| b.iter(|| black_box(&t).to_string()));

    let mut buf = String::with_capacity(80);
    let sample = GoTime::new(instant, local.zone_at(instant)).with_monotonic(MONOTONIC);
    println!("formats: {sample}");
    c.bench_function("zone_at+write_go_string+monotonic", |b| {
        b.iter(|| {
            let instant = black_box(instant);
            let t = GoTime::new(instant, black_box(&local).zone_at(instant))
                .with_monotonic(black_box(MONOTONIC));
            buf.clear();
            t.write_go_string(&mut buf);
            black_box(&buf);
        })
    });
    c.bench_function("rfc3339_nano", |b| b.iter(|| black_box(&t).rfc3339_nano()));

    // zone_at alone: inside the transition table (Moscow, 2018) and past it,
    // where a DST footer rule is evaluated (New York, 2040).
    c.bench_function("zone_at/table", |b| {
        b.iter(|| black_box(&local).zone_at(black_box(instant)))
    });
    let new_york = std::fs::read("/usr/share/zoneinfo/America/New_York")
        .ok()
        .and_then(|bytes| TimeZone::from_tzif("America/New_York", &bytes).ok());
    if let Some(new_york) = new_york {
        let in_2040 = Timestamp::new(2_225_000_000, 0).expect("valid");
        c.bench_function("zone_at/footer_rule", |b| {
            b.iter(|| black_box(&new_york).zone_at(black_box(in_2040)))
        });
    }

    // Format(layout): the same layouts as BenchmarkFormat* in
    // scripts/bench-core/string_test.go; `format` allocates its result as
    // Go's Format does, `write_format` appends to a reused buffer as Go's
    // AppendFormat into a reused slice.
    for (name, layout) in LAYOUTS {
        c.bench_function(&format!("format/{name}"), |b| {
            b.iter(|| black_box(&t).format(black_box(layout)))
        });
    }
    let mut turn = 0;
    c.bench_function("format/custom-changing", |b| {
        b.iter(|| {
            turn = (turn + 1) % CHANGING.len();
            black_box(&t).format(black_box(CHANGING[turn]))
        })
    });
    let mut buf = String::with_capacity(64);
    for (name, layout) in LAYOUTS {
        println!("formats: {name} {}", t.format(layout));
        c.bench_function(&format!("write_format/{name}"), |b| {
            b.iter(|| {
                buf.clear();
                black_box(&t).write_format(black_box(layout), &mut buf);
                black_box(&buf);
            })
        });
    }

    let body = TimeResponse::time(t.to_string());
    c.bench_function("to_go_json", |b| b.iter(|| black_box(&body).to_go_json()));
    c.bench_function("nanotime_body", |b| {
        b.iter(|| {
            let n = black_box(instant).unix_nano().expect("2018 is in range");
            TimeResponse::nano_time(n).to_go_json()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
