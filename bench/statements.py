"""Benchmark: what one SQL statement costs in CPU beside the database's own work.

Two comparisons, each side by side in one run, alternated:

* SQLite through aiosqlite's worker thread (a plain `create_async_engine`) against the
  project's engine (`models.db.create_engine`: the calls on the loop's own thread,
  `models/sqlite_inline.py`), for a transaction of one SELECT and one UPDATE.
* A statement built on a mapped class (ORM-enabled, copied and its cache key computed again on
  every run) against the same statement built on the table (Core), for an UPDATE and a SELECT
  of three columns, run with parameters in one transaction.

The last line is one JSON object with the figures in microseconds of CPU per statement or
transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, cast

import _bench_path  # noqa: F401 (first: the project's packages before bench/)
from scratch import scratch_database
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from updates import POSTGRES_SERVER

from models import FormState
from models.db import create_engine, normalize_url, session_factory
from models.migrate import upgrade

BENCH_DATABASE = "properbot_bench_statements"
TABLE = cast(Table, FormState.__table__)
STATEMENTS: dict[str, Any] = {
    "update_orm": update(FormState)
    .where(FormState.person_id == bindparam("p"))
    .values(step=bindparam("new_step"))
    .execution_options(synchronize_session=False),
    "update_core": update(TABLE)
    .where(TABLE.c.person_id == bindparam("p"))
    .values(step=bindparam("new_step")),
    "select_orm": select(FormState.form, FormState.step, FormState.draft).where(
        FormState.person_id == bindparam("p")
    ),
    "select_core": select(TABLE.c.form, TABLE.c.step, TABLE.c.draft).where(
        TABLE.c.person_id == bindparam("p")
    ),
}


async def per_statement_us(engine: AsyncEngine, statement: Any, rounds: int) -> float:
    async with session_factory(engine)() as session, session.begin():
        params = {"p": 1, "new_step": "x"}
        for _ in range(50):
            await session.execute(statement, params)
        started = time.process_time()
        for _ in range(rounds):
            await session.execute(statement, params)
        return (time.process_time() - started) / rounds * 1e6


async def per_transaction_us(engine: AsyncEngine, rounds: int) -> float:
    read, write = STATEMENTS["select_core"], STATEMENTS["update_core"]
    sessions = session_factory(engine)

    async def once() -> None:
        async with sessions() as session, session.begin():
            await session.execute(read, {"p": 1})
            await session.execute(write, {"p": 1, "new_step": "x"})

    for _ in range(50):
        await once()
    started = time.process_time()
    for _ in range(rounds):
        await once()
    return (time.process_time() - started) / rounds * 1e6


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"db": args.db}
    async with scratch_database(args.db, args.postgres, BENCH_DATABASE) as url:
        engine = create_engine(url)
        await upgrade(engine)
        try:
            samples: dict[str, list[float]] = {name: [] for name in STATEMENTS}
            for _ in range(args.repeats):
                for name, statement in STATEMENTS.items():
                    samples[name].append(await per_statement_us(engine, statement, args.rounds))
            figures.update({f"{k}_us": round(min(v), 1) for k, v in samples.items()})
            if args.db == "sqlite":
                # aiosqlite as it comes: its worker thread, SQLite's own busy handler.
                threaded = create_async_engine(normalize_url(url))
                try:
                    runs: dict[str, list[float]] = {"thread": [], "loop": []}
                    for _ in range(args.repeats):
                        runs["thread"].append(await per_transaction_us(threaded, args.rounds))
                        runs["loop"].append(await per_transaction_us(engine, args.rounds))
                finally:
                    await threaded.dispose()
                figures["transaction_aiosqlite_thread_us"] = round(min(runs["thread"]), 1)
                figures["transaction_loop_thread_us"] = round(min(runs["loop"]), 1)
        finally:
            await engine.dispose()
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=2000, help="runs per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternations (the best is kept)")
    parser.add_argument("--postgres", default=POSTGRES_SERVER, help="PostgreSQL server URL")
    args = parser.parse_args(argv)
    figures = asyncio.run(main_async(args))
    for key, value in figures.items():
        print(f"{key:36} {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
