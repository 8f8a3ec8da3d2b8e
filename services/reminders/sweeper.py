"""The sweep, and its one owner: `ReminderSweep` is what the scheduler's job runs every minute
and what tests, the demo and the benchmark call, with the same "since when" bookkeeping."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock, SystemClock
from services.reminders.core import (
    LOOKBACK,
    ReminderKind,
    SweepResult,
    SweepState,
    cohort_settings,
    vacations,
)
from services.reminders.planning import plan
from services.reminders.queries import ZONES
from services.reminders.registry import KINDS

log = logging.getLogger(__name__)


async def sweep(
    session: AsyncSession,
    now: datetime,
    *,
    since: datetime | None = None,
    kinds: Sequence[ReminderKind] = KINDS,
) -> SweepResult:
    """Plan every reminder whose moment has come into the outbox; count those missed.

    `since`: when the previous sweep that committed ran; None looks back `LOOKBACK`. Runs in
    the caller's transaction: rolled back, it planned nothing, and the next sweep plans the
    same messages under the same keys.
    """
    result = SweepResult()
    start = now - LOOKBACK if since is None else min(max(since, now - LOOKBACK), now)
    state = SweepState(
        now=now,
        missed_after=start,
        cohorts=await cohort_settings(session, result),
        vacations=await vacations(session, now),
        zone_names=list(await session.scalars(ZONES)),
    )
    if not state.zone_names:
        return result  # nobody has joined: nobody to remind
    for kind in kinds:
        await kind.find(session, state)
    await plan(session, state, result, kinds)
    if result.planned_total or result.stale_total:
        log.info("reminders: planned %s, stale %s", dict(result.planned), dict(result.stale))
    return result


class Plan(Protocol):
    """What one sweep does inside its transaction: `sweep` (a test may hand in its own)."""

    def __call__(
        self, session: AsyncSession, now: datetime, *, since: datetime | None = None
    ) -> Awaitable[SweepResult]: ...


class ReminderSweep:
    """One sweep in its own transaction, told when the previous committed sweep ran, so it
    looks back only over the gap since then; then the sender is woken to look at once.

    One per bot process: the scheduler's job is this object's `run`, and tests and the demo
    call the same object (RunningBot.sweep), so what runs is what is tested. The first sweep
    of a process (after a restart) looks back the full `LOOKBACK`.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock | None = None,
        *,
        wake: Callable[[], None] | None = None,
        plan: Plan = sweep,
    ) -> None:
        self.sessions = sessions
        self.clock: Clock = clock or SystemClock()
        # When the last sweep that committed ran; None until the first one did.
        self.last: datetime | None = None
        self._wake = wake
        self._plan = plan

    async def run(self, now: datetime | None = None) -> SweepResult:
        """Sweep as of `now` (the clock's time if not given) and return what it did."""
        now = self.clock.now() if now is None else now
        async with self.sessions() as session, session.begin():
            result = await self._plan(session, now, since=self.last)
        self.last = now  # only once committed: a failed sweep is looked over again
        log.debug("reminder sweep: %s", result)
        if self._wake is not None:
            self._wake()
        return result

    async def __call__(self, now: datetime | None = None) -> SweepResult:
        return await self.run(now)
