//! The benchmarks that need the pod's real surroundings: a container
//! runtime reading the containers' stdout (conmon, under a private rootful
//! podman set up by `scripts/pod/podman-lab.sh`) and the pod played from
//! the repository's manifests. Every image is built here FROM scratch and
//! nothing is pulled: ours from the Dockerfile (`scripts/pod/build-image.sh`),
//! the peers' by `scripts/pod/build-peer-images.sh` (busybox, the chapter's
//! Go service). A benchmark, never a test: it prints medians and ratios as
//! markdown tables, every single run on stderr.
//!
//! - `bench-pod sidecar` (`scripts/bench-sidecar.sh podman`): lines/s that
//!   reach the runtime's log, for log-sidecar and busybox `tail -F` in the
//!   same container set-up ([`sidecar`]).
//! - `bench-pod pod` (`scripts/bench-pod.sh`): the whole pod under wrk,
//!   every request line counted in `podman logs` of the sidecar, ours
//!   against the chapter's Go service with a busybox sidecar ([`whole_pod`]).
//!
//! Layout: [`ctr_log`] reads conmon's log as it grows; [`measure`] reads
//! `/proc` and wrk and takes medians.

mod ctr_log;
mod measure;
mod sidecar;
mod whole_pod;

use std::process::Command;

use e2e::podman::Lab;
use e2e::{pod, tools, workspace};

/// Our image: both binaries, as the Dockerfile builds it.
const OUR_IMAGE: &str = "localhost/time-service:bench";
/// Debian's static busybox, FROM scratch.
const BUSYBOX_IMAGE: &str = "localhost/busybox:bench";
/// The chapter's Go service, static, FROM scratch.
const GO_IMAGE: &str = "localhost/go-time-service:bench";

/// `line_text(i)` of scripts/bench-sidecar/tools.py: an access-log-like
/// line of 110 bytes whose first field is its number.
fn line_text(i: usize) -> String {
    format!("{i:010} 2026-11-26T18:00:00.000000Z 10.0.0.7 \"GET /time HTTP/1.1\" 200 35 0.000123 ua=kube-probe/1.29\n")
}

/// The private podman and the images every mode uses.
fn lab_with_images() -> Lab {
    let lab = Lab::start();
    eprintln!(
        "bench-pod: image {OUR_IMAGE}: {} bytes",
        pod::build_image(&lab, OUR_IMAGE)
    );
    let mut peers = Command::new(workspace::root().join("scripts/pod/build-peer-images.sh"));
    peers.args([BUSYBOX_IMAGE, GO_IMAGE]);
    lab.bind(&mut peers);
    tools::run_ok(&mut peers);
    lab
}

fn main() {
    let mode = std::env::args().nth(1);
    if !matches!(mode.as_deref(), Some("sidecar" | "pod")) || std::env::args().count() != 2 {
        eprintln!("usage: bench-pod sidecar|pod   (knobs in the environment: see scripts/bench-sidecar.sh, scripts/bench-pod.sh)");
        std::process::exit(2);
    }
    if !tools::is_root() {
        eprintln!("bench-pod: podman runs rootful here: run as root");
        std::process::exit(1);
    }
    // Everything that can refuse to start does so before the lab exists:
    // exiting later would leave it behind.
    if mode.as_deref() == Some("sidecar") {
        let settings = sidecar::Settings::from_env();
        sidecar::run(&lab_with_images(), &settings);
    } else {
        let settings = whole_pod::Settings::from_env();
        let Some(kubectl) = tools::which("kubectl") else {
            eprintln!("bench-pod: kubectl is missing (scripts/install-test-deps.sh installs it)");
            std::process::exit(1);
        };
        whole_pod::run(&lab_with_images(), &kubectl, &settings);
    }
}
