"""Group chats linked to cohorts, and which cohorts an organizer may act for.

A group is named by its channel and that channel's chat reference (`GroupChat`); only the
channel's adapter knows what the reference means (Telegram: the chat id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Channel
from domain.roles import Role
from models import Cohort, CohortGroup, Membership
from services import audit
from services.errors import UserFacingError


@dataclass(frozen=True)
class GroupChat:
    """A group chat as its channel names it."""

    channel: Channel
    chat_ref: str


def _named(chat: GroupChat) -> ColumnElement[bool]:
    return and_(CohortGroup.channel == chat.channel, CohortGroup.chat_ref == chat.chat_ref)


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
    group_id: int = 0


async def link_group(
    session: AsyncSession,
    *,
    cohort_id: int,
    chat: GroupChat,
    title: str | None,
    by_person_id: int | None,
    now: datetime,
) -> LinkResult:
    """Link a group chat to a cohort; a group belongs to one cohort at a time."""
    cohort = await session.get(Cohort, cohort_id)
    if cohort is None:
        raise UserFacingError("group.error.cohort_gone")
    link = await session.scalar(select(CohortGroup).where(_named(chat)))
    previous: str | None = None
    if link is None:
        link = CohortGroup(
            cohort_id=cohort_id,
            channel=chat.channel,
            chat_ref=chat.chat_ref,
            title=title,
            active=True,
            created_at=now,
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
            details={
                "channel": chat.channel.value,
                "chat": chat.chat_ref,
                "title": title,
                "previous_cohort": previous,
            },
        )
    await session.flush()
    return LinkResult(
        outcome=outcome, cohort_name=cohort.name, previous_cohort_name=previous, group_id=link.id
    )


async def linked_cohort(session: AsyncSession, chat: GroupChat) -> CohortChoice | None:
    """The cohort this group is actively linked to, if any."""
    row = (
        await session.execute(
            select(Cohort.id, Cohort.name)
            .join(CohortGroup, CohortGroup.cohort_id == Cohort.id)
            .where(_named(chat), CohortGroup.active.is_(True))
        )
    ).first()
    return CohortChoice(id=row[0], name=row[1]) if row else None


async def unlink_group(
    session: AsyncSession,
    chat: GroupChat,
    *,
    by_person_id: int | None,
    now: datetime,
    reason: str = "command",
) -> str | None:
    """Switch a group's link off (kept for the record); the cohort's name, or None if the
    group was not linked."""
    link = await session.scalar(
        select(CohortGroup).where(_named(chat), CohortGroup.active.is_(True))
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
        details={
            "channel": chat.channel.value,
            "chat": chat.chat_ref,
            "title": link.title,
            "reason": reason,
        },
    )
    await session.flush()
    return cohort.name


async def move_chat(session: AsyncSession, old: GroupChat, new_ref: str) -> bool:
    """The group's chat got a new reference on its channel (a Telegram group that became a
    supergroup): the link, and so every post queued for it, follows.

    Telegram sends the news in both chats, so the second call finds nothing to move.
    """
    link = await session.scalar(select(CohortGroup).where(_named(old)))
    if link is None:
        return False
    taken = await session.scalar(select(CohortGroup).where(_named(GroupChat(old.channel, new_ref))))
    if taken is not None:
        return False
    link.chat_ref = new_ref
    await session.flush()
    return True


@dataclass(frozen=True)
class GroupLine:
    id: int
    channel: Channel
    chat_ref: str
    title: str | None


async def active_groups(session: AsyncSession, cohort_id: int) -> list[GroupLine]:
    """The groups a cohort's announcements also go to."""
    rows = await session.execute(
        select(CohortGroup.id, CohortGroup.channel, CohortGroup.chat_ref, CohortGroup.title)
        .where(CohortGroup.cohort_id == cohort_id, CohortGroup.active.is_(True))
        .order_by(CohortGroup.id)
    )
    return [
        GroupLine(id=group_id, channel=channel, chat_ref=chat_ref, title=title)
        for group_id, channel, chat_ref, title in rows.tuples()
    ]
