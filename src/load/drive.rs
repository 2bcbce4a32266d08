//! Driving a target with the traffic.
//!
//! - Open model (default): each message is handed to a free connection when it is due, whether
//!   or not earlier ones were answered, and its latency counts from when it was due, so a
//!   target that slows down is charged in full (no coordinated omission). Messages waiting for
//!   a connection are bounded (`max_outstanding`); one over the bound is dropped and counted as
//!   an error.
//! - Closed model: a fixed number of connections each send the next message as soon as the
//!   previous one is answered, until the stream (the same messages as the open model's) is
//!   sent; latency counts from the send.
//!
//! With receipts on, the simulator's `GET /receipts` is pulled for every seller, so parcels
//! are followed to their final receipt and returns and summaries are sent when due.

use super::stats::{Answer, Snapshot, Stats};
use super::target::{Auth, Conn, Endpoint, Folder, return_status};
use super::track::{Outcomes, Receipt, Tracker};
use super::traffic::{Outgoing, Traffic};
use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How to drive an HTTP target.
#[derive(Debug, Clone)]
pub struct Options {
    pub endpoint: Endpoint,
    pub auth: Auth,
    /// Closed model (else open).
    pub closed: bool,
    /// Connections (closed model: also the concurrency).
    pub connections: usize,
    /// Open model: most messages due but not yet sent before new ones are dropped.
    pub max_outstanding: usize,
    pub timeout: Duration,
    /// Pull receipts to follow parcels end to end (the simulator's API).
    pub receipts: bool,
    /// After the last message, how long to wait for final receipts (and again for those of
    /// summaries).
    pub drain: Duration,
    /// Send one summary application per seller at the end.
    pub summaries: bool,
    /// Delay of a return (213) after the release, and of its tally (215) after the 214.
    pub return_delay: Duration,
    pub progress: bool,
}

/// What a run measured.
pub struct Measured {
    pub stats: Snapshot,
    /// How parcels ended: `None` when receipts were not followed.
    pub outcomes: Option<Outcomes>,
    /// Why receipts were not followed, when they were asked for.
    pub receipts_note: Option<String>,
}

struct Job {
    o: Outgoing,
    /// When it was due (open) or handed over (closed): its latency counts from here.
    due: Instant,
}

struct Shared {
    stats: Stats,
    tracker: Mutex<Tracker>,
    /// Messages handed over and not answered yet, plus follow-ups waiting for their time.
    in_flight: AtomicUsize,
    receipts_ok: AtomicBool,
    receipts_note: Mutex<Option<String>>,
    stop: AtomicBool,
    closed: bool,
}

impl Shared {
    fn tracker(&self) -> std::sync::MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs the traffic against an HTTP endpoint.
pub fn http(traffic: Traffic, options: Options) -> anyhow::Result<Measured> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(drive(traffic, options))
}

/// The answer a response stands for.
fn classify(r: Result<super::target::Response, String>) -> Answer {
    match r {
        Err(kind) => Answer::Error(kind),
        Ok(r) => {
            let status = return_status(&r.body);
            match (r.status, status) {
                (200..=299, Some("2") | None) => Answer::Accepted,
                // A refusal receipt: 200 with its status, or 400 + CEB900.
                (200..=299 | 400, Some(s)) => Answer::Rejected(s.to_string()),
                (code, _) => Answer::Error(format!("http {code}")),
            }
        }
    }
}

async fn worker(
    shared: Arc<Shared>,
    jobs: Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>,
    endpoint: Arc<Endpoint>,
    auth: Arc<Auth>,
    timeout: Duration,
) {
    let mut conn = Conn::new(&endpoint);
    loop {
        let job = jobs.lock().await.recv().await;
        let Some(Job { o, due }) = job else { break };
        let token = auth.token(&o.dxp);
        let r = conn
            .request(
                hyper::Method::POST,
                &endpoint.path,
                token,
                o.body.clone(),
                timeout,
            )
            .await;
        let now = Instant::now();
        let answer = classify(r);
        let latency = now.saturating_duration_since(due);
        shared
            .stats
            .answer(o.kind.label(), o.faulty, &answer, latency, now);
        shared.tracker().answered(&o, &answer);
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Hands a message over now (follow-ups and summaries).
async fn hand_over(shared: &Shared, work: &mpsc::Sender<Job>, o: Outgoing) {
    let now = Instant::now();
    shared.stats.sent(o.kind.label(), now);
    shared.tracker().dispatched(&o, now);
    if work.send(Job { o, due: now }).await.is_err() {
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(serde::Deserialize)]
struct Page {
    receipts: Vec<Receipt>,
    next: u64,
}

/// Pulls one seller's receipts until told to stop.
async fn poll(
    shared: Arc<Shared>,
    endpoint: Arc<Endpoint>,
    token: String,
    work: mpsc::Sender<Job>,
    timeout: Duration,
) {
    let mut conn = Conn::new(&endpoint);
    let mut after = 0u64;
    let mut first = true;
    while !shared.stop.load(Ordering::SeqCst) && shared.receipts_ok.load(Ordering::SeqCst) {
        let path = format!("/receipts?after={after}&limit=1000&wait=1");
        let r = conn
            .request(
                hyper::Method::GET,
                &path,
                Some(&token),
                bytes::Bytes::new(),
                timeout,
            )
            .await;
        let now = Instant::now();
        match r {
            Ok(r) if r.status == 200 => match serde_json::from_slice::<Page>(&r.body) {
                Ok(page) => {
                    first = false;
                    after = page.next.max(after);
                    for receipt in &page.receipts {
                        let (e2e, follow) = shared.tracker().receipt(receipt, now);
                        if let Some(latency) = e2e {
                            shared.stats.end_to_end(latency, now);
                        }
                        for o in follow {
                            shared.in_flight.fetch_add(1, Ordering::SeqCst);
                            let (shared, work) = (shared.clone(), work.clone());
                            tokio::spawn(async move {
                                tokio::time::sleep(o.due).await;
                                hand_over(&shared, &work, o).await;
                            });
                        }
                    }
                }
                Err(e) if first => {
                    return not_the_simulator(
                        &shared,
                        format!("its answer is not a receipt list ({e})"),
                    );
                }
                Err(_) => shared.stats.error("receipts: unreadable answer", now),
            },
            Ok(r) if first && matches!(r.status, 401 | 403 | 404 | 405) => {
                return not_the_simulator(&shared, format!("GET /receipts answered {}", r.status));
            }
            Ok(r) => {
                shared
                    .stats
                    .error(&format!("receipts: http {}", r.status), now);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(kind) => {
                shared.stats.error(&format!("receipts: {kind}"), now);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

fn not_the_simulator(shared: &Shared, why: String) {
    if shared.receipts_ok.swap(false, Ordering::SeqCst) {
        let mut note = shared
            .receipts_note
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *note = Some(format!(
            "receipts not followed, end-to-end latency not measured: {why}"
        ));
    }
}

/// The progress line, every second (every 10 s when not on a terminal).
async fn progress(shared: Arc<Shared>, start: Instant) {
    let tty = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last_sent = 0;
    let mut n = 0u64;
    loop {
        tick.tick().await;
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        n += 1;
        let (sent, answered, errors, p99, closed, e2e_p99) = shared.stats.brief();
        let open = shared.tracker().open();
        let line = format!(
            "{:>6.1} s  sent {sent} ({}/s)  answered {answered}  ack p99 {p99:.1} ms  closed {closed} (e2e p99 {:.2} s)  open {open}  errors {errors}",
            start.elapsed().as_secs_f64(),
            sent - last_sent,
            e2e_p99 / 1000.0,
        );
        last_sent = sent;
        let mut err = std::io::stderr();
        if tty {
            let _ = write!(err, "\r{line}\x1b[K");
        } else if n.is_multiple_of(10) {
            let _ = writeln!(err, "{line}");
        }
    }
    if tty {
        let _ = writeln!(std::io::stderr());
    }
}

/// Waits until `done` holds or `deadline` passes.
async fn wait_until(deadline: Instant, done: impl Fn() -> bool) {
    while !done() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn drive(traffic: Traffic, options: Options) -> anyhow::Result<Measured> {
    let start = Instant::now();
    let shared = Arc::new(Shared {
        stats: Stats::new(start),
        tracker: Mutex::new(Tracker::new(options.return_delay)),
        in_flight: AtomicUsize::new(0),
        receipts_ok: AtomicBool::new(options.receipts),
        receipts_note: Mutex::new(None),
        stop: AtomicBool::new(false),
        closed: options.closed,
    });
    let endpoint = Arc::new(options.endpoint.clone());
    let auth = Arc::new(options.auth.clone());
    let connections = options.connections.max(1);
    let queue = if options.closed {
        connections
    } else {
        options.max_outstanding.max(1)
    };
    let (work, jobs) = mpsc::channel::<Job>(queue);
    let jobs = Arc::new(tokio::sync::Mutex::new(jobs));
    let mut workers = Vec::new();
    for _ in 0..connections {
        workers.push(tokio::spawn(worker(
            shared.clone(),
            jobs.clone(),
            endpoint.clone(),
            auth.clone(),
            options.timeout,
        )));
    }
    let mut pollers = Vec::new();
    if options.receipts {
        // One poller per distinct token: with one --token for all, one poller sees them all.
        // The supervised site gets the receipts of the tallies (216) it reports.
        let sellers = traffic.config().enterprises.clamp(1, 10_000);
        let tokens: std::collections::BTreeSet<&str> = (0..sellers)
            .map(super::parcels::dxp_id)
            .chain([super::bills::SITE_DXP.to_string()])
            .filter_map(|dxp| auth.token(&dxp))
            .collect();
        for token in tokens {
            pollers.push(tokio::spawn(poll(
                shared.clone(),
                endpoint.clone(),
                token.to_string(),
                work.clone(),
                options.timeout.max(Duration::from_secs(5)),
            )));
        }
    }
    let ticker = options
        .progress
        .then(|| tokio::spawn(progress(shared.clone(), start)));

    // The generator runs on its own thread, ahead of the schedule.
    let (feed, mut messages) = mpsc::channel::<Outgoing>(4096);
    let generator = tokio::task::spawn_blocking(move || {
        let mut traffic = traffic;
        for o in traffic.by_ref() {
            if feed.blocking_send(o).is_err() {
                break;
            }
        }
        traffic
    });
    while let Some(o) = messages.recv().await {
        if shared.closed {
            shared.in_flight.fetch_add(1, Ordering::SeqCst);
            hand_over(&shared, &work, o).await;
            continue;
        }
        let due = start + o.due;
        tokio::time::sleep_until(due.into()).await;
        let kind = o.kind.label();
        shared.stats.sent(kind, Instant::now());
        shared.tracker().dispatched(&o, due);
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        if let Err(e) = work.try_send(Job { o, due }) {
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
            let (mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job)) = e;
            let dropped = Answer::Error("dropped (over --max-outstanding)".into());
            let now = Instant::now();
            shared
                .stats
                .answer(kind, job.o.faulty, &dropped, Duration::ZERO, now);
            shared.tracker().answered(&job.o, &dropped);
        }
    }
    drop(messages);
    let traffic = generator.await?;

    // Everything answered, then every parcel at its end (or the drain time up).
    let deadline = Instant::now() + options.drain;
    wait_until(deadline, || shared.in_flight.load(Ordering::SeqCst) == 0).await;
    let following = || shared.receipts_ok.load(Ordering::SeqCst);
    if following() {
        wait_until(deadline, || !following() || shared.tracker().settled()).await;
    }
    if options.summaries {
        let at = traffic.business_time(start.elapsed());
        for o in traffic.summaries(at, Duration::ZERO) {
            shared.in_flight.fetch_add(1, Ordering::SeqCst);
            hand_over(&shared, &work, o).await;
        }
        let deadline = Instant::now() + options.drain;
        wait_until(deadline, || shared.in_flight.load(Ordering::SeqCst) == 0).await;
        if following() {
            wait_until(deadline, || {
                !following() || shared.tracker().after_settled()
            })
            .await;
        }
    }
    shared.stop.store(true, Ordering::SeqCst);
    for p in pollers {
        let _ = p.await;
    }
    drop(work);
    for w in workers {
        let _ = w.await;
    }
    if let Some(t) = ticker {
        let _ = t.await;
    }
    let followed = shared.receipts_ok.load(Ordering::SeqCst);
    let note = shared
        .receipts_note
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    Ok(Measured {
        stats: shared.stats.snapshot(),
        outcomes: followed.then(|| shared.tracker().outcomes()),
        receipts_note: note,
    })
}

/// What a folder run wrote.
pub struct Written {
    pub messages: u64,
    pub parcels: u64,
    pub faulty: u64,
    pub seconds: f64,
}

/// Writer threads of `folder`: creating files is most of the work (kernel time), so as many
/// as cores. On 2 cores one writer was bound at ~94,000 files/s; two, three or four did the
/// same (~130,000 messages/s).
pub fn folder_writers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
}

/// Writes the traffic into a folder, as fast as it goes. This thread makes the messages in
/// order (planned and encoded: see `Traffic`) and hands them over in batches (one hand-over
/// per message cost a wake-up each); `writers` threads take the next batch when free and
/// write its files (file names carry the order).
pub fn folder(traffic: Traffic, dir: &std::path::Path, summaries: bool) -> anyhow::Result<Written> {
    const BATCH: usize = 256;
    let started = Instant::now();
    let out = Folder::create(dir)?;
    let writers = folder_writers();
    let (feed, batches) = std::sync::mpsc::sync_channel::<Vec<Outgoing>>(2 * writers);
    let batches = Arc::new(Mutex::new(batches));
    let mut handles = Vec::new();
    for _ in 0..writers {
        let (mut files, batches) = (out.writer(), batches.clone());
        handles.push(std::thread::spawn(move || -> anyhow::Result<()> {
            loop {
                let batch = batches.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok(batch) = batch else { break };
                for o in batch {
                    files.write(o.seq, o.kind, &o.body)?;
                }
            }
            Ok(())
        }));
    }
    let mut traffic = traffic;
    let (mut n, mut last) = (0u64, 0);
    let mut batch = Vec::with_capacity(BATCH);
    // False once the writers are gone (one failed: its error is reported below).
    let mut hand = |o: Outgoing| -> bool {
        n += 1;
        batch.push(o);
        let full = batch.len() >= BATCH;
        !full
            || feed
                .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                .is_ok()
    };
    let mut writing = traffic.by_ref().all(|o| {
        last = o.seq;
        hand(o)
    });
    if writing && summaries {
        // The "month end": a day after the last message, so every list is released by then.
        let end = traffic.last_due();
        let at = traffic.business_time(end) + chrono::Duration::days(1);
        writing = traffic.summaries(at, end).into_iter().all(|mut o| {
            last += 1;
            o.seq = last;
            hand(o)
        });
    }
    if writing && !batch.is_empty() {
        let _ = feed.send(batch);
    }
    drop(feed);
    for h in handles {
        h.join()
            .map_err(|_| anyhow::anyhow!("a writer thread failed"))??;
    }
    Ok(Written {
        messages: n,
        parcels: traffic.parcels(),
        faulty: traffic.faulty(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
