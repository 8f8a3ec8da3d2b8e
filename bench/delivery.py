"""Benchmark: an announcement to N people through the sender, then one reminder sweep over 100k.

The fake Bot API enforces Telegram's flood limits (30 messages/s overall, 1/s per chat, 429 with
retry_after); the sender drains the queue at its configured caps on the real clock. Reported:
the achieved rate as a fraction of the sender's cap, 429s received, messages lost (queued, never
delivered) and duplicated (delivered twice, from the fake server's log). Then 100,000
milestones are bulk-inserted and services.reminders.sweep is timed: the first sweep (which also
catches up on what fell due before it) and the steady one (median of five).

    .venv/bin/python bench/delivery.py --db sqlite
    .venv/bin/python bench/delivery.py --db postgresql   # creates/drops properbot_bench_delivery

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import _bench_path  # noqa: F401 (first: the project's packages before bench/)
from scratch import scratch_database
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.sender import Sender
from domain.clock import SystemClock
from domain.enums import AdvisorKind, Channel, Horizon, MilestoneStatus, OutboxStatus
from domain.roles import Role
from fakegram import FakeTelegram, RateLimits
from models import Assignment, ChannelAccount, Cohort, Membership, Milestone, Person, Project
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services import delivery
from services.outbox import Outgoing, enqueue
from services.reminders import sweep

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "properbot_bench_delivery"
# What the fake server enforces: Telegram's documented limits.
SERVER_LIMITS = RateLimits(per_second=30, per_chat_per_second=1, per_group_per_minute=20)
FIRST_CHAT = 200_000
MENTOR_CHAT = 199_999
COHORT = "PKN II Angkatan Benchmark"
TARGET_FRACTION = 0.9
TARGET_SWEEP_MS = 200.0
INSERT_CHUNK = 5_000

log = logging.getLogger("bench.delivery")


class BenchError(Exception):
    """The run could not be completed or measured."""


def database(kind: str, server_url: str) -> AbstractAsyncContextManager[str]:
    """A fresh, empty database URL for this benchmark; removed afterwards."""
    return scratch_database(kind, server_url, BENCH_DATABASE)


# --- seeding --------------------------------------------------------------------------------


async def bulk(session: AsyncSession, model: type, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        await session.execute(insert(model), rows[start : start + INSERT_CHUNK])


def telegram_account(user_id: int) -> ChannelAccount:
    return ChannelAccount(
        channel=Channel.TELEGRAM,
        external_user_id=str(user_id),
        chat_ref=str(user_id),
        reachable=True,
    )


async def seed_people(engine: AsyncEngine, n: int, now: datetime) -> tuple[int, list[int]]:
    """A cohort with N joined participants and their mentor; (cohort id, participant ids)."""
    sessions = session_factory(engine)
    joined = now - timedelta(days=30)
    async with sessions() as session, session.begin():
        cohort = Cohort(name=COHORT, organizer="BPSDM Benchmark", year=now.year, settings={})
        mentor = Person(
            full_name="Dr. Ir. Bambang Wijaya",
            joined_at=joined,
            consent_at=joined,
            accounts=[telegram_account(MENTOR_CHAT)],
        )
        session.add_all([cohort, mentor])
        await session.flush()
        await bulk(
            session,
            Person,
            [
                {
                    "full_name": f"Peserta Nomor {i + 1}",
                    "timezone": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")[i % 3],
                    "language": "id",
                    "joined_at": joined,
                    "consent_at": joined,
                }
                for i in range(n)
            ],
        )
        ids = list(
            await session.scalars(
                select(Person.id).where(Person.id != mentor.id).order_by(Person.id)
            )
        )
        await bulk(
            session,
            ChannelAccount,
            [
                {
                    "person_id": pid,
                    "channel": Channel.TELEGRAM,
                    "external_user_id": str(FIRST_CHAT + i),
                    "chat_ref": str(FIRST_CHAT + i),
                    "reachable": True,
                }
                for i, pid in enumerate(ids)
            ],
        )
        memberships = [
            {"cohort_id": cohort.id, "person_id": pid, "role": Role.PARTICIPANT, "active": True}
            for pid in ids
        ]
        memberships.append(
            {"cohort_id": cohort.id, "person_id": mentor.id, "role": Role.MENTOR, "active": True}
        )
        await bulk(session, Membership, memberships)
        await bulk(
            session,
            Assignment,
            [
                {
                    "cohort_id": cohort.id,
                    "participant_id": pid,
                    "advisor_id": mentor.id,
                    "kind": AdvisorKind.MENTOR,
                }
                for pid in ids
            ],
        )
        return cohort.id, ids


async def seed_milestones(
    engine: AsyncEngine, cohort_id: int, participants: list[int], total: int, now: datetime
) -> None:
    """`total` milestones spread over the participants' projects, due within a year around now."""
    async with session_factory(engine)() as session, session.begin():
        await bulk(
            session,
            Project,
            [
                {"cohort_id": cohort_id, "participant_id": pid, "title": f"Proyek Perubahan {i}"}
                for i, pid in enumerate(participants)
            ],
        )
        projects = list(await session.scalars(select(Project.id).order_by(Project.id)))
        today = now.date()
        statuses = (MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS, MilestoneStatus.APPROVED)
        await bulk(
            session,
            Milestone,
            [
                {
                    "project_id": projects[i % len(projects)],
                    "title": f"Tahapan kegiatan {i}",
                    "horizon": Horizon.SHORT,
                    "due_on": today + timedelta(days=(i * 7919) % 365 - 182),
                    "status": statuses[i % 3],
                    "progress_percent": (i * 37) % 101,
                    "created_at": now - timedelta(days=40),
                }
                for i in range(total)
            ],
        )


async def analyze(engine: AsyncEngine) -> None:
    """Fresh planner statistics, as autovacuum (or SQLite's optimize) would have by now."""
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))


# --- the announcement -------------------------------------------------------------------------


@dataclass
class Broadcast:
    n: int
    seconds: float
    rate: float
    http_429: int
    lost: int
    duplicated: int
    failed: int
    statuses: dict[str, int]


async def broadcast(
    engine: AsyncEngine, people: list[int], rate: float, chat_rate: float, deadline_s: float
) -> Broadcast:
    sessions: async_sessionmaker[AsyncSession] = session_factory(engine)
    clock = SystemClock()
    now = clock.now()
    async with FakeTelegram(rate_limits=SERVER_LIMITS) as server:
        for i in range(len(people)):
            server.user(FIRST_CHAT + i, f"Peserta {i + 1}")
        async with sessions() as session, session.begin():
            for i, person_id in enumerate(people):
                await enqueue(
                    session,
                    dedup_key=f"bench:{person_id}",
                    message=Outgoing(
                        "delivery.unreachable.admin",
                        {"name": f"Peserta Nomor {i + 1}", "cohort": COHORT, "at": now},
                    ),
                    not_before=now,
                    kind="broadcast",
                    recipient_id=person_id,
                )
        request = HTTPXRequest(connection_pool_size=16)
        async with Bot(server.token, base_url=server.base_url, request=request) as bot:
            sender = Sender(bot, sessions, clock, rate_per_s=rate, chat_rate_per_s=chat_rate)
            stop = asyncio.Event()
            task = asyncio.create_task(sender.run(stop))
            try:
                await server.wait_for(
                    lambda: (
                        len([c for c in server.calls_to("sendMessage") if c.ok]) >= len(people)
                        or task.done()
                    ),
                    timeout=deadline_s,
                    description="every message delivered",
                )
                # The last outcomes are being written: wait until nothing is in flight.
                while not task.done():
                    async with sessions() as session:
                        counts = await delivery.status_counts(session)
                    if not counts.get(OutboxStatus.PENDING) and not counts.get(
                        OutboxStatus.SENDING
                    ):
                        break
                    await asyncio.sleep(0.05)
            finally:
                stop.set()
                await task
        accepted = [c for c in server.calls_to("sendMessage") if c.ok]
        if len(accepted) < 2:
            raise BenchError(f"only {len(accepted)} message(s) delivered")
        span = accepted[-1].at - accepted[0].at
        per_chat = Counter(int(c.params["chat_id"]) for c in accepted)
        async with sessions() as session:
            statuses = await delivery.status_counts(session)
        expected = {FIRST_CHAT + i for i in range(len(people))}
        return Broadcast(
            n=len(people),
            seconds=span,
            rate=(len(accepted) - 1) / span if span > 0 else float("inf"),
            http_429=server.rate_limited,
            lost=len(expected - set(per_chat)),
            duplicated=sum(count - 1 for count in per_chat.values() if count > 1),
            failed=statuses.get(OutboxStatus.FAILED, 0),
            statuses=statuses,
        )


# --- the sweep --------------------------------------------------------------------------------


async def time_sweep(engine: AsyncEngine) -> tuple[float, Any]:
    sessions = session_factory(engine)
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        result = await sweep(session, datetime.now(UTC))
    return (time.perf_counter() - started) * 1000, result


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    async with database(args.db, args.postgres) as url:
        engine = create_engine(url)
        try:
            await upgrade(engine)
            now = datetime.now(UTC)
            cohort_id, people = await seed_people(engine, args.n, now)
            print(f"broadcast to {args.n} people at {args.rate}/s (server allows 30/s) ...")
            b = await broadcast(engine, people, args.rate, args.chat_rate, args.timeout)
            print(
                f"  {b.n} messages in {b.seconds:.1f} s = {b.rate:.2f}/s "
                f"({b.rate / args.rate:.3f} of the cap); 429s {b.http_429}; lost {b.lost}; "
                f"duplicated {b.duplicated}; statuses {b.statuses}"
            )
            print(f"inserting {args.milestones} milestones ...")
            filled = time.perf_counter()
            await seed_milestones(engine, cohort_id, people, args.milestones, now)
            await analyze(engine)
            print(f"  {time.perf_counter() - filled:.1f} s")
            # The first sweep after the fill also catches up on what fell due before it (as
            # after downtime); the steady figure is what each minute's sweep costs from then on.
            sweep_ms, result = await time_sweep(engine)
            planned = getattr(result, "planned_total", None)
            stale = getattr(result, "stale_total", None)
            steady_ms = statistics.median([(await time_sweep(engine))[0] for _ in range(5)])
            print(
                f"  first sweep {sweep_ms:.1f} ms (planned {planned}, stale {stale}); "
                f"steady sweep {steady_ms:.1f} ms (median of 5)"
            )
        finally:
            await engine.dispose()
    fraction = b.rate / args.rate
    ok = (
        fraction >= TARGET_FRACTION
        and b.lost == 0
        and b.duplicated == 0
        and steady_ms < TARGET_SWEEP_MS
    )
    return {
        "db": args.db,
        "n": args.n,
        "rate_cap_per_s": args.rate,
        "achieved_per_s": round(b.rate, 2),
        "rate_fraction_of_cap": round(fraction, 3),
        "http_429": b.http_429,
        "lost": b.lost,
        "duplicated": b.duplicated,
        "failed": b.failed,
        "milestones": args.milestones,
        "sweep_planned": planned,
        "sweep_ms_100k": round(sweep_ms, 1),
        "sweep_stale": stale,
        "sweep_ms_100k_steady": round(steady_ms, 1),
        "targets_met": ok,
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--n", type=int, default=2000, help="recipients (default 2000)")
    parser.add_argument("--rate", type=float, default=25.0, help="sender cap, messages/s")
    parser.add_argument("--chat-rate", type=float, default=1.0, help="sender cap per chat")
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument(
        "--postgres",
        default=POSTGRES_SERVER,
        help=f"server to create/drop the {BENCH_DATABASE!r} database on",
    )
    parser.add_argument("--timeout", type=float, default=900, help="broadcast, seconds")
    args = parser.parse_args(argv)
    if args.n < 2:
        parser.error("--n must be at least 2")
    if args.rate <= 0 or args.chat_rate <= 0:
        parser.error("rates must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = asyncio.run(main_async(args))
    except (BenchError, OSError, TimeoutError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result), flush=True)
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
