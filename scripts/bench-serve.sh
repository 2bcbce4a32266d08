#!/usr/bin/env bash
# Measures `single-window serve`: durable ingest throughput and acknowledgement latency, with a
# plain-HTTP baseline (POST /baseline: body read, nothing stored) in the same run.
# Usage: scripts/bench-serve.sh [--seconds S] [--connections C] [--rate R]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin single-window --example serve_load
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
target/release/examples/serve_load target/release/single-window "$@"
