"""Loads the router's language data (bot/routing/data/*.yaml). Called from build_router, never at import."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load(name: str) -> Any:
    """Returns the parsed YAML file ``bot/routing/data/<name>.yaml`` (read once per process)."""
    text = resources.files("bot.routing").joinpath("data", f"{name}.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)     # libyaml when built in: 10× faster
    return yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)
