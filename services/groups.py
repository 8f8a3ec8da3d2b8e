"""Telegram groups linked to cohorts, and which cohorts an organizer may act for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.roles import Role
from models import Cohort, CohortGroup, Membership
from services import audit
from services.errors import UserFacingError


@dataclass(frozen=True)
class CohortChoice:
    id: int
    name: str


async def administered_cohorts(
    session: AsyncSession, person_id: int | None, *, global_admin: bool
) -> list[CohortChoice]:
    """The cohorts this organizer may announce to and link groups for, by name.

    Admins named in the settings run every cohort; an organizer imported with a cohort's
    roster only runs the cohorts where they hold an active admin membership.
    """
    query = select(Cohort.id, Cohort.name).order_by(Cohort.name)
    if not global_admin:
        if person_id is None:
            return []
        query = query.join(Membership, Membership.cohort_id == Cohort.id).where(
            Membership.person_id == person_id,
            Membership.role == Role.ADMIN,
            Membership.active.is_(True),
        )
    rows = await session.execute(query)
    return [CohortChoice(id=cohort_id, name=name) for cohort_id, name in rows.tuples()]


def match_cohort(choices: list[CohortChoice], typed: str) -> list[CohortChoice]:
    """Cohorts matching what an organizer typed: the exact name (any case), else every name
    containing it, so "/hubungkan Angkatan XXXVII" finds "PKN II Angkatan XXXVII"."""
    wanted = " ".join(typed.split()).casefold()
    if not wanted:
        return []
    exact = [c for c in choices if c.name.casefold() == wanted]
    if exact:
        return exact
    return [c for c in choices if wanted in " ".join(c.name.split()).casefold()]


class LinkOutcome(StrEnum):
    LINKED = "linked"  # a new link, or an old one switched back on
    MOVED = "moved"  # the group was linked to another cohort before
    UNCHANGED = "unchanged"  # it already was linked to this cohort


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    cohort_name: str
    previous_cohort_name: str | None = None


async def link_group(
    session: AsyncSession,
    *,
    cohort_id: int,
    chat_id: int,
    title: str | None,
    by_person_id: int | None,
    now: datetime,
) -> LinkResult:
    """Link a group chat to a cohort; a group belongs to one cohort at a time."""
    cohort = await session.get(Cohort, cohort_id)
    if cohort is None:
        raise UserFacingError("group.error.cohort_gone")
    link = await session.scalar(select(CohortGroup).where(CohortGroup.chat_id == chat_id))
    previous: str | None = None
    if link is None:
        link = CohortGroup(
            cohort_id=cohort_id, chat_id=chat_id, title=title, active=True, created_at=now
        )
        session.add(link)
        outcome = LinkOutcome.LINKED
    elif link.active and link.cohort_id == cohort_id:
        outcome = LinkOutcome.UNCHANGED
    else:
        if link.active:
            previous_cohort = await session.get(Cohort, link.cohort_id)
            previous = previous_cohort.name if previous_cohort else None
        outcome = LinkOutcome.MOVED if previous else LinkOutcome.LINKED
        link.cohort_id = cohort_id
        link.active = True
    link.title = title or link.title
    if outcome is not LinkOutcome.UNCHANGED:
        link.linked_by_id = by_person_id
        audit.record(
            session,
            "group.link",
            at=now,
            actor_id=by_person_id,
            cohort_id=cohort_id,
            details={"chat_id": chat_id, "title": title, "previous_cohort": previous},
        )
    await session.flush()
    return LinkResult(outcome=outcome, cohort_name=cohort.name, previous_cohort_name=previous)


async def linked_cohort(session: AsyncSession, chat_id: int) -> CohortChoice | None:
    """The cohort this group is actively linked to, if any."""
    row = (
        await session.execute(
            select(Cohort.id, Cohort.name)
            .join(CohortGroup, CohortGroup.cohort_id == Cohort.id)
            .where(CohortGroup.chat_id == chat_id, CohortGroup.active.is_(True))
        )
    ).first()
    return CohortChoice(id=row[0], name=row[1]) if row else None


async def unlink_group(
    session: AsyncSession,
    chat_id: int,
    *,
    by_person_id: int | None,
    now: datetime,
    reason: str = "command",
) -> str | None:
    """Switch a group's link off (kept for the record); the cohort's name, or None if the
    group was not linked."""
    link = await session.scalar(
        select(CohortGroup).where(CohortGroup.chat_id == chat_id, CohortGroup.active.is_(True))
    )
    if link is None:
        return None
    link.active = False
    cohort = await session.get_one(Cohort, link.cohort_id)
    audit.record(
        session,
        "group.unlink",
        at=now,
        actor_id=by_person_id,
        cohort_id=link.cohort_id,
        details={"chat_id": chat_id, "title": link.title, "reason": reason},
    )
    await session.flush()
    return cohort.name


async def move_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup and got a new chat id: the link follows it.

    Telegram sends the news in both chats, so the second call finds nothing to move.
    """
    link = await session.scalar(select(CohortGroup).where(CohortGroup.chat_id == old_chat_id))
    if link is None:
        return False
    taken = await session.scalar(select(CohortGroup).where(CohortGroup.chat_id == new_chat_id))
    if taken is not None:
        return False
    link.chat_id = new_chat_id
    await session.flush()
    return True


@dataclass(frozen=True)
class GroupLine:
    chat_id: int
    title: str | None


async def active_groups(session: AsyncSession, cohort_id: int) -> list[GroupLine]:
    """The groups a cohort's announcements also go to."""
    rows = await session.execute(
        select(CohortGroup.chat_id, CohortGroup.title)
        .where(CohortGroup.cohort_id == cohort_id, CohortGroup.active.is_(True))
        .order_by(CohortGroup.id)
    )
    return [GroupLine(chat_id=chat_id, title=title) for chat_id, title in rows.tuples()]
