"""Announcements from organizers: who they reach, queueing one message each, and progress."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain import markup
from domain.enums import Channel, DeliveryFailure, OutboxStatus
from domain.i18n import SUPPORTED_LANGUAGES, translator
from domain.roles import Role
from domain.text import CAPTION_LIMIT, MESSAGE_LIMIT, InvalidText, clean_user_text
from models import (
    Assignment,
    Broadcast,
    ChannelAccount,
    Cohort,
    CohortGroup,
    Membership,
    OutboxMessage,
    Person,
)
from models.accounts import has_joined
from services import audit, outbox
from services.delivery import failure_reason
from services.errors import UserFacingError
from services.groups import GroupLine, active_groups
from services.outbox import Outgoing

KIND = "broadcast"
# What recipients see: a header naming the cohort and the sender above the organizer's text.
MESSAGE_KEY = "broadcast.message"
# From the command line no person signs; the cohort's organizer does, or nobody.
UNSIGNED_KEY = "broadcast.message.unsigned"
ATTACHMENT_KINDS = ("photo", "document")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHANNELS = frozenset(c.value for c in Channel)
# How long an announcement stays worth delivering: someone who joins within this time still
# gets it on joining; after it, it is dropped (an assumption: about the length of a stage).
RELEVANT_FOR = timedelta(days=14)
# Everyone in a cohort, in the order the audience buttons show them.
AUDIENCE_ROLES = (Role.PARTICIPANT, Role.MENTOR, Role.COACH, Role.EXAMINER, Role.ADMIN)


@dataclass(frozen=True)
class Audience:
    """Who an announcement is for: roles in the cohort, optionally one seminar group, and
    whether the cohort's linked Telegram groups get it too."""

    roles: frozenset[Role]
    seminar_group: str | None = None
    groups: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "roles": [r.value for r in AUDIENCE_ROLES if r in self.roles],
            "seminar_group": self.seminar_group,
            "groups": self.groups,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            roles=frozenset(Role(r) for r in data.get("roles", [])),
            seminar_group=data.get("seminar_group"),
            groups=bool(data.get("groups", False)),
        )


@dataclass(frozen=True)
class Recipient:
    person_id: int
    name: str
    role: Role
    joined: bool


@dataclass(frozen=True)
class AudiencePlan:
    """The audience resolved against the cohort as it is now."""

    recipients: list[Recipient]  # joined: one message each
    not_joined: list[Recipient]  # not joined yet: their message waits until they join
    groups: list[GroupLine] = field(default_factory=list)

    @property
    def reachable(self) -> int:
        return len(self.recipients) + len(self.groups)

    def by_role(self) -> dict[Role, int]:
        counts: dict[Role, int] = {}
        for recipient in self.recipients:
            counts[recipient.role] = counts.get(recipient.role, 0) + 1
        return counts


# --- the message -------------------------------------------------------------------------


def compose(cohort_name: str, author: str | None, text: str) -> tuple[str, dict[str, Any]]:
    """The catalog key and parameters of the announcement as recipients get it."""
    if author:
        return MESSAGE_KEY, {"cohort": cohort_name, "author": author, "text": text}
    return UNSIGNED_KEY, {"cohort": cohort_name, "text": text}


def visible_length(text: str) -> int:
    """What counts against a message's limit: the text a reader sees, without the markup."""
    return markup.visible_length(text)


def text_limit(cohort_name: str, author: str | None, *, with_file: bool) -> int:
    """The longest text that still fits one message (or one caption) with its header, in the
    language whose header is longest, since each recipient reads their own."""
    cap = CAPTION_LIMIT if with_file else MESSAGE_LIMIT
    key, params = compose(cohort_name, author, "")
    escaped = markup.escape_params(params)
    header = max(visible_length(translator(lang)(key, **escaped)) for lang in SUPPORTED_LANGUAGES)
    return cap - header


def check_text(text: str | None, cohort_name: str, author: str | None, *, with_file: bool) -> str:
    """The cleaned text, or `InvalidText` when it is empty or will not fit with its header."""
    return clean_user_text(text, limit=text_limit(cohort_name, author, with_file=with_file))


def check_attachment(attachment: dict[str, Any] | None) -> dict[str, str] | None:
    """The file to go with an announcement as a queued file (`outbox.file_item`): the channel
    it was sent by and its reference there ("file_id" alone: a draft from before, Telegram's),
    or, for a file uploaded on the web desk, its key in the evidence store."""
    if attachment is None:
        return None
    kind = attachment.get("kind")
    sha256 = attachment.get("sha256")
    if "channel" not in attachment and "file_id" not in attachment and sha256 is not None:
        name = attachment.get("file_name")
        if kind not in ATTACHMENT_KINDS or not _SHA256.match(str(sha256)):
            raise ValueError(f"bad attachment {attachment!r}")
        return outbox.file_item(
            str(kind), sha256=str(sha256), file_name=name if isinstance(name, str) else None
        )
    channel = attachment.get("channel") or (
        Channel.TELEGRAM.value if "file_id" in attachment else None
    )
    ref = attachment.get("ref") or attachment.get("file_id")
    if (
        kind not in ATTACHMENT_KINDS
        or channel not in CHANNELS
        or not isinstance(ref, str)
        or not ref
    ):
        raise ValueError(f"bad attachment {attachment!r}")
    return outbox.file_item(str(kind), sha256=None, channel=str(channel), ref=ref)


# --- the audience ------------------------------------------------------------------------


async def seminar_groups(session: AsyncSession, cohort_id: int) -> list[str]:
    """The cohort's seminar groups, by name."""
    rows = await session.scalars(
        select(Membership.seminar_group)
        .where(
            Membership.cohort_id == cohort_id,
            Membership.active.is_(True),
            Membership.seminar_group.is_not(None),
        )
        .distinct()
    )
    return sorted(g for g in rows if g)


async def resolve_audience(
    session: AsyncSession,
    cohort_id: int,
    audience: Audience,
    *,
    exclude_person_id: int | None = None,
) -> AudiencePlan:
    """The active members the audience names, split into who can be reached and who never
    joined; plus the cohort's linked groups when asked for.

    A seminar group holds its participants, whoever is filed in it (a coach, an examiner),
    and the mentors and coaches of its participants: a notice for group 2 concerns them too.
    The author is left out: they see the preview and the status instead.
    """
    if not audience.roles:
        return AudiencePlan(recipients=[], not_joined=[], groups=[])
    query = (
        select(Person.id, Person.full_name, has_joined(Person), Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.cohort_id == cohort_id,
            Membership.active.is_(True),
            Membership.role.in_(sorted(audience.roles)),
        )
        .order_by(Person.full_name, Person.id)
    )
    if exclude_person_id is not None:
        query = query.where(Person.id != exclude_person_id)
    if audience.seminar_group is not None:
        # An alias, so this subquery can never be correlated with the outer query's
        # Membership (which would test the outer row instead of the group's participants).
        in_group = aliased(Membership)
        participants = select(in_group.person_id).where(
            in_group.cohort_id == cohort_id,
            in_group.active.is_(True),
            in_group.role == Role.PARTICIPANT,
            in_group.seminar_group == audience.seminar_group,
        )
        advisors = select(Assignment.advisor_id).where(
            Assignment.cohort_id == cohort_id, Assignment.participant_id.in_(participants)
        )
        query = query.where(
            or_(Membership.seminar_group == audience.seminar_group, Person.id.in_(advisors))
        )
    recipients: list[Recipient] = []
    not_joined: list[Recipient] = []
    for person_id, name, joined, role in (await session.execute(query)).tuples():
        recipient = Recipient(person_id, name, role, joined=bool(joined))
        (recipients if recipient.joined else not_joined).append(recipient)
    groups = await active_groups(session, cohort_id) if audience.groups else []
    return AudiencePlan(recipients=recipients, not_joined=not_joined, groups=groups)


# --- creating and queueing ---------------------------------------------------------------


@dataclass(frozen=True)
class Queued:
    broadcast_id: int
    recipients: int  # joined people with a message in the queue
    groups: int  # group chats with a message in the queue
    not_joined: int  # people whose message waits for them to join
    new_messages: int  # queued by this call; 0 when all were queued before


async def _author_name(session: AsyncSession, broadcast: Broadcast, cohort: Cohort) -> str | None:
    if broadcast.author_id is not None:
        author = await session.get(Person, broadcast.author_id)
        if author is not None:
            return author.full_name
    return cohort.organizer


async def create_broadcast(
    session: AsyncSession,
    *,
    cohort_id: int,
    author_id: int | None,
    text: str,
    audience: Audience,
    now: datetime,
    attachment: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> Queued:
    """Record an announcement and queue one message per recipient, in one transaction.

    Creating the same text twice makes two announcements on purpose (an organizer may repeat
    one); queueing one announcement again never repeats a message (see `enqueue_broadcast`).
    """
    cohort = await session.get(Cohort, cohort_id)
    if cohort is None:
        raise UserFacingError("broadcast.error.cohort_gone")
    author = (await session.get(Person, author_id)) if author_id is not None else None
    author_name = author.full_name if author is not None else cohort.organizer
    file = check_attachment(attachment)
    try:
        cleaned = check_text(text, cohort.name, author_name, with_file=file is not None)
    except InvalidText as exc:
        raise UserFacingError(exc.code, **exc.params) from None
    if not audience.roles:
        raise UserFacingError("broadcast.error.no_roles")
    plan = await resolve_audience(session, cohort_id, audience, exclude_person_id=author_id)
    # Those who have not joined count: their message waits for them (README).
    if plan.reachable == 0 and not plan.not_joined:
        raise UserFacingError("broadcast.error.no_recipients", not_joined=len(plan.not_joined))
    broadcast = Broadcast(
        cohort_id=cohort_id,
        author_id=author_id,
        text=cleaned,
        attachment=file,
        audience=audience.to_json(),
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    queued = await enqueue_broadcast(session, broadcast.id, now=now)
    audit.record(
        session,
        "broadcast.create",
        at=now,
        actor_id=author_id,
        actor_label=actor_label,
        cohort_id=cohort_id,
        details={
            "broadcast_id": broadcast.id,
            **audience.to_json(),
            "attachment": file["kind"] if file else None,
            "recipients": queued.recipients,
            "group_chats": queued.groups,
            "not_joined": queued.not_joined,
        },
    )
    return queued


async def enqueue_broadcast(session: AsyncSession, broadcast_id: int, *, now: datetime) -> Queued:
    """Queue the announcement for its audience as the cohort stands now; safe to repeat.

    Keys are "bc:<id>:<person>" and "bc:<id>:group:<chat ref>", so a repeat (after a crash
    between two steps, or to reach people added to the audience since) adds only the
    missing ones. Someone who has not joined gets a message too: it waits for them to join
    and goes out then, unless `RELEVANT_FOR` has passed since the announcement was made.
    """
    broadcast = await session.get_one(Broadcast, broadcast_id)
    cohort = await session.get_one(Cohort, broadcast.cohort_id)
    audience = Audience.from_json(broadcast.audience)
    plan = await resolve_audience(
        session, cohort.id, audience, exclude_person_id=broadcast.author_id
    )
    key, params = compose(
        cohort.name, await _author_name(session, broadcast, cohort), broadcast.text
    )
    message = Outgoing(key, params, media=[broadcast.attachment] if broadcast.attachment else [])
    expires_at = broadcast.created_at + RELEVANT_FOR
    new = 0
    for recipient in [*plan.recipients, *plan.not_joined]:
        new += await outbox.enqueue(
            session,
            dedup_key=f"bc:{broadcast.id}:{recipient.person_id}",
            message=message,
            not_before=now,
            now=now,
            kind=KIND,
            recipient_id=recipient.person_id,
            cohort_id=cohort.id,
            broadcast_id=broadcast.id,
            expires_at=expires_at,
        )
    for group in plan.groups:
        new += await outbox.enqueue(
            session,
            dedup_key=f"bc:{broadcast.id}:group:{group.chat_ref}",
            message=message,
            not_before=now,
            now=now,
            kind=KIND,
            group_id=group.id,
            cohort_id=cohort.id,
            broadcast_id=broadcast.id,
            expires_at=expires_at,
        )
    # Someone queued on an earlier run stays queued even if they left the audience since.
    queued_people = dict(
        (
            await session.execute(
                select(OutboxMessage.recipient_id, has_joined(Person))
                .join(Person, Person.id == OutboxMessage.recipient_id)
                .where(OutboxMessage.broadcast_id == broadcast.id)
            )
        )
        .tuples()
        .all()
    )
    waiting = sum(1 for joined in queued_people.values() if not joined)
    # Announcements queued before messages could wait kept here who got none; now nobody.
    not_joined = [r.person_id for r in plan.not_joined if r.person_id not in queued_people]
    broadcast.audience = {**broadcast.audience, "not_joined": not_joined}
    await session.flush()
    groups = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast.id, OutboxMessage.group_id.is_not(None))
    )
    return Queued(
        broadcast_id=broadcast.id,
        recipients=len(queued_people) - waiting,
        groups=int(groups or 0),
        not_joined=waiting + len(not_joined),
        new_messages=new,
    )


# --- progress ----------------------------------------------------------------------------

_PENDING = (OutboxStatus.PENDING, OutboxStatus.SENDING)
# Dropped (cancelled or gone stale) did not arrive either: for the organizer it failed.
_FAILED = (OutboxStatus.FAILED, OutboxStatus.DROPPED)


@dataclass(frozen=True)
class Progress:
    sent: int
    failed: int
    pending: int  # on its way to someone who joined (or to a group)
    # Waiting for the person to join (and, once it is over, those it waited for in vain):
    # neither failed nor holding the announcement up.
    not_joined: int

    @property
    def done(self) -> bool:
        return self.pending == 0


def _not_joined_ids(broadcast: Broadcast) -> list[int]:
    """People left without a message by announcements queued before messages could wait."""
    return [int(i) for i in broadcast.audience.get("not_joined", [])]


def _waiting() -> ColumnElement[bool]:
    # A person's message with no account to go to: it waits for them to join.
    return and_(OutboxMessage.recipient_id.is_not(None), ~has_joined(Person))


def _never_arrived(status: OutboxStatus, code: str | None, error: str | None) -> bool:
    """Failed or dropped because the person had not joined (in time)."""
    return status in _FAILED and failure_reason(code, error) is DeliveryFailure.NOT_JOINED


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    """Counts from the announcement's rows in the delivery queue, as the sender leaves them."""
    broadcast = await session.get_one(Broadcast, broadcast_id)
    waiting = _waiting()
    rows = await session.execute(
        select(
            OutboxMessage.status,
            OutboxMessage.error_reason,
            OutboxMessage.last_error,
            waiting,
            func.count(),
        )
        .outerjoin(Person, Person.id == OutboxMessage.recipient_id)
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(
            OutboxMessage.status, OutboxMessage.error_reason, OutboxMessage.last_error, waiting
        )
    )
    sent = failed = pending = not_joined = 0
    for status, code, error, waits, count in rows.tuples():
        if status in _PENDING:
            if waits:
                not_joined += count
            else:
                pending += count
        elif status == OutboxStatus.SENT:
            sent += count
        elif _never_arrived(status, code, error):
            not_joined += count
        else:
            failed += count
    return Progress(
        sent=sent,
        failed=failed,
        pending=pending,
        not_joined=not_joined + len(_not_joined_ids(broadcast)),
    )


@dataclass(frozen=True)
class Unreached:
    name: str
    reason: DeliveryFailure | None  # what organizers read; None when no reason was recorded
    detail: str | None = None  # the raw error text, for operators (logs, the export)


@dataclass(frozen=True)
class Summary:
    broadcast_id: int
    cohort_name: str
    author_id: int | None
    progress: Progress
    not_joined: list[str]  # names of those whose message waits for them to join
    failed: list[Unreached]  # people whose message failed or was dropped otherwise
    failed_groups: list[Unreached]  # group titles
    # The organizer's live status message, where the channel can edit it.
    status: StatusMessage | None
    finished_at: datetime | None


@dataclass(frozen=True)
class StatusMessage:
    """A message to edit: the channel, its chat and its own reference of the message."""

    channel: Channel
    chat_ref: str
    message_ref: str


async def summary(session: AsyncSession, broadcast_id: int) -> Summary:
    """Progress with the names of those who could not be reached, for the organizer."""
    broadcast = await session.get_one(Broadcast, broadcast_id)
    cohort = await session.get_one(Cohort, broadcast.cohort_id)
    counted = await progress(session, broadcast_id)
    not_joined = await _names(session, _not_joined_ids(broadcast))
    people = await session.execute(
        select(
            Person.full_name,
            OutboxMessage.status,
            OutboxMessage.error_reason,
            OutboxMessage.last_error,
        )
        .join(Person, Person.id == OutboxMessage.recipient_id)
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            or_(
                OutboxMessage.status.in_(_FAILED),
                and_(OutboxMessage.status.in_(_PENDING), _waiting()),
            ),
        )
        .order_by(Person.full_name, Person.id)
    )
    failed: list[Unreached] = []
    for name, status, code, error in people.tuples():
        if status in _PENDING or _never_arrived(status, code, error):
            not_joined.append(name)
        else:
            failed.append(Unreached(name, failure_reason(code, error), error))
    failed_groups = await session.execute(
        select(
            CohortGroup.title,
            CohortGroup.chat_ref,
            OutboxMessage.error_reason,
            OutboxMessage.last_error,
        )
        .select_from(OutboxMessage)
        .outerjoin(CohortGroup, CohortGroup.id == OutboxMessage.group_id)
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.group_id.is_not(None),
            OutboxMessage.status.in_(_FAILED),
        )
        .order_by(OutboxMessage.id)
    )
    return Summary(
        broadcast_id=broadcast.id,
        cohort_name=cohort.name,
        author_id=broadcast.author_id,
        progress=counted,
        not_joined=sorted(not_joined),
        failed=failed,
        failed_groups=[
            Unreached(title or chat_ref or "-", failure_reason(code, error), error)
            for title, chat_ref, code, error in failed_groups.tuples()
        ],
        status=await _status_message(session, broadcast),
        finished_at=broadcast.finished_at,
    )


async def _names(session: AsyncSession, person_ids: Sequence[int]) -> list[str]:
    if not person_ids:
        return []
    return list(
        await session.scalars(
            select(Person.full_name).where(Person.id.in_(person_ids)).order_by(Person.full_name)
        )
    )


# --- the organizer's status message ------------------------------------------------------


async def set_status_message(
    session: AsyncSession, broadcast_id: int, *, account_id: int, message_ref: str
) -> None:
    """Remember the status message shown to the organizer on `account_id`, to edit it."""
    broadcast = await session.get_one(Broadcast, broadcast_id)
    broadcast.status_account_id = account_id
    broadcast.status_message_ref = message_ref


async def _status_message(session: AsyncSession, broadcast: Broadcast) -> StatusMessage | None:
    if broadcast.status_account_id is None or broadcast.status_message_ref is None:
        return None
    account = await session.get(ChannelAccount, broadcast.status_account_id)
    if account is None or account.chat_ref is None:
        return None
    return StatusMessage(
        channel=Channel(account.channel),
        chat_ref=account.chat_ref,
        message_ref=broadcast.status_message_ref,
    )


async def mark_finished(session: AsyncSession, broadcast_id: int, now: datetime) -> bool:
    """Note when the last message was settled; True the first time only."""
    broadcast = await session.get_one(Broadcast, broadcast_id)
    if broadcast.finished_at is not None:
        return False
    broadcast.finished_at = now
    return True


async def unfinished_with_status(session: AsyncSession) -> list[int]:
    """Announcements whose status message still needs updates (after a restart, say)."""
    return list(
        await session.scalars(
            select(Broadcast.id)
            .where(Broadcast.finished_at.is_(None), Broadcast.status_message_ref.is_not(None))
            .order_by(Broadcast.id)
        )
    )


async def language_of(session: AsyncSession, person_id: int | None, default: str) -> str:
    if person_id is None:
        return default
    person = await session.get(Person, person_id)
    return person.language if person is not None else default


def role_counts(plan: AudiencePlan) -> Iterable[tuple[Role, int]]:
    """Recipients per role, in audience order, leaving out roles nobody holds."""
    counts = plan.by_role()
    return [(role, counts[role]) for role in AUDIENCE_ROLES if counts.get(role)]
