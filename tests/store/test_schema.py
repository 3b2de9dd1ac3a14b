"""The schema works the same on SQLite and PostgreSQL, and personal fields are stored encrypted."""

from sqlalchemy import select, text

from bot.store.db import make_sessions
from bot.store.models import Ticket


async def test_ticket_round_trip_with_encrypted_summary(engine, cipher) -> None:
    sessions = make_sessions(engine)
    secret = "母の介護で毎日眠れません"
    async with sessions() as s, s.begin():
        s.add(t := Ticket(user_key="line:Uabc", pseudonym="P-1", channel="line", desk="dept_koreisha",
                          summary_enc=cipher.encrypt(secret)))
    async with sessions() as s:
        got = (await s.execute(select(Ticket).where(Ticket.id == t.id))).scalar_one()
        assert cipher.decrypt(got.summary_enc) == secret
        raw = (await s.execute(text("SELECT summary_enc FROM ticket"))).scalar_one()
        assert secret.encode() not in bytes(raw)
