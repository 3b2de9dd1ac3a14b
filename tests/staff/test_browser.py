"""End to end in Debian's chromium (Playwright), with JavaScript turned off and a tablet-sized
window: log in, claim, chat handoff, reply, hand back, change status, mark for the meeting, export
the agenda (printable page and CSV), close; then check the audit log and the outbox."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.store.db import make_engine, make_sessions
from bot.store.models import AuditLog, Outbox, Ticket
from bot.web.app import create_app

from .conftest import PASSWORD, SUMMARY_KORE, make_deps_factory

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
async def server(world):
    runner = web.AppRunner(create_app(world.settings, make_deps_factory(world.cipher)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_console_end_to_end_in_chromium(server: str, world, tmp_path: Path) -> None:
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian chromium is missing: `make browser` installs it")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = await browser.new_context(java_script_enabled=False, viewport={"width": 768, "height": 1024},
                                        accept_downloads=True, locale="ja-JP")
        page = await ctx.new_page()
        await page.goto(f"{server}/staff/tickets")                       # → login, then back here
        assert "/staff/login" in page.url
        await page.fill("#username", "kore")
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="ログイン").click()
        assert page.url.endswith("/staff/tickets")
        ref = f"FJ-2026-{world.kore:06d}"
        row = page.locator("tr.overdue")                                   # 100 h old, target 72 h
        assert ref in await row.inner_text()

        await page.get_by_role("link", name=ref).click()
        assert SUMMARY_KORE in await page.inner_text("main")
        await page.get_by_role("button", name="自分が担当する").click()
        await page.get_by_role("button", name="チャットで対応する").click()
        assert "いま職員がチャットで対応中です" in await page.inner_text("main")
        await page.fill("#reply", "明日の午前にお電話します")
        await page.get_by_role("button", name="返信する").click()
        await page.get_by_role("button", name="ボットへ戻す").click()
        await page.select_option("#status", "連絡済")
        await page.fill("#status-note", "ご本人と話せた")
        await page.get_by_role("button", name="変更する").click()
        await page.select_option("#meeting", "juso_shien_kaigi")
        await page.get_by_role("button", name="会議の印をつける").click()
        history = await page.inner_text("ol.history")
        assert "明日の午前にお電話します" in history and "ご本人と話せた" in history

        await page.get_by_role("link", name="会議").click()
        await page.get_by_role("link", name="重層的支援会議").click()
        assert SUMMARY_KORE in await page.inner_text("table.agenda")
        await page.emulate_media(media="print")                            # the printable agenda
        assert not await page.locator("header.top").is_visible()
        assert await page.locator("table.agenda").is_visible()
        await page.emulate_media(media="screen")
        async with page.expect_download() as dl:
            await page.get_by_role("link", name="CSVで保存").click()
        path = tmp_path / "agenda.csv"
        await (await dl.value).save_as(path)
        csv_text = path.read_text(encoding="utf-8-sig")
        assert ref in csv_text and SUMMARY_KORE in csv_text

        await page.goto(f"{server}/staff/tickets/{world.kore}")
        await page.select_option("#status", "他窓口へ紹介")
        await page.get_by_role("button", name="変更する").click()
        await page.select_option("#status", "完了")
        await page.select_option("#outcome", "支援につながった")
        await page.get_by_role("button", name="変更する").click()
        assert "支援につながった" in await page.inner_text("h1")

        # the tablet layout needs no sideways scrolling (measured by the browser's layout engine)
        js_ctx = await browser.new_context(viewport={"width": 768, "height": 1024})
        await js_ctx.add_cookies(await ctx.cookies())
        p2 = await js_ctx.new_page()
        await p2.goto(f"{server}/staff/tickets/{world.kore}")
        assert await p2.evaluate("document.documentElement.scrollWidth") <= 768
        await browser.close()

    engine = make_engine(world.settings.database_url)
    async with make_sessions(engine)() as s:
        audit = list((await s.execute(select(AuditLog).order_by(AuditLog.id))).scalars())
        ticket = await s.get(Ticket, world.kore)
        pushes = [o.body for o in (await s.execute(select(Outbox).order_by(Outbox.id))).scalars()]
    await engine.dispose()
    kore_id = world.users["kore"]
    assert all(a.staff_id == kore_id for a in audit)
    actions = [a.action for a in audit if a.action != "view_ticket"]
    assert actions == ["login", "claim", "handoff", "reply", "handback", "status", "meeting",
                       "export_agenda", "export_agenda", "status", "status"]
    exports = [a.detail for a in audit if a.action == "export_agenda"]
    assert [e["format"] for e in exports] == ["html", "csv"] and all(e["tickets"] == [world.kore] for e in exports)
    assert sum(a.action == "view_ticket" for a in audit) >= 8                # every page view of the ticket
    assert (ticket.status, ticket.outcome, ticket.handoff_active) == ("完了", "支援につながった", False)
    dumped = json.dumps(pushes, ensure_ascii=False)
    assert "明日" not in dumped and "介護" not in dumped and len(pushes) >= 6
