//! The reader a pod really has. In a pod, a sidecar's stdout is read by the
//! container runtime (conmon under podman, the CRI runtime's log pipe
//! reader under a kubelet), which cuts it into lines, stamps each and
//! writes it to the container's log on disk, where `kubectl logs` (here
//! `podman logs`) reads it. This measures lines/s from a pre-written file
//! of LINES numbered lines, on a shared volume, into that log, for
//! log-sidecar (our image, as the manifest runs it) and busybox `tail -F`
//! (the Kubernetes docs' streaming sidecar, `tail -n+1 -F`) in the same
//! container set-up: no network, the tool pinned to TOOL_CPU
//! (`--cpuset-cpus`), conmon to READER_CPU (podman started under
//! `taskset`), no CPU limit.
//!
//! lines/s is (LINES - 1) over the time between conmon's stamps of the
//! first and the last line: the tool and the runtime's reader working
//! together, without the container's start (reported apart: from `podman
//! start` to the last line). Every run is checked: `podman logs` must give
//! back the file, byte for byte. ROUNDS rounds of both tools back to back
//! (order alternating), ours/theirs taken within each round, medians.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e::podman::Lab;
use e2e::tools;

use crate::ctr_log::CtrLog;
use crate::measure::{
    cpu_seconds, group_thousands, knob, now_ns, peak_rss_mib, CpuTimes, Rounds, Row,
};
use crate::{line_text, BUSYBOX_IMAGE, OUR_IMAGE};

const VOLUME: &str = "bench-lines";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tool {
    LogSidecar,
    BusyboxTail,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::LogSidecar => "log-sidecar",
            Tool::BusyboxTail => "busybox tail -F",
        }
    }

    /// `podman create` arguments after the options: image and command.
    fn image_and_command(self, run: &str) -> Vec<String> {
        let args: &[&str] = match self {
            Tool::LogSidecar => &[
                "--entrypoint",
                "/usr/local/bin/log-sidecar",
                OUR_IMAGE,
                "--path",
                "/var/log/app/app.log*",
                "--admin-listen",
                "127.0.0.1:0",
            ],
            Tool::BusyboxTail => &[BUSYBOX_IMAGE, "tail", "-n+1", "-F", "/var/log/app/app.log"],
        };
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        if self == Tool::LogSidecar {
            // A fresh checkpoint per run, beside the log as in the pod.
            args.extend([
                "--checkpoint-file".into(),
                format!("/var/log/app/.checkpoint-{run}.json"),
            ]);
        }
        args
    }
}

/// One run's figures.
#[derive(Debug)]
struct Sample {
    lines_per_s: f64,
    start_to_last_s: f64,
    tool_cpu_per_m: f64,
    conmon_cpu_per_m: f64,
    rss_mib: f64,
    /// How busy the tool's and conmon's cores were, start to last line, %.
    tool_core_busy: f64,
    reader_core_busy: f64,
}

/// The knobs, read before anything is started: a bad one exits 2 with
/// nothing to undo.
#[derive(Debug)]
pub struct Settings {
    lines: usize,
    rounds: usize,
    tool_cpu: String,
    reader_cpu: String,
    timeout: Duration,
}

impl Settings {
    pub fn from_env() -> Settings {
        Settings {
            lines: knob("LINES", 1_000_000),
            rounds: knob("ROUNDS", 5),
            tool_cpu: knob("TOOL_CPU", "0".to_string()),
            reader_cpu: knob("READER_CPU", "1".to_string()),
            timeout: Duration::from_secs(knob("RUN_TIMEOUT", 300)),
        }
    }
}

struct Bench<'a> {
    lab: &'a Lab,
    settings: &'a Settings,
    file: Vec<u8>,
}

pub fn run(lab: &Lab, settings: &Settings) {
    let bench = Bench {
        lab,
        settings,
        file: Vec::new(),
    }
    .with_file();
    let (lines, rounds) = (settings.lines, settings.rounds);
    eprintln!(
        "bench-pod sidecar: {} lines ({} MB) into conmon's log; tool on CPU {}, conmon on CPU {}; {rounds} rounds",
        lines,
        bench.file.len() / 1_000_000,
        settings.tool_cpu,
        settings.reader_cpu
    );
    let rounds = Rounds::measure(
        rounds,
        [Tool::LogSidecar, Tool::BusyboxTail],
        |s: &Sample| s.lines_per_s,
        |round, tool| {
            let s = bench.one_run(
                tool,
                &format!("{}-{round}", tool.name().split(' ').next().unwrap()),
            );
            eprintln!(
                "round {} {:<16} {:>12.0} lines/s  start to last line {:.2} s  tool CPU {:.3} s/M  conmon CPU {:.3} s/M  RSS {:.1} MiB  cores busy {:.0}% / {:.0}%",
                round + 1,
                tool.name(),
                s.lines_per_s,
                s.start_to_last_s,
                s.tool_cpu_per_m,
                s.conmon_cpu_per_m,
                s.rss_mib,
                s.tool_core_busy,
                s.reader_core_busy
            );
            s
        },
    );
    bench.lab.run(&["volume", "rm", "-f", VOLUME]);
    report(&rounds);
}

fn report(rounds: &Rounds<Tool, Sample>) {
    let row = |label, get, fmt: fn(f64) -> String, ratio| Row {
        label,
        get,
        fmt,
        worst: false,
        ratio,
    };
    let rows = [
        row(
            "lines/s into podman's log (conmon), first to last line",
            |s: &Sample| s.lines_per_s,
            group_thousands,
            true,
        ),
        row(
            "s from `podman start` to the last line",
            |s| s.start_to_last_s,
            |v| format!("{v:.2}"),
            true,
        ),
        row(
            "sidecar CPU s per million lines",
            |s| s.tool_cpu_per_m,
            |v| format!("{v:.3}"),
            true,
        ),
        row(
            "conmon CPU s per million lines",
            |s| s.conmon_cpu_per_m,
            |v| format!("{v:.3}"),
            true,
        ),
        row(
            "sidecar peak RSS MiB",
            |s| s.rss_mib,
            |v| format!("{v:.1}"),
            true,
        ),
        row(
            "busy % of the sidecar's core, start to last line",
            |s| s.tool_core_busy,
            |v| format!("{v:.0}"),
            false,
        ),
        row(
            "busy % of conmon's core, start to last line",
            |s| s.reader_core_busy,
            |v| format!("{v:.0}"),
            false,
        ),
    ];
    rounds.print(
        ["medians", Tool::LogSidecar.name(), Tool::BusyboxTail.name()],
        &rows,
    );
}

impl Bench<'_> {
    /// Writes the numbered file into a fresh volume the containers' user can write.
    fn with_file(mut self) -> Self {
        self.lab.run(&["volume", "rm", "-f", VOLUME]);
        self.lab.run(&["volume", "create", VOLUME]);
        let dir = self
            .lab
            .run(&["volume", "inspect", VOLUME, "--format", "{{.Mountpoint}}"]);
        let dir = Path::new(dir.trim());
        self.file = (0..self.settings.lines)
            .map(line_text)
            .collect::<String>()
            .into_bytes();
        std::fs::write(dir.join("app.log"), &self.file).expect("writing the volume");
        // The sidecar runs as 65532 and keeps its checkpoint beside the log.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        self
    }

    fn one_run(&self, tool: Tool, run: &str) -> Sample {
        let name = format!("bench-{run}");
        let mut create = self.lab.podman();
        create
            .args(["create", "--name", &name, "--network", "none"])
            .args(["--cpuset-cpus", &self.settings.tool_cpu])
            .args(["-v", &format!("{VOLUME}:/var/log/app")])
            .args(tool.image_and_command(run));
        tools::run_ok(&mut create);
        let log_path = self.lab.run(&[
            "inspect",
            &name,
            "--format",
            "{{.HostConfig.LogConfig.Path}}",
        ]);
        let mut log = CtrLog::new(Path::new(log_path.trim()));

        // conmon is started by `podman start` and inherits its CPU affinity.
        let mut start = Command::new("taskset");
        start.args(["-c", &self.settings.reader_cpu, "podman", "start", &name]);
        self.lab.bind(&mut start);
        let cores = (
            CpuTimes::of(&self.settings.tool_cpu),
            CpuTimes::of(&self.settings.reader_cpu),
        );
        let started_ns = now_ns();
        tools::run_ok(&mut start);

        let (mut count, mut first, mut last) = (0usize, 0i128, 0i128);
        let deadline = Instant::now() + self.settings.timeout;
        while count < self.settings.lines {
            assert!(
                Instant::now() < deadline,
                "{}: {count} of {} lines reached the log within {:?}",
                tool.name(),
                self.settings.lines,
                self.settings.timeout
            );
            std::thread::sleep(Duration::from_millis(50));
            log.read_new(|line| {
                if line.stdout {
                    count += 1;
                    if count == 1 {
                        first = line.stamp_ns;
                    }
                    last = line.stamp_ns;
                }
            });
        }
        let tool_core_busy = CpuTimes::of(&self.settings.tool_cpu).busy_percent_since(cores.0);
        let reader_core_busy = CpuTimes::of(&self.settings.reader_cpu).busy_percent_since(cores.1);
        let pid: u32 = self
            .lab
            .run(&["inspect", &name, "--format", "{{.State.Pid}}"])
            .trim()
            .parse()
            .unwrap();
        let conmon: u32 = self
            .lab
            .run(&["inspect", &name, "--format", "{{.State.ConmonPid}}"])
            .trim()
            .parse()
            .unwrap();
        let millions = self.settings.lines as f64 / 1e6;
        let sample = Sample {
            lines_per_s: (self.settings.lines - 1) as f64 / ((last - first) as f64 / 1e9),
            start_to_last_s: (last - started_ns) as f64 / 1e9,
            tool_cpu_per_m: cpu_seconds(pid) / millions,
            conmon_cpu_per_m: cpu_seconds(conmon) / millions,
            rss_mib: peak_rss_mib(pid),
            tool_core_busy,
            reader_core_busy,
        };
        self.check_logs(tool, &name);
        self.lab.run(&["rm", "--force", "--time", "0", &name]);
        sample
    }

    /// `podman logs` must give back the file exactly: every line once, in order.
    fn check_logs(&self, tool: Tool, name: &str) {
        let out = tools::run_ok(self.lab.podman().args(["logs", name]));
        if out.stdout != self.file {
            let got = String::from_utf8_lossy(&out.stdout);
            let want = String::from_utf8_lossy(&self.file);
            let first_difference = got
                .lines()
                .zip(want.lines())
                .position(|(g, w)| g != w)
                .unwrap_or(got.lines().count().min(want.lines().count()));
            panic!(
                "{}: podman logs {name} is not the file: {} lines against {}, first difference at line {first_difference}",
                tool.name(),
                got.lines().count(),
                want.lines().count()
            );
        }
    }
}
