//! The output of a `Format`, written straight into the caller's `String`:
//! ASCII a byte at a time (a push the compiler keeps in registers, with no
//! UTF-8 check to pay afterwards), the layout's other characters and the
//! names as the `&str`s they are.

pub(super) struct Out<'a>(pub &'a mut String);

impl Out<'_> {
    /// One ASCII byte (digits, signs, letters of the output).
    #[inline(always)]
    pub fn byte(&mut self, b: u8) {
        debug_assert!(b.is_ascii());
        // The mask tells the compiler it is one byte of UTF-8.
        self.0.push(char::from(b & 0x7f));
    }

    #[inline(always)]
    pub fn str(&mut self, s: &str) {
        self.0.push_str(s);
    }

    /// `appendInt(b, v, width)` for `v` below 100 and `width` at most 2.
    #[inline(always)]
    pub fn small(&mut self, v: u8, width: usize) {
        if v >= 10 || width == 2 {
            self.byte(b'0' + v / 10);
        }
        self.byte(b'0' + v % 10);
    }

    /// Go's `appendInt(b, x, width)`: a '-' for negatives, then the
    /// absolute value zero-padded to `width` digits, never cut.
    pub fn int(&mut self, x: i64, width: usize) {
        if x < 0 {
            self.byte(b'-');
        }
        let mut u = x.unsigned_abs();
        let mut digits = [b'0'; 20];
        let mut start = digits.len();
        while u > 0 {
            start -= 1;
            digits[start] = b'0' + (u % 10) as u8;
            u /= 10;
        }
        start = start.min(digits.len().saturating_sub(width.max(1)));
        for &d in &digits[start..] {
            self.byte(d);
        }
    }
}
