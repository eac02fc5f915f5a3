//! Command lines the same way for every program on the kit: a bad flag or
//! value exits 2 with a one-line reason, `--help` and `--version` print and
//! exit 0, and durations and sizes are written alike (`--drain-timeout
//! 10s`, `--log-max-bytes 10MiB`). The value parsers return `String`
//! errors because that is what clap's `value_parser` wants.

use std::process::ExitCode;
use std::time::Duration;

/// Parses the command line and environment into `C`, or says why not:
/// `Err` holds the exit code after `--help` or `--version` were printed
/// (0) or a bad command line was reported on one line of stderr (2).
pub fn parse_flags<C: clap::Parser>() -> Result<C, ExitCode> {
    use clap::error::ErrorKind;
    C::try_parse().map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            let text = e.render().to_string();
            usage_error(
                text.lines()
                    .next()
                    .unwrap_or("invalid arguments")
                    .trim_start_matches("error: "),
            )
        }
    })
}

/// Reports a bad command line that clap could not tell (values that
/// contradict each other) on one line of stderr: exit code 2.
pub fn usage_error(reason: &str) -> ExitCode {
    eprintln!("error: {reason}");
    ExitCode::from(2)
}

/// Parses a duration written as Go's `time.ParseDuration` writes them: one
/// or more `<number><unit>` parts, units `ns`, `us` (or `µs`), `ms`, `s`,
/// `m`, `h`, decimals allowed: `250ms`, `5s`, `1m30s`, `1.5h`, `0s`.
/// A bare number is an error, because `10` could mean anything.
///
/// ```
/// use std::time::Duration;
/// use time_server::kit::parse_duration;
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
/// assert!(parse_duration("10").is_err());
/// ```
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let text = s.trim();
    let hint = "expected a number with a unit, e.g. 250ms, 5s, 2m, 1h";
    if text.is_empty() {
        return Err(format!("empty duration: {hint}"));
    }
    let mut rest = text;
    let mut total_nanos: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        if number.is_empty() {
            return Err(format!("invalid duration {text:?}: {hint}"));
        }
        if unit.is_empty() {
            return Err(format!("invalid duration {text:?}: missing unit; {hint}"));
        }
        let unit_nanos: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            other => {
                return Err(format!(
                    "invalid duration {text:?}: unknown unit {other:?}; {hint}"
                ))
            }
        };
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && frac.is_empty()) || frac.contains('.') {
            return Err(format!("invalid duration {text:?}: {hint}"));
        }
        let too_long = || format!("duration {text:?} is too long");
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| too_long())?
        };
        let mut part = whole.checked_mul(unit_nanos).ok_or_else(too_long)?;
        // Fractional digits beyond nanosecond precision are ignored.
        let mut scale = unit_nanos;
        for digit in frac.bytes() {
            scale /= 10;
            part += u128::from(digit - b'0') * scale;
        }
        total_nanos = total_nanos.checked_add(part).ok_or_else(too_long)?;
        rest = next;
    }
    let secs = u64::try_from(total_nanos / 1_000_000_000)
        .map_err(|_| format!("duration {text:?} is too long"))?;
    Ok(Duration::new(secs, (total_nanos % 1_000_000_000) as u32))
}

/// Parses a size in bytes: a plain number, or a number with a binary unit
/// `KiB`, `MiB`, `GiB` (also written `K`, `M`, `G`, any case): `1048576`,
/// `64KiB`, `10MiB`, `1G`. `KB`/`MB`/`GB` are refused because they are
/// ambiguous (1000 or 1024?).
///
/// ```
/// use time_server::kit::parse_bytes;
/// assert_eq!(parse_bytes("10MiB"), Ok(10 * 1024 * 1024));
/// assert_eq!(parse_bytes("64k"), Ok(65536));
/// assert!(parse_bytes("10MB").is_err());
/// ```
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let text = s.trim();
    let hint = "expected bytes, e.g. 1048576, 64KiB, 10MiB, 1GiB";
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    if number.is_empty() {
        return Err(format!("invalid size {text:?}: {hint}"));
    }
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "ki" | "kib" => 1 << 10,
        "m" | "mi" | "mib" => 1 << 20,
        "g" | "gi" | "gib" => 1 << 30,
        "kb" | "mb" | "gb" => {
            return Err(format!(
                "ambiguous size unit in {text:?}: write KiB, MiB or GiB (powers of 1024)"
            ))
        }
        _ => {
            return Err(format!(
                "invalid size {text:?}: unknown unit {unit:?}; {hint}"
            ))
        }
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("size {text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        let ok = [
            ("250ms", Duration::from_millis(250)),
            ("5s", Duration::from_secs(5)),
            ("2m", Duration::from_secs(120)),
            ("1h", Duration::from_secs(3600)),
            ("0s", Duration::ZERO),
            ("1m30s", Duration::from_secs(90)),
            ("1.5s", Duration::from_millis(1500)),
            (".5s", Duration::from_millis(500)),
            ("10us", Duration::from_micros(10)),
            ("7ns", Duration::from_nanos(7)),
            (" 3s ", Duration::from_secs(3)),
        ];
        for (text, want) in ok {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn bad_durations_say_why() {
        for text in [
            "10",
            "",
            "s",
            "5x",
            "-5s",
            "1..5s",
            "5 s",
            "99999999999999999999999h",
        ] {
            let err = parse_duration(text).expect_err(text);
            assert!(!err.contains('\n'), "one line: {err}");
        }
        assert!(parse_duration("10").unwrap_err().contains("missing unit"));
    }

    #[test]
    fn sizes_with_binary_units() {
        let ok = [
            ("1048576", 1_048_576),
            ("64KiB", 65_536),
            ("10MiB", 10_485_760),
            ("1GiB", 1 << 30),
            ("16K", 16_384),
            ("2m", 2 << 20),
            ("0", 0),
            ("7B", 7),
        ];
        for (text, want) in ok {
            assert_eq!(parse_bytes(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn bad_sizes_say_why() {
        for text in [
            "",
            "MiB",
            "1.5MiB",
            "10MB",
            "-1",
            "5TiB",
            "99999999999999999999",
        ] {
            assert!(parse_bytes(text).is_err(), "{text}");
        }
        assert!(parse_bytes("10MB").unwrap_err().contains("ambiguous"));
    }
}
