#!/usr/bin/env bash
# The standard end-to-end benchmark: starts `single-window serve` on a fresh store in a
# temporary folder (a generated registry of 50 enterprises, a token per sender, the quick
# customs of `load --setup`), drives it with `single-window load` at RATE messages/s for
# SECONDS (open model, receipts followed to each parcel's 899, 2 % faulty parcels, 2 %
# returns, summaries at the end), and keeps the reports in bench-results/DATE-TIME/.
# Usage: scripts/bench-e2e.sh [RATE] [SECONDS] [extra `single-window load` options...]
set -euo pipefail
cd "$(dirname "$0")/.."
RATE="${1:-1000}"
SECONDS_="${2:-60}"
shift $(( $# > 2 ? 2 : $# ))
cargo build --release --bin single-window
BIN=target/release/single-window
OUT="bench-results/$(date +%Y-%m-%d-%H%M%S)"
WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)"
mkdir -p "$OUT"
"$BIN" load --setup "$WORK" --listen "127.0.0.1:$PORT" --enterprises 50 >/dev/null
RUST_LOG=${RUST_LOG:-warn} "$BIN" serve --config "$WORK/serve.toml" 2>"$OUT/server.log" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$WORK/serve.toml" "$OUT/serve.toml"
status=0
"$BIN" load --target "http://127.0.0.1:$PORT/ceb" --tokens "$WORK/serve.toml" --enterprises 50 \
  --rate "$RATE" --duration "$SECONDS_" --faults 0.02 --returns 0.02 --summaries \
  --report "$OUT" "$@" || status=$?
echo "reports in $OUT (open $OUT/report.html in a browser)"
exit $status
