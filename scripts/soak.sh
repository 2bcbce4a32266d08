#!/usr/bin/env bash
# A soak of `single-window serve`: drives it with `single-window load` at RATE messages/s for
# MINUTES (open model, parcels followed to 899, 2 % faulty, 2 % returns), samples the
# server every 10 s (resident memory, data folder size, what the engine holds, acknowledgement
# latency, the newest checkpoint's duration and size, from /metrics), then kills it (-9) and
# times the restart to a ready /healthz.
# Writes soak.csv, soak.html (charts, self-contained) and the load reports into
# bench-results/soak-DATE-TIME/.
#
#   scripts/soak.sh [RATE] [MINUTES]        (default: 2000 messages/s for 5 minutes)
#   BIN=target/profiling/single-window scripts/soak.sh ...   (another build, e.g. to profile)
#   CONNECTIONS=256 scripts/soak.sh ...   (the generator's connections; default 64)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE="${1:-2000}"
MINUTES="${2:-5}"
if [ -z "${BIN:-}" ]; then
  cargo build --release --bin single-window
  BIN=target/release/single-window
fi
OUT="bench-results/soak-$(date +%Y-%m-%d-%H%M%S)"
WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$OUT"
"$BIN" load --setup "$WORK" --listen "127.0.0.1:$PORT" --enterprises 50 >/dev/null
RUST_LOG=warn "$BIN" serve --config "$WORK/serve.toml" 2>"$OUT/server.log" &
SERVER=$!
cleanup() {
  kill -TERM "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  [ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
ready() { curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; }
for _ in $(seq 200); do ready && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/machine.txt"
cp "$WORK/serve.toml" "$OUT/serve.toml"
ADMIN="$(awk -F'"' '/^admin_token/ {print $2; exit}' "$WORK/serve.toml")"

# One line every 10 s: seconds, RSS (KiB), data folder (bytes), metrics of interest.
sample() {
  local start=$SECONDS
  echo "t,rss_kib,data_bytes,open_lists,open_orders,timers,log_bytes,checkpoint_age_s,ack_count,ack_sum_s,ack_le_005,ack_le_01,ack_le_02,ack_le_05,checkpoint_s,checkpoint_bytes"
  while kill -0 "$SERVER" 2>/dev/null; do
    local rss data m
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status" 2>/dev/null || echo 0)
    data=$(du -sb "$WORK/data" 2>/dev/null | cut -f1 || echo 0)
    m=$(curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/metrics" || true)
    get() { echo "$m" | awk -v k="$1" '$1 == k {print $2; exit}'; }
    echo "$((SECONDS - start)),$rss,$data,$(get sw_open_lists),$(get sw_open_orders),$(get sw_timers),$(get sw_log_bytes),$(get sw_checkpoint_age_seconds),$(get sw_ack_latency_seconds_count),$(get sw_ack_latency_seconds_sum),$(get 'sw_ack_latency_seconds_bucket{le="0.005"}'),$(get 'sw_ack_latency_seconds_bucket{le="0.01"}'),$(get 'sw_ack_latency_seconds_bucket{le="0.02"}'),$(get 'sw_ack_latency_seconds_bucket{le="0.05"}'),$(get sw_checkpoint_duration_seconds),$(get sw_checkpoint_bytes)"
    sleep 10
  done
}
sample >"$OUT/samples.csv" &
SAMPLER=$!
status=0
"$BIN" load --target "http://127.0.0.1:$PORT/ceb" --tokens "$WORK/serve.toml" --enterprises 50 \
  --connections "${CONNECTIONS:-64}" --rate "$RATE" --duration "$((MINUTES * 60))" --faults 0.02 --returns 0.02 \
  --report "$OUT" --quiet >"$OUT/load.txt" 2>&1 || status=$?
tail -n 20 "$OUT/load.txt"
kill "$SAMPLER" 2>/dev/null || true
# The restart after it: a crash (-9), then the time until /healthz answers.
kill -9 "$SERVER"
wait "$SERVER" 2>/dev/null || true
began=$(date +%s.%N)
RUST_LOG=info "$BIN" serve --config "$WORK/serve.toml" 2>"$OUT/restart.log" &
SERVER=$!
until ready; do sleep 0.02; done
restart=$(python3 -c "import time; print(round(time.time() - $began, 2))")
echo "restart after kill -9: ${restart} s to a ready /healthz" | tee "$OUT/restart.txt"
grep -h "the engine is where it was\|loaded the newest" "$OUT/restart.log" | tail -2 >>"$OUT/restart.txt" || true
python3 scripts/soak_report.py "$OUT" "$RATE" "$MINUTES" "$restart"
echo "soak results in $OUT (open $OUT/soak.html)"
exit $status
