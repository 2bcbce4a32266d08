//! `single-window load`: generates fragmented-parcel traffic and drives an HTTP endpoint or
//! writes a folder; prints progress and a summary, writes the JSON and HTML reports, and
//! exits 1 when a threshold is not met.

use anyhow::{Context as _, bail};
use chrono::NaiveDateTime;
use single_window::load::drive::{self, Options};
use single_window::load::parcels;
use single_window::load::report::{FolderRun, Machine, Model, Report, Thresholds, TrafficInfo};
use single_window::load::schedule::Schedule;
use single_window::load::target::{Auth, Endpoint};
use single_window::load::traffic::{self, Config, Traffic};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// Where to send: an http:// URL taking CEB messages (e.g. http://127.0.0.1:8080/ceb), or a
    /// folder to write the messages into, one file each, named in send order.
    #[arg(long, value_name = "URL|DIR", required_unless_present = "setup")]
    pub target: Option<String>,
    /// Messages per second. The closed model sends the same stream (rate × duration messages)
    /// as fast as its connections allow.
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Ramp the rate linearly from --rate to this, over --ramp seconds, then keep it.
    #[arg(long, value_name = "RATE")]
    pub ramp_to: Option<f64>,
    /// Length of the ramp in seconds (default: the whole duration).
    #[arg(long, value_name = "SECONDS")]
    pub ramp: Option<f64>,
    /// Seconds of new parcels (those begun are then completed).
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub duration: f64,
    /// Stop after this many parcels.
    #[arg(long, value_name = "N")]
    pub parcels: Option<u64>,
    /// Closed model: --connections senders, each sending as soon as it has its answer.
    #[arg(long)]
    pub closed: bool,
    /// HTTP/1.1 keep-alive connections to the target.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Open model: messages due but not yet sent, at most; one more is dropped (an error).
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_outstanding: usize,
    /// Seconds before an unanswered request counts as an error.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Seed of the traffic: the same seed, start and schedule give the same messages.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Business time of the first message, e.g. 2025-03-03T08:00:00 (default: now for
    /// HTTP targets, 2024-12-02T08:00:00 for folders).
    #[arg(long, value_name = "TIME")]
    pub start: Option<NaiveDateTime>,
    /// E-commerce enterprises sending parcels.
    #[arg(long, default_value_t = 50)]
    pub enterprises: u64,
    /// Platforms among them (a few big ones take most parcels).
    #[arg(long, default_value_t = 5)]
    pub platforms: u64,
    /// Weights of 9610, 9710 and 9810 parcels.
    #[arg(long, default_value = "80,12,8", value_name = "W9610,W9710,W9810")]
    pub mix: String,
    /// Share of parcels broken on purpose (wrong total, bad code, three-flow mismatch).
    #[arg(long, default_value = "0.02", value_name = "SHARE")]
    pub faults: String,
    /// Share of released parcels returned (213, then 215); needs the simulator's receipts.
    #[arg(long, default_value = "0", value_name = "SHARE")]
    pub returns: String,
    /// One summary application (701) per enterprise at the end, for its released lists.
    #[arg(long)]
    pub summaries: bool,
    /// Tokens by DXP id: the server's tokens.toml or a serve.toml with [[enterprise]].
    #[arg(long, value_name = "FILE")]
    pub tokens: Option<PathBuf>,
    /// One bearer token for every sender without its own.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Do not pull GET /receipts (no end-to-end latency, returns or waiting).
    #[arg(long)]
    pub no_receipts: bool,
    /// Seconds to wait after the last message for final receipts.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub drain: f64,
    /// Folder for report.json, report.html and summary.txt.
    #[arg(long, default_value = "load-report", value_name = "DIR")]
    pub report: PathBuf,
    /// Fail (exit 1) when the acknowledgement p99 is above this many milliseconds.
    #[arg(long, value_name = "MS")]
    pub max_p99: Option<f64>,
    /// Fail when the end-to-end p99 is above this many milliseconds.
    #[arg(long, value_name = "MS")]
    pub max_e2e_p99: Option<f64>,
    /// Fail when errors / messages sent is above this (e.g. 0.01 or 1%). Without it, any
    /// error or lost parcel fails the run.
    #[arg(long, value_name = "RATE")]
    pub max_error_rate: Option<String>,
    /// No progress line.
    #[arg(long)]
    pub quiet: bool,
    /// Write a registry and a server configuration for this traffic into DIR, and stop.
    #[arg(long, value_name = "DIR")]
    pub setup: Option<PathBuf>,
    /// With --setup: the address the server is to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,
}

/// A share: 0.02, or 2%.
fn share(text: &str, what: &str) -> anyhow::Result<f64> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    }
    .with_context(|| format!("{what} `{text}`: give a share like 0.02 or 2%"))?;
    if !(0.0..=1.0).contains(&value) {
        bail!("{what} `{text}` is not between 0 and 1");
    }
    Ok(value)
}

fn mix(text: &str) -> anyhow::Result<[u32; 3]> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let bad =
        || format!("--mix `{text}`: give three weights for 9610, 9710 and 9810, e.g. 80,12,8");
    if parts.len() != 3 {
        bail!(bad());
    }
    let mut out = [0; 3];
    for (o, p) in out.iter_mut().zip(parts) {
        *o = p.parse().with_context(bad)?;
    }
    if out.iter().sum::<u32>() == 0 {
        bail!(bad());
    }
    Ok(out)
}

fn seconds(v: f64, what: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(v).with_context(|| format!("{what} {v}: not a number of seconds"))
}

/// The token file and server configuration of `--setup`: every sender gets `token-<DXP id>`.
fn setup(dir: &Path, enterprises: u64, listen: &str) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let registry = parcels::registry(enterprises);
    let registry_path = dir.join("registry.toml");
    std::fs::write(&registry_path, registry.to_toml()?)
        .with_context(|| format!("writing {}", registry_path.display()))?;
    let token = || uuid::Uuid::new_v4().simple().to_string();
    let mut config = format!(
        "# For `single-window serve --config {0}`, with the traffic of `single-window load`.\n\
         # Its tokens are random: keep this file to yourself (it is readable by you only).\n\
         listen = \"{listen}\"\ndata = \"{1}\"\nregistry = \"{2}\"\nadmin_token = \"{3}\"\n\
         # A load test settles quickly: old log segments and orders that wait in vain for\n\
         # their list leave memory and disk after ten minutes.\n\
         log_retention_minutes = 10\nreceipt_retention_minutes = 10\n\n\
         # Customs of the standard benchmark: quick, so a parcel closes within seconds.\n\
         [customs]\nstore_delay_ms = 200\nconclude_delay_ms = 500\nrelease_delay_ms = 500\n\
         wait_window_ms = 3000\nreview_per_mille = 0\ninspection_per_mille = 0\n\
         retention_minutes = 10\n",
        dir.join("serve.toml").display(),
        dir.join("data").display(),
        registry_path.display(),
        token(),
    );
    for dxp in traffic::dxp_ids(enterprises) {
        config.push_str(&format!(
            "\n[[enterprise]]\ndxp_id = \"{dxp}\"\ntoken = \"{}\"\n",
            token()
        ));
    }
    let path = dir.join("serve.toml");
    single_window::server::config::write_private(&path, &config)
        .with_context(|| format!("writing {}", path.display()))?;
    writeln!(
        std::io::stdout().lock(),
        "wrote {} and {}\nstart the server:  single-window serve --config {}\nthen drive it:     single-window load --target http://{listen}/ceb --tokens {} --enterprises {enterprises}",
        registry_path.display(),
        path.display(),
        path.display(),
        path.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(a: LoadArgs) -> anyhow::Result<ExitCode> {
    if !(1..=10_000).contains(&a.enterprises) {
        bail!("--enterprises {}: give 1 to 10000", a.enterprises);
    }
    if let Some(dir) = &a.setup {
        return setup(dir, a.enterprises, &a.listen);
    }
    let target = a.target.clone().context("--target is required")?;
    let http = target.contains("://");
    if !(a.rate > 0.0 && a.rate.is_finite()) {
        bail!(
            "--rate {}: give a positive number of messages per second",
            a.rate
        );
    }
    if a.ramp_to.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        bail!("--ramp-to: give a positive rate");
    }
    let duration = seconds(a.duration, "--duration")?;
    let returns = share(&a.returns, "--returns")?;
    if returns > 0.0 && (!http || a.no_receipts) {
        bail!(
            "--returns needs the simulator's receipts (an http:// target, without --no-receipts): a return names the list number customs gave"
        );
    }
    let thresholds = Thresholds {
        max_p99: a.max_p99,
        max_e2e_p99: a.max_e2e_p99,
        max_error_rate: a
            .max_error_rate
            .as_deref()
            .map(|t| share(t, "--max-error-rate"))
            .transpose()?,
    };
    let start = a.start.unwrap_or_else(|| {
        if http {
            let now = chrono::Local::now().naive_local();
            now - chrono::Duration::nanoseconds(i64::from(now.and_utc().timestamp_subsec_nanos()))
        } else {
            chrono::NaiveDate::from_ymd_opt(2024, 12, 2)
                .and_then(|d| d.and_hms_opt(8, 0, 0))
                .unwrap_or_default()
        }
    });
    let mut config = Config::new(a.seed, a.rate, start);
    config.enterprises = a.enterprises;
    config.platforms = a.platforms.max(1);
    config.mix = mix(&a.mix)?;
    config.faults = share(&a.faults, "--faults")?;
    config.returns = returns;
    config.duration = Some(duration);
    config.parcels = a.parcels;
    let ramp = match a.ramp {
        Some(r) => seconds(r, "--ramp")?,
        None => duration,
    };
    config.schedule = Schedule {
        rate: a.rate,
        ramp_to: a.ramp_to,
        ramp,
    };
    let mut model = Model {
        kind: if !http {
            "folder"
        } else if a.closed {
            "closed"
        } else {
            "open"
        },
        rate: a.rate,
        ramp_to: a.ramp_to,
        ramp_s: ramp.as_secs_f64(),
        duration_s: Some(a.duration),
        connections: a.connections,
        max_outstanding: a.max_outstanding,
    };
    let info = TrafficInfo {
        seed: a.seed,
        start: start.format("%Y-%m-%dT%H:%M:%S").to_string(),
        enterprises: a.enterprises,
        platforms: config.platforms,
        mix: config.mix,
        faults: config.faults,
        returns,
        summaries: a.summaries,
    };
    let mut machine = Machine::now();
    let started = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let mut report = Report {
        tool: "single-window load",
        version: env!("CARGO_PKG_VERSION"),
        started,
        target: target.clone(),
        model: model.clone(),
        traffic: info,
        machine: machine.clone(),
        folder: None,
        stats: None,
        outcomes: None,
        notes: Vec::new(),
        thresholds: Vec::new(),
        pass: true,
    };
    let traffic = Traffic::new(config);
    if http {
        let endpoint = Endpoint::parse(&target)?;
        let mut auth = Auth {
            default: a.token.clone(),
            ..Auth::default()
        };
        if let Some(path) = &a.tokens {
            auth.tokens = Auth::load(path)?;
        }
        if a.closed {
            model.max_outstanding = a.connections;
        }
        let options = Options {
            endpoint,
            auth,
            closed: a.closed,
            connections: a.connections,
            max_outstanding: a.max_outstanding,
            timeout: seconds(a.timeout, "--timeout")?,
            receipts: !a.no_receipts,
            drain: seconds(a.drain, "--drain")?,
            summaries: a.summaries,
            return_delay: Duration::from_millis(500),
            progress: !a.quiet,
        };
        let measured = drive::http(traffic, options)?;
        report.thresholds = thresholds.check(&measured.stats, measured.outcomes.as_ref());
        report.pass = report.thresholds.iter().all(|c| c.pass);
        report.stats = Some(measured.stats);
        report.outcomes = measured.outcomes;
        report.notes.extend(measured.receipts_note);
    } else {
        let dir = PathBuf::from(&target);
        let w = drive::folder(traffic, &dir, a.summaries)?;
        report.folder = Some(FolderRun {
            dir: dir.display().to_string(),
            messages: w.messages,
            parcels: w.parcels,
            faulty: w.faulty,
            seconds: w.seconds,
            per_s: w.messages as f64 / w.seconds.max(1e-9),
        });
        // The enterprises of generated traffic are not the shipped registry's: theirs goes
        // beside the messages, and the report says how to check them with it.
        let registry_path = dir.join("registry.toml");
        let registry = parcels::registry(a.enterprises);
        std::fs::write(&registry_path, registry.to_toml()?)
            .with_context(|| format!("writing {}", registry_path.display()))?;
        report.notes.push(format!(
            "the traffic's enterprises are in {0}; check the messages with: single-window check {1} --registry {0}",
            registry_path.display(),
            dir.display()
        ));
    }
    report.model = model;
    machine.load_after = Machine::load_average();
    report.machine = machine;
    let text = report.text();
    std::fs::create_dir_all(&a.report)
        .with_context(|| format!("creating {}", a.report.display()))?;
    for (name, body) in [
        ("summary.txt", text.clone()),
        ("report.json", report.json()),
        ("report.html", report.html()),
    ] {
        let path = a.report.join(name);
        std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut w = std::io::stdout().lock();
    write!(w, "{text}")?;
    writeln!(w, "reports: {}", a.report.join("report.html").display())?;
    Ok(if report.pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
