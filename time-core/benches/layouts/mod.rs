//! The layouts of the Format rows, shared by `format.rs` (criterion,
//! ns/op) and `format_count.rs` (instructions per call): Go's named layouts
//! people use most, and one custom layout with the elements they leave out.
//! scripts/bench-core/ has the same list for Go.

use time_core::layout;

pub const LAYOUTS: [(&str, &str); 5] = [
    ("RFC1123", layout::RFC1123),
    ("UnixDate", layout::UNIX_DATE),
    ("RFC3339", layout::RFC3339),
    ("StampMicro", layout::STAMP_MICRO),
    ("custom", "Monday, January _2 __2 3:04:05,999 pm -07:00:00"),
];

/// The custom layout five ways, formatted in turn, a different one at each
/// call: more than a thread keeps (4), so each is read anew, as Go reads
/// every layout at every call.
pub const CHANGING: [&str; 5] = [
    "Monday, January _2 __2 3:04:05,999 pm -07:00:00 (1)",
    "Monday, January _2 __2 3:04:05,999 pm -07:00:00 (2)",
    "Monday, January _2 __2 3:04:05,999 pm -07:00:00 (3)",
    "Monday, January _2 __2 3:04:05,999 pm -07:00:00 (4)",
    "Monday, January _2 __2 3:04:05,999 pm -07:00:00 (5)",
];
