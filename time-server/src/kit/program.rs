//! The names a program gives what the kit exports on its behalf: the kit
//! serves any program, so it never spells one itself. Metric names, the
//! request log's target and messages written straight to stderr all come
//! from here.

use prometheus::{IntGaugeVec, Opts, Registry};

/// Who is running the kit.
///
/// ```
/// use time_server::kit::Program;
/// const PROGRAM: Program = Program {
///     name: "hello",
///     prefix: "hello",
///     version: env!("CARGO_PKG_VERSION"),
/// };
/// assert_eq!(PROGRAM.request_log_target(), "hello::request_log");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program {
    /// The program's name as a person types it (`time-server`), for the
    /// few messages the kit writes straight to stderr.
    pub name: &'static str,
    /// The program's name as metric names and log targets spell it
    /// (`time_server`): the kit's own metrics are `<prefix>_build_info` and
    /// `<prefix>_log_*`, request lines are logged with the target
    /// `<prefix>::request_log`.
    pub prefix: &'static str,
    /// The build's version, exported as `<prefix>_build_info{version}`.
    pub version: &'static str,
}

impl Program {
    /// The target request lines are logged with, so that `RUST_LOG` can
    /// silence them (`<prefix>::request_log=warn`).
    pub fn request_log_target(&self) -> String {
        format!("{}::request_log", self.prefix)
    }

    /// `<prefix>_<suffix>`: a metric of the kit's, named for the program.
    pub(crate) fn metric(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.prefix)
    }

    /// Registers the process collector (`process_cpu_seconds_total`,
    /// `process_resident_memory_bytes`, open fds, ...) and
    /// `<prefix>_build_info{version="..."} 1`, the usual way to export which
    /// build is running.
    pub fn register_metrics(&self, registry: &Registry) -> prometheus::Result<()> {
        let collector = prometheus::process_collector::ProcessCollector::for_self();
        registry.register(Box::new(collector))?;
        let info = IntGaugeVec::new(
            Opts::new(
                self.metric("build_info"),
                "Build information; the value is always 1.",
            ),
            &["version"],
        )?;
        info.with_label_values(&[self.version]).set(1);
        registry.register(Box::new(info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::Encoder;

    #[test]
    fn metrics_carry_the_programs_prefix() {
        let program = Program {
            name: "x-server",
            prefix: "x_server",
            version: "1.2.3",
        };
        let registry = Registry::new();
        program.register_metrics(&registry).unwrap();
        let mut out = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&registry.gather(), &mut out)
            .unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("process_resident_memory_bytes"), "{out}");
        assert!(
            out.contains(r#"x_server_build_info{version="1.2.3"} 1"#),
            "{out}"
        );
        assert_eq!(program.request_log_target(), "x_server::request_log");
    }
}
