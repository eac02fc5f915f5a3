//! The pod for real: the image built from the repository's Dockerfile with
//! podman, the rendered base manifest run with `podman kube play` (podman's
//! stand-in for a kubelet; how the manifest is adapted for it is in
//! `e2e::pod`), a real Prometheus scraping both containers, and a stop that
//! sends SIGTERM as the kubelet does. Everything is torn down at the end,
//! pass or fail: the pod and all podman state (the lab directory), and
//! Prometheus by its PID.

use std::time::Duration;

use e2e::pod::{self, LoneContainer, PlayedPod, PodmanDeployment};
use e2e::podman::Lab;
use e2e::prometheus::Prometheus;
use e2e::request_lines;
use e2e::{go_shape, http, tools, wait};
use serde_json::{json, Value};

const IMAGE: &str = "localhost/time-service:e2e";
/// The issue's budget for the image.
const MAX_IMAGE_BYTES: u64 = 15_000_000;

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
    let size = pod::build_image(&lab, IMAGE);
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

    // The image alone, nothing mounted, its zone chosen by TZ as a Go
    // binary's `time.Local` is: a name (with or without Go's leading
    // colon) comes from the database inside the binary, since the scratch
    // image has no zoneinfo directory; an empty or unknown TZ means UTC.
    let tz_cases = [
        ("Europe/Moscow", "+0300 MSK", "MSK +0300"),
        (":Asia/Tokyo", "+0900 JST", "JST +0900"),
        ("", "+0000 UTC", "UTC +0000"),
        ("Nowhere/Atlantis", "+0000 UTC", "UTC +0000"),
    ];
    let lone: Vec<_> = tz_cases
        .iter()
        .map(|(tz, ..)| LoneContainer::run(&lab, IMAGE, &[("TZ", tz)]))
        .collect();
    for (ctr, (tz, zone, layout_zone)) in lone.iter().zip(tz_cases) {
        ctr.wait_ready();
        assert_eq!(ctr.mounts(), 0, "TZ={tz:?}: nothing mounted");
        let time = http::get_ok(&format!("{}/time", ctr.server));
        eprintln!("TZ={tz:?}: GET /time -> {}", time.body.trim_end());
        assert_eq!(go_shape::check_time(&time.body).unwrap(), zone, "TZ={tz:?}");
        let layout = http::get_ok(&format!("{}/time?layout=MST+-0700", ctr.server));
        assert_eq!(
            layout.body,
            format!("{{\"time\":\"{layout_zone}\"}}\n"),
            "TZ={tz:?}"
        );
        // ?tz= still wins over the process's zone.
        let utc = http::get_ok(&format!("{}/time?tz=UTC", ctr.server));
        assert_eq!(go_shape::check_time(&utc.body).unwrap(), "+0000 UTC");
    }
    let codes = LoneContainer::stop_all(lone, 10);
    assert!(
        codes.iter().all(|c| c == "0"),
        "lone containers exit cleanly on SIGTERM: {codes:?}"
    );

    // `kubectl apply -k manifests/`, podman style.
    let spec = PodmanDeployment::from_manifests(kubectl, IMAGE);
    let pod = PlayedPod::play(&lab, &spec);
    pod.wait_ready();
    let grace = spec.grace_seconds();

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

    // A user's session: the chapter's endpoints, Go-shaped, in UTC (no TZ),
    // and in zones by name from the database inside the binary: the scratch
    // image has no zoneinfo directory.
    const N: usize = 20;
    for i in 0..N {
        let (query, zone) = match i % 4 {
            0 => ("", "+0000 UTC"),
            1 => ("?tz=Asia/Tokyo", "+0900 JST"),
            2 => ("?tz=Europe%2FMoscow", "+0300 MSK"),
            _ => ("?tz=Asia/Kolkata&layout=Mon+Jan+_2+15:04:05+MST+2006", ""),
        };
        let time = http::get_ok(&format!("{}/time{query}", pod.server));
        if zone.is_empty() {
            // Format(layout): "Tue Dec  1 09:24:07 IST 2026".
            assert!(time.body.contains(" IST 20"), "{query}: {:?}", time.body);
        } else {
            assert_eq!(go_shape::check_time(&time.body).unwrap(), zone, "{query}");
        }
        if i < 4 {
            eprintln!("GET /time{query} -> {}", time.body.trim_end());
        }
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
