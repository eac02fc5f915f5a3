//! Waiting for something to become true by polling it until a deadline:
//! never a fixed sleep as synchronization, never an unbounded loop.

use std::time::{Duration, Instant};

/// Polls `check` every `every` until it returns `Ok`, or panics after
/// `timeout` naming `what` and the last `Err` state `check` described.
pub fn until<T>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        let state = match check() {
            Ok(v) => return v,
            Err(state) => state,
        };
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}; last state: {state}");
        }
        std::thread::sleep(every);
    }
}
