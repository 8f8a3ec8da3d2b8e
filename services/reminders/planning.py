"""Into the outbox: the messages a sweep found due, planned once each under their keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, bindparam, cast, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import OutboxStatus
from models import OutboxMessage
from services.outbox import Outgoing
from services.reminders.core import CANCELLED, STALE, ReminderKind, SweepResult, SweepState

# Bound parameters per query stay far below SQLite's and asyncpg's limit (32,766).
KEYS_PER_QUERY = 5000

_EXISTING = select(OutboxMessage.dedup_key).where(
    OutboxMessage.dedup_key.in_(bindparam("keys", expanding=True))
)

_INSERT = {
    name: insert(OutboxMessage)
    .on_conflict_do_nothing(index_elements=["dedup_key"])
    .returning(OutboxMessage.dedup_key)
    for name, insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}


async def existing(session: AsyncSession, keys: list[str]) -> set[str]:
    """Which of these keys the outbox holds already."""
    found: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        found.update(await session.scalars(_EXISTING, {"keys": chunk}))
    return found


async def plan(
    session: AsyncSession, state: SweepState, result: SweepResult, kinds: Sequence[ReminderKind]
) -> None:
    """Queue every message found due that is not queued yet; count them in `result`."""
    if not state.candidates:
        return
    # What a kind's own query left out needs no lookup (nudges, feedback reminders, ...).
    filtered = {kind.name for kind in kinds if kind.filtered_in_sql}
    found = await existing(
        session, [c.key for c in state.candidates.values() if c.kind not in filtered]
    )
    new = [c for key, c in state.candidates.items() if key not in found]
    if not new:
        return
    finished: dict[str, Outgoing | None] = {}
    for kind in kinds:
        mine = [c for c in new if c.kind == kind.name]
        if kind.finish is not None and mine:
            finished.update(await kind.finish(session, mine))
    rows: list[dict[str, Any]] = []
    for candidate in new:
        message = finished[candidate.key] if candidate.key in finished else candidate.build()
        if message is None:
            continue
        timing = candidate.timing
        rows.append(
            {
                "dedup_key": candidate.key,
                "recipient_id": candidate.recipient_id,
                "chat_id": None,
                "payload": message.to_payload(),
                "not_before": timing.at,
                # A missed one is kept as a record of what the downtime cost, never sent.
                "status": OutboxStatus.DROPPED if timing.stale else OutboxStatus.PENDING,
                "last_error": STALE if timing.stale else None,
                "attempts": 0,
                "kind": candidate.kind,
                "cohort_id": candidate.cohort_id,
                "broadcast_id": None,
                "expires_at": timing.expires,
                "maybe_repeated": False,
                "created_at": state.now,
            }
        )
    for key in await enqueue_all(session, rows):
        candidate = state.candidates[key]
        (result.stale if candidate.timing.stale else result.planned)[candidate.kind] += 1


async def enqueue_all(session: AsyncSession, rows: list[dict[str, Any]]) -> list[str]:
    """services.outbox.enqueue for many messages in one executemany (a morning's reminders
    one INSERT at a time cost seconds); returns the keys queued. A key queued meanwhile by
    another sweep is skipped, exactly as enqueue skips it."""
    if not rows:
        return []
    connection = await session.connection()
    inserted = await connection.execute(_INSERT[connection.dialect.name], rows)
    return list(inserted.scalars())


async def release_cancelled(session: AsyncSession, prefix: str) -> None:
    """Give the keys of messages cancelled before they were sent back, so the sweep may plan
    them again should their moment return (a date moved away and back)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedup_key.startswith(prefix, autoescape=True),
            OutboxMessage.status == OutboxStatus.DROPPED,
            OutboxMessage.last_error == CANCELLED,  # what outbox.cancel records
            ~OutboxMessage.dedup_key.contains("~", autoescape=True),  # released before
        )
        .values(dedup_key=OutboxMessage.dedup_key + "~" + cast(OutboxMessage.id, String))
        .execution_options(synchronize_session=False)
    )
