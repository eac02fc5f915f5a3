//! The output of a `Format`, assembled on the stack and appended to the
//! `String` in large pieces: a `String` checks its capacity on every push
//! and copies each small piece with a call, which together cost more than
//! Go's whole `Format`.

/// Size of the stage, a power of two so that an index masked with
/// `STAGE - 1` needs no bounds check.
pub(super) const STAGE: usize = 128;

/// The stage is flushed before a piece when it holds more than this. No
/// piece is longer than `STAGE - FLUSH_ABOVE`: an element writes at most 21
/// bytes (a year of 20 digits and its sign), and text longer than
/// [`MAX_STAGED_TEXT`] goes to the `String` directly.
const FLUSH_ABOVE: usize = 64;

/// Text pieces longer than this skip the stage.
const MAX_STAGED_TEXT: usize = 32;

/// The output, assembled on the stack and appended to the `String` in
/// large pieces: a `String` checks its capacity on every push and copies
/// each small piece with a call, which together cost more than Go's whole
/// `Format`. Only whole `&str`s (layout text, zone names) and ASCII are
/// staged, so every flush is valid UTF-8.
pub(super) struct Stage<'a> {
    pub buf: &'a mut [u8; STAGE + 16],
    pub len: usize,
}

/// Word-aligned, so that the UTF-8 check of a flush runs a word at a time;
/// 16 bytes of slack for [`Stage::name`]'s fixed-size copies.
#[repr(align(16))]
pub(super) struct Aligned(pub [u8; STAGE + 16]);

/// Appends staged bytes. A separate function that sees only the bytes, so
/// that the stage's length can live in a register while it fills.
#[inline(never)]
pub(super) fn flush(out: &mut String, staged: &[u8]) {
    out.push_str(std::str::from_utf8(staged).expect("only whole strs and ASCII are staged"));
}

impl Stage<'_> {
    /// Flushes when the stage is past [`FLUSH_ABOVE`], which leaves room
    /// for any one piece.
    #[inline(always)]
    pub fn make_room(&mut self, out: &mut String) {
        if self.len > FLUSH_ABOVE {
            flush(out, &self.buf[..self.len]);
            self.len = 0;
        }
    }

    /// Text of the layout between elements, or a name: `text[from..to]`
    /// lies between `char` boundaries.
    #[inline(always)]
    pub fn text(&mut self, out: &mut String, text: &str, from: usize, to: usize) {
        let piece = &text.as_bytes()[from..to];
        if piece.len() > MAX_STAGED_TEXT {
            flush(out, &self.buf[..self.len]);
            self.len = 0;
            out.push_str(&text[from..to]);
            return;
        }
        self.make_room(out);
        // Text between elements is mostly a separator or two: cheaper
        // byte by byte than through a call to memcpy.
        match *piece {
            [a] => self.byte(a),
            [a, b] => {
                self.byte(a);
                self.byte(b);
            }
            _ => {
                let at = self.len & (STAGE - 1);
                self.buf[at..at + piece.len()].copy_from_slice(piece);
                self.len += piece.len();
            }
        }
    }

    /// The first `len` bytes of a name padded to 16: one fixed-size copy.
    #[inline(always)]
    pub fn name(&mut self, padded: &[u8; 16], len: usize) {
        let at = self.len & (STAGE - 1);
        self.buf[at..at + 16].copy_from_slice(padded);
        self.len += len;
    }

    #[inline(always)]
    pub fn byte(&mut self, b: u8) {
        // In bounds by make_room's invariant; the mask spares the check.
        debug_assert!(self.len < STAGE);
        self.buf[self.len & (STAGE - 1)] = b;
        self.len += 1;
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
        let digits = u.checked_ilog10().map_or(1, |log| log as usize + 1);
        let end = self.len + digits.max(width);
        for k in (self.len..end).rev() {
            self.buf[k & (STAGE - 1)] = b'0' + (u % 10) as u8;
            u /= 10;
        }
        self.len = end;
    }
}
