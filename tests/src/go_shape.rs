//! What the chapter's Go service answers, checked field by field: `/time`
//! is `{"time":"<time.Now().String()>"}\n` and `/nanotime` is
//! `{"nanoTime":"<UnixNano>"}\n`, Go's json.Encoder bytes exactly.

use std::time::{SystemTime, UNIX_EPOCH};

/// Checks a `/time` body and returns the zone part (`+0000 UTC`).
pub fn check_time(body: &str) -> Result<String, String> {
    let inner = body
        .strip_prefix("{\"time\":\"")
        .and_then(|b| b.strip_suffix("\"}\n"))
        .ok_or_else(|| format!("not {{\"time\":\"...\"}}\\n: {body:?}"))?;
    // 2026-11-26 18:35:01.123456789 +0000 UTC m=+0.001234567
    let fields: Vec<&str> = inner.split(' ').collect();
    let [date, clock, offset, zone, mono] = fields[..] else {
        return Err(format!("expected 5 space-separated fields in {inner:?}"));
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let date_ok = date.len() == 10 && date.split('-').map(digits).filter(|ok| *ok).count() == 3;
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    // Go trims trailing zeros of the fraction, and drops it when it is zero.
    let clock_ok = hms.len() == 8
        && hms.split(':').all(|p| p.len() == 2 && digits(p))
        && (frac.is_empty() || (frac.len() <= 9 && digits(frac) && !frac.ends_with('0')));
    let offset_ok = offset.len() == 5 && matches!(&offset[..1], "+" | "-") && digits(&offset[1..]);
    let mono_ok = mono
        .strip_prefix("m=+")
        .and_then(|m| m.split_once('.'))
        .is_some_and(|(s, n)| digits(s) && n.len() == 9 && digits(n));
    if date_ok && clock_ok && offset_ok && !zone.is_empty() && mono_ok {
        Ok(format!("{offset} {zone}"))
    } else {
        Err(format!("not Go's time.Time.String(): {inner:?}"))
    }
}

/// Checks a `/nanotime` body and that it is within `slack_secs` of now.
pub fn check_nanotime(body: &str, slack_secs: i128) -> Result<i128, String> {
    let digits = body
        .strip_prefix("{\"nanoTime\":\"")
        .and_then(|b| b.strip_suffix("\"}\n"))
        .ok_or_else(|| format!("not {{\"nanoTime\":\"...\"}}\\n: {body:?}"))?;
    let nanos: i128 = digits.parse().map_err(|e| format!("{digits:?}: {e}"))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos() as i128;
    if (nanos - now).abs() > slack_secs * 1_000_000_000 {
        return Err(format!(
            "nanoTime {nanos} is not within {slack_secs}s of now ({now})"
        ));
    }
    Ok(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_go_prints() {
        let zone = check_time("{\"time\":\"2018-11-11 22:12:26.5 +0000 UTC m=+42.000000001\"}\n");
        assert_eq!(zone.as_deref(), Ok("+0000 UTC"));
        assert!(
            check_time("{\"time\":\"2018-11-11 22:12:26 +0300 MSK m=+0.000000001\"}\n").is_ok()
        );
    }

    #[test]
    fn rejects_near_misses() {
        for bad in [
            "{\"time\":\"2018-11-11 22:12:26.50 +0000 UTC m=+42.000000001\"}\n", // untrimmed zero
            "{\"time\":\"2018-11-11T22:12:26.5Z\"}\n",                           // RFC 3339
            "{\"time\":\"2018-11-11 22:12:26.5 +0000 UTC m=+42.000000001\"}",    // no newline
            "{\"time\": \"2018-11-11 22:12:26.5 +0000 UTC m=+42.000000001\"}\n", // space
        ] {
            assert!(check_time(bad).is_err(), "{bad:?}");
        }
        assert!(check_nanotime("{\"nanoTime\":\"12\"}\n", 60).is_err());
        assert!(check_nanotime("{\"nanoTime\":12}\n", 60).is_err());
    }
}
