//! `time-server`: parse the configuration, set up logging, bind, run.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use time_core::SystemClock;
use time_server::config::Config;
use time_server::log_sink::{init_logger, LogSink};
use time_server::run::{run, Setup};
use time_server::shutdown::Shutdown;
use time_server::{signal, zone};

fn main() -> ExitCode {
    // Go's m= counts from process start: start the clock first.
    let clock = SystemClock::start();
    let config = match Config::try_parse() {
        Ok(config) => config,
        Err(e) => return usage_error(e),
    };
    match serve(config, clock) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("time-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--help` and `--version` print and succeed; anything else is a bad
/// command line: exit 2 with the first line of clap's message.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            let text = e.render().to_string();
            eprintln!(
                "{}",
                text.lines().next().unwrap_or("error: invalid arguments")
            );
            ExitCode::from(2)
        }
    }
}

fn serve(config: Config, clock: SystemClock) -> anyhow::Result<()> {
    let sink = LogSink::start(config.sink_options()).context("starting the log writer")?;
    init_logger(&sink).context("installing the logger")?;
    let mut runtime = if config.workers() == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(config.workers());
        builder
    };
    // Log lines are written when the server runs out of work (or 64 KiB
    // are queued): one write per busy stretch instead of one per request.
    let idle = sink.idle_hook();
    let runtime = runtime
        .enable_all()
        .on_thread_park(move || idle.on_idle())
        .build()
        .context("starting the tokio runtime")?;

    let result = runtime.block_on(async {
        // Handlers first, so a SIGTERM right after readiness is never the
        // default "terminate at once".
        let mut signals = signal::listen().context("installing signal handlers")?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let mut setup = Setup::new(config.serve_options(), config.shutdown_delay);
        setup.clock = clock;
        setup.zone = zone::process_zone();
        sink.register(&setup.registry)
            .context("registering log metrics")?;

        let shutdown = Shutdown::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            let name = signals.recv().await;
            log::info!("received {name}: shutting down");
            trigger.trigger();
        });
        run(listener, setup, shutdown).await.context("serving")
    });
    // Runtime first (its tasks may still log), then the log: everything
    // queued is written and the file fsync'ed before the process exits.
    drop(runtime);
    sink.finish();
    result
}
