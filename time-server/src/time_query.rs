//! The query of `/time`: `tz` (a zone name, as `time.LoadLocation` takes
//! it) and `layout` (a Go layout, as `t.Format` takes it), decoded as Go's
//! `url.ParseQuery` decodes a query (`+` is a space, `%XX` a byte; the
//! first of repeated keys counts, as `Query().Get` returns it) and checked
//! once, before any zone is loaded.

use std::fmt;

/// The longest layout accepted, in bytes after decoding: every layout of
/// Go's own is under 40.
pub(crate) const MAX_LAYOUT_BYTES: usize = 256;

/// The longest zone name accepted: IANA's longest is 32 bytes.
pub(crate) const MAX_ZONE_NAME_BYTES: usize = 64;

/// What `/time` was asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TimeQuery {
    /// `tz`: present and empty is UTC, as `LoadLocation("")`; absent is the
    /// process's zone.
    pub tz: Option<String>,
    /// `layout`: `Format(layout)` in place of `String()`.
    pub layout: Option<String>,
}

/// Why a query is refused (400).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum QueryError {
    /// A `%` not followed by two hex digits, or bytes that are not UTF-8.
    Malformed(&'static str),
    /// `layout` longer than [`MAX_LAYOUT_BYTES`].
    LayoutTooLong(usize),
    /// `tz` longer than [`MAX_ZONE_NAME_BYTES`].
    ZoneNameTooLong(usize),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Malformed(key) => {
                write!(f, "malformed query: {key} is not valid URL-encoded UTF-8")
            }
            QueryError::LayoutTooLong(n) => {
                write!(
                    f,
                    "layout is {n} bytes; at most {MAX_LAYOUT_BYTES} are accepted"
                )
            }
            QueryError::ZoneNameTooLong(n) => {
                write!(
                    f,
                    "tz is {n} bytes; no zone name is longer than {MAX_ZONE_NAME_BYTES}"
                )
            }
        }
    }
}

impl TimeQuery {
    /// Reads `tz` and `layout` out of a raw query; other keys are ignored,
    /// as Go's handler would ignore them.
    pub(crate) fn parse(query: Option<&str>) -> Result<TimeQuery, QueryError> {
        let mut parsed = TimeQuery::default();
        // Plain /time, the common case, without a split iterator.
        let Some(query) = query.filter(|q| !q.is_empty()) else {
            return Ok(parsed);
        };
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (slot, name, max, too_long): (_, _, _, fn(usize) -> QueryError) = match key {
                "tz" => (
                    &mut parsed.tz,
                    "tz",
                    MAX_ZONE_NAME_BYTES,
                    QueryError::ZoneNameTooLong,
                ),
                "layout" => (
                    &mut parsed.layout,
                    "layout",
                    MAX_LAYOUT_BYTES,
                    QueryError::LayoutTooLong,
                ),
                _ => continue,
            };
            if slot.is_some() {
                continue;
            }
            // Percent-encoding at most triples a byte: refuse early what
            // cannot fit once decoded.
            if value.len() > 3 * max {
                return Err(too_long(value.len() / 3));
            }
            let decoded = decode(value).ok_or(QueryError::Malformed(name))?;
            if decoded.len() > max {
                return Err(too_long(decoded.len()));
            }
            *slot = Some(decoded);
        }
        Ok(parsed)
    }
}

/// `application/x-www-form-urlencoded` value decoding, as Go's
/// `url.QueryUnescape`: `+` is a space, `%XX` a byte; `None` for a bad
/// escape or bytes that are not UTF-8.
fn decode(value: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(value.len());
    let mut rest = value.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = tail.get(..2)?;
                let hex = std::str::from_utf8(hex).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
                rest = &tail[2..];
                continue;
            }
            b => bytes.push(b),
        }
        rest = tail;
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<TimeQuery, QueryError> {
        TimeQuery::parse(Some(q))
    }

    #[test]
    fn reads_tz_and_layout_as_go_decodes_them() {
        assert_eq!(TimeQuery::parse(None), Ok(TimeQuery::default()));
        let q = parse("tz=Asia%2FTokyo&layout=Mon+Jan+_2+15%3A04%3A05+MST&x=1").unwrap();
        assert_eq!(q.tz.as_deref(), Some("Asia/Tokyo"));
        assert_eq!(q.layout.as_deref(), Some("Mon Jan _2 15:04:05 MST"));
        // The first of repeated keys, an empty value, a key without '='.
        let q = parse("tz=&tz=Europe/Moscow&layout").unwrap();
        assert_eq!(q.tz.as_deref(), Some(""));
        assert_eq!(q.layout.as_deref(), Some(""));
        assert_eq!(
            parse("layout=%E6%97%A5%E6%9C%AC")
                .unwrap()
                .layout
                .as_deref(),
            Some("日本")
        );
    }

    #[test]
    fn refuses_bad_escapes_and_long_values() {
        assert_eq!(parse("tz=%zz"), Err(QueryError::Malformed("tz")));
        assert_eq!(parse("layout=%4"), Err(QueryError::Malformed("layout")));
        assert_eq!(parse("layout=%ff"), Err(QueryError::Malformed("layout")));
        let long = "2".repeat(MAX_LAYOUT_BYTES + 1);
        assert_eq!(
            parse(&format!("layout={long}")),
            Err(QueryError::LayoutTooLong(257))
        );
        assert!(parse(&format!("layout={}", "2".repeat(MAX_LAYOUT_BYTES))).is_ok());
        let escaped = "%32".repeat(MAX_LAYOUT_BYTES + 1);
        assert_eq!(
            parse(&format!("layout={escaped}")),
            Err(QueryError::LayoutTooLong(257))
        );
        assert!(matches!(
            parse(&format!("tz={}", "a".repeat(65))),
            Err(QueryError::ZoneNameTooLong(65))
        ));
    }
}
