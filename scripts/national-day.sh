#!/usr/bin/env bash
# A national peak day through the single window on virtual time (examples/national_day.rs):
# generated parcels as XML through decode, every rule, the engine with its simulated customs,
# the ledger and every receipt, settling into the on-disk ledger as `serve` does. The pace is
# the national day's (20 M parcels in 24 hours of business time); PARCELS says how much of it
# to play (default 200,000, under a minute; 20000000 for the whole day).
# Output: bench-results/national-day-DATE-TIME/run.txt.
#
#   scripts/national-day.sh [PARCELS] [SEED] [--summaries]
set -euo pipefail
cd "$(dirname "$0")/.."
PARCELS="${1:-200000}"
SEED="${2:-1}"
shift $(( $# > 2 ? 2 : $# ))
cargo build --release --example national_day
OUT="bench-results/national-day-$(date +%Y-%m-%d-%H%M%S)"
mkdir -p "$OUT"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/run.txt"
target/release/examples/national_day --parcels "$PARCELS" --seed "$SEED" "$@" 2>&1 | tee -a "$OUT/run.txt"
echo "output in $OUT/run.txt"
