//! The time service: see the crate docs (filled by issue 3).
