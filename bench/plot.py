"""Draws the load sweep of a bench/load_line.py report as an SVG (no plotting library needed).

    .venv/bin/python bench/plot.py docs/bench/load-postgres.json docs/img/load-sweep-postgres.svg

Left axis (log): webhook response p50 and p99 in ms against the offered rate; right axis: webhook
acks per second and events answered per second. The 100 ms target is a dashed line.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

W, H, L, R, T, B = 640, 360, 70, 70, 40, 50


def main(src: str, dst: str) -> None:
    report = json.loads(Path(src).read_text())
    rows = list(report.get("sweep", []))
    main_run = report.get("serve_at_rate")
    if main_run:
        rows.append({**main_run, "rate": report["args"]["rate"]})
    rows.sort(key=lambda r: r["rate"])
    rates = [r["rate"] for r in rows]
    x_max, x_min = max(rates) * 1.15, min(rates) / 1.3
    lat_min, lat_max = 1.0, max(10_000.0, max(r["p99_ms"] for r in rows) * 1.2)
    thr_max = max(max(max(r["throughput_eps"], r.get("answered_per_s", 0)) for r in rows), 1) * 1.25

    def x(v: float) -> float:
        return L + (W - L - R) * (math.log10(v) - math.log10(x_min)) / (math.log10(x_max) - math.log10(x_min))

    def y_lat(ms: float) -> float:
        frac = (math.log10(max(ms, lat_min)) - math.log10(lat_min)) / (math.log10(lat_max) - math.log10(lat_min))
        return H - B - (H - T - B) * frac

    def y_thr(v: float) -> float:
        return H - B - (H - T - B) * v / thr_max

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">{report.get("database", "").split("+")[0].split(":")[0]} '
           f'load sweep: webhook response and throughput vs offered rate</text>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{W - R}" y1="{T}" x2="{W - R}" y2="{H - B}" stroke="black"/>']
    for ms in (1, 10, 100, 1000, 10000):
        if ms <= lat_max:
            out.append(f'<text x="{L - 6}" y="{y_lat(ms) + 4}" text-anchor="end">{ms}</text>')
            out.append(f'<line x1="{L}" y1="{y_lat(ms)}" x2="{W - R}" y2="{y_lat(ms)}" stroke="#eee"/>')
    out.append(f'<line x1="{L}" y1="{y_lat(100)}" x2="{W - R}" y2="{y_lat(100)}" stroke="red" stroke-dasharray="6 4"/>')
    out.append(f'<text x="{W - R - 4}" y="{y_lat(100) - 4}" text-anchor="end" fill="red">p99 target 100 ms</text>')
    for v in sorted(set(rates)):
        out.append(f'<text x="{x(v)}" y="{H - B + 16}" text-anchor="middle">{v:g}</text>')
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        v = thr_max * frac
        out.append(f'<text x="{W - R + 6}" y="{y_thr(v) + 4}">{v:.0f}</text>')
    out.append(f'<text x="{W / 2}" y="{H - 12}" text-anchor="middle">offered rate, events/s (log)</text>')
    out.append(f'<text x="16" y="{H / 2}" transform="rotate(-90 16 {H / 2})" text-anchor="middle">ms (log)</text>')
    out.append(f'<text x="{W - 14}" y="{H / 2}" transform="rotate(90 {W - 14} {H / 2})" text-anchor="middle">'
               'achieved events/s</text>')
    for key, colour, y in (("p50_ms", "#1f77b4", y_lat), ("p99_ms", "#d62728", y_lat), ("throughput_eps", "#2ca02c", y_thr),
                           ("answered_per_s", "#9467bd", y_thr)):
        if not all(key in r for r in rows):
            continue
        pts = " ".join(f"{x(r['rate']):.1f},{y(r[key]):.1f}" for r in rows)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out += [f'<circle cx="{x(r["rate"]):.1f}" cy="{y(r[key]):.1f}" r="3" fill="{colour}"/>' for r in rows]
    for i, (label, colour) in enumerate((("p50 webhook response", "#1f77b4"), ("p99 webhook response", "#d62728"),
                                         ("webhook acks/s (right)", "#2ca02c"),
                                         ("events answered/s (right)", "#9467bd"))):
        out.append(f'<rect x="{L + 10}" y="{T + 6 + 16 * i}" width="12" height="3" fill="{colour}"/>')
        out.append(f'<text x="{L + 28}" y="{T + 11 + 16 * i}">{label}</text>')
    out.append("</svg>")
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    Path(dst).write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
