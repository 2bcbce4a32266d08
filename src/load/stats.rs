//! What a load run measured: counts by outcome and message type, errors by kind, the
//! acknowledgement and end-to-end latency histograms (HdrHistogram, so p99.9 and max are
//! exact to 3 significant digits whatever the spread) and a per-second time series.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How a target answered one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Taken (the simulator's receipt says 2, or another endpoint answered 2xx).
    Accepted,
    /// Answered with a refusal receipt (its returnStatus: 100, −602001 …).
    Rejected(String),
    /// Not answered as it should be: HTTP status, connection, timeout, dropped.
    Error(String),
}

/// A latency histogram in microseconds, from 1 µs to one hour.
fn histogram(digits: u8) -> Histogram<u64> {
    // Constant bounds within hdrhistogram's limits (digits ≤ 5): this cannot fail.
    Histogram::new_with_bounds(1, 3_600_000_000, digits).expect("valid histogram bounds")
}

fn micros(d: Duration) -> u64 {
    (d.as_micros() as u64).clamp(1, 3_600_000_000)
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct TypeCount {
    pub sent: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub errors: u64,
}

struct Second {
    sent: u64,
    answered: u64,
    errors: u64,
    ack: Histogram<u64>,
    e2e: Histogram<u64>,
}

impl Second {
    fn new() -> Second {
        Second {
            sent: 0,
            answered: 0,
            errors: 0,
            ack: histogram(2),
            e2e: histogram(2),
        }
    }
}

struct Inner {
    ack: Histogram<u64>,
    e2e: Histogram<u64>,
    seconds: Vec<Second>,
    by_type: BTreeMap<&'static str, TypeCount>,
    errors: BTreeMap<String, u64>,
    sent: u64,
    accepted: u64,
    rejected_expected: u64,
    rejected_unexpected: u64,
    faults_missed: u64,
    scheduled_answers: u64,
    first_answer: Option<Instant>,
    last_answer: Option<Instant>,
}

/// Shared by the senders; every record takes the lock briefly.
pub struct Stats {
    start: Instant,
    inner: Mutex<Inner>,
}

/// Latency figures in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    /// (percentile, milliseconds): the percentile spectrum, for the distribution chart.
    pub spectrum: Vec<(f64, f64)>,
}

impl Latency {
    fn of(h: &Histogram<u64>) -> Latency {
        let ms = |v: u64| v as f64 / 1000.0;
        if h.is_empty() {
            return Latency::default();
        }
        let mut spectrum: Vec<(f64, f64)> = h
            .iter_quantiles(4)
            .map(|v| (v.quantile_iterated_to() * 100.0, ms(v.value_iterated_to())))
            .collect();
        spectrum.dedup_by(|a, b| a.0 == b.0);
        Latency {
            count: h.len(),
            mean: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            spectrum,
        }
    }
}

/// One second of the run.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    /// Seconds from the start.
    pub t: u64,
    pub sent: u64,
    pub answered: u64,
    pub errors: u64,
    pub ack_p50: f64,
    pub ack_p99: f64,
    pub ack_max: f64,
    pub e2e_done: u64,
    pub e2e_p50: f64,
    pub e2e_p99: f64,
}

/// Everything measured, at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub elapsed_s: f64,
    pub sent: u64,
    pub answered: u64,
    pub accepted: u64,
    /// Refusals of documents broken on purpose: what should happen.
    pub rejected_expected: u64,
    /// Refusals of documents that were meant to be valid (also counted as errors).
    pub rejected_unexpected: u64,
    /// Documents broken on purpose that were accepted all the same.
    pub faults_missed: u64,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub by_type: BTreeMap<&'static str, TypeCount>,
    /// Answers per second to the scheduled stream (parcels and bills), between its first and
    /// last answer.
    pub answered_per_s: f64,
    pub ack: Latency,
    pub e2e: Latency,
    pub timeline: Vec<Tick>,
}

impl Snapshot {
    /// Errors over messages sent (dropped ones count as sent).
    pub fn error_rate(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            self.errors as f64 / self.sent as f64
        }
    }
}

impl Stats {
    pub fn new(start: Instant) -> Stats {
        Stats {
            start,
            inner: Mutex::new(Inner {
                ack: histogram(3),
                e2e: histogram(3),
                seconds: Vec::new(),
                by_type: BTreeMap::new(),
                errors: BTreeMap::new(),
                sent: 0,
                accepted: 0,
                rejected_expected: 0,
                rejected_unexpected: 0,
                faults_missed: 0,
                scheduled_answers: 0,
                first_answer: None,
                last_answer: None,
            }),
        }
    }

    pub fn start(&self) -> Instant {
        self.start
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        // A panic elsewhere while holding the lock leaves counters that are still usable.
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut inner)
    }

    fn second(inner: &mut Inner, start: Instant, at: Instant) -> &mut Second {
        let i = at.saturating_duration_since(start).as_secs() as usize;
        if inner.seconds.len() <= i {
            inner.seconds.resize_with(i + 1, Second::new);
        }
        &mut inner.seconds[i]
    }

    /// A message handed to the target (or dropped before it) at `at`.
    pub fn sent(&self, kind: &'static str, at: Instant) {
        let start = self.start;
        self.with(|s| {
            s.sent += 1;
            s.by_type.entry(kind).or_default().sent += 1;
            Self::second(s, start, at).sent += 1;
        });
    }

    /// The answer to a message of `kind`, `latency` after it was due, received at `at`.
    pub fn answer(
        &self,
        kind: &'static str,
        faulty: bool,
        answer: &Answer,
        latency: Duration,
        at: Instant,
    ) {
        let start = self.start;
        self.with(|s| {
            let error = |s: &mut Inner, what: String| {
                *s.errors.entry(what).or_default() += 1;
                s.by_type.entry(kind).or_default().errors += 1;
                Self::second(s, start, at).errors += 1;
            };
            match answer {
                Answer::Error(what) => {
                    error(s, what.clone());
                    return;
                }
                Answer::Accepted => {
                    s.accepted += 1;
                    s.by_type.entry(kind).or_default().accepted += 1;
                    if faulty {
                        s.faults_missed += 1;
                    }
                }
                Answer::Rejected(status) => {
                    s.by_type.entry(kind).or_default().rejected += 1;
                    if faulty {
                        s.rejected_expected += 1;
                    } else {
                        s.rejected_unexpected += 1;
                        error(s, format!("unexpected refusal {status}"));
                    }
                }
            }
            let us = micros(latency);
            let _ = s.ack.record(us);
            let sec = Self::second(s, start, at);
            sec.answered += 1;
            let _ = sec.ack.record(us);
            // Throughput is that of the scheduled stream: what follows release comes after.
            if !matches!(kind, "CEB701" | "CEB213" | "CEB215") {
                s.scheduled_answers += 1;
                s.first_answer.get_or_insert(at);
                s.last_answer = Some(at);
            }
        });
    }

    /// An error that is no answer to a message (e.g. a receipt poll failing).
    pub fn error(&self, what: &str, at: Instant) {
        let start = self.start;
        self.with(|s| {
            *s.errors.entry(what.to_string()).or_default() += 1;
            Self::second(s, start, at).errors += 1;
        });
    }

    /// A parcel reached its final receipt `latency` after its first message was due.
    pub fn end_to_end(&self, latency: Duration, at: Instant) {
        let start = self.start;
        self.with(|s| {
            let us = micros(latency);
            let _ = s.e2e.record(us);
            let _ = Self::second(s, start, at).e2e.record(us);
        });
    }

    /// The few figures of the progress line: sent, answered, errors, ack p99 (ms), parcels
    /// closed and their end-to-end p99 (ms).
    pub fn brief(&self) -> (u64, u64, u64, f64, u64, f64) {
        self.with(|s| {
            let p99 = |h: &Histogram<u64>| {
                if h.is_empty() {
                    0.0
                } else {
                    h.value_at_quantile(0.99) as f64 / 1000.0
                }
            };
            (
                s.sent,
                s.ack.len(),
                s.errors.values().sum(),
                p99(&s.ack),
                s.e2e.len(),
                p99(&s.e2e),
            )
        })
    }

    pub fn snapshot(&self) -> Snapshot {
        let elapsed = self.start.elapsed().as_secs_f64();
        self.with(|s| {
            let answered = s.ack.len();
            let span = match (s.first_answer, s.last_answer) {
                (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
                _ => 0.0,
            };
            let ms = |h: &Histogram<u64>, q: f64| {
                if h.is_empty() {
                    0.0
                } else {
                    h.value_at_quantile(q) as f64 / 1000.0
                }
            };
            Snapshot {
                elapsed_s: elapsed,
                sent: s.sent,
                answered,
                accepted: s.accepted,
                rejected_expected: s.rejected_expected,
                rejected_unexpected: s.rejected_unexpected,
                faults_missed: s.faults_missed,
                errors: s.errors.values().sum(),
                errors_by_kind: s.errors.clone(),
                by_type: s.by_type.clone(),
                answered_per_s: if span > 0.0 {
                    s.scheduled_answers as f64 / span
                } else {
                    s.scheduled_answers as f64
                },
                ack: Latency::of(&s.ack),
                e2e: Latency::of(&s.e2e),
                timeline: s
                    .seconds
                    .iter()
                    .enumerate()
                    .map(|(t, x)| Tick {
                        t: t as u64,
                        sent: x.sent,
                        answered: x.answered,
                        errors: x.errors,
                        ack_p50: ms(&x.ack, 0.5),
                        ack_p99: ms(&x.ack, 0.99),
                        ack_max: if x.ack.is_empty() {
                            0.0
                        } else {
                            x.ack.max() as f64 / 1000.0
                        },
                        e2e_done: x.e2e.len(),
                        e2e_p50: ms(&x.e2e, 0.5),
                        e2e_p99: ms(&x.e2e, 0.99),
                    })
                    .collect(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_errors_and_expected_refusals_are_told_apart() {
        let start = Instant::now();
        let stats = Stats::new(start);
        for i in 1..=1000u64 {
            stats.sent("CEB303", start);
            stats.answer(
                "CEB303",
                false,
                &Answer::Accepted,
                Duration::from_millis(i),
                start + Duration::from_millis(i),
            );
        }
        stats.sent("CEB603", start);
        stats.answer(
            "CEB603",
            true,
            &Answer::Rejected("100".into()),
            Duration::from_millis(5),
            start,
        );
        stats.sent("CEB603", start);
        stats.answer(
            "CEB603",
            false,
            &Answer::Rejected("100".into()),
            Duration::from_millis(5),
            start,
        );
        stats.sent("CEB505", start);
        stats.answer(
            "CEB505",
            false,
            &Answer::Error("http 503".into()),
            Duration::ZERO,
            start,
        );
        let s = stats.snapshot();
        assert_eq!(s.sent, 1003);
        assert_eq!(s.answered, 1002);
        assert_eq!((s.rejected_expected, s.rejected_unexpected), (1, 1));
        assert_eq!(s.errors, 2, "{:?}", s.errors_by_kind);
        assert_eq!(s.errors_by_kind["http 503"], 1);
        assert!((s.ack.p50 - 500.0).abs() < 2.0, "{}", s.ack.p50);
        assert!((s.ack.p99 - 990.0).abs() < 2.0, "{}", s.ack.p99);
        assert!((s.ack.max - 1000.0).abs() < 1.0, "{}", s.ack.max);
        assert!(s.timeline.len() >= 2);
        assert_eq!(s.by_type["CEB603"].rejected, 2);
        assert!((s.error_rate() - 2.0 / 1003.0).abs() < 1e-9);
    }
}
