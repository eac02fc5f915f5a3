//! The sink's own metrics, registered into the registry the sidecar serves on
//! `/metrics`, so an operator sees an outage (`up`, `requests_total{result}`),
//! its cost (`retries_total`) and any line the sink refused (`dead_letters_total`).

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// How one request ended; the `result` label of `log_sidecar_sink_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestResult {
    /// 2xx: the batch is delivered.
    Success,
    /// 408, 425 or 429: the sink asked us to slow down; retried.
    Throttled,
    /// 5xx: retried.
    ServerError,
    /// 3xx: not followed; retried, with a warning.
    Redirect,
    /// 401, 403, 404, ...: the sink is misconfigured from here; retried,
    /// with an error logged.
    ConfigError,
    /// 413: the request is split.
    TooLarge,
    /// Other 4xx: the sink refused the content; bisected.
    Rejected,
    /// A status HTTP does not define as final; retried.
    UnexpectedStatus,
    /// No complete answer within `request_timeout`; retried.
    Timeout,
    /// Could not connect, or the connection broke; retried.
    ConnectionError,
}

impl RequestResult {
    const ALL: [RequestResult; 10] = [
        RequestResult::Success,
        RequestResult::Throttled,
        RequestResult::ServerError,
        RequestResult::Redirect,
        RequestResult::ConfigError,
        RequestResult::TooLarge,
        RequestResult::Rejected,
        RequestResult::UnexpectedStatus,
        RequestResult::Timeout,
        RequestResult::ConnectionError,
    ];

    pub(crate) fn label(self) -> &'static str {
        match self {
            RequestResult::Success => "success",
            RequestResult::Throttled => "throttled",
            RequestResult::ServerError => "server_error",
            RequestResult::Redirect => "redirect",
            RequestResult::ConfigError => "config_error",
            RequestResult::TooLarge => "too_large",
            RequestResult::Rejected => "rejected",
            RequestResult::UnexpectedStatus => "unexpected_status",
            RequestResult::Timeout => "timeout",
            RequestResult::ConnectionError => "connection_error",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct HttpSinkMetrics {
    requests: IntCounterVec,
    pub(crate) retries: IntCounter,
    pub(crate) lines_sent: IntCounter,
    pub(crate) bytes_sent: IntCounter,
    pub(crate) dead_letters: IntCounter,
    pub(crate) rejected_records: IntCounter,
    pub(crate) up: IntGauge,
}

impl HttpSinkMetrics {
    pub(crate) fn register(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new(
                "log_sidecar_sink_requests_total",
                "HTTP sink requests by how they ended.",
            ),
            &["result"],
        )?;
        // Every result is exported from the start, so rate() works on the first failure.
        for result in RequestResult::ALL {
            requests.with_label_values(&[result.label()]);
        }
        let metrics = HttpSinkMetrics {
            requests,
            retries: IntCounter::new(
                "log_sidecar_sink_retries_total",
                "Requests re-sent after a connection error, timeout, 5xx, 3xx, throttling or a configuration error.",
            )?,
            lines_sent: IntCounter::new(
                "log_sidecar_sink_lines_sent_total",
                "Records the HTTP sink acknowledged with a 2xx (a multi-line record counts once).",
            )?,
            bytes_sent: IntCounter::new(
                "log_sidecar_sink_bytes_sent_total",
                "Request body bytes (as sent, compressed when configured) the HTTP sink acknowledged with a 2xx.",
            )?,
            dead_letters: IntCounter::new(
                "log_sidecar_sink_dead_letters_total",
                "Lines written to stderr instead: refused alone (400, 413, 422, ...), or in a request the sink partly rejected.",
            )?,
            rejected_records: IntCounter::new(
                "log_sidecar_sink_rejected_records_total",
                "Records a 2xx answer said were rejected after all (OTLP partial success).",
            )?,
            up: IntGauge::new(
                "log_sidecar_sink_up",
                "1 if the last request to the HTTP sink was answered as a working sink answers (2xx, 4xx about the content, throttling), else 0.",
            )?,
        };
        registry.register(Box::new(metrics.requests.clone()))?;
        registry.register(Box::new(metrics.retries.clone()))?;
        registry.register(Box::new(metrics.lines_sent.clone()))?;
        registry.register(Box::new(metrics.bytes_sent.clone()))?;
        registry.register(Box::new(metrics.dead_letters.clone()))?;
        registry.register(Box::new(metrics.rejected_records.clone()))?;
        registry.register(Box::new(metrics.up.clone()))?;
        Ok(metrics)
    }

    pub(crate) fn request(&self, result: RequestResult) {
        self.requests.with_label_values(&[result.label()]).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_result_is_exported_from_the_start() {
        let registry = Registry::new();
        HttpSinkMetrics::register(&registry).expect("fresh registry");
        let families = registry.gather();
        let requests = families
            .iter()
            .find(|f| f.name() == "log_sidecar_sink_requests_total")
            .expect("requests_total registered");
        assert_eq!(requests.get_metric().len(), RequestResult::ALL.len());
        let names: Vec<&str> = families.iter().map(|f| f.name()).collect();
        for name in [
            "log_sidecar_sink_retries_total",
            "log_sidecar_sink_lines_sent_total",
            "log_sidecar_sink_bytes_sent_total",
            "log_sidecar_sink_dead_letters_total",
            "log_sidecar_sink_rejected_records_total",
            "log_sidecar_sink_up",
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
    }

    #[test]
    fn registering_twice_in_one_registry_is_an_error() {
        let registry = Registry::new();
        HttpSinkMetrics::register(&registry).expect("fresh registry");
        assert!(HttpSinkMetrics::register(&registry).is_err());
    }
}
