"""A cohort's audit log for the web desk: its entries filtered by action, actor and local
dates, newest first, and the actions it holds (for the filter's choices).

Read only; access is checked by the caller (services.web_desk.managed), as for every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, Person

# One page shows this many entries; the CSV export takes up to EXPORT_LIMIT.
PAGE_LIMIT = 200
EXPORT_LIMIT = 50_000
ACTOR_LIMIT = 100  # characters of a typed actor filter
EXPORT_ACTION = "audit.export"


@dataclass(frozen=True)
class AuditFilter:
    """What to show: empty fields filter nothing. Dates are local days in the viewer's zone."""

    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return bool(self.action or self.actor or self.since or self.until)


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_name: str | None
    actor_label: str | None
    action: str
    details: dict[str, Any]


def parse_filter(raw: dict[str, str]) -> tuple[AuditFilter, list[str]]:
    """The filter from the page's query (aksi, pelaku, dari, sampai); the names of fields
    that could not be read (they then filter nothing)."""
    bad: list[str] = []

    def day(name: str) -> date | None:
        value = raw.get(name, "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            bad.append(name)
            return None

    found = AuditFilter(
        action=raw.get("aksi", "").strip()[:60],
        actor=" ".join(raw.get("pelaku", "").split())[:ACTOR_LIMIT],
        since=day("dari"),
        until=day("sampai"),
    )
    return found, bad


async def cohort_actions(session: AsyncSession, cohort_id: int) -> list[str]:
    """The actions this cohort's log holds, alphabetically."""
    rows = await session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.cohort_id == cohort_id)
        .distinct()
        .order_by(AuditEntry.action)
    )
    return list(rows)


def _query(cohort_id: int, wanted: AuditFilter, zone: ZoneInfo) -> Select[tuple[AuditEntry, str]]:
    query = (
        select(AuditEntry, Person.full_name)
        .outerjoin(Person, Person.id == AuditEntry.actor_id)
        .where(AuditEntry.cohort_id == cohort_id)
    )
    if wanted.action:
        query = query.where(AuditEntry.action == wanted.action)
    if wanted.actor:
        words = wanted.actor.lower()
        query = query.where(
            or_(
                func.lower(Person.full_name).contains(words, autoescape=True),
                func.lower(AuditEntry.actor_label).contains(words, autoescape=True),
            )
        )
    if wanted.since is not None:
        query = query.where(AuditEntry.at >= _start_of(wanted.since, zone))
    if wanted.until is not None:
        query = query.where(AuditEntry.at < _start_of(wanted.until + timedelta(days=1), zone))
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


async def cohort_entries(
    session: AsyncSession, cohort_id: int, wanted: AuditFilter, zone: ZoneInfo, *, limit: int
) -> tuple[list[AuditRow], bool]:
    """The newest `limit` matching entries, and whether there are more."""
    rows = (await session.execute(_query(cohort_id, wanted, zone).limit(limit + 1))).tuples()
    found = [
        AuditRow(
            id=entry.id,
            at=entry.at,
            actor_name=name,
            actor_label=entry.actor_label,
            action=entry.action,
            details=dict(entry.details or {}),
        )
        for entry, name in rows
    ]
    return found[:limit], len(found) > limit
