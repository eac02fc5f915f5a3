//! One forwarded line and its two encodings, shared by every output so that
//! stdout and the HTTP sink can never disagree about what a line looks like.

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use time_core::{FixedZone, GoTime, Timestamp};

use crate::line_header::LineHeader;

/// A complete line read from a tailed file, without its line terminator
/// (`\n`, or `\r\n` whose `\r` the reader strips).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The path the line was read from, as it was named when read.
    pub path: Arc<Path>,
    /// The line's bytes, possibly invalid UTF-8: raw output passes them on
    /// untouched; JSON output replaces invalid sequences with U+FFFD.
    pub line: Vec<u8>,
    /// True when the line was cut at `--max-line-bytes`.
    pub truncated: bool,
    /// When the sidecar read it.
    pub observed: SystemTime,
}

/// Pod metadata from the Downward API, added to JSON lines when set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PodMetadata {
    /// `POD_NAME`.
    #[serde(rename = "pod", skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
    /// `POD_NAMESPACE`.
    #[serde(rename = "namespace", skip_serializing_if = "Option::is_none")]
    pub pod_namespace: Option<String>,
    /// `NODE_NAME`.
    #[serde(rename = "node", skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    line: &'a str,
    file: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    truncated: bool,
    timestamp: &'a str,
    observed_timestamp: &'a str,
    #[serde(flatten)]
    meta: &'a PodMetadata,
}

impl Record {
    /// A line read from `path` just now.
    pub fn new(path: Arc<Path>, line: Vec<u8>, truncated: bool) -> Self {
        Record {
            path,
            line,
            truncated,
            observed: SystemTime::now(),
        }
    }

    /// The line's own time and level, when it starts with them.
    pub fn header(&self) -> LineHeader<'_> {
        LineHeader::parse(&self.line)
    }

    /// When it was read, in nanoseconds since the Unix epoch.
    pub fn observed_unix_nanos(&self) -> u64 {
        self.observed
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    /// Appends the line and a newline, bytes untouched.
    pub fn write_raw(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.line);
        out.push(b'\n');
    }

    /// Appends one JSON object and a newline (an NDJSON line):
    /// `{"line":…,"file":…,"truncated":true?,"timestamp":…,"observed_timestamp":…,"pod":…,"namespace":…,"node":…}`.
    /// `timestamp` is the line's own leading RFC 3339 time when it has one,
    /// else when it was read; `observed_timestamp` is when it was read; both
    /// in UTC with up to nine fraction digits.
    pub fn write_json(&self, meta: &PodMetadata, out: &mut Vec<u8>) {
        let line = String::from_utf8_lossy(&self.line);
        let file = self.path.to_string_lossy();
        let observed = self.observed_unix_nanos();
        let observed_timestamp = rfc3339_utc(observed);
        let timestamp = match self.header().unix_nanos {
            Some(own) => rfc3339_utc(own),
            None => observed_timestamp.clone(),
        };
        let value = JsonLine {
            line: &line,
            file: &file,
            truncated: self.truncated,
            timestamp: &timestamp,
            observed_timestamp: &observed_timestamp,
            meta,
        };
        serde_json::to_writer(&mut *out, &value)
            .expect("serializing strings into a Vec cannot fail");
        out.push(b'\n');
    }
}

/// `unix_nanos` as RFC 3339 in UTC, as Go's `RFC3339Nano` writes it.
fn rfc3339_utc(unix_nanos: u64) -> String {
    let instant = i64::try_from(unix_nanos)
        .map(Timestamp::from_unix_nano)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    GoTime::new(instant, FixedZone::UTC).rfc3339_nano()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Read at 2026-11-26T18:35:55.5Z.
    fn record(line: &[u8]) -> Record {
        Record {
            observed: UNIX_EPOCH + Duration::from_millis(1_795_718_155_500),
            ..Record::new(
                Arc::from(Path::new("/var/log/time-service/time-service.log")),
                line.to_vec(),
                false,
            )
        }
    }

    #[test]
    fn raw_passes_invalid_utf8_through() {
        let mut out = Vec::new();
        record(b"a\xffb").write_raw(&mut out);
        assert_eq!(out, b"a\xffb\n");
    }

    #[test]
    fn json_replaces_invalid_utf8_and_adds_metadata() {
        let meta = PodMetadata {
            pod_name: Some("time-service-7c886f94bf-gwk4x".into()),
            pod_namespace: Some("default".into()),
            node_name: None,
        };
        let mut out = Vec::new();
        record(b"GET \"/time\"\xff").write_json(&meta, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"line\":\"GET \\\"/time\\\"\u{fffd}\",\"file\":\"/var/log/time-service/time-service.log\",\
             \"timestamp\":\"2026-11-26T18:35:55.5Z\",\"observed_timestamp\":\"2026-11-26T18:35:55.5Z\",\
             \"pod\":\"time-service-7c886f94bf-gwk4x\",\"namespace\":\"default\"}\n"
        );
    }

    #[test]
    fn json_timestamp_is_the_lines_own_when_it_has_one() {
        let mut out = Vec::new();
        record(b"[2026-11-26T21:35:54.950883+03:00 INFO  x] GET /time")
            .write_json(&PodMetadata::default(), &mut out);
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["timestamp"], "2026-11-26T18:35:54.950883Z");
        assert_eq!(value["observed_timestamp"], "2026-11-26T18:35:55.5Z");
    }
}
