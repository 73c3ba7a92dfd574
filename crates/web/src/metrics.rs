//! A few Prometheus counters, kept in atomics and rendered as text at `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Process-wide counters.
#[derive(Debug, Default)]
pub struct Metrics {
    responses: [AtomicU64; 5],
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
    logins_throttled: AtomicU64,
    trace_failures: AtomicU64,
}

impl Metrics {
    /// Count a response by status class.
    pub fn response(&self, status: u16) {
        let i = usize::from((status / 100).clamp(1, 5) - 1);
        if let Some(c) = self.responses.get(i) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }
    /// Count a sign-in outcome.
    pub fn login(&self, outcome: &str) {
        match outcome {
            "success" => &self.logins_ok,
            "throttled" => &self.logins_throttled,
            _ => &self.logins_failed,
        }
        .fetch_add(1, Ordering::Relaxed);
    }
    /// Count a request whose trace could not be written (it was answered with an error).
    pub fn trace_failure(&self) {
        self.trace_failures.fetch_add(1, Ordering::Relaxed);
    }
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str("# HELP habilis_http_responses_total HTTP responses by status class.\n");
        s.push_str("# TYPE habilis_http_responses_total counter\n");
        for (i, c) in self.responses.iter().enumerate() {
            let _ = writeln!(s, "habilis_http_responses_total{{class=\"{}xx\"}} {}", i + 1, c.load(Ordering::Relaxed));
        }
        s.push_str("# HELP habilis_logins_total Sign-in attempts by outcome.\n");
        s.push_str("# TYPE habilis_logins_total counter\n");
        for (name, c) in [("success", &self.logins_ok), ("failure", &self.logins_failed), ("throttled", &self.logins_throttled)] {
            let _ = writeln!(s, "habilis_logins_total{{outcome=\"{name}\"}} {}", c.load(Ordering::Relaxed));
        }
        s.push_str("# HELP habilis_trace_failures_total Requests refused because their trace could not be written.\n");
        s.push_str("# TYPE habilis_trace_failures_total counter\n");
        let _ = writeln!(s, "habilis_trace_failures_total {}", self.trace_failures.load(Ordering::Relaxed));
        s
    }
}
