"""The scheduler: an APScheduler job that triggers the reminder sweep, and the sender's loop.

Jobs only trigger work. What is due lives in our tables (milestones, seminars, the outbox),
so the job store is in memory: a restart loses nothing, and fixed job ids with
replace_existing mean a redeploy never adds a second copy of a job.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from services.reminders import ReminderSweep

log = logging.getLogger(__name__)

SWEEP_JOB_ID = "reminders.sweep"
SWEEP_EVERY = timedelta(minutes=1)


class Drainer(Protocol):
    """What the scheduler needs of the sender (bot.sender.Sender)."""

    async def run(self, stop_event: asyncio.Event) -> None: ...

    def wake(self) -> None: ...


class Runner:
    """Starts the sweep job and the sender loop; stops both. One instance per bot run.

    The job is the `ReminderSweep` it is given, as it is: that object keeps the "since when"
    of the sweeps, runs each in its transaction and wakes the sender, and the composition root
    hands the same one to whatever drives sweeps by hand (tests, the demo).
    """

    def __init__(
        self,
        *,
        sweep: ReminderSweep,
        sender: Drainer | None = None,
        sweep_every: timedelta = SWEEP_EVERY,
    ) -> None:
        self._sweep = sweep
        self._sender = sender
        self._sweep_every = sweep_every
        self._scheduler: AsyncIOScheduler | None = None
        self._stop = asyncio.Event()
        self._sender_task: asyncio.Task[None] | None = None

    @property
    def scheduler(self) -> AsyncIOScheduler | None:
        return self._scheduler

    @property
    def sweep(self) -> ReminderSweep:
        return self._sweep

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
            # A bound coroutine method, so APScheduler awaits it on the loop.
            self._sweep.run,
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

    def abort(self) -> None:
        """Stop at once, sends in flight included: the worker lost its lock, and another
        instance may take over any moment (a cut send goes again, logged, as after a kill)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        self._stop.set()
        task, self._sender_task = self._sender_task, None
        if task is not None:
            task.cancel()
        log.warning("scheduler and sender stopped at once")


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the sender stopped with an error", exc_info=task.exception())
