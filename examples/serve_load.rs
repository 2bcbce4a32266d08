//! Load driver for `single-window serve`, with its plain-HTTP baseline in the same run.
//!
//! Starts the server binary given as the first argument on a fresh store in a temporary
//! folder (a generated registry of 20 enterprises, a token each), then drives it over HTTP/1.1
//! keep-alive connections from this process (one thread, a minimal client) with distinct
//! generated parcels (order, payment receipt, waybill and declaration list: four messages
//! each):
//!
//! 1. `POST /baseline` as fast as it goes (the body is read, nothing is checked or stored);
//! 2. `POST /ceb` as fast as it goes (checked, durably stored, acknowledged);
//! 3. both again at a fixed rate (`--rate`, default 10,000/s), latency measured from the time
//!    each request was due, so a stall counts in full.
//!
//! After each phase: the CPU time a message cost in each server thread and in this driver,
//! and how busy the machine was.
//!
//! `scripts/bench-serve.sh` builds and runs it. Options: `--seconds S` per phase (5),
//! `--connections C` (256), `--rate R` (10000).

use anyhow::{Context as _, bail};
use bytes::Bytes;
use single_window::load::parcels::{self, Rng};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const ENTERPRISES: u64 = 20;
const CARRIER_DXP: &str = "DXPLGS0000000001";

struct Options {
    server: String,
    seconds: u64,
    connections: usize,
    rate: u64,
}

fn options() -> anyhow::Result<Options> {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        server: String::new(),
        seconds: 5,
        connections: 256,
        rate: 10_000,
    };
    while let Some(a) = args.next() {
        let mut value = || args.next().context("a value is missing");
        match a.as_str() {
            "--seconds" => o.seconds = value()?.parse()?,
            "--connections" => o.connections = value()?.parse()?,
            "--rate" => o.rate = value()?.parse()?,
            _ => o.server = a,
        }
    }
    if o.server.is_empty() {
        bail!("usage: serve_load PATH-TO-single-window [--seconds S] [--connections C] [--rate R]");
    }
    Ok(o)
}

fn token(dxp: &str) -> String {
    format!("token-{dxp}")
}

/// Registry and configuration files for the server.
fn write_config(dir: &std::path::Path, port: u16) -> anyhow::Result<std::path::PathBuf> {
    let registry = parcels::registry(ENTERPRISES);
    let text = registry.to_toml()?;
    std::fs::write(dir.join("registry.toml"), text)?;
    let mut config = format!(
        "listen = \"127.0.0.1:{port}\"\ndata = \"{}\"\nregistry = \"{}\"\nadmin_token = \"admin\"\npublic_metrics = true\n",
        dir.join("data").display(),
        dir.join("registry.toml").display()
    );
    let dxps = registry
        .enterprises()
        .iter()
        .filter_map(|e| e.dxp_id.clone())
        .chain([CARRIER_DXP.to_string()]);
    for dxp in dxps {
        config.push_str(&format!(
            "[[enterprise]]\ndxp_id = \"{dxp}\"\ntoken = \"{}\"\n",
            token(&dxp)
        ));
    }
    let path = dir.join("serve.toml");
    std::fs::write(&path, config)?;
    Ok(path)
}

/// `parcels` whole parcels, as (authorization header, body), in sending order.
fn corpus(parcels: u64) -> Vec<(String, Bytes)> {
    let mut rng = Rng::new(20_251_125);
    let mut out = Vec::with_capacity(parcels as usize * 4);
    for serial in 1..=parcels {
        let mut p = parcels::parcel(&mut rng, serial, ENTERPRISES);
        p.waybill.base_transfer.dxp_id = CARRIER_DXP.into();
        for m in p.into_messages() {
            let xml = single_window::ceb::encode(m.as_element());
            let dxp = single_window::model::schema::find_text(m.as_element(), "dxpId")
                .unwrap_or_default()
                .to_string();
            out.push((format!("Bearer {}", token(&dxp)), Bytes::from(xml)));
        }
    }
    out
}

/// What one phase measured.
#[derive(Default)]
struct Tally {
    ok: u64,
    busy: u64,
    other: u64,
    /// Microseconds, every answered request.
    latencies: Vec<u32>,
    /// When each request answered after over 50 ms was due, in ms from the phase's start:
    /// one stall or many small ones.
    slow_due: Vec<u32>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.busy += other.busy;
        self.other += other.other;
        self.latencies.extend(other.latencies);
        self.slow_due.extend(other.slow_due);
    }

    fn report(mut self, name: &str, seconds: f64) {
        self.latencies.sort_unstable();
        let pct = |p: f64| {
            let i =
                ((self.latencies.len() as f64 * p) as usize).min(self.latencies.len().max(1) - 1);
            self.latencies.get(i).copied().unwrap_or(0) as f64 / 1000.0
        };
        println!(
            "{name:<34} {:>9.0}/s   p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>8.2} ms   ({} ok, {} busy 503, {} other)",
            self.ok as f64 / seconds,
            pct(0.50),
            pct(0.99),
            self.latencies.last().copied().unwrap_or(0) as f64 / 1000.0,
            self.ok,
            self.busy,
            self.other
        );
        if !self.slow_due.is_empty() {
            let mut windows: BTreeMap<u32, u32> = BTreeMap::new();
            for due in &self.slow_due {
                *windows.entry(due / 100).or_default() += 1;
            }
            let mut busiest: Vec<(u32, u32)> = windows.into_iter().collect();
            busiest.sort_by_key(|(w, n)| (std::cmp::Reverse(*n), *w));
            let shown: Vec<String> = busiest
                .iter()
                .take(4)
                .map(|(w, n)| format!("{n} due at {:.1} s", *w as f64 / 10.0))
                .collect();
            println!(
                "{:<34} over 50 ms: {} requests; busiest 100 ms: {}",
                "",
                self.slow_due.len(),
                shown.join(", ")
            );
        }
    }
}

/// CPU time used so far, from `/proc` (Linux; elsewhere all zero): the server's per thread
/// name (a trailing number dropped: `sled-io-3` counts as `sled-io`), this driver's, and the
/// whole machine's busy and total time. In clock ticks (1/100 s on Linux).
struct CpuTimes {
    server: BTreeMap<String, u64>,
    driver: u64,
    machine_busy: u64,
    machine_total: u64,
    /// Time the hypervisor gave this VM's CPUs to someone else: nothing here runs then.
    machine_steal: u64,
}

impl CpuTimes {
    fn now(server_pid: u32) -> CpuTimes {
        let driver = threads(std::process::id()).values().sum();
        // The first line of /proc/stat: "cpu  user nice system idle iowait irq softirq steal …".
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let ticks: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|t| t.parse().ok())
            .collect();
        let total: u64 = ticks.iter().take(8).sum();
        let idle = ticks.iter().skip(3).take(2).sum::<u64>();
        CpuTimes {
            server: threads(server_pid),
            driver,
            machine_busy: total - idle,
            machine_total: total,
            machine_steal: ticks.get(7).copied().unwrap_or(0),
        }
    }

    /// What was used since `before`, per message answered.
    fn report_since(&self, before: &CpuTimes, messages: u64) {
        if self.machine_total == before.machine_total || messages == 0 {
            return;
        }
        let per_message = |ticks: u64| ticks as f64 * 10_000.0 / messages as f64;
        let mut server_total = 0;
        let mut parts = Vec::new();
        for (name, ticks) in &self.server {
            // Saturating: sled's I/O threads come and go, so a name's sum can shrink.
            let used = ticks.saturating_sub(before.server.get(name).copied().unwrap_or(0));
            server_total += used;
            if per_message(used) >= 0.5 {
                parts.push(format!("{name} {:.0}", per_message(used)));
            }
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        println!(
            "{:<34} CPU per message: server {:.0} µs ({}), driver {:.0} µs; machine {:.0} % busy of {:.0} %, {} ms stolen",
            "",
            per_message(server_total),
            parts.join(", "),
            per_message(self.driver.saturating_sub(before.driver)),
            (self.machine_busy - before.machine_busy) as f64 * 100.0 * cores
                / (self.machine_total - before.machine_total) as f64,
            cores * 100.0,
            (self.machine_steal - before.machine_steal) * 10
        );
    }
}

/// CPU ticks (user and system) of each thread of `pid`, by thread name.
fn threads(pid: u32) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // "tid (name) state …": utime and stime are the 12th and 13th fields after the name.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
        let fields: Vec<u64> = stat[close + 1..]
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|f| f.parse().ok())
            .collect();
        *out.entry(name.to_string()).or_default() += fields.iter().sum::<u64>();
    }
    out
}

/// A keep-alive HTTP/1.1 client connection that writes each request whole and reads the
/// answer's head and `content-length` bytes, nothing more: the driver shares the machine with
/// the server, so its own cost per request is kept to two system calls and a scan.
struct Connection {
    stream: TcpStream,
    request: Vec<u8>,
    answer: Vec<u8>,
}

impl Connection {
    async fn open(port: u16) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            request: Vec::with_capacity(4096),
            answer: Vec::with_capacity(4096),
        })
    }

    /// Sends one request; returns the answer's status and body.
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        authorization: &str,
        body: &[u8],
    ) -> anyhow::Result<(u16, &[u8])> {
        let r = &mut self.request;
        r.clear();
        for part in [method, " ", path, " HTTP/1.1\r\nhost: 127.0.0.1\r\n"] {
            r.extend_from_slice(part.as_bytes());
        }
        if !authorization.is_empty() {
            for part in ["authorization: ", authorization, "\r\n"] {
                r.extend_from_slice(part.as_bytes());
            }
        }
        let length = format!("content-length: {}\r\n\r\n", body.len());
        r.extend_from_slice(b"content-type: application/xml\r\n");
        r.extend_from_slice(length.as_bytes());
        r.extend_from_slice(body);
        self.stream.write_all(r).await?;
        self.answer.clear();
        let head_end = loop {
            if let Some(i) = self.answer.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.read_more().await?;
        };
        let head = std::str::from_utf8(&self.answer[..head_end])?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP answer: {head:?}"))?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .with_context(|| format!("an answer without content-length: {head:?}"))?;
        while self.answer.len() < head_end + length {
            self.read_more().await?;
        }
        Ok((status, &self.answer[head_end..head_end + length]))
    }

    async fn read_more(&mut self) -> anyhow::Result<()> {
        if self.stream.read_buf(&mut self.answer).await? == 0 {
            bail!("the server closed the connection");
        }
        Ok(())
    }
}

/// The server under test: where it listens, and its process.
#[derive(Clone, Copy)]
struct Server {
    port: u16,
    pid: u32,
}

/// Drives `path` over `connections` connections for `seconds`; at `rate` per second in all
/// when given, else as fast as answers come.
async fn phase(
    server: Server,
    path: &'static str,
    corpus: Arc<Vec<(String, Bytes)>>,
    next: Arc<AtomicUsize>,
    connections: usize,
    seconds: u64,
    rate: Option<u64>,
) -> anyhow::Result<(Tally, f64, (CpuTimes, CpuTimes))> {
    // Every connection is open before the clock starts: opening hundreds at once overflows
    // the listen backlog, and the retried SYNs would stall the phase's first second.
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        senders.push(Connection::open(server.port).await?);
    }
    let cpu = CpuTimes::now(server.pid);
    let started = Instant::now();
    println!(
        "{path} phase started at {}",
        chrono::Utc::now().format("%H:%M:%S%.3f")
    );
    let end = started + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for (c, mut sender) in senders.into_iter().enumerate() {
        let corpus = corpus.clone();
        let next = next.clone();
        tasks.spawn(async move {
            let mut tally = Tally::default();
            // Each connection sends its share of the rate, staggered.
            let interval = rate.map(|r| Duration::from_secs_f64(connections as f64 / r as f64));
            let mut due = started
                + interval.map_or(Duration::ZERO, |i| i.mul_f64(c as f64 / connections as f64));
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                if interval.is_some() {
                    if due > now {
                        tokio::time::sleep_until(due.into()).await;
                    }
                } else {
                    due = now;
                }
                let k = next.fetch_add(1, Ordering::Relaxed) % corpus.len();
                let (auth, body) = &corpus[k];
                let (status, _) = sender.send("POST", path, auth, body).await?;
                let took = due.elapsed();
                match status {
                    200 => tally.ok += 1,
                    503 => tally.busy += 1,
                    _ => tally.other += 1,
                }
                tally
                    .latencies
                    .push(took.as_micros().min(u32::MAX as u128) as u32);
                if took > Duration::from_millis(50) {
                    let since = due.saturating_duration_since(started);
                    tally.slow_due.push(since.as_millis() as u32);
                }
                if let Some(i) = interval {
                    due += i;
                }
            }
            anyhow::Ok(tally)
        });
    }
    let mut tally = Tally::default();
    while let Some(t) = tasks.join_next().await {
        tally.merge(t??);
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok((tally, seconds, (cpu, CpuTimes::now(server.pid))))
}

/// The server's own counters of group commit and queues.
async fn print_metrics(port: u16, acknowledged: u64) -> anyhow::Result<()> {
    let mut connection = Connection::open(port).await?;
    let (_, body) = connection.send("GET", "/metrics", "", b"").await?;
    let text = String::from_utf8_lossy(body).into_owned();
    let get = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let flushes = get("sw_flushes_total ").max(1.0);
    // Slow flushes hold up every acknowledgement waiting on them: the disk's share of the tail.
    let slower =
        |le: &str| flushes - get(&format!("sw_flush_latency_seconds_bucket{{le=\"{le}\"}} "));
    println!(
        "server: {} flushes, {:.1} messages and {:.2} ms per flush on average; {} flushes over 10 ms, {} over 50 ms",
        flushes,
        get("sw_flushed_entries_total ") / flushes,
        get("sw_flush_latency_seconds_sum ") * 1000.0 / flushes,
        slower("0.01"),
        slower("0.05"),
    );
    let shed: Vec<String> = ["in_flight", "bytes", "latency"]
        .iter()
        .map(|r| format!("{r} {}", get(&format!("sw_shed_total{{reason=\"{r}\"}} "))))
        .collect();
    println!("server shed (503): {}", shed.join(", "));
    let stored = get("sw_ingested_total ") as u64;
    println!(
        "acknowledged by the server to this driver: {acknowledged}; stored by its count: {stored}{}",
        if stored == acknowledged {
            " (every acknowledged message stored)"
        } else {
            " — DIFFERENT"
        }
    );
    if stored != acknowledged {
        bail!("acknowledged {acknowledged} messages, the server counts {stored} stored");
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let o = options()?;
    let dir = tempfile::tempdir()?;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let config = write_config(dir.path(), port)?;
    // Enough distinct parcels for both ingest phases at up to 30,000 messages/s.
    let parcels = (30_000 * o.seconds + o.rate * o.seconds) / 4 + 1;
    let generated = Instant::now();
    let corpus = Arc::new(corpus(parcels));
    let bytes: usize = corpus.iter().map(|(_, b)| b.len()).sum();
    println!(
        "corpus: {} messages ({} parcels), {:.1} KB average, generated in {:.1} s",
        corpus.len(),
        parcels,
        bytes as f64 / corpus.len() as f64 / 1024.0,
        generated.elapsed().as_secs_f64()
    );
    let log = std::fs::File::create(dir.path().join("server.log"))?;
    let mut server = std::process::Command::new(&o.server)
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", o.server))?;
    let server_pid = server.id();
    // One thread drives every connection: on two cores, a second driver thread took CPU the
    // server needed and cost about a quarter of its durable rate.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let ready = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if ready.elapsed() > Duration::from_secs(10) {
                bail!("the server did not start");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        println!(
            "server up in {} ms; {} connections, {} s per phase",
            ready.elapsed().as_millis(),
            o.connections,
            o.seconds
        );
        let next = Arc::new(AtomicUsize::new(0));
        let baseline_next = Arc::new(AtomicUsize::new(0));
        let run = |path, next: &Arc<AtomicUsize>, rate| {
            phase(
                Server {
                    port,
                    pid: server_pid,
                },
                path,
                corpus.clone(),
                next.clone(),
                o.connections,
                o.seconds,
                rate,
            )
        };
        let phases = [
            (
                "/baseline",
                &baseline_next,
                None,
                "baseline (no storage), max".to_string(),
            ),
            ("/ceb", &next, None, "ingest (durable), max".to_string()),
            (
                "/baseline",
                &baseline_next,
                Some(o.rate),
                format!("baseline at {}/s", o.rate),
            ),
            (
                "/ceb",
                &next,
                Some(o.rate),
                format!("ingest (durable) at {}/s", o.rate),
            ),
        ];
        let mut acknowledged = 0;
        for (path, next, rate, name) in phases {
            let (tally, seconds, (before, after)) = run(path, next, rate).await?;
            if path == "/ceb" {
                acknowledged += tally.ok;
            }
            let answered = tally.ok + tally.busy + tally.other;
            tally.report(&name, seconds);
            after.report_since(&before, answered);
        }
        print_metrics(port, acknowledged).await
    });
    // SIGTERM, so the server stops gracefully.
    let _ = std::process::Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", server.id())])
        .status();
    let _ = server.wait();
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    for line in log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
    {
        println!("server log: {line}");
    }
    result
}
