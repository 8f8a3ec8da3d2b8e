"""The web desk's announcements: the compose form read and checked, the preview of who would
get it, sending it once per form, and its status.

Everything goes through services.broadcasts, as /umumkan does in the chat: the same audience
rules, the same "broadcast.create" audit entry and one delivery-queue row per recipient.
A form carries a random token; the audit entry's actor label names it ("web:<token>"), so a
second submit of the same form finds the first announcement instead of making another.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import markup
from domain.i18n import Translator
from domain.roles import Role
from domain.text import InvalidText
from models import AuditEntry, Broadcast, Cohort, Person
from services import broadcasts
from services.broadcasts import AUDIENCE_ROLES, Audience, AudiencePlan, Summary
from services.errors import UserFacingError
from services.groups import active_groups
from services.web_desk import NotVisible

ACTOR_PREFIX = "web:"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_ROLES = {role.value: role for role in AUDIENCE_ROLES}


def new_token() -> str:
    return secrets.token_hex(16)


def token_ok(token: object) -> bool:
    return isinstance(token, str) and _TOKEN.match(token) is not None


@dataclass(frozen=True)
class AnnouncementForm:
    """The form as the organizer filled it in, so a refused one comes back as typed."""

    text: str = ""
    roles: frozenset[Role] = frozenset(AUDIENCE_ROLES)
    seminar_group: str = ""  # "" is the whole cohort
    groups: bool = False

    @property
    def audience(self) -> Audience:
        return Audience(
            roles=self.roles, seminar_group=self.seminar_group or None, groups=self.groups
        )

    def has(self, role: Role) -> bool:
        return role in self.roles


def form_from(
    text: object, roles: Sequence[object], seminar_group: object, groups: object
) -> AnnouncementForm:
    """The fields as posted; unknown roles are ignored (only the offered ones can be chosen)."""
    return AnnouncementForm(
        text=text if isinstance(text, str) else "",
        roles=frozenset(_ROLES[r] for r in roles if isinstance(r, str) and r in _ROLES),
        seminar_group=seminar_group if isinstance(seminar_group, str) else "",
        groups=groups == "1",
    )


@dataclass(frozen=True)
class Choices:
    """What the audience part of the form offers for a cohort."""

    seminar_groups: list[str]
    group_chats: int


async def choices(session: AsyncSession, cohort_id: int) -> Choices:
    return Choices(
        seminar_groups=await broadcasts.seminar_groups(session, cohort_id),
        group_chats=len(await active_groups(session, cohort_id)),
    )


@dataclass(frozen=True)
class Problem:
    key: str
    params: dict[str, object]


@dataclass(frozen=True)
class Preview:
    """The message as recipients read it (catalog markup) and who would get it."""

    message: str
    plan: AudiencePlan
    role_counts: list[tuple[Role, int]]


async def _author_name(session: AsyncSession, person_id: int) -> str:
    person = await session.get_one(Person, person_id)
    return person.full_name


async def preview(
    session: AsyncSession,
    cohort: Cohort,
    author_id: int,
    form: AnnouncementForm,
    t: Translator,
) -> Preview | Problem:
    """The checks `create_broadcast` makes, before anything is written."""
    author = await _author_name(session, author_id)
    try:
        cleaned = broadcasts.check_text(form.text, cohort.name, author, with_file=False)
    except InvalidText as exc:
        return Problem(exc.code, dict(exc.params))
    if not form.roles:
        return Problem("broadcast.error.no_roles", {})
    offered = await choices(session, cohort.id)
    if form.seminar_group and form.seminar_group not in offered.seminar_groups:
        return Problem("web.announce.error.group", {})
    plan = await broadcasts.resolve_audience(
        session, cohort.id, form.audience, exclude_person_id=author_id
    )
    if plan.reachable == 0 and not plan.not_joined:
        return Problem("broadcast.error.no_recipients", {"not_joined": 0})
    key, params = broadcasts.compose(cohort.name, author, cleaned)
    return Preview(
        message=t(key, **markup.escape_params(params)),
        plan=plan,
        role_counts=list(broadcasts.role_counts(plan)),
    )


async def send(
    session: AsyncSession,
    cohort_id: int,
    author_id: int,
    form: AnnouncementForm,
    token: str,
    now: datetime,
) -> int:
    """The announcement's id: made and queued now, or the one this form made before.

    The cohort row is locked first (PostgreSQL), so two submits of one form at the same
    moment are taken one after the other and the second finds the first's audit entry.
    UserFacingError when the checks of `create_broadcast` refuse it.
    """
    await session.execute(select(Cohort.id).where(Cohort.id == cohort_id).with_for_update())
    label = ACTOR_PREFIX + token
    earlier = await session.scalar(
        select(AuditEntry.details)
        .where(
            AuditEntry.action == "broadcast.create",
            AuditEntry.cohort_id == cohort_id,
            AuditEntry.actor_label == label,
        )
        .limit(1)
    )
    if earlier is not None:
        return int(earlier["broadcast_id"])
    if form.seminar_group and form.seminar_group not in await broadcasts.seminar_groups(
        session, cohort_id
    ):
        raise UserFacingError("web.announce.error.group")
    queued = await broadcasts.create_broadcast(
        session,
        cohort_id=cohort_id,
        author_id=author_id,
        text=form.text,
        audience=form.audience,
        now=now,
        actor_label=label,
    )
    return queued.broadcast_id


@dataclass(frozen=True)
class Status:
    broadcast: Broadcast
    summary: Summary


async def status(session: AsyncSession, cohort_id: int, broadcast_id: int) -> Status:
    """An announcement of this cohort with its counts and who was not reached, and why;
    NotVisible for another cohort's."""
    found = await session.get(Broadcast, broadcast_id)
    if found is None or found.cohort_id != cohort_id:
        raise NotVisible()
    return Status(found, await broadcasts.summary(session, broadcast_id))


async def recent(session: AsyncSession, cohort_id: int, limit: int = 20) -> list[Broadcast]:
    """The cohort's latest announcements, newest first."""
    return list(
        await session.scalars(
            select(Broadcast)
            .where(Broadcast.cohort_id == cohort_id)
            .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
            .limit(limit)
        )
    )
