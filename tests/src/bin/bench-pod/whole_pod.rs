//! The whole pod, end to end: the Deployment rendered from `manifests/`,
//! played by podman as a kubelet would run it (limits and all; see
//! `e2e::pod` for what podman needs changed), loaded by wrk through the
//! server's host port for DURATION seconds, then every request line counted
//! in `podman logs` of the sidecar against the server's own log. Next to it,
//! the same pod shape (same manifest, same limits, same volume and user)
//! with the chapter's Go service as the server, writing its log to the same
//! file on the volume, and busybox `tail -n+1 -F` of that file as the
//! sidecar, the Kubernetes docs' streaming sidecar.
//!
//! Per run: requests/s and p99 (wrk -t1, CONNS connections), the request
//! lines the server logged (its container log), those lost or repeated by
//! the sidecar (multiset difference of the line texts), how long after the
//! load the sidecar's last line reached its log (it waits at most
//! DRAIN_TIMEOUT, or DRAIN_QUIET seconds without a new line), and the CPU
//! time of the sidecar, of the conmon reading the sidecar's stdout, and of
//! the server. The pod's processes are pinned to POD_CPU (podman runs under
//! `taskset`, and conmon, the containers and the host port's forwarder
//! inherit it), wrk to LOAD_CPU. REPS runs of each pod, alternating.
//!
//! The host port is podman's, as the pod test uses it: on the slirp4netns
//! network, podman's rootlessport accepts on 127.0.0.1 and relays every
//! connection in user space into the pod, on the pod's core; its CPU is
//! measured too, since it is part of what bounds requests/s here (a
//! kubelet's hostPort is a kernel DNAT rule instead).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use e2e::pod::{PlayedPod, PodmanDeployment};
use e2e::podman::Lab;
use e2e::{http, request_lines, tools, wait};
use serde_json::json;

use crate::ctr_log::CtrLog;
use crate::measure::{cpu_seconds, group_thousands, knob, now_ns, CpuTimes, Rounds, Row, Wrk};
use crate::{BUSYBOX_IMAGE, GO_IMAGE, OUR_IMAGE};

/// The chapter's per-request log message (its `log.Print`).
const CHAPTER_REQUEST_LINE: &str = "Вызов функции ";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// time-server + log-sidecar, as the manifests are.
    Ours,
    /// The chapter's Go service + busybox `tail -F`, in the same pod shape.
    Chapter,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Ours => "time-server + log-sidecar",
            Shape::Chapter => "chapter's Go + busybox tail -F",
        }
    }

    fn spec(self, kubectl: &Path) -> PodmanDeployment {
        let mut spec = PodmanDeployment::from_manifests(kubectl, OUR_IMAGE);
        if self == Shape::Chapter {
            chapter_shape(&mut spec);
        }
        spec
    }

    /// Both containers up: ours by their probes' endpoints; the chapter's
    /// (which has none) by an answer and its log line reaching the sidecar.
    fn wait_ready(self, pod: &PlayedPod<'_>) {
        if self == Shape::Ours {
            pod.wait_ready();
            return;
        }
        let url = format!("{}/time", pod.server);
        wait::until(
            &url,
            Duration::from_secs(60),
            Duration::from_millis(200),
            || http::get(&url).and_then(|a| if a.status == 200 { Ok(()) } else { Err(a.body) }),
        );
        wait::until(
            "busybox tail to forward the first request line",
            Duration::from_secs(30),
            Duration::from_millis(200),
            || {
                let out = pod.logs(&pod.sidecar_ctr);
                if request_texts(&out.stdout).is_empty() {
                    Err("none yet".to_string())
                } else {
                    Ok(())
                }
            },
        );
    }
}

/// Puts the chapter's pair into our Deployment: the Go service where the
/// server was, told to listen on the same port and to write its log to the
/// file our server writes; busybox `tail -n+1 -F` of that file where the
/// sidecar was. Everything else (securityContext, limits, the volume, the
/// grace period) stays as the manifest has it.
fn chapter_shape(spec: &mut PodmanDeployment) {
    let server = spec.container_mut("time-server");
    let env = |name: &str| {
        server["env"]
            .as_array()
            .and_then(|vars| vars.iter().find(|v| v["name"] == name))
            .and_then(|v| v["value"].as_str())
            .unwrap_or_else(|| panic!("the server's env has no {name}"))
            .to_string()
    };
    let (listen, log_file) = (env("LISTEN_ADDR"), env("LOG_FILE"));
    server.insert("image".into(), json!(GO_IMAGE));
    server.insert(
        "env".into(),
        json!([{"name": "LISTEN_ADDR", "value": listen}, {"name": "LOG_FILE", "value": log_file}]),
    );
    let sidecar = spec.container_mut("sidecar");
    sidecar.insert("image".into(), json!(BUSYBOX_IMAGE));
    sidecar.insert(
        "command".into(),
        json!(["/bin/busybox", "tail", "-n+1", "-F", log_file]),
    );
    // No admin port, no configuration: busybox has neither.
    for key in ["env", "ports", "args"] {
        sidecar.remove(key);
    }
}

/// The request lines in a container's output: ours (numbered) or the chapter's.
fn request_texts(output: &[u8]) -> Vec<&[u8]> {
    output
        .split(|&b| b == b'\n')
        .filter(|l| is_request_line(l))
        .collect()
}

fn is_request_line(line: &[u8]) -> bool {
    let text = String::from_utf8_lossy(line);
    text.contains(CHAPTER_REQUEST_LINE) || request_lines::parse(&text).is_some()
}

/// One run's figures.
#[derive(Debug)]
struct Sample {
    wrk: Wrk,
    logged: usize,
    lost: usize,
    repeated: usize,
    /// Numbers missing from our server's own `#1..#n` (its log queue full).
    server_dropped: usize,
    drain_s: f64,
    sidecar_cpu_per_m: f64,
    conmon_cpu_per_m: f64,
    server_cpu_us_per_request: f64,
    /// The CPU of rootlessport, which forwards the host port into the pod.
    forwarder_cpu_us_per_request: f64,
    /// How busy the pod's and wrk's cores were during the load, %.
    pod_core_busy: f64,
    load_core_busy: f64,
}

/// The knobs, read before anything is started: a bad one exits 2 with
/// nothing to undo.
#[derive(Debug)]
pub struct Settings {
    reps: usize,
    duration: u64,
    conns: u32,
    url_path: String,
    pod_cpu: String,
    load_cpu: String,
    quiet: Duration,
    drain_timeout: Duration,
}

impl Settings {
    pub fn from_env() -> Settings {
        Settings {
            reps: knob("REPS", 3),
            duration: knob("DURATION", 10),
            conns: knob("CONNS", 16),
            url_path: knob("URL_PATH", "/time".to_string()),
            pod_cpu: knob("POD_CPU", "0".to_string()),
            load_cpu: knob("LOAD_CPU", "1".to_string()),
            quiet: Duration::from_secs(knob("DRAIN_QUIET", 5)),
            drain_timeout: Duration::from_secs(knob("DRAIN_TIMEOUT", 120)),
        }
    }
}

struct Bench<'a> {
    lab: &'a Lab,
    kubectl: &'a Path,
    settings: &'a Settings,
}

pub fn run(lab: &Lab, kubectl: &Path, settings: &Settings) {
    let bench = Bench {
        lab,
        kubectl,
        settings,
    };
    let reps = settings.reps;
    eprintln!(
        "bench-pod pod: {reps} runs of each pod; wrk -t1 -c{} -d{}s GET {} on CPU {}, the pod on CPU {}",
        settings.conns, settings.duration, settings.url_path, settings.load_cpu, settings.pod_cpu
    );
    let runs = Rounds::measure(
        reps,
        [Shape::Ours, Shape::Chapter],
        |s: &Sample| s.wrk.requests_per_s,
        |round, shape| {
            let s = bench.one_run(shape);
            eprintln!(
                "run {} {:<32} {:>8.0} req/s  p99 {:.2} ms  {} lines: lost {}, repeated {}, server dropped {}  last line {:.2} s after the load  sidecar CPU {:.3} s/M  its conmon {:.3} s/M  server CPU {:.1} µs/req  rootlessport {:.1} µs/req  cores busy {:.0}% / {:.0}%{}",
                round + 1,
                shape.name(),
                s.wrk.requests_per_s,
                s.wrk.p99_us / 1000.0,
                s.logged,
                s.lost,
                s.repeated,
                s.server_dropped,
                s.drain_s,
                s.sidecar_cpu_per_m,
                s.conmon_cpu_per_m,
                s.server_cpu_us_per_request,
                s.forwarder_cpu_us_per_request,
                s.pod_core_busy,
                s.load_core_busy,
                if s.wrk.errors.is_empty() { String::new() } else { format!("  wrk: {}", s.wrk.errors) }
            );
            s
        },
    );
    bench.report(&runs);
}

impl Bench<'_> {
    fn one_run(&self, shape: Shape) -> Sample {
        let spec = shape.spec(self.kubectl);
        let mut podman = Command::new("taskset");
        podman.args(["-c", &self.settings.pod_cpu, "podman"]);
        self.lab.bind(&mut podman);
        let pod = PlayedPod::play_with(self.lab, &spec, &mut podman);
        shape.wait_ready(&pod);

        let pid = |ctr: &str, field: &str| -> u32 {
            pod.inspect(ctr, &format!("{{{{.State.{field}}}}}"))
                .parse()
                .unwrap_or_else(|e| panic!("{ctr} {field}: {e}"))
        };
        let (server, sidecar) = (pid(&pod.server_ctr, "Pid"), pid(&pod.sidecar_ctr, "Pid"));
        let conmon = pid(&pod.sidecar_ctr, "ConmonPid");
        let limit =
            |ctr: &str| pod.inspect(ctr, "{{.HostConfig.CpuQuota}}/{{.HostConfig.CpuPeriod}}");
        eprintln!(
            "  {}: CPUs allowed: server {}, sidecar {}, its conmon {}; CPU quota/period µs: server {}, sidecar {}",
            shape.name(),
            cpus_allowed(server),
            cpus_allowed(sidecar),
            cpus_allowed(conmon),
            limit(&pod.server_ctr),
            limit(&pod.sidecar_ctr)
        );
        let log_of = |ctr: &str| {
            CtrLog::new(Path::new(
                &pod.inspect(ctr, "{{.HostConfig.LogConfig.Path}}"),
            ))
        };
        let (mut server_log, mut sidecar_log) = (log_of(&pod.server_ctr), log_of(&pod.sidecar_ctr));
        let forwarder = port_forwarder_of(&pod);
        let cpu_before = [
            cpu_seconds(sidecar),
            cpu_seconds(conmon),
            cpu_seconds(server),
            cpu_seconds(forwarder),
        ];

        let mut wrk = Command::new("taskset");
        wrk.args(["-c", &self.settings.load_cpu, "wrk", "-t1"])
            .arg(format!("-c{}", self.settings.conns))
            .arg(format!("-d{}s", self.settings.duration))
            .arg("--latency")
            .arg(format!("{}{}", pod.server, self.settings.url_path));
        let cores = (
            CpuTimes::of(&self.settings.pod_cpu),
            CpuTimes::of(&self.settings.load_cpu),
        );
        let wrk = Wrk::parse(&tools::stdout_of(&mut wrk));
        let pod_core_busy = CpuTimes::of(&self.settings.pod_cpu).busy_percent_since(cores.0);
        let load_core_busy = CpuTimes::of(&self.settings.load_cpu).busy_percent_since(cores.1);
        let load_ended = now_ns();

        // Until the sidecar has as many request lines as the server logged,
        // or nothing new arrived for `quiet`, or the timeout.
        let (mut logged, mut forwarded, mut last_stamp) = (0usize, 0usize, load_ended);
        let (started, mut changed) = (Instant::now(), Instant::now());
        loop {
            server_log.read_new(|l| logged += usize::from(is_request_line(l.text)));
            let before = forwarded;
            sidecar_log.read_new(|l| {
                if l.stdout && is_request_line(l.text) {
                    forwarded += 1;
                    last_stamp = l.stamp_ns;
                }
            });
            if forwarded != before {
                changed = Instant::now();
            }
            if forwarded >= logged
                || changed.elapsed() >= self.settings.quiet
                || started.elapsed() >= self.settings.drain_timeout
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let cpu_after = [
            cpu_seconds(sidecar),
            cpu_seconds(conmon),
            cpu_seconds(server),
            cpu_seconds(forwarder),
        ];

        // What a user sees: `kubectl logs` of the server and of the sidecar.
        let server_out = pod.logs(&pod.server_ctr);
        let sidecar_out = pod.logs(&pod.sidecar_ctr);
        let mut server_lines = request_texts(&server_out.stdout);
        server_lines.extend(request_texts(&server_out.stderr));
        let forwarded_lines = request_texts(&sidecar_out.stdout);
        let (lost, repeated) = multiset_difference(&server_lines, &forwarded_lines);
        let server_dropped = our_numbering_gaps(&server_lines);
        pod.down();

        let millions = forwarded_lines.len().max(1) as f64 / 1e6;
        Sample {
            logged: server_lines.len(),
            lost,
            repeated,
            server_dropped,
            drain_s: ((last_stamp - load_ended) as f64 / 1e9).max(0.0),
            sidecar_cpu_per_m: (cpu_after[0] - cpu_before[0]) / millions,
            conmon_cpu_per_m: (cpu_after[1] - cpu_before[1]) / millions,
            server_cpu_us_per_request: (cpu_after[2] - cpu_before[2]) * 1e6
                / wrk.requests.max(1) as f64,
            forwarder_cpu_us_per_request: (cpu_after[3] - cpu_before[3]) * 1e6
                / wrk.requests.max(1) as f64,
            pod_core_busy,
            load_core_busy,
            wrk,
        }
    }

    fn report(&self, runs: &Rounds<Shape, Sample>) {
        let row = |label, get, fmt: fn(f64) -> String, worst, ratio| Row {
            label,
            get,
            fmt,
            worst,
            ratio,
        };
        let two: fn(f64) -> String = |v| format!("{v:.2}");
        let rows = [
            row(
                "requests/s",
                |s: &Sample| s.wrk.requests_per_s,
                group_thousands,
                false,
                true,
            ),
            row(
                "p99 latency, ms",
                |s| s.wrk.p99_us / 1000.0,
                two,
                false,
                true,
            ),
            row(
                "request lines the server logged",
                |s| s.logged as f64,
                group_thousands,
                false,
                false,
            ),
            row(
                "lost by the sidecar (worst run)",
                |s| s.lost as f64,
                group_thousands,
                true,
                false,
            ),
            row(
                "repeated by the sidecar (worst run)",
                |s| s.repeated as f64,
                group_thousands,
                true,
                false,
            ),
            row(
                "dropped by the server itself (worst run)",
                |s| s.server_dropped as f64,
                group_thousands,
                true,
                false,
            ),
            row(
                "last line in `podman logs`, s after the load",
                |s| s.drain_s,
                two,
                false,
                false,
            ),
            row(
                "sidecar CPU s per million lines",
                |s| s.sidecar_cpu_per_m,
                |v| format!("{v:.3}"),
                false,
                true,
            ),
            row(
                "its conmon's CPU s per million lines",
                |s| s.conmon_cpu_per_m,
                |v| format!("{v:.3}"),
                false,
                true,
            ),
            row(
                "server CPU µs per request",
                |s| s.server_cpu_us_per_request,
                |v| format!("{v:.1}"),
                false,
                true,
            ),
            row(
                "rootlessport (the host port's forwarder) CPU µs per request",
                |s| s.forwarder_cpu_us_per_request,
                |v| format!("{v:.1}"),
                false,
                false,
            ),
            row(
                "busy % of the pod's core during the load",
                |s| s.pod_core_busy,
                |v| format!("{v:.0}"),
                false,
                false,
            ),
            row(
                "busy % of wrk's core during the load",
                |s| s.load_core_busy,
                |v| format!("{v:.0}"),
                false,
                false,
            ),
        ];
        let header = format!(
            "medians; wrk -t1 -c{} -d{}s GET {} through the host port",
            self.settings.conns, self.settings.duration, self.settings.url_path
        );
        runs.print([&header, Shape::Ours.name(), Shape::Chapter.name()], &rows);
    }
}

/// (lost, repeated): lines of `logged` missing from `forwarded`, and
/// copies in `forwarded` beyond those logged, counting equal texts.
fn multiset_difference(logged: &[&[u8]], forwarded: &[&[u8]]) -> (usize, usize) {
    let mut balance: HashMap<&[u8], i64> = HashMap::new();
    for l in logged {
        *balance.entry(l).or_default() += 1;
    }
    for l in forwarded {
        *balance.entry(l).or_default() -= 1;
    }
    let lost = balance.values().filter(|&&b| b > 0).sum::<i64>() as usize;
    let repeated = balance
        .values()
        .filter(|&&b| b < 0)
        .map(|b| -b)
        .sum::<i64>() as usize;
    (lost, repeated)
}

/// How many numbers our server skipped in its `#1..#n` (0 for the chapter's lines).
fn our_numbering_gaps(lines: &[&[u8]]) -> usize {
    let seqs: Vec<u64> = lines
        .iter()
        .filter_map(|l| request_lines::parse(&String::from_utf8_lossy(l)).map(|r| r.seq))
        .collect();
    let max = seqs.iter().copied().max().unwrap_or(0) as usize;
    max - seqs.len().min(max)
}

/// The process that forwards the pod's host ports: podman's rootlessport,
/// which accepts on 127.0.0.1 and relays each connection in user space into
/// the pod's network namespace, whose path it holds open.
fn port_forwarder_of(pod: &PlayedPod<'_>) -> u32 {
    let infra = pod.lab().run(&[
        "pod",
        "inspect",
        &pod.name,
        "--format",
        "{{.InfraContainerID}}",
    ]);
    let netns = PathBuf::from(pod.inspect(infra.trim(), "{{.NetworkSettings.SandboxKey}}"));
    let found: Vec<u32> = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            comm.trim() == "rootlessport"
                && std::fs::read_dir(format!("/proc/{pid}/fd"))
                    .into_iter()
                    .flatten()
                    .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
                    .any(|target| target == netns)
        })
        .collect();
    match found[..] {
        [pid] => pid,
        _ => panic!(
            "expected one rootlessport holding {}, found {found:?}",
            netns.display()
        ),
    }
}

/// `Cpus_allowed_list` of a process.
fn cpus_allowed(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| "?".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_and_repeated_count_equal_lines() {
        let logged: Vec<&[u8]> = vec![b"a", b"b", b"b", b"c"];
        let forwarded: Vec<&[u8]> = vec![b"a", b"b", b"c", b"c", b"c"];
        assert_eq!(multiset_difference(&logged, &forwarded), (1, 2));
    }

    #[test]
    fn both_kinds_of_request_line_are_recognised() {
        assert!(is_request_line(
            "2026/12/01 00:45:38 Вызов функции serveTime()".as_bytes()
        ));
        assert!(is_request_line(
            b"[2026-11-26T18:00:00Z INFO  time_server::request_log] GET /time 200 87us #42"
        ));
        assert!(!is_request_line(
            "2026/12/01 00:45:38 Начало работы сервиса time-service".as_bytes()
        ));
    }

    #[test]
    fn gaps_in_our_numbering_are_counted() {
        let lines: Vec<&[u8]> = vec![
            b"GET /time 200 1us #1",
            b"GET /time 200 1us #3",
            b"GET /time 200 1us #4",
        ];
        assert_eq!(our_numbering_gaps(&lines), 1);
    }
}
