//! Load shedding: new work is refused with 503 + `Retry-After` before it can queue.
//!
//! Four bounds, each counted in `/metrics` (`sw_shed_total{reason}`):
//! - connections: past `max_connections` the listener stops accepting (the kernel's backlog
//!   holds the rest, as a busy server's would);
//! - requests in flight (read, checked, being stored): past `max_in_flight`;
//! - bytes of request bodies in flight, counted as they are read: past `max_in_flight_mb`;
//! - latency: the runtime's scheduling lag (how late a 10 ms timer fires: every request waits
//!   that long for a worker) and the smoothed time to acknowledge. From half the
//!   `latency_budget_ms` on, a growing share of new messages is refused, all but one in
//!   twenty at the budget, so the messages taken are answered within about the budget
//!   however much more is offered.

use axum::serve::Listener;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The bounds (from the configuration).
#[derive(Debug, Clone)]
pub struct Bounds {
    pub max_connections: usize,
    pub max_in_flight: usize,
    pub max_in_flight_bytes: usize,
    pub latency_budget: Duration,
}

/// Why a request was shed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shed {
    InFlight,
    Bytes,
    Latency,
}

impl Shed {
    pub const ALL: [Shed; 3] = [Shed::InFlight, Shed::Bytes, Shed::Latency];

    pub fn name(self) -> &'static str {
        match self {
            Shed::InFlight => "in_flight",
            Shed::Bytes => "bytes",
            Shed::Latency => "latency",
        }
    }

    /// What the client is told (503).
    pub fn problem(self) -> super::problem::Problem {
        let (zh, en) = match self {
            Shed::InFlight => (
                "处理中的请求过多，请稍后重试",
                "too many requests in flight: retry shortly",
            ),
            Shed::Bytes => (
                "处理中的请求字节过多，请稍后重试",
                "too many request bytes in flight: retry shortly",
            ),
            Shed::Latency => (
                "单一窗口超出其延迟预算，请稍后重试",
                "the single window is over its latency budget: retry shortly",
            ),
        };
        super::problem::Problem::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "shed", zh, en)
    }
}

/// What is in flight now, and how late the runtime is.
pub struct Admission {
    bounds: Bounds,
    requests: AtomicUsize,
    bytes: AtomicUsize,
    /// Smoothed scheduling lag and acknowledgement time (µs).
    lag_micros: AtomicU64,
    ack_micros: AtomicU64,
    /// Counts latency decisions, so a share of them can be refused without randomness.
    decisions: AtomicU64,
    shed: [AtomicU64; 3],
    connections: Arc<Semaphore>,
    /// Connections open now.
    open: Arc<AtomicUsize>,
}

impl Admission {
    pub fn new(bounds: Bounds) -> Admission {
        Admission {
            connections: Arc::new(Semaphore::new(bounds.max_connections.max(1))),
            bounds,
            requests: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
            lag_micros: AtomicU64::new(0),
            ack_micros: AtomicU64::new(0),
            decisions: AtomicU64::new(0),
            shed: Default::default(),
            open: Arc::default(),
        }
    }

    /// A request starts: refused when too many are in flight.
    pub fn enter(&self) -> Result<Ticket<'_>, Shed> {
        let before = self.requests.fetch_add(1, Ordering::Relaxed);
        let ticket = Ticket {
            admission: self,
            bytes: 0,
        };
        if before >= self.bounds.max_in_flight {
            return Err(self.count(Shed::InFlight));
        }
        Ok(ticket)
    }

    /// A new message may be checked now, or is refused because answers are late.
    pub fn on_time(&self) -> Result<(), Shed> {
        let budget = self.bounds.latency_budget.as_micros() as u64;
        let pressure = self.pressure_micros();
        let half = budget / 2;
        if budget == 0 || pressure <= half {
            return Ok(());
        }
        // Refused share in twentieths: 0 at half the budget, 19 at the budget and beyond.
        let share = ((pressure - half) * 19 / half.max(1)).min(19);
        if self.decisions.fetch_add(1, Ordering::Relaxed) % 20 < share {
            return Err(self.count(Shed::Latency));
        }
        Ok(())
    }

    /// The larger of the smoothed lag and acknowledgement time (µs).
    pub fn pressure_micros(&self) -> u64 {
        self.lag_micros
            .load(Ordering::Relaxed)
            .max(self.ack_micros.load(Ordering::Relaxed))
    }

    pub fn lag_micros(&self) -> u64 {
        self.lag_micros.load(Ordering::Relaxed)
    }

    /// A message was acknowledged after `took`.
    pub fn acknowledged(&self, took: Duration) {
        smooth(&self.ack_micros, took.as_micros() as u64, 64);
    }

    /// Requests and body bytes in flight, and connections open.
    pub fn in_flight(&self) -> (usize, usize, usize) {
        (
            self.requests.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
            self.open.load(Ordering::Relaxed),
        )
    }

    /// Requests shed so far, by reason.
    pub fn shed(&self) -> impl Iterator<Item = (Shed, u64)> + '_ {
        Shed::ALL
            .into_iter()
            .zip(&self.shed)
            .map(|(s, n)| (s, n.load(Ordering::Relaxed)))
    }

    fn count(&self, shed: Shed) -> Shed {
        self.shed[shed as usize].fetch_add(1, Ordering::Relaxed);
        shed
    }

    /// Measures the runtime's scheduling lag until `stop` turns true: a timer due in 10 ms
    /// fires late by as long as ready tasks wait for a worker.
    pub async fn watch_lag(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        const TICK: Duration = Duration::from_millis(10);
        while !*stop.borrow() {
            let started = Instant::now();
            tokio::select! {
                () = tokio::time::sleep(TICK) => {},
                _ = stop.changed() => return,
            }
            let late = started.elapsed().saturating_sub(TICK);
            smooth(&self.lag_micros, late.as_micros() as u64, 4);
            // With nothing acknowledged for a while, an old slow figure must not shed for ever.
            smooth(&self.ack_micros, 0, 256);
        }
    }

    /// The listener, stopping to accept while `max_connections` are open.
    pub fn listener(&self, listener: TcpListener) -> Bounded {
        Bounded {
            listener,
            permits: self.connections.clone(),
            open: self.open.clone(),
        }
    }
}

/// Moves `slot` a `1/weight` of the way to `sample`.
fn smooth(slot: &AtomicU64, sample: u64, weight: u64) {
    let old = slot.load(Ordering::Relaxed);
    let new = (old * (weight - 1) + sample) / weight;
    slot.store(new, Ordering::Relaxed);
}

/// One request in flight; its count and bytes are given back when it ends.
pub struct Ticket<'a> {
    admission: &'a Admission,
    bytes: usize,
}

impl Ticket<'_> {
    /// `n` more bytes of this request's body have been read: refused past the bound.
    pub fn grow(&mut self, n: usize) -> Result<(), Shed> {
        let a = self.admission;
        let before = a.bytes.fetch_add(n, Ordering::Relaxed);
        self.bytes += n;
        if before + n > a.bounds.max_in_flight_bytes {
            return Err(a.count(Shed::Bytes));
        }
        Ok(())
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.admission.requests.fetch_sub(1, Ordering::Relaxed);
        self.admission
            .bytes
            .fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// A TCP listener that holds one permit per open connection.
pub struct Bounded {
    listener: TcpListener,
    permits: Arc<Semaphore>,
    open: Arc<AtomicUsize>,
}

impl Listener for Bounded {
    type Io = Connection;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Connection, std::net::SocketAddr) {
        loop {
            // Never closed, so acquiring fails only if it were; then accept unbounded.
            let permit = self.permits.clone().acquire_owned().await.ok();
            match self.listener.accept().await {
                Ok((stream, addr)) => {
                    // Answers go out at once: with Nagle's algorithm a small write that
                    // follows another can wait for the client's delayed acknowledgement (up
                    // to 40 ms), a stall in the p99.
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!(error = %e, "could not set TCP_NODELAY");
                    }
                    self.open.fetch_add(1, Ordering::Relaxed);
                    return (
                        Connection {
                            stream,
                            _permit: permit,
                            open: self.open.clone(),
                        },
                        addr,
                    );
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }
}

/// An accepted connection and its permit.
pub struct Connection {
    stream: TcpStream,
    _permit: Option<OwnedSemaphorePermit>,
    open: Arc<AtomicUsize>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// The sender a message names (`BaseTransfer/dxpId`, or a `DxpMsg`'s `SenderId`) when it is
/// not `caller`, found by a scan of the bytes before any parsing: a message for another
/// enterprise is refused for the price of a search. `None` when every one found is the
/// caller's or none is found (the full check decides then).
pub fn foreign_sender<'a>(bytes: &'a [u8], caller: &str) -> Option<&'a str> {
    ["dxpId", "SenderId"]
        .into_iter()
        .filter_map(|name| element_text(bytes, name))
        .find(|found| *found != caller)
}

/// The text of the first element named `name` (any namespace prefix), if plain ASCII.
fn element_text<'a>(bytes: &'a [u8], name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&bytes[from..], name.as_bytes()) {
        let start = from + at;
        let end = start + name.len();
        from = end;
        // An opening tag: `<name>` or `<prefix:name>`.
        if bytes.get(end) != Some(&b'>') {
            continue;
        }
        let before = &bytes[..start];
        let opening = match before.last() {
            Some(b'<') => true,
            Some(b':') => {
                let prefix = before.iter().rposition(|b| {
                    !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
                });
                prefix.is_some_and(|p| before[p] == b'<')
            }
            _ => false,
        };
        if !opening {
            continue;
        }
        let rest = &bytes[end + 1..];
        let len = memchr::memchr(b'<', rest)?;
        let text = std::str::from_utf8(&rest[..len]).ok()?.trim();
        return text.is_ascii().then_some(text);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_for_another_dxp_id_is_found_without_parsing() {
        let own =
            b"<a><ceb:BaseTransfer><ceb:dxpId>DXPENT0000031415</ceb:dxpId></ceb:BaseTransfer></a>";
        assert_eq!(foreign_sender(own, "DXPENT0000031415"), None);
        assert_eq!(
            foreign_sender(own, "DXPENT0000027183"),
            Some("DXPENT0000031415")
        );
        let wrapped = b"<DxpMsg><SenderId>DXPENT0000027183</SenderId><x><dxpId>DXPENT0000031415</dxpId></x></DxpMsg>";
        assert_eq!(
            foreign_sender(wrapped, "DXPENT0000031415"),
            Some("DXPENT0000027183")
        );
        // Closing tags and longer names are not openings.
        assert_eq!(foreign_sender(b"</dxpId><mydxpId>X</mydxpId>", "Y"), None);
        assert_eq!(foreign_sender(b"no tags at all", "Y"), None);
    }

    #[test]
    fn late_answers_shed_a_growing_share_and_never_all() {
        let a = Admission::new(Bounds {
            max_connections: 10,
            max_in_flight: 2,
            max_in_flight_bytes: 100,
            latency_budget: Duration::from_millis(100),
        });
        let refused = |a: &Admission| (0..100).filter(|_| a.on_time().is_err()).count();
        assert_eq!(refused(&a), 0);
        a.ack_micros.store(75_000, Ordering::Relaxed);
        let some = refused(&a);
        assert!((40..=55).contains(&some), "{some}");
        a.ack_micros.store(1_000_000, Ordering::Relaxed);
        assert_eq!(refused(&a), 95);
        let counted: u64 = a.shed().map(|(_, n)| n).sum();
        assert_eq!(counted as usize, some + 95);
    }

    #[test]
    fn requests_and_bytes_in_flight_are_bounded_and_given_back() {
        let a = Admission::new(Bounds {
            max_connections: 10,
            max_in_flight: 2,
            max_in_flight_bytes: 100,
            latency_budget: Duration::ZERO,
        });
        let mut first = a.enter().expect("first");
        let _second = a.enter().expect("second");
        assert_eq!(a.enter().err(), Some(Shed::InFlight));
        assert!(first.grow(60).is_ok());
        assert_eq!(first.grow(60), Err(Shed::Bytes));
        drop(first);
        assert_eq!(a.in_flight(), (1, 0, 0));
        assert!(a.enter().is_ok());
    }
}
