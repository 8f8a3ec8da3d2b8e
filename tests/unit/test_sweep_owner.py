"""One sweep owner: the scheduler's job is the very ReminderSweep that tests and the demo drive
through RunningBot, so its "since when" bookkeeping is shared, not copied."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.app import RUNNER, SWEEPER, build_application
from bot.harness import RunningBot, TrackingApplication
from bot.settings import Settings
from domain.clock import ManualClock
from models.db import create_engine, session_factory
from scheduler.runner import SWEEP_JOB_ID, Runner
from services.reminders import ReminderSweep, SweepResult

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    # In memory and never migrated: these sweeps plan nothing, they only open a transaction.
    engine = create_engine("sqlite+aiosqlite://")
    yield engine
    await engine.dispose()


class Recorded:
    """A stand-in for the sweep's planning step that notes how it was called."""

    def __init__(self) -> None:
        self.calls: list[tuple[datetime, datetime | None]] = []
        self.called = asyncio.Event()
        self.fail = False

    async def __call__(
        self, session: AsyncSession, now: datetime, *, since: datetime | None = None
    ) -> SweepResult:
        assert session.in_transaction()
        self.calls.append((now, since))
        self.called.set()
        if self.fail:
            raise RuntimeError("the database went away")
        return SweepResult()


def test_the_bot_hands_its_one_sweeper_to_the_scheduler_and_to_the_tests(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    settings = Settings(telegram_bot_token="123:test", evidence_dir=tmp_path / "evidence")
    app: Any = build_application(
        settings,
        clock=ManualClock(NOW),
        engine=engine,
        application_class=TrackingApplication,
        background=True,
    )
    sweeper = app.bot_data[SWEEPER]
    runner = app.bot_data[RUNNER]
    assert isinstance(sweeper, ReminderSweep) and isinstance(runner, Runner)
    assert runner.sweep is sweeper
    # What a test's `bot.sweep()` runs: the server is not needed to find it.
    assert RunningBot(app, server=None).sweeper is sweeper  # type: ignore[arg-type]

    # Without the background scheduler (tests, the demo) the sweeper is still the bot's own.
    quiet: Any = build_application(settings, engine=engine, background=False)
    assert RUNNER not in quiet.bot_data
    assert isinstance(quiet.bot_data[SWEEPER], ReminderSweep)


async def test_the_scheduler_job_is_the_sweepers_run_and_shares_its_bookkeeping(
    engine: AsyncEngine,
) -> None:
    clock = ManualClock(NOW)
    recorded, woken = Recorded(), asyncio.Event()
    sweeper = ReminderSweep(session_factory(engine), clock, wake=woken.set, plan=recorded)
    runner = Runner(sweep=sweeper)
    runner.start()
    try:
        assert runner.scheduler is not None
        job = runner.scheduler.get_job(SWEEP_JOB_ID)
        assert job.func == sweeper.run and job.func.__self__ is sweeper
        # The job runs at once on start: the first sweep of a process looks back LOOKBACK.
        await asyncio.wait_for(recorded.called.wait(), timeout=10)
        await asyncio.wait_for(woken.wait(), timeout=10)
        assert recorded.calls == [(NOW, None)]
    finally:
        await runner.shutdown()

    # A test sweeping by hand a minute later continues from the job's sweep, not afresh.
    clock.advance(timedelta(minutes=1))
    await sweeper.run()
    assert recorded.calls[-1] == (NOW + timedelta(minutes=1), NOW)
    assert sweeper.last == NOW + timedelta(minutes=1)


async def test_a_failed_sweep_is_looked_over_again(engine: AsyncEngine) -> None:
    clock = ManualClock(NOW)
    recorded = Recorded()
    sweeper = ReminderSweep(session_factory(engine), clock, plan=recorded)
    await sweeper.run()
    recorded.fail = True
    with pytest.raises(RuntimeError):
        await sweeper.run(NOW + timedelta(minutes=1))
    recorded.fail = False
    await sweeper(NOW + timedelta(minutes=2))
    # The failed sweep never committed: the next one looks back to the last that did.
    assert [since for _, since in recorded.calls] == [None, NOW, NOW]
    assert sweeper.last == NOW + timedelta(minutes=2)
