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
        cmd.arg(mode);
        setup(&mut cmd);
        let mut child = cmd
            .env_remove("ZONEINFO")
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

/// Seconds since the epoch of a UTC civil time (Hinnant's
/// `days_from_civil`), computed independently of the crate under test.
pub fn unix_of(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3_600 + mm * 60 + ss
}
