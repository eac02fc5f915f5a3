//! Where log records go: into a bounded in-memory queue, from which one
//! writer thread takes everything queued at once and writes it with one
//! write to the log file (for the sidecar) and hands it to a stdout
//! thread for one write to stdout (for `kubectl logs`): a stdout pipe
//! nobody reads stops neither the file nor the exit (what stdout does not
//! take is dropped for stdout alone, counted, and left behind after a
//! second's grace at shutdown). Under load many records share each write, so logging costs no
//! syscall per request; with no load a record is written at once (the
//! writer is woken, there is no timer). A full queue drops records and
//! counts them rather than making requests wait, and a failing file is
//! counted, reported on stderr at most once a minute and retried, while
//! stdout keeps getting every line.
//!
//! Inside the server the writer is not woken by each record but when the
//! async runtime's thread is about to go idle ([`LogSink::idle_hook`], for
//! tokio's `on_thread_park`), or sooner once [`WAKE_BYTES`] are queued: the
//! records of every request handled while the server was busy go out in
//! one write, and on a single core the writer thread does not preempt the
//! server after each request. There is no timer anywhere.

use std::cell::Cell;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

use super::log_file::{FileError, LogFile, LogFileOptions};
use super::Program;

/// Default bound of the queue.
const DEFAULT_QUEUE_BYTES: usize = 8 << 20;

/// With the idle hook installed, a queue this full wakes the writer even
/// though the runtime is still busy, so a saturated server's lines are not
/// held back for long.
pub(crate) const WAKE_BYTES: usize = 64 << 10;

/// At shutdown, how long stdout may take to accept what is left after the
/// file was written and synced. A pipe nobody reads would otherwise hold
/// the exit for good; the lines not written are counted as dropped.
pub(crate) const STDOUT_GRACE: Duration = Duration::from_secs(1);

/// How often a persisting file error is reported on stderr.
pub(crate) const REPORT_INTERVAL: Duration = Duration::from_secs(60);

/// Where the sink writes.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// Write every line to stdout (the container log); off only in tests.
    pub stdout: bool,
    /// The log file, if any.
    pub file: Option<LogFileOptions>,
    /// Records that do not fit in this many queued bytes are dropped.
    pub queue_bytes: usize,
}

impl Default for LogOptions {
    /// stdout only, 8 MiB of queue.
    fn default() -> Self {
        LogOptions {
            stdout: true,
            file: None,
            queue_bytes: DEFAULT_QUEUE_BYTES,
        }
    }
}

/// The sink's counters (`<prefix>_log_*`), registered with
/// [`LogSink::register`].
#[derive(Debug, Clone)]
struct LogMetrics {
    write_errors: IntCounterVec,
    dropped: IntCounterVec,
    rotations: IntCounter,
    batches: IntCounter,
    bytes: IntCounterVec,
}

impl LogMetrics {
    fn new(program: &Program) -> Self {
        let vec = |name: &str, help: &str, label: &str| {
            IntCounterVec::new(Opts::new(program.metric(name), help), &[label])
                .expect("metric options with a valid prefix are valid")
        };
        let m = LogMetrics {
            write_errors: vec(
                "log_write_errors_total",
                "Failed log writes, by target (stdout or file).",
                "target",
            ),
            dropped: vec(
                "log_lines_dropped_total",
                "Log lines lost: queue_full (never written anywhere), file_error (written to stdout only) or stdout_stalled (written to the file only: stdout did not take them).",
                "reason",
            ),
            rotations: IntCounter::new(program.metric("log_rotations_total"), "Log file rotations.")
                .expect("metric options with a valid prefix are valid"),
            batches: IntCounter::new(
                program.metric("log_batches_total"),
                "Batches the log writer took from the queue; each is one write per target.",
            )
            .expect("metric options with a valid prefix are valid"),
            bytes: vec(
                "log_bytes_total",
                "Log bytes written, by target (stdout or file).",
                "target",
            ),
        };
        // Export every series from the start, at zero.
        for target in ["stdout", "file"] {
            m.write_errors.with_label_values(&[target]);
            m.bytes.with_label_values(&[target]);
        }
        for reason in ["queue_full", "file_error", "stdout_stalled"] {
            m.dropped.with_label_values(&[reason]);
        }
        m
    }
}

#[derive(Debug, Default)]
struct Queue {
    buf: Vec<u8>,
    closing: bool,
    /// The writer holds a batch it has not finished writing.
    writing: bool,
    /// The writer is asleep on `wake`: only then is a notification needed.
    writer_waiting: bool,
    /// The writer should take the queue. It does not take it merely because
    /// it is non-empty: on one core that would have it preempt the server
    /// for every line or two.
    wanted: bool,
}

/// What the writer thread has handed to the stdout thread: stdout gets a
/// thread of its own so that a pipe nobody reads stops neither the file
/// nor the exit. It holds at most the queue's bound; beyond it, lines are
/// dropped for stdout only (and counted).
#[derive(Debug, Default)]
struct StdoutQueue {
    buf: Vec<u8>,
    /// The stdout thread holds bytes it has not finished writing.
    writing: bool,
    closing: bool,
}

#[derive(Debug, Default)]
struct StdoutStage {
    queue: Mutex<StdoutQueue>,
    /// Wakes the stdout thread.
    wake: Condvar,
    /// Wakes whoever waits for stdout to be written.
    done: Condvar,
}

impl StdoutStage {
    fn lock(&self) -> MutexGuard<'_, StdoutQueue> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until everything handed over is written, or `deadline`.
    fn wait_written(&self, deadline: Instant) -> bool {
        let mut queue = self.lock();
        while !queue.buf.is_empty() || queue.writing {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            queue = self
                .done
                .wait_timeout(queue, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }
}

#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    stdout: StdoutStage,
    /// Wakes the writer when records arrive or the sink closes.
    wake: Condvar,
    /// Wakes [`LogSink::flush`] callers when a batch is done.
    done: Condvar,
    queue_bytes: usize,
    metrics: LogMetrics,
    /// An idle hook is installed: records leave the waking to it.
    deferred: AtomicBool,
    /// A record was queued without waking the writer.
    pending: AtomicBool,
}

impl Shared {
    fn new(program: &Program, queue_bytes: usize) -> Self {
        Shared {
            queue: Mutex::new(Queue::default()),
            stdout: StdoutStage::default(),
            wake: Condvar::new(),
            done: Condvar::new(),
            queue_bytes,
            metrics: LogMetrics::new(program),
            deferred: AtomicBool::new(false),
            pending: AtomicBool::new(false),
        }
    }

    /// Asks the writer thread to take what is queued.
    fn wake_writer(&self) {
        let mut queue = self.lock();
        if queue.buf.is_empty() {
            return;
        }
        queue.wanted = true;
        if queue.writer_waiting {
            drop(queue);
            self.wake.notify_one();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Gives `bytes` to the stdout thread without ever waiting for stdout;
    /// what does not fit while stdout is behind is dropped and counted.
    fn hand_to_stdout(&self, bytes: &[u8]) {
        let mut queue = self.stdout.lock();
        if queue.buf.len() + bytes.len() > self.queue_bytes {
            drop(queue);
            self.metrics
                .dropped
                .with_label_values(&["stdout_stalled"])
                .inc_by(bytecount_lines(bytes).max(1));
            return;
        }
        queue.buf.extend_from_slice(bytes);
        drop(queue);
        self.stdout.wake.notify_one();
    }
}

/// The running sink: owns the writer thread.
#[derive(Debug)]
pub struct LogSink {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
    /// The stdout thread, when stdout is an output.
    stdout: Option<JoinHandle<()>>,
}

/// The `io::Write` end records are written into (a logger's output, e.g.
/// env_logger's pipe target). Each `write` call is taken as whole records.
#[derive(Debug, Clone)]
pub struct LogWriter {
    shared: Arc<Shared>,
}

impl LogSink {
    /// Opens the log file, if any, and starts the writer thread; its
    /// metrics and stderr reports carry `program`'s names. A file that
    /// cannot be opened now is an error: a program that reported ready
    /// while its log went nowhere would only say so on stderr, once a
    /// minute. Later failures are survived (counted, reported, retried).
    pub fn start(program: Program, options: LogOptions) -> io::Result<Self> {
        let shared = Arc::new(Shared::new(&program, options.queue_bytes));
        let file = match options.file {
            Some(options) => {
                let mut file = LogFile::new(options);
                // The message names the file and the OS error, once.
                file.open().map_err(|e| io::Error::other(e.to_string()))?;
                Some(file)
            }
            None => None,
        };
        let stdout = if options.stdout {
            let thread_shared = Arc::clone(&shared);
            Some(
                std::thread::Builder::new()
                    .name("log-stdout".into())
                    .spawn(move || stdout_loop(&thread_shared))?,
            )
        } else {
            None
        };
        let to_stdout = stdout.is_some();
        let thread_shared = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || write_loop(&thread_shared, program.name, to_stdout, file))?;
        Ok(LogSink {
            shared,
            writer: Some(writer),
            stdout,
        })
    }

    /// A writer for the logger.
    pub fn writer(&self) -> LogWriter {
        LogWriter {
            shared: Arc::clone(&self.shared),
        }
    }

    /// A hook for the async runtime's `on_thread_park`: from its creation
    /// until it is dropped (with the runtime), records logged on a thread
    /// that calls the hook no longer wake the writer thread themselves; the
    /// hook does when the runtime thread runs out of work, or a record does
    /// once 64 KiB are queued.
    pub fn idle_hook(&self) -> IdleHook {
        self.shared.deferred.store(true, Ordering::SeqCst);
        IdleHook {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Registers the sink's counters into `registry`.
    pub fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        let m = &self.shared.metrics;
        registry.register(Box::new(m.write_errors.clone()))?;
        registry.register(Box::new(m.dropped.clone()))?;
        registry.register(Box::new(m.rotations.clone()))?;
        registry.register(Box::new(m.batches.clone()))?;
        registry.register(Box::new(m.bytes.clone()))
    }

    /// Waits (at most `within`) until everything queued so far is written;
    /// returns whether it was.
    pub fn flush(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        self.shared.wake_writer();
        let mut queue = self.shared.lock();
        while !queue.buf.is_empty() || queue.writing {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            queue = self
                .shared
                .done
                .wait_timeout(queue, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        drop(queue);
        self.shared.stdout.wait_written(deadline)
    }

    /// Writes everything queued, fsyncs the file and stops the writer
    /// (at shutdown). Records logged afterwards go straight to stdout.
    pub fn finish(mut self) {
        self.close();
    }

    fn close(&mut self) {
        self.shared.lock().closing = true;
        self.shared.wake.notify_one();
        // (The writer may be asleep with `writer_waiting` set: the
        // notification above reaches it either way.)
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        // The file is written and synced; stdout gets what is left, within
        // STDOUT_GRACE. A stdout thread still blocked then is left behind
        // (the process exits around it), its lines counted as dropped.
        let Some(stdout) = self.stdout.take() else {
            return;
        };
        self.shared.stdout.lock().closing = true;
        self.shared.stdout.wake.notify_one();
        if self
            .shared
            .stdout
            .wait_written(Instant::now() + STDOUT_GRACE)
        {
            let _ = stdout.join();
        } else {
            let left = std::mem::take(&mut self.shared.stdout.lock().buf);
            self.shared
                .metrics
                .dropped
                .with_label_values(&["stdout_stalled"])
                .inc_by(bytecount_lines(&left));
            eprintln!(
                "log: stdout took nothing for {STDOUT_GRACE:?} at exit; {} lines not written to it",
                bytecount_lines(&left)
            );
        }
    }
}

impl Drop for LogSink {
    fn drop(&mut self) {
        self.close();
    }
}

impl Write for LogWriter {
    fn write(&mut self, record: &[u8]) -> io::Result<usize> {
        self.push(record);
        Ok(record.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // The writer thread writes as soon as it is asked to.
        Ok(())
    }
}

impl LogWriter {
    /// Queues `record` (whole lines), or drops and counts it if the queue
    /// is full; never blocks on I/O.
    pub fn push(&self, record: &[u8]) {
        let mut queue = self.shared.lock();
        if queue.closing {
            drop(queue);
            // The writer is gone: keep the line on stdout at least, through
            // the stdout thread when there is one (never blocking here).
            if self.shared.stdout.lock().closing {
                let _ = io::stdout().lock().write_all(record);
            } else {
                self.shared.hand_to_stdout(record);
            }
            return;
        }
        if queue.buf.len() + record.len() > self.shared.queue_bytes {
            drop(queue);
            let lines = bytecount_lines(record).max(1);
            self.shared
                .metrics
                .dropped
                .with_label_values(&["queue_full"])
                .inc_by(lines);
            return;
        }
        queue.buf.extend_from_slice(record);
        if queue.wanted {
            // Already asked for; the writer takes this record too.
            return;
        }
        if self.shared.deferred.load(Ordering::Relaxed)
            && CALLS_IDLE_HOOK.with(Cell::get)
            && queue.buf.len() < WAKE_BYTES
        {
            self.shared.pending.store(true, Ordering::Release);
            return;
        }
        queue.wanted = true;
        let waiting = queue.writer_waiting;
        drop(queue);
        if waiting {
            self.shared.wake.notify_one();
        }
    }
}

/// Wakes the log writer when the runtime thread goes idle; see
/// [`LogSink::idle_hook`]. Dropping it restores waking by each record.
#[derive(Debug)]
pub struct IdleHook {
    shared: Arc<Shared>,
}

impl IdleHook {
    /// Call from `on_thread_park`: writes out what was queued meanwhile.
    pub fn on_idle(&self) {
        CALLS_IDLE_HOOK.with(|calls| calls.set(true));
        if self.shared.pending.swap(false, Ordering::Acquire) {
            self.shared.wake_writer();
        }
    }
}

impl Drop for IdleHook {
    fn drop(&mut self) {
        self.shared.deferred.store(false, Ordering::SeqCst);
        self.shared.pending.store(false, Ordering::SeqCst);
        self.shared.wake_writer();
    }
}

thread_local! {
    /// This thread runs [`IdleHook::on_idle`] whenever it runs out of work
    /// (a runtime worker, seen to park). Records logged from any other
    /// thread (the thread in `block_on` of a multi-thread runtime, blocking
    /// threads) would wait for some worker's next park, so they wake the
    /// writer themselves.
    static CALLS_IDLE_HOOK: Cell<bool> = const { Cell::new(false) };
}

fn bytecount_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// The writer thread: swap the queue out, write it, repeat.
fn write_loop(shared: &Shared, program: &str, stdout: bool, mut file: Option<LogFile>) {
    let metrics = &shared.metrics;
    let mut batch: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut reporter = ErrorReporter::default();
    loop {
        let closing = {
            let mut queue = shared.lock();
            while !queue.closing && (!queue.wanted || queue.buf.is_empty()) {
                queue.writer_waiting = true;
                queue = shared.wake.wait(queue).unwrap_or_else(|p| p.into_inner());
                queue.writer_waiting = false;
            }
            // The queue keeps the (empty) buffer we wrote last time, so
            // neither side allocates in steady state.
            std::mem::swap(&mut queue.buf, &mut batch);
            queue.wanted = false;
            queue.writing = !batch.is_empty();
            queue.closing && batch.is_empty()
        };
        if closing {
            if let Some(file) = file.as_mut() {
                if let Err(e) = file.sync() {
                    eprintln!(
                        "{program}: fsync of log file {} failed: {e}",
                        file.path().display()
                    );
                }
            }
            shared.done.notify_all();
            return;
        }
        metrics.batches.inc();
        if stdout {
            shared.hand_to_stdout(&batch);
        }
        if let Some(file) = file.as_mut() {
            match file.write_batch(&batch) {
                Ok(written) => {
                    metrics
                        .bytes
                        .with_label_values(&["file"])
                        .inc_by(written.bytes);
                    metrics.rotations.inc_by(u64::from(written.rotations));
                }
                Err((written, error)) => {
                    metrics
                        .bytes
                        .with_label_values(&["file"])
                        .inc_by(written.bytes);
                    metrics.rotations.inc_by(u64::from(written.rotations));
                    let lost = bytecount_lines(&batch[written.bytes as usize..]);
                    metrics
                        .dropped
                        .with_label_values(&["file_error"])
                        .inc_by(lost);
                    if !matches!(error, FileError::Backoff { .. }) {
                        metrics.write_errors.with_label_values(&["file"]).inc();
                    }
                    reporter.report(program, &error, lost);
                }
            }
        }
        batch.clear();
        shared.lock().writing = false;
        shared.done.notify_all();
    }
}

/// The stdout thread: write what the writer handed over, repeat, until
/// closing with nothing left.
fn stdout_loop(shared: &Shared) {
    let stage = &shared.stdout;
    let mut batch: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        {
            let mut queue = stage.lock();
            while queue.buf.is_empty() && !queue.closing {
                queue = stage.wake.wait(queue).unwrap_or_else(|p| p.into_inner());
            }
            if queue.buf.is_empty() {
                return;
            }
            std::mem::swap(&mut queue.buf, &mut batch);
            queue.writing = true;
        }
        let metrics = &shared.metrics;
        match io::stdout().lock().write_all(&batch) {
            Ok(()) => metrics
                .bytes
                .with_label_values(&["stdout"])
                .inc_by(batch.len() as u64),
            Err(_) => metrics.write_errors.with_label_values(&["stdout"]).inc(),
        }
        batch.clear();
        stage.lock().writing = false;
        stage.done.notify_all();
    }
}

/// Reports file errors on stderr at most once per [`REPORT_INTERVAL`],
/// with how many lines were lost since the last report.
#[derive(Debug, Default)]
struct ErrorReporter {
    last: Option<Instant>,
    lost_since: u64,
}

impl ErrorReporter {
    fn report(&mut self, program: &str, error: &FileError, lost: u64) {
        self.lost_since += lost;
        if matches!(error, FileError::Backoff { .. }) {
            return;
        }
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < REPORT_INTERVAL)
        {
            return;
        }
        eprintln!(
            "{program}: {error}; {} log lines not written to the file since the last report (stdout has them); retrying",
            self.lost_since
        );
        self.last = Some(now);
        self.lost_since = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGRAM: Program = Program {
        name: "test",
        prefix: "test",
        version: "0",
    };

    fn file_sink(path: &std::path::Path, queue_bytes: usize) -> LogSink {
        LogSink::start(
            PROGRAM,
            LogOptions {
                stdout: false,
                file: Some(LogFileOptions {
                    path: path.to_path_buf(),
                    max_bytes: 1 << 20,
                    max_files: 2,
                }),
                queue_bytes,
            },
        )
        .unwrap()
    }

    #[test]
    fn every_record_reaches_the_file_in_order_and_batches_are_shared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.log");
        let sink = file_sink(&path, DEFAULT_QUEUE_BYTES);
        let mut writer = sink.writer();
        let mut want = String::new();
        for i in 0..10_000 {
            let line = format!("record {i}\n");
            writer.write_all(line.as_bytes()).unwrap();
            want.push_str(&line);
        }
        assert!(sink.flush(Duration::from_secs(10)));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
        let batches = sink.shared.metrics.batches.get();
        assert!(
            batches < 10_000,
            "{batches} batches for 10000 records: no batching"
        );
        sink.finish();
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_blocking() {
        // No writer thread: the queue only fills, as when the disk and
        // stdout are slower than the requests.
        let shared = Arc::new(Shared::new(&PROGRAM, 32));
        let mut writer = LogWriter {
            shared: Arc::clone(&shared),
        };
        for _ in 0..10 {
            writer.write_all(b"123456789\n").unwrap();
        }
        assert_eq!(shared.lock().buf.len(), 30, "three records fit");
        assert_eq!(
            shared
                .metrics
                .dropped
                .with_label_values(&["queue_full"])
                .get(),
            7
        );
    }

    fn wait_until_writer_sleeps(sink: &LogSink) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sink.shared.lock().writer_waiting {
            assert!(
                Instant::now() < deadline,
                "writer thread never went to sleep"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn with_the_idle_hook_a_busy_runtime_turn_is_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.log");
        let sink = file_sink(&path, DEFAULT_QUEUE_BYTES);
        wait_until_writer_sleeps(&sink);
        let hook = sink.idle_hook();
        let hook_calls = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let calls = Arc::clone(&hook_calls);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .on_thread_park(move || {
                calls.fetch_add(1, Ordering::Relaxed);
                hook.on_idle();
            })
            .build()
            .unwrap();
        // The runtime thread goes idle once, and so is known to run the hook.
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(1)).await });
        let writer = sink.writer();
        runtime.block_on(async move {
            // 100 tasks log without yielding to the idle state in between.
            let tasks: Vec<_> = (0..100)
                .map(|i| {
                    let mut writer = writer.clone();
                    tokio::spawn(
                        async move { writer.write_all(format!("r{i}\n").as_bytes()).unwrap() },
                    )
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
        assert_eq!(
            sink.shared.metrics.batches.get(),
            0,
            "nothing woke the writer while busy"
        );
        // The runtime going idle (parking) wakes it.
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(1)).await });
        assert!(hook_calls.load(Ordering::Relaxed) > 0);
        assert!(sink.flush(Duration::from_secs(10)));
        assert_eq!(
            sink.shared.metrics.batches.get(),
            1,
            "one batch for the busy stretch"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 100);

        // Without the hook (runtime gone), records wake the writer directly.
        drop(runtime);
        sink.writer().write_all(b"after\n").unwrap();
        assert!(sink.flush(Duration::from_secs(10)));
        assert!(std::fs::read_to_string(&path).unwrap().ends_with("after\n"));
        sink.finish();
    }

    #[test]
    fn with_the_idle_hook_a_full_enough_queue_wakes_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.log");
        let sink = file_sink(&path, DEFAULT_QUEUE_BYTES);
        wait_until_writer_sleeps(&sink);
        let hook = sink.idle_hook();
        // This thread is a runtime thread that went idle once (nothing
        // queued yet) and then never again.
        hook.on_idle();
        let mut writer = sink.writer();
        let line = [b'x'; 1023];
        for _ in 0..(WAKE_BYTES / 1024) {
            writer.write_all(&line).unwrap();
            writer.write_all(b"\n").unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&path).map_or(0, |m| m.len()) < WAKE_BYTES as u64 {
            assert!(Instant::now() < deadline, "not woken by size alone");
            std::thread::sleep(Duration::from_millis(1));
        }

        // A thread that never runs the hook (say, block_on's thread of a
        // multi-thread runtime) does not wait for a worker to go idle.
        wait_until_writer_sleeps(&sink);
        std::thread::spawn({
            let mut writer = sink.writer();
            move || writer.write_all(b"from elsewhere\n").unwrap()
        })
        .join()
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::fs::read_to_string(&path)
            .unwrap()
            .ends_with("from elsewhere\n")
        {
            assert!(
                Instant::now() < deadline,
                "record from a non-runtime thread not written"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(hook);
        sink.finish();
    }

    #[test]
    fn finish_writes_what_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.log");
        let sink = file_sink(&path, DEFAULT_QUEUE_BYTES);
        let mut writer = sink.writer();
        writer.write_all(b"last words\n").unwrap();
        sink.finish();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "last words\n");
    }
}
