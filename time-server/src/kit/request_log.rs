//! One log line per answered request, like the Go service's per-call lines,
//! with a per-server sequence number so a reader of the log (the sidecar's
//! tests, a person) can tell that no line was lost or repeated:
//! `GET /time 200 87us #42`. Only the path is logged, never the query
//! string, which may carry secrets. The line goes on to terminals and log
//! stores (through the sidecar), so what the client chose must not act
//! there: control characters (C0, DEL and the C1 range, whose U+009B is a
//! terminal's CSI), line and paragraph separators and bidi overrides in
//! the path are written percent-encoded, as they would be in the URL.

use std::cell::RefCell;
use std::sync::Mutex;
use std::time::Duration;

use hyper::Method;

use super::Program;

/// Numbers and emits request lines.
#[derive(Debug)]
pub(crate) struct RequestLog {
    /// `<prefix>::request_log`, see [`Program::request_log_target`].
    target: String,
    // A mutex rather than an atomic: the number is taken and the line handed
    // to the logger under one lock, so lines reach the log in number order
    // even when several worker threads answer at once.
    seq: Mutex<u64>,
}

impl RequestLog {
    /// A log whose first line is `#1`, logged with `program`'s target.
    pub(crate) fn new(program: &Program) -> Self {
        RequestLog {
            target: program.request_log_target(),
            seq: Mutex::new(0),
        }
    }

    /// Logs one request at info level.
    pub(crate) fn record(&self, method: &Method, path: &str, status: u16, elapsed: Duration) {
        MESSAGE.with(|cell| {
            // A logger that logs from inside (never ours) gets its own buffer.
            let mut own = String::new();
            let mut borrowed = cell.try_borrow_mut();
            let message = match borrowed.as_deref_mut() {
                Ok(buffer) => buffer,
                Err(_) => &mut own,
            };
            // Assembled by hand into a reused buffer and handed to the
            // logger as one string: formatting five arguments through
            // `core::fmt` (a u128 among them) was a visible share of a
            // request's cost.
            message.clear();
            message.push_str(method.as_str());
            message.push(' ');
            push_path(message, path);
            message.push(' ');
            push_decimal(message, u64::from(status));
            message.push(' ');
            push_decimal(
                message,
                u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            );
            message.push_str("us #");
            let mut seq = self
                .seq
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            *seq += 1;
            push_decimal(message, *seq);
            log::info!(target: &self.target, "{message}");
        });
    }
}

thread_local! {
    static MESSAGE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Appends `path`, each character that could act on a terminal or split a
/// line in a log store percent-encoded byte by byte (`U+009B` is `%C2%9B`).
fn push_path(out: &mut String, path: &str) {
    // What hyper lets through is nearly always printable ASCII.
    if path.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        out.push_str(path);
        return;
    }
    for c in path.chars() {
        if acts_on_display(c) {
            let mut utf8 = [0; 4];
            for &b in c.encode_utf8(&mut utf8).as_bytes() {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        } else {
            out.push(c);
        }
    }
}

/// Controls (C0, DEL, C1), the Unicode line and paragraph separators, and
/// the bidi embeddings, overrides and isolates that reorder what follows.
fn acts_on_display(c: char) -> bool {
    c.is_control()
        || c == ' '
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Appends `value` in decimal.
fn push_decimal(out: &mut String, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_logged_with_what_acts_on_a_display_percent_encoded() {
        for (path, logged) in [
            ("/time", "/time"),
            ("/caf\u{e9}/\u{65e5}", "/caf\u{e9}/\u{65e5}"),
            ("/a\u{9b}31m", "/a%C2%9B31m"),
            ("/\u{85}x\u{2028}y\u{2029}", "/%C2%85x%E2%80%A8y%E2%80%A9"),
            ("/\u{1b}[2J\r\n\t\u{7f}", "/%1B[2J%0D%0A%09%7F"),
            ("/a b", "/a%20b"),
            ("/\u{202e}gpj.exe", "/%E2%80%AEgpj.exe"),
        ] {
            let mut s = String::new();
            push_path(&mut s, path);
            assert_eq!(s, logged, "{path:?}");
        }
    }

    #[test]
    fn decimals() {
        for n in [0, 7, 10, 200, 1_234_567, u64::MAX] {
            let mut s = String::new();
            push_decimal(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
