//! Helpers shared by the end-to-end tests in `tests/tests/`: they run the
//! real programs (our binaries, kubectl, kubernetes-validate, checkov,
//! podman, Prometheus) the way a user or CI would, and clean up after
//! themselves even when a test fails.
//!
//! # Layout
//! - [`test_env`]: what CI means and which binaries to run, shared by source
//!   with every crate's tests.
//! - [`tools`]: finding external tools; a missing one is a failure under CI.
//! - [`workspace`]: the repository root and the built binaries.
//! - [`process`]: children that are killed when dropped, signals, bounded waits.
//! - [`wait`]: polling until a deadline instead of sleeping.
//! - [`http`]: a real HTTP/1.1 client for `127.0.0.1` addresses.
//! - [`go_shape`]: the Go-shaped `/time` and `/nanotime` bodies.
//! - [`request_lines`]: the server's numbered request lines, and the check
//!   that a forwarded copy holds each exactly once, in order.
//! - [`kustomize`]: rendering `manifests/` and overlays to JSON documents.
//! - [`podman`]: a private podman (via `scripts/pod/podman-lab.sh`) torn down on drop.
//! - [`pod`]: the project's pod played by that podman from the rendered manifests.
//! - [`prometheus`]: a real Prometheus scraping given targets, and its query API.

pub mod go_shape;
pub mod http;
pub mod kustomize;
pub mod pod;
pub mod podman;
pub mod process;
pub mod prometheus;
pub mod request_lines;
pub mod test_env;
pub mod tools;
pub mod wait;
pub mod workspace;
