"""Casework on SQLite and PostgreSQL: the closed loop, RBAC in the store, pushes without personal
data, handoff, meetings and consent, reports and retention."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from bot.staff import texts
from bot.store import casework as cw
from bot.store.db import make_sessions
from bot.store.models import (
    AuditLog,
    ConsentReceipt,
    Conversation,
    MisrouteLabel,
    Outbox,
    StaffUser,
    Ticket,
    TicketEvent,
)

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
SECRET = "母の介護で毎日眠れません。電話は090-1234-5678"


async def _staff(s, username: str, dept: str, role: str = "desk") -> cw.Actor:
    u = StaffUser(username=username, display_name=username, password_hash="x", department=dept, role=role)
    s.add(u)
    await s.flush()
    return cw.Actor(u.id, dept, role, username)


async def _ticket(s, cipher, *, desk="dept_koreisha", user_key="line:Uaaa", contact="chat", meeting_consent=False,
                  created=NOW - dt.timedelta(hours=1), fields=("高齢",), routing=None) -> Ticket:
    t = Ticket(user_key=user_key, pseudonym="相談者A", channel=user_key.split(":")[0], desk=desk,
               fields=list(fields), contact_method=contact, summary_enc=cipher.encrypt(SECRET),
               created_at=created, routing=routing or {"outcome": "route", "matches": [{"id": "houkatsu"}]})
    s.add(t)
    await s.flush()
    t.ref = f"FJ-2026-{t.id:06d}"
    if meeting_consent:
        r = ConsentReceipt(user_key=user_key, scope="meeting_share", text_version="m-1", text_sha256="0" * 64)
        s.add(r)
        await s.flush()
        t.consent_meeting_id = r.id
    return t


@pytest.fixture
def sessions(engine):
    return make_sessions(engine)


async def test_closed_loop_path_records_every_step_and_notifies_without_personal_data(sessions, cipher) -> None:
    async with sessions() as s, s.begin():
        me = await _staff(s, "sato", "dept_koreisha")
        t = await _ticket(s, cipher)
        await cw.claim(s, me, t, NOW)
        await cw.change_status(s, me, t, "連絡済", note_enc=cipher.encrypt("本人と話した"), now=NOW)
        await cw.change_status(s, me, t, "他窓口へ紹介", now=NOW)
        with pytest.raises(cw.CaseworkError, match="結果"):
            await cw.change_status(s, me, t, "完了", now=NOW)
        await cw.change_status(s, me, t, "完了", outcome="支援につながった", now=NOW)
    async with sessions() as s:
        got = await s.get(Ticket, t.id)
        assert (got.status, got.outcome, got.assignee_id) == ("完了", "支援につながった", me.id)
        assert cw._aware(got.first_contact_at) == NOW
        events = await cw.ticket_events(s, t.id)
        assert [(e.kind, e.from_status, e.to_status) for e in events] == [
            ("assign", "受付", "担当決定"), ("status", "担当決定", "連絡済"),
            ("status", "連絡済", "他窓口へ紹介"), ("status", "他窓口へ紹介", "完了")]
        assert all(e.actor == f"staff:{me.id}" for e in events)
        assert cipher.decrypt(events[1].body_enc) == "本人と話した"
        pushes = list((await s.execute(select(Outbox).order_by(Outbox.id))).scalars())
        assert len(pushes) == 4
        for p in pushes:
            body = json.dumps(p.body, ensure_ascii=False)
            assert p.user_key == "line:Uaaa" and t.ref in body
            assert "介護" not in body and "090" not in body and "本人と話した" not in body
        assert (await s.execute(select(func.count()).select_from(AuditLog))).scalar_one() == 4


@pytest.mark.parametrize(("path", "bad"), [
    ([], "連絡済"),                      # 受付 cannot skip 担当決定
    (["担当決定"], "他窓口へ紹介"),          # nobody has been contacted yet
    (["担当決定"], "受付"),                # no way back
    (["担当決定", "連絡済"], "担当決定"),
])
async def test_steps_outside_the_loop_are_refused(sessions, cipher, path, bad) -> None:
    async with sessions() as s, s.begin():
        me = await _staff(s, "sato", "dept_koreisha")
        t = await _ticket(s, cipher)
        for step in path:
            await cw.change_status(s, me, t, step, now=NOW)
        with pytest.raises(cw.Conflict):
            await cw.change_status(s, me, t, bad, now=NOW)
        assert t.status == (path[-1] if path else "受付")


def test_transition_rules() -> None:
    cw.check_transition("受付", "完了", "同意撤回")            # a withdrawal closes from anywhere
    with pytest.raises(cw.CaseworkError):
        cw.check_transition("連絡済", "完了", "よくわからない")
    with pytest.raises(cw.CaseworkError):
        cw.check_transition("担当決定", "連絡済", "支援につながった")
    with pytest.raises(cw.Conflict):
        cw.check_transition("完了", "完了", "同意撤回")
    with pytest.raises(cw.CaseworkError):
        cw.check_transition("受付", "どこか", None)


async def test_desk_sees_only_its_own_tickets_and_coordinator_sees_all(sessions, cipher) -> None:
    async with sessions() as s, s.begin():
        desk = await _staff(s, "sato", "dept_koreisha")
        other = await _staff(s, "suzuki", "dept_shogai")
        coord = await _staff(s, "kato", "dept_fukushi_somu", "coordinator")
        mine = await _ticket(s, cipher, desk="dept_koreisha")
        theirs = await _ticket(s, cipher, desk="dept_shogai", user_key="line:Ubbb")
    async with sessions() as s, s.begin():
        targets = cw.OverdueTargets()
        assert [r.ticket.id for r in await cw.queue(s, desk, cw.QueueFilter(), targets, NOW)] == [mine.id]
        assert [r.ticket.id for r in await cw.queue(s, desk, cw.QueueFilter(desk="dept_shogai"), targets, NOW)] == []
        assert {r.ticket.id for r in await cw.queue(s, coord, cw.QueueFilter(), targets, NOW)} == {mine.id, theirs.id}
        with pytest.raises(cw.NotFound):
            await cw.get_ticket(s, desk, theirs.id)
        t2 = await cw.get_ticket(s, coord, theirs.id)
        for action in (lambda: cw.claim(s, desk, t2, NOW), lambda: cw.add_note(s, desk, t2, b"x", NOW),
                       lambda: cw.reply(s, desk, t2, b"x", NOW), lambda: cw.change_status(s, desk, t2, "担当決定"),
                       lambda: cw.start_handoff(s, desk, t2, NOW)):
            with pytest.raises(cw.NotFound):
                await action()
        with pytest.raises(cw.Forbidden):
            await cw.reassign(s, other, t2, "dept_koreisha", ["dept_koreisha", "dept_shogai"], now=NOW)
        await cw.claim(s, other, t2, NOW)
        await cw.reassign(s, coord, t2, "dept_koreisha", ["dept_koreisha", "dept_shogai"], now=NOW)
        assert (t2.desk, t2.status, t2.assignee_id) == ("dept_koreisha", "受付", None)
        with pytest.raises(cw.CaseworkError, match="カタログにありません"):
            await cw.reassign(s, coord, t2, "dept_nowhere", ["dept_koreisha", "dept_shogai"], now=NOW)
        with pytest.raises(cw.NotFound):
            await cw.get_ticket(s, other, t2.id)


async def test_claim_refuses_a_ticket_someone_else_holds(sessions, cipher) -> None:
    async with sessions() as s, s.begin():
        a = await _staff(s, "a", "dept_koreisha")
        b = await _staff(s, "b", "dept_koreisha")
        t = await _ticket(s, cipher)
        await cw.claim(s, a, t, NOW)
        with pytest.raises(cw.Conflict):
            await cw.claim(s, b, t, NOW)


async def test_queue_filters_and_overdue_per_desk(sessions, cipher) -> None:
    async with sessions() as s, s.begin():
        coord = await _staff(s, "kato", "dept_fukushi_somu", "coordinator")
        old_kodomo = await _ticket(s, cipher, desk="dept_kodomo_katei", fields=("子ども",),
                                   created=NOW - dt.timedelta(hours=30))
        old_korei = await _ticket(s, cipher, desk="dept_koreisha", created=NOW - dt.timedelta(hours=30))
        new_korei = await _ticket(s, cipher, desk="dept_koreisha", created=NOW - dt.timedelta(hours=2))
    targets = cw.OverdueTargets.parse(72, "dept_kodomo_katei=24, dept_koreisha=48")
    async with sessions() as s:
        rows = await cw.queue(s, coord, cw.QueueFilter(), targets, NOW)
        assert rows[0].ticket.id == old_kodomo.id and rows[0].overdue and rows[0].target_hours == 24
        assert {r.ticket.id for r in rows if r.overdue} == {old_kodomo.id}
        assert all(r.unassigned for r in rows)
        async def q(**kw):
            return {r.ticket.id for r in await cw.queue(s, coord, cw.QueueFilter(**kw), targets, NOW)}
        assert await q(field="子ども") == {old_kodomo.id}
        assert await q(desk="dept_koreisha") == {old_korei.id, new_korei.id}
        assert await q(min_age_hours=24) == {old_kodomo.id, old_korei.id}
        assert await q(max_age_hours=24) == {new_korei.id}
        assert await q(overdue=True) == {old_kodomo.id}
        assert await q(status="担当決定") == set()
    with pytest.raises(ValueError, match="bad overdue target"):
        cw.OverdueTargets.parse(72, "dept_koreisha:48")


async def test_reply_is_stored_encrypted_and_read_once_through_the_chat(sessions, cipher) -> None:
    async with sessions() as s, s.begin():
        me = await _staff(s, "sato", "dept_koreisha")
        t = await _ticket(s, cipher)
        assert await cw.reply(s, me, t, cipher.encrypt("明日の10時にお電話します"), NOW)
    async with sessions() as s, s.begin():
        push = (await s.execute(select(Outbox))).scalar_one()
        assert push.body["replies"][0]["text"] == texts.STAFF_MESSAGE_WAITING
        assert push.body["replies"][0]["choices"] == [{"label": "読む", "payload": texts.READ_PAYLOAD}]
        assert "10時" not in json.dumps(push.body, ensure_ascii=False)
        assert await cw.read_staff_replies(s, cipher, "line:Uaaa", NOW) == ["明日の10時にお電話します"]
    async with sessions() as s, s.begin():
        assert await cw.read_staff_replies(s, cipher, "line:Uaaa", NOW) == []
        assert await cw.read_staff_replies(s, cipher, "line:Uother", NOW) == []


async def test_no_push_to_an_unreachable_resident_or_a_phone_contact(sessions, cipher) -> None:
    async with sessions() as s, s.begin():
        me = await _staff(s, "sato", "dept_koreisha")
        s.add(Conversation(user_key="line:Ugone", channel="line", step="start", reachable=False))
        gone = await _ticket(s, cipher, user_key="line:Ugone")
        phone = await _ticket(s, cipher, user_key="line:Uphone", contact="phone")
        assert not await cw.reply(s, me, gone, cipher.encrypt("x"), NOW)
        await cw.claim(s, me, phone, NOW)          # status change, but the resident chose the phone
    async with sessions() as s:
        assert (await s.execute(select(func.count()).select_from(Outbox))).scalar_one() == 0
        assert len([e for e in await cw.ticket_events(s, gone.id) if e.kind == "reply"]) == 1


async def test_handoff_routes_the_chat_to_the_ticket_until_hand_back_or_close(sessions, cipher) -> None:
    async with sessions() as s, s.begin():
        me = await _staff(s, "sato", "dept_koreisha")
        t = await _ticket(s, cipher)
        t2 = await _ticket(s, cipher)                       # same resident, second ticket
        await cw.start_handoff(s, me, t, NOW)
        with pytest.raises(cw.Conflict):
            await cw.start_handoff(s, me, t, NOW)
        with pytest.raises(cw.Conflict, match="別の相談票"):
            await cw.start_handoff(s, me, t2, NOW)
    async with sessions() as s, s.begin():
        conv = await s.get(Conversation, "line:Uaaa")
        assert conv.handoff_ticket_id == t.id
        t = await s.get(Ticket, t.id)
        assert t.handoff_active
        await cw.hand_back(s, me, t, NOW)
        assert (await s.get(Conversation, "line:Uaaa")).handoff_ticket_id is None and not t.handoff_active
        with pytest.raises(cw.Conflict):
            await cw.hand_back(s, me, t, NOW)
        await cw.start_handoff(s, me, t, NOW)
        await cw.claim(s, me, t, NOW)
        await cw.change_status(s, me, t, "完了", outcome="同意撤回", now=NOW)
        assert not t.handoff_active and (await s.get(Conversation, "line:Uaaa")).handoff_ticket_id is None
    async with sessions() as s:
        texts_pushed = [o.body["replies"][0]["text"] for o in (await s.execute(select(Outbox).order_by(Outbox.id))).scalars()]
        assert texts_pushed.count(texts.HANDOFF_STARTED) == 2 and texts_pushed.count(texts.HANDOFF_ENDED) == 2


async def test_agenda_lists_only_cases_whose_meeting_consent_stands(sessions, cipher) -> None:
    meetings = ["shien_chousei", "jusou_shien"]
    async with sessions() as s, s.begin():
        coord = await _staff(s, "kato", "dept_fukushi_somu", "coordinator")
        ok = await _ticket(s, cipher, meeting_consent=True)
        withdrawn = await _ticket(s, cipher, meeting_consent=True, user_key="line:Uw")
        no_consent = await _ticket(s, cipher, user_key="line:Un")
        for t in (ok, withdrawn):
            await cw.mark_meeting(s, coord, t, "shien_chousei", meetings, NOW)
        with pytest.raises(cw.Forbidden):
            await cw.mark_meeting(s, coord, no_consent, "shien_chousei", meetings, NOW)
        with pytest.raises(cw.CaseworkError, match="会議"):
            await cw.mark_meeting(s, coord, ok, "nomeeting", meetings, NOW)
        no_consent.meeting = "shien_chousei"               # even if marked by hand, it stays off the agenda
        (await s.get(ConsentReceipt, withdrawn.consent_meeting_id)).withdrawn_at = NOW
    async with sessions() as s:
        assert [t.id for t in await cw.agenda(s, coord, "shien_chousei")] == [ok.id]
        assert await cw.agenda(s, coord, "jusou_shien") == []
        desk = cw.Actor(999, "dept_shogai", "desk")
        assert await cw.agenda(s, desk, "shien_chousei") == []


async def test_misroute_label_is_stored_for_review(sessions, cipher) -> None:
    async with sessions() as s, s.begin():
        me = await _staff(s, "sato", "dept_koreisha")
        t = await _ticket(s, cipher)
        t.service_ids = ["houkatsu"]
        await cw.mark_misroute(s, me, t, "dept_shogai", ["dept_koreisha", "dept_shogai"], NOW)
        with pytest.raises(cw.CaseworkError):
            await cw.mark_misroute(s, me, t, "dept_x", ["dept_koreisha", "dept_shogai"], NOW)
    async with sessions() as s:
        label = (await s.execute(select(MisrouteLabel))).scalar_one()
        assert (label.routed_to, label.should_be, label.reviewed) == (["dept_koreisha", "houkatsu"], "dept_shogai", False)
        assert (await s.get(Ticket, t.id)).desk == "dept_koreisha"     # nothing changes by itself


async def test_dashboard_and_yearly_report_aggregate_without_raw_text(sessions, cipher) -> None:
    async with sessions() as s, s.begin():
        coord = await _staff(s, "kato", "dept_fukushi_somu", "coordinator")
        unmatched = {"outcome": "out_of_scope", "matches": [], "text": "秘密の相談文",
                     "explanation": {"unmatched_terms": ["ペット", "多頭飼育", "09012345678"]}}
        tickets = []
        for i in range(4):
            tickets.append(await _ticket(s, cipher, user_key=f"line:U{i}", routing=unmatched if i < 3 else None,
                                         fields=("高齢",) if i % 2 else ("障害",), created=NOW - dt.timedelta(days=7 * i)))
        other = dict(unmatched, explanation={"out_of_scope_words": ["珍しい語"], "normalised": "秘密の相談文"})
        tickets.append(await _ticket(s, cipher, user_key="line:U9", routing=other, created=NOW))
        await cw.claim(s, coord, tickets[0], NOW)
        await cw.change_status(s, coord, tickets[0], "連絡済", now=NOW + dt.timedelta(hours=5))
        await cw.change_status(s, coord, tickets[0], "他窓口へ紹介", now=NOW)
        await cw.change_status(s, coord, tickets[0], "完了", outcome="支援につながった", now=NOW)
    async with sessions() as s:
        d = await cw.dashboard(s, coord, NOW, weeks=12)
        assert d["total"] == 5 and len(d["weeks"]) == 12
        assert sum(d["by_desk"]["dept_koreisha"]) == 5
        assert d["by_field"]["障害"][-3:] == [1, 0, 1] and d["by_field"]["高齢"][-4:] == [1, 0, 1, 1]
        assert d["first_contact_median_hours"] == {"dept_koreisha": 5.0}
        assert d["outcomes"] == {"支援につながった": 1}
        r = await cw.yearly_report(s, 2026, min_count=3)
        assert r["total"] == 5 and r["unmatched_total"] == 4
        assert r["unmatched_words"] == [{"word": "ペット", "count": 3}, {"word": "多頭飼育", "count": 3}]
        assert r["by_field_outcome"]["障害"] == {"支援につながった": 1, "（受付）": 1}
        assert r["referrals"] == {"支援につながった": 1}
        dumped = json.dumps(r, ensure_ascii=False)
        assert "秘密" not in dumped and "珍しい語" not in dumped and "0901" not in dumped
        assert (await cw.yearly_report(s, 2025))["total"] == 0


async def test_purge_removes_only_long_closed_tickets_and_dry_run_changes_nothing(sessions, cipher) -> None:
    async with sessions() as s, s.begin():
        me = await _staff(s, "sato", "dept_koreisha")
        old = await _ticket(s, cipher, meeting_consent=True)
        recent = await _ticket(s, cipher)
        still_open = await _ticket(s, cipher, created=NOW - dt.timedelta(days=900))
        for t, when in ((old, NOW - dt.timedelta(days=400)), (recent, NOW - dt.timedelta(days=10))):
            await cw.claim(s, me, t, when)
            await cw.change_status(s, me, t, "連絡済", now=when)
            await cw.change_status(s, me, t, "完了", outcome="支援につながった", now=when)
        await cw.mark_misroute(s, me, old, "dept_shogai", [], NOW)
    async with sessions() as s, s.begin():
        report = await cw.purge(s, 365, dry_run=True, now=NOW)
        assert report.tickets == [old.ref]
    async with sessions() as s, s.begin():
        assert await s.get(Ticket, old.id) is not None
        report = await cw.purge(s, 365, dry_run=False, now=NOW)
        assert report.tickets == [old.ref]
    async with sessions() as s:
        remaining = set((await s.execute(select(Ticket.id))).scalars())
        assert remaining == {recent.id, still_open.id}
        assert (await s.execute(select(func.count()).select_from(TicketEvent)
                                .where(TicketEvent.ticket_id == old.id))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(ConsentReceipt))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(MisrouteLabel))).scalar_one() == 0


async def test_new_ticket_announcement_holds_only_ref_and_link(sessions, cipher) -> None:
    async with sessions() as s, s.begin():
        t = await _ticket(s, cipher)
        assert not await cw.announce_new_ticket(s, t, staff_chat=None, base_url="https://x")
        assert await cw.announce_new_ticket(s, t, staff_chat="telegram:-1001", base_url="https://staff.example/")
    async with sessions() as s:
        o = (await s.execute(select(Outbox))).scalar_one()
        assert o.user_key == "telegram:-1001"
        assert o.body["replies"][0]["text"] == f"新しい相談 {t.ref}\nhttps://staff.example/staff/tickets/{t.id}"


async def test_two_people_claiming_at_once_cannot_both_win(sessions, cipher) -> None:
    import asyncio

    from sqlalchemy.exc import OperationalError
    async with sessions() as s, s.begin():
        a = await _staff(s, "a", "dept_koreisha")
        b = await _staff(s, "b", "dept_koreisha")
        t = await _ticket(s, cipher)
    both_read = asyncio.Barrier(2)

    async def take(actor):
        try:
            async with sessions() as s, s.begin():
                ticket = await cw.get_ticket(s, actor, t.id)
                await both_read.wait()                    # both have read "unassigned"
                await cw.claim(s, actor, ticket, NOW)
            return "won"
        except (cw.Conflict, OperationalError):          # SQLite refuses the stale writer outright
            return "lost"
    results = await asyncio.gather(take(a), take(b))
    assert sorted(results) == ["lost", "won"]
    async with sessions() as s:
        got = await s.get(Ticket, t.id)
        winner = a if results[0] == "won" else b
        assert got.assignee_id == winner.id
        assert [e.kind for e in await cw.ticket_events(s, t.id)] == ["assign"]


def test_the_loop_exhaustively() -> None:
    """Every (from, to, outcome): allowed exactly when it is a step of the loop, 完了 always has an
    outcome, and 同意撤回 closes from anywhere; every status can still reach 完了."""
    from bot.store.models import TicketOutcome, TicketStatus
    outcomes = [None, *[o.value for o in TicketOutcome]]
    for cur in TicketStatus:
        for nxt in TicketStatus:
            for out in outcomes:
                expected = (nxt in cw.TRANSITIONS[cur] and (out is not None) == (nxt == TicketStatus.CLOSED)) or (
                    nxt == TicketStatus.CLOSED and out == TicketOutcome.WITHDRAWN and cur != TicketStatus.CLOSED)
                try:
                    cw.check_transition(cur.value, nxt.value, out)
                    allowed = True
                except cw.CaseworkError:
                    allowed = False
                assert allowed == expected, (cur, nxt, out)
    reach = {TicketStatus.RECEIVED}
    while (more := {n for c in reach for n in cw.TRANSITIONS[c]} - reach):
        reach |= more
    assert reach == set(TicketStatus)
    for st in TicketStatus:
        seen, todo = set(), [st]
        while todo:
            c = todo.pop()
            seen.add(c)
            todo += [n for n in cw.TRANSITIONS[c] if n not in seen]
        assert TicketStatus.CLOSED in seen


def test_staff_chat_per_desk() -> None:
    assert cw.staff_chat_for(None, "dept_koreisha") is None
    assert cw.staff_chat_for("telegram:-100", "dept_koreisha") == "telegram:-100"
    spec = "dept_koreisha=telegram:-1001, dept_shogai=telegram:-1002"
    assert cw.staff_chat_for(spec, "dept_shogai") == "telegram:-1002"
    assert cw.staff_chat_for(spec, "dept_hoiku") is None
    assert cw.staff_chat_for(spec + ",*=telegram:-1009", "dept_hoiku") == "telegram:-1009"


async def test_yearly_report_counts_words_of_unmatched_summaries_only_above_the_threshold(sessions, cipher) -> None:
    texts_ = ["ペット 多頭 田中", "ペット 多頭", "ペット 多頭 0901234", "介護 ペット"]
    async with sessions() as s, s.begin():
        for i, text in enumerate(texts_):
            t = await _ticket(s, cipher, user_key=f"line:U{i}", routing={"outcome": "out_of_scope", "matches": []}
                              if i < 3 else None)
            t.summary_enc = cipher.encrypt(text)
    seen: list[str] = []

    def words_of(enc):
        text = cipher.decrypt(enc)
        seen.append(text)
        return text.split()
    async with sessions() as s:
        r = await cw.yearly_report(s, 2026, words_of=words_of)
    assert sorted(seen) == sorted(texts_[:3])                 # only unmatched inquiries are read
    assert r["unmatched_words"] == [{"word": "ペット", "count": 3}, {"word": "多頭", "count": 3}]
