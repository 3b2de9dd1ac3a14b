"""/try in a real browser (Debian's chromium through Playwright): a consented intake by taps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.settings import Settings
from bot.store.crypto import Cipher
from bot.store.db import make_engine, make_sessions
from bot.store.models import Ticket
from bot.web.app import create_app

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


async def test_a_consented_intake_in_the_browser(aiohttp_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make browser` installs it")
    db = f"sqlite+aiosqlite:///{tmp_path / 'try.db'}"
    server = await aiohttp_server(create_app(Settings(database_url=db, encryption_key=Cipher.generate_key())))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(str(server.make_url("/try")))
            await expect(page.locator("#log")).to_contain_text("思いやりスクラムサポート")
            await page.fill("#text", "母の介護のことで相談したい")
            await page.click("#send")
            await expect(page.get_by_test_id("card")).to_be_visible()

            async def tap(label: str) -> None:
                await page.locator("#choices button", has_text=label).first.click()

            await tap("担当者から連絡がほしい")
            await expect(page.locator("#log")).to_contain_text("送ってもよいですか")
            await tap("同意する")
            await tap("家族")
            await expect(page.locator("#log")).to_contain_text("あなたの言葉で")
            await page.fill("#text", "母の物忘れが心配です")
            await page.click("#send")
            await tap("このチャット")
            await tap("書かない")
            await expect(page.locator("#log")).to_contain_text("お名前")
            await tap("書かない")
            await tap("共有に同意する")
            await expect(page.locator("#log")).to_contain_text("母の物忘れが心配です")
            await tap("送る")
            await expect(page.locator("#log")).to_contain_text(re.compile(r"受付番号は FJ-\d{4}-\d{6}"))
            shown = await page.locator("#log").inner_text()
            assert not errors
        finally:
            await browser.close()
    ref = re.search(r"FJ-\d{4}-\d{6}", shown)
    assert ref is not None
    engine = make_engine(db)
    try:
        async with make_sessions(engine)() as s:
            ticket = (await s.execute(select(Ticket))).scalar_one()
        assert ticket.ref == ref.group(0) and ticket.channel == "web" and ticket.user_key.startswith("web:")
    finally:
        await engine.dispose()
