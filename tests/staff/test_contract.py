"""The contract with the conversation's ticket store: a ticket it opens shows up in the console;
handoff, resident messages, staff replies read in the chat, meetings and withdrawal all meet."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import select

from bot.core.effects import ConsentGiven, CreateTicket
from bot.store.db import make_engine, make_sessions
from bot.store.models import Outbox
from bot.store.tickets import Pseudonymiser, TicketStore

from .conftest import login

USER = "line:Ucontract"
SUMMARY = "父が一人で暮らしていて心配です 契約テスト"


def _consent(scope: str, now: dt.datetime) -> ConsentGiven:
    return ConsentGiven(scope, f"{scope}-1", hashlib.sha256(scope.encode()).hexdigest(), now.isoformat(),
                        ("dept_koreisha",))


async def test_a_ticket_from_the_conversation_goes_round_the_loop(app_client, world) -> None:
    now = dt.datetime.now(dt.UTC)
    engine = make_engine(world.settings.database_url)
    sessions = make_sessions(engine)
    store = TicketStore(sessions, world.cipher, Pseudonymiser.from_encryption_key("k" * 44),
                        staff_chat="telegram:-1001", base_url="https://staff.example")
    ref = await store.open(CreateTicket(
        user_key=USER, channel="line", desk="dept_koreisha", service_ids=("houkatsu",), fields=("高齢",),
        about="家族", summary=SUMMARY, contact_method="chat", phone=None, preferred_times="平日の午後", name=None,
        anonymous=False, crisis=False, routing={"outcome": "route", "matches": ["houkatsu"], "needed": ["houkatsu"]},
        intake_consent=_consent("intake", now), meeting_consent=_consent("meeting_share", now)), now)
    async with sessions() as s:
        announce = (await s.execute(select(Outbox).where(Outbox.user_key == "telegram:-1001"))).scalar_one()
    text = announce.body["replies"][0]["text"]
    assert ref in text and "https://staff.example/staff/tickets/" in text and "父" not in text

    client = await app_client()
    csrf = await login(client, "kore")
    queue = await (await client.get("/staff/tickets.json")).json()
    ticket = next(t for t in queue["tickets"] if t["ref"] == ref)
    base = f"/staff/tickets/{ticket['id']}"
    page = await (await client.get(f"{base}.json")).json()
    assert page["summary"] == SUMMARY and page["consents"]["meeting"]["scope"] == "meeting_share"
    assert page["routing"]["matches"][0]["name"] == "地域包括支援センター"

    await client.post(f"{base}/claim", data={"csrf": csrf})
    await client.post(f"{base}/handoff", data={"csrf": csrf})
    assert await store.active_handoff(USER) == ticket["id"]
    await store.append_message(ticket["id"], "今日は家にいます", now)
    await client.post(f"{base}/reply", data={"csrf": csrf, "reply": "明日伺ってもいいですか"})
    assert await store.read_staff_messages(USER, now) == ("明日伺ってもいいですか",)
    assert await store.read_staff_messages(USER, now) == ()
    await client.post(f"{base}/handback", data={"csrf": csrf})
    assert await store.active_handoff(USER) is None
    page = await (await client.get(f"{base}.json")).json()
    assert [e["body"] for e in page["events"] if e["kind"] == "message"] == ["今日は家にいます"]

    await client.post(f"{base}/meeting", data={"csrf": csrf, "meeting": "juso_shien_kaigi"})
    agenda = await (await client.get("/staff/meetings/juso_shien_kaigi.json")).json()
    assert [c["ref"] for c in agenda["cases"]] == [ref]

    await store.withdraw(USER, now)                                   # 「取り消し」 in the chat
    agenda = await (await client.get("/staff/meetings/juso_shien_kaigi.json")).json()
    assert agenda["cases"] == []
    page = await (await client.get(f"{base}.json")).json()
    assert (page["status"], page["outcome"], page["summary"]) == ("完了", "同意撤回", None)
    async with sessions() as s:
        bodies = json.dumps([o.body for o in (await s.execute(select(Outbox))).scalars()], ensure_ascii=False)
    assert "父" not in bodies and "明日伺って" not in bodies
    await engine.dispose()
