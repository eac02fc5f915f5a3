//! The log-sidecar binary: parses the configuration, binds the admin port,
//! wires the signal, the tailer and the outputs, and maps the outcome to an
//! exit code (0 drained, 1 failed, 2 bad flags).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser as _;
use log_sidecar::checkpoint::Checkpoint;
use log_sidecar::config::{Config, Format};
use log_sidecar::http_sink::HttpSink;
use log_sidecar::metrics::Metrics;
use log_sidecar::output::StdoutOutput;
use log_sidecar::pipeline::{self, Outputs, PipelineConfig};
use log_sidecar::tailer::{Tailer, TailerConfig};
use time_server::health::Health;
use time_server::shutdown::Shutdown;

fn main() -> ExitCode {
    let config = match Config::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let text = e.to_string();
            eprintln!(
                "{}",
                text.lines()
                    .next()
                    .unwrap_or("log-sidecar: invalid arguments")
            );
            return ExitCode::from(2);
        }
    };
    if let Err(reason) = config.validate() {
        eprintln!("error: {reason}");
        return ExitCode::from(2);
    }
    // Its own admin requests (kubelet probes, Prometheus scrapes) are not
    // logged by default: `kubectl logs -c sidecar` shows stdout and stderr
    // together, and there the server's forwarded lines are what people read.
    // RUST_LOG=info brings them back.
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,time_server::request_log=warn"),
    )
    .target(env_logger::Target::Stderr)
    .init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("log-sidecar: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(config));
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

async fn run(config: Config) -> anyhow::Result<()> {
    let registry = prometheus::Registry::new();
    let metrics = Metrics::new(&registry).context("registering metrics")?;
    let health = Health::new();
    let shutdown = Shutdown::new();
    let admin_shutdown = Shutdown::new();

    let listener = tokio::net::TcpListener::bind(config.admin_listen)
        .await
        .with_context(|| format!("cannot listen on --admin-listen {}", config.admin_listen))?;
    log::info!("admin listening on {}", listener.local_addr()?);
    let admin = tokio::spawn(time_server::admin::serve_admin(
        listener,
        registry.clone(),
        health.clone(),
        admin_shutdown.clone(),
    ));

    {
        let (health, shutdown) = (health.clone(), shutdown.clone());
        tokio::spawn(async move {
            let name = time_server::signal::terminate().await;
            log::info!("{name} received");
            health.set_not_ready();
            shutdown.trigger();
        });
    }

    let checkpoint_path = config.checkpoint_path();
    let checkpoint = Checkpoint::load(&checkpoint_path)?;
    let raw_lines = config.format == Format::Raw && config.http_sink.is_none();
    let tailer = Tailer::new(
        TailerConfig {
            patterns: config.paths.clone(),
            max_line_bytes: usize::try_from(config.max_line_bytes).unwrap_or(usize::MAX),
            exclude: Checkpoint::files(&checkpoint_path).to_vec(),
            raw_lines,
        },
        checkpoint,
        Arc::new(metrics.clone()),
    )?;
    let sink = config
        .sink_config()
        .map(|c| HttpSink::new(c, &registry))
        .transpose()?;
    let outputs = Outputs {
        stdout: StdoutOutput::new(config.format, config.pod_metadata())
            .with_pipe_bytes(config.stdout_pipe_bytes),
        sink,
        meta: config.pod_metadata(),
    };
    let (batch_bytes, batch_lines) = PipelineConfig::batch_limits(
        config.max_buffer_bytes,
        config.max_line_bytes,
        config.sink_batch_lines,
        raw_lines,
    );
    let pipeline_config = PipelineConfig {
        checkpoint_path,
        batch_bytes,
        batch_lines,
        poll_interval: config.poll_interval,
        shutdown_linger: config.shutdown_linger,
        drain_timeout: config.drain_timeout,
    };
    let result = pipeline::run(pipeline_config, tailer, outputs, metrics, health, shutdown).await;
    admin_shutdown.trigger();
    match admin.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::warn!("admin endpoint: {e}"),
        Err(e) => log::warn!("admin endpoint task: {e}"),
    }
    let summary = result?;
    log::info!(
        "drained: {} lines ({} bytes) forwarded; checkpoint stored",
        summary.lines,
        summary.bytes
    );
    Ok(())
}
