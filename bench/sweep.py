"""Benchmark: one reminder sweep (services.reminders.sweep) over 100,000 milestones.

A cohort of 10,000 joined participants in WIB, WITA and WIT (10 milestones each, due within
half a year either side of today, a third of them approved), 1,250 mentors, one report per
participant in the last 10 days. Core bulk inserts fill it; then the three days before are
swept hourly as a running bot would have (untimed), and the sweep at 07.55 WIB is timed: the
busiest minute, when Palembang's 08.00 reminders for the day are planned. Also timed: the
minute after (nothing new: most minutes are like it), and a catch-up sweep after three days
down.

    .venv/bin/python bench/sweep.py --db sqlite
    .venv/bin/python bench/sweep.py --db postgresql   # creates/drops properbot_bench_sweep

The last line printed is one JSON object. `time_sweep(url)` is what bench/delivery.py calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time as clock
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import _bench_path  # noqa: F401 (first: the project's packages before bench/)
import asyncpg
from scratch import scratch_database
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.enums import AdvisorKind, Channel, Horizon, MilestoneStatus, UpdateStatus
from domain.roles import Role
from models import (
    Assignment,
    ChannelAccount,
    Cohort,
    Membership,
    Milestone,
    Person,
    ProgressUpdate,
    Project,
)
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services.reminders import PLAN_AHEAD, Sweeper, SweepResult

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "properbot_bench_sweep"
TARGET_MS = 200.0
MILESTONES_PER_PARTICIPANT = 10
PARTICIPANTS_PER_MENTOR = 8
ZONES = ("Asia/Jakarta",) * 6 + ("Asia/Makassar",) * 3 + ("Asia/Jayapura",)
# Bench people get Telegram ids far above real ones, so a shared database keeps its own.
TELEGRAM_ID_BASE = 9_000_000_000


@dataclass(frozen=True)
class Timings:
    milestones: int
    fill_s: float
    busiest_ms: float  # 07.55 WIB: Palembang's 08.00 reminders for the day are planned
    busiest_planned: int
    idle_ms: float  # the minute after: nothing new
    catch_up_ms: float  # back after three days down
    catch_up_planned: int
    catch_up_stale: int


async def seed(engine: AsyncEngine, milestones: int, now: datetime) -> int:
    """The cohort, its people and `milestones` milestones; returns the cohort id."""
    participants = max(1, milestones // MILESTONES_PER_PARTICIPANT)
    mentors = max(1, participants // PARTICIPANTS_PER_MENTOR)
    joined = now - timedelta(days=60)
    today = now.date()
    async with session_factory(engine)() as session, session.begin():
        suffix = int(await session.scalar(select(func.coalesce(func.max(Cohort.id), 0))) or 0)
        cohort_id = await session.scalar(
            insert(Cohort)
            .values(name=f"PKN II Angkatan Benchmark {suffix + 1}", settings={})
            .returning(Cohort.id)
        )
        assert cohort_id is not None
        base = TELEGRAM_ID_BASE + cohort_id * 10_000_000
        people = [
            {
                "full_name": f"{'Mentor' if i < mentors else 'Peserta'} {i}",
                "timezone": ZONES[(i // 10) % len(ZONES)],  # independent of i % 10 below
                "language": "id",
                "joined_at": joined,
                "consent_at": joined,
            }
            for i in range(mentors + participants)
        ]
        ids = list(
            await session.scalars(
                insert(Person).returning(Person.id, sort_by_parameter_order=True), people
            )
        )
        await session.execute(
            insert(ChannelAccount),
            [
                {
                    "person_id": pid,
                    "channel": Channel.TELEGRAM,
                    "external_user_id": str(base + i),
                    "chat_ref": str(base + i),
                    "reachable": True,
                }
                for i, pid in enumerate(ids)
            ],
        )
        mentor_ids, participant_ids = ids[:mentors], ids[mentors:]
        await session.execute(
            insert(Membership),
            [
                {"cohort_id": cohort_id, "person_id": pid, "role": role, "active": True}
                for role, group in ((Role.MENTOR, mentor_ids), (Role.PARTICIPANT, participant_ids))
                for pid in group
            ],
        )
        await session.execute(
            insert(Assignment),
            [
                {
                    "cohort_id": cohort_id,
                    "participant_id": pid,
                    "advisor_id": mentor_ids[i % mentors],
                    "kind": AdvisorKind.MENTOR,
                }
                for i, pid in enumerate(participant_ids)
            ],
        )
        await session.execute(
            insert(Project),
            [
                {"cohort_id": cohort_id, "participant_id": pid, "title": f"Proyek {i}"}
                for i, pid in enumerate(participant_ids)
            ],
        )
        project_ids = list(
            await session.scalars(
                select(Project.id).where(Project.cohort_id == cohort_id).order_by(Project.id)
            )
        )
        statuses = (MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS, MilestoneStatus.APPROVED)
        await session.execute(
            insert(Milestone),
            [
                {
                    "project_id": project_ids[i % len(project_ids)],
                    "title": f"Tahapan kegiatan {i}",
                    "horizon": Horizon.SHORT,
                    # A stride prime to 365 spreads the dates evenly over the year.
                    "due_on": today + timedelta(days=(i * 7919) % 365 - 182),
                    "status": statuses[i % 3],
                    "progress_percent": (i * 37) % 101,
                    "created_at": joined,
                    "updated_at": joined,
                }
                for i in range(milestones)
            ],
        )
        first_milestone = {
            project_id: milestone_id
            for milestone_id, project_id in (
                await session.execute(
                    select(func.min(Milestone.id), Milestone.project_id)
                    .where(Milestone.project_id.in_(project_ids))
                    .group_by(Milestone.project_id)
                )
            ).tuples()
        }
        # One report each, 0-9 days ago, none answered yet: nudges and feedback reminders
        # have work too.
        await session.execute(
            insert(ProgressUpdate),
            [
                {
                    "milestone_id": first_milestone[project_id],
                    "author_id": pid,
                    "text": "Laporan kemajuan",
                    "progress_percent": 50,
                    "status": UpdateStatus.SUBMITTED,
                    "submitted_at": now - timedelta(days=i % 10, hours=3),
                }
                for i, (pid, project_id) in enumerate(
                    zip(participant_ids, project_ids, strict=True)
                )
                if project_id in first_milestone
            ],
        )
    async with engine.begin() as conn:
        # Fresh planner statistics, as autovacuum (or SQLite's optimize) would have by now.
        await conn.execute(text("ANALYZE"))
    return cohort_id


async def _timed(sweeper: Sweeper, moment: datetime) -> tuple[float, SweepResult]:
    started = clock.perf_counter()
    result = await sweeper(moment)
    return (clock.perf_counter() - started) * 1000, result


async def measure(database_url: str, milestones: int = 100_000) -> Timings:
    """Fill the database, sweep the days before as a running bot would, and time the sweeps."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        today = datetime.now(UTC).date()
        # Palembang's 08.00 reminders are planned PLAN_AHEAD early: 07.55 WIB is the peak.
        wib_morning = datetime.combine(today, time(1, 0), tzinfo=UTC)
        busiest = wib_morning - PLAN_AHEAD
        filled = clock.perf_counter()
        await seed(engine, milestones, busiest)
        fill_s = clock.perf_counter() - filled
        # The bot has been running: the scheduler's sweeper went through each zone's morning
        # (07.55 WIT, WITA and WIB are 22.55, 23.55 and 00.55 UTC) of the last three days.
        sweeper = Sweeper(session_factory(engine))
        for hours in range(-3 * 24 - 2, 0):
            await sweeper(busiest + timedelta(hours=hours))
        await sweeper(busiest - timedelta(minutes=1))
        busiest_ms, busy = await _timed(sweeper, busiest)
        idle_ms, _ = await _timed(sweeper, busiest + timedelta(minutes=1))
        # Then the bot is down for three days and comes back at the same minute.
        catch_up_ms, back = await _timed(sweeper, busiest + timedelta(days=3))
        return Timings(
            milestones=milestones,
            fill_s=fill_s,
            busiest_ms=busiest_ms,
            busiest_planned=busy.planned_total,
            idle_ms=idle_ms,
            catch_up_ms=catch_up_ms,
            catch_up_planned=back.planned_total,
            catch_up_stale=back.stale_total,
        )
    finally:
        await engine.dispose()


async def time_sweep(database_url: str, milestones: int = 100_000) -> float:
    """Milliseconds of the busiest regular sweep (07.55 WIB) over `milestones` milestones.

    Adds its own cohort and people to the database at `database_url` (migrating it first),
    so a benchmark database already in use can be given.
    """
    return (await measure(database_url, milestones)).busiest_ms


def database(kind: str, server_url: str) -> AbstractAsyncContextManager[str]:
    """A fresh, empty database URL for this benchmark; removed afterwards."""
    return scratch_database(kind, server_url, BENCH_DATABASE)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    async with database(args.db, args.postgres) as url:
        t = await measure(url, args.milestones)
    print(
        f"{args.db}: {t.milestones} milestones inserted in {t.fill_s:.1f} s; "
        f"sweep at 07.55 WIB {t.busiest_ms:.1f} ms (planned {t.busiest_planned}); "
        f"the minute after {t.idle_ms:.1f} ms; after 3 days down {t.catch_up_ms:.1f} ms "
        f"(planned {t.catch_up_planned}, stale {t.catch_up_stale})"
    )
    return {
        "db": args.db,
        "milestones": t.milestones,
        "sweep_ms": round(t.busiest_ms, 1),
        "sweep_planned": t.busiest_planned,
        "idle_sweep_ms": round(t.idle_ms, 1),
        "catch_up_sweep_ms": round(t.catch_up_ms, 1),
        "catch_up_planned": t.catch_up_planned,
        "catch_up_stale": t.catch_up_stale,
        "target_ms": TARGET_MS,
        "ok": t.busiest_ms < TARGET_MS,
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument(
        "--postgres",
        default=POSTGRES_SERVER,
        help=f"server to create/drop the {BENCH_DATABASE!r} database on",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = asyncio.run(main_async(args))
    except (OSError, asyncpg.PostgresError) as exc:
        print(json.dumps({"db": args.db, "ok": False, "error": str(exc)}))
        return 2
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
