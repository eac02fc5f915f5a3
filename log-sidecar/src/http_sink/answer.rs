//! What an HTTP sink's answer means for the lines in the request: the one
//! table both encodings go by (README, "HTTP sink answers"). Three kinds
//! of "no" are told apart, because each needs a different cure:
//! - the sink is down, failing or busy (5xx, 408, 425, 429, no answer):
//!   wait and send the same request again;
//! - the sink is misconfigured from here (401/403/407: credentials;
//!   404/405/410/414/421: the URL; 415: the encoding; 426/431: the
//!   connection or headers; any 3xx: it moved, and redirects are not
//!   followed): no line is at fault, and retrying every line as a dead
//!   letter would empty the files into stderr, so the lines are held and
//!   retried with backoff, loudly, until someone fixes it;
//! - the sink refuses these lines (413: too many bytes at once; 400, 422
//!   and the other 4xx: something in them): split the request until the
//!   line at fault is alone, and dead-letter only that line.

use std::time::Duration;

use hyper::StatusCode;

use super::metrics::RequestResult;

/// How much of an error answer's body is kept for the log and dead letters.
pub(crate) const EXCERPT_BYTES: usize = 200;

/// What the sink does next with the lines of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// 2xx: the lines are delivered.
    Delivered,
    /// Send the same request again after the backoff (at least), or after
    /// the sink's `Retry-After` when that is longer. `loud` when the cause
    /// is a configuration a person must fix.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
        loud: bool,
    },
    /// 413: fewer bytes per request, down to one line.
    TooLarge { status: StatusCode, excerpt: String },
    /// The sink refused something in these lines: bisect to the line.
    Refused { status: StatusCode, excerpt: String },
}

/// An answer: its status, `Retry-After` (delay-seconds), `Location`, and
/// the start of its body as one printable line.
#[derive(Debug)]
pub(crate) struct Answer<'a> {
    pub(crate) status: StatusCode,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) location: Option<&'a str>,
    pub(crate) excerpt: String,
}

/// Statuses that say the sink cannot take anything from us as configured.
fn misconfiguration(status: StatusCode) -> Option<&'static str> {
    Some(match status.as_u16() {
        401 | 407 => "the sink wants credentials (check the header files, e.g. the bearer token)",
        403 => "the credentials were refused (check the header files, e.g. the bearer token)",
        404 | 405 | 410 | 414 | 421 => "the sink URL is wrong",
        415 => "the sink does not take this content (check the encoding and --sink-compression)",
        426 => "the sink wants another protocol (https?)",
        431 => "the sink refused the request headers (check the header files)",
        _ => return None,
    })
}

/// The row of the table for `answer`, and the metric it counts under.
pub(crate) fn classify(answer: Answer<'_>) -> (RequestResult, Verdict) {
    let Answer {
        status,
        retry_after,
        location,
        excerpt,
    } = answer;
    if status.is_success() {
        return (RequestResult::Success, Verdict::Delivered);
    }
    let retry = |result, reason: String, loud| {
        (
            result,
            Verdict::Retry {
                reason,
                retry_after,
                loud,
            },
        )
    };
    if status.is_redirection() {
        let to = location.unwrap_or("no Location");
        return retry(
            RequestResult::Redirect,
            format!("redirect {status} to {to:?}, not followed: point the sink at the final URL"),
            true,
        );
    }
    if let Some(hint) = misconfiguration(status) {
        return retry(
            RequestResult::ConfigError,
            format!("{status} {excerpt:?}: {hint}"),
            true,
        );
    }
    match status.as_u16() {
        408 | 425 | 429 => retry(
            RequestResult::Throttled,
            format!("throttled with {status} {excerpt:?}"),
            false,
        ),
        413 => (
            RequestResult::TooLarge,
            Verdict::TooLarge { status, excerpt },
        ),
        400..=499 => (
            RequestResult::Rejected,
            Verdict::Refused { status, excerpt },
        ),
        500..=599 => retry(
            RequestResult::ServerError,
            format!("server error {status} {excerpt:?}"),
            false,
        ),
        // 1xx as a final answer, or a status HTTP does not define: nothing
        // to act on but time.
        _ => retry(
            RequestResult::UnexpectedStatus,
            format!("unexpected answer {status} {excerpt:?}"),
            false,
        ),
    }
}

/// The start of an answer's body, as one printable line.
pub(crate) fn excerpt(answer: &[u8]) -> String {
    let text = String::from_utf8_lossy(&answer[..answer.len().min(EXCERPT_BYTES)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row for `status` (no Retry-After, no Location).
    fn row(status: u16) -> (RequestResult, &'static str) {
        let (result, verdict) = classify(Answer {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            location: None,
            excerpt: "nope".into(),
        });
        let what = match verdict {
            Verdict::Delivered => "delivered",
            Verdict::Retry { loud: true, .. } => "retry loudly",
            Verdict::Retry { loud: false, .. } => "retry",
            Verdict::TooLarge { .. } => "split",
            Verdict::Refused { .. } => "bisect",
        };
        (result, what)
    }

    #[test]
    fn the_table() {
        use RequestResult::*;
        let table = [
            (200, (Success, "delivered")),
            (202, (Success, "delivered")),
            (204, (Success, "delivered")),
            (301, (Redirect, "retry loudly")),
            (302, (Redirect, "retry loudly")),
            (307, (Redirect, "retry loudly")),
            (308, (Redirect, "retry loudly")),
            (400, (Rejected, "bisect")),
            (401, (ConfigError, "retry loudly")),
            (403, (ConfigError, "retry loudly")),
            (404, (ConfigError, "retry loudly")),
            (405, (ConfigError, "retry loudly")),
            (407, (ConfigError, "retry loudly")),
            (408, (Throttled, "retry")),
            (409, (Rejected, "bisect")),
            (410, (ConfigError, "retry loudly")),
            (413, (TooLarge, "split")),
            (414, (ConfigError, "retry loudly")),
            (415, (ConfigError, "retry loudly")),
            (421, (ConfigError, "retry loudly")),
            (422, (Rejected, "bisect")),
            (425, (Throttled, "retry")),
            (426, (ConfigError, "retry loudly")),
            (429, (Throttled, "retry")),
            (431, (ConfigError, "retry loudly")),
            (451, (Rejected, "bisect")),
            (500, (ServerError, "retry")),
            (502, (ServerError, "retry")),
            (503, (ServerError, "retry")),
            (504, (ServerError, "retry")),
            (599, (ServerError, "retry")),
            (600, (UnexpectedStatus, "retry")),
        ];
        for (status, expected) in table {
            assert_eq!(row(status), expected, "{status}");
        }
    }

    #[test]
    fn a_redirect_names_where_it_pointed() {
        let (_, verdict) = classify(Answer {
            status: StatusCode::TEMPORARY_REDIRECT,
            retry_after: None,
            location: Some("https://elsewhere/v1/logs"),
            excerpt: String::new(),
        });
        let Verdict::Retry { reason, .. } = verdict else {
            panic!("{verdict:?}")
        };
        assert!(reason.contains("https://elsewhere/v1/logs"), "{reason}");
        assert!(reason.contains("not followed"), "{reason}");
    }

    #[test]
    fn retry_after_travels_with_every_retry() {
        for status in [301, 401, 429, 503] {
            let (_, verdict) = classify(Answer {
                status: StatusCode::from_u16(status).unwrap(),
                retry_after: Some(Duration::from_secs(3)),
                location: None,
                excerpt: String::new(),
            });
            assert!(
                matches!(
                    verdict,
                    Verdict::Retry {
                        retry_after: Some(d),
                        ..
                    } if d == Duration::from_secs(3)
                ),
                "{status}: {verdict:?}"
            );
        }
    }

    #[test]
    fn excerpts_are_short_single_lines() {
        assert_eq!(excerpt(b"bad\njson  at\tline 3\n"), "bad json at line 3");
        assert_eq!(excerpt(&[b'x'; 1000]).len(), EXCERPT_BYTES);
    }
}
