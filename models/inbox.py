"""The update inbox and the workers' shared flags: what several instances coordinate through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime

# A WhatsApp status key is its wamid with a prefix and the status; Meta's wamids are ~60.
EXTERNAL_ID_LENGTH = 200


class InboxUpdate(Base):
    """One incoming update, stored before its webhook is answered (or once polling fetched it).

    (channel, external_id) is unique, so a retried post is stored once. The active worker handles
    pending rows in arrival order per lane (the person, else the chat); a row turns `done` in the
    same transaction as its handler's database work, so a crash never makes it count twice.
    """

    __tablename__ = "inbox_update"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_inbox_update_channel_external_id"),
        # The worker's only query: the pending rows in arrival order.
        Index("ix_inbox_update_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    # What the channel calls it, unique per channel: Telegram's update_id in decimal, a
    # WhatsApp message's wamid, "status:<wamid>:<status>" for a WhatsApp status.
    external_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_LENGTH))
    # Telegram's update_id as a number too (ordering, logs, tools); None on other channels.
    update_id: Mapped[int | None] = mapped_column(BigInteger)
    # The ordering lane, e.g. "user:123", "chat:-100" or "wa:62812..."; one lane's rows run one
    # after another.
    lane: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending, then done.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # How often a worker started it: above 1, an earlier attempt was cut (its replies may repeat).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WorkerFlag(Base):
    """A named moment shared by every instance: the sender's 429 pause, who is active."""

    __tablename__ = "worker_flag"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    holder: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
