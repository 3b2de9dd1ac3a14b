"""The console channel: rendering, number taps, and `scrum-bot chat` end to end on SQLite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.channels.console import render, to_inbound
from bot.core.messages import Card, CardField, Choice, Reply

ROOT = Path(__file__).resolve().parents[2]


def test_render_draws_cards_and_numbers_choices() -> None:
    reply = Reply("ご相談の窓口はこちらです。", (Choice("電話番号", "card:phone:x"), Choice("ほかの相談", "card:other")),
                  Card("福祉総務課", fields=(CardField("電話", "0545-55-2757"),)))
    assert render([reply]) == "ご相談の窓口はこちらです。\n【福祉総務課】\n電話: 0545-55-2757\n  1. 電話番号\n  2. ほかの相談"


def test_a_number_taps_a_choice_and_anything_else_is_text() -> None:
    choices = (Choice("同意する", "consent:yes"), Choice("やめる", "consent:no"))
    assert to_inbound("2", choices, "console:t").payload == "consent:no"
    assert to_inbound(" 1 ", choices, "console:t").payload == "consent:yes"
    typed = to_inbound("3", choices, "console:t")
    assert typed.payload is None and typed.text == "3"
    assert to_inbound("介護のこと", choices, "console:t").text == "介護のこと"


def test_scrum_bot_chat_files_an_intake_without_network(tmp_path: Path) -> None:
    env = {**os.environ, "SCRUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"}
    env.pop("SCRUM_ENCRYPTION_KEY", None)
    script = "母の介護のことで相談したい\n4\n1\n2\n母の物忘れが心配です\n3\n1\n2\n1\n状況\n"
    done = subprocess.run([sys.executable, "-m", "bot", "chat"], input=script, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    ref = re.search(r"受付番号は (FJ-\d{4}-\d{6})", done.stdout)
    assert ref is not None, done.stdout[-2000:]
    assert f"・{ref.group(1)}" in done.stdout                      # 状況 lists it
    assert (tmp_path / "dev-encryption.key").exists()               # local key beside the local database
    assert "母の物忘れが心配です" not in done.stderr


def test_the_readme_sample_chat_is_what_the_bot_says_today(tmp_path: Path) -> None:
    """The README's transcript is replayed through `scrum-bot chat`; dates and years may differ."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Sample chat"):]
    shown = section[section.index("```text\n") + len("```text\n"):section.index("\n```\n")] + "\n"
    typed = [line[2:] for line in shown.splitlines() if line.startswith("> ")]
    assert typed, "the sample chat shows what the person typed as '> …' lines"
    env = {**os.environ, "SCRUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"}
    env.pop("SCRUM_ENCRYPTION_KEY", None)
    done = subprocess.run([sys.executable, "-m", "bot", "chat"], input="\n".join(typed) + "\n", capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]

    def same(text: str) -> str:
        text = re.sub(r"いま受付中です（[^）]*）|いまは受付時間外です。次は[^\n]*からです|24時間受け付けています",
                      "(open now?)", text)                              # depends on the hour of the run
        text = re.sub(r"\d{1,2}月\d{1,2}日(\([月火水木金土日]\))?", "M月D日", text)
        return re.sub(r"FJ-\d{4}-", "FJ-YYYY-", text).strip()

    assert same(done.stdout) == same(shown), (
        "README 'Sample chat' is stale (catalogue or texts changed): pipe its '> ' lines into "
        "`scrum-bot chat` on a fresh SCRUM_DATABASE_URL and paste the output into the README")
