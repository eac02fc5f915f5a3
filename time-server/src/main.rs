//! `time-server`: parse the configuration, set up logging, bind, run.

use std::process::ExitCode;

use anyhow::Context;
use time_core::SystemClock;
use time_server::kit::{self, LogSink, Stop};
use time_server::{init_logger, process_zone, run, Config, Service, PROGRAM};

fn main() -> ExitCode {
    // Go's m= counts from process start: start the clock first.
    let clock = SystemClock::start();
    let config: Config = match kit::parse_flags() {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    match serve(config, clock) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {e:#}", PROGRAM.name);
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config, clock: SystemClock) -> anyhow::Result<()> {
    let sink = LogSink::start(PROGRAM, config.log_options()).context("starting the log writer")?;
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
        let stop = Stop::new();
        stop.on_signals().context("installing signal handlers")?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let mut service = Service::new(config.serve_options(), config.shutdown_delay);
        service.clock = clock;
        service.zone = process_zone();
        sink.register(&service.registry)
            .context("registering log metrics")?;
        run(listener, service, stop).await.context("serving")
    });
    // Runtime first (its tasks may still log), then the log: everything
    // queued is written and the file fsync'ed before the process exits.
    drop(runtime);
    sink.finish();
    result
}
