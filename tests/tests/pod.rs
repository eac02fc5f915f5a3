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
/// Builds the image as a user without a registry would (static binaries
/// stand in for the Dockerfile's builder stage); returns its size in bytes.
fn build_image(lab: &Lab) -> u64 {
    let mut build = Command::new(workspace::root().join("scripts/pod/build-image.sh"));
    build.arg(IMAGE);
    lab.bind(&mut build);
    tools::stdout_of(&mut build)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("build-image.sh prints the image size last")
}

/// The pod `podman kube play` made from the base Deployment.
struct PlayedPod<'a> {
    lab: &'a Lab,
    manifest: std::path::PathBuf,
    server_ctr: String,
    sidecar_ctr: String,
    /// `http://127.0.0.1:<hostPort of http>`
    server: String,
    /// `http://127.0.0.1:<hostPort of admin>`
    admin: String,
    http_port: u16,
    admin_port: u16,
}

impl<'a> PlayedPod<'a> {
    fn play(lab: &'a Lab, kubectl: &std::path::Path) -> PlayedPod<'a> {
        let (deployment, http_port, admin_port) = deployment_for_podman(kubectl);
        let manifest = lab.dir().join("time-service.yaml");
        std::fs::write(&manifest, kustomize::to_yaml_stream(&[deployment])).unwrap();
        let path = manifest.to_str().expect("temp paths are UTF-8");
        lab.run(&["kube", "play", "--network", "slirp4netns", path]);
        let pods = lab.run(&["pod", "ps", "--format", "{{.Name}}"]);
        let pod = pods.trim();
        assert!(
            !pod.is_empty() && !pod.contains('\n'),
            "expected one pod, got {pods:?}"
        );
        PlayedPod {
            lab,
            server_ctr: format!("{pod}-time-server"),
            sidecar_ctr: format!("{pod}-sidecar"),
            server: format!("http://127.0.0.1:{http_port}"),
            admin: format!("http://127.0.0.1:{admin_port}"),
            manifest,
            http_port,
            admin_port,
        }
    }

    /// What the probes would check: both containers live and ready.
    fn wait_ready(&self) {
        for url in [
            format!("{}/healthz", self.server),
            format!("{}/readyz", self.server),
            format!("{}/healthz", self.admin),
            format!("{}/readyz", self.admin),
        ] {
            wait::until(
                &url,
                Duration::from_secs(60),
                Duration::from_millis(200),
                || {
                    http::get(&url).and_then(|a| match a.status {
                        200 => Ok(()),
                        s => Err(format!("{s} {}", a.body)),
                    })
                },
            );
        }
    }

    /// The request lines in the log files of the shared volume (read from
    /// the host), checked to be `#1..=#n`.
    fn logged(&self) -> Vec<RequestLine> {
        let dir = self
            .lab
            .run(&["volume", "inspect", "logs", "--format", "{{.Mountpoint}}"]);
        request_lines::logged_in_dir(std::path::Path::new(dir.trim()))
    }

    /// The request lines in a container's stdout, as `podman logs` (podman's
    /// `kubectl logs`) shows them. Only stdout: the sidecar's stderr carries
    /// its own diagnostics, including its admin endpoint's request lines,
    /// which have their own numbering.
    fn stdout_lines(&self, container: &str) -> Vec<RequestLine> {
        let out = tools::run_ok(self.lab.podman().args(["logs", container]));
        request_lines::parse_all(&String::from_utf8_lossy(&out.stdout))
    }

    /// `kubectl logs deployment/time-service -c sidecar`.
    fn forwarded(&self) -> Vec<RequestLine> {
        self.stdout_lines(&self.sidecar_ctr)
    }

    /// Waits until the sidecar has forwarded the line numbered `seq`.
    fn wait_forwarded(&self, seq: u64) {
        wait::until(
            &format!("the sidecar to forward line #{seq}"),
            Duration::from_secs(30),
            Duration::from_millis(200),
            || match self.forwarded().last() {
                Some(last) if last.seq >= seq => Ok(()),
                last => Err(format!("last forwarded: {last:?}")),
            },
        );
    }

    /// Starts stopping `containers` at once with SIGTERM and SIGKILL after
    /// `grace` seconds, as the kubelet does, but never the pod's infra
    /// container: `podman pod stop` stops that one first, and with it the
    /// network, where a kubelet removes the sandbox only after the
    /// containers. Returns the `podman stop` processes.
    fn start_stopping(&self, containers: &[&str], grace: u64) -> Vec<Running> {
        containers
            .iter()
            .map(|ctr| {
                let mut stop = self.lab.podman();
                stop.args(["stop", "--time", &grace.to_string(), ctr]);
                Running::spawn(&format!("podman-stop-{ctr}"), stop, self.lab.dir())
            })
            .collect()
    }

    fn exit_code(&self, container: &str) -> String {
        self.lab
            .run(&["inspect", container, "--format", "{{.State.ExitCode}}"])
            .trim()
            .to_string()
    }

    /// `podman kube down`: the pod and its volume go.
    fn down(self) {
        self.lab
            .run(&["kube", "down", self.manifest.to_str().expect("UTF-8 path")]);
        assert_eq!(
            self.lab.run(&["pod", "ps", "-q"]).trim(),
            "",
            "kube down removed the pod"
        );
    }
}

/// The value of a single-series instant query, if there is one.
fn scalar(prometheus: &Prometheus, promql: &str) -> Result<Option<f64>, String> {
    Ok(prometheus.query(promql)?.first().map(|(_, v)| *v))
}

#[test]
fn the_pod_serves_forwards_every_line_is_scraped_and_stops_cleanly() {
    let test = "the_pod_serves_forwards_every_line_is_scraped_and_stops_cleanly";
    let tools_needed = [
        "podman",
        "runc",
        "catatonit",
        "slirp4netns",
        "python3",
        "prometheus",
        "cargo",
    ];
    let Some(found) = tools::require(test, &tools_needed) else {
        return;
    };
    // The project's pinned kubectl renders the manifest, whatever else is on PATH.
    let Some(pinned) = tools::require_pinned(test, &["kubectl"]) else {
        return;
    };
    if !tools::is_root() {
        tools::missing(test, "podman here runs rootful: the test needs root");
        return;
    }
    let (kubectl, prometheus_bin) = (&pinned[0], &found[5]);

    // A private podman; dropped last, so it tears down whatever is left.
    let lab = Lab::start();

    // The image: small, non-root, the server as entrypoint, both ports.
    let size = build_image(&lab);
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
    assert!(config["ExposedPorts"].get("9090/tcp").is_some(), "{config}");

    // `kubectl apply -k manifests/`, podman style.
    let pod = PlayedPod::play(&lab, kubectl);
    pod.wait_ready();
    let grace = kustomize::render(kubectl, "manifests").get("Deployment", "time-service")["spec"]
        ["template"]["spec"]["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("grace period set");

    // The sidecar alone restarts (a new sidecar image, an eviction of the
    // container): the emptyDir and the checkpoint beside the log survive, so
    // it resumes where it stopped. Lines logged while it was down are
    // forwarded once it is back, and none twice (checked below).
    for mut stop in pod.start_stopping(&[&pod.sidecar_ctr], grace) {
        let stopped = stop.wait_exit(Duration::from_secs(grace + 15));
        assert!(stopped.success(), "podman stop failed: {}", stop.stderr());
    }
    assert_eq!(
        pod.exit_code(&pod.sidecar_ctr),
        "0",
        "the sidecar exits cleanly on SIGTERM"
    );
    const WHILE_DOWN: usize = 5;
    for _ in 0..WHILE_DOWN {
        http::get_ok(&format!("{}/nanotime", pod.server));
    }
    lab.run(&["start", &pod.sidecar_ctr]);
    pod.wait_ready();

    // Prometheus scrapes both containers through their host ports.
    let prometheus = Prometheus::start(
        prometheus_bin,
        &[
            ("time-server", format!("127.0.0.1:{}", pod.http_port)),
            ("sidecar", format!("127.0.0.1:{}", pod.admin_port)),
        ],
    );

    // A user's session: the chapter's endpoints, Go-shaped, in UTC (a scratch
    // image has no time zone database, as with the Go binary).
    const N: usize = 20;
    for _ in 0..N {
        let time = http::get_ok(&format!("{}/time", pod.server));
        assert_eq!(go_shape::check_time(&time.body).unwrap(), "+0000 UTC");
        let nano = http::get_ok(&format!("{}/nanotime", pod.server));
        go_shape::check_nanotime(&nano.body, 60).unwrap();
    }

    // Prometheus: both targets up, and the request counter counts our requests.
    wait::until(
        "Prometheus to see both targets and all requests",
        Duration::from_secs(30),
        Duration::from_millis(500),
        || {
            let up_server = scalar(&prometheus, r#"up{job="time-server"}"#)?;
            let up_sidecar = scalar(&prometheus, r#"up{job="sidecar"}"#)?;
            let time = scalar(
                &prometheus,
                r#"sum(http_requests_total{job="time-server",route="/time",status="200"})"#,
            )?;
            let nano = scalar(
                &prometheus,
                r#"sum(http_requests_total{job="time-server",route="/nanotime",status="200"})"#,
            )?;
            let forwarded = scalar(
                &prometheus,
                r#"sum(log_sidecar_lines_forwarded_total{job="sidecar"})"#,
            )?;
            if up_server == Some(1.0)
                && up_sidecar == Some(1.0)
                && time == Some(N as f64)
                && nano == Some((N + WHILE_DOWN) as f64)
                && forwarded >= Some(2.0 * N as f64)
            {
                Ok(())
            } else {
                Err(format!("up: {up_server:?}/{up_sidecar:?}, /time: {time:?}, /nanotime: {nano:?}, forwarded: {forwarded:?}"))
            }
        },
    );

    // `kubectl logs -c sidecar`: every line the server logged, once, in
    // order. Prometheus' scrapes keep adding lines, so while the pod runs
    // the forwarded copy must be an exact prefix reaching our last request.
    let logged = pod.logged();
    assert_eq!(logged.iter().filter(|l| l.path == "/time").count(), N);
    let our_last = logged
        .iter()
        .filter(|l| l.path == "/nanotime")
        .map(|l| l.seq)
        .max()
        .unwrap();
    pod.wait_forwarded(our_last);
    let forwarded = pod.forwarded();
    request_lines::assert_forwarded_prefix(&pod.logged(), &forwarded);

    // Stop as the kubelet does, with the manifest's grace period. The server
    // keeps answering through its shutdown delay (readiness failing); a
    // request answered then must not be lost either.
    let mut stopping = pod.start_stopping(&[&pod.server_ctr, &pod.sidecar_ctr], grace);
    wait::until(
        "readiness to fail after SIGTERM",
        Duration::from_secs(10),
        Duration::from_millis(50),
        || match http::get(&format!("{}/readyz", pod.server))?.status {
            503 => Ok(()),
            s => Err(format!("readyz {s}")),
        },
    );
    let late = http::get_ok(&format!("{}/time", pod.server));
    go_shape::check_time(&late.body).unwrap();
    for stop in &mut stopping {
        let stopped = stop.wait_exit(Duration::from_secs(grace + 15));
        assert!(stopped.success(), "podman stop failed: {}", stop.stderr());
    }
    for ctr in [&pod.server_ctr, &pod.sidecar_ctr] {
        let code = pod.exit_code(ctr);
        assert_eq!(
            code, "0",
            "{ctr} did not exit cleanly on SIGTERM (137 = killed after the grace period)"
        );
    }

    // Nothing lost, nothing repeated, the late request included; and
    // `kubectl logs deployment/time-service` (the server's stdout) agrees.
    let logged = pod.logged();
    assert_eq!(
        logged.iter().filter(|l| l.path == "/time").count(),
        N + 1,
        "the late request was logged"
    );
    request_lines::assert_forwarded_exactly_once(&logged, &pod.forwarded());
    request_lines::assert_forwarded_exactly_once(&logged, &pod.stdout_lines(&pod.server_ctr));

    prometheus.stop();
    pod.down();
}
