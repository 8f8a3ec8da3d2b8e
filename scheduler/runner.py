"""The scheduler: an APScheduler job that triggers the reminder sweep, and the sender's loop.

Jobs only trigger work. What is due lives in our tables (milestones, seminars, the outbox),
so the job store is in memory: a restart loses nothing, and fixed job ids with
replace_existing mean a redeploy never adds a second copy of a job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from services.reminders import sweep as reminder_sweep

log = logging.getLogger(__name__)

SWEEP_JOB_ID = "reminders.sweep"
SWEEP_EVERY = timedelta(minutes=1)


class Sweep(Protocol):
    def __call__(
        self, session: AsyncSession, now: datetime, *, since: datetime | None = None
    ) -> Awaitable[object]: ...


class Drainer(Protocol):
    """What the scheduler needs of the sender (bot.sender.Sender)."""

    async def run(self, stop_event: asyncio.Event) -> None: ...

    def wake(self) -> None: ...


class Runner:
    """Starts the sweep job and the sender loop; stops both. One instance per bot run."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        sender: Drainer | None = None,
        sweep: Sweep | None = None,
        sweep_every: timedelta = SWEEP_EVERY,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._sender = sender
        self._sweep: Sweep = sweep or reminder_sweep
        self._sweep_every = sweep_every
        self._scheduler: AsyncIOScheduler | None = None
        self._stop = asyncio.Event()
        self._sender_task: asyncio.Task[None] | None = None
        self._last_sweep: datetime | None = None

    @property
    def scheduler(self) -> AsyncIOScheduler | None:
        return self._scheduler

    def start(self) -> None:
        """Schedule the sweep (first run at once: catch up after downtime) and start sending.

        Call from a running event loop (the Application's post_init).
        """
        if self._scheduler is not None:
            raise RuntimeError("this Runner is already started")
        scheduler = AsyncIOScheduler(
            timezone=UTC,
            jobstores={"default": MemoryJobStore()},
            # A sweep that finds the previous one still running, or that woke up late after a
            # pause, runs once rather than piling up: each sweep looks at everything due.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        scheduler.add_job(
            self.sweep_once,
            "interval",
            seconds=self._sweep_every.total_seconds(),
            id=SWEEP_JOB_ID,
            name="plan due reminders into the outbox",
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
        self._scheduler = scheduler
        if self._sender is not None:
            self._sender_task = asyncio.get_running_loop().create_task(
                self._sender.run(self._stop), name="properbot-sender"
            )
            self._sender_task.add_done_callback(_report_crash)
        sending = "running" if self._sender is not None else "off"
        log.info("scheduler started: sweep every %s, sender %s", self._sweep_every, sending)

    async def sweep_once(self) -> object:
        """One reminder sweep in its own transaction, then the sender looks at once.

        The sweep is told when the previous committed one ran, so a minute's sweep looks back
        one minute; the first after a start looks back over any downtime.
        """
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            result = await self._sweep(session, now, since=self._last_sweep)
        self._last_sweep = now  # only once committed: a failed sweep is looked over again
        log.debug("reminder sweep: %s", result)
        if self._sender is not None:
            self._sender.wake()
        return result

    async def shutdown(self) -> None:
        """Stop the jobs, let the sender finish the sends in flight, and wait for it."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        self._stop.set()
        task, self._sender_task = self._sender_task, None
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        log.info("scheduler stopped")


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the sender stopped with an error", exc_info=task.exception())
