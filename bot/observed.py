"""The update loop, observed: one log line and the metrics per update, and the sweep timed."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import Application, Job

from services.reminders.core import SweepResult
from services.reminders.sweeper import Plan
from web import metrics

log = logging.getLogger("properbot.updates")

# The outcome of the update being handled, shared with process_error (same task, or a task
# created from it, which copies the context and so sees the same list).
_OUTCOME: ContextVar[list[str] | None] = ContextVar("properbot_update_outcome", default=None)


def update_kind(update: Update) -> str:
    """What kind of update this is, for logs and metrics: a command apart from other messages."""
    message = update.message
    if message is not None:
        entities = message.entities
        if entities and entities[0].type == "bot_command" and entities[0].offset == 0:
            return "command"
        return "message"
    for kind in Update.ALL_TYPES:
        if getattr(update, kind, None) is not None:
            return str(kind)
    return "other"


class ObservedApplication(Application):  # type: ignore[type-arg]
    """PTB's Application, timing each update and noting whether its handlers failed."""

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        outcome = ["ok"]
        token = _OUTCOME.set(outcome)
        started = time.perf_counter()
        try:
            await super().process_update(update)
        except BaseException:
            outcome[0] = "error"
            raise
        finally:
            _OUTCOME.reset(token)
            seconds = time.perf_counter() - started
            kind = update_kind(update)
            metrics.record_update(kind, outcome[0], seconds)
            if log.isEnabledFor(logging.INFO):
                latency_ms = round(seconds * 1000, 1)
                log.info(
                    "update %s %s %s in %.1f ms",
                    update.update_id,
                    kind,
                    outcome[0],
                    latency_ms,
                    extra={
                        "update_id": update.update_id,
                        "kind": kind,
                        "outcome": outcome[0],
                        "latency_ms": latency_ms,
                    },
                )

    async def process_error(
        self,
        update: object | None,
        error: Exception,
        job: Job[Any] | None = None,
        coroutine: Any = None,
    ) -> bool:
        """A handler failed: the update's outcome is an error (then PTB's error handlers)."""
        current = _OUTCOME.get()
        if current is not None and update is not None:
            current[0] = "error"
        if isinstance(error, RetryAfter):
            metrics.RATE_LIMITED.labels("update").inc()
        return await super().process_error(update, error, job, coroutine)


def observed_sweep(plan: Plan) -> Plan:
    """The reminder sweep's `plan`, its duration recorded in the metrics."""

    def timed(
        session: AsyncSession, now: datetime, *, since: datetime | None = None
    ) -> Awaitable[SweepResult]:
        async def run() -> SweepResult:
            started = time.perf_counter()
            try:
                return await plan(session, now, since=since)
            finally:
                metrics.SWEEP_SECONDS.observe(time.perf_counter() - started)

        return run()

    return timed
