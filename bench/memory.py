"""Idle memory of `properbot run`: resident set size after start, before any heavy command.

Starts the real command as an operator would, against the fake Bot API server on a fresh SQLite
database, waits until it answers a /start, lets it sit idle, then reads VmRSS (and VmHWM, the
peak) from /proc. Runs `--repeat` times and reports the median. It also counts which heavy
packages with native code (matplotlib, numpy, PIL) are mapped into the idle process: those are
needed only by /rekap, /ekspor and the PDFs, so an idle bot should not carry them.

    .venv/bin/python bench/memory.py [--repeat 3] [--idle 3]

Last line: one JSON object with the figures (kB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
from pathlib import Path

import _bench_path  # noqa: F401 (first: the project's packages before bench/)

from fakegram import FakeTelegram

TOKEN = "424242424:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
NATIVE_HEAVY_PACKAGES = ("matplotlib", "numpy", "PIL")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def _read_figures(pid: int) -> dict[str, int]:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {
        "rss_kb": _status_kb(pid, "VmRSS"),
        "peak_kb": _status_kb(pid, "VmHWM"),
        # A package with native code that was imported maps its .so files.
        "heavy_libraries_mapped": sum(1 for name in NATIVE_HEAVY_PACKAGES if f"/{name}/" in maps),
    }


async def _one_run(idle_s: float) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as folder:
        async with FakeTelegram(token=TOKEN, bot_username="properbot_mem_bot") as server:
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_ROOT": server.api_root,
                "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                "EVIDENCE_DIR": f"{folder}/evidence",
                "LOG_LEVEL": "WARNING",
                # The web server (health, metrics) on any free port, so runs never collide.
                "WEB_PORT": "0",
            }
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run",
                cwd=folder, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            try:
                visitor = server.user(8008, "Tamu")
                visitor.send("/start")
                await visitor.next_reply(timeout=120)
                await asyncio.sleep(idle_s)
                figures = _read_figures(process.pid)
            finally:
                process.send_signal(signal.SIGINT)
                _, stderr = await asyncio.wait_for(process.communicate(), 60)
            if process.returncode != 0:
                raise RuntimeError(stderr.decode()[-2000:])
            return figures


async def main_async(args: argparse.Namespace) -> int:
    runs = [await _one_run(args.idle) for _ in range(args.repeat)]
    rss = [r["rss_kb"] for r in runs]
    result = {
        "bench": "memory",
        "repeat": args.repeat,
        "idle_s": args.idle,
        "rss_kb_runs": rss,
        "rss_kb_median": int(statistics.median(rss)),
        "rss_mb_median": round(statistics.median(rss) / 1024, 1),
        "peak_kb_median": int(statistics.median(r["peak_kb"] for r in runs)),
        "heavy_libraries_mapped": max(r["heavy_libraries_mapped"] for r in runs),
        "goal_mb": 100,
    }
    print(
        f"idle RSS of `properbot run`: median {result['rss_mb_median']} MB over {args.repeat} "
        f"runs (goal < 100 MB); heavy libraries mapped: {result['heavy_libraries_mapped']}"
    )
    print(json.dumps(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--idle", type=float, default=3.0, help="seconds idle before reading")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
