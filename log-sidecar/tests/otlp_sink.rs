//! The OTLP/HTTP output (issue 15) against a real receiver on 127.0.0.1
//! whose every request body is decoded by the OpenTelemetry project's own
//! Python package: the records are mapped by the logs data model; gzip,
//! TLS with a CA the test made and a bearer token from a file work; and a
//! receiver that is down for 30 s, fails, is slow, misconfigured or
//! rejects part of a request loses no line, with duplicates counted
//! exactly against what it says it processed. Last, the real binary
//! configured as the `otlp` overlay configures it.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use log_sidecar::http_sink::{
    Compression, Encoding, HeaderFile, HttpSink, HttpSinkConfig, SinkError, Trust,
};
use log_sidecar::otlp::Origin;
use log_sidecar::record::{PodMetadata, Record};
use prometheus::Registry;
use serde_json::json;
use support::otlp::OfficialDecoder;
use support::receiver::{Policy, Receiver, Reply, ReservedPort, Wire};
use support::sidecar::{Sidecar, Stdout};
use support::tls::TestCa;
use support::{append, lines, records, registry_metric, LogDir};
use time_server::kit::Shutdown;
use tokio::time::Instant;

const QUICK: Duration = Duration::from_secs(5);

/// The pod the records come from, as the Downward API and the manifest set it.
fn origin() -> Origin {
    Origin {
        service_name: Some("time-service".into()),
        pod_name: Some("time-service-7c886f94bf-gwk4x".into()),
        namespace: Some("default".into()),
        node_name: Some("node-1".into()),
        container_name: Some("server".into()),
    }
}

/// The official decoder for `test`, or `None` (skipped outside CI).
fn official(test: &str) -> Option<Wire> {
    OfficialDecoder::start(test).map(|d| Wire::Otlp(Mutex::new(d)))
}

fn otlp_config(url: &str, batch_lines: usize) -> HttpSinkConfig {
    HttpSinkConfig::new(url, Encoding::Otlp(origin()))
        .and_then(|c| c.with_batches(batch_lines, 1024 * 1024))
        .and_then(|c| c.with_timeout(QUICK))
        .expect("a test configuration")
}

fn new_sink(config: HttpSinkConfig) -> (HttpSink, Registry) {
    let registry = Registry::new();
    let sink = HttpSink::new(config, &registry).expect("a valid sink");
    (sink, registry)
}

async fn deliver_all(sink: &mut HttpSink, records: &[Record]) {
    sink.deliver(records, &Shutdown::new())
        .await
        .expect("the sink never gives up by itself");
}

/// Lines stored by requests the receiver failed or answered too late: the
/// duplicates a correct sender must produce, no more, no less.
fn processed_but_not_acknowledged(receiver: &Receiver, timeout: Duration) -> u64 {
    receiver
        .requests()
        .iter()
        .filter(|r| r.reply.store && (r.reply.status >= 300 || r.reply.delay > timeout))
        .map(|r| r.lines as u64)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_arrive_gzipped_with_a_bearer_token_mapped_by_the_logs_data_model() {
    let Some(wire) =
        official("records_arrive_gzipped_with_a_bearer_token_mapped_by_the_logs_data_model")
    else {
        return;
    };
    let receiver = Receiver::start_for(Receiver::accepting_everything(), wire, None).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cr3t-token\n").expect("write the token");
    let config = otlp_config(&receiver.url(), 400)
        .with_compression(Compression::Gzip)
        .with_headers(vec![HeaderFile::bearer_token(&token).expect("a token file")]);
    let (mut sink, registry) = new_sink(config);
    // time-server's lines, two levels, one with no header of its own, and
    // one from a rotated file.
    let read_at = UNIX_EPOCH + Duration::from_nanos(1_795_718_155_000_000_007);
    let live: Arc<Path> = Arc::from(Path::new("/var/log/time-service/time-service.log"));
    let rotated: Arc<Path> = Arc::from(Path::new("/var/log/time-service/time-service.log.1"));
    let record = |path: &Arc<Path>, line: &str| Record {
        observed: read_at,
        ..Record::new(path.clone(), line.as_bytes().to_vec(), false)
    };
    let mut batch = vec![
        record(
            &rotated,
            "[2026-11-26T18:35:54.950883Z INFO  time_server::request_log] GET /time 200 78us #1",
        ),
        record(
            &live,
            "[2026-11-26T21:35:54.95+03:00 WARN  time_server::kit] slow client",
        ),
        record(&live, "no header at all"),
    ];
    batch.extend(records(1_000, 60));

    deliver_all(&mut sink, &batch).await;

    let requests = receiver.requests();
    assert!(requests.len() >= 1_003 / 400, "{} requests", requests.len());
    for r in &requests {
        assert_eq!(r.content_type.as_deref(), Some("application/x-protobuf"));
        assert_eq!(r.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(r.authorization.as_deref(), Some("Bearer s3cr3t-token"));
        assert!(r.lines <= 400);
    }
    let decoded = receiver.records();
    assert_eq!(decoded.len(), 1_003);
    let resource = json!({
        "service.name": "time-service",
        "k8s.pod.name": "time-service-7c886f94bf-gwk4x",
        "k8s.namespace.name": "default",
        "k8s.node.name": "node-1",
        "k8s.container.name": "server",
    });
    for r in &decoded {
        assert_eq!(r["resource"], resource);
        assert_eq!(r["scope"]["name"], "log-sidecar");
    }
    assert_eq!(
        decoded[0],
        json!({
            "body": "[2026-11-26T18:35:54.950883Z INFO  time_server::request_log] GET /time 200 78us #1",
            "time_unix_nano": 1_795_718_154_950_883_000_u64,
            "observed_time_unix_nano": 1_795_718_155_000_000_007_u64,
            "severity_number": 9,
            "severity_text": "INFO",
            "attributes": {
                "log.file.name": "time-service.log.1",
                "log.file.path": "/var/log/time-service/time-service.log.1",
            },
            "resource": resource,
            "scope": {"name": "log-sidecar", "version": env!("CARGO_PKG_VERSION")},
        })
    );
    assert_eq!(decoded[1]["time_unix_nano"], 1_795_718_154_950_000_000_u64);
    assert_eq!(decoded[1]["severity_number"], 13);
    assert_eq!(decoded[1]["severity_text"], "WARN");
    assert_eq!(
        decoded[1]["attributes"]["log.file.name"],
        "time-service.log"
    );
    // No time of its own: left unset, the observed time stands.
    assert_eq!(decoded[2]["time_unix_nano"], 0);
    assert_eq!(
        decoded[2]["observed_time_unix_nano"],
        1_795_718_155_000_000_007_u64
    );
    assert_eq!(decoded[2]["severity_number"], 0);
    let tally = receiver.tally(1_000);
    assert_eq!(
        (tally.lost().len(), tally.duplicates(), tally.out_of_order),
        (0, 0, 0)
    );
    // Bytes as sent: gzip makes them several times fewer than the lines.
    let sent = registry_metric(&registry, "log_sidecar_sink_bytes_sent_total");
    assert_eq!(
        sent,
        requests.iter().map(|r| r.body_bytes).sum::<usize>() as f64
    );
    assert!(sent < 1_000.0 * 60.0 / 3.0, "{sent} bytes sent");
}

/// Down for 30 seconds, on paused time (the sink, the receiver and the
/// test share one runtime; decoding runs on a blocking thread, which
/// holds the paused clock still meanwhile).
#[tokio::test(start_paused = true)]
async fn receiver_down_for_30_seconds_then_up_loses_nothing() {
    const LINES: u64 = 3_000;
    let Some(wire) = official("otlp receiver_down_for_30_seconds_then_up_loses_nothing") else {
        return;
    };
    let port = ReservedPort::new();
    let (mut sink, registry) = new_sink(otlp_config(&format!("http://{}/v1/logs", port.addr), 500));
    let delivery = tokio::spawn(async move {
        deliver_all(&mut sink, &records(LINES, 80)).await;
        Instant::now()
    });

    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(
        !delivery.is_finished(),
        "delivered while the receiver was down"
    );
    assert_eq!(registry_metric(&registry, "log_sidecar_sink_up"), 0.0);
    let refused = registry_metric(
        &registry,
        "log_sidecar_sink_requests_total{result=\"connection_error\"}",
    );
    assert!(
        (5.0..=12.0).contains(&refused),
        "{refused} attempts while down"
    );

    let receiver = port.listen_for(Receiver::accepting_everything(), wire);
    let up_at = Instant::now();
    let done_at = delivery.await.expect("the delivery task does not panic");
    assert!(done_at - up_at <= Duration::from_secs(30));
    let tally = receiver.tally(LINES);
    assert_eq!(tally.lost(), Vec::<u64>::new(), "lines lost");
    assert_eq!((tally.duplicates(), tally.out_of_order), (0, 0));
    assert_eq!(
        registry_metric(&registry, "log_sidecar_sink_lines_sent_total"),
        LINES as f64
    );
}

/// On paused time: the receiver's late answers and the sink's timeout are
/// timers that fire in order, and a request the decoder (on a blocking
/// thread, which holds the clock still) is slow with on a loaded machine
/// is not mistaken for a late answer. On the wall clock a 2 s timeout
/// fired once more than the two late answers at a load of 12 on 2 cores.
#[tokio::test(start_paused = true)]
async fn server_errors_and_late_answers_repeat_exactly_what_was_processed() {
    const LINES: u64 = 2_000;
    const TIMEOUT: Duration = Duration::from_secs(2);
    let Some(wire) = official("server_errors_and_late_answers_repeat_exactly_what_was_processed")
    else {
        return;
    };
    // 503s before and after storing, and two answers stored at once but
    // sent after 6 s, past the sink's 2 s timeout.
    let policy: Policy = Box::new(|n, _| match n {
        0 | 4 => Reply::status(503),
        1 | 7 => Reply::fail_after_storing(500),
        3 | 9 => Reply::late(Duration::from_secs(6)),
        _ => Reply::OK,
    });
    let receiver = Receiver::start_for(policy, wire, None).await;
    let config = otlp_config(&receiver.url(), 100)
        .with_timeout(TIMEOUT)
        .expect("a timeout")
        .with_compression(Compression::Gzip);
    let (mut sink, registry) = new_sink(config);

    tokio::time::timeout(
        Duration::from_secs(60),
        deliver_all(&mut sink, &records(LINES, 40)),
    )
    .await
    .expect("six failures cost well under a minute");

    let tally = receiver.tally(LINES);
    assert_eq!(tally.lost(), Vec::<u64>::new(), "lines lost");
    assert_eq!(
        tally.duplicates(),
        processed_but_not_acknowledged(&receiver, TIMEOUT)
    );
    assert_eq!(
        tally.duplicates(),
        4 * 100,
        "each failure repeats one batch"
    );
    assert_eq!(
        registry_metric(
            &registry,
            "log_sidecar_sink_requests_total{result=\"timeout\"}"
        ),
        2.0
    );
    assert_eq!(
        registry_metric(
            &registry,
            "log_sidecar_sink_requests_total{result=\"server_error\"}"
        ),
        4.0
    );
}

/// A 2xx that says some records were rejected: OTLP does not say which,
/// and sending them again would repeat the others, so the rejected count
/// is counted and every line of such a request goes to stderr as a dead
/// letter (a superset of the rejected ones, never fewer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_success_is_counted_and_its_request_dead_lettered() {
    const LINES: u64 = 1_000;
    let Some(wire) = official("a_partial_success_is_counted_and_its_request_dead_lettered") else {
        return;
    };
    // Requests 2 and 5 (100 lines each) have their last 3 and 7 records
    // rejected; request 8 has all of its 100.
    let policy: Policy = Box::new(|n, _| match n {
        2 => Reply::partial(3),
        5 => Reply::partial(7),
        8 => Reply::partial(100),
        _ => Reply::OK,
    });
    let receiver = Receiver::start_for(policy, wire, None).await;
    let (mut sink, registry) = new_sink(otlp_config(&receiver.url(), 100));

    deliver_all(&mut sink, &records(LINES, 30)).await;

    let tally = receiver.tally(LINES);
    let rejected: Vec<u64> = (297..300).chain(593..600).chain(800..900).collect();
    assert_eq!(
        tally.lost(),
        rejected,
        "exactly the rejected records are missing"
    );
    assert_eq!(tally.duplicates(), 0, "nothing is sent again");
    assert_eq!(
        registry_metric(&registry, "log_sidecar_sink_rejected_records_total"),
        110.0
    );
    assert_eq!(
        registry_metric(&registry, "log_sidecar_sink_dead_letters_total"),
        300.0,
        "every line of the three requests"
    );
    assert_eq!(receiver.requests().len(), 10);
}

/// The status table is the sink's, whatever the encoding: a 401 holds the
/// lines (no dead letter), and the token file is read again after each
/// refusal, so a rotated Secret is picked up without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_read_again_and_no_line_is_dead_lettered() {
    const LINES: u64 = 500;
    let Some(wire) = official("a_refused_token_is_read_again_and_no_line_is_dead_lettered") else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let token = dir.path().join("token");
    std::fs::write(&token, "expired\n").expect("write the token");
    let receiver = Receiver::start_for(Receiver::accepting_everything(), wire, None).await;
    receiver.require_authorization("Bearer fresh");
    let config = otlp_config(&receiver.url(), 100)
        .with_headers(vec![HeaderFile::bearer_token(&token).expect("a token file")]);
    let (mut sink, registry) = new_sink(config);
    let delivery = tokio::spawn(async move {
        deliver_all(&mut sink, &records(LINES, 30)).await;
        sink
    });

    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.requests().len() < 3 {
        assert!(Instant::now() < deadline, "fewer than 3 attempts in 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!delivery.is_finished(), "delivered with a refused token");
    // The Secret is rotated: the file changes under the running sink.
    std::fs::write(&token, "fresh\n").expect("rotate the token");
    tokio::time::timeout(Duration::from_secs(30), delivery)
        .await
        .expect("delivered once the token is right")
        .expect("the delivery task does not panic");

    let tally = receiver.tally(LINES);
    assert_eq!((tally.lost().len(), tally.duplicates()), (0, 0));
    let requests = receiver.requests();
    let refused = requests.iter().filter(|r| r.reply.status == 401).count();
    assert!(refused >= 3, "{refused} refusals");
    assert!(requests
        .iter()
        .filter(|r| r.reply.status == 401)
        .all(|r| r.authorization.as_deref() == Some("Bearer expired")));
    assert_eq!(
        registry_metric(
            &registry,
            "log_sidecar_sink_requests_total{result=\"config_error\"}"
        ),
        refused as f64
    );
    assert_eq!(
        registry_metric(&registry, "log_sidecar_sink_dead_letters_total"),
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_ca_made_by_the_test_and_without_it() {
    const LINES: u64 = 300;
    let test = "https_with_a_ca_made_by_the_test_and_without_it";
    let Some(wire) = official(test) else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let Some(ca) = TestCa::new(test, dir.path(), "test-ca") else {
        return;
    };
    let receiver = Receiver::start_for(
        Receiver::accepting_everything(),
        wire,
        Some(ca.server.clone()),
    )
    .await;
    assert!(receiver.url().starts_with("https://127.0.0.1:"));

    // Trusting the test's CA: every record arrives over TLS.
    let config = otlp_config(&receiver.url(), 100)
        .with_trust(Trust::ca_file(&ca.ca_file).expect("the test's CA"))
        .expect("https");
    let (mut sink, _registry) = new_sink(config);
    deliver_all(&mut sink, &records(LINES, 40)).await;
    let tally = receiver.tally(LINES);
    assert_eq!((tally.lost().len(), tally.duplicates()), (0, 0));

    // Trusting only the bundled web roots, the same receiver is an
    // impostor: nothing is sent, the handshake failure is retried.
    let (mut sink, registry) = new_sink(otlp_config(&receiver.url(), 100));
    let attempt = tokio::time::timeout(
        Duration::from_secs(2),
        deliver_all(&mut sink, &records(10, 40)),
    )
    .await;
    assert!(
        attempt.is_err(),
        "delivered to a server the sink cannot trust"
    );
    assert!(
        registry_metric(
            &registry,
            "log_sidecar_sink_requests_total{result=\"connection_error\"}"
        ) >= 1.0
    );
    assert_eq!(receiver.requests().len(), LINES as usize / 100);

    // And a CA file for a plain http sink is a configuration error.
    let plain = HttpSinkConfig::new(
        "http://127.0.0.1:1/v1/logs",
        Encoding::Ndjson(PodMetadata::default()),
    )
    .expect("a URL")
    .with_trust(Trust::ca_file(&ca.ca_file).expect("the test's CA"));
    assert!(matches!(plain, Err(SinkError::InvalidConfig(_))));
}

/// The real binary, configured by environment as the `otlp` overlay
/// configures it (https with the collector's CA, gzip, a token file, the
/// Downward API): time-server's lines arrive as records mapped by the
/// data model, a message of three lines as one record, and every numbered
/// line exactly once but for the batch the receiver stored and then failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_as_the_otlp_overlay_configures_it() {
    const LINES: u64 = 2_000;
    let test = "the_binary_as_the_otlp_overlay_configures_it";
    let Some(wire) = official(test) else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let Some(ca) = TestCa::new(test, dir.path(), "collector-ca") else {
        return;
    };
    let policy: Policy = Box::new(|n, _| match n {
        0 => Reply::status(503),
        2 => Reply::fail_after_storing(503),
        _ => Reply::OK,
    });
    let receiver = Receiver::start_for(policy, wire, Some(ca.server.clone())).await;
    receiver.require_authorization("Bearer overlay-token");
    let token = dir.path().join("token");
    std::fs::write(&token, "overlay-token\n").expect("write the token");

    let logs = LogDir::new();
    let listening = "[2026-11-26T18:35:54.950883Z INFO  time_server] listening on 0.0.0.0:8080";
    let message = "[2026-11-26T18:35:55.000001Z ERROR time_server::kit] accept failed:\n    too many open files\n    retrying";
    append(
        &logs.current(),
        format!("{listening}\n{message}\n").as_bytes(),
    );
    append(&logs.current(), &lines(0, LINES));
    let (url, ca_file) = (receiver.url(), ca.ca_file.display().to_string());
    let token = token.display().to_string();
    let checkpoint = logs.checkpoint().display().to_string();
    let mut sidecar = Sidecar::start_with(
        &[
            "--path",
            &logs.pattern(),
            "--checkpoint-file",
            &checkpoint,
            "--sink-batch-lines",
            "500",
            "--shutdown-linger",
            "200ms",
        ],
        &[
            ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", url.as_str()),
            ("SINK_COMPRESSION", "gzip"),
            ("SINK_CA_FILE", ca_file.as_str()),
            ("SINK_BEARER_TOKEN_FILE", token.as_str()),
            ("OTEL_SERVICE_NAME", "time-service"),
            ("CONTAINER_NAME", "time-server"),
            ("POD_NAME", "time-service-7c886f94bf-gwk4x"),
            ("POD_NAMESPACE", "default"),
            ("NODE_NAME", "node-1"),
        ],
        Stdout::Discarded,
    );
    let arrived = receiver
        .wait_for_distinct(LINES, LINES, Duration::from_secs(60))
        .await;
    let status = sidecar.terminate(Duration::from_secs(30));
    let stderr = sidecar.stderr();
    assert!(
        arrived,
        "{} of {LINES} lines; stderr:\n{stderr}",
        receiver.tally(LINES).seen()
    );
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(
        !stderr.contains("overlay-token"),
        "the token is in the log:\n{stderr}"
    );

    let tally = receiver.tally(LINES);
    assert_eq!(tally.lost(), Vec::<u64>::new(), "lines lost");
    assert_eq!(tally.out_of_order, 0);
    // Every line a failed request had stored arrives again, and no other.
    let extra_foreign = tally.foreign.len() as u64 - 2;
    assert_eq!(
        tally.duplicates() + extra_foreign,
        processed_but_not_acknowledged(&receiver, Duration::from_secs(10))
    );
    assert!(
        tally.duplicates() > 0,
        "the failed batch held numbered lines"
    );
    let mut firsts: Vec<&str> = Vec::new();
    for line in &tally.foreign {
        if !firsts.contains(&line.as_str()) {
            firsts.push(line);
        }
    }
    assert_eq!(firsts, [listening, message]);

    for r in receiver.requests() {
        assert_eq!(r.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(r.authorization.as_deref(), Some("Bearer overlay-token"));
    }
    let decoded = receiver.records();
    let error = decoded
        .iter()
        .find(|r| r["body"] == message)
        .expect("the message as one record");
    let path = logs.current().display().to_string();
    assert_eq!(error["time_unix_nano"], 1_795_718_155_000_001_000_u64);
    assert_eq!(error["severity_number"], 17);
    assert_eq!(error["severity_text"], "ERROR");
    assert_eq!(
        error["attributes"],
        json!({"log.file.name": "app.log", "log.file.path": path})
    );
    assert_eq!(
        error["resource"],
        json!({
            "service.name": "time-service",
            "k8s.pod.name": "time-service-7c886f94bf-gwk4x",
            "k8s.namespace.name": "default",
            "k8s.node.name": "node-1",
            "k8s.container.name": "time-server",
        })
    );
}
