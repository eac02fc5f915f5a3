//! Records as OpenTelemetry log records, in OTLP/HTTP's protobuf encoding
//! (`--otlp-endpoint`), mapped by the OpenTelemetry logs data model and
//! its semantic conventions: `body` is the line, `time_unix_nano` the
//! line's own leading RFC 3339 time when it has one,
//! `observed_time_unix_nano` when the sidecar read it, `severity_*` from
//! the level column, `log.file.name`/`log.file.path` per record, and the
//! pod's `service.name`, `k8s.*` names as resource attributes.
//!
//! The messages are the OpenTelemetry project's own, generated from its
//! .proto files (`opentelemetry-proto`). A request is
//! `ExportLogsServiceRequest { resource_logs: [ResourceLogs { resource,
//! scope_logs: [ScopeLogs { scope, log_records }] }] }`; since a repeated
//! field is its elements' encodings back to back, each record is encoded
//! once, as a `log_records` element, and a request for any run of them is
//! the resource and scope (encoded once, at start) wrapped around those
//! bytes: retrying or splitting a request never encodes a record again.

use std::path::Path;

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message as _;

use crate::record::Record;

/// OTLP/HTTP's protobuf media type.
pub const CONTENT_TYPE_PROTOBUF: &str = "application/x-protobuf";

/// Field 1 of `ExportLogsServiceRequest` (`resource_logs`), length-delimited:
/// the tag byte `(1 << 3) | 2`.
const RESOURCE_LOGS_TAG: u8 = 0x0a;
/// Field 2 of `ResourceLogs` (`scope_logs`) and of `ScopeLogs`
/// (`log_records`), length-delimited: `(2 << 3) | 2`.
const REPEATED_FIELD_2_TAG: u8 = 0x12;

/// Who wrote the lines: the resource attributes of every record, from the
/// sidecar's flags and the Downward API. Unset values are left out, but
/// `service.name`, which OpenTelemetry requires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// `service.name` (`OTEL_SERVICE_NAME`); `unknown_service` when unset,
    /// as the specification says.
    pub service_name: Option<String>,
    /// `k8s.pod.name` (`POD_NAME`).
    pub pod_name: Option<String>,
    /// `k8s.namespace.name` (`POD_NAMESPACE`).
    pub namespace: Option<String>,
    /// `k8s.node.name` (`NODE_NAME`).
    pub node_name: Option<String>,
    /// `k8s.container.name` (`CONTAINER_NAME`): the container that wrote
    /// the files, not the sidecar.
    pub container_name: Option<String>,
}

/// The resource and scope of every request, encoded once, and a record
/// encoder that reuses one `LogRecord` so that a record costs no
/// allocation beyond its bytes.
#[derive(Debug, Clone)]
pub(crate) struct OtlpFrame {
    /// `ResourceLogs.resource`, tag and length included.
    resource: Vec<u8>,
    /// `ScopeLogs.scope`, tag and length included.
    scope: Vec<u8>,
}

impl OtlpFrame {
    pub(crate) fn new(origin: &Origin) -> Self {
        let service_name = origin
            .service_name
            .clone()
            .unwrap_or_else(|| "unknown_service".to_owned());
        let attributes = [
            ("service.name", Some(service_name)),
            ("k8s.pod.name", origin.pod_name.clone()),
            ("k8s.namespace.name", origin.namespace.clone()),
            ("k8s.node.name", origin.node_name.clone()),
            ("k8s.container.name", origin.container_name.clone()),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some(string_attribute(key, value?)))
        .collect();
        let resource = ResourceLogs {
            resource: Some(Resource {
                attributes,
                ..Resource::default()
            }),
            ..ResourceLogs::default()
        }
        .encode_to_vec();
        let scope = ScopeLogs {
            scope: Some(InstrumentationScope {
                name: "log-sidecar".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                ..InstrumentationScope::default()
            }),
            ..ScopeLogs::default()
        }
        .encode_to_vec();
        OtlpFrame { resource, scope }
    }

    /// Bytes the frame adds around `records` bytes of encoded records.
    fn wrapped_lengths(&self, records: usize) -> (usize, usize) {
        let scope_logs = self.scope.len() + records;
        let resource_logs =
            self.resource.len() + 1 + prost::length_delimiter_len(scope_logs) + scope_logs;
        (resource_logs, scope_logs)
    }

    /// The start of an `ExportLogsServiceRequest` whose last bytes are
    /// `records_len` bytes of records encoded back to back
    /// ([`RecordEncoder::encode`]): the request is this, then those.
    pub(crate) fn prefix(&self, records_len: usize) -> Vec<u8> {
        let (resource_logs, scope_logs) = self.wrapped_lengths(records_len);
        let mut out = Vec::with_capacity(resource_logs - records_len + 12);
        out.push(RESOURCE_LOGS_TAG);
        encode_length(resource_logs, &mut out);
        out.extend_from_slice(&self.resource);
        out.push(REPEATED_FIELD_2_TAG);
        encode_length(scope_logs, &mut out);
        out.extend_from_slice(&self.scope);
        out
    }
}

fn encode_length(length: usize, out: &mut Vec<u8>) {
    prost::encode_length_delimiter(length, out).expect("a Vec grows to take a ten-byte length");
}

/// Encodes records one by one as `ScopeLogs.log_records` elements.
#[derive(Debug, Default)]
pub(crate) struct RecordEncoder {
    /// Reused from record to record: its strings keep their capacity.
    scratch: LogRecord,
    /// The file whose name and path the attributes hold now.
    file: Option<std::sync::Arc<Path>>,
}

impl RecordEncoder {
    /// Appends `record` as one `log_records` element (tag, length, message).
    pub(crate) fn encode(&mut self, record: &Record, out: &mut Vec<u8>) {
        let header = record.header();
        let log = &mut self.scratch;
        log.time_unix_nano = header.unix_nanos.unwrap_or(0);
        log.observed_time_unix_nano = record.observed_unix_nanos();
        log.severity_number = header.severity().unwrap_or(0);
        log.severity_text.clear();
        log.severity_text.push_str(header.level.unwrap_or(""));
        let mut body = match log.body.take() {
            Some(AnyValue {
                value: Some(any_value::Value::StringValue(body)),
            }) => body,
            _ => String::new(),
        };
        body.clear();
        body.push_str(&String::from_utf8_lossy(&record.line));
        log.body = Some(AnyValue {
            value: Some(any_value::Value::StringValue(body)),
        });
        if self.file.as_ref() != Some(&record.path) {
            let name = record
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            log.attributes = vec![
                string_attribute("log.file.name", name),
                string_attribute("log.file.path", record.path.to_string_lossy().into_owned()),
            ];
            self.file = Some(record.path.clone());
        }
        match (record.truncated, log.attributes.len()) {
            (true, 2) => log.attributes.push(attribute(
                "log.record.truncated",
                any_value::Value::BoolValue(true),
            )),
            (false, 3) => {
                log.attributes.pop();
            }
            _ => {}
        }
        out.push(REPEATED_FIELD_2_TAG);
        log.encode_length_delimited(out)
            .expect("a Vec grows to take any message");
    }
}

fn string_attribute(key: &str, value: String) -> KeyValue {
    attribute(key, any_value::Value::StringValue(value))
}

fn attribute(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

/// What a 2xx answer's `ExportLogsServiceResponse` says was not taken:
/// `(rejected_log_records, error_message)`, when either is set. An empty
/// or undecodable body is a full success (the specification's answer to a
/// server that sends none).
pub(crate) fn partial_success(answer: &[u8]) -> Option<(u64, String)> {
    let ExportLogsPartialSuccess {
        rejected_log_records,
        error_message,
    } = ExportLogsServiceResponse::decode(answer)
        .ok()?
        .partial_success?;
    let rejected = u64::try_from(rejected_log_records).unwrap_or(0);
    (rejected > 0 || !error_message.is_empty()).then_some((rejected, error_message))
}

/// `google.rpc.Status`, the body OTLP/HTTP servers send with an error
/// status (its `details` are skipped): only its message is wanted, for the
/// log.
#[derive(Clone, PartialEq, prost::Message)]
struct Status {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// The message of an error answer's `google.rpc.Status`, if it is one.
pub(crate) fn status_message(answer: &[u8]) -> Option<String> {
    Status::decode(answer)
        .ok()
        .map(|status| status.message)
        .filter(|message| !message.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    fn record(path: &str, line: &str) -> Record {
        Record {
            observed: UNIX_EPOCH + Duration::from_nanos(1_795_718_155_000_000_001),
            ..Record::new(Arc::from(Path::new(path)), line.as_bytes().to_vec(), false)
        }
    }

    fn origin() -> Origin {
        Origin {
            service_name: Some("time-service".into()),
            pod_name: Some("time-service-7c886f94bf-gwk4x".into()),
            namespace: Some("default".into()),
            node_name: None,
            container_name: Some("server".into()),
        }
    }

    /// A request for `records`, decoded with the official message types.
    fn round_trip(origin: &Origin, records: &[Record]) -> ExportLogsServiceRequest {
        let frame = OtlpFrame::new(origin);
        let mut encoder = RecordEncoder::default();
        let mut encoded = Vec::new();
        for r in records {
            encoder.encode(r, &mut encoded);
        }
        let mut body = frame.prefix(encoded.len());
        body.extend_from_slice(&encoded);
        ExportLogsServiceRequest::decode(&body[..]).expect("a valid request")
    }

    fn string(value: &Option<AnyValue>) -> &str {
        match value {
            Some(AnyValue {
                value: Some(any_value::Value::StringValue(s)),
            }) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    fn attributes(list: &[KeyValue]) -> Vec<(&str, &str)> {
        list.iter()
            .map(|kv| (kv.key.as_str(), string(&kv.value)))
            .collect()
    }

    #[test]
    fn a_request_decodes_as_the_specification_says() {
        let records = [
            record(
                "/var/log/time-service/time-service.log",
                "[2026-11-26T18:35:54.950883Z INFO  time_server::request_log] GET /time 200 78us #1",
            ),
            record("/var/log/time-service/time-service.log.1", "plain line"),
        ];
        let request = round_trip(&origin(), &records);

        assert_eq!(request.resource_logs.len(), 1);
        let resource_logs = &request.resource_logs[0];
        let resource = resource_logs.resource.as_ref().expect("a resource");
        assert_eq!(
            attributes(&resource.attributes),
            [
                ("service.name", "time-service"),
                ("k8s.pod.name", "time-service-7c886f94bf-gwk4x"),
                ("k8s.namespace.name", "default"),
                ("k8s.container.name", "server"),
            ]
        );
        let scope_logs = &resource_logs.scope_logs;
        assert_eq!(scope_logs.len(), 1);
        let scope = scope_logs[0].scope.as_ref().expect("a scope");
        assert_eq!(scope.name, "log-sidecar");
        let logs = &scope_logs[0].log_records;
        assert_eq!(logs.len(), 2);

        assert_eq!(logs[0].time_unix_nano, 1_795_718_154_950_883_000);
        assert_eq!(logs[0].observed_time_unix_nano, 1_795_718_155_000_000_001);
        assert_eq!(logs[0].severity_number, 9);
        assert_eq!(logs[0].severity_text, "INFO");
        assert_eq!(
            string(&logs[0].body),
            "[2026-11-26T18:35:54.950883Z INFO  time_server::request_log] GET /time 200 78us #1"
        );
        assert_eq!(
            attributes(&logs[0].attributes),
            [
                ("log.file.name", "time-service.log"),
                ("log.file.path", "/var/log/time-service/time-service.log"),
            ]
        );

        // No time of its own, no level: both left unset.
        assert_eq!(logs[1].time_unix_nano, 0);
        assert_eq!(logs[1].observed_time_unix_nano, 1_795_718_155_000_000_001);
        assert_eq!((logs[1].severity_number, &*logs[1].severity_text), (0, ""));
        assert_eq!(string(&logs[1].body), "plain line");
        assert_eq!(
            attributes(&logs[1].attributes)[0],
            ("log.file.name", "time-service.log.1")
        );
    }

    #[test]
    fn the_reused_record_leaves_nothing_behind() {
        let mut cut = record("/l", "first piece");
        cut.truncated = true;
        let records = [
            record("/l", "2026-11-26T18:35:54Z ERROR x"),
            cut,
            record("/l", "no header"),
        ];
        let request = round_trip(&Origin::default(), &records);
        let logs = &request.resource_logs[0].scope_logs[0].log_records;
        assert_eq!(logs[0].severity_text, "ERROR");
        assert_eq!(logs[1].severity_text, "");
        assert_eq!(logs[1].time_unix_nano, 0);
        assert_eq!(logs[1].attributes.len(), 3);
        assert_eq!(logs[1].attributes[2].key, "log.record.truncated");
        assert_eq!(logs[2].attributes.len(), 2);
        assert_eq!(string(&logs[2].body), "no header");
        // Without a service name, OpenTelemetry's placeholder.
        let resource = request.resource_logs[0].resource.as_ref().unwrap();
        assert_eq!(
            attributes(&resource.attributes),
            [("service.name", "unknown_service")]
        );
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let mut r = record("/l", "");
        r.line = b"a\xffb".to_vec();
        let request = round_trip(&Origin::default(), &[r]);
        let logs = &request.resource_logs[0].scope_logs[0].log_records;
        assert_eq!(string(&logs[0].body), "a\u{fffd}b");
    }

    #[test]
    fn an_empty_run_of_records_is_still_a_valid_request() {
        let request = round_trip(&origin(), &[]);
        assert!(request.resource_logs[0].scope_logs[0]
            .log_records
            .is_empty());
    }

    #[test]
    fn partial_success_is_read_from_the_response() {
        let answer = ExportLogsServiceResponse {
            partial_success: Some(ExportLogsPartialSuccess {
                rejected_log_records: 3,
                error_message: "too old".into(),
            }),
        }
        .encode_to_vec();
        assert_eq!(partial_success(&answer), Some((3, "too old".into())));
        assert_eq!(partial_success(b""), None);
        assert_eq!(
            partial_success(&ExportLogsServiceResponse::default().encode_to_vec()),
            None
        );
        // A warning without rejections is still worth a log line.
        let warning = ExportLogsServiceResponse {
            partial_success: Some(ExportLogsPartialSuccess {
                rejected_log_records: 0,
                error_message: "deprecated field".into(),
            }),
        }
        .encode_to_vec();
        assert_eq!(
            partial_success(&warning),
            Some((0, "deprecated field".into()))
        );
    }

    #[test]
    fn error_bodies_give_their_status_message() {
        let body = Status {
            code: 3,
            message: "bad log record".into(),
        }
        .encode_to_vec();
        assert_eq!(status_message(&body).as_deref(), Some("bad log record"));
        assert_eq!(status_message(b""), None);
    }
}
