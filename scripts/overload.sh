#!/usr/bin/env bash
# Overload: `single-window serve` against far more concurrent senders than it can answer, to
# show the load shed rather than queued. The driver (examples/serve_load.rs, one thread, a
# minimal HTTP/1.1 client) opens CONNECTIONS keep-alive connections (default 4,000) and runs
# its four phases: the plain-HTTP baseline and durable ingest as fast as the connections go,
# then both at RATE/s (default 60,000: three times the ≈ 20,000/s this 2-core machine stores
# with the driver beside the server). For each: answers/s, latency from when each request was
# due, 200s and 503s; at the end the server's 503s by reason (sw_shed_total) and a check that
# every message the server acknowledged is counted as stored.
#
#   scripts/overload.sh [CONNECTIONS] [RATE] [SECONDS per phase]
set -euo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS="${1:-4000}"
RATE="${2:-60000}"
SECONDS_="${3:-10}"
# One descriptor per connection, on both sides.
ulimit -n "$(( CONNECTIONS * 2 + 1024 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec scripts/bench-serve.sh --connections "$CONNECTIONS" --rate "$RATE" --seconds "$SECONDS_"
