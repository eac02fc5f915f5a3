//! The pod for real: the image built from the repository's Dockerfile with
//! podman, the rendered base manifest run with `podman kube play` (podman's
//! stand-in for a kubelet), a real Prometheus scraping both containers, and
//! a stop that sends SIGTERM as the kubelet does. Everything is torn down at
//! the end, pass or fail: the pod and all podman state (the lab directory),
//! and Prometheus by its PID.
//!
//! What podman cannot do like a kubelet, and how the manifest is adapted
//! (nothing else is changed):
//! - image: the locally built `localhost/...` image, `imagePullPolicy: Never`;
//! - ports: each containerPort gets a `hostPort` on a free 127.0.0.1 port
//!   (podman would otherwise publish it on the same, possibly busy, host
//!   port); all traffic goes through those, never to the pod's own address;
//! - probes: dropped, because podman runs an httpGet probe as `curl` inside
//!   the container and the scratch image has none; the test polls
//!   `/healthz` and `/readyz` itself instead;
//! - Downward API: podman 4.3 fills `metadata.name` but not
//!   `metadata.namespace` or `spec.nodeName`; those become literal values.

use std::process::Command;
use std::time::Duration;

use e2e::kustomize;
use e2e::podman::Lab;
use e2e::process::Running;
use e2e::prometheus::Prometheus;
use e2e::request_lines::{self, RequestLine};
use e2e::{go_shape, http, tools, wait, workspace};
use serde_json::{json, Value};

const IMAGE: &str = "localhost/time-service:e2e";
/// The issue's budget for the image.
const MAX_IMAGE_BYTES: u64 = 15_000_000;

/// The base Deployment, adapted for podman as the module doc says; returns
/// it with the host ports chosen for `http` (server) and `admin` (sidecar).
fn deployment_for_podman(kubectl: &std::path::Path) -> (Value, u16, u16) {
    let base = kustomize::render(kubectl, "manifests");
    let mut deployment = base.get("Deployment", "time-service").clone();
    let (http_port, admin_port) = (http::free_port(), http::free_port());
    let containers = deployment["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .expect("the Deployment has containers");
    for c in containers.iter_mut() {
        let c = c.as_object_mut().expect("a container is an object");
        c.insert("image".into(), json!(IMAGE));
        c.insert("imagePullPolicy".into(), json!("Never"));
        for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
            c.remove(probe);
        }
        for port in c["ports"].as_array_mut().expect("containers declare ports") {
            let host_port = match port["name"].as_str() {
                Some("http") => http_port,
                Some("admin") => admin_port,
                other => panic!("unexpected port {other:?}"),
            };
            port["hostPort"] = json!(host_port);
            port["hostIP"] = json!("127.0.0.1");
        }
        for var in c
            .get_mut("env")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let field = var["valueFrom"]["fieldRef"]["fieldPath"]
                .as_str()
                .map(str::to_string);
            if let Some(field @ ("metadata.namespace" | "spec.nodeName")) = field.as_deref() {
                let value = if field == "metadata.namespace" {
                    "default"
                } else {
                    "podman"
                };
                let var = var.as_object_mut().expect("an env var is an object");
                var.remove("valueFrom");
                var.insert("value".into(), json!(value));
            }
        }
    }
    (deployment, http_port, admin_port)
}

/// The request lines in a container's stdout, as `podman logs` (podman's
/// `kubectl logs`) shows them. Only stdout: the sidecar's stderr carries its
/// own diagnostics, including its admin endpoint's request lines, which
/// have their own numbering.
fn podman_logs(lab: &Lab, container: &str) -> Vec<RequestLine> {
    let out = tools::run_ok(lab.podman().args(["logs", container]));
    request_lines::parse_all(&String::from_utf8_lossy(&out.stdout))
}

/// Waits until the sidecar has forwarded the line with sequence number `seq`.
fn wait_forwarded(lab: &Lab, sidecar: &str, seq: u64) {
    wait::until(
        &format!("the sidecar to forward line #{seq}"),
        Duration::from_secs(30),
        Duration::from_millis(200),
        || {
            let forwarded = podman_logs(lab, sidecar);
            match forwarded.last() {
                Some(last) if last.seq >= seq => Ok(()),
                last => Err(format!("last forwarded: {last:?}")),
            }
        },
    );
}

#[test]
fn the_pod_serves_forwards_every_line_is_scraped_and_stops_cleanly() {
    let test = "the_pod_serves_forwards_every_line_is_scraped_and_stops_cleanly";
    let Some(found) = tools::require(
        test,
        &[
            "podman",
            "runc",
            "catatonit",
            "slirp4netns",
            "kubectl",
            "python3",
            "prometheus",
            "cargo",
        ],
    ) else {
        return;
    };
    if !tools::is_root() {
        tools::missing(test, "podman here runs rootful: the test needs root");
        return;
    }
    let (kubectl, prometheus_bin) = (&found[4], &found[6]);

    // A private podman; dropped last, so it tears down whatever is left.
    let lab = Lab::start();

    // Build the image as a user without a registry would (static binaries
    // stand in for the Dockerfile's builder stage), and check what we ship.
    let mut build = Command::new(workspace::root().join("scripts/pod/build-image.sh"));
    build.arg(IMAGE);
    lab.bind(&mut build);
    let size: u64 = tools::stdout_of(&mut build)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("build-image.sh prints the image size last");
    eprintln!("image {IMAGE}: {size} bytes");
    assert!(
        size < MAX_IMAGE_BYTES,
        "image is {size} bytes, over {MAX_IMAGE_BYTES}"
    );
    let config: Value = serde_json::from_str(&lab.run(&[
        "image",
        "inspect",
        IMAGE,
        "--format",
        "{{json .Config}}",
    ]))
    .unwrap();
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(config["Entrypoint"], json!(["/usr/local/bin/time-server"]));
    assert!(config["ExposedPorts"].get("8080/tcp").is_some(), "{config}");

    // kube play the rendered base manifest.
    let (deployment, http_port, admin_port) = deployment_for_podman(kubectl);
    let manifest = lab.dir().join("time-service.yaml");
    std::fs::write(&manifest, kustomize::to_yaml_stream(&[deployment])).unwrap();
    lab.run(&[
        "kube",
        "play",
        "--network",
        "slirp4netns",
        manifest.to_str().unwrap(),
    ]);
    let pods = lab.run(&["pod", "ps", "--format", "{{.Name}}"]);
    let pod = pods.trim().to_string();
    assert!(
        !pod.is_empty() && !pod.contains('\n'),
        "expected one pod, got {pods:?}"
    );
    let (server_ctr, sidecar_ctr) = (format!("{pod}-time-server"), format!("{pod}-sidecar"));
    let server = format!("http://127.0.0.1:{http_port}");
    let admin = format!("http://127.0.0.1:{admin_port}");
    for url in [
        format!("{server}/healthz"),
        format!("{server}/readyz"),
        format!("{admin}/healthz"),
        format!("{admin}/readyz"),
    ] {
        wait::until(
            &url,
            Duration::from_secs(60),
            Duration::from_millis(200),
            || {
                http::get(&url).and_then(|a| {
                    if a.status == 200 {
                        Ok(())
                    } else {
                        Err(format!("{} {}", a.status, a.body))
                    }
                })
            },
        );
    }

    // The shared volume as the sidecar sees it, read from the host.
    let log_dir = std::path::PathBuf::from(
        lab.run(&["volume", "inspect", "logs", "--format", "{{.Mountpoint}}"])
            .trim(),
    );

    // Prometheus scrapes both containers through their host ports.
    let prometheus = Prometheus::start(
        prometheus_bin,
        &[
            ("time-server", format!("127.0.0.1:{http_port}")),
            ("sidecar", format!("127.0.0.1:{admin_port}")),
        ],
    );

    // A user's session: the chapter's endpoints, Go-shaped, in UTC (a scratch
    // image has no time zone database, as with the Go binary).
    const N: usize = 20;
    for _ in 0..N {
        let time = http::get_ok(&format!("{server}/time"));
        assert_eq!(go_shape::check_time(&time.body).unwrap(), "+0000 UTC");
        let nano = http::get_ok(&format!("{server}/nanotime"));
        go_shape::check_nanotime(&nano.body, 60).unwrap();
    }

    // Prometheus: both targets up, and the request counter counts our requests.
    wait::until(
        "Prometheus to see both targets up and all /time requests",
        Duration::from_secs(30),
        Duration::from_millis(500),
        || {
            let up = prometheus.query("up")?;
            let up_jobs: Vec<String> = up
                .iter()
                .filter(|(_, v)| *v == 1.0)
                .map(|(m, _)| m["job"].as_str().unwrap_or("").to_string())
                .collect();
            let time = prometheus.query(
                r#"sum(http_requests_total{job="time-server",route="/time",status="200"})"#,
            )?;
            let nano = prometheus.query(
                r#"sum(http_requests_total{job="time-server",route="/nanotime",status="200"})"#,
            )?;
            let forwarded =
                prometheus.query(r#"sum(log_sidecar_lines_forwarded_total{job="sidecar"})"#)?;
            let value = |r: &[(Value, f64)]| r.first().map(|(_, v)| *v);
            let state = format!(
                "up: {up_jobs:?}, /time: {:?}, /nanotime: {:?}, forwarded: {:?}",
                value(&time),
                value(&nano),
                value(&forwarded)
            );
            let both_up = up_jobs.len() == 2
                && up_jobs.contains(&"time-server".into())
                && up_jobs.contains(&"sidecar".into());
            if both_up
                && value(&time) == Some(N as f64)
                && value(&nano) == Some(N as f64)
                && value(&forwarded) >= Some(2.0 * N as f64)
            {
                Ok(())
            } else {
                Err(state)
            }
        },
    );

    // `kubectl logs -c sidecar`: every line the server logged, once, in order.
    // Prometheus' scrapes keep adding lines, so while the pod runs the
    // forwarded copy must be an exact prefix that reaches our last request.
    let logged = request_lines::logged_in_dir(&log_dir);
    assert_eq!(logged.iter().filter(|l| l.path == "/time").count(), N);
    let our_last = logged
        .iter()
        .filter(|l| l.path == "/nanotime")
        .map(|l| l.seq)
        .max()
        .unwrap();
    wait_forwarded(&lab, &sidecar_ctr, our_last);
    let forwarded = podman_logs(&lab, &sidecar_ctr);
    request_lines::assert_forwarded_prefix(&request_lines::logged_in_dir(&log_dir), &forwarded);

    // Stop as the kubelet does: SIGTERM to both, SIGKILL only after the
    // manifest's grace period. The server keeps answering through its
    // shutdown delay; a request answered then must not be lost either.
    let grace = kustomize::render(kubectl, "manifests").get("Deployment", "time-service")["spec"]
        ["template"]["spec"]["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("grace period set");
    // Both containers at once, as the kubelet does, but not the pod's infra
    // container: `podman pod stop` stops that one first, and with it the
    // network, where a kubelet removes the sandbox only after the containers.
    let mut stopping: Vec<Running> = [&server_ctr, &sidecar_ctr]
        .iter()
        .map(|ctr| {
            let mut stop = lab.podman();
            stop.args(["stop", "--time", &grace.to_string(), ctr.as_str()]);
            Running::spawn(&format!("podman-stop-{ctr}"), stop, lab.dir())
        })
        .collect();
    wait::until(
        "readiness to fail after SIGTERM",
        Duration::from_secs(10),
        Duration::from_millis(50),
        || {
            let a = http::get(&format!("{server}/readyz"))?;
            if a.status == 503 {
                Ok(())
            } else {
                Err(format!("readyz {}", a.status))
            }
        },
    );
    let late = http::get_ok(&format!("{server}/time"));
    go_shape::check_time(&late.body).unwrap();
    for stop in &mut stopping {
        let stopped = stop.wait_exit(Duration::from_secs(grace + 15));
        assert!(stopped.success(), "podman stop failed: {}", stop.stderr());
    }
    for ctr in [&server_ctr, &sidecar_ctr] {
        let code = lab.run(&["inspect", ctr, "--format", "{{.State.ExitCode}}"]);
        assert_eq!(
            code.trim(),
            "0",
            "{ctr} did not exit cleanly on SIGTERM (137 = killed after the grace period)"
        );
    }

    let logged = request_lines::logged_in_dir(&log_dir);
    assert_eq!(
        logged.iter().filter(|l| l.path == "/time").count(),
        N + 1,
        "the late request was logged"
    );
    request_lines::assert_forwarded_exactly_once(&logged, &podman_logs(&lab, &sidecar_ctr));
    // And `kubectl logs deployment/time-service` (the server's stdout) agrees.
    request_lines::assert_forwarded_exactly_once(&logged, &podman_logs(&lab, &server_ctr));

    prometheus.stop();
    lab.run(&["kube", "down", manifest.to_str().unwrap()]);
    assert_eq!(
        lab.run(&["pod", "ps", "-q"]).trim(),
        "",
        "kube down removed the pod"
    );
}
