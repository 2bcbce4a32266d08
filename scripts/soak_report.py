#!/usr/bin/env python3
"""Turns a soak's samples (scripts/soak.sh) into soak.csv and soak.html.

Every 10 s: resident memory, data folder size, what the engine holds, the acknowledgement
latency of the window (p99 estimated from the /metrics histogram buckets between two
samples) and the end-to-end latency of the window (from load's per-second timeline).
The HTML page is self-contained: inline SVG, no script, no internet.

    scripts/soak_report.py DIR RATE MINUTES RESTART_SECONDS
"""
import csv
import json
import sys
from pathlib import Path

BUCKETS = [0.005, 0.01, 0.02, 0.05]


def number(text, default=0.0):
    try:
        return float(text)
    except (TypeError, ValueError):
        return default


def ack_p99(prev, row):
    """The smallest bucket bound holding 99 % of the acknowledgements between two samples."""
    total = number(row["ack_count"]) - number(prev["ack_count"])
    if total <= 0:
        return None
    for le, col in zip(BUCKETS, ["ack_le_005", "ack_le_01", "ack_le_02", "ack_le_05"]):
        if number(row[col]) - number(prev[col]) >= 0.99 * total:
            return le * 1000
    return 100.0  # over 50 ms: the next bucket's bound


def main():
    out = Path(sys.argv[1])
    rate, minutes, restart = sys.argv[2], sys.argv[3], sys.argv[4]
    samples = list(csv.DictReader(open(out / "samples.csv")))
    report = json.loads((out / "report.json").read_text())
    ticks = report.get("stats", {}).get("timeline", [])
    rows = []
    for prev, row in zip(samples, samples[1:]):
        t = int(number(row["t"]))
        window = [x for x in ticks if t - 10 < x.get("t", -1) <= t]
        e2e = max((x.get("e2e_p99", 0.0) for x in window), default=None)
        answered = sum(x.get("answered", 0) for x in window)
        rows.append(
            {
                "t_s": t,
                "rss_mib": round(number(row["rss_kib"]) / 1024, 1),
                "data_mib": round(number(row["data_bytes"]) / 2**20, 1),
                "open_lists": int(number(row["open_lists"])),
                "open_orders": int(number(row["open_orders"])),
                "timers": int(number(row["timers"])),
                "log_mib": round(number(row["log_bytes"]) / 2**20, 1),
                "checkpoint_age_s": number(row["checkpoint_age_s"], -1),
                "checkpoint_s": number(row.get("checkpoint_s"), -1),
                "checkpoint_mib": round(number(row.get("checkpoint_bytes")) / 2**20, 1),
                "answered_per_s": round(answered / 10, 1) if window else "",
                "ack_p99_ms_at_most": ack_p99(prev, row) or "",
                "e2e_p99_ms": round(e2e, 1) if e2e is not None else "",
            }
        )
    if not rows:
        print("no samples", file=sys.stderr)
        return
    with open(out / "soak.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    after5 = [r["rss_mib"] for r in rows if r["t_s"] >= 300] or [r["rss_mib"] for r in rows]
    mean = sum(after5) / len(after5)
    spread = max(abs(x - mean) / mean for x in after5) * 100 if mean else 0.0
    charts = "".join(
        chart(rows, key, title)
        for key, title in [
            ("rss_mib", "resident memory (MiB)"),
            ("data_mib", "data folder (MiB)"),
            ("open_lists", "lists the engine holds"),
            ("checkpoint_s", "the newest checkpoint's encoding and writing (s)"),
            ("answered_per_s", "answered messages per second"),
            ("ack_p99_ms_at_most", "acknowledgement p99 (ms, bucket bound)"),
            ("e2e_p99_ms", "end to end p99, order due to 899 pulled (ms)"),
        ]
    )
    machine = (out / "machine.txt").read_text().strip() if (out / "machine.txt").exists() else ""
    html = f"""<!doctype html><html><head><meta charset="utf-8"><title>soak</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}svg{{background:#fafafa;margin:.5em 0}}</style>
</head><body><h1>Soak: {rate} messages/s for {minutes} min</h1>
<p>{machine}</p>
<p>Resident memory after the first 5 minutes: mean {mean:.0f} MiB, every sample within
{spread:.1f} % of it. Restart after kill -9: {restart} s to a ready /healthz.</p>
{charts}<p>Data: soak.csv (one row each 10 s).</p></body></html>"""
    (out / "soak.html").write_text(html)
    print(f"RSS after 5 min: mean {mean:.0f} MiB, within ±{spread:.1f} %; restart {restart} s")


def chart(rows, key, title, width=720, height=160):
    points = [(r["t_s"], r[key]) for r in rows if r[key] != ""]
    if not points:
        return ""
    xs = [p[0] for p in points]
    ys = [float(p[1]) for p in points]
    x0, x1 = min(xs), max(xs) or 1
    top = max(ys) * 1.1 or 1
    sx = lambda x: 40 + (x - x0) / ((x1 - x0) or 1) * (width - 50)
    sy = lambda y: height - 20 - y / top * (height - 30)
    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys))
    return (
        f'<h3>{title}</h3><svg width="{width}" height="{height}" role="img" aria-label="{title}">'
        f'<polyline fill="none" stroke="#2060c0" stroke-width="1.5" points="{path}"/>'
        f'<text x="2" y="14" font-size="11">{top:.0f}</text>'
        f'<text x="2" y="{height - 22}" font-size="11">0</text>'
        f'<text x="{width - 60}" y="{height - 4}" font-size="11">{x1} s</text></svg>'
    )


if __name__ == "__main__":
    main()
