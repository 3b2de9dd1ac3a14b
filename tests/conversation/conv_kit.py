"""A testbot for the whole conversation (errbot style): the real router, catalogue and store.

``push`` sends a message or a tap through ``Conversation.handle`` and returns the replies; every
turn is checked against the platforms' limits. The clock is a value the test moves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from bot.catalogue import Catalogue, load_catalogue
from bot.conversation import Conversation, build_conversation
from bot.core.messages import Inbound, Reply
from bot.settings import Settings
from bot.store.crypto import Cipher

ROOT = Path(__file__).resolve().parents[2]
START = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)       # Friday 10:00 JST


@dataclass
class Clock:
    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


_cache: dict[str, object] = {}


def real_catalogue() -> Catalogue:
    if "catalogue" not in _cache:
        _cache["catalogue"] = load_catalogue(ROOT / "knowledge" / "services.yaml")
    return _cache["catalogue"]  # type: ignore[return-value]


def real_router():  # type: ignore[no-untyped-def]
    if "router" not in _cache:
        from bot.routing.router import build_router
        _cache["router"] = build_router(real_catalogue())
    return _cache["router"]


def make_conversation(engine, cipher_key: str, clock: Clock, **settings) -> Conversation:  # type: ignore[no-untyped-def]
    s = Settings(database_url=str(engine.url), **settings)
    return build_conversation(engine, s, real_catalogue(), real_router(), Cipher(cipher_key), cipher_key, clock=clock)


def check_limits(replies: list[Reply]) -> None:
    assert len(replies) <= 5
    for r in replies:
        assert len(r.choices) <= 13
        assert len(r.text + (r.card.text_fallback() if r.card else "")) < 4096
        for c in r.choices:
            assert 0 < len(c.label) <= 20 and len(c.payload.encode()) <= 64


@dataclass
class ChatBot:
    conversation: Conversation
    user_key: str = "line:U0123456789abcdef0123456789abcdef"
    channel: str = "line"
    log: list[list[Reply]] = field(default_factory=list)

    async def push(self, text: str | None = None, payload: str | None = None) -> list[Reply]:
        replies = await self.conversation.handle(Inbound(self.user_key, text=text, payload=payload, channel=self.channel))
        check_limits(replies)
        self.log.append(replies)
        return replies

    async def say(self, text: str | None = None, payload: str | None = None) -> str:
        """Pushes and returns everything shown, cards and choice labels included, as one text."""
        return render(await self.push(text, payload))


def render(replies: list[Reply]) -> str:
    out = []
    for r in replies:
        out.append(r.text)
        if r.card:
            out.append(r.card.text_fallback())
        out += [f"[{c.label}]" for c in r.choices]
    return "\n".join(out)


def payloads(replies: list[Reply]) -> list[str]:
    return [c.payload for r in replies for c in r.choices]
