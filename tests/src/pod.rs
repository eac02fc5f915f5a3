//! The project's pod under podman: the image built from the repository's
//! Dockerfile, the rendered base Deployment adapted for `podman kube play`
//! (podman's stand-in for a kubelet), and the played pod's containers, logs
//! and stop. Shared by the pod test and the pod benchmark (`bench-pod`).
//!
//! What podman cannot do like a kubelet, and how the manifest is adapted
//! (nothing else is changed):
//! - image: the locally built `localhost/...` image, `imagePullPolicy: Never`;
//! - ports: each containerPort gets a `hostPort` on a free 127.0.0.1 port
//!   (podman would otherwise publish it on the same, possibly busy, host
//!   port); all traffic goes through those, never to the pod's own address;
//! - probes: dropped, because podman runs an httpGet probe as `curl` inside
//!   the container and the scratch image has none; callers poll `/healthz`
//!   and `/readyz` themselves instead;
//! - Downward API: podman 4.3 fills `metadata.name` but not
//!   `metadata.namespace` or `spec.nodeName`; those become literal values.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{json, Value};

use crate::podman::Lab;
use crate::process::Running;
use crate::request_lines::{self, RequestLine};
use crate::{http, kustomize, tools, wait, workspace};

/// Builds the image as a user without a registry would (static binaries
/// stand in for the Dockerfile's builder stage); returns its size in bytes.
pub fn build_image(lab: &Lab, image: &str) -> u64 {
    let mut build = Command::new(workspace::root().join("scripts/pod/build-image.sh"));
    build.arg(image);
    lab.bind(&mut build);
    tools::stdout_of(&mut build)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("build-image.sh prints the image size last")
}

/// Waits, as a probe would, for `url` to answer 200 (at most a minute).
fn wait_ok(url: &str) {
    wait::until(
        url,
        Duration::from_secs(60),
        Duration::from_millis(200),
        || {
            http::get(url).and_then(|a| match a.status {
                200 => Ok(()),
                s => Err(format!("{s} {}", a.body)),
            })
        },
    );
}

/// The image run alone, `podman run` with the environment `env` and
/// nothing mounted: how a user tries the image before any manifest.
#[derive(Debug)]
pub struct LoneContainer<'a> {
    lab: &'a Lab,
    /// The container's ID.
    pub id: String,
    /// `http://127.0.0.1:<host port of 8080>`
    pub server: String,
}

impl<'a> LoneContainer<'a> {
    /// Starts `image` detached on the slirp4netns network, its port 8080
    /// published on a free 127.0.0.1 port, with `env` and no volume.
    pub fn run(lab: &'a Lab, image: &str, env: &[(&str, &str)]) -> LoneContainer<'a> {
        let port = http::free_port();
        let publish = format!("127.0.0.1:{port}:8080");
        let mut args = vec![
            "run",
            "--detach",
            "--network",
            "slirp4netns",
            "--publish",
            &publish,
        ];
        let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for var in &env {
            args.extend(["--env", var.as_str()]);
        }
        args.push(image);
        let id = lab.run(&args).trim().to_string();
        LoneContainer {
            lab,
            id,
            server: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Waits for `/readyz` to answer 200.
    pub fn wait_ready(&self) {
        wait_ok(&format!("{}/readyz", self.server));
    }

    /// How many mounts the container has (`podman inspect`).
    pub fn mounts(&self) -> usize {
        let n = self
            .lab
            .run(&["inspect", &self.id, "--format", "{{len .Mounts}}"]);
        n.trim().parse().expect("podman prints a count")
    }

    /// Stops `containers` at once with SIGTERM (SIGKILL after `grace`
    /// seconds), as `podman stop` does, and removes them; returns their
    /// exit codes.
    pub fn stop_all(containers: Vec<LoneContainer<'_>>, grace: u64) -> Vec<String> {
        let Some(first) = containers.first() else {
            return Vec::new();
        };
        let lab = first.lab;
        let ids: Vec<&str> = containers.iter().map(|c| c.id.as_str()).collect();
        let grace = grace.to_string();
        lab.run(&[&["stop", "--time", &grace][..], &ids].concat());
        let codes = ids
            .iter()
            .map(|id| {
                let code = lab.run(&["inspect", id, "--format", "{{.State.ExitCode}}"]);
                code.trim().to_string()
            })
            .collect();
        lab.run(&[&["rm"][..], &ids].concat());
        codes
    }
}

/// A Deployment ready for `podman kube play`, with the host ports chosen
/// for its containers' ports named `http` (server) and `admin` (sidecar).
#[derive(Debug, Clone)]
pub struct PodmanDeployment {
    /// The Deployment document.
    pub deployment: Value,
    /// The host port of the server's `http` port.
    pub http_port: u16,
    /// The host port of the sidecar's `admin` port.
    pub admin_port: u16,
}

impl PodmanDeployment {
    /// The base Deployment rendered by `kubectl kustomize manifests`, both
    /// containers running `image`, adapted for podman as the module doc says.
    pub fn from_manifests(kubectl: &Path, image: &str) -> PodmanDeployment {
        let base = kustomize::render(kubectl, "manifests");
        let mut deployment = base.get("Deployment", "time-service").clone();
        let (http_port, admin_port) = (http::free_port(), http::free_port());
        for c in containers_mut(&mut deployment) {
            let c = c.as_object_mut().expect("a container is an object");
            c.insert("image".into(), json!(image));
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
        PodmanDeployment {
            deployment,
            http_port,
            admin_port,
        }
    }

    /// The container named `name`, to adapt further (the pod benchmark
    /// puts other programs in the same pod shape).
    pub fn container_mut(&mut self, name: &str) -> &mut serde_json::Map<String, Value> {
        containers_mut(&mut self.deployment)
            .iter_mut()
            .find(|c| c["name"] == name)
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("the Deployment has no container {name}"))
    }

    /// `terminationGracePeriodSeconds` of the pod.
    pub fn grace_seconds(&self) -> u64 {
        self.deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            .as_u64()
            .expect("grace period set")
    }
}

fn containers_mut(deployment: &mut Value) -> &mut Vec<Value> {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .expect("the Deployment has containers")
}

/// The pod `podman kube play` made from a [`PodmanDeployment`].
#[derive(Debug)]
pub struct PlayedPod<'a> {
    lab: &'a Lab,
    manifest: PathBuf,
    /// The pod's name.
    pub name: String,
    /// The server container (`<pod>-time-server`).
    pub server_ctr: String,
    /// The sidecar container (`<pod>-sidecar`).
    pub sidecar_ctr: String,
    /// `http://127.0.0.1:<hostPort of http>`
    pub server: String,
    /// `http://127.0.0.1:<hostPort of admin>`
    pub admin: String,
    /// The host port of the server.
    pub http_port: u16,
    /// The host port of the sidecar's admin endpoint.
    pub admin_port: u16,
}

impl<'a> PlayedPod<'a> {
    /// `kubectl apply`, podman style: `podman kube play` on the slirp4netns
    /// network, whose port forwarder publishes the host ports on 127.0.0.1
    /// and leaves nothing behind on the host.
    pub fn play(lab: &'a Lab, spec: &PodmanDeployment) -> PlayedPod<'a> {
        Self::play_with(lab, spec, &mut lab.podman())
    }

    /// As [`PlayedPod::play`], with `podman` being the command to extend
    /// with `kube play ...` (for instance `taskset -c 0 podman`, so that the
    /// pod's processes inherit that CPU affinity).
    pub fn play_with(lab: &'a Lab, spec: &PodmanDeployment, podman: &mut Command) -> PlayedPod<'a> {
        let manifest = lab.dir().join("time-service.yaml");
        std::fs::write(
            &manifest,
            kustomize::to_yaml_stream(std::slice::from_ref(&spec.deployment)),
        )
        .unwrap();
        let path = manifest.to_str().expect("temp paths are UTF-8");
        tools::run_ok(podman.args(["kube", "play", "--network", "slirp4netns", path]));
        let pods = lab.run(&["pod", "ps", "--format", "{{.Name}}"]);
        let pod = pods.trim();
        assert!(
            !pod.is_empty() && !pod.contains('\n'),
            "expected one pod, got {pods:?}"
        );
        PlayedPod {
            lab,
            name: pod.to_string(),
            server_ctr: format!("{pod}-time-server"),
            sidecar_ctr: format!("{pod}-sidecar"),
            server: format!("http://127.0.0.1:{}", spec.http_port),
            admin: format!("http://127.0.0.1:{}", spec.admin_port),
            manifest,
            http_port: spec.http_port,
            admin_port: spec.admin_port,
        }
    }

    /// What the probes would check: both containers live and ready.
    pub fn wait_ready(&self) {
        for url in [
            format!("{}/healthz", self.server),
            format!("{}/readyz", self.server),
            format!("{}/healthz", self.admin),
            format!("{}/readyz", self.admin),
        ] {
            wait_ok(&url);
        }
    }

    /// The host path of the pod's `logs` volume (the emptyDir).
    pub fn log_volume(&self) -> PathBuf {
        let dir = self
            .lab
            .run(&["volume", "inspect", "logs", "--format", "{{.Mountpoint}}"]);
        PathBuf::from(dir.trim())
    }

    /// The request lines in the log files of the shared volume (read from
    /// the host), checked to be `#1..=#n`.
    pub fn logged(&self) -> Vec<RequestLine> {
        request_lines::logged_in_dir(&self.log_volume())
    }

    /// `podman logs container` (podman's `kubectl logs`): the container's
    /// stdout and stderr, each as its own stream.
    pub fn logs(&self, container: &str) -> Output {
        tools::run_ok(self.lab.podman().args(["logs", container]))
    }

    /// The request lines in a container's stdout, as `podman logs` shows
    /// them. Only stdout: the sidecar's stderr carries its own diagnostics,
    /// including its admin endpoint's request lines, which have their own
    /// numbering.
    pub fn stdout_lines(&self, container: &str) -> Vec<RequestLine> {
        request_lines::parse_all(&String::from_utf8_lossy(&self.logs(container).stdout))
    }

    /// `kubectl logs deployment/time-service -c sidecar`.
    pub fn forwarded(&self) -> Vec<RequestLine> {
        self.stdout_lines(&self.sidecar_ctr)
    }

    /// Waits until the sidecar has forwarded the line numbered `seq`.
    pub fn wait_forwarded(&self, seq: u64) {
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
    pub fn start_stopping(&self, containers: &[&str], grace: u64) -> Vec<Running> {
        containers
            .iter()
            .map(|ctr| {
                let mut stop = self.lab.podman();
                stop.args(["stop", "--time", &grace.to_string(), ctr]);
                Running::spawn(&format!("podman-stop-{ctr}"), stop, self.lab.dir())
            })
            .collect()
    }

    /// The podman this pod runs under.
    pub fn lab(&self) -> &'a Lab {
        self.lab
    }

    /// A field of `podman inspect container`, e.g. `{{.State.Pid}}`.
    pub fn inspect(&self, container: &str, format: &str) -> String {
        self.lab
            .run(&["inspect", container, "--format", format])
            .trim()
            .to_string()
    }

    /// The exit code of a stopped container.
    pub fn exit_code(&self, container: &str) -> String {
        self.inspect(container, "{{.State.ExitCode}}")
    }

    /// `podman kube down`: the pod and its volume go.
    pub fn down(self) {
        self.lab
            .run(&["kube", "down", self.manifest.to_str().expect("UTF-8 path")]);
        assert_eq!(
            self.lab.run(&["pod", "ps", "-q"]).trim(),
            "",
            "kube down removed the pod"
        );
    }
}
