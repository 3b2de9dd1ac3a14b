"""Server-side SVG charts: plain markup, no script, readable without JavaScript and printable.

Each chart carries a <title> and a table twin on the page, so screen readers and the .json
twin get the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from markupsafe import Markup

# Okabe–Ito palette: tells colours apart for colour-blind readers too.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if v <= step * 5:
            return step * 5 if v > step * 4 else step * (int(v // step) + 1)
    return v


def stacked_bars(title: str, labels: Sequence[str], series: Mapping[str, Sequence[int]],
                 width: int = 640, height: int = 260) -> Markup:
    """Bars per label (e.g. week), stacked by series (field or desk), with a legend."""
    pad_l, pad_b, pad_t = 36, 40, 24
    legend_h = 18 * ((len(series) + 2) // 3)
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    totals = [sum(vals[i] for vals in series.values()) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    top += top % 2                              # counts: an even top keeps the middle tick whole
    bw = plot_w / max(len(labels), 1)
    out = [f'<svg class="chart" viewBox="0 0 {width} {height + legend_h}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for frac in (0, 0.5, 1):
        y = pad_t + plot_h * (1 - frac)
        out.append(f'<line x1="{pad_l}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="#ccc"/>'
                   f'<text x="{pad_l - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{top * frac:g}</text>')
    for i, label in enumerate(labels):
        y = pad_t + plot_h
        for k, (name, vals) in enumerate(series.items()):
            v = vals[i]
            if not v:
                continue
            h = plot_h * v / top
            y -= h
            out.append(f'<rect x="{pad_l + i * bw + 2:.1f}" y="{y:.1f}" width="{max(bw - 4, 1):.1f}" '
                       f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(label)} '
                       f'{escape(name)}: {v}</title></rect>')
        if i % max(1, len(labels) // 6) == 0:
            out.append(f'<text x="{pad_l + i * bw + bw / 2:.1f}" y="{pad_t + plot_h + 16}" font-size="11" '
                       f'text-anchor="middle">{escape(label[5:])}</text>')
    for k, name in enumerate(series):
        x, y = pad_l + (k % 3) * (plot_w / 3), height + 18 * (k // 3)
        out.append(f'<rect x="{x:.1f}" y="{y - 10}" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>'
                   f'<text x="{x + 16:.1f}" y="{y}" font-size="12">{escape(name)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def hbars(title: str, values: Mapping[str, float], unit: str = "", width: int = 640) -> Markup:
    """One horizontal bar per item (outcomes, hours to first contact per desk)."""
    row, pad_l = 24, 200
    height = max(row * len(values), row) + 8
    top = _nice_max(max(values.values(), default=0))
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg">'
           f'<title>{escape(title)}</title>']
    for i, (name, v) in enumerate(values.items()):
        y = 4 + i * row
        w = (width - pad_l - 60) * v / top
        out.append(f'<text x="{pad_l - 6}" y="{y + 15}" font-size="12" text-anchor="end">{escape(name)}</text>'
                   f'<rect x="{pad_l}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                   f'fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{pad_l + w + 4:.1f}" y="{y + 15}" font-size="12">{v:g}{escape(unit)}</text>')
    if not values:
        out.append(f'<text x="10" y="18" font-size="12">{escape("データがありません")}</text>')
    out.append("</svg>")
    return Markup("".join(out))
