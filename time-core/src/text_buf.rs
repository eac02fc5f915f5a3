//! Text assembled on the stack, then appended to its destination in one
//! copy. Pushing into a `String` a byte at a time costs, per byte, a
//! capacity check and a reload and store of the length through the
//! caller's pointer; here a byte is one store into an array whose length
//! stays in a register, and the UTF-8 check is paid once, on the whole
//! text, when it is read.
//!
//! `String()` and `RFC3339Nano` (`format.rs`) fill one of a size their
//! longest output fits; `Format(layout)` (`layout/out.rs`) refills one,
//! handing it on to the caller's `String` whenever it runs short of room.

/// `PAIRS[v]` is `v % 100` as two ASCII digits: one load per two digits,
/// with no division and, indexed by a `u8`, no bounds check.
const PAIRS: [[u8; 2]; 256] = {
    let mut pairs = [[0u8; 2]; 256];
    let mut v = 0;
    while v < 256 {
        pairs[v] = [b'0' + (v % 100 / 10) as u8, b'0' + (v % 10) as u8];
        v += 1;
    }
    pairs
};

/// The bytes a [`TextBuf`] writes to, aligned so that `from_utf8` checks
/// them a word at a time from the first. A variable of its own: were it a
/// field of the `TextBuf`, handing it to `from_utf8` would keep the
/// length out of a register for the whole of a `Format`.
#[repr(align(16))]
pub(crate) struct Storage<const N: usize>([u8; N]);

impl<const N: usize> Storage<N> {
    pub(crate) fn new() -> Self {
        Storage([0; N])
    }
}

/// UTF-8 assembled in a [`Storage`] of `N` bytes, of which the last
/// [`PAD`] are for [`TextBuf::as_str`]'s use: text fits in `N - PAD`.
pub(crate) struct TextBuf<'a, const N: usize> {
    buf: &'a mut [u8; N],
    len: usize,
}

/// `from_utf8` checks ASCII 16 bytes at a time, and the rest of the text
/// a byte at a time, at 5 instructions a byte (65 for the last 13 bytes of
/// `Format(RFC1123)`, more than half of the check). [`TextBuf::as_str`]
/// has it check whole blocks only: up to the next multiple of 16, over
/// zeros written past the end.
pub(crate) const PAD: usize = 16;

impl<'a, const N: usize> TextBuf<'a, N> {
    pub(crate) fn new(storage: &'a mut Storage<N>) -> Self {
        TextBuf {
            buf: &mut storage.0,
            len: 0,
        }
    }

    /// Text written into `buf` itself, from its start (a window of
    /// another buffer, see [`TextBuf::window`]).
    pub(crate) fn over(buf: &'a mut [u8; N]) -> Self {
        TextBuf { buf, len: 0 }
    }

    /// The `K` bytes after the text, for a writer out of line to fill
    /// from its start without a bounds check; [`TextBuf::advance`] then
    /// takes in what it wrote. The caller makes sure they are free.
    #[inline(always)]
    pub(crate) fn window<const K: usize>(&mut self) -> &mut [u8; K] {
        let end = self.len + K;
        (&mut self.buf[self.len..end])
            .try_into()
            .expect("a slice of K bytes")
    }

    /// Takes in `n` bytes written through [`TextBuf::window`].
    #[inline(always)]
    pub(crate) fn advance(&mut self, n: usize) {
        self.len += n;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// One ASCII byte.
    #[inline(always)]
    pub(crate) fn byte(&mut self, b: u8) {
        self.buf[self.len] = b;
        self.len += 1;
    }

    /// `v % 100` as two digits: Go's `appendInt(b, v, 2)` for `v` below 100.
    #[inline(always)]
    pub(crate) fn two(&mut self, v: u8) {
        self.buf[self.len..self.len + 2].copy_from_slice(&PAIRS[usize::from(v)]);
        self.len += 2;
    }

    /// `appendInt(b, v, 0)` for `v` below 100: one digit or two. Both are
    /// written; the length says which count.
    #[inline(always)]
    pub(crate) fn one_or_two(&mut self, v: u8) {
        let [tens, ones] = PAIRS[usize::from(v)];
        let one = usize::from(v < 10);
        self.buf[self.len] = if one == 1 { ones } else { tens };
        self.buf[self.len + 1] = ones;
        self.len += 2 - one;
    }

    /// The first `len` bytes of `padded` (`len` at most 16), all 16 of
    /// which are written: one copy of fixed size, whatever `len` is. What
    /// lies past `len` is written over by whatever comes next. The mask
    /// bounds `len` for the bounds checks of the writes that follow, in
    /// one instruction where `min(16)` took three.
    #[inline(always)]
    pub(crate) fn prefix16(&mut self, padded: &[u8; 16], len: usize) {
        debug_assert!(len <= 16);
        self.buf[self.len..self.len + 16].copy_from_slice(padded);
        self.len += len & 31;
    }

    /// Up to 16 bytes of UTF-8 in at most two overlapping copies of fixed
    /// size, as `memcpy` itself does, without calling it for three bytes.
    #[inline(always)]
    pub(crate) fn short(&mut self, text: &[u8]) {
        let n = text.len();
        debug_assert!(n <= 16);
        let dst = &mut self.buf[self.len..self.len + 16];
        if n >= 8 {
            dst[..8].copy_from_slice(&text[..8]);
            dst[n - 8..n].copy_from_slice(&text[n - 8..]);
        } else if n >= 4 {
            dst[..4].copy_from_slice(&text[..4]);
            dst[n - 4..n].copy_from_slice(&text[n - 4..]);
        } else if n > 0 {
            dst[0] = text[0];
            dst[n / 2] = text[n / 2];
            dst[n - 1] = text[n - 1];
        }
        self.len += n;
    }

    /// A year as Go writes it, `appendInt(b, year, 4)`: year 5 is `0005`,
    /// year -5 is `-0005` and year 12345 is `12345`.
    #[inline(always)]
    pub(crate) fn year(&mut self, year: i64) {
        if (0..10_000).contains(&year) {
            self.two((year / 100) as u8);
            self.two((year % 100) as u8);
        } else {
            let written = wide_year(self.window(), year);
            self.advance(written);
        }
    }

    /// The nine digits of `v` below 1e9 (a fraction's nanoseconds), two at
    /// a time.
    #[inline(always)]
    pub(crate) fn nine_digits(&mut self, v: u32) {
        let (first, rest) = (v / 100_000_000, v % 100_000_000);
        self.byte(PAIRS[first as usize % 100][1]);
        self.two((rest / 1_000_000) as u8);
        let rest = rest % 1_000_000;
        self.two((rest / 10_000) as u8);
        let rest = rest % 10_000;
        self.two((rest / 100) as u8);
        self.two((rest % 100) as u8);
    }

    /// Go's `appendInt(b, x, width)` for `x = ±abs`: a '-' for negatives,
    /// then `abs` zero-padded to `width` digits, never cut. At most 21
    /// bytes for a `width` of 20 or less.
    pub(crate) fn padded(&mut self, negative: bool, mut abs: u64, width: usize) {
        if negative {
            self.byte(b'-');
        }
        // Written in place from the last digit back: the zero padding is
        // what is left of the field once `abs` reaches 0, and no scratch
        // buffer is copied.
        let digits = abs.checked_ilog10().map_or(1, |log| log as usize + 1);
        let end = self.len + digits.max(width);
        for slot in self.buf[self.len..end].iter_mut().rev() {
            *slot = b'0' + (abs % 10) as u8;
            abs /= 10;
        }
        self.len = end;
    }

    /// The last `n` bytes written, to look back at (a fraction's digits).
    pub(crate) fn tail(&self, n: usize) -> &[u8] {
        &self.buf[self.len - n..self.len]
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The text, checked as UTF-8 in whole blocks of 16 bytes (see
    /// [`PAD`]): the zeros written past its end are ASCII, and the text
    /// ends where a character does.
    #[inline(always)] // Not inlined, it would take the length out of a register.
    pub(crate) fn as_str(&mut self) -> &str {
        self.buf[self.len..self.len + PAD].fill(0);
        let end = self.len.next_multiple_of(PAD);
        let checked = std::str::from_utf8(&self.buf[..end])
            .expect("only whole characters of UTF-8 are written");
        &checked[..self.len]
    }
}

/// A year outside 0..10000 into `window`; returns the bytes written.
/// Out of line: inlined, the count of its digits was computed before
/// every `Format`, as LLVM moved it out of the loop over the layout.
#[cold]
#[inline(never)]
fn wide_year(window: &mut [u8; 21], year: i64) -> usize {
    let mut text = TextBuf::over(window);
    text.padded(year < 0, year.unsigned_abs(), 4);
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_the_last_two_digits() {
        for v in 0..=255u8 {
            let mut storage = Storage::<20>::new();
            let mut t = TextBuf::new(&mut storage);
            t.two(v);
            assert_eq!(t.as_str(), format!("{:02}", v % 100));
            let mut storage = Storage::<20>::new();
            let mut t = TextBuf::new(&mut storage);
            if v < 100 {
                t.one_or_two(v);
                assert_eq!(t.as_str(), v.to_string());
            }
        }
    }

    #[test]
    fn short_copies_every_length() {
        let text = "0123456789abcdef";
        for n in 0..=16 {
            let mut storage = Storage::<40>::new();
            let mut t = TextBuf::new(&mut storage);
            t.byte(b'<');
            t.short(&text.as_bytes()[..n]);
            t.byte(b'>');
            assert_eq!(t.as_str(), format!("<{}>", &text[..n]));
        }
    }

    #[test]
    fn prefix16_keeps_only_the_prefix() {
        let mut storage = Storage::<40>::new();
        let mut t = TextBuf::new(&mut storage);
        t.prefix16(b"September\0\0\0\0\0\0\0", 3);
        t.byte(b'.');
        assert_eq!(t.as_str(), "Sep.");
    }

    #[test]
    fn nine_digits_every_place() {
        for v in [0, 1, 12, 100_000_000, 123_456_789, 999_999_999, 5_000] {
            let mut storage = Storage::<25>::new();
            let mut t = TextBuf::new(&mut storage);
            t.nine_digits(v);
            assert_eq!(t.as_str(), format!("{v:09}"));
        }
    }

    #[test]
    fn padded_is_go_append_int() {
        let cases = [
            (false, 0, 0, "0"),
            (false, 7, 4, "0007"),
            (true, 5, 4, "-0005"),
            (false, 12_345, 4, "12345"),
            (true, u64::MAX, 20, "-18446744073709551615"),
        ];
        for (negative, abs, width, want) in cases {
            let mut storage = Storage::<40>::new();
            let mut t = TextBuf::new(&mut storage);
            t.padded(negative, abs, width);
            assert_eq!(t.as_str(), want);
        }
    }
}
