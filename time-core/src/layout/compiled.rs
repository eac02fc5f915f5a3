//! Layouts read once and then formatted with many times. Go's `Format`
//! reads its layout anew at every call, finding each element byte by byte
//! (`nextStdChunk`), and that search was most of the work of a `Format`.
//! Here a layout is read into a list of [`Step`]s, the text before an
//! element and the element, found once:
//!
//! - Go's named layouts at compile time (`const`), and the steps of each
//!   unrolled into code of its own (`GoTime::write_named_layout`);
//! - any other layout once per thread: a program formats with a handful
//!   of layouts, over and over, so each thread keeps the last [`SLOTS`] it
//!   was given. A layout already kept costs one comparison of its bytes.
//!   A new one is formatted as it is read and only noted, in place of the
//!   oldest; read into steps the second time it comes. Reading steps costs
//!   more than formatting once, and a program that never gives the same
//!   layout twice (5 layouts in turn: 253 ns a `Format` when each was read
//!   into steps, Go 232) pays only for the note.
//!
//! Nothing is allocated: the slots are arrays in a thread-local of fixed
//! size. A layout longer than [`MAX_LAYOUT`] bytes, with more than
//! [`MAX_STEPS`] elements or with a run of text longer than 16 bytes is
//! not kept; it is formatted as it is read.

use std::cell::RefCell;

use super::element::{next_element, Std};

/// The longest layout kept: every named layout of Go's and most written
/// by hand are shorter.
const MAX_LAYOUT: usize = 64;
/// The most elements of a layout kept.
pub(super) const MAX_STEPS: usize = 24;
/// The longest run of text between elements kept: it is copied as one
/// 16-byte block.
const MAX_TEXT: usize = 16;
/// Layouts kept per thread.
const SLOTS: usize = 4;

/// The text before an element, padded to a block of 16 bytes that is
/// copied whole, and the element with its first byte and length in the
/// layout (a fraction's separator and digits).
#[derive(Clone, Copy)]
pub(super) struct Step {
    text: [u8; MAX_TEXT],
    text_len: u8,
    pub std: Std,
    pub first: u8,
    pub len: u8,
}

impl Step {
    /// The text as a 16-byte block, of which the first
    /// [`Step::text_len`] count.
    #[inline(always)]
    pub fn text(&self) -> &[u8; MAX_TEXT] {
        &self.text
    }

    #[inline(always)]
    pub fn text_len(&self) -> usize {
        usize::from(self.text_len)
    }
}

/// How far a kept layout has been read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Seen once, only noted: the steps are not there.
    Seen,
    Read,
    /// Read, and not to be kept: too many elements or too long a text.
    NotKept,
}

/// One layout, read.
#[derive(Clone, Copy)]
pub(super) struct Compiled {
    /// The layout, to know it again.
    layout: [u8; MAX_LAYOUT],
    layout_len: u8,
    state: State,
    steps: [Step; MAX_STEPS],
    step_count: u8,
    /// The text after the last element, padded as a step's.
    tail: [u8; MAX_TEXT],
    tail_len: u8,
}

impl Compiled {
    const EMPTY: Compiled = Compiled {
        layout: [0; MAX_LAYOUT],
        // Longer than any layout kept: an empty slot matches none.
        layout_len: u8::MAX,
        state: State::Seen,
        steps: [Step {
            text: [0; MAX_TEXT],
            text_len: 0,
            std: Std::Day,
            first: 0,
            len: 0,
        }; MAX_STEPS],
        step_count: 0,
        tail: [0; MAX_TEXT],
        tail_len: 0,
    };

    /// The steps, in layout order.
    #[inline(always)]
    pub fn steps(&self) -> &[Step] {
        &self.steps[..usize::from(self.step_count).min(MAX_STEPS)]
    }

    /// The text after the last element, as a block and its length.
    #[inline(always)]
    pub fn tail(&self) -> (&[u8; MAX_TEXT], usize) {
        (&self.tail, usize::from(self.tail_len))
    }

    /// `layout[from..to]`, at most 16 bytes, padded with zeros.
    const fn block(layout: &[u8], from: usize, to: usize) -> [u8; MAX_TEXT] {
        let mut block = [0; MAX_TEXT];
        let mut k = from;
        while k < to {
            block[k - from] = layout[k];
            k += 1;
        }
        block
    }

    fn is(&self, layout: &[u8]) -> bool {
        usize::from(self.layout_len) == layout.len() && self.layout[..layout.len()] == *layout
    }

    /// `layout` read into steps, or `None` when it is not to be kept.
    pub const fn read(layout: &str) -> Option<Compiled> {
        let bytes = layout.as_bytes();
        if bytes.len() > MAX_LAYOUT {
            return None;
        }
        let mut compiled = Compiled::EMPTY;
        let mut k = 0;
        while k < bytes.len() {
            compiled.layout[k] = bytes[k];
            k += 1;
        }
        // Below MAX_LAYOUT, as is every start and length: each fits a u8.
        compiled.layout_len = bytes.len() as u8;
        compiled.state = State::Read;
        let mut from = 0;
        while let Some(element) = next_element(bytes, from) {
            let count = compiled.step_count as usize;
            if element.at - from > MAX_TEXT || count == MAX_STEPS {
                return None;
            }
            compiled.steps[count] = Step {
                text: Compiled::block(bytes, from, element.at),
                text_len: (element.at - from) as u8,
                std: element.std,
                first: bytes[element.at],
                len: element.len as u8,
            };
            compiled.step_count += 1;
            from = element.at + element.len;
        }
        if bytes.len() - from > MAX_TEXT {
            return None;
        }
        compiled.tail = Compiled::block(bytes, from, bytes.len());
        compiled.tail_len = (bytes.len() - from) as u8;
        Some(compiled)
    }

    /// A named layout's steps, at compile time.
    pub const fn named(layout: &str) -> Compiled {
        match Compiled::read(layout) {
            Some(compiled) => compiled,
            None => panic!("every named layout is kept"),
        }
    }
}

/// The layouts a thread keeps, and the slot the next new one takes.
struct Kept {
    slots: [Compiled; SLOTS],
    next: usize,
}

thread_local! {
    static KEPT: RefCell<Kept> = const {
        RefCell::new(Kept {
            slots: [Compiled::EMPTY; SLOTS],
            next: 0,
        })
    };
}

/// Calls `run` with `layout` read into steps, if it is kept, and returns
/// its answer; `None`, without calling it, when the layout is new (it is
/// noted), not to be kept (see the module's text) or the thread's slots
/// cannot be had (the thread is ending).
#[inline(always)]
pub(super) fn with_compiled<R>(layout: &str, run: impl FnOnce(&Compiled) -> R) -> Option<R> {
    KEPT.try_with(|kept| {
        let mut kept = kept.try_borrow_mut().ok()?;
        let bytes = layout.as_bytes();
        let Some(slot) = kept.slots.iter().position(|slot| slot.is(bytes)) else {
            note(&mut kept, bytes);
            return None;
        };
        if kept.slots[slot].state != State::Read {
            read(&mut kept.slots[slot], layout);
        }
        let compiled = &kept.slots[slot];
        (compiled.state == State::Read).then(|| run(compiled))
    })
    .ok()
    .flatten()
}

/// Notes a new layout in the oldest slot, to be read when it comes again.
#[inline(never)]
fn note(kept: &mut Kept, layout: &[u8]) {
    if layout.len() > MAX_LAYOUT {
        return;
    }
    let slot = &mut kept.slots[kept.next];
    slot.layout[..layout.len()].copy_from_slice(layout);
    slot.layout_len = layout.len() as u8;
    slot.state = State::Seen;
    kept.next = (kept.next + 1) % SLOTS;
}

/// Reads a layout seen before into its slot's steps.
#[inline(never)]
fn read(slot: &mut Compiled, layout: &str) {
    match Compiled::read(layout) {
        Some(compiled) => *slot = compiled,
        None => slot.state = State::NotKept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps of `layout`, given twice: the first time it is only noted.
    fn steps_of(layout: &str) -> Option<Vec<(String, Std)>> {
        assert!(with_compiled(layout, |_| ()).is_none(), "{layout:?} is new");
        with_compiled(layout, |compiled| {
            compiled
                .steps()
                .iter()
                .map(|step| {
                    let text = &step.text()[..step.text_len()];
                    (String::from_utf8(text.to_vec()).unwrap(), step.std)
                })
                .collect()
        })
    }

    fn state(layout: &str) -> Option<State> {
        KEPT.with(|kept| {
            let kept = kept.borrow();
            let slot = kept.slots.iter().find(|slot| slot.is(layout.as_bytes()));
            slot.map(|slot| slot.state)
        })
    }

    #[test]
    fn a_layout_is_read_into_text_and_elements() {
        let steps = steps_of("Mon, 02 Jan 2006 15:04:05 MST").unwrap();
        let want = [
            ("", Std::WeekDay),
            (", ", Std::ZeroDay),
            (" ", Std::Month),
            (" ", Std::LongYear),
            (" ", Std::Hour),
            (":", Std::ZeroMinute),
            (":", Std::ZeroSecond),
            (" ", Std::ZoneName),
        ];
        let want: Vec<_> = want.iter().map(|&(t, s)| (t.to_string(), s)).collect();
        assert_eq!(steps, want);
        steps_of("at 3pm, Europe").unwrap();
        with_compiled("at 3pm, Europe", |compiled| {
            let (block, len) = compiled.tail();
            assert_eq!(&block[..len], b", Europe");
        })
        .unwrap();
    }

    #[test]
    fn what_is_not_kept() {
        assert!(steps_of(&"2".repeat(MAX_STEPS)).is_some());
        assert!(steps_of(&"2".repeat(MAX_STEPS + 1)).is_none());
        // A layout found not to be kept is not read again.
        assert_eq!(state(&"2".repeat(MAX_STEPS + 1)), Some(State::NotKept));
        assert!(steps_of(&format!("{}2006", "x".repeat(MAX_TEXT))).is_some());
        assert!(steps_of(&format!("{}2006", "x".repeat(MAX_TEXT + 1))).is_none());
        assert!(steps_of(&"x".repeat(MAX_LAYOUT)).is_none());
        assert!(steps_of(&format!("2006{}", " ".repeat(MAX_LAYOUT - 4))).is_none());
        // 64 bytes are kept, 65 not (nor noted).
        assert!(steps_of(&format!("{}2006", "2006 ".repeat(12))).is_some());
        assert!(steps_of(&"2006 ".repeat(13)).is_none());
        assert_eq!(state(&"2006 ".repeat(13)), None);
    }

    #[test]
    fn new_layouts_are_noted_and_the_oldest_makes_room() {
        let layouts = ["2006", "01", "02", "15", "04"];
        // Two layouts in turn are both kept: each is read the second time.
        assert!(with_compiled(layouts[0], |_| ()).is_none());
        assert!(with_compiled(layouts[1], |_| ()).is_none());
        assert_eq!(state(layouts[0]), Some(State::Seen));
        assert!(with_compiled(layouts[0], |_| ()).is_some());
        assert!(with_compiled(layouts[1], |_| ()).is_some());
        assert_eq!(state(layouts[0]), Some(State::Read));
        for layout in &layouts[2..SLOTS] {
            steps_of(layout).unwrap();
        }
        assert!(layouts[..SLOTS]
            .iter()
            .all(|l| state(l) == Some(State::Read)));
        // A fifth takes the oldest slot.
        steps_of(layouts[SLOTS]).unwrap();
        assert_eq!(state(layouts[0]), None);
        assert!(layouts[1..].iter().all(|l| state(l) == Some(State::Read)));
        // An empty slot matches no layout, not even the empty one.
        assert!(!Compiled::EMPTY.is(b""));
    }
}
