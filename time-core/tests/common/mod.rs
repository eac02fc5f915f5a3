//! Shared by the differential tests: find Debian's Go, build the Go side
//! (`tests/go/timediff`) once per test binary, talk to it over stdin and
//! stdout, and a seeded random generator so every run checks the same
//! instants and a failure can be replayed.
#![allow(dead_code)] // each test binary uses a different part

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Where Debian's `golang-go` puts the binary when it is not on PATH.
const DEBIAN_GO: &str = "/usr/lib/go/bin/go";

/// What CI means, shared by source with every crate's tests.
#[path = "../../../tests/src/test_env.rs"]
pub mod test_env;

/// The `go` command: on PATH, else Debian's location. Under CI a missing Go
/// fails the test (the test command installs it); elsewhere the test is
/// skipped with a loud message.
pub fn go_or_skip(test: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("go"))
            .find(|p| p.is_file())
    });
    let found = on_path.or_else(|| Some(PathBuf::from(DEBIAN_GO)).filter(|p| p.is_file()));
    if found.is_none() {
        test_env::missing(
            test,
            &format!(
                "`go` is not on PATH nor at {DEBIAN_GO}: install Debian's golang-go \
                 (scripts/install-test-deps.sh does) to run the differential test against real Go"
            ),
        );
    }
    found
}

/// The built Go side of the differential tests.
pub struct GoTool {
    exe: PathBuf,
}

/// Builds `tests/go/timediff` with `go` (once per test binary), offline and
/// without modules: a private GOPATH and GOCACHE under cargo's temporary
/// directory, no proxy, no cgo.
pub fn timediff(test: &str) -> Option<&'static GoTool> {
    static TOOL: OnceLock<Option<GoTool>> = OnceLock::new();
    TOOL.get_or_init(|| {
        let go = go_or_skip(test)?;
        let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("time-core-go");
        // One directory per test binary, reused run after run.
        let test_binary = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "tests".to_string());
        let exe_dir = work.join(format!("bin-{test_binary}"));
        std::fs::create_dir_all(&exe_dir).expect("create the Go build directory");
        let exe = exe_dir.join("timediff");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go/timediff");
        let out = go_command(&go, &work)
            .arg("build")
            .arg("-o")
            .arg(&exe)
            .arg(".")
            .current_dir(&src)
            .output()
            .expect("run `go build`");
        assert!(
            out.status.success(),
            "go build of {} failed:\n{}",
            src.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Some(GoTool { exe })
    })
    .as_ref()
}

/// A `go` command isolated from the machine's Go settings and the network.
pub fn go_command(go: &Path, work: &Path) -> Command {
    let mut cmd = Command::new(go);
    cmd.env("GO111MODULE", "off")
        .env("GOPATH", work.join("gopath"))
        .env("GOCACHE", work.join("gocache"))
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("CGO_ENABLED", "0")
        .env_remove("GOROOT")
        .env_remove("ZONEINFO");
    cmd
}

impl GoTool {
    /// Runs one `mode` over `input` lines and returns Go's stdout. `env`
    /// is added to the process environment (e.g. `TZ`).
    pub fn run(&self, mode: &str, input: &str, env: &[(&str, &str)]) -> String {
        String::from_utf8(self.run_bytes(mode, input, env))
            .expect("the Go helper writes UTF-8 for these inputs")
    }

    /// As [`GoTool::run`], for answers that may hold bytes that are not
    /// UTF-8 (Go prints zone abbreviations from damaged files verbatim).
    pub fn run_bytes(&self, mode: &str, input: &str, env: &[(&str, &str)]) -> Vec<u8> {
        self.run_with(mode, input, |cmd| {
            cmd.envs(env.iter().copied());
        })
    }

    /// As [`GoTool::run_bytes`], with the command adjusted by `setup`
    /// (e.g. to remove a variable rather than set it).
    pub fn run_with(&self, mode: &str, input: &str, setup: impl FnOnce(&mut Command)) -> Vec<u8> {
        let mut cmd = Command::new(&self.exe);
        // ZONEINFO only where a test sets it.
        cmd.arg(mode).env_remove("ZONEINFO");
        setup(&mut cmd);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the Go helper");
        let mut stdin = child.stdin.take().expect("stdin was piped");
        let input = input.to_string();
        // Write from another thread so a full stdout pipe cannot deadlock us.
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let out = child.wait_with_output().expect("wait for the Go helper");
        writer
            .join()
            .expect("stdin writer thread")
            .expect("write to the Go helper");
        assert!(
            out.status.success(),
            "Go helper `{mode}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

/// Lowercase hex, or "-" for the empty string (the Go side's marker).
pub fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "-".to_string();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares answers line by line and fails with the first few
/// differences and the inputs that produced them.
pub fn assert_lines_equal(what: &str, inputs: &[String], ours: &[String], go: &str) {
    let go: Vec<&str> = go.lines().collect();
    assert_eq!(
        go.len(),
        ours.len(),
        "{what}: Go answered {} lines for {} inputs",
        go.len(),
        ours.len()
    );
    let diffs: Vec<String> = ours
        .iter()
        .zip(&go)
        .zip(inputs)
        .filter(|((o, g), _)| o.as_str() != **g)
        .take(10)
        .map(|((o, g), i)| format!("  input {i}\n    go:   {g:?}\n    ours: {o:?}"))
        .collect();
    assert!(
        diffs.is_empty(),
        "{what}: {} of {} lines differ from Go, first ones:\n{}",
        ours.iter()
            .zip(&go)
            .filter(|(o, g)| o.as_str() != **g)
            .count(),
        ours.len(),
        diffs.join("\n")
    );
}

/// SplitMix64: tiny, seeded, good enough to spread test inputs.
pub struct Rng(u64);

impl Rng {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi as i128 - lo as i128 + 1) as u128;
        (lo as i128 + (self.next_u64() as u128 % span) as i128) as i64
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64 - 1) as usize]
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's
/// `days_from_civil`), in `i128` so the extreme years of an `i64` of
/// seconds fit: the tests' one calendar, independent of the crate under
/// test.
pub fn days_from_civil(y: i128, m: i128, d: i128) -> i128 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// Seconds since the epoch of a UTC civil time.
pub fn unix_of(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> i64 {
    let days = days_from_civil(y.into(), m.into(), d.into());
    let secs = days * 86_400 + i128::from(hh * 3_600 + mm * 60 + ss);
    i64::try_from(secs).expect("a civil time within the range of i64 seconds")
}

/// Go prints exact dates for seconds in this range (see the module doc),
/// with a day of margin for the zone offset.
pub const GO_MIN_SECS: i64 = -9_223_372_028_715_321_600 + 2 * 86_400;
pub const GO_MAX_SECS: i64 = i64::MAX - 62_135_596_800 - 2 * 86_400;

/// Zones worth naming: UTC, nameless ones (Go prints the offset twice),
/// offsets with minutes and with seconds, sub-minute negative offsets
/// (Go prints +0000), the widest offsets, names Go prints verbatim.
pub const ZONES: &[(&str, i32)] = &[
    ("UTC", 0),
    ("", 0),
    ("MSK", 10_800),
    ("", 10_800),
    ("+03", 10_800),
    ("EST", -18_000),
    ("IST", 19_800),
    ("", -12_600),
    ("+0545", 20_700),
    ("CHADT", 49_500),
    ("", -30),
    ("", -59),
    ("", -61),
    ("", 1),
    ("", 59),
    ("LMT", 9_017),
    ("LMT", -17_762),
    ("", -(3 * 3_600 + 1_799)),
    ("", 86_399),
    ("", -86_399),
    ("a zone with spaces", 3_600),
    ("日本", 32_400),
    ("<&>", -1),
];

/// Nanoseconds with exactly `digits` significant fraction digits (0: none).
pub fn fraction(rng: &mut Rng, digits: u32) -> u32 {
    if digits == 0 {
        return 0;
    }
    let unit = 10u32.pow(9 - digits);
    let mut n = rng.range(1, 10i64.pow(digits) - 1) as u32;
    if n % 10 == 0 {
        n += 1; // keep the last digit non-zero so the length is exact
    }
    n * unit
}

pub fn edge_instants() -> Vec<(i64, u32)> {
    let mut v = vec![
        (0, 0),
        (-1, 999_999_999),
        (1, 1),
        (unix_of(1, 1, 1, 0, 0, 0), 0),
        (unix_of(1, 1, 1, 0, 0, 0) - 1, 999_999_999),
        (unix_of(0, 12, 31, 23, 59, 59), 0),
        // UnixNano's exact ends and one nanosecond beyond each.
        (-9_223_372_037, 145_224_192),
        (-9_223_372_037, 145_224_191),
        (9_223_372_036, 854_775_807),
        (9_223_372_036, 854_775_808),
        (unix_of(1677, 9, 21, 0, 12, 43), 145_224_192),
        (unix_of(1677, 1, 1, 0, 0, 0), 0),
        (unix_of(1678, 1, 1, 0, 0, 0), 0),
        (unix_of(2262, 4, 11, 23, 47, 16), 854_775_807),
        (unix_of(2262, 12, 31, 23, 59, 59), 999_999_999),
        (unix_of(9999, 12, 31, 23, 59, 59), 999_999_999),
        (unix_of(10_000, 1, 1, 0, 0, 0), 0),
        (unix_of(-1, 1, 1, 0, 0, 0), 0),
        (unix_of(-9_999, 1, 1, 0, 0, 0), 0),
        (unix_of(-10_000, 12, 31, 23, 59, 59), 5),
        (unix_of(1_000_000, 6, 15, 12, 0, 0), 0),
        (GO_MIN_SECS, 0),
        (GO_MAX_SECS, 999_999_999),
        (1_541_974_346, 123_456_789),
    ];
    for y in [
        -400, -100, -4, 0, 4, 1600, 1700, 1900, 1968, 1972, 2000, 2004, 2024, 2100, 2400, 9996,
    ] {
        v.push((unix_of(y, 2, 28, 23, 59, 59), 999_999_999));
        v.push((unix_of(y, 2, 29, 0, 0, 0), 0)); // Mar 1 in common years
        v.push((unix_of(y, 2, 29, 12, 30, 30), 500_000_000));
        v.push((unix_of(y, 3, 1, 0, 0, 0), 0));
        v.push((unix_of(y, 12, 31, 23, 59, 59), 0));
    }
    v
}

/// Seconds of a random instant Go formats exactly; `kind` cycles through
/// Go's whole range, years -10000..12000, UnixNano's range, a day around
/// year 1, the UnixNano bounds, the epoch and year 10000, and 1900..2100.
pub fn random_secs(rng: &mut Rng, kind: u32) -> i64 {
    match kind % 5 {
        0 => rng.range(GO_MIN_SECS, GO_MAX_SECS),
        1 => rng.range(
            unix_of(-10_000, 1, 1, 0, 0, 0),
            unix_of(12_000, 1, 1, 0, 0, 0),
        ),
        2 => rng.range(-9_223_372_036, 9_223_372_035),
        3 => {
            let anchor = *rng.pick(&[
                unix_of(1, 1, 1, 0, 0, 0),
                unix_of(1677, 9, 21, 0, 12, 43),
                unix_of(2262, 4, 11, 23, 47, 16),
                0,
                unix_of(10_000, 1, 1, 0, 0, 0),
            ]);
            anchor + rng.range(-86_400, 86_400)
        }
        _ => rng.range(unix_of(1900, 1, 1, 0, 0, 0), unix_of(2100, 1, 1, 0, 0, 0)),
    }
}

/// A zone from [`ZONES`] or, as often, a random name (empty, spaces,
/// signs, non-ASCII) with a random offset below a day.
pub fn random_zone(rng: &mut Rng) -> (String, i32) {
    if rng.range(0, 1) == 0 {
        let &(n, o) = rng.pick(ZONES);
        (n.to_string(), o)
    } else {
        let len = rng.range(0, 6) as usize;
        let name: String = (0..len)
            .map(|_| *rng.pick(&['A', 'Z', 'm', '+', '-', '0', '9', ' ', 'é']))
            .collect();
        (name, rng.range(-86_399, 86_399) as i32)
    }
}
