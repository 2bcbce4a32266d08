//! `/metrics` in the Prometheus text format, and `/healthz`.

use super::App;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
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

/// What is wrong right now, by part of the server; nothing when all is well.
#[derive(Default)]
pub struct Health(std::sync::Mutex<std::collections::BTreeMap<&'static str, String>>);

impl Health {
    fn parts(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<&'static str, String>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes what is wrong with `part` (replacing what was said of it).
    pub fn set(&self, part: &'static str, problem: String) {
        self.parts().insert(part, problem);
    }

    /// `part` works again.
    pub fn clear(&self, part: &'static str) {
        self.parts().remove(part);
    }

    pub fn has(&self, part: &'static str) -> bool {
        self.parts().contains_key(part)
    }

    /// Every problem, by part.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        self.parts().iter().map(|(k, v)| (*k, v.clone())).collect()
    }
}

/// Everything the server counts.
#[derive(Default)]
pub struct Metrics {
    /// What is wrong now (`/healthz` says it).
    pub health: Health,
    /// Checkpoints written, and the newest one: the log entry it covers, when it was made
    /// (ms since the epoch), how long it took and how large it is.
    pub checkpoints: AtomicU64,
    pub checkpoint_failures: AtomicU64,
    pub checkpoint_seq: AtomicU64,
    pub checkpoint_made_ms: AtomicI64,
    pub checkpoint_millis: AtomicU64,
    pub checkpoint_bytes: AtomicU64,
    /// The event log on disk: bytes and segments, and bytes removed as covered and old.
    pub log_bytes: AtomicU64,
    pub log_segments: AtomicU64,
    pub log_removed_bytes: AtomicU64,
    /// The embedded store's databases on disk (worked out by the checkpoint thread: sled
    /// takes its time to say).
    pub ledger_bytes: AtomicU64,
    /// The engine's working set: lists, orders and waybills it holds, timers pending.
    pub open_lists: AtomicU64,
    pub open_orders: AtomicU64,
    pub open_waybills: AtomicU64,
    pub timers: AtomicU64,
    /// The start: log entries replayed after the checkpoint, and how long it took (ms).
    pub replayed_entries: AtomicU64,
    pub startup_millis: AtomicU64,
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
    /// Receipts removed as old and delivered; per enterprise, those past retention kept
    /// because not delivered yet.
    pub receipts_removed: AtomicU64,
    pub past_retention: std::sync::Mutex<Vec<(String, u64)>>,
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
    /// What a retention sweep did.
    pub fn note_retention(&self, swept: &super::retention::Swept) {
        self.receipts_removed
            .fetch_add(swept.removed, Ordering::Relaxed);
        *self
            .past_retention
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = swept.past_retention.clone();
    }

    /// Counts one group-commit flush of `entries` log entries.
    pub fn observe_flush(&self, took: Duration, entries: usize) {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.flushed_entries
            .fetch_add(entries as u64, Ordering::Relaxed);
        self.flush_latency.observe(took);
    }
}

fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    );
}

/// GET /metrics.
pub async fn metrics(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Err(e) = app.operator(&headers) {
        return e.into_response();
    }
    // Backlogs are counted in the store: off the runtime's threads.
    let backlogs = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || app.backlogs())
            .await
            .unwrap_or_default()
    };
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
        "# HELP sw_shed_total Messages refused with 503 before any work, by bound (see admission).\n# TYPE sw_shed_total counter"
    );
    for (shed, n) in app.admission.shed() {
        let _ = writeln!(out, "sw_shed_total{{reason=\"{}\"}} {n}", shed.name());
    }
    let (requests, bytes, connections) = app.admission.in_flight();
    for (name, help, value) in [
        (
            "sw_in_flight_requests",
            "POST /ceb requests being read, checked or stored.",
            requests as f64,
        ),
        (
            "sw_in_flight_bytes",
            "Bytes of the request bodies those hold.",
            bytes as f64,
        ),
        (
            "sw_connections_open",
            "Client connections open.",
            connections as f64,
        ),
        (
            "sw_scheduling_lag_seconds",
            "How late the runtime runs a ready task (smoothed).",
            app.admission.lag_micros() as f64 / 1e6,
        ),
    ] {
        gauge(&mut out, name, help, value);
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
    counter(
        &mut out,
        "sw_receipts_removed_total",
        "Receipts removed: older than receipt_retention_minutes and delivered or pulled.",
        get(&m.receipts_removed),
    );
    let _ = writeln!(
        out,
        "# HELP sw_receipts_past_retention Receipts older than their retention kept because their enterprise has not got them yet.\n# TYPE sw_receipts_past_retention gauge"
    );
    for (dxp, n) in m
        .past_retention
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
    {
        let _ = writeln!(out, "sw_receipts_past_retention{{dxp_id=\"{dxp}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP sw_receipt_backlog Receipts not yet delivered, by channel and enterprise.\n# TYPE sw_receipt_backlog gauge"
    );
    for (channel, dxp, backlog) in backlogs {
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
    for (name, help, value) in [
        (
            "sw_checkpoints_total",
            "Checkpoints written.",
            &m.checkpoints,
        ),
        (
            "sw_checkpoint_failures_total",
            "Checkpoints that could not be written (tried again later).",
            &m.checkpoint_failures,
        ),
        (
            "sw_log_removed_bytes_total",
            "Log bytes removed: segments covered by checkpoints and past their retention.",
            &m.log_removed_bytes,
        ),
    ] {
        counter(&mut out, name, help, get(value));
    }
    let made = m.checkpoint_made_ms.load(Ordering::Relaxed);
    let age = if made > 0 {
        (chrono::Utc::now().timestamp_millis() - made).max(0) as f64 / 1000.0
    } else {
        -1.0
    };
    for (name, help, value) in [
        (
            "sw_checkpoint_age_seconds",
            "Since the newest checkpoint was made (-1: none yet).",
            age,
        ),
        (
            "sw_checkpoint_duration_seconds",
            "How long the newest checkpoint took to encode and write.",
            get(&m.checkpoint_millis) as f64 / 1000.0,
        ),
        (
            "sw_checkpoint_bytes",
            "Size of the newest checkpoint.",
            get(&m.checkpoint_bytes) as f64,
        ),
        (
            "sw_checkpoint_seq",
            "The log entry the newest checkpoint covers.",
            get(&m.checkpoint_seq) as f64,
        ),
        (
            "sw_log_bytes",
            "Bytes of the event log on disk.",
            get(&m.log_bytes) as f64,
        ),
        (
            "sw_log_segments",
            "Segments of the event log.",
            get(&m.log_segments) as f64,
        ),
        (
            "sw_ledger_bytes",
            "Bytes of the embedded store (receipts, cursors, settled documents).",
            get(&m.ledger_bytes) as f64,
        ),
        (
            "sw_open_lists",
            "Lists the engine holds in memory (not yet closed, cancelled or refused).",
            get(&m.open_lists) as f64,
        ),
        (
            "sw_open_orders",
            "Order keys the engine holds in memory.",
            get(&m.open_orders) as f64,
        ),
        (
            "sw_open_waybills",
            "Waybill keys the engine holds in memory.",
            get(&m.open_waybills) as f64,
        ),
        (
            "sw_timers",
            "Customs timers pending.",
            get(&m.timers) as f64,
        ),
        (
            "sw_startup_replayed_entries",
            "Log entries replayed after the checkpoint at start.",
            get(&m.replayed_entries) as f64,
        ),
        (
            "sw_startup_seconds",
            "From start to serving: checkpoint loaded, log tail replayed.",
            get(&m.startup_millis) as f64 / 1000.0,
        ),
    ] {
        gauge(&mut out, name, help, value);
    }
    let _ = writeln!(
        out,
        "# HELP sw_health_problems What is wrong now, by part (1 while it is).\n# TYPE sw_health_problems gauge"
    );
    for (part, _) in m.health.problems() {
        let _ = writeln!(out, "sw_health_problems{{part=\"{part}\"}} 1");
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
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

/// GET /healthz: the server answers once the log is replayed: 200 `ok`, or 503 naming what
/// is wrong (each part and its problem on a line), while it is.
pub async fn healthz(State(app): State<Arc<App>>) -> axum::response::Response {
    let problems = app.metrics.health.problems();
    if problems.is_empty() {
        return "ok\n".into_response();
    }
    let mut text = String::from("degraded\n");
    for (part, problem) in problems {
        let _ = writeln!(text, "{part}: {problem}");
    }
    (axum::http::StatusCode::SERVICE_UNAVAILABLE, text).into_response()
}
