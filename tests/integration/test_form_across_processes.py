"""Two `properbot run` processes on one PostgreSQL database, in webhook mode: one participant's
/lapor whose steps are posted alternately to each, and whose active worker is killed with
kill -9 halfway, ends in one report relayed once. The form lives in the database, not in
either process."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fakegram import BotMessage, FakeTelegram, FakeUser
from models import InboxUpdate, ProgressUpdate
from models.db import session_factory
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import text
from tests.integration.processes import RunProcess

TOKEN = "424242424:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
URL = "https://bot.bpsdm.example.go.id/telegram/webhook"
SECRET = "rahasia_Webhook-2026"
# Generous: a takeover waits 2 x WORKER_LOCK_CHECK_S + 1 s, and CI machines are slow.
REPLY_TIMEOUT_S = 60
WORDS = "Sosialisasi ke 12 OPD, bergantian."


async def say(user: FakeUser, words: str) -> BotMessage:
    user.send(words)
    return await user.next_reply(timeout=REPLY_TIMEOUT_S)


async def press(user: FakeUser, button: str) -> None:
    assert user.last is not None
    pressed = user.press(user.last, button)
    answer = await pressed.wait_answer(timeout=REPLY_TIMEOUT_S)
    # A form step handled by the other process must not look like an old button.
    assert answer.text != text("button.stale"), button


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_report_whose_steps_alternate_between_processes_survives_a_killed_worker(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    # The processes run on the real clock, so the roster and milestones do too.
    now = datetime.now(UTC)
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    async with FakeTelegram(token=TOKEN, bot_username="properbot_run_bot") as server:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_ROOT": server.api_root,
            "DATABASE_URL": database_url,
            "TELEGRAM_WEBHOOK_URL": URL,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            "LOG_LEVEL": "INFO",
        }
        env.pop("LOG_FORMAT", None)
        first, second = RunProcess("a", env, tmp_path), RunProcess("b", env, tmp_path)
        try:
            await first.start()
            # The webhook is registered once an instance is the worker: a is.
            await server.wait_for(lambda: server.webhook, timeout=REPLY_TIMEOUT_S)
            await second.start()

            def post_to(process: RunProcess) -> None:
                # The fake server plays the TLS proxy: its next posts go to this process.
                server.webhook_forward = process.url

            post_to(first)
            budi = server.user(1001, "Budi")
            bambang = server.user(1005, "Bambang")
            for user, member in ((budi, team["budi"]), (bambang, team["bambang"])):
                await say(user, f"/start {member.code}")
                await press(user, "Setuju")

            # Each step is posted to the other process than the one before.
            post_to(second)
            chooser = await say(budi, "/lapor")
            post_to(first)
            await press(budi, chooser.button_texts[0])
            post_to(second)
            await say(budi, WORDS)
            post_to(first)
            await press(budi, "Lewati")  # kendala

            # The worker dies between two steps; b takes the lock and the form goes on.
            await first.kill()
            post_to(second)
            await press(budi, "Lewati")  # rencana berikutnya
            await press(budi, "Lewati")  # bukti dukung
            await press(budi, "40%")
            await press(budi, "Kirim")
            relayed = await server.wait_for(
                lambda: next((m for m in bambang.inbox if WORDS in (m.plain or "")), None),
                timeout=REPLY_TIMEOUT_S,
            )
            posts = list(server.webhook_posts)
        finally:
            await first.stop()
            await second.stop()

    assert budi.last is not None and budi.last.plain.startswith("✅ Laporan tersimpan")
    assert relayed is not None
    assert [m for m in bambang.inbox if WORDS in (m.plain or "")] == [relayed]
    assert any("is the active worker" in line for line in second.log), second.tail()
    # Every post was answered, and both processes took some: a while alive, b throughout.
    assert all(post.ok for post in posts), [p for p in posts if not p.ok]
    assert {post.url.split("/telegram")[0] for post in posts} == {first.url, second.url}
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(ProgressUpdate)) == 1
        # Both processes took posts: every one of them was stored and handled once.
        statuses = (await session.scalars(select(InboxUpdate.status))).all()
    assert statuses and set(statuses) == {"done"}, statuses
