"""Benchmark: what the ingredients of one bot update cost in CPU, measured one by one.

The floor under `bench/updates.py`: an echo bot needs one Bot API call per update; a bot that
knows who is talking and writes each report step (with its form state) to its database needs
a transaction with a lookup, a write and, for a button, one more call (answerCallbackQuery).
Each is timed here in isolation, in one process, against the same local fake Bot API server
and the same databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import _bench_path  # noqa: F401 (first: the project's packages before bench/)
from scratch import scratch_database
from sqlalchemy import select, update
from telegram import Bot
from updates import FIRST_PARTICIPANT_ID, POSTGRES_SERVER, participant_nip, seed

from domain.enums import Channel
from fakegram import FakeTelegram
from models import ChannelAccount, Milestone, Person
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services.people import load_actor

BENCH_DATABASE = "properbot_bench_floor"


async def cpu_ms(rounds: int, step: Callable[[int], Awaitable[object]]) -> float:
    """CPU milliseconds of this process per call of `step` (after a short warm-up)."""
    for i in range(min(20, rounds)):
        await step(i)
    started = time.process_time()
    for i in range(rounds):
        await step(i)
    return (time.process_time() - started) * 1000 / rounds


async def measure(url: str, rounds: int) -> dict[str, float]:
    engine = create_engine(url)
    results: dict[str, float] = {}
    try:
        await upgrade(engine)
        await seed(engine, 50, datetime.now(UTC))
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            milestone_ids = list(await session.scalars(select(Milestone.id)))
            # A joined participant, as every update in bench/updates.py comes from one.
            person_id = await session.scalar(
                select(Person.id).where(Person.nip == participant_nip(0))
            )
            assert person_id is not None
            session.add(
                ChannelAccount(
                    person_id=person_id,
                    channel=Channel.TELEGRAM,
                    external_user_id=str(FIRST_PARTICIPANT_ID),
                    chat_ref=str(FIRST_PARTICIPANT_ID),
                    reachable=True,
                )
            )
        zone = ZoneInfo("Asia/Jakarta")

        async def actor(session: object) -> None:
            await load_actor(
                session,  # type: ignore[arg-type]
                Channel.TELEGRAM,
                str(FIRST_PARTICIPANT_ID),
                global_admin=False,
                default_language="id",
                default_zone=zone,
                language_hint="id",
                display_name="Bench",
            )

        async def transaction_with_lookup(_: int) -> None:
            async with sessions() as session, session.begin():
                await actor(session)

        async def transaction_with_lookup_and_write(i: int) -> None:
            async with sessions() as session, session.begin():
                await actor(session)
                await session.execute(
                    update(Milestone)
                    .where(Milestone.id == milestone_ids[i % len(milestone_ids)])
                    .values(progress_percent=i % 101)
                )

        results["transaction_with_lookup"] = await cpu_ms(rounds, transaction_with_lookup)
        results["transaction_with_lookup_and_write"] = await cpu_ms(
            rounds, transaction_with_lookup_and_write
        )

    finally:
        await engine.dispose()

    # One Bot API call through PTB's client to the fake server (both in this process).
    async with FakeTelegram(bot_username="floor_bench_bot") as server:
        user = server.user(100_000, "Bench")
        user.send("/start")
        async with Bot(server.token, base_url=server.base_url) as bot:

            async def send(i: int) -> None:
                await bot.send_message(user.id, f"Pesan {i}")

            results["api_call"] = await cpu_ms(rounds, send)
    return results


async def main_async(args: argparse.Namespace) -> dict[str, float]:
    async with scratch_database(args.db, args.postgres, BENCH_DATABASE) as url:
        return await measure(url, args.rounds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--postgres", default=POSTGRES_SERVER)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    results = asyncio.run(main_async(args))
    for name, ms in results.items():
        print(f"{name:36}{ms:8.3f} ms CPU")
    summary = {"db": args.db, "load_avg_1m": round(load, 2)}
    summary.update({k: round(v, 3) for k, v in results.items()})
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
