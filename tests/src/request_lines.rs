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

/// `Err` naming the first difference unless `forwarded` is exactly
/// `logged`: same lines, same order, none missing, none repeated.
pub fn check_forwarded_exactly_once(
    logged: &[RequestLine],
    forwarded: &[RequestLine],
) -> Result<(), String> {
    if let Some((i, (want, got))) = logged
        .iter()
        .zip(forwarded)
        .enumerate()
        .find(|(_, (w, g))| w.text != g.text)
    {
        return Err(format!(
            "forwarded line {i} differs: the server logged #{} {:?} but the sidecar forwarded #{} {:?}",
            want.seq, want.text, got.seq, got.text
        ));
    }
    if forwarded.len() != logged.len() {
        let first_odd = if forwarded.len() > logged.len() {
            &forwarded[logged.len()]
        } else {
            &logged[forwarded.len()]
        };
        return Err(format!(
            "the server logged {} request lines and the sidecar forwarded {}; first extra or missing: {:?}",
            logged.len(),
            forwarded.len(),
            first_odd.text
        ));
    }
    Ok(())
}

/// `Err` unless `forwarded` is exactly the first lines of `logged`, in
/// order, nothing repeated: while the server is still logging (probes,
/// scrapes) the forwarded copy lags. Read `forwarded` before `logged` so
/// the log is ahead.
pub fn check_forwarded_prefix(
    logged: &[RequestLine],
    forwarded: &[RequestLine],
) -> Result<(), String> {
    if forwarded.len() > logged.len() {
        return Err(format!(
            "the sidecar forwarded {} request lines but the server logged only {}: something was repeated",
            forwarded.len(),
            logged.len()
        ));
    }
    check_forwarded_exactly_once(&logged[..forwarded.len()], forwarded)
}

/// Panics unless [`check_forwarded_exactly_once`] passes.
pub fn assert_forwarded_exactly_once(logged: &[RequestLine], forwarded: &[RequestLine]) {
    if let Err(e) = check_forwarded_exactly_once(logged, forwarded) {
        panic!("{e}");
    }
}

/// Panics unless [`check_forwarded_prefix`] passes.
pub fn assert_forwarded_prefix(logged: &[RequestLine], forwarded: &[RequestLine]) {
    if let Err(e) = check_forwarded_prefix(logged, forwarded) {
        panic!("{e}");
    }
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
    fn a_missing_repeated_or_swapped_line_is_reported() {
        let logged = parse_all("GET /a 200 1us #1\nGET /b 200 1us #2\n");
        let missing = parse_all("GET /a 200 1us #1\n");
        let repeated = parse_all("GET /a 200 1us #1\nGET /b 200 1us #2\nGET /b 200 1us #2\n");
        let swapped = parse_all("GET /b 200 1us #2\nGET /a 200 1us #1\n");
        for bad in [&missing, &repeated, &swapped] {
            assert!(
                check_forwarded_exactly_once(&logged, bad).is_err(),
                "{bad:?} was accepted"
            );
        }
        assert_eq!(check_forwarded_exactly_once(&logged, &logged), Ok(()));
        assert_eq!(check_forwarded_prefix(&logged, &missing), Ok(()));
        let twice = parse_all("GET /a 200 1us #1\nGET /a 200 1us #1\n");
        assert!(check_forwarded_prefix(&logged, &twice).is_err());
        assert!(check_forwarded_prefix(&logged, &repeated).is_err());
    }
}
