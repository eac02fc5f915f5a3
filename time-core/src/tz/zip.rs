//! One file out of an uncompressed zip, as Go's `loadTzinfoFromZip`
//! reads `$ZONEINFO` when it names a `.zip` (Go ships its zones as
//! `$GOROOT/lib/time/zoneinfo.zip`, and images built for Go programs often
//! copy that file and point `ZONEINFO` at it).
//!
//! Go reads only what it needs: the end-of-central-directory record in
//! the last 22 bytes (so a zip with a comment is "corrupt"), the central
//! directory's entries in order until the name matches, then that entry's
//! local header and data. Entries must be stored, not compressed. CRCs are
//! not checked, by Go or here.

/// Why a zip file could not be read.
pub(crate) const CORRUPT: &str = "corrupt zip file";

/// The stored data of the first entry named `name`; `Ok(None)` when no
/// entry has that name (Go's `ENOENT`: the next place is tried).
pub(crate) fn find_stored<'a>(zip: &'a [u8], name: &str) -> Result<Option<&'a [u8]>, &'static str> {
    const EOCD: u32 = 0x0605_4b50;
    const CENTRAL: u32 = 0x0201_4b50;
    const LOCAL: u32 = 0x0403_4b50;
    let tail = zip
        .len()
        .checked_sub(22)
        .map(|at| &zip[at..])
        .ok_or(CORRUPT)?;
    if le32(tail, 0) != Some(EOCD) {
        return Err(CORRUPT);
    }
    let entries = le16(tail, 10).ok_or(CORRUPT)?;
    let size = le32(tail, 12).ok_or(CORRUPT)? as usize;
    let offset = le32(tail, 16).ok_or(CORRUPT)? as usize;
    let mut dir = zip
        .get(offset..offset.checked_add(size).ok_or(CORRUPT)?)
        .ok_or(CORRUPT)?;
    for _ in 0..entries {
        // Go: "if get4(buf) != zcheader { break }".
        if le32(dir, 0) != Some(CENTRAL) {
            break;
        }
        let field = |at| le16(dir, at).map(usize::from).ok_or(CORRUPT);
        let method = field(10)?;
        let data_len = le32(dir, 24).ok_or(CORRUPT)? as usize;
        let (name_len, extra_len, comment_len) = (field(28)?, field(30)?, field(32)?);
        let local = le32(dir, 42).ok_or(CORRUPT)? as usize;
        let entry_name = dir.get(46..46 + name_len).ok_or(CORRUPT)?;
        dir = dir
            .get(46 + name_len + extra_len + comment_len..)
            .ok_or(CORRUPT)?;
        if entry_name != name.as_bytes() {
            continue;
        }
        if method != 0 {
            return Err("unsupported compression");
        }
        let header = zip
            .get(local..local.checked_add(30 + name_len).ok_or(CORRUPT)?)
            .ok_or(CORRUPT)?;
        let same = le32(header, 0) == Some(LOCAL)
            && le16(header, 8).map(usize::from) == Some(method)
            && le16(header, 26).map(usize::from) == Some(name_len)
            && &header[30..] == name.as_bytes();
        if !same {
            return Err(CORRUPT);
        }
        let start = local + 30 + name_len + usize::from(le16(header, 28).ok_or(CORRUPT)?);
        let end = start.checked_add(data_len).ok_or(CORRUPT)?;
        return zip.get(start..end).map(Some).ok_or(CORRUPT);
    }
    Ok(None)
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Made by Python's `zipfile` (the reference reader and writer of the
    /// format, not ours): Debian's `Asia/Kolkata` stored as
    /// "Asia/Kolkata", the same deflated as "Deflated/Kolkata", and
    /// "Not/TZif" stored.
    pub(crate) const SAMPLE: &[u8] = include_bytes!("../../tests/data/zoneinfo-sample.zip");

    #[test]
    fn finds_entries_and_refuses_what_go_refuses() {
        let kolkata = find_stored(SAMPLE, "Asia/Kolkata").unwrap().unwrap();
        assert!(kolkata.starts_with(b"TZif") && kolkata.len() == 285);
        assert_eq!(find_stored(SAMPLE, "Not/TZif"), Ok(Some(&b"hello"[..])));
        assert_eq!(find_stored(SAMPLE, "asia/kolkata"), Ok(None));
        assert_eq!(find_stored(SAMPLE, "Asia"), Ok(None));
        assert_eq!(
            find_stored(SAMPLE, "Deflated/Kolkata"),
            Err("unsupported compression")
        );
        assert_eq!(find_stored(b"not a zip", "UTC"), Err(CORRUPT));
        let mut commented = SAMPLE.to_vec();
        commented.extend_from_slice(b"comment");
        assert_eq!(find_stored(&commented, "Asia/Kolkata"), Err(CORRUPT));
    }

    #[test]
    fn damaged_zips_are_errors_never_panics() {
        for i in 0..SAMPLE.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut z = SAMPLE.to_vec();
                z[i] ^= flip;
                let _ = find_stored(&z, "Asia/Kolkata");
                let _ = find_stored(&z, "Not/TZif");
            }
            let _ = find_stored(&SAMPLE[..i], "Not/TZif");
        }
    }
}
