"""Writing the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry


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
