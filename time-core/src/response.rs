//! The service's JSON body, encoded as Go's `json.NewEncoder(w).Encode(v)`
//! writes it.
//!
//! Go's struct is
//! `type Time struct { Time string `json:"time,omitempty"`; NanoTime string `json:"nanoTime,omitempty"` }`.
//! Two details make Go's bytes differ from plain `serde_json::to_vec`:
//! the encoder appends a newline after every value, and it escapes `<`, `>`,
//! `&`, U+2028 and U+2029 (`SetEscapeHTML(true)` is the default) and writes
//! control characters other than `\n`, `\r`, `\t` as `\u00XX` (Go 1.19; Go
//! 1.22 added `\b` and `\f`, which we do not follow, to stay with the
//! chapter's go.mod).

use std::io;

use serde::{Deserialize, Serialize};

use crate::GoTime;

/// The body of `/time` and `/nanotime`; the empty field is left out, as
/// Go's `omitempty` does.
///
/// ```
/// use time_core::TimeResponse;
/// let body = TimeResponse::nano_time(1_541_974_346_123_456_789).to_go_json();
/// assert_eq!(body, b"{\"nanoTime\":\"1541974346123456789\"}\n");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeResponse {
    /// Go's `time.Now().String()`.
    #[serde(rename = "time", default, skip_serializing_if = "String::is_empty")]
    pub time: String,
    /// Go's `strconv.FormatInt(time.Now().UnixNano(), 10)`.
    #[serde(rename = "nanoTime", default, skip_serializing_if = "String::is_empty")]
    pub nano_time: String,
}

impl TimeResponse {
    /// The `/time` body for a formatted time.
    pub fn time(time: impl Into<String>) -> Self {
        TimeResponse {
            time: time.into(),
            nano_time: String::new(),
        }
    }

    /// The `/nanotime` body for a `UnixNano` value.
    pub fn nano_time(nanos: i64) -> Self {
        TimeResponse {
            time: String::new(),
            nano_time: nanos.to_string(),
        }
    }

    /// The exact bytes Go's `json.Encoder.Encode` writes, newline included.
    pub fn to_go_json(&self) -> Vec<u8> {
        // `{"time":"…","nanoTime":"…"}` and the newline: 27 bytes around the
        // strings, which rarely need escaping.
        let mut out = Vec::with_capacity(self.time.len() + self.nano_time.len() + 32);
        if is_plain(&self.time) && is_plain(&self.nano_time) {
            // What the encoder would write, without its machinery: this is a
            // service's per-request path, and the fields almost never need
            // escaping (a zone abbreviation with `&` would).
            out.push(b'{');
            let mut sep = "";
            for (name, value) in [
                ("\"time\":\"", &self.time),
                ("\"nanoTime\":\"", &self.nano_time),
            ] {
                if !value.is_empty() {
                    out.extend_from_slice(sep.as_bytes());
                    out.extend_from_slice(name.as_bytes());
                    out.extend_from_slice(value.as_bytes());
                    out.push(b'"');
                    sep = ",";
                }
            }
            out.extend_from_slice(b"}\n");
            return out;
        }
        write_go_json(&mut out, self).expect("writing JSON of strings into a Vec cannot fail");
        out
    }
}

/// Appends the `/time` body for `time`: exactly
/// `TimeResponse::time(time.to_string()).to_go_json()`, assembled without
/// the intermediate `String` or the serializer, and in one allocation of
/// the exact size when `out` starts empty (so it converts into
/// `bytes::Bytes` without another). For a service's per-request path.
///
/// ```
/// use time_core::{write_time_json, FixedZone, GoTime, Timestamp};
/// let t = GoTime::new(Timestamp::new(1_541_974_346, 500_000_000)?, FixedZone::UTC);
/// let mut body = Vec::new();
/// write_time_json(&mut body, &t);
/// assert_eq!(body, b"{\"time\":\"2018-11-11 22:12:26.5 +0000 UTC\"}\n");
/// # Ok::<(), time_core::Error>(())
/// ```
pub fn write_time_json(out: &mut Vec<u8>, time: &GoTime) {
    time.with_go_string_parts(|parts| {
        // The date, offset and monotonic parts are digits and punctuation
        // Go never escapes; only the zone name can need it.
        let [_, name, _] = parts;
        if !is_plain(name) {
            // A zone name with a byte Go escapes: the encoder's way.
            let time = parts.concat();
            let time = String::from_utf8(time).expect("the parts of String() are UTF-8");
            let body = TimeResponse::time(time).to_go_json();
            out.reserve_exact(body.len());
            out.extend_from_slice(&body);
            return;
        }
        let len: usize = parts.iter().map(|part| part.len()).sum();
        out.reserve_exact(TIME_OPEN.len() + len + CLOSE.len());
        out.extend_from_slice(TIME_OPEN);
        for part in parts {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(CLOSE);
    })
}

/// Appends the `/nanotime` body for a `UnixNano` value: exactly
/// `TimeResponse::nano_time(nanos).to_go_json()`, without the serializer,
/// in one exactly sized allocation when `out` starts empty.
///
/// ```
/// let mut body = Vec::new();
/// time_core::write_nano_time_json(&mut body, -5);
/// assert_eq!(body, b"{\"nanoTime\":\"-5\"}\n");
/// ```
pub fn write_nano_time_json(out: &mut Vec<u8>, nanos: i64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut abs = nanos.unsigned_abs();
    loop {
        start -= 1;
        digits[start] = b'0' + (abs % 10) as u8;
        abs /= 10;
        if abs == 0 {
            break;
        }
    }
    let sign: &[u8] = if nanos < 0 { b"-" } else { b"" };
    out.reserve_exact(NANO_OPEN.len() + sign.len() + digits.len() - start + CLOSE.len());
    out.extend_from_slice(NANO_OPEN);
    out.extend_from_slice(sign);
    out.extend_from_slice(&digits[start..]);
    out.extend_from_slice(CLOSE);
}

const TIME_OPEN: &[u8] = b"{\"time\":\"";
const NANO_OPEN: &[u8] = b"{\"nanoTime\":\"";
const CLOSE: &[u8] = b"\"}\n";

/// Whether Go's encoder writes `s` as it is: printable ASCII without the
/// quote, the backslash and the HTML-sensitive `<`, `>`, `&`.
fn is_plain(s: impl AsRef<[u8]>) -> bool {
    s.as_ref()
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&'))
}

/// Serializes any value as Go's `json.Encoder.Encode` does: Go's string
/// escaping and a trailing newline.
pub fn write_go_json<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, GoFormatter);
    value.serialize(&mut ser)?;
    out.push(b'\n');
    Ok(())
}

/// serde_json's compact formatter with Go's escaping rules.
#[derive(Debug, Clone, Copy)]
struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json hands us runs that need no JSON escaping; Go also escapes
        // the HTML-sensitive bytes and the two JavaScript line terminators
        // (U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8). Scanning
        // bytes, not chars, keeps the common case (nothing to escape) a
        // plain loop and one write.
        let bytes = fragment.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let (esc, len): (&[u8], usize) = match bytes[i] {
                b'<' => (b"\\u003c", 1),
                b'>' => (b"\\u003e", 1),
                b'&' => (b"\\u0026", 1),
                0xE2 if bytes.get(i + 1) == Some(&0x80) => match bytes.get(i + 2) {
                    Some(0xA8) => (b"\\u2028", 3),
                    Some(0xA9) => (b"\\u2029", 3),
                    _ => {
                        i += 1;
                        continue;
                    }
                },
                _ => {
                    i += 1;
                    continue;
                }
            };
            w.write_all(&bytes[start..i])?;
            w.write_all(esc)?;
            i += len;
            start = i;
        }
        w.write_all(&bytes[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> io::Result<()> {
        use serde_json::ser::CharEscape;
        let s: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            // Go 1.19 has no short forms for \b, \f or '/': \u00XX (and '/' unescaped).
            CharEscape::Solidus => b"/",
            CharEscape::Backspace => b"\\u0008",
            CharEscape::FormFeed => b"\\u000c",
            CharEscape::AsciiControl(byte) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let buf = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(byte >> 4) as usize],
                    HEX[(byte & 0xf) as usize],
                ];
                return w.write_all(&buf);
            }
        };
        w.write_all(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_body_matches_go() {
        let r = TimeResponse::time("2018-11-11 22:12:26.5 +0000 UTC m=+0.000000001");
        assert_eq!(
            String::from_utf8(r.to_go_json()).unwrap(),
            "{\"time\":\"2018-11-11 22:12:26.5 +0000 UTC m=+0.000000001\"}\n"
        );
    }

    #[test]
    fn empty_fields_are_omitted() {
        assert_eq!(TimeResponse::default().to_go_json(), b"{}\n");
    }

    #[test]
    fn go_escaping() {
        let r = TimeResponse::time("<a&b>\u{2028}\u{8}\u{c}\u{1}\n\"\\/é");
        assert_eq!(
            String::from_utf8(r.to_go_json()).unwrap(),
            "{\"time\":\"\\u003ca\\u0026b\\u003e\\u2028\\u0008\\u000c\\u0001\\n\\\"\\\\/é\"}\n"
        );
    }
}
