"""Open forms: the step a person has reached in a step-by-step form, and its draft."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime


class FormState(Base):
    """A person's one open form (/lapor, ...), read and written in the update's transaction,
    so any process that receives their next answer continues where the last one left off.

    `token` changes with every step: a button carries it, so a press on an older prompt is
    recognised as stale. A row past `expires_at` counts as closed.
    """

    __tablename__ = "form_state"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    form: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(40))
    draft: Mapped[dict[str, Any]] = mapped_column(JSON)
    token: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
