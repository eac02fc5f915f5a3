//! The OpenTelemetry project's own decoder of OTLP log requests (the
//! `opentelemetry-proto` Python package in the project's venv), as a child
//! process the test receiver hands each request body to: what the sidecar
//! sends is checked against the official schema, never a decoder of ours.
//! Outside CI a missing venv skips the test, loudly; under CI it fails.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::test_env;

/// The venv's python, which has the pinned `opentelemetry-proto`.
fn venv_python() -> PathBuf {
    std::env::var_os("TIME_SERVICE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv"))
        .join("bin/python")
}

/// A running decoder.
pub struct OfficialDecoder {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Drop for OfficialDecoder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OfficialDecoder {
    /// Starts the decoder, or `None` when the package is not installed
    /// (the test is skipped outside CI; under CI this panics).
    pub fn start(test: &str) -> Option<OfficialDecoder> {
        let python = venv_python();
        let probe = Command::new(&python)
            .args([
                "-c",
                "import opentelemetry.proto.collector.logs.v1.logs_service_pb2",
            ])
            .output();
        if !probe.as_ref().is_ok_and(|o| o.status.success()) {
            test_env::missing(
                test,
                &format!(
                    "{} cannot import opentelemetry-proto (scripts/install-test-deps.sh installs it)",
                    python.display()
                ),
            );
            return None;
        }
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/otlp_decode.py");
        let mut child = Command::new(&python)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {} {}: {e}", python.display(), script.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Some(OfficialDecoder {
            child,
            stdin,
            stdout,
        })
    }

    /// One request body, decoded: `{"resource", "scope", "records"}` (see
    /// otlp_decode.py), or why the official decoder refused it.
    pub fn decode(&mut self, body: &[u8], gzipped: bool) -> Result<serde_json::Value, String> {
        let length = u32::try_from(body.len()).expect("a body under 4 GiB");
        let mut request = length.to_be_bytes().to_vec();
        request.push(u8::from(gzipped));
        request.extend_from_slice(body);
        self.stdin
            .write_all(&request)
            .and_then(|()| self.stdin.flush())
            .expect("the decoder takes a request");
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("the decoder answers");
        let answer: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("decoder said {line:?}: {e}"));
        match answer.get("error") {
            Some(error) => Err(format!(
                "the official decoder refused a request body: {error}"
            )),
            None => Ok(answer),
        }
    }
}
