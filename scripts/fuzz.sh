#!/usr/bin/env bash
# Fuzzes `check_bytes` (fuzz/fuzz_targets/check_bytes.rs) with libFuzzer for MINUTES (default
# 5), starting from the seed messages. New inputs go to fuzz/corpus/check_bytes, crashes,
# hangs (over 10 s) and inputs taking over 2 GiB to fuzz/artifacts/check_bytes; replay one with
# `cargo fuzz run check_bytes FILE` in the same toolchain.
#
# Needs cargo-fuzz (installed when missing). libFuzzer needs nightly's flags: nightly is used
# when installed, else stable with RUSTC_BOOTSTRAP=1 and no sanitizer (the code is safe Rust;
# the sanitizer runtime ships with nightly only).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-5}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
corpus=fuzz/corpus/check_bytes
mkdir -p "$corpus"
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  run=(cargo +nightly fuzz run)
else
  export RUSTC_BOOTSTRAP=1
  run=(cargo fuzz run --sanitizer none)
fi
# The first folder receives what the fuzzer finds; the seed folders are only read.
"${run[@]}" check_bytes "$corpus" seeds/messages/valid seeds/messages/invalid -- \
  -max_total_time=$((minutes * 60)) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
