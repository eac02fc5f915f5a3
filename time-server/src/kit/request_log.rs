//! One log line per answered request, like the Go service's per-call lines,
//! with a per-server sequence number so a reader of the log (the sidecar's
//! tests, a person) can tell that no line was lost or repeated:
//! `GET /time 200 87us #42`. Only the path is logged, never the query
//! string, which may carry secrets.

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
            message.push_str(path);
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
    fn decimals() {
        for n in [0, 7, 10, 200, 1_234_567, u64::MAX] {
            let mut s = String::new();
            push_decimal(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
