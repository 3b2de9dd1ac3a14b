"""Every Japanese sentence the staff side sends to a resident, in one place.

Push bodies hold no personal data and no consultation text: only that something happened, the
reference number, and how to read it. A staff message itself is never pushed; the resident taps
「読む」 (payload ``READ_PAYLOAD``) and the conversation answers with the message as a reply inside
the chat, so it never shows on a lock screen or in a notification preview.
"""

from __future__ import annotations

READ_PAYLOAD = "staff:read"
READ_LABEL = "読む"

STAFF_MESSAGE_WAITING = "担当者からお知らせがあります。\n下の「読む」をおしてください。"
NO_UNREAD_MESSAGES = "新しいお知らせはありません。"
HANDOFF_STARTED = "担当者が、このチャットでお話しします。\nここに書くと、担当者にとどきます。"
HANDOFF_ENDED = "担当者との話は、おわりました。\nまた相談したいときは、いつでも書いてください。"

# What each status means to a resident (short, kind, plain).
STATUS_FOR_RESIDENT: dict[str, str] = {
    "受付": "相談を受け付けました。",
    "担当決定": "担当者が決まりました。",
    "連絡済": "担当者から連絡しました。",
    "連絡つかず": "担当者が連絡しましたが、つながりませんでした。",
    "他窓口へ紹介": "ほかの窓口を紹介しました。",
    "支援調整会議へ": "関係する窓口と、いっしょに考えます。",
    "完了": "この相談は、おわりました。",
}


def status_changed(ref: str, status: str) -> str:
    """Tells a resident that their ticket moved on; holds the reference number only."""
    return f"ご相談（{ref}）のお知らせです。\n{STATUS_FOR_RESIDENT.get(status, '状況が変わりました。')}"


def new_ticket_for_desk(ref: str, link: str) -> str:
    """Announces a new ticket to a desk's staff group: reference number and link only."""
    return f"新しい相談 {ref}\n{link}"
