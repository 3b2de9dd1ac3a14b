"""Loads the catalogue from YAML and turns every schema error into a message naming the place.

``services.yaml`` may list sibling files under ``include:``; their top-level keys are merged in
(lists are concatenated), and an error in any of them names that file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.catalogue.model import Catalogue
from bot.errors import CatalogueError

# libyaml's C loader when the wheel has it (it does on PyPI): same safety, ~10x faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LIST_KEYS = ("departments", "services", "meetings", "crisis_lines")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
    except FileNotFoundError:
        raise CatalogueError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CatalogueError(f"{path}:{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: the top level must be a mapping (key: value)")
    # Keys starting with "x-" hold YAML anchors (shared sources) for this file only.
    return {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}


def _describe(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    """Turns ('services', 3, 'sites', 0, 'phones', 1) into 'services[houkatsu].sites[fukushi].phones[0545-…]'.

    A list item is named by its id, else its name, else its (phone) number, else its index.
    """
    parts: list[str] = []
    node: Any = data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            item = node[key]
            label = (item.get("id") or item.get("name") or item.get("number")) if isinstance(item, dict) else None
            suffix = f"[{label or key}]"
            if parts:
                parts[-1] += suffix
            else:
                parts.append(suffix)
            node = item
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


def load_catalogue(path: str | Path) -> Catalogue:
    """Reads, merges and validates the catalogue; raises CatalogueError naming file, entry and field."""
    path = Path(path)
    data = _read_yaml(path)
    origin: dict[tuple[str, int], Path] = {}
    for key in LIST_KEYS:
        for i, _ in enumerate(data.get(key) or ()):
            origin[(key, i)] = path
    for name in data.pop("include", None) or ():
        sub_path = path.parent / name
        sub = _read_yaml(sub_path)
        for key, value in sub.items():
            if key in LIST_KEYS:
                base = list(data.get(key) or ())
                for i, _ in enumerate(value or ()):
                    origin[(key, len(base) + i)] = sub_path
                data[key] = base + list(value or ())
            elif key in data:
                raise CatalogueError(f"{sub_path}: key {key!r} is already defined in {path}")
            else:
                data[key] = value
                origin[(key, -1)] = sub_path
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            file = path
            if loc and isinstance(loc[0], str):
                if len(loc) > 1 and isinstance(loc[1], int):
                    file = origin.get((loc[0], loc[1]), path)
                else:
                    file = origin.get((loc[0], -1), path)
            where = _describe(loc, data) or "(top level)"
            lines.append(f"{file}: {where}: {err['msg']}")
        raise CatalogueError("invalid catalogue:\n  " + "\n  ".join(lines)) from None
