//! What the pod benchmarks read off the machine and how they summarise it:
//! a process's CPU time and peak RSS and a core's busy share from `/proc`,
//! wrk's report, medians, and the knobs given in the environment.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A knob from the environment, else `default`; a bad value exits 2.
pub fn knob<T: FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Err(_) => default,
        Ok(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("bench-pod: {name}={v:?} is not a valid value");
            std::process::exit(2)
        }),
    }
}

/// User + system CPU seconds a process has used so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/stat: {e}"));
    // Fields after the ")" that closes the command name: utime is the 14th
    // field of the line, stime the 15th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("a stat line has the command in parentheses")
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / clock_ticks()
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`).
fn clock_ticks() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf is part of libc-bin");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("CLK_TCK is a number")
}

/// Peak resident memory of a process, MiB (`VmHWM`).
pub fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kib| kib.parse::<f64>().ok())
        .map(|kib| kib / 1024.0)
        .expect("a live process has VmHWM")
}

/// Busy and total jiffies of one CPU so far (`/proc/stat`), to tell
/// whether a core was saturated over an interval.
#[derive(Debug, Clone, Copy)]
pub struct CpuTimes {
    busy: u64,
    total: u64,
}

impl CpuTimes {
    /// The counters of CPU `cpu` (e.g. "0") now.
    pub fn of(cpu: &str) -> CpuTimes {
        let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
        let name = format!("cpu{cpu} ");
        let line = stat
            .lines()
            .find(|l| l.starts_with(&name))
            .unwrap_or_else(|| panic!("no CPU {cpu} in /proc/stat"));
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        // user nice system idle iowait irq softirq steal (guest time is in user).
        let total: u64 = v.iter().take(8).sum();
        CpuTimes {
            busy: total - v[3] - v[4],
            total,
        }
    }

    /// The share of the time since `earlier` this CPU was busy, in %.
    pub fn busy_percent_since(self, earlier: CpuTimes) -> f64 {
        let total = self.total.saturating_sub(earlier.total).max(1);
        100.0 * self.busy.saturating_sub(earlier.busy) as f64 / total as f64
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    assert!(!values.is_empty(), "the median of nothing");
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// A row of a result table: one figure of each run, how it is printed,
/// whether the worst run is shown instead of the median, and whether a
/// ratio ours/theirs means something.
#[derive(Debug)]
pub struct Row<S> {
    pub label: &'static str,
    pub get: fn(&S) -> f64,
    pub fmt: fn(f64) -> String,
    pub worst: bool,
    pub ratio: bool,
}

/// Runs of two sides (ours first), measured in rounds.
#[derive(Debug)]
pub struct Rounds<K, S> {
    sides: [K; 2],
    runs: Vec<(K, S)>,
    /// ours/theirs of the first figure, within each round.
    paired: Vec<f64>,
}

impl<K: Copy + PartialEq, S> Rounds<K, S> {
    /// `rounds` rounds of one run of each side, back to back, in an order
    /// that alternates from round to round; `first` is the figure whose
    /// within-round ratio is kept (this VM's speed drifts over tens of
    /// seconds, so ratios of runs seconds apart are what can be compared).
    pub fn measure(
        rounds: usize,
        sides: [K; 2],
        first: fn(&S) -> f64,
        mut run: impl FnMut(usize, K) -> S,
    ) -> Rounds<K, S> {
        let mut all = Rounds {
            sides,
            runs: Vec::new(),
            paired: Vec::new(),
        };
        for round in 0..rounds {
            let mut order = sides;
            if round % 2 == 1 {
                order.reverse();
            }
            let mut figure = [0.0; 2];
            for side in order {
                let sample = run(round, side);
                figure[usize::from(side != sides[0])] = first(&sample);
                all.runs.push((side, sample));
            }
            all.paired.push(figure[0] / figure[1]);
        }
        all
    }

    fn of(&self, side: K) -> Vec<&S> {
        self.runs
            .iter()
            .filter(|(k, _)| *k == side)
            .map(|(_, s)| s)
            .collect()
    }

    /// Prints a markdown table, ours against theirs, a row per [`Row`]:
    /// the median (or worst) of each side's runs and their ratio; the
    /// first row's ratio is the median of the within-round ratios.
    pub fn print(&self, header: [&str; 3], rows: &[Row<S>]) {
        let summary = |runs: &[&S], row: &Row<S>| {
            let values: Vec<f64> = runs.iter().map(|s| (row.get)(s)).collect();
            if row.worst {
                values.iter().copied().fold(0.0, f64::max)
            } else {
                median(&values)
            }
        };
        let (ours, theirs) = (self.of(self.sides[0]), self.of(self.sides[1]));
        println!();
        println!(
            "| {} ({} rounds) | {} | {} | ours / theirs |",
            header[0],
            self.paired.len(),
            header[1],
            header[2]
        );
        println!("|---|---:|---:|---:|");
        for (i, row) in rows.iter().enumerate() {
            let (o, t) = (summary(&ours, row), summary(&theirs, row));
            let ratio = match (row.ratio, i) {
                (true, 0) => format!("{:.2}×", median(&self.paired)),
                (true, _) if t > 0.0 => format!("{:.2}×", o / t),
                _ => String::new(),
            };
            println!(
                "| {} | {} | {} | {ratio} |",
                row.label,
                (row.fmt)(o),
                (row.fmt)(t)
            );
        }
        println!();
        println!(
            "{}: the ratio is the median of ours/theirs within each round ({}); the others are ratios of the medians.",
            rows[0].label,
            self.paired.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(", ")
        );
    }
}

/// What wrk reported for one run.
#[derive(Debug, Clone)]
pub struct Wrk {
    /// `Requests/sec:`
    pub requests_per_s: f64,
    /// Responses received (`N requests in ...`).
    pub requests: u64,
    /// The 99th percentile latency in µs (`--latency`).
    pub p99_us: f64,
    /// wrk's `Non-2xx` and `Socket errors` lines, if any.
    pub errors: String,
}

impl Wrk {
    /// Parses wrk's report.
    pub fn parse(report: &str) -> Wrk {
        let field = |prefix: &str| {
            report
                .lines()
                .map(str::trim)
                .find_map(|l| l.strip_prefix(prefix))
                .map(str::trim)
                .unwrap_or_else(|| panic!("wrk's report has no {prefix:?}:\n{report}"))
        };
        let requests_per_s = field("Requests/sec:").parse().expect("a number");
        let requests = report
            .lines()
            .find(|l| l.contains("requests in"))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("wrk's report has no request count:\n{report}"));
        let p99_us = duration_us(field("99%"));
        let errors = report
            .lines()
            .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("; ");
        Wrk {
            requests_per_s,
            requests,
            p99_us,
            errors,
        }
    }
}

/// wrk's `1.23ms` in µs.
fn duration_us(text: &str) -> f64 {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (value, unit) = text.split_at(split);
    let value: f64 = value
        .parse()
        .unwrap_or_else(|_| panic!("not a duration: {text:?}"));
    value
        * match unit {
            "us" => 1.0,
            "ms" => 1e3,
            "s" => 1e6,
            "m" => 6e7,
            _ => panic!("not a duration unit: {text:?}"),
        }
}

/// `1234567` as `1,234,567`.
pub fn group_thousands(v: f64) -> String {
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The wall clock, ns since 1970 (what conmon stamps log entries with).
pub fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos() as i128
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_wrk_prints() {
        let report = "Running 2s test @ http://127.0.0.1:1/time\n  1 threads and 16 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency   810.50us  1.10ms  20.93ms   91.36%\n  Latency Distribution\n     50%  488.00us\n     75%  0.89ms\n     90%    1.73ms\n     99%    5.48ms\n  38112 requests in 2.00s, 7.05MB read\n  Non-2xx or 3xx responses: 3\nRequests/sec:  19052.92\nTransfer/sec:      3.53MB\n";
        let wrk = Wrk::parse(report);
        assert_eq!(wrk.requests, 38112);
        assert_eq!(wrk.requests_per_s, 19052.92);
        assert!((wrk.p99_us - 5480.0).abs() < 1e-6);
        assert_eq!(wrk.errors, "Non-2xx or 3xx responses: 3");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
