"""Small synthetic catalogues for lint and public-rendering tests (plain dicts → Catalogue)."""

from __future__ import annotations

import copy
from typing import Any

from bot.catalogue.model import CRISIS_KINDS, Catalogue


def prov(confidence: str = "verified", published: str | None = "2026-06-01", source: str = "https://example.jp/a") -> dict[str, Any]:
    p: dict[str, Any] = {"source": source, "checked": "2026-11-27", "confidence": confidence}
    if published is not None:
        p["published"] = published
    return p


def phone(number: str, confidence: str = "verified", **kw: Any) -> dict[str, Any]:
    return {"number": number, "provenance": prov(confidence, **kw)}


def always(confidence: str = "verified") -> dict[str, Any]:
    return {"text": "24時間", "always_open": True, "provenance": prov(confidence)}


def base() -> dict[str, Any]:
    """A clean catalogue: lint finds nothing in it (router check off)."""
    return {
        "meta": {"welfare_contact": "desk", "general_contact": "hall"},
        "departments": [
            {"id": "desk", "name": "福祉の窓口", "phones": [phone("0545-00-0001")]},
            {"id": "hall", "name": "市役所", "phones": [phone("0545-00-0000")]},
            {"id": "quiet", "name": "電話のない課"},
        ],
        "services": [
            {"id": "kaigo", "name": "介護の相談", "description": "介護の相談です。", "department": "desk",
             "sites": [{"id": "kaigo_site", "name": "介護センター", "phones": [phone("0545-00-0002")]}]},
        ],
        "crisis_lines": [
            {"id": f"line_{k}", "name": f"{k} line", "kinds": [k], "phones": [phone("0120-000-000")],
             "hours": always()} for k in CRISIS_KINDS
        ],
    }


def build(data: dict[str, Any]) -> Catalogue:
    return Catalogue.model_validate(copy.deepcopy(data))
