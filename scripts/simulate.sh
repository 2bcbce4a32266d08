#!/usr/bin/env bash
# Runs the seeded simulation of the server's core (tests/simulation.rs) over many seeds:
# random traffic, failed fsyncs, a full disk and crashes that tear unsynced writes, each
# followed by a restart from the newest good checkpoint; every promise checked after each.
#
#   scripts/simulate.sh [SEEDS] [FIRST_SEED]     (default: 200 seeds from 1)
#
# A failing seed is printed ("simulating seed N" before the failure) and replays exactly:
#   SW_SIM_SEEDS=1 SW_SIM_FIRST_SEED=N cargo test --release --test simulation
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-200}"
first="${2:-1}"
SW_SIM_SEEDS="$seeds" SW_SIM_FIRST_SEED="$first" \
  cargo test --release --test simulation -- --nocapture 2>&1 | grep -E "simulating seed|panicked|test result"
