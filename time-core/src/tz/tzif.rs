//! Reading TZif bytes (RFC 8536; the files under `/usr/share/zoneinfo` and
//! `/etc/localtime`) into a zone table, as Go 1.19's
//! `LoadLocationFromTZData` does (`src/time/zoneinfo_read.go`).
//!
//! Go accepts versions 1, 2 and 3, skips the 32-bit block of a v2+ file and
//! reads the 64-bit one, ignores leap seconds and the standard/wall and
//! UT/local indicators (they only matter to POSIX rules in the file, which
//! Go does not use), and keeps the footer between two newlines as the
//! extension rule. Every check Go makes is made here with the same outcome;
//! where Go would accept data that cannot be represented here (an offset of
//! a day or more) we refuse with a reason instead of printing something else.

use super::posix::{PosixTz, Unusable};
use super::{Table, Transition, ZoneType};
use crate::{Error, FixedZone};

/// Go's `dataIO`: a cursor over the bytes that fails once it runs short.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn read(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn big4(&mut self) -> Option<u32> {
        let b = self.read(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn counts(&mut self) -> Option<Counts> {
        Some(Counts {
            utc_local: self.big4()? as usize,
            std_wall: self.big4()? as usize,
            leap: self.big4()? as usize,
            time: self.big4()? as usize,
            zone: self.big4()? as usize,
            chars: self.big4()? as usize,
        })
    }
}

/// The six counts of a TZif header, in file order.
struct Counts {
    utc_local: usize,
    std_wall: usize,
    leap: usize,
    time: usize,
    zone: usize,
    chars: usize,
}

impl Counts {
    /// Bytes of the data block that follows the header.
    fn block_len(&self, time_size: usize) -> Option<usize> {
        let parts = [
            self.time.checked_mul(time_size)?,
            self.time,
            self.zone.checked_mul(6)?,
            self.chars,
            self.leap.checked_mul(time_size + 4)?,
            self.std_wall,
            self.utc_local,
        ];
        parts.iter().try_fold(0usize, |acc, &p| acc.checked_add(p))
    }
}

/// Parses `data` into a zone table; `name` only labels errors.
pub(super) fn parse(name: &str, data: &[u8]) -> Result<Table, Error> {
    let bad = |reason: &'static str| Error::BadTzif {
        name: name.to_string(),
        reason,
    };
    let mut d = Reader { rest: data };
    if d.read(4) != Some(b"TZif") {
        return Err(bad("does not start with \"TZif\""));
    }
    let header = d.read(16).ok_or(bad("header cut short"))?;
    let version = match header[0] {
        0 => 1,
        b'2' => 2,
        b'3' => 3,
        _ => return Err(bad("unknown version (Go 1.19 reads 1, 2 and 3)")),
    };
    let mut n = d.counts().ok_or(bad("header cut short"))?;
    let mut time_size = 4;
    if version > 1 {
        // "Skip the 32-bit data." and the second header's magic and version.
        let skip = n
            .block_len(4)
            .and_then(|l| l.checked_add(4 + 16))
            .ok_or(bad("counts overflow"))?;
        d.read(skip).ok_or(bad("32-bit block cut short"))?;
        n = d.counts().ok_or(bad("64-bit header cut short"))?;
        time_size = 8;
    }
    let short = || bad("data block cut short");
    let times = d
        .read(n.time.checked_mul(time_size).ok_or_else(short)?)
        .ok_or_else(short)?;
    let indices = d.read(n.time).ok_or_else(short)?;
    let zone_data = d
        .read(n.zone.checked_mul(6).ok_or_else(short)?)
        .ok_or_else(short)?;
    let abbrev = d.read(n.chars).ok_or_else(short)?;
    d.read(n.leap.checked_mul(time_size + 4).ok_or_else(short)?)
        .ok_or_else(short)?;
    d.read(n.std_wall).ok_or_else(short)?;
    d.read(n.utc_local).ok_or_else(short)?;

    // The footer: "\n<POSIX TZ>\n" (Go takes whatever is between the first
    // and the last byte when both are newlines).
    let rest = d.rest;
    let extend = if rest.len() > 2 && rest[0] == b'\n' && rest[rest.len() - 1] == b'\n' {
        Some(String::from_utf8_lossy(&rest[1..rest.len() - 1]))
    } else {
        None
    };

    if n.zone == 0 {
        // "Reject tzdata files with no zones. There's nothing useful in them."
        return Err(bad("no local time types"));
    }
    let mut zones = Vec::with_capacity(n.zone);
    for z in zone_data.chunks_exact(6) {
        let offset = i32::from_be_bytes([z[0], z[1], z[2], z[3]]);
        let idx = z[5] as usize;
        if idx >= abbrev.len() {
            return Err(bad("abbreviation index beyond the abbreviations"));
        }
        // Go's `byteString`: up to the first NUL, or the end.
        let tail = &abbrev[idx..];
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        let abbr = String::from_utf8_lossy(&tail[..end]);
        let zone =
            FixedZone::copied(&abbr, offset).map_err(|_| bad("a UTC offset of a day or more"))?;
        zones.push(ZoneType {
            zone,
            is_dst: z[4] != 0,
        });
    }

    let mut tx = Vec::with_capacity(n.time.max(1));
    for (i, &index) in indices.iter().enumerate() {
        let t = &times[i * time_size..(i + 1) * time_size];
        let when = if time_size == 4 {
            i64::from(i32::from_be_bytes([t[0], t[1], t[2], t[3]]))
        } else {
            i64::from_be_bytes([t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]])
        };
        if index as usize >= zones.len() {
            return Err(bad("transition to a local time type that does not exist"));
        }
        tx.push(Transition { when, index });
    }
    if tx.is_empty() {
        // "Build fake transition to cover all time. This happens in fixed
        // locations like "Etc/GMT0"."
        tx.push(Transition {
            when: i64::MIN,
            index: 0,
        });
    }

    let extend = match extend.as_deref().map(PosixTz::parse) {
        None | Some(Err(Unusable::Syntax)) => None,
        Some(Ok(rule)) => Some(rule),
        Some(Err(Unusable::OffsetBeyondADay)) => {
            return Err(bad("the footer has a UTC offset of a day or more"))
        }
    };
    let first_zone = first_zone(&zones, &tx);
    Ok(Table {
        zones,
        tx,
        first_zone,
        extend,
    })
}

/// Go's `lookupFirstZone`: the zone for instants before the first
/// transition, after tzcode's `localtime.c`: "1. If the first zone is
/// unused by the transitions, use it. 2. Otherwise, if there are transition
/// times, and the first transition is to a zone in daylight time, find the
/// first non-daylight-time zone before and closest to the first transition
/// zone. 3. Otherwise, use the first zone that is not daylight time, if
/// there is one. 4. Otherwise, use the first zone."
fn first_zone(zones: &[ZoneType], tx: &[Transition]) -> usize {
    if !tx.iter().any(|t| t.index == 0) {
        return 0;
    }
    if let Some(first) = tx.first() {
        if zones[first.index as usize].is_dst {
            if let Some(zi) = (0..first.index as usize)
                .rev()
                .find(|&zi| !zones[zi].is_dst)
            {
                return zi;
            }
        }
    }
    zones.iter().position(|z| !z.is_dst).unwrap_or(0)
}
