"""Small helpers the handlers share: text normalisation and choice matching."""

from __future__ import annotations

import re
import unicodedata

from bot.core.messages import Choice, Inbound

_PUNCT = re.compile(r"[\s。、．，,.!！?？「」『』（）()・〜~ー－―…]+")
LABEL_MAX = 20


def norm(text: str | None) -> str:
    """NFKC, lower case, without spaces and punctuation: 「 同意 する。」 → 「同意する」."""
    if not text:
        return ""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text)).lower()


def is_word(inbound: Inbound, words: frozenset[str]) -> bool:
    return inbound.payload is None and bool(inbound.text) and norm(inbound.text) in {norm(w) for w in words}


def short(label: str, limit: int = LABEL_MAX) -> str:
    """A button label that fits LINE's 20 characters."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def picked(inbound: Inbound, choices: tuple[Choice, ...]) -> str | None:
    """The payload of the choice tapped, or typed by its label (or its number)."""
    if inbound.payload is not None:
        return inbound.payload if any(c.payload == inbound.payload for c in choices) else None
    typed = norm(inbound.text)
    if not typed:
        return None
    for c in choices:
        if norm(c.label) == typed:
            return c.payload
    return None
