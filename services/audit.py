"""Writing and reading the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, Person


def record(
    session: AsyncSession,
    action: str,
    *,
    at: datetime,
    actor_id: int | None = None,
    actor_label: str | None = None,
    cohort_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry to the session's transaction; it lands or rolls back with the change."""
    entry = AuditEntry(
        action=action,
        at=at,
        actor_id=actor_id,
        actor_label=actor_label,
        cohort_id=cohort_id,
        details=details or {},
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as `properbot audit` prints it."""

    at: datetime
    actor_name: str | None  # the acting person's name, when a person acted
    actor_label: str | None  # e.g. "cli:rina", when the command line acted
    action: str
    details: dict[str, Any]


async def cohort_log(session: AsyncSession, cohort_id: int, *, limit: int) -> list[AuditLine]:
    """The newest `limit` entries of a cohort's audit log, oldest first."""
    rows = await session.execute(
        select(AuditEntry, Person.full_name)
        .outerjoin(Person, Person.id == AuditEntry.actor_id)
        .where(AuditEntry.cohort_id == cohort_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    lines = [
        AuditLine(
            at=entry.at,
            actor_name=name,
            actor_label=entry.actor_label,
            action=entry.action,
            details=dict(entry.details or {}),
        )
        for entry, name in rows.tuples()
    ]
    return lines[::-1]
