"""`properbot run` as a child process, for tests that need real processes (kill -9, two
instances on one database): started with an environment, its port read from its start-up
line, its log kept for the assertion message."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import httpx

# The start-up line names where the web server listens (WEB_PORT=0 takes any free port).
_WEB_LINE = re.compile(r"http://127\.0\.0\.1:(\d+)")
START_TIMEOUT_S = 60


async def web_port(stderr: asyncio.StreamReader, seen: list[str]) -> int:
    """The port `properbot run` names in its start-up line (WEB_PORT=0: any free one); the
    lines read on the way are kept in `seen`."""
    while True:
        line = (await stderr.readline()).decode()
        if not line:
            raise AssertionError("properbot run ended before naming its port:\n" + "".join(seen))
        seen.append(line)
        found = _WEB_LINE.search(line)
        if found:
            return int(found.group(1))


async def until_listening(base: str) -> None:
    """`properbot run` and `web` name their port before they have migrated and listen."""
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(START_TIMEOUT_S * 10):
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"nothing listening at {base}")


async def drain(stderr: asyncio.StreamReader, seen: list[str]) -> None:
    """The rest of its log: at DEBUG the bot writes a lot, and a full pipe would stall it."""
    while line := await stderr.readline():
        seen.append(line.decode())


class RunProcess:
    """One `properbot run`; `log` holds its stderr lines as they arrive."""

    def __init__(self, name: str, env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.env = {**env, "INSTANCE_NAME": name, "WEB_PORT": "0"}
        self.cwd = cwd
        self.log: list[str] = []
        self.port = 0
        self._process: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.returncode

    def tail(self, chars: int = 3000) -> str:
        return "".join(self.log)[-chars:]

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            cwd=self.cwd, env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self._process.stderr is not None
        self.port = await asyncio.wait_for(
            web_port(self._process.stderr, self.log), START_TIMEOUT_S
        )
        self._drain = asyncio.create_task(drain(self._process.stderr, self.log))

    async def kill(self) -> None:
        """kill -9: no goodbye, its locks go with its connections."""
        assert self._process is not None
        self._process.kill()
        await self._process.wait()
        await self._finish_reading()

    async def stop(self) -> None:
        """Ctrl-C, as an operator would, if it still runs."""
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGINT)
            await asyncio.wait_for(self._process.wait(), START_TIMEOUT_S)
        await self._finish_reading()

    async def _finish_reading(self) -> None:
        if self._drain is not None:
            await self._drain
            self._drain = None
