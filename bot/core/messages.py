"""Messages that know no channel: what adapters hand the core, and what the core hands back.

Adapters translate a platform event into an ``Inbound`` and render ``Reply`` objects; the core
never imports ``telegram`` or ``linebot``. Richer parts (choices, cards) always have a plain-text
fallback so that every channel can show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Choice:
    label: str        # ≤ 20 chars: fits a LINE quick-reply label and a Telegram button
    payload: str      # "svc:houkatsu", "consent:yes": opaque to adapters, ≤ 64 bytes (Telegram)


@dataclass(frozen=True, slots=True)
class CardField:
    label: str        # 電話, 受付時間, 住所 …
    value: str


@dataclass(frozen=True, slots=True)
class Card:
    """A contact card; channels that cannot draw one render ``text_fallback()``."""

    title: str
    body: str = ""
    fields: tuple[CardField, ...] = ()
    url: str | None = None            # e.g. a map link

    def text_fallback(self) -> str:
        lines = [f"【{self.title}】"]
        if self.body:
            lines.append(self.body)
        lines += [f"{f.label}: {f.value}" for f in self.fields]
        if self.url:
            lines.append(self.url)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Inbound:
    user_key: str                 # "line:U…", "telegram:123", "console:dev", "web:<random>"
    text: str | None = None
    payload: str | None = None    # set when a Choice was tapped
    channel: str = "console"
    event_id: str | None = None   # platform event id, for idempotency (webhookEventId, update_id)
    message_id: str | None = None  # platform message id (LINE message.id): store it in TicketEvent.data
                                  # ["platform_message_id"] as bot.store.events.message_ref(channel, id) so an unsend can redact it


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    card: Card | None = None


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message the shell sends later, outside a reply (a push): never carries personal data."""

    user_key: str
    replies: tuple[Reply, ...] = field(default_factory=tuple)
