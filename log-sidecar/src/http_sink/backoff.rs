//! How long to wait before re-sending a batch the sink did not take: exponential
//! backoff with jitter, so that a fleet of sidecars whose sink went down
//! together does not come back as one synchronized wave, plus `Retry-After`
//! when the sink asks for a longer pause. A `Retry-After` shorter than our
//! own delay is not obeyed: a sink answering `Retry-After: 0` to every
//! request once drew 2,911 requests in 5 s. A shutdown shortens every wait,
//! because the caller's drain timeout is now running and each second counts.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use time_server::kit::Shutdown;

/// The first retry waits at most this long.
pub(crate) const BASE: Duration = Duration::from_millis(100);
/// Doubling stops here: a sink that is down for hours is probed twice a minute.
pub(crate) const CAP: Duration = Duration::from_secs(30);
/// Once shutdown has begun, no wait is longer than this, so that the last
/// batches get several chances inside the caller's drain timeout.
pub(crate) const SHUTDOWN_CAP: Duration = Duration::from_secs(1);
/// A `Retry-After` longer than this is clamped: a misbehaving sink must not
/// stall forwarding for a day.
pub(crate) const RETRY_AFTER_MAX: Duration = Duration::from_secs(300);

/// Backoff state for one sink: consecutive failures since the last success.
#[derive(Debug)]
pub(crate) struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
    jitter: Jitter,
}

impl Backoff {
    pub(crate) fn new(base: Duration, cap: Duration) -> Self {
        Backoff {
            base,
            cap,
            failures: 0,
            jitter: Jitter::from_entropy(),
        }
    }

    /// A delivery succeeded: the next failure starts again from `base`.
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    /// The longest wait after the current run of failures:
    /// `base * 2^(failures-1)`, at most `cap` (or `SHUTDOWN_CAP` once shutting down).
    pub(crate) fn ceiling(&self, shutting_down: bool) -> Duration {
        let exponent = self.failures.saturating_sub(1).min(31);
        let ceiling = self
            .base
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.cap)
            .min(self.cap);
        if shutting_down {
            ceiling.min(SHUTDOWN_CAP)
        } else {
            ceiling
        }
    }

    /// Records one more failure and returns how long to wait before the next
    /// attempt: a uniformly random duration in `[ceiling/2, ceiling]`
    /// ("equal jitter": spread, yet never close to zero, so retries slow
    /// down whatever the sink says), or what the sink asked for in
    /// `Retry-After` when that is longer (clamped).
    pub(crate) fn next_delay(
        &mut self,
        retry_after: Option<Duration>,
        shutting_down: bool,
    ) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let limit = if shutting_down {
            SHUTDOWN_CAP
        } else {
            RETRY_AFTER_MAX
        };
        let ceiling = self.ceiling(shutting_down);
        let own = ceiling / 2 + self.jitter.up_to(ceiling - ceiling / 2);
        retry_after.map_or(own, |asked| asked.min(limit).max(own))
    }
}

/// Sleeps for `delay`, but returns as soon as `shutdown` is triggered if it
/// was not already: the first retry after a shutdown happens at once.
/// Cancel-safe: it holds nothing but timers.
pub(crate) async fn pause(delay: Duration, shutdown: &Shutdown) {
    if shutdown.is_triggered() {
        tokio::time::sleep(delay).await;
    } else {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shutdown.wait() => {}
        }
    }
}

/// Parses `Retry-After` in its delay-seconds form (RFC 9110 §10.2.3). The
/// HTTP-date form is ignored: it needs a trustworthy clock shared with the
/// sink, and exponential backoff is a fine answer without it.
pub(crate) fn parse_retry_after(value: &[u8]) -> Option<Duration> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // More digits than fit in u64 seconds is still "a very long time".
    Some(
        text.parse::<u64>()
            .map_or(RETRY_AFTER_MAX, Duration::from_secs),
    )
}

/// A small non-cryptographic generator (SplitMix64) for jitter: jitter only
/// needs different sidecars to pick different delays, which a per-process
/// random seed from the standard library's hasher gives.
#[derive(Debug)]
struct Jitter(u64);

impl Jitter {
    fn from_entropy() -> Self {
        Jitter(RandomState::new().hash_one(std::process::id()))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, ceiling]` at millisecond-ish resolution (the modulo
    /// bias over 2^64 is far below anything a timer can show).
    fn up_to(&mut self, ceiling: Duration) -> Duration {
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.next_u64() % nanos.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn ceilings_double_from_base_to_the_cap() {
        let mut backoff = Backoff::new(BASE, CAP);
        let mut ceilings = Vec::new();
        for _ in 0..12 {
            backoff.next_delay(None, false);
            ceilings.push(backoff.ceiling(false));
        }
        assert_eq!(
            ceilings,
            [
                ms(100),
                ms(200),
                ms(400),
                ms(800),
                ms(1_600),
                ms(3_200),
                ms(6_400),
                ms(12_800),
                ms(25_600),
                CAP,
                CAP,
                CAP
            ]
        );
    }

    #[test]
    fn ceiling_never_overflows_after_very_many_failures() {
        let mut backoff = Backoff::new(BASE, CAP);
        for _ in 0..10_000 {
            backoff.next_delay(None, false);
        }
        assert_eq!(backoff.ceiling(false), CAP);
        assert_eq!(backoff.ceiling(true), SHUTDOWN_CAP);
    }

    #[test]
    fn delays_are_equal_jitter_between_half_and_each_ceiling() {
        let mut backoff = Backoff::new(BASE, CAP);
        let mut below_three_quarters = 0;
        for _ in 0..2_000 {
            backoff.reset();
            for _ in 0..4 {
                let delay = backoff.next_delay(None, false);
                let ceiling = backoff.ceiling(false);
                assert!(
                    ceiling / 2 <= delay && delay <= ceiling,
                    "{delay:?} outside [{:?}, {ceiling:?}]",
                    ceiling / 2
                );
                if delay < ceiling * 3 / 4 {
                    below_three_quarters += 1;
                }
            }
        }
        // Uniform over [ceiling/2, ceiling]: about half fall below 3/4.
        assert!(
            (3_500..4_500).contains(&below_three_quarters),
            "{below_three_quarters} of 8000 below three quarters"
        );
    }

    #[test]
    fn reset_starts_again_from_base() {
        let mut backoff = Backoff::new(BASE, CAP);
        for _ in 0..6 {
            backoff.next_delay(None, false);
        }
        backoff.reset();
        backoff.next_delay(None, false);
        assert_eq!(backoff.ceiling(false), BASE);
    }

    #[test]
    fn retry_after_shorter_than_the_backoff_is_not_obeyed() {
        let mut backoff = Backoff::new(BASE, CAP);
        for failures in 1..12 {
            let delay = backoff.next_delay(Some(Duration::ZERO), false);
            assert!(
                delay >= backoff.ceiling(false) / 2,
                "{delay:?} after {failures} failures"
            );
        }
        assert!(backoff.next_delay(Some(Duration::ZERO), false) >= CAP / 2);
    }

    #[test]
    fn retry_after_is_obeyed_then_clamped() {
        let mut backoff = Backoff::new(BASE, CAP);
        assert_eq!(
            backoff.next_delay(Some(Duration::from_secs(7)), false),
            Duration::from_secs(7)
        );
        assert_eq!(
            backoff.next_delay(Some(Duration::from_secs(86_400)), false),
            RETRY_AFTER_MAX
        );
        assert_eq!(
            backoff.next_delay(Some(Duration::from_secs(7)), true),
            SHUTDOWN_CAP
        );
    }

    #[test]
    fn shutdown_caps_every_wait() {
        let mut backoff = Backoff::new(BASE, CAP);
        for _ in 0..20 {
            assert!(backoff.next_delay(None, true) <= SHUTDOWN_CAP);
        }
    }

    #[test]
    fn retry_after_parses_delay_seconds_only() {
        assert_eq!(parse_retry_after(b"120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(b" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(b"0"), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(b"99999999999999999999999"),
            Some(RETRY_AFTER_MAX)
        );
        assert_eq!(parse_retry_after(b"Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after(b"-1"), None);
        assert_eq!(parse_retry_after(b""), None);
    }

    #[tokio::test(start_paused = true)]
    async fn pause_sleeps_the_whole_delay_when_nothing_happens() {
        let shutdown = Shutdown::new();
        let start = Instant::now();
        pause(ms(1_600), &shutdown).await;
        assert_eq!(start.elapsed(), ms(1_600));
    }

    #[tokio::test(start_paused = true)]
    async fn pause_wakes_at_once_when_shutdown_begins() {
        let shutdown = Shutdown::new();
        let start = Instant::now();
        let trigger = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                tokio::time::sleep(ms(250)).await;
                shutdown.trigger();
            })
        };
        pause(CAP, &shutdown).await;
        assert_eq!(start.elapsed(), ms(250));
        trigger.await.expect("the trigger task does not panic");
    }

    #[tokio::test(start_paused = true)]
    async fn pause_after_shutdown_still_waits_so_retries_do_not_spin() {
        let shutdown = Shutdown::new();
        shutdown.trigger();
        let start = Instant::now();
        pause(ms(400), &shutdown).await;
        assert_eq!(start.elapsed(), ms(400));
    }

    #[tokio::test(start_paused = true)]
    async fn a_sink_down_for_a_minute_is_retried_a_bounded_number_of_times() {
        // The retry schedule the sink follows, replayed on paused time: the
        // count of attempts in the first minute is what a dead sink costs.
        let shutdown = Shutdown::new();
        let mut backoff = Backoff::new(BASE, CAP);
        let start = Instant::now();
        let mut attempts = 0;
        while start.elapsed() < Duration::from_secs(60) {
            attempts += 1;
            let delay = backoff.next_delay(None, false);
            pause(delay, &shutdown).await;
        }
        // Ceilings 0.1, 0.2, ... 25.6 s, then 30 s; each wait is between
        // half its ceiling and all of it: the attempts of the first minute
        // start by 51.1 s at the latest (10) and by 55.55 s at the earliest
        // (12).
        assert!((10..=12).contains(&attempts), "{attempts} attempts");
    }
}
