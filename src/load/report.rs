//! The reports of a load run: a text summary, a JSON report and a self-contained HTML page
//! with its charts drawn as inline SVG (no script, no CDN), and the pass/fail thresholds.

use super::stats::{Latency, Snapshot};
use super::track::Outcomes;
use serde::Serialize;
use std::fmt::Write as _;

/// How the run was driven.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// "open", "closed" or "folder".
    pub kind: &'static str,
    pub rate: f64,
    pub ramp_to: Option<f64>,
    pub ramp_s: f64,
    pub duration_s: Option<f64>,
    pub connections: usize,
    pub max_outstanding: usize,
}

/// What the traffic was.
#[derive(Debug, Clone, Serialize)]
pub struct TrafficInfo {
    pub seed: u64,
    pub start: String,
    pub enterprises: u64,
    pub platforms: u64,
    /// Weights of 9610, 9710, 9810.
    pub mix: [u32; 3],
    pub faults: f64,
    pub returns: f64,
    pub summaries: bool,
}

/// The machine the run was on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu: String,
    /// 1, 5 and 15-minute load averages before and after the run.
    pub load_before: Option<[f64; 3]>,
    pub load_after: Option<[f64; 3]>,
}

impl Machine {
    pub fn load_average() -> Option<[f64; 3]> {
        let text = std::fs::read_to_string("/proc/loadavg").ok()?;
        let mut it = text.split_whitespace().map(|x| x.parse::<f64>().ok());
        Some([it.next()??, it.next()??, it.next()??])
    }

    pub fn now() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            load_before: Machine::load_average(),
            load_after: None,
        }
    }
}

/// A folder run: how fast the generator wrote.
#[derive(Debug, Clone, Serialize)]
pub struct FolderRun {
    pub dir: String,
    pub messages: u64,
    pub parcels: u64,
    /// Parcels broken on purpose.
    pub faulty: u64,
    pub seconds: f64,
    pub per_s: f64,
}

/// One pass/fail threshold.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub limit: f64,
    pub value: f64,
    pub pass: bool,
}

/// Limits that decide the exit code. Errors and lost parcels fail a run unless
/// `max_error_rate` allows some; a wrong answer (a valid parcel refused, a faulty one let
/// through) fails it whatever the limits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Thresholds {
    /// Acknowledgement p99, ms.
    pub max_p99: Option<f64>,
    /// End-to-end p99, ms.
    pub max_e2e_p99: Option<f64>,
    /// Errors over messages sent (0–1); none allowed when not given.
    pub max_error_rate: Option<f64>,
}

impl Thresholds {
    pub fn check(&self, s: &Snapshot, outcomes: Option<&Outcomes>) -> Vec<Check> {
        let mut out = Vec::new();
        let mut add = |name: &str, limit: Option<f64>, value: f64| {
            if let Some(limit) = limit {
                out.push(Check {
                    name: name.into(),
                    limit,
                    value,
                    pass: value <= limit,
                });
            }
        };
        add("ack p99 (ms)", self.max_p99, s.ack.p99);
        add("end-to-end p99 (ms)", self.max_e2e_p99, s.e2e.p99);
        add(
            "error rate",
            Some(self.max_error_rate.unwrap_or(0.0)),
            s.error_rate(),
        );
        if let Some(o) = outcomes {
            let none = Some(0.0);
            add("valid parcels refused", none, o.refused_unexpected as f64);
            add("faulty parcels accepted", none, o.faulty_closed as f64);
            // Errors allowed means the parcels they broke are allowed to be lost.
            let lost_limit = if self.max_error_rate.is_some() {
                None
            } else {
                none
            };
            add("parcels lost", lost_limit, o.lost as f64);
        }
        out
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool: &'static str,
    pub version: &'static str,
    pub started: String,
    pub target: String,
    pub model: Model,
    pub traffic: TrafficInfo,
    pub machine: Machine,
    pub folder: Option<FolderRun>,
    pub stats: Option<Snapshot>,
    pub outcomes: Option<Outcomes>,
    pub notes: Vec<String>,
    pub thresholds: Vec<Check>,
    pub pass: bool,
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.2} ms")
    }
}

fn latency_line(l: &Latency) -> String {
    format!(
        "p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (n = {})",
        ms(l.p50),
        ms(l.p90),
        ms(l.p99),
        ms(l.p999),
        ms(l.max),
        thousands(l.count)
    )
}

impl Report {
    fn headline(&self) -> String {
        let m = &self.model;
        let rate = match m.ramp_to {
            Some(to) => format!("{} → {} msg/s over {:.0} s", m.rate, to, m.ramp_s),
            None => format!("{} msg/s", m.rate),
        };
        match m.kind {
            "folder" => format!("folder → {}", self.target),
            "closed" => format!(
                "closed model, {} connections → {}",
                m.connections, self.target
            ),
            _ => format!(
                "open model, {rate}, {} connections, at most {} waiting → {}",
                m.connections, m.max_outstanding, self.target
            ),
        }
    }

    /// The text summary.
    pub fn text(&self) -> String {
        let mut o = String::new();
        let t = &self.traffic;
        let _ = writeln!(o, "single-window load: {}", self.headline());
        let _ = writeln!(
            o,
            "traffic: seed {}, start {}, {} enterprises ({} platforms), 9610/9710/9810 {}/{}/{}, {:.1} % faulty parcels, {:.1} % returned{}",
            t.seed,
            t.start,
            t.enterprises,
            t.platforms,
            t.mix[0],
            t.mix[1],
            t.mix[2],
            t.faults * 100.0,
            t.returns * 100.0,
            if t.summaries { ", summaries" } else { "" }
        );
        let load = |l: Option<[f64; 3]>| {
            l.map_or("?".into(), |l| {
                format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2])
            })
        };
        let _ = writeln!(
            o,
            "machine: {} × {}, load average {} before, {} after",
            self.machine.cpus,
            self.machine.cpu,
            load(self.machine.load_before),
            load(self.machine.load_after)
        );
        if let Some(f) = &self.folder {
            let _ = writeln!(
                o,
                "wrote {} messages ({} parcels, {} faulty) in {:.2} s: {} messages/s",
                thousands(f.messages),
                thousands(f.parcels),
                thousands(f.faulty),
                f.seconds,
                thousands(f.per_s as u64)
            );
        }
        if let Some(s) = &self.stats {
            let _ = writeln!(
                o,
                "sent {} messages in {:.1} s; answered {} ({:.0}/s)",
                thousands(s.sent),
                s.elapsed_s,
                thousands(s.answered),
                s.answered_per_s
            );
            let _ = writeln!(
                o,
                "answers: {} accepted, {} refused as intended (faulty), {} refused unexpectedly, {} faulty accepted",
                thousands(s.accepted),
                thousands(s.rejected_expected),
                thousands(s.rejected_unexpected),
                thousands(s.faults_missed)
            );
            let _ = writeln!(o, "ack latency:  {}", latency_line(&s.ack));
            if s.e2e.count > 0 {
                let _ = writeln!(o, "end to end:   {}", latency_line(&s.e2e));
            }
            let _ = writeln!(
                o,
                "errors: {} ({:.3} %){}",
                thousands(s.errors),
                s.error_rate() * 100.0,
                s.errors_by_kind
                    .iter()
                    .map(|(k, n)| format!("; {k}: {n}"))
                    .collect::<String>()
            );
            let types: Vec<String> = s
                .by_type
                .iter()
                .map(|(k, c)| format!("{k} {}/{}/{}/{}", c.sent, c.accepted, c.rejected, c.errors))
                .collect();
            let _ = writeln!(
                o,
                "by type (sent/accepted/refused/errors): {}",
                types.join("  ")
            );
        }
        if let Some(p) = &self.outcomes {
            let _ = writeln!(
                o,
                "parcels: {} ({} faulty): {} closed (899), {} faulty refused as intended, {} valid refused, {} faulty closed, {} lost, {} still open",
                thousands(p.parcels),
                thousands(p.faulty),
                thousands(p.closed),
                thousands(p.refused_expected),
                thousands(p.refused_unexpected),
                p.faulty_closed,
                p.lost,
                p.pending
            );
            if p.summaries_sent + p.returns_sent > 0 {
                let _ = writeln!(
                    o,
                    "after release: {} summaries sent, {} accepted (702), {} refused, {} declarations (792); {} returns sent (213), {} accepted, {} refused; {} tallies (215), {} accepted, {} refused",
                    p.summaries_sent,
                    p.summaries_accepted,
                    p.summaries_refused,
                    p.declarations,
                    p.returns_sent,
                    p.returns_accepted,
                    p.returns_refused,
                    p.tallies_sent,
                    p.tallied,
                    p.tallies_refused
                );
            }
        }
        for n in &self.notes {
            let _ = writeln!(o, "note: {n}");
        }
        for c in &self.thresholds {
            let _ = writeln!(
                o,
                "threshold {}: {:.4} ≤ {}: {}",
                c.name,
                c.value,
                c.limit,
                if c.pass { "pass" } else { "FAIL" }
            );
        }
        let _ = writeln!(o, "{}", if self.pass { "PASS" } else { "FAIL" });
        o
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The HTML page: headline figures, then the charts.
    pub fn html(&self) -> String {
        let mut o = String::new();
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let _ = write!(
            o,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>single-window load report</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}}\
             pre{{background:#f6f6f6;padding:1em;white-space:pre-wrap}}h2{{margin-top:1.5em}}\
             .pass{{color:#17803d}}.fail{{color:#b3261e}}svg{{background:#fff;border:1px solid #ddd}}</style></head><body>\
             <h1>single-window load report <span class=\"{}\">{}</span></h1><p>{} — started {}</p><pre>{}</pre>",
            if self.pass { "pass" } else { "fail" },
            if self.pass { "PASS" } else { "FAIL" },
            esc(&self.headline()),
            esc(&self.started),
            esc(&self.text())
        );
        if let Some(s) = &self.stats {
            let x = |f: &dyn Fn(&super::stats::Tick) -> f64| -> Vec<(f64, f64)> {
                s.timeline.iter().map(|t| (t.t as f64, f(t))).collect()
            };
            o.push_str("<h2>Throughput over time</h2>");
            o.push_str(&chart(
                "messages per second",
                "seconds from the start",
                &[
                    ("sent", "#1f77b4", x(&|t| t.sent as f64)),
                    ("answered", "#2ca02c", x(&|t| t.answered as f64)),
                    ("errors", "#d62728", x(&|t| t.errors as f64)),
                ],
                false,
            ));
            o.push_str("<h2>Acknowledgement latency over time</h2>");
            o.push_str(&chart(
                "milliseconds (per second of answers)",
                "seconds from the start",
                &[
                    ("p50", "#2ca02c", x(&|t| t.ack_p50)),
                    ("p99", "#ff7f0e", x(&|t| t.ack_p99)),
                    ("max", "#d62728", x(&|t| t.ack_max)),
                ],
                false,
            ));
            if s.e2e.count > 0 {
                o.push_str("<h2>End-to-end latency over time (first document → 899)</h2>");
                o.push_str(&chart(
                    "milliseconds (parcels closed in that second)",
                    "seconds from the start",
                    &[
                        ("p50", "#2ca02c", x(&|t| t.e2e_p50)),
                        ("p99", "#ff7f0e", x(&|t| t.e2e_p99)),
                    ],
                    false,
                ));
            }
            o.push_str("<h2>Acknowledgement latency distribution (percentile spectrum)</h2>");
            let ack = [("acknowledgement", "#1f77b4", spectrum(&s.ack))];
            o.push_str(&chart("milliseconds", "percentile", &ack, true));
            if s.e2e.count > 0 {
                o.push_str("<h2>End-to-end latency distribution (percentile spectrum)</h2>");
                let e2e = [("end to end", "#9467bd", spectrum(&s.e2e))];
                o.push_str(&chart("milliseconds", "percentile", &e2e, true));
            }
        }
        o.push_str("</body></html>\n");
        o
    }
}

/// Percentile points on the x axis as log10(1 / (1 − q)): 90 % → 1, 99 % → 2, 99.9 % → 3.
fn spectrum(l: &Latency) -> Vec<(f64, f64)> {
    l.spectrum
        .iter()
        .filter(|(q, _)| *q < 100.0)
        .map(|&(q, v)| ((1.0 / (1.0 - q / 100.0)).log10(), v))
        .collect()
}

/// A chart's line: name, colour, points.
type Series<'a> = (&'a str, &'a str, Vec<(f64, f64)>);

/// A line chart as inline SVG.
fn chart(y_label: &str, x_label: &str, series: &[Series<'_>], percentile_x: bool) -> String {
    let (w, h, left, right, top, bottom) = (900.0, 300.0, 70.0, 20.0, 20.0, 45.0);
    let points = series.iter().flat_map(|s| s.2.iter());
    let x_max = points.clone().map(|p| p.0).fold(1.0_f64, f64::max);
    let y_max = points.map(|p| p.1).fold(0.0_f64, f64::max).max(1e-9) * 1.05;
    let px = |x: f64| left + x / x_max * (w - left - right);
    let py = |y: f64| h - bottom - y / y_max * (h - top - bottom);
    let mut o = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-size=\"11\">"
    );
    for i in 0..=4 {
        let y = y_max * f64::from(i) / 4.0;
        let _ = write!(
            o,
            "<line x1=\"{left}\" x2=\"{0}\" y1=\"{1:.1}\" y2=\"{1:.1}\" stroke=\"#eee\"/><text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">{4}</text>",
            w - right,
            py(y),
            left - 4.0,
            py(y) + 4.0,
            short(y)
        );
    }
    let ticks: Vec<(f64, String)> = if percentile_x {
        (0..=x_max.floor() as i32)
            .map(|k| {
                let q = 100.0 - 100.0 / 10f64.powi(k);
                (f64::from(k), format!("{q}%"))
            })
            .collect()
    } else {
        (0..=5)
            .map(|i| {
                let x = x_max * f64::from(i) / 5.0;
                (x, format!("{x:.0}"))
            })
            .collect()
    };
    for (x, label) in ticks {
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
            px(x),
            h - bottom + 15.0
        );
    }
    let _ = write!(
        o,
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{x_label}</text><text x=\"12\" y=\"{:.1}\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">{y_label}</text>",
        left + (w - left - right) / 2.0,
        h - 8.0,
        h / 2.0,
        h / 2.0
    );
    let _ = write!(
        o,
        "<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{0}\" stroke=\"#888\"/><line x1=\"{left}\" x2=\"{1}\" y1=\"{0}\" y2=\"{0}\" stroke=\"#888\"/>",
        h - bottom,
        w - right
    );
    for (i, (name, color, pts)) in series.iter().enumerate() {
        let path: Vec<String> = pts
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = write!(
            o,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"/><rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\">{name}</text>",
            path.join(" "),
            left + 10.0 + 150.0 * i as f64,
            top,
            left + 24.0 + 150.0 * i as f64,
            top + 9.0
        );
    }
    o.push_str("</svg>");
    o
}

fn short(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
