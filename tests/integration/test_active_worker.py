"""The inbox and the active worker: a retried webhook post is handled once; on PostgreSQL a
second instance takes over when the worker is killed, and instances starting together migrate
once; on SQLite a second instance is refused; an update cut by a kill is handled again from
the start, and the prompt its first attempt showed still answers its step."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.harness import settings_for
from bot.serve import serve
from bot.settings import Settings
from bot.single_instance import SingleInstanceLock, lock_path_for
from domain.enums import Channel
from fakegram import SECRET_HEADER, BotMessage, FakeTelegram
from models import InboxUpdate
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services import coordination, inbox
from tests.conftest import _admin, _server_url
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import text as catalog_text
from tests.integration.processes import drain, web_port
from web.health import expected_revisions
from web.server import bind

TOKEN = "424242424:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
URL = "https://bot.bpsdm.example.go.id/telegram/webhook"
SECRET = "rahasia_Webhook-2026"
START_REPLY = "kode undangan"
VISITOR = 8008


def _start_update(update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": VISITOR, "type": "private", "first_name": "Tamu"},
            "from": {"id": VISITOR, "is_bot": False, "first_name": "Tamu"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def _inbox(database_url: str) -> list[tuple[int, str, int]]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(InboxUpdate.update_id, InboxUpdate.status, InboxUpdate.attempts).order_by(
                    InboxUpdate.id
                )
            )
            return [(u, s, a) for u, s, a in rows.all()]
    finally:
        await engine.dispose()


async def test_a_retried_webhook_post_is_stored_and_handled_once(
    database_url: str, settings: Settings
) -> None:
    async with FakeTelegram(token=TOKEN, bot_username="properbot_run_bot") as server:
        configured = replace(
            settings_for(server, settings),
            database_url=database_url,
            telegram_webhook_url=URL,
            telegram_webhook_secret=SECRET,
        )
        sock = bind("127.0.0.1", 0)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server.webhook_forward = base
        visitor = server.user(VISITOR, "Tamu")
        stop = asyncio.Event()
        running = asyncio.create_task(serve(configured, sock, stop=stop))
        try:
            # The webhook is registered once this instance is the worker.
            await server.wait_for(lambda: server.webhook, timeout=60)
            async with httpx.AsyncClient(base_url=base) as client:
                # Telegram retries a post it got no answer to: the same update twice.
                for _ in range(2):
                    answer = await client.post(
                        "/telegram/webhook",
                        json=_start_update(777),
                        headers={SECRET_HEADER: SECRET},
                    )
                    assert answer.status_code == 200
            await visitor.next_reply(timeout=60)
            # A later update of the same person is handled after it (one lane, in order).
            visitor.send("/start")
            await visitor.next_reply(timeout=60)
            await server.wait_for(
                lambda: len(server.webhook_posts) == 1 and server.webhook_posts[0].ok, timeout=60
            )
        finally:
            stop.set()
            await asyncio.wait_for(running, 60)
    replies = [m for m in server.sent_to(VISITOR) if START_REPLY in (m.plain or "")]
    assert len(replies) == 2  # one per distinct update, none for the retry
    inbox = await _inbox(database_url)
    assert [(u, s) for u, s, _ in inbox] == [
        (777, "done"),
        (server.webhook_posts[0].update_id, "done"),
    ]
    assert all(attempts == 1 for _, _, attempts in inbox)


async def _blocked_locks(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        waiting = await conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
    return int(waiting or 0)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_update_whose_post_commits_after_a_later_one_is_still_handled(
    database_url: str, settings: Settings
) -> None:
    """Telegram posts up to max_connections updates at once, to any instance. Row ids come
    from a sequence when a row is inserted, but posts commit in any order; a worker reading
    past the highest id it has seen must not pass over a row that became visible later."""
    async with FakeTelegram(token=TOKEN, bot_username="properbot_run_bot") as server:
        configured = replace(
            settings_for(server, settings),
            database_url=database_url,
            telegram_webhook_url=URL,
            telegram_webhook_secret=SECRET,
        )
        sock = bind("127.0.0.1", 0)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server.webhook_forward = base
        stop = asyncio.Event()
        running = asyncio.create_task(serve(configured, sock, stop=stop))
        engine = create_engine(database_url)
        server.user(VISITOR, "Tamu")

        def replies() -> int:
            return sum(START_REPLY in (m.plain or "") for m in server.sent_to(VISITOR))

        try:
            await server.wait_for(lambda: server.webhook, timeout=60)
            async with httpx.AsyncClient(base_url=base) as client:
                # Another instance's post of update 801: stored, not yet committed.
                async with session_factory(engine)() as slow:
                    await slow.begin()
                    await inbox.store(
                        slow, Channel.TELEGRAM.value, _start_update(801), datetime.now(UTC)
                    )
                    # Update 802 reaches this instance meanwhile.
                    post = asyncio.create_task(
                        client.post(
                            "/telegram/webhook",
                            json=_start_update(802),
                            headers={SECRET_HEADER: SECRET},
                        )
                    )
                    # Until 802 is stored, or waits for 801 (the server's lock table says).
                    while not post.done() and not await _blocked_locks(engine):  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
                    if post.done():
                        # 802 went ahead of 801: let the worker handle it before 801 commits.
                        await server.wait_for(lambda: replies() == 1, timeout=60)
                    await slow.commit()
                assert (await post).status_code == 200
            await server.wait_for(lambda: replies() == 2, timeout=60)
        finally:
            stop.set()
            await asyncio.wait_for(running, 60)
            await engine.dispose()
    rows = await _inbox(database_url)
    assert [(u, s) for u, s, _ in rows] == [(801, "done"), (802, "done")]


async def test_a_second_instance_on_one_sqlite_database_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "properbot.db"
    url = f"sqlite:///{database}"
    async with FakeTelegram(token=TOKEN, bot_username="properbot_run_bot") as server:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_ROOT": server.api_root,
            "DATABASE_URL": url,
            "WEB_PORT": "0",
        }
        for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"):
            env.pop(name, None)
        first = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert first.stderr is not None
        seen: list[str] = []
        try:
            await asyncio.wait_for(web_port(first.stderr, seen), 60)
            reading = asyncio.create_task(drain(first.stderr, seen))
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
            monkeypatch.chdir(tmp_path)
            # A second `properbot run` on the same file, while the first one runs.
            assert main(["run"]) == 2
        finally:
            first.send_signal(signal.SIGINT)
            await asyncio.wait_for(first.wait(), 60)
        await reading
    assert first.returncode == 0, "".join(seen)[-3000:]
    lock_path = lock_path_for(url)
    assert lock_path == tmp_path / "properbot.db.lock"
    err = capsys.readouterr().err
    assert "sudah digunakan oleh properbot run lain" in err
    assert f"pid {first.pid}" in err and str(lock_path) in err
    # Once the first has stopped, the file is free again.
    again = SingleInstanceLock(lock_path)
    again.acquire()
    again.release()


async def _metric(port: int, name: str) -> float | None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        page = (await client.get("/metrics")).text
    found = re.search(rf"^{name} (\S+)$", page, re.MULTILINE)
    return float(found.group(1)) if found else None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_standby_instance_takes_over_when_the_worker_is_killed(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeTelegram(token=TOKEN, bot_username="properbot_run_bot") as server:
        base_env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_ROOT": server.api_root,
            "DATABASE_URL": database_url,
            "WEB_PORT": "0",
            "LOG_LEVEL": "INFO",
        }
        for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET", "LOG_FORMAT"):
            base_env.pop(name, None)
        processes: dict[str, asyncio.subprocess.Process] = {}
        ports: dict[str, int] = {}
        logs: dict[str, list[str]] = {"a": [], "b": []}
        drains: list[asyncio.Task[None]] = []

        async def start(name: str) -> None:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run",
                cwd=tmp_path, env={**base_env, "INSTANCE_NAME": name},
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert process.stderr is not None
            processes[name] = process
            ports[name] = await asyncio.wait_for(web_port(process.stderr, logs[name]), 60)
            drains.append(asyncio.create_task(drain(process.stderr, logs[name])))

        visitor = server.user(VISITOR, "Tamu")
        try:
            await start("a")
            visitor.send("/start")
            await visitor.next_reply(timeout=60)  # a is the worker
            await start("b")
            assert await _metric(ports["b"], "properbot_active_worker") == 0.0
            assert await _metric(ports["a"], "properbot_active_worker") == 1.0
            processes["a"].kill()  # kill -9: no goodbye, the lock goes with its connection
            await processes["a"].wait()
            visitor.send("/start")
            await visitor.next_reply(timeout=60)  # b took over
            assert await _metric(ports["b"], "properbot_active_worker") == 1.0
        finally:
            for process in processes.values():
                if process.returncode is None:
                    process.send_signal(signal.SIGINT)
                    await asyncio.wait_for(process.wait(), 60)
            await asyncio.gather(*drains)
    assert processes["b"].returncode == 0, "".join(logs["b"])[-3000:]
    inbox = await _inbox(database_url)
    assert [status for _, status, _ in inbox] == ["done", "done"]
    assert len({update_id for update_id, _, _ in inbox}) == 2
    replies = [m for m in server.sent_to(VISITOR) if START_REPLY in (m.plain or "")]
    assert len(replies) == 2
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            holder = await coordination.active_worker(session)
    finally:
        await engine.dispose()
    assert holder == "b"
    assert any("is the active worker" in line for line in logs["b"])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_instances_starting_together_migrate_once(database_url: str) -> None:
    name = f"{make_name()}_migrate"
    await _admin(f'CREATE DATABASE "{name}"')
    url = _server_url(name)
    engines = [create_engine(url) for _ in range(3)]
    try:
        # Without the lock, two of these would both create the tables and one would fail.
        await asyncio.gather(*(upgrade(engine) for engine in engines))
        async with engines[0].connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert {v for (v,) in versions} == set(expected_revisions())
    finally:
        for engine in engines:
            await engine.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_name() -> str:
    return f"test_{os.getpid()}_{os.urandom(3).hex()}"


async def test_a_prompt_shown_before_a_kill_still_answers_its_step_after_the_rerun(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    """Replies go out before the update's commit. Killed in between, the update is handled
    again from the start by the next worker; the person may already have pressed a button of
    the prompt the cut attempt showed, and that press must count (not read as stale)."""
    now = datetime.now(UTC)  # the instances run on the real clock
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    async with FakeTelegram(token=TOKEN, bot_username="properbot_run_bot") as server:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_ROOT": server.api_root,
            "DATABASE_URL": database_url,
            "WEB_PORT": "0",
            "LOG_LEVEL": "INFO",
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
        }
        for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET", "LOG_FORMAT"):
            env.pop(name, None)
        processes: list[asyncio.subprocess.Process] = []
        logs: list[str] = []
        drains: list[asyncio.Task[None]] = []

        async def start(name: str) -> asyncio.subprocess.Process:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run",
                cwd=tmp_path, env={**env, "INSTANCE_NAME": name},
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert process.stderr is not None
            processes.append(process)
            await asyncio.wait_for(web_port(process.stderr, logs), 60)
            drains.append(asyncio.create_task(drain(process.stderr, logs)))
            return process

        budi = server.user(1001, "Budi")
        armed: list[asyncio.subprocess.Process] = []

        def kill_on_chooser(kind: str, message: BotMessage) -> None:
            # Called while the fake server stores the chooser, before it answers sendMessage:
            # the worker is inside the update's transaction, which never commits.
            if armed and kind == "sent" and message.chat_id == budi.id and message.button_texts:
                armed.pop().kill()

        server.add_listener(kill_on_chooser)
        try:
            first = await start("a")
            budi.send(f"/start {team['budi'].code}")
            consent = await budi.next_reply(timeout=60)
            await budi.press(consent, "Setuju").wait_answer(timeout=60)
            await budi.next_reply(timeout=60)  # the welcome
            armed.append(first)
            budi.send("/lapor")
            await asyncio.wait_for(first.wait(), 60)
            chooser = budi.last
            assert chooser is not None and chooser.button_texts
            # The person answers the prompt of the attempt cut short, then the next worker
            # starts and handles /lapor again before that press.
            pressed = budi.press(chooser, chooser.button_texts[0])
            await start("b")
            answer = await pressed.wait_answer(timeout=60)
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGINT)
                    await asyncio.wait_for(process.wait(), 60)
            await asyncio.gather(*drains)
    assert answer.text != catalog_text("button.stale")
    # The press took the form on: the pressed chooser now asks for the report's text.
    assert chooser.button_texts == []
    chosen = catalog_text("report.milestone_chosen", title="Rapat koordinasi tim efektif")
    assert chosen in chooser.plain
    inbox = await _inbox(database_url)
    assert [(s, a) for _, s, a in inbox][-2:] == [("done", 2), ("done", 1)]
    lapor = inbox[-2][0]
    # The rerun is logged: its replies (the chooser, here) may repeat.
    assert any(
        f"update {lapor} is handled again after an interrupted attempt" in line for line in logs
    ), "".join(logs)[-3000:]
