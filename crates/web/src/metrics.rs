//! A few Prometheus counters, kept in atomics and rendered as text at `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use habilis_core::batch::{WAIT_BUCKETS, WaitFigures};

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

/// The trail's part of the exposition: how long requests waited for their trace to be
/// durable (the trace writer's batches), and the appends that met a chain's head moved on
/// by another writer and were sealed again under its lock (PostgreSQL).
pub fn render_trail(waits: &WaitFigures, stale_commits: u64, stale_batches: u64) -> String {
    let mut s = String::new();
    s.push_str("# HELP habilis_trace_wait_seconds Time a request waited for its trace to be durable (trace writer batches).\n");
    s.push_str("# TYPE habilis_trace_wait_seconds histogram\n");
    for (bound, count) in WAIT_BUCKETS.iter().zip(waits.buckets.iter()) {
        let _ = writeln!(s, "habilis_trace_wait_seconds_bucket{{le=\"{bound}\"}} {count}");
    }
    let total = waits.buckets.last().copied().unwrap_or(0);
    let _ = writeln!(s, "habilis_trace_wait_seconds_bucket{{le=\"+Inf\"}} {total}");
    let _ = writeln!(s, "habilis_trace_wait_seconds_sum {}", waits.sum_seconds);
    let _ = writeln!(s, "habilis_trace_wait_seconds_count {total}");
    s.push_str("# HELP habilis_trace_batches_total Transactions of the trace writer.\n");
    s.push_str("# TYPE habilis_trace_batches_total counter\n");
    let _ = writeln!(s, "habilis_trace_batches_total {}", waits.batches);
    s.push_str("# HELP habilis_trace_stale_heads_total Appends that found their chain moved on by another writer and were sealed again under its lock (commit: a transaction's own trace; batch: the trace writer's).\n");
    s.push_str("# TYPE habilis_trace_stale_heads_total counter\n");
    let _ = writeln!(s, "habilis_trace_stale_heads_total{{path=\"commit\"}} {stale_commits}");
    let _ = writeln!(s, "habilis_trace_stale_heads_total{{path=\"batch\"}} {stale_batches}");
    s
}
