"""The SVG charts are well-formed, escape their labels and scale to the data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.staff.charts import hbars, stacked_bars

NS = "{http://www.w3.org/2000/svg}"


def test_stacked_bars_heights_follow_the_counts_and_labels_are_escaped() -> None:
    svg = stacked_bars("t<1>", ["2026-11-02", "2026-11-09"], {"高齢": [1, 3], "<b>": [0, 1]})
    root = ET.fromstring(str(svg))
    assert root.find(f"{NS}title").text == "t<1>"
    bars = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    heights = {r.find(f"{NS}title").text: float(r.get("height")) for r in bars}
    assert abs(heights["2026-11-09 高齢: 3"] - 3 * heights["2026-11-02 高齢: 1"]) < 0.5
    assert "<b>" not in str(svg).replace("&lt;b&gt;", "")
    assert "<script" not in str(svg)


def test_hbars_handles_no_data() -> None:
    root = ET.fromstring(str(hbars("x", {})))
    assert "データがありません" in "".join(root.itertext())
    root = ET.fromstring(str(hbars("x", {"a": 2.5, "b": 5}, "時間")))
    widths = [float(r.get("width")) for r in root.iter(f"{NS}rect")]
    assert abs(widths[1] - 2 * widths[0]) < 0.5
