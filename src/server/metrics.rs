//! `/metrics` in the Prometheus text format, and `/healthz`.

use super::App;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];

/// A Prometheus histogram kept in atomics.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Counts one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (b, c) in BUCKETS.iter().zip(&self.counts) {
            cumulative += c.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// Everything the server counts.
#[derive(Default)]
pub struct Metrics {
    /// Messages stored and acknowledged.
    pub ingested: AtomicU64,
    /// Requests refused, by reason.
    pub unauthorized: AtomicU64,
    pub forbidden: AtomicU64,
    pub unreadable: AtomicU64,
    pub overloaded: AtomicU64,
    /// Submissions waiting for the writer, entries waiting for the engine, receipts waiting
    /// to be stored.
    pub ingest_queue: AtomicI64,
    pub engine_queue: AtomicI64,
    pub receipt_queue: AtomicI64,
    /// Receipts stored for delivery.
    pub receipts: AtomicU64,
    /// Receipts pushed, and push attempts that failed.
    pub pushed: AtomicU64,
    pub push_failures: AtomicU64,
    /// Receipts written to file-drop outboxes.
    pub dropped: AtomicU64,
    pub flushes: AtomicU64,
    /// From request to acknowledgement (durable), and of one group-commit flush.
    pub ack_latency: Histogram,
    pub flush_latency: Histogram,
    /// Entries per flush.
    pub flushed_entries: AtomicU64,
}

impl Metrics {
    /// Counts one group-commit flush of `entries` log entries.
    pub fn observe_flush(&self, took: Duration, entries: usize) {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.flushed_entries
            .fetch_add(entries as u64, Ordering::Relaxed);
        self.flush_latency.observe(took);
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    );
}

/// GET /metrics.
pub async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    let m = &app.metrics;
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let depth = |a: &AtomicI64| a.load(Ordering::Relaxed).max(0);
    let mut out = String::new();
    counter(
        &mut out,
        "sw_ingested_total",
        "Messages durably stored and acknowledged.",
        get(&m.ingested),
    );
    let _ = writeln!(
        out,
        "# HELP sw_refused_total Requests refused, by reason.\n# TYPE sw_refused_total counter"
    );
    for (reason, a) in [
        ("unauthorized", &m.unauthorized),
        ("forbidden", &m.forbidden),
        ("unreadable", &m.unreadable),
        ("overloaded", &m.overloaded),
    ] {
        let _ = writeln!(out, "sw_refused_total{{reason=\"{reason}\"}} {}", get(a));
    }
    let _ = writeln!(
        out,
        "# HELP sw_queue_depth Items waiting, by queue.\n# TYPE sw_queue_depth gauge"
    );
    for (queue, a) in [
        ("ingest", &m.ingest_queue),
        ("engine", &m.engine_queue),
        ("receipts", &m.receipt_queue),
    ] {
        let _ = writeln!(out, "sw_queue_depth{{queue=\"{queue}\"}} {}", depth(a));
    }
    for (name, help, value) in [
        (
            "sw_receipts_stored_total",
            "Receipts stored for delivery.",
            &m.receipts,
        ),
        (
            "sw_receipts_pushed_total",
            "Receipts delivered to callback URLs.",
            &m.pushed,
        ),
        (
            "sw_push_failures_total",
            "Push attempts that failed (retried with back-off).",
            &m.push_failures,
        ),
        (
            "sw_receipts_dropped_total",
            "Receipts written to file-drop outboxes.",
            &m.dropped,
        ),
    ] {
        counter(&mut out, name, help, get(value));
    }
    let _ = writeln!(
        out,
        "# HELP sw_receipt_backlog Receipts not yet delivered, by channel and enterprise.\n# TYPE sw_receipt_backlog gauge"
    );
    for (channel, dxp, backlog) in app.backlogs() {
        let _ = writeln!(
            out,
            "sw_receipt_backlog{{channel=\"{channel}\",dxp_id=\"{dxp}\"}} {backlog}"
        );
    }
    for (name, help, value) in [
        (
            "sw_flushes_total",
            "Group-commit flushes of the log.",
            &m.flushes,
        ),
        (
            "sw_flushed_entries_total",
            "Log entries written by those flushes.",
            &m.flushed_entries,
        ),
    ] {
        counter(&mut out, name, help, get(value));
    }
    m.ack_latency.write(
        &mut out,
        "sw_ack_latency_seconds",
        "From request to durable acknowledgement.",
    );
    m.flush_latency.write(
        &mut out,
        "sw_flush_latency_seconds",
        "Append and flush of one group commit.",
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// GET /healthz: the server answers once the log is replayed.
pub async fn healthz() -> &'static str {
    "ok\n"
}
