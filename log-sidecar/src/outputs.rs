//! Every output a batch must reach before it counts as delivered: stdout
//! always, the HTTP sink when one is configured. The outputs decide the
//! form a batch is read in ([`Lines`]): raw stdout bytes when stdout is the
//! only output and writes lines as they are, records otherwise.

use crate::batch::Lines;
use crate::config::Format;
use crate::http_sink::HttpSink;
use crate::stdout::Stdout;
use crate::tailer::BatchLimits;

/// Lines per batch at least (a bigger `--sink-batch-lines` raises it).
const MIN_BATCH_LINES: usize = 4096;

/// Bytes per batch of raw stdout lines without a sink, which are bounded
/// in bytes only (a longer `--max-line-bytes` raises it): whatever the
/// line length, a batch is big enough that hand-overs do not count and
/// small enough to be still in the CPU cache when it is written (and two of
/// them keep the RSS low).
const RAW_BATCH_BYTES: u64 = 512 * 1024;

/// stdout and the optional HTTP sink.
#[derive(Debug)]
pub struct Outputs {
    /// Always on.
    pub stdout: Stdout,
    /// The optional HTTP sink.
    pub sink: Option<HttpSink>,
}

impl Outputs {
    /// True when batches are read as raw stdout bytes: stdout is the only
    /// output and writes each line as the file has it.
    pub fn raw_lines(&self) -> bool {
        self.stdout.format() == Format::Raw && self.sink.is_none()
    }

    /// An empty batch to read the next lines into: raw lines in stdout's
    /// spare buffer, or records.
    pub fn lines(&mut self) -> Lines {
        if self.raw_lines() {
            Lines::Raw(self.stdout.lend_raw())
        } else {
            Lines::Records(Vec::new())
        }
    }

    /// How much one batch may hold: half of `--max-buffer-bytes` (two
    /// batches are read ahead of delivery at most) and at least
    /// `--sink-batch-lines` lines; or, for raw lines, 512 KiB or
    /// one longest line, whichever is more, within that half, and no line
    /// bound.
    pub fn batch_limits(
        &self,
        max_buffer_bytes: u64,
        max_line_bytes: u64,
        sink_batch_lines: usize,
    ) -> BatchLimits {
        let half = max_buffer_bytes / 2;
        if self.raw_lines() {
            BatchLimits {
                bytes: half.min(RAW_BATCH_BYTES.max(max_line_bytes.saturating_add(2))),
                lines: usize::MAX,
            }
        } else {
            BatchLimits {
                bytes: half,
                lines: sink_batch_lines.max(MIN_BATCH_LINES),
            }
        }
    }
}
