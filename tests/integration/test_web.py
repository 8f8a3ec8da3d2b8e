"""The web server: Telegram's webhook (secret checked), /healthz, /readyz, /metrics, and one
log line per update, driven through the real bot on the fake Bot API server."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from prometheus_client import REGISTRY
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_application
from bot.harness import RunningBot, TrackingApplication, settings_for
from bot.logs import configure_logging
from bot.serve import ALLOWED_UPDATES, receive_updates, web_app_for
from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import SECRET_HEADER, FakeTelegram
from models.db import create_engine
from models.migrate import alembic_config
from web.app import create_web_app
from web.server import WebServer, bind

URL = "https://bot.bpsdm.example.go.id/telegram/webhook"
SECRET = "rahasia_Webhook-2026"
START_REPLY = "kode undangan"


@asynccontextmanager
async def webhook_bot(
    server: FakeTelegram, settings: Settings, *, clock: ManualClock, engine: AsyncEngine
) -> AsyncIterator[tuple[RunningBot, str]]:
    """The real bot in webhook mode: its web server on a free local port, fakegram posting to
    it as the TLS proxy would. Yields the bot and the web server's base URL."""
    settings = replace(
        settings_for(server, settings),
        telegram_webhook_url=URL,
        telegram_webhook_secret=SECRET,
        telegram_webhook_max_connections=7,
    )
    app = build_application(
        settings,
        clock=clock,
        engine=engine,
        application_class=TrackingApplication,
        background=False,
    )
    assert isinstance(app, TrackingApplication)
    web = WebServer(web_app_for(app, settings, engine), bind("127.0.0.1", 0))
    base = f"http://127.0.0.1:{web.port}"
    server.webhook_forward = base
    server.webhook_retry_delay = 0.05
    async with app:
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        await web.start()
        await receive_updates(app, settings)
        try:
            yield RunningBot(app, server), base
        finally:
            await web.stop()
            await app.stop()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)


async def test_a_webhook_update_with_the_right_secret_is_answered(
    telegram: FakeTelegram, settings: Settings, clock: ManualClock, engine: AsyncEngine
) -> None:
    async with webhook_bot(telegram, settings, clock=clock, engine=engine) as (bot, _):
        (registered,) = telegram.calls_to("setWebhook")
        assert registered.params["url"] == URL
        assert registered.params["secret_token"] == SECRET
        assert registered.params["allowed_updates"] == ALLOWED_UPDATES
        assert registered.params["max_connections"] == 7
        visitor = telegram.user(8008, "Tamu")
        visitor.send("/start")
        await bot.settle()
        assert START_REPLY in (visitor.last.plain or "")
        assert [post.status for post in telegram.webhook_posts] == [200]
        assert telegram.calls_to("getUpdates") == []  # nothing was polled


async def test_a_wrong_or_missing_secret_gets_401_and_nothing_is_handled(
    telegram: FakeTelegram, settings: Settings, clock: ManualClock, engine: AsyncEngine
) -> None:
    async with webhook_bot(telegram, settings, clock=clock, engine=engine) as (bot, base):
        visitor = telegram.user(8008, "Tamu")
        forged = {
            "update_id": 900,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": 8008, "type": "private", "first_name": "Tamu"},
                "from": {"id": 8008, "is_bot": False, "first_name": "Tamu"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        async with httpx.AsyncClient(base_url=base) as client:
            for headers in ({SECRET_HEADER: "tebakan"}, {SECRET_HEADER: SECRET + "x"}, {}):
                answer = await client.post("/telegram/webhook", json=forged, headers=headers)
                assert answer.status_code == 401
            # The right secret with a body that is no update: refused too, nothing queued.
            answer = await client.post(
                "/telegram/webhook", content=b"[1, 2]", headers={SECRET_HEADER: SECRET}
            )
            assert answer.status_code == 400

        # Telegram itself posting with a stale secret: refused and retried, never handled.
        assert telegram.webhook is not None
        telegram.webhook.secret_token = "secret_of_last_year"
        visitor.send("/start")
        await telegram.wait_for(lambda: len(telegram.webhook_posts) >= 2)
        assert {post.status for post in telegram.webhook_posts} == {401}
        assert bot.app.processed_update_id == 0
        assert telegram.sent_to(8008) == []
        # With the right secret again, the same update goes through, once.
        telegram.webhook.secret_token = SECRET
        await bot.settle()
        assert [m.plain for m in telegram.sent_to(8008) if START_REPLY in (m.plain or "")]
        assert len(telegram.sent_to(8008)) == 1


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_expose_and_count_an_update(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine
) -> None:
    handled = _sample("properbot_updates_total", kind="command", outcome="ok")
    timed = _sample("properbot_update_seconds_count", kind="command")
    sweeps = _sample("properbot_reminder_sweep_seconds_count")
    visitor = telegram.user(8008, "Tamu")
    visitor.send("/start")
    await bot.settle()
    await bot.sweep()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_web_app(engine)), base_url="http://bot"
    ) as client:
        answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    page = answer.text
    line = f'properbot_updates_total{{kind="command",outcome="ok"}} {handled + 1}'
    assert line in page
    assert f'properbot_update_seconds_count{{kind="command"}} {timed + 1}' in page
    for status in ("pending", "sending", "sent", "failed", "dropped"):
        assert f'properbot_outbox_messages{{status="{status}"}}' in page
    assert 'properbot_sends_total{outcome="sent"}' in page
    assert 'properbot_rate_limited_total{where="sender"}' in page
    assert f"properbot_reminder_sweep_seconds_count {sweeps + 1}" in page


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out, force=True)
    yield out
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_each_update_logs_one_json_line_with_its_latency(
    bot: RunningBot, telegram: FakeTelegram, json_log: io.StringIO
) -> None:
    visitor = telegram.user(8008, "Tamu")
    visitor.send("/start")
    visitor.send("halo")
    await bot.settle()
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    updates = [line for line in lines if line.get("logger") == "properbot.updates"]
    assert [(u["kind"], u["outcome"]) for u in updates] == [("command", "ok"), ("message", "ok")]
    assert all(isinstance(u["latency_ms"], float) and u["latency_ms"] >= 0 for u in updates)
    assert [u["update_id"] for u in updates] == [1, 2]


async def _get(engine: AsyncEngine, path: str) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_web_app(engine)), base_url="http://bot"
    ) as client:
        return await client.get(path)


async def test_health_and_readiness_on_a_current_database(engine: AsyncEngine) -> None:
    alive = await _get(engine, "/healthz")
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    ready = await _get(engine, "/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_not_ready_while_migrations_are_behind(engine: AsyncEngine) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    (head,) = script.get_heads()
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    async with engine.begin() as conn:
        await conn.execute(sql("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    try:
        answer = await _get(engine, "/readyz")
        assert answer.status_code == 503
        assert answer.json() == {
            "status": "not_ready",
            "reason": "migrations_pending",
            "database_revision": [previous],
            "expected_revision": [head],
        }
        assert (await _get(engine, "/healthz")).status_code == 200  # alive all the same
    finally:
        async with engine.begin() as conn:
            await conn.execute(sql("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert (await _get(engine, "/readyz")).status_code == 200


async def test_not_ready_when_the_database_is_unreachable(
    database_url: str, tmp_path: Path
) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        # A file that is no database (a folder that is gone fails the same way, but aiosqlite
        # then finishes its worker thread after the test's event loop has closed).
        broken = tmp_path / "broken.sqlite3"
        broken.write_bytes(b"this is not a SQLite database, just text " * 100)
        away = f"sqlite:///{broken}"
    else:
        # Port 1 on this machine: nothing listens there, the connection is refused.
        away = url.set(port=1).render_as_string(hide_password=False)
    engine = create_engine(away)
    try:
        answer = await _get(engine, "/readyz")
        metrics = await _get(engine, "/metrics")
    finally:
        await engine.dispose()
    assert answer.status_code == 503
    assert answer.json()["reason"] == "database_unavailable"
    # The metrics page still answers; only the queue's depth is left out.
    assert metrics.status_code == 200 and "properbot_updates_total" in metrics.text
    assert "properbot_outbox_messages{" not in metrics.text
