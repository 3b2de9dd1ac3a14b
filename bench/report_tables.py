"""Prints the Markdown tables of docs/performance.md from the JSON reports of bench/load_line.py.

    .venv/bin/python bench/report_tables.py docs/bench/load-sqlite.json docs/bench/load-postgres.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def n(v: float) -> str:
    return f"{v:,.0f}".replace(",", " ") if v >= 1000 else (f"{v:.1f}" if v < 100 else f"{v:.0f}")


def main(sqlite_path: str, pg_path: str) -> None:
    reports = [json.loads(Path(p).read_text()) for p in (sqlite_path, pg_path)]
    print("| conditions | SQLite run | PostgreSQL run |\n| --- | --- | --- |")
    c = [r["conditions"] for r in reports]
    print(f"| started (UTC) | {c[0]['utc']} | {c[1]['utc']} |")
    print(f"| load average 1 min / 5 min before | {c[0]['loadavg_1m_before']} / {c[0]['loadavg_5m_before']} "
          f"| {c[1]['loadavg_1m_before']} / {c[1]['loadavg_5m_before']} |")
    print(f"| code | {c[0].get('git_head', '?')} + {len(c[0].get('uncommitted_in_bot', []))} uncommitted files in bot/ "
          f"| {c[1].get('git_head', '?')} + {len(c[1].get('uncommitted_in_bot', []))} uncommitted files in bot/ |")
    print()
    print("| offered /s | SQLite acks/s | p50 ms | p99 ms | answered/s | answered once / sent "
          "| PostgreSQL acks/s | p50 ms | p99 ms | answered/s | answered once / sent |")
    print("| ---: " * 11 + "|")
    rows: dict[float, list[dict[str, Any]]] = {}
    for r in reports:
        for s in r.get("sweep", []):
            rows.setdefault(s["rate"], []).append(s)
    for rate, pair in sorted(rows.items()):
        cells = [f"{rate:g}"]
        for s in pair:
            p99 = n(s["p99_ms"])
            cells += [n(s["throughput_eps"]), n(s["p50_ms"]), f"**{p99}**" if s["p99_ms"] <= 100 else p99,
                      n(s["answered_per_s"]), f"{s['answered_exactly_once']} / {s['events']}"]
        print("| " + " | ".join(cells) + " |")
    print()
    a, b = reports
    ra, rb = a["serve_at_rate"], b["serve_at_rate"]
    da, db = a["delivery"], b["delivery"]
    print("| | SQLite | PostgreSQL |\n| --- | --- | --- |")
    print(f"| sent within the time bound (1.5 × duration) | {ra['sent']} ({ra['unsent_at_time_bound']} left unsent) "
          f"| {rb['sent']} ({rb['unsent_at_time_bound']} left unsent) |")
    print(f"| webhook answers 200 | {ra['ok']} {ra['errors'] or ''} | {rb['ok']} {rb['errors'] or ''} |")
    print(f"| acks/s | {ra['throughput_eps']} | {rb['throughput_eps']} |")
    print(f"| webhook p50 / p99 / max | {ra['p50_ms']:.0f} / {ra['p99_ms']:.0f} / {ra['max_ms']:.0f} ms "
          f"| {rb['p50_ms']:.0f} / {rb['p99_ms']:.0f} / {rb['max_ms']:.0f} ms |")
    print(f"| answered exactly once within {a['args']['drain_seconds']:g} s after the run "
          f"| {da['answered_exactly_once']} of {da['events']} | {db['answered_exactly_once']} of {db['events']} |")
    print(f"| answered twice / pushes | **{da['answered_more_than_once']}** / {da['pushes']} "
          f"| **{db['answered_more_than_once']}** / {db['pushes']} |")
    print(f"| still unanswered at the drain deadline | {da['lost']} | {db['lost']} |")
    print(f"| serve CPU during the run | {a['serve_cpu_s_during_rate_run']} s in {ra['wall_s']:.0f} s "
          f"| {b['serve_cpu_s_during_rate_run']} s in {rb['wall_s']:.0f} s |")
    bs_a, bs_b = a["bare_saturated"], b["bare_saturated"]
    print(f"| bare aiohttp saturated (same run) | {bs_a['throughput_eps']:.0f} /s, p99 {bs_a['p99_ms']:.0f} ms "
          f"| {bs_b['throughput_eps']:.0f} /s, p99 {bs_b['p99_ms']:.0f} ms |")
    ss_a, ss_b = a["serve_saturated"], b["serve_saturated"]
    print(f"| bot saturated (acks) / ratio to bare | {ss_a['throughput_eps']:.0f} /s / **{a['ratio_serve_to_bare']}** "
          f"| {ss_b['throughput_eps']:.0f} /s / **{b['ratio_serve_to_bare']}** |")
    print(f"| start-up to /readyz; RSS idle → after the run | {a['startup_s']} s; {a['rss_mb_idle']} → {a['rss_mb_after_load']} MB "
          f"| {b['startup_s']} s; {b['rss_mb_idle']} → {b['rss_mb_after_load']} MB |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
