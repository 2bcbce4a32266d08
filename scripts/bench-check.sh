#!/usr/bin/env bash
# `check` against libxml2 on the same files in the same run: LISTS single-list files (default
# 20,000) from `load`'s generator, checked by the whole `single-window check` process (both
# output modes, with the registry the traffic was made for) and by xmllint's parse + XSD
# validation against our schema of the list. Each is run RUNS times (default 5); the medians
# and the ratios are printed and kept in bench-results/check-DATE-TIME/run.txt.
#
#   scripts/bench-check.sh [LISTS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
LISTS="${1:-20000}"
RUNS="${2:-5}"
command -v xmllint >/dev/null || { echo "xmllint is needed (apt-get install libxml2-utils)" >&2; exit 2; }
cargo build --release
BIN=target/release/single-window
OUT="bench-results/check-$(date +%Y-%m-%d-%H%M%S)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$WORK/lists"
# A list is about one message in four of the traffic; its orders and waybills are left out,
# as in the issue's measurement, so customs sends each list back after its waiting window.
"$BIN" load --target "$WORK/traffic" --parcels $((LISTS * 2)) --duration 100000 --faults 0 --quiet >/dev/null
find "$WORK/traffic" -name '*.CEB603.xml' | sort >"$WORK/all-lists"
head -n "$LISTS" "$WORK/all-lists" | xargs mv -t "$WORK/lists"
"$BIN" schemas "$WORK/schemas" >/dev/null
N=$(find "$WORK/lists" -name '*.xml' | wc -l)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/run.txt"
echo "$N single-list files, $(du -sh "$WORK/lists" | cut -f1), $RUNS runs each (page cache warm)" | tee -a "$OUT/run.txt"

# Median wall-clock seconds of RUNS runs of the command given.
median() {
  local times=()
  for _ in $(seq "$RUNS"); do
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc)")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

REG="$WORK/traffic/registry.toml"
cat "$WORK"/lists/*.xml >/dev/null  # warm the page cache
XMLLINT=$(median sh -c "find '$WORK/lists' -name '*.xml' -print0 | xargs -0 xmllint --noout --schema '$WORK/schemas/CEB603Message.xsd'")
HUMAN=$(median "$BIN" check --registry "$REG" "$WORK/lists")
JSON=$(median "$BIN" check --json --registry "$REG" "$WORK/lists")
{
  printf '%-34s %8s s  %9.0f files/s\n' "xmllint parse + XSD (baseline)" "$XMLLINT" "$(echo "$N / $XMLLINT" | bc -l)"
  printf '%-34s %8s s  %9.0f files/s  %.2f× xmllint\n' "single-window check" "$HUMAN" "$(echo "$N / $HUMAN" | bc -l)" "$(echo "$XMLLINT / $HUMAN" | bc -l)"
  printf '%-34s %8s s  %9.0f files/s  %.2f× xmllint\n' "single-window check --json" "$JSON" "$(echo "$N / $JSON" | bc -l)" "$(echo "$XMLLINT / $JSON" | bc -l)"
} | tee -a "$OUT/run.txt"
/usr/bin/time -f "peak RSS of check: %M KB" "$BIN" check --registry "$REG" "$WORK/lists" 2>&1 >/dev/null | tail -1 | tee -a "$OUT/run.txt"
echo "output in $OUT/run.txt"
