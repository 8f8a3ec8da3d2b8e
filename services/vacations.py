"""Cuti: date ranges (in the person's own zone) on which a person gets no reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Vacation
from services.errors import UserFacingError
from services.projects import NotYours

# Longer than a leave usually lasts; mostly catches a mistyped year or month.
MAX_DAYS = 60
MAX_UPCOMING = 10


@dataclass(frozen=True)
class VacationView:
    id: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class Added:
    vacation: VacationView
    merged: bool  # it overlapped or touched leave already recorded, and now covers both
    from_today: bool  # it started in the past and was recorded from today


def _view(row: Vacation) -> VacationView:
    return VacationView(row.id, row.starts_on, row.ends_on)


async def list_vacations(
    session: AsyncSession, person_id: int, *, today: date
) -> list[VacationView]:
    """Leave that is going on or still to come, earliest first."""
    rows = await session.scalars(
        select(Vacation)
        .where(Vacation.person_id == person_id, Vacation.ends_on >= today)
        .order_by(Vacation.starts_on, Vacation.id)
    )
    return [_view(row) for row in rows]


async def add_vacation(
    session: AsyncSession, person_id: int, starts_on: date, ends_on: date, *, today: date
) -> Added:
    """Record leave; leave it overlaps or touches is merged into it. Refuses what has ended,
    what ends before it starts, and what would run longer than `MAX_DAYS`."""
    if ends_on < starts_on:
        raise UserFacingError("vacation.error.order", start=starts_on, end=ends_on)
    if ends_on < today:
        raise UserFacingError("vacation.error.past", end=ends_on)
    from_today = starts_on < today
    starts_on = max(starts_on, today)
    upcoming = list(
        await session.scalars(
            select(Vacation)
            .where(Vacation.person_id == person_id, Vacation.ends_on >= today - timedelta(days=1))
            .order_by(Vacation.starts_on, Vacation.id)
        )
    )
    touching = [
        row
        for row in upcoming
        if row.starts_on <= ends_on + timedelta(days=1)
        and row.ends_on >= starts_on - timedelta(days=1)
    ]
    first = min([starts_on, *(row.starts_on for row in touching)])
    last = max([ends_on, *(row.ends_on for row in touching)])
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise UserFacingError("vacation.error.too_long", days=days, max=MAX_DAYS)
    if not touching and len(upcoming) >= MAX_UPCOMING:
        raise UserFacingError("vacation.error.too_many", max=MAX_UPCOMING)
    if touching:
        kept, *others = touching
        kept.starts_on, kept.ends_on = first, last
        if others:
            await session.execute(delete(Vacation).where(Vacation.id.in_([o.id for o in others])))
        await session.flush()
        return Added(_view(kept), merged=True, from_today=from_today)
    row = Vacation(person_id=person_id, starts_on=first, ends_on=last)
    session.add(row)
    await session.flush()
    return Added(_view(row), merged=False, from_today=from_today)


async def cancel_vacation(
    session: AsyncSession, person_id: int, vacation_id: int, *, today: date
) -> None:
    """End someone's own leave: removed if it has not begun, else it ends yesterday (the
    days already taken stay on record) and reminders resume today."""
    row = await session.scalar(
        select(Vacation).where(Vacation.id == vacation_id, Vacation.person_id == person_id)
    )
    if row is None:
        raise NotYours()
    if row.ends_on < today:
        raise UserFacingError("button.stale")
    if row.starts_on < today:
        row.ends_on = today - timedelta(days=1)
    else:
        await session.delete(row)
    await session.flush()
