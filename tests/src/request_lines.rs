//! The server logs one numbered line per answered request
//! (`... GET /time 200 87us #42`); the sidecar must forward each exactly
//! once and in order. The numbers make that checkable: the server's own log
//! must hold `#1..=#n` with no gap, and the forwarded copy must be the same
//! lines, byte for byte, in the same order.

use std::path::Path;

/// One request line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    /// The per-process sequence number `#N`.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Response status.
    pub status: u16,
    /// The whole line as written.
    pub text: String,
}

/// Parses a request line; `None` for any other line (start-up messages,
/// the sidecar's own diagnostics).
pub fn parse(line: &str) -> Option<RequestLine> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (head, seq) = line.rsplit_once(" #")?;
    if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut fields = head.rsplitn(5, ' ');
    let duration = fields.next()?;
    let status = fields.next()?;
    let path = fields.next()?;
    let method = fields.next()?;
    let method = method.rsplit(' ').next().unwrap_or(method);
    if !duration.ends_with("us") || !path.starts_with('/') {
        return None;
    }
    Some(RequestLine {
        seq: seq.parse().ok()?,
        method: method.to_string(),
        path: path.to_string(),
        status: status.parse().ok()?,
        text: line.to_string(),
    })
}

/// Every request line in `text`, in order of appearance.
pub fn parse_all(text: &str) -> Vec<RequestLine> {
    text.lines().filter_map(parse).collect()
}

/// The request lines of every `time-service.log*` file in `dir` (the live
/// file and its rotations), ordered by sequence number, after checking that
/// they are exactly `#1..=#n`: the server itself lost or repeated nothing.
pub fn logged_in_dir(dir: &Path) -> Vec<RequestLine> {
    let mut lines = Vec::new();
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.expect("listing a readable directory");
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("time-service.log")
        {
            let text = std::fs::read(entry.path()).expect("reading a log file");
            lines.extend(parse_all(&String::from_utf8_lossy(&text)));
        }
    }
    lines.sort_by_key(|l| l.seq);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(
            line.seq,
            i as u64 + 1,
            "the server's own log is not #1..=#{}: at position {i} found {:?}",
            lines.len(),
            line.text
        );
    }
    lines
}

/// Asserts that `forwarded` is exactly `logged`: same lines, same order,
/// none missing, none repeated. The panic names the first difference.
pub fn assert_forwarded_exactly_once(logged: &[RequestLine], forwarded: &[RequestLine]) {
    for (i, (want, got)) in logged.iter().zip(forwarded).enumerate() {
        assert_eq!(
            want.text, got.text,
            "forwarded line {i} differs: the server logged #{} but the sidecar forwarded #{}",
            want.seq, got.seq
        );
    }
    assert_eq!(
        forwarded.len(),
        logged.len(),
        "the server logged {} request lines and the sidecar forwarded {}; first extra or missing: {:?}",
        logged.len(),
        forwarded.len(),
        if forwarded.len() > logged.len() {
            forwarded.get(logged.len())
        } else {
            logged.get(forwarded.len())
        }
    );
}

/// While the server is still logging (probes, scrapes), the forwarded copy
/// lags: asserts it is exactly the first lines of `logged`, in order, with
/// nothing repeated. Read `forwarded` before `logged` so the log is ahead.
pub fn assert_forwarded_prefix(logged: &[RequestLine], forwarded: &[RequestLine]) {
    assert!(
        forwarded.len() <= logged.len(),
        "the sidecar forwarded {} request lines but the server logged only {}: something was repeated",
        forwarded.len(),
        logged.len()
    );
    assert_forwarded_exactly_once(&logged[..forwarded.len()], forwarded);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_request_line_behind_a_logger_prefix() {
        let l =
            parse("[2026-11-26T18:00:00Z INFO  time_server::request_log] GET /time 200 87us #42")
                .unwrap();
        assert_eq!(
            (l.seq, l.method.as_str(), l.path.as_str(), l.status),
            (42, "GET", "/time", 200)
        );
    }

    #[test]
    fn ignores_other_lines() {
        assert_eq!(parse("listening on 0.0.0.0:8080"), None);
        assert_eq!(parse("issue #12 is fixed"), None);
        assert_eq!(parse("GET /time 200 87us #"), None);
    }

    #[test]
    fn a_missing_or_repeated_line_is_reported() {
        let logged = parse_all("GET /a 200 1us #1\nGET /b 200 1us #2\n");
        let missing = parse_all("GET /a 200 1us #1\n");
        let repeated = parse_all("GET /a 200 1us #1\nGET /b 200 1us #2\nGET /b 200 1us #2\n");
        let swapped = parse_all("GET /b 200 1us #2\nGET /a 200 1us #1\n");
        for bad in [missing, repeated, swapped] {
            let result = std::panic::catch_unwind(|| assert_forwarded_exactly_once(&logged, &bad));
            assert!(result.is_err(), "{bad:?} was accepted");
        }
        assert_forwarded_exactly_once(&logged, &logged.clone());
        assert_forwarded_prefix(&logged, &logged[..1]);
        let repeated = parse_all("GET /a 200 1us #1\nGET /a 200 1us #1\n");
        assert!(std::panic::catch_unwind(|| assert_forwarded_prefix(&logged, &repeated)).is_err());
    }
}
