"""The console channel: chat with the bot in a terminal, on the embedded SQLite store, no network.

Choices are numbered; typing a number taps that choice, anything else is sent as text. Cards are
drawn as text (``Card.text_fallback``). ``/quit`` or an empty line (or end of input) ends the chat.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from bot.core.messages import Choice, Inbound, Reply


def render(replies: Sequence[Reply]) -> str:
    """Replies as terminal text: each message, its card, then its numbered choices."""
    blocks: list[str] = []
    for reply in replies:
        lines = [reply.text] if reply.text else []
        if reply.card is not None:
            lines.append(reply.card.text_fallback())
        lines += [f"  {i}. {c.label}" for i, c in enumerate(reply.choices, 1)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def to_inbound(line: str, choices: Sequence[Choice], user_key: str) -> Inbound:
    """A typed number picks that choice; anything else is text."""
    text = line.strip()
    if text.isdigit() and 0 < int(text) <= len(choices):
        return Inbound(user_key, payload=choices[int(text) - 1].payload, channel="console")
    return Inbound(user_key, text=text, channel="console")


async def repl(conversation, user_key: str = "console:dev", *,  # type: ignore[no-untyped-def]
               read: Callable[[], str | None] | None = None, out: TextIO | None = None, echo: bool = False) -> int:
    """Chats with the core until /quit, an empty line or the end of input; returns turns taken."""
    out = out or sys.stdout

    def _read() -> str | None:
        try:
            return input("> ")
        except EOFError:
            return None

    read = read or _read
    choices: tuple[Choice, ...] = ()
    turns = 0
    print(render(await conversation.handle(Inbound(user_key, payload="cmd:start", channel="console"))), file=out)
    while True:
        line = await asyncio.to_thread(read)
        if line is None or line.strip() in {"", "/quit", "/exit"}:
            break
        line = line.rstrip("\n")
        if echo:
            print(f"> {line}", file=out)
        replies = await conversation.handle(to_inbound(line, choices, user_key))
        turns += 1
        shown = [r for r in replies if r.choices]
        choices = shown[-1].choices if shown else ()
        print("", file=out)
        print(render(replies), file=out)
        print("", file=out)
    return turns
