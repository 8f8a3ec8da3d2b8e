"""The update inbox: every incoming update stored once, then handled once, in each lane's order."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, event, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models import InboxUpdate

log = logging.getLogger(__name__)

PENDING, DONE = "pending", "done"
STATUSES = (PENDING, DONE)
SHARED_LANE = "shared"
# PostgreSQL: the advisory lock inserts queue on (see store(); migrations and the active
# worker use ...0001 and ...0002), and how long a transaction holding it may sit idle.
STORE_LOCK_KEY = 0x70726F7065720003
STORE_IDLE_LIMIT_MS = 10_000

# The inbox row whose update is being handled in this task, so the update's own transaction
# can mark it done (handlers/turn.py): then a crash after that commit never runs it again.
current_row: ContextVar[int | None] = ContextVar("properbot_inbox_row", default=None)
# Set while an update runs again after an interrupted attempt: what that attempt already did
# with Telegram (answering a button press, which Telegram takes only once) may be refused.
rerun: ContextVar[bool] = ContextVar("properbot_inbox_rerun", default=False)
# Set while an update's steps after its main transaction run (Turn.after_commit): the work
# they commit (a downloaded photo added to a form) is the update's last, so any commit marks
# the row done with it.
mark_on_commit: ContextVar[bool] = ContextVar("properbot_inbox_mark_on_commit", default=False)


@dataclass(frozen=True)
class InboxEntry:
    """One thing to store: its unique key on its channel, its lane and what it carries."""

    key: str
    lane: str
    payload: dict[str, Any]
    # Telegram's numeric update_id; None on channels whose keys are strings.
    update_id: int | None = None


@dataclass(frozen=True)
class InboxRow:
    id: int
    channel: str
    update_id: int | None
    lane: str
    payload: dict[str, Any]
    attempts: int
    received_at: datetime
    # The channel's key (InboxUpdate.external_id): a wamid, "status:<wamid>:<status>", or
    # Telegram's update_id in decimal.
    key: str = ""

    @property
    def token_seed(self) -> str:
        """What the form step tokens this update draws derive from (domain.forms.tokens_from):
        the same for every attempt at it, different for every update, and not guessable from
        what the person sees (the moment of arrival, to the microsecond)."""
        key = self.key or self.update_id
        return f"{self.channel}:{key}:{self.id}:{self.received_at.isoformat()}"


def lane_of(payload: dict[str, Any]) -> str:
    """The lane an update is ordered in, from its JSON: its user, else its chat.

    Mirrors bot.processor.lane_of (PTB's effective_user, then effective_chat)."""
    for key, value in payload.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        sender = value.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return f"user:{sender['id']}"
        chat = value.get("chat")
        if chat is None and isinstance(value.get("message"), dict):
            chat = value["message"].get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return f"chat:{chat['id']}"
    return SHARED_LANE


def _insert_ignoring_duplicates(dialect: str) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(InboxUpdate).on_conflict_do_nothing(
            index_elements=["channel", "external_id"]
        )
    if dialect == "sqlite":
        return sqlite.insert(InboxUpdate).on_conflict_do_nothing(
            index_elements=["channel", "external_id"]
        )
    raise NotImplementedError(f"no inbox for {dialect}: use SQLite or PostgreSQL")


async def store(
    session: AsyncSession, channel: str, payload: dict[str, Any], now: datetime
) -> bool:
    """Store one Telegram update; False when it was stored before (a retried post): nothing
    changes.

    Call it in a transaction of its own, committed at once (the webhook answers after it)."""
    update_id = payload["update_id"]
    entry = InboxEntry(str(update_id), lane_of(payload), payload, update_id)
    return await store_entries(session, channel, [entry], now) == 1


async def store_entries(
    session: AsyncSession, channel: str, entries: Sequence[InboxEntry], now: datetime
) -> int:
    """Store what one post brought (a WhatsApp post may carry several messages and statuses);
    how many were new: those stored before (a retried post) are left as they are.

    Call it in a transaction of its own, committed at once (the webhook answers after it)."""
    if not entries:
        return 0
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # Posts arrive at once (Telegram's max_connections, several instances), and a row's id
        # is drawn when it is inserted, not when it commits: a row could become visible after
        # one with a higher id, which the worker, reading past the highest id it has seen,
        # would pass over. Inserting one at a time, each until its commit, makes ids visible
        # in order. A holder gone quiet mid-transaction loses its session (so the lock) soon.
        await connection.execute(
            text(
                "SELECT set_config('idle_in_transaction_session_timeout', :idle, true), "
                "pg_advisory_xact_lock(:key)"
            ),
            {"idle": str(STORE_IDLE_LIMIT_MS), "key": STORE_LOCK_KEY},
        )
    insert = _insert_ignoring_duplicates(connection.dialect.name)
    new = 0
    for entry in entries:
        result = await connection.execute(
            insert,
            {
                "channel": channel,
                "external_id": entry.key,
                "update_id": entry.update_id,
                "lane": entry.lane,
                "payload": entry.payload,
                "status": PENDING,
                "attempts": 0,
                "received_at": now,
            },
        )
        new += int(bool(result.rowcount))
    return new


async def pending(session: AsyncSession, *, after_id: int, limit: int) -> list[InboxRow]:
    """Pending rows after `after_id`, in arrival order."""
    rows = (
        await session.scalars(
            select(InboxUpdate)
            .where(InboxUpdate.status == PENDING, InboxUpdate.id > after_id)
            .order_by(InboxUpdate.id)
            .limit(limit)
        )
    ).all()
    return [
        InboxRow(
            r.id,
            r.channel,
            r.update_id,
            r.lane,
            dict(r.payload),
            r.attempts,
            r.received_at,
            r.external_id,
        )
        for r in rows
    ]


# Built once, run with parameters, as every update runs them (building a statement costs
# SQLAlchemy about twice what running it does); on the table, not the mapped class, so the
# statement is not copied and its cache key computed again on every run (services/forms.py).
_INBOX = cast(Table, InboxUpdate.__table__)
_START_ATTEMPT = (
    update(_INBOX)
    .where(_INBOX.c.id == bindparam("row_id"))
    .values(attempts=_INBOX.c.attempts + 1)
    .returning(_INBOX.c.attempts)
)
_MARK_DONE = (
    update(_INBOX)
    .where(_INBOX.c.id == bindparam("row_id"), _INBOX.c.status == PENDING)
    .values(status=DONE, done_at=bindparam("done"))
)


async def start_attempt(session: AsyncSession, row_id: int) -> int:
    """Count one more attempt of a row whose handling starts now; the attempts before it."""
    attempts = await session.scalar(_START_ATTEMPT, {"row_id": row_id})
    return int(attempts or 1) - 1


async def mark_done(session: AsyncSession, row_id: int, now: datetime) -> bool:
    """The row is handled; False when it already was (in its handler's transaction)."""
    result = await session.execute(_MARK_DONE, {"row_id": row_id, "done": now})
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_current_done(session: AsyncSession, now: datetime) -> None:
    """Within an update's transaction: its inbox row (if it came from the inbox) is done."""
    row_id = current_row.get()
    if row_id is not None:
        await mark_done(session, row_id, now)


async def depth(session: AsyncSession) -> dict[str, int]:
    """Rows by status."""
    rows = (
        await session.execute(select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status))
    ).all()
    counts = {str(status): int(n) for status, n in rows}
    return {status: counts.get(status, 0) for status in STATUSES}


def _mark_with_the_commit(session: Session) -> None:
    row_id = current_row.get()
    if row_id is None or not mark_on_commit.get():
        return
    # Runs inside the commit (SQLAlchemy's asyncio bridge allows a synchronous execute here).
    session.execute(_MARK_DONE, {"row_id": row_id, "done": datetime.now(UTC)})


def mark_rows_with_later_commits() -> None:
    """Install, once per process, the hook behind `mark_on_commit` (the active worker does)."""
    if not event.contains(Session, "before_commit", _mark_with_the_commit):
        event.listen(Session, "before_commit", _mark_with_the_commit)
