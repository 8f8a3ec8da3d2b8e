"""The delivery queue: every message to someone other than the person the bot is talking with.

A message is stored as a catalog key with its parameters, not as finished text, so it is
rendered when it is sent, in the recipient's language and time zone as they are then; any
front end (Telegram now, WhatsApp later) can render it. Each logical message has a unique
`dedup_key`, so planning the same reminder twice, or after a restart, queues it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import OutboxStatus
from models import OutboxMessage


@dataclass(frozen=True)
class Button:
    """An inline button: its label is a catalog key; it carries callback data or a URL."""

    label_key: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """What to say: a catalog key and parameters. Aware datetimes in `params` are printed in
    the recipient's zone and language at send time; everything else must be JSON-friendly."""

    key: str
    # Aware datetimes print as date and time in the recipient's zone; dates as dates.
    params: dict[str, Any] = field(default_factory=dict)
    buttons: list[list[Button]] = field(default_factory=list)
    # Files re-sent by Telegram file_id: [{"kind": "photo"|"document", "file_id": ...}]
    media: list[dict[str, str]] = field(default_factory=list)
    # The report (progress_update id) the message carries, if any: once sent, it is recorded
    # as a relay of that report to its recipient, so replies thread and its buttons work.
    thread: int | None = None

    def to_payload(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        moments: dict[str, str] = {}
        days: dict[str, str] = {}
        for name, value in self.params.items():
            if isinstance(value, datetime):
                if value.tzinfo is None:
                    raise ValueError(f"naive datetime in parameter {name!r}")
                moments[name] = value.isoformat()
            elif isinstance(value, date):
                days[name] = value.isoformat()
            else:
                params[name] = value
        return {
            "key": self.key,
            "params": params,
            "moments": moments,
            "dates": days,
            "buttons": [
                [
                    {"label_key": b.label_key, "callback_data": b.callback_data, "url": b.url}
                    for b in row
                ]
                for row in self.buttons
            ],
            "media": self.media,
            **({"thread": self.thread} if self.thread is not None else {}),
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Outgoing:
        params = dict(payload.get("params", {}))
        for name, iso in payload.get("moments", {}).items():
            params[name] = datetime.fromisoformat(iso)
        for name, iso in payload.get("dates", {}).items():
            params[name] = date.fromisoformat(iso)
        return cls(
            key=payload["key"],
            params=params,
            buttons=[[Button(**b) for b in row] for row in payload.get("buttons", [])],
            media=list(payload.get("media", [])),
            thread=payload.get("thread"),
        )


async def enqueue(
    session: AsyncSession,
    *,
    dedup_key: str,
    message: Outgoing,
    not_before: datetime,
    kind: str,
    recipient_id: int | None = None,
    chat_id: int | None = None,
    cohort_id: int | None = None,
    broadcast_id: int | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue a message unless one with this key exists already; True when it was queued.

    `now` is the injected clock's time, recorded as when the message was created (the
    database's own clock otherwise, which a demo or a test running on other time contradicts).

    Either a person (`recipient_id`: their chat is looked up at send time) or a raw chat
    (`chat_id`, for a cohort's group) receives it.
    """
    if (recipient_id is None) == (chat_id is None):
        raise ValueError("give exactly one of recipient_id and chat_id")
    values = {
        "dedup_key": dedup_key,
        "recipient_id": recipient_id,
        "chat_id": chat_id,
        "payload": message.to_payload(),
        "not_before": not_before,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "kind": kind,
        "cohort_id": cohort_id,
        "broadcast_id": broadcast_id,
        "expires_at": expires_at,
        "maybe_repeated": False,
    }
    if now is not None:
        values["created_at"] = now
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cancel(session: AsyncSession, dedup_prefix: str) -> int:
    """Drop every message not yet sent whose key starts with the prefix; returns how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedup_key.startswith(dedup_prefix, autoescape=True),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.DROPPED, last_error="cancelled")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def pending_keys(session: AsyncSession, dedup_prefix: str) -> list[str]:
    return list(
        await session.scalars(
            select(OutboxMessage.dedup_key).where(
                OutboxMessage.dedup_key.startswith(dedup_prefix, autoescape=True),
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
    )
