"""`properbot run` as an operator starts it: migrations applied, then it answers over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from fakegram import FakeTelegram

TOKEN = "424242424:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


async def test_run_migrates_then_answers_and_stops_cleanly(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeTelegram(token=TOKEN, bot_username="properbot_run_bot") as server:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_ROOT": server.api_root,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "INFO",
            # Any free port for /healthz and /metrics: runs side by side never collide.
            "WEB_PORT": "0",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            visitor = server.user(8008, "Tamu")
            visitor.send("/start")
            reply = await visitor.next_reply(timeout=60)
            assert "kode undangan" in (reply.plain or "")
            assert server.menu_for(8008) == [
                ("start", "Mulai atau masukkan kode undangan"),
                ("bantuan", "Bantuan dan daftar perintah"),
            ]
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, stderr.decode()
        assert TOKEN not in stderr.decode()  # the token never reaches the log
