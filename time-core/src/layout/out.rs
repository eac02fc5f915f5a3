//! The output of a `Format`: gathered in a [`TextBuf`] on the stack and
//! handed to the caller's `String` in one piece when the buffer runs short
//! of room and at the end. Pushed a byte at a time into the `String`
//! itself, each byte cost a capacity check and a load and store of its
//! length through the caller's pointer (a third of the instructions of
//! `Format(RFC1123)`); here it is a store, and one check of room before
//! each element serves all the writes of the element and of the text
//! before it.

use crate::text_buf::{Storage, TextBuf, PAD};
use crate::FixedZone;

/// The buffer: most outputs fit whole.
const CAP: usize = 128;
/// The most that the text before an element and the element write
/// through the buffer: [`TEXT_ROOM`] and 32 for the element, 16-byte
/// copies of names and a year's 21 characters included; longer text
/// goes to the `String` directly.
pub(super) const ROOM: usize = TEXT_ROOM + 32;
/// The longest run of text copied through the buffer.
const TEXT_ROOM: usize = 16;

/// What a writer out of line gets to fill: a numeric zone or a fraction
/// (at most 10 bytes).
pub(super) const WINDOW: usize = 16;

/// The buffer's bytes, a variable of the caller's (see [`Storage`]).
pub(super) type OutStorage = Storage<CAP>;

pub(super) struct Out<'a> {
    dest: &'a mut String,
    pub text: TextBuf<'a, CAP>,
}

impl<'a> Out<'a> {
    pub fn new(dest: &'a mut String, storage: &'a mut OutStorage) -> Self {
        Out {
            dest,
            text: TextBuf::new(storage),
        }
    }

    /// Makes sure [`ROOM`] bytes are free: called before each element
    /// (with the text before it) and the text at the end.
    #[inline(always)]
    pub fn make_room(&mut self) {
        if self.text.len() > CAP - PAD - ROOM {
            self.flush();
        }
    }

    /// Text of the layout, after [`Out::make_room`]: copied through the
    /// buffer when short (most text between elements is a byte or two),
    /// else straight to the `String` after what the buffer holds.
    #[inline(always)]
    pub fn put_text(&mut self, text: &[u8]) {
        if let [byte] = text {
            // The most common text: one separator.
            self.text.byte(*byte);
        } else if text.len() <= TEXT_ROOM {
            self.text.short(text);
        } else {
            // Not a method taking `&mut self` out of line: the length
            // would live in memory for the whole of the `Format`.
            self.flush();
            let text = std::str::from_utf8(text).expect("text ends at a character boundary");
            self.dest.push_str(text);
        }
    }

    /// A zone's name: through the buffer when short (every name of the tz
    /// database is), else straight to the `String` after what the buffer
    /// holds.
    #[inline(always)]
    pub fn zone_name(&mut self, zone: &FixedZone) {
        let name = zone.name_bytes();
        if name.len() <= 16 {
            self.text.short(name);
        } else {
            self.flush();
            self.dest.push_str(zone.name());
        }
    }

    #[inline(always)]
    fn flush(&mut self) {
        self.dest.push_str(self.text.as_str());
        self.text.clear();
    }

    /// Hands the rest to the `String`; to one that has no room yet (a
    /// new one, `format`'s), allocated at its length: `push_str` took the
    /// path that grows a `String`, 55 instructions longer.
    #[inline(always)]
    pub fn finish(mut self) {
        if self.dest.capacity() == 0 {
            *self.dest = String::from(self.text.as_str());
        } else {
            self.flush();
        }
    }
}
