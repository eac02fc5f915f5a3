//! One forwarded line and its two encodings, shared by every output so that
//! stdout and the HTTP sink can never disagree about what a line looks like.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

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
    #[serde(flatten)]
    meta: &'a PodMetadata,
}

impl Record {
    /// Appends the line and a newline, bytes untouched.
    pub fn write_raw(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.line);
        out.push(b'\n');
    }

    /// Appends one JSON object and a newline (an NDJSON line):
    /// `{"line":…,"file":…,"truncated":true?,"pod":…,"namespace":…,"node":…}`.
    pub fn write_json(&self, meta: &PodMetadata, out: &mut Vec<u8>) {
        let line = String::from_utf8_lossy(&self.line);
        let file = self.path.to_string_lossy();
        let value = JsonLine {
            line: &line,
            file: &file,
            truncated: self.truncated,
            meta,
        };
        serde_json::to_writer(&mut *out, &value)
            .expect("serializing strings into a Vec cannot fail");
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: &[u8]) -> Record {
        Record {
            path: Arc::from(Path::new("/var/log/time-service/time-service.log")),
            line: line.to_vec(),
            truncated: false,
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
             \"pod\":\"time-service-7c886f94bf-gwk4x\",\"namespace\":\"default\"}\n"
        );
    }
}
