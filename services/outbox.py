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

# The kind of a relay: a report, a correction or a note passed on from one person to another
# (and the word to its author when it could not be). What the harness sends at once.
RELAY = "relay"


@dataclass(frozen=True)
class Button:
    """An inline button: its label is a catalog key; it carries callback data or a URL."""

    label_key: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class MessageRef:
    """A message in a chat, as the channel names both (Telegram: the chat's and the message's
    ids, in decimal; WhatsApp: the person's wa_id and the wamid)."""

    chat_ref: str
    message_ref: str

    def to_json(self) -> dict[str, str]:
        return {"chat": self.chat_ref, "message": self.message_ref}

    @classmethod
    def from_json(cls, data: Any) -> MessageRef | None:
        if not isinstance(data, dict):
            return None
        chat, message = data.get("chat"), data.get("message")
        if isinstance(chat, str) and isinstance(message, str) and chat and message:
            return cls(chat, message)
        # Queued before references were strings: Telegram's numbers.
        chat_id, message_id = data.get("chat_id"), data.get("message_id")
        if isinstance(chat_id, int) and isinstance(message_id, int):
            return cls(str(chat_id), str(message_id))
        return None


@dataclass(frozen=True)
class Undelivered:
    """What to tell whom if a message finally cannot be delivered: a relay's author hears
    that it did not reach its recipient, under their receipt (`reply_to`) when there is one.
    The reason is added as the parameter `reason` when it is known."""

    recipient_id: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    reply_to: MessageRef | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "recipient_id": self.recipient_id,
            "key": self.key,
            "params": self.params,
            **({"reply_to": self.reply_to.to_json()} if self.reply_to else {}),
        }

    @classmethod
    def from_json(cls, data: Any) -> Undelivered | None:
        if not isinstance(data, dict) or not isinstance(data.get("recipient_id"), int):
            return None
        return cls(
            recipient_id=data["recipient_id"],
            key=str(data.get("key", "")),
            params=dict(data.get("params") or {}),
            reply_to=MessageRef.from_json(data.get("reply_to")),
        )


def file_item(
    kind: str,
    *,
    sha256: str | None,
    channel: str | None = None,
    ref: str | None = None,
    caption: str | None = None,
    file_name: str | None = None,
) -> dict[str, str]:
    """A file for `Outgoing.media`; `kind` is "photo" or "document". A channel adapter sends
    it by `ref` when the recipient is on `channel` (no upload), else uploads the stored bytes.
    Items queued before this shape have only "file_id": a Telegram reference."""
    if kind not in ("photo", "document"):
        raise ValueError(f"unknown file kind {kind!r}")
    if sha256 is None and not (channel and ref):
        raise ValueError("a file needs its stored bytes or a channel reference")
    item = {"kind": kind}
    optional = {
        "sha256": sha256,
        "channel": channel,
        "ref": ref if channel else None,
        "caption": caption,
        "file_name": file_name,
    }
    item.update({name: value for name, value in optional.items() if value})
    return item


@dataclass(frozen=True)
class Outgoing:
    """What to say: a catalog key and parameters. Aware datetimes in `params` are printed in
    the recipient's zone and language at send time; everything else must be JSON-friendly."""

    key: str
    # Aware datetimes print as date and time in the recipient's zone; dates as dates.
    params: dict[str, Any] = field(default_factory=dict)
    buttons: list[list[Button]] = field(default_factory=list)
    # Files sent before the text, each a `file_item`: the bytes' key in the evidence store
    # and the file's reference on the channel it came by, re-used when the recipient is on
    # that channel. A caption is the sender's own words, sent as plain text.
    media: list[dict[str, str]] = field(default_factory=list)
    # The report (progress_update id) the message carries, if any: once sent, every message
    # it took is recorded as a relay of that report to its recipient, so replies thread and
    # its buttons work; `note`: the feedback note it carries, for replies to thread under.
    thread: int | None = None
    note: int | None = None
    # Sent as an answer to this message (when it is in the recipient's chat).
    reply_to: MessageRef | None = None
    # Who is told, and how, when it finally cannot be delivered.
    undelivered: Undelivered | None = None

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
            **({"note": self.note} if self.note is not None else {}),
            **({"reply_to": self.reply_to.to_json()} if self.reply_to else {}),
            **({"undelivered": self.undelivered.to_json()} if self.undelivered else {}),
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
            note=payload.get("note"),
            reply_to=MessageRef.from_json(payload.get("reply_to")),
            undelivered=Undelivered.from_json(payload.get("undelivered")),
        )


def settled(payload: dict[str, Any]) -> dict[str, Any]:
    """A relay's payload once it is sent or given up: what it was (its key) and which thread
    it belonged to, without the words and files it carried. Those are in the recipient's chat
    (or never will be) and the report itself; the queue does not keep a second copy of
    anyone's words, which an erasure would otherwise have to find."""
    return {name: payload[name] for name in ("key", "thread", "note") if name in payload}


async def enqueue(
    session: AsyncSession,
    *,
    dedup_key: str,
    message: Outgoing,
    not_before: datetime,
    kind: str,
    recipient_id: int | None = None,
    group_id: int | None = None,
    cohort_id: int | None = None,
    broadcast_id: int | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue a message unless one with this key exists already; True when it was queued.

    `now` is the injected clock's time, recorded as when the message was created (the
    database's own clock otherwise, which a demo or a test running on other time contradicts).

    Either a person (`recipient_id`: their account and chat are looked up at send time) or a
    cohort's group chat (`group_id`, a cohort_group row) receives it.
    """
    if (recipient_id is None) == (group_id is None):
        raise ValueError("give exactly one of recipient_id and group_id")
    values = {
        "dedup_key": dedup_key,
        "recipient_id": recipient_id,
        "group_id": group_id,
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
