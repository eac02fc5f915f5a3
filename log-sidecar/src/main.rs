//! The log-sidecar binary: parses the configuration, binds the admin port,
//! wires the stop sequence, the tailer and the outputs, and maps the
//! outcome to an exit code (0 drained, 1 failed, 2 bad flags).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use log_sidecar::checkpoint::Checkpoint;
use log_sidecar::config::Config;
use log_sidecar::discovery::Patterns;
use log_sidecar::http_sink::HttpSink;
use log_sidecar::metrics::Metrics;
use log_sidecar::outputs::Outputs;
use log_sidecar::pipeline::{self, PipelineConfig};
use log_sidecar::stdout::Stdout;
use log_sidecar::tailer::Tailer;
use time_server::kit::{self, Admin, Linger, Program, ServeOptions, Server, Shutdown, Stop};
use tokio::time::Instant;

/// The sidecar's names: its metrics are `log_sidecar_*`, its admin
/// requests are logged as `log_sidecar::request_log`.
const PROGRAM: Program = Program {
    name: "log-sidecar",
    prefix: "log_sidecar",
    version: env!("CARGO_PKG_VERSION"),
};

fn main() -> ExitCode {
    let config: Config = match kit::parse_flags() {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    if let Err(reason) = config.validate() {
        return kit::usage_error(&reason);
    }
    // Its own admin requests (kubelet probes, Prometheus scrapes) are not
    // logged by default: `kubectl logs -c sidecar` shows stdout and stderr
    // together, and there the server's forwarded lines are what people read.
    // RUST_LOG=info brings them back.
    let default_filter = format!("info,{}=warn", PROGRAM.request_log_target());
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_filter))
        .target(env_logger::Target::Stderr)
        .init();
    // A checkpoint that cannot be used is set aside (said loudly) and the
    // start is a first run; one from a newer build is refused.
    let checkpoint = match Checkpoint::load_or_set_aside(&config.checkpoint_path()) {
        Ok(checkpoint) => checkpoint,
        Err(e) => return kit::usage_error(&e.to_string()),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{}: cannot start the runtime: {e}", PROGRAM.name);
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(config, checkpoint));
    // A stdout write still blocked on a full pipe must not keep us alive
    // past the drain timeout we just enforced.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config, checkpoint: Checkpoint) -> anyhow::Result<()> {
    let registry = prometheus::Registry::new();
    let metrics = Metrics::new(&registry).context("registering metrics")?;
    let stop = Stop::new();
    stop.on_signals().context("installing signal handlers")?;

    // The admin port answers (liveness, metrics) until every line is
    // delivered, readiness failing from the signal on.
    let listener = tokio::net::TcpListener::bind(config.admin_listen)
        .await
        .with_context(|| format!("cannot listen on --admin-listen {}", config.admin_listen))?;
    log::info!("admin listening on {}", listener.local_addr()?);
    let admin = Admin::new(PROGRAM, registry.clone(), stop.health().clone())?;
    let admin = Server::new(PROGRAM, admin, &registry, ServeOptions::default())?;
    let forwarding_done = Shutdown::new();
    // When stopping began: the admin port's own drain must end by the same
    // deadline as the lines', whatever a client of it does.
    let stopping_since = {
        let stopping = stop.shutdown().clone();
        tokio::spawn(async move {
            stopping.wait().await;
            Instant::now()
        })
    };
    let mut admin = tokio::spawn(stop.clone().serve(
        admin,
        listener,
        Linger::Until(forwarding_done.clone()),
    ));

    let checkpoint_path = config.checkpoint_path();
    let patterns = Patterns::new(
        config.paths.clone(),
        Checkpoint::files(&checkpoint_path).to_vec(),
    )?;
    let max_line_bytes = usize::try_from(config.max_line_bytes).unwrap_or(usize::MAX);
    let tailer = Tailer::new(
        patterns,
        max_line_bytes,
        checkpoint,
        Arc::new(metrics.clone()),
    )
    .follow_links_outside(config.follow_symlinks_outside)
    .join_multiline(config.multiline().map_err(anyhow::Error::msg)?);
    let sink = config
        .sink_config()?
        .map(|c| HttpSink::new(c, &registry))
        .transpose()?;
    let outputs = Outputs {
        stdout: Stdout::new(config.format, config.pod_metadata())
            .with_pipe_bytes(config.stdout_pipe_bytes),
        sink,
    };
    let pipeline_config = PipelineConfig {
        checkpoint_path,
        batch: outputs.batch_limits(
            config.max_buffer_bytes,
            config.max_line_bytes,
            config.sink_batch_lines,
        ),
        poll_interval: config.poll_interval,
        shutdown_linger: config.shutdown_linger,
        drain_timeout: config.drain_timeout,
    };
    let result = pipeline::run(pipeline_config, tailer, outputs, metrics, stop.clone()).await;
    // Drained, or failed without a signal (stdout closed): stopping either way.
    stop.begin();
    forwarding_done.trigger();
    let deadline = stopping_since.await.unwrap_or_else(|_| Instant::now()) + config.drain_timeout;
    match tokio::time::timeout_at(deadline, &mut admin).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => log::warn!("admin endpoint: {e}"),
        Ok(Err(e)) => log::warn!("admin endpoint task: {e}"),
        Err(_) => {
            // A client holding a request open (a slowloris) would keep its
            // connection past the deadline: dropping the task closes it.
            log::warn!("admin connections still open at the drain deadline: closed");
            admin.abort();
        }
    }
    let summary = result?;
    log::info!(
        "drained: {} lines ({} bytes) forwarded; checkpoint stored",
        summary.lines,
        summary.bytes
    );
    Ok(())
}
