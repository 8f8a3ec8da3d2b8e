"""`properbot run` in webhook mode, as an operator starts it behind a TLS proxy: it registers
the webhook, answers through it, serves health, readiness and metrics, and logs JSON without
ever printing the token or the webhook secret, even at DEBUG."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from fakegram import FakeTelegram
from tests.integration.processes import drain, web_port

TOKEN = "424242424:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
URL = "https://bot.bpsdm.example.go.id/telegram/webhook"
SECRET = "rahasia_Webhook-2026"


async def test_run_in_webhook_mode_answers_and_logs_no_secret(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeTelegram(token=TOKEN, bot_username="properbot_run_bot") as server:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_ROOT": server.api_root,
            "DATABASE_URL": database_url,
            "TELEGRAM_WEBHOOK_URL": URL,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": "0",
            "LOG_LEVEL": "DEBUG",
            "LOG_FORMAT": "json",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stderr is not None
        seen: list[str] = []
        try:
            port = await asyncio.wait_for(web_port(process.stderr, seen), 60)
            reading = asyncio.create_task(drain(process.stderr, seen))
            server.webhook_forward = f"http://127.0.0.1:{port}"
            await server.wait_for(lambda: server.webhook, timeout=60)
            assert server.webhook is not None and server.webhook.url == URL
            visitor = server.user(8008, "Tamu")
            visitor.send("/start")
            reply = await visitor.next_reply(timeout=60)
            assert "kode undangan" in (reply.plain or "")
            assert server.calls_to("getUpdates") == []
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                assert (await client.get("/healthz")).status_code == 200
                assert (await client.get("/readyz")).json() == {"status": "ready"}
                metrics = (await client.get("/metrics")).text
                assert 'properbot_updates_total{kind="command",outcome="ok"} 1.0' in metrics
                refused = await client.post("/telegram/webhook", json={"update_id": 5})
                assert refused.status_code == 401
        finally:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), 60)
        await reading
    log = "".join(seen)
    assert process.returncode == 0, log[-3000:]
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert SECRET not in log
    records = [json.loads(line) for line in seen if line.startswith("{")]
    assert any(r["level"] == "debug" for r in records)  # DEBUG was really on
    (update,) = [r for r in records if r.get("logger") == "properbot.updates"]
    assert update["kind"] == "command" and update["outcome"] == "ok"
    assert isinstance(update["latency_ms"], float)
    assert any("refused" in r["event"] for r in records)


def test_an_http_webhook_or_a_missing_secret_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "http://bot.bpsdm.example.go.id/hook")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "TELEGRAM_WEBHOOK_URL" in err and "HTTPS" in err
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", URL)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "TELEGRAM_WEBHOOK_SECRET" in err and "TELEGRAM_WEBHOOK_URL" in err
    assert not (tmp_path / "properbot.db").exists()  # nothing was started


async def test_run_by_polling_serves_health_and_counts_updates_too(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeTelegram(token=TOKEN, bot_username="properbot_run_bot") as server:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_ROOT": server.api_root,
            "DATABASE_URL": database_url,
            "WEB_PORT": "0",
            "LOG_LEVEL": "INFO",
        }
        for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET", "LOG_FORMAT"):
            env.pop(name, None)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stderr is not None
        seen: list[str] = []
        try:
            port = await asyncio.wait_for(web_port(process.stderr, seen), 60)
            reading = asyncio.create_task(drain(process.stderr, seen))
            visitor = server.user(8008, "Tamu")
            visitor.send("/start")
            await visitor.next_reply(timeout=60)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                assert (await client.get("/healthz")).status_code == 200
                assert (await client.get("/readyz")).status_code == 200
                metrics = (await client.get("/metrics")).text
                assert 'properbot_updates_total{kind="command",outcome="ok"} 1.0' in metrics
                # No webhook in polling mode: its path is not served.
                assert (await client.post("/telegram/webhook", json={})).status_code == 404
        finally:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), 60)
        await reading
    log = "".join(seen)
    assert process.returncode == 0, log[-3000:]
    assert server.calls_to("deleteWebhook") and server.calls_to("getUpdates")
    assert "latency_ms=" in log and TOKEN not in log  # console lines carry the fields
