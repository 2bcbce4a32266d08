//! A long validation loop over the bench corpus, for profilers
//! (`cargo build --profile profiling --example profile_validate`).

use single_window::ceb;
use single_window::load::parcels::{corpus, registry};
use single_window::rules::{Context, Params, check_message};

fn main() {
    let messages = corpus(2025, 2000, 500);
    let reg = registry(500);
    let params = Params::default();
    let ctx = Context {
        registry: &reg,
        params: &params,
        related: None,
    };
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let started = std::time::Instant::now();
    let mut findings = 0;
    for _ in 0..rounds {
        for m in &messages {
            if let Ok(p) = ceb::prepare(m.as_bytes()) {
                let d = ceb::decode_str(&p.text);
                if let Some(message) = &d.message {
                    let f = check_message(message, &d.diagnostics, &ctx);
                    findings += f.envelope.len() + f.documents.iter().map(Vec::len).sum::<usize>();
                }
            }
        }
    }
    let n = (rounds * messages.len()) as f64;
    println!(
        "{:.0} messages/s decoded and validated, {findings} findings",
        n / started.elapsed().as_secs_f64()
    );
}
