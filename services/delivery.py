"""The delivery queue's state machine: claim due messages, record each outcome, recover a crash.

A message goes pending -> sending -> sent | failed | dropped (or back to pending for a retry).
A message for a person who has not joined yet stays pending without being looked at: it waits
for them to join (`release_waiting`, in the join's transaction) for as long as it is relevant
(its `expires_at`, or `JOIN_WAIT_LIMIT` for one without), then it is dropped.
The claim is committed before the message is sent, so a second sender never takes the same
row, and a row still "sending" after a crash is known to have been in flight: it goes out
again once, flagged `maybe_repeated`, and is named in the log. Nothing here knows Telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.enums import Channel, DeliveryFailure, OutboxStatus
from domain.ratelimit import RetryPolicy
from domain.roles import Role
from models import ChannelAccount, Cohort, CohortGroup, Membership, OutboxMessage, Person
from services.outbox import RELAY, Outgoing, Undelivered, enqueue, settled

log = logging.getLogger(__name__)

# Reasons stored in last_error when a message is given up without a send.
NOT_JOINED = "recipient has not joined the bot"
UNREACHABLE = "recipient is unreachable (blocked the bot or deactivated)"
STALE = "stale"
UNREACHABLE_NOTICE_KEY = "delivery.unreachable.notice"
NO_COHORT_KEY = "delivery.unreachable.no_cohort"
# How long a message without its own expiry waits for its recipient to join: older than this,
# it is no longer news when they arrive (an assumption; announcements set their own expiry).
JOIN_WAIT_LIMIT = timedelta(days=14)

# The words this application itself stores in last_error (here and in services.outbox,
# services.reminders, services.personal_data), for rows that carry no reason code.
_OWN_TEXTS = {
    NOT_JOINED: DeliveryFailure.NOT_JOINED,
    UNREACHABLE: DeliveryFailure.UNREACHABLE,
    STALE: DeliveryFailure.STALE,
    "cancelled": DeliveryFailure.CANCELLED,
    "recipient erased": DeliveryFailure.ERASED,
}


def failure_reason(code: str | None, error: str | None) -> DeliveryFailure | None:
    """Why a message failed or was dropped, for organizers: its stored code when it has one,
    else what its raw text says (the drops other services record); None when nothing failed."""
    if code:
        try:
            return DeliveryFailure(code)
        except ValueError:
            return DeliveryFailure.OTHER
    if not error:
        return None
    return _OWN_TEXTS.get(error, DeliveryFailure.OTHER)


@dataclass(frozen=True)
class DueMessage:
    """A message ready to go, with what rendering it needs about its recipient.

    `language`/`timezone` are None when the recipient is a group whose cohort sets none:
    the sender's defaults apply. `problem` says why it cannot be sent at all.
    """

    id: int
    dedup_key: str
    kind: str
    payload: dict[str, Any]
    person_id: int | None
    # Where it goes on the sender's channel: the recipient's account there and its chat, or
    # the group's chat for a row without a recipient.
    chat_ref: str | None
    language: str | None
    timezone: str | None
    attempts: int
    maybe_repeated: bool
    cohort_id: int | None
    broadcast_id: int | None
    problem: str | None = None
    account_id: int | None = None
    # The channel of that account (the sender delivers through that channel's adapter), and
    # when the person last wrote there (WhatsApp's 24-hour window).
    channel: Channel = Channel.TELEGRAM
    last_inbound_at: datetime | None = None

    @property
    def is_group(self) -> bool:
        # Rows for a person go to their account; only a cohort's group has no recipient.
        return self.person_id is None


def _due_filter(now: datetime) -> list[Any]:
    return [
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.not_before <= now,
        or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now),
    ]


# Its own alias, so the subquery is never correlated with an account the outer query joins.
_waiter = aliased(ChannelAccount)


def _channel_list(channel: Channel | Collection[Channel]) -> list[Channel]:
    return [channel] if isinstance(channel, Channel) else list(channel)


def waiting_for_join(
    channel: Channel | Collection[Channel] = Channel.TELEGRAM,
) -> ColumnElement[bool]:
    """True for a message whose recipient is a person with no account on the channel (or on
    any of the channels; no chat known): it waits, untouched by the sender, until they join."""
    return and_(
        OutboxMessage.recipient_id.is_not(None),
        ~select(_waiter.id)
        .where(
            _waiter.person_id == OutboxMessage.recipient_id,
            _waiter.channel.in_(_channel_list(channel)),
            _waiter.chat_ref.is_not(None),
        )
        .exists(),
    )


# Its own alias too: the account a person's message goes to, chosen inside the join.
_chosen = aliased(ChannelAccount)


def _recipient_account(channels: list[Channel]) -> Any:
    """The id of the account a person's message goes to among `channels`: one that can be
    written to before one marked unreachable, then the one they last wrote from (the channel
    they use now; on WhatsApp that is also the one whose 24-hour window is open)."""
    if len(channels) == 1:
        return None
    return (
        select(_chosen.id)
        .where(
            _chosen.person_id == Person.id,
            _chosen.channel.in_(channels),
            _chosen.chat_ref.is_not(None),
        )
        .order_by(
            _chosen.reachable.desc(),
            _chosen.last_inbound_at.desc().nulls_last(),
            _chosen.id,
        )
        .limit(1)
        .correlate(Person)
        .scalar_subquery()
    )


def _account_join(channels: list[Channel]) -> ColumnElement[bool]:
    chosen = _recipient_account(channels)
    if chosen is None:
        return and_(ChannelAccount.person_id == Person.id, ChannelAccount.channel == channels[0])
    return and_(ChannelAccount.person_id == Person.id, ChannelAccount.id == chosen)


async def due_messages(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    kinds: Collection[str] | None = None,
    channel: Channel | Collection[Channel] = Channel.TELEGRAM,
) -> list[DueMessage]:
    """Pending messages whose time has come and has not passed, oldest first, leaving out
    those waiting for their recipient to join; only those of `kinds` when given. A person's
    message goes to their account on the sender's `channel`; given several channels, to the
    one `_recipient_account` chooses.

    On PostgreSQL the rows are locked with SKIP LOCKED until the transaction ends, so two
    senders looking at once see different rows; `claim` in the same transaction takes them.
    """
    query = (
        select(
            OutboxMessage.id,
            OutboxMessage.dedup_key,
            OutboxMessage.kind,
            OutboxMessage.payload,
            OutboxMessage.recipient_id,
            CohortGroup.chat_ref.label("group_chat"),
            CohortGroup.channel.label("group_channel"),
            OutboxMessage.attempts,
            OutboxMessage.maybe_repeated,
            OutboxMessage.cohort_id,
            OutboxMessage.broadcast_id,
            ChannelAccount.id.label("account_id"),
            ChannelAccount.chat_ref,
            ChannelAccount.reachable,
            ChannelAccount.channel,
            ChannelAccount.last_inbound_at,
            Person.language,
            Person.timezone,
            Cohort.settings,
        )
        .outerjoin(Person, Person.id == OutboxMessage.recipient_id)
        .outerjoin(ChannelAccount, _account_join(_channel_list(channel)))
        .outerjoin(Cohort, Cohort.id == OutboxMessage.cohort_id)
        .outerjoin(CohortGroup, CohortGroup.id == OutboxMessage.group_id)
        .where(
            *_due_filter(now),
            # Waiting for the person to join: not looked at again until they do.
            or_(OutboxMessage.recipient_id.is_(None), ChannelAccount.chat_ref.is_not(None)),
        )
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    if kinds is not None:
        query = query.where(OutboxMessage.kind.in_(list(kinds)))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)
    messages = []
    for row in (await session.execute(query)).all():
        common = {
            "id": row.id,
            "dedup_key": row.dedup_key,
            "kind": row.kind,
            "payload": row.payload,
            "attempts": row.attempts,
            "maybe_repeated": row.maybe_repeated,
            "cohort_id": row.cohort_id,
            "broadcast_id": row.broadcast_id,
            "person_id": row.recipient_id,
        }
        if row.recipient_id is not None:
            problem = None if row.reachable else UNREACHABLE
            messages.append(
                DueMessage(
                    **common,
                    chat_ref=row.chat_ref,
                    account_id=row.account_id,
                    language=row.language,
                    timezone=row.timezone,
                    problem=problem,
                    channel=Channel(row.channel),
                    last_inbound_at=row.last_inbound_at,
                )
            )
        else:
            settings = row.settings or {}
            messages.append(
                DueMessage(
                    **common,
                    chat_ref=row.group_chat,
                    language=settings.get("language"),
                    timezone=settings.get("timezone"),
                    channel=Channel(row.group_channel or Channel.TELEGRAM),
                )
            )
    return messages


async def claim(session: AsyncSession, ids: list[int], now: datetime) -> set[int]:
    """Take these messages for sending; returns the ids this caller got.

    Conditional on the row still being pending, so of two senders racing for a row exactly
    one gets it. The caller must commit before sending: the committed claim is what tells a
    later recovery that a send may have happened.
    """
    if not ids:
        return set()
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING)
        .values(
            status=OutboxStatus.SENDING,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars())


async def claim_due(session: AsyncSession, now: datetime, *, limit: int) -> list[DueMessage]:
    """Everything due, claimed at once (for callers that pace nothing, like tests and tools)."""
    due = await due_messages(session, now, limit=limit)
    taken = await claim(session, [m.id for m in due], now)
    return [m for m in due if m.id in taken]


async def mark_sent(
    session: AsyncSession,
    message_id: int,
    message_ref: str | None,
    now: datetime,
    *,
    account_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Record a delivered message; False if it was not ours to finish (not "sending").

    `message_ref`: the channel's reference of what was delivered; `account_id`: the account
    it went to. `payload`: what to keep of it from now on (a relay keeps no copy of the words
    it carried).
    """
    values: dict[str, Any] = {
        "status": OutboxStatus.SENT,
        "sent_at": now,
        "message_ref": message_ref,
        "account_id": account_id,
    }
    if payload is not None:
        values["payload"] = payload
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_retry(
    session: AsyncSession,
    message_id: int,
    *,
    now: datetime,
    error: str,
    retry_after: timedelta | None = None,
    maybe_repeated: bool = False,
    policy: RetryPolicy | None = None,
    reason: DeliveryFailure = DeliveryFailure.NETWORK,
) -> bool:
    """Put a message back in the queue after a passing failure; True if it will be retried.

    With `retry_after` (Telegram's flood wait) it waits exactly that and the attempt is not
    counted. Otherwise it waits the policy's backoff for its attempt count, and after the
    last attempt it is failed for good, with `reason`. `maybe_repeated` marks a send that
    may have arrived although we saw an error (a timeout).
    """
    policy = policy or RetryPolicy()
    attempts = await session.scalar(
        select(OutboxMessage.attempts).where(
            OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING
        )
    )
    if attempts is None:
        return False
    values: dict[str, Any] = {"last_error": error[:1000], "claimed_at": None}
    if maybe_repeated:
        values["maybe_repeated"] = True
    if retry_after is not None:
        values.update(
            status=OutboxStatus.PENDING,
            not_before=now + retry_after,
            attempts=max(attempts - 1, 0),
        )
        retrying = True
    elif policy.gives_up(attempts):
        values.update(status=OutboxStatus.FAILED, error_reason=reason.value)
        retrying = False
    else:
        values.update(status=OutboxStatus.PENDING, not_before=now + policy.delay(attempts))
        retrying = True
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not retrying:
        await given_up(session, message_id, reason, now)
    return retrying


async def mark_failed(
    session: AsyncSession,
    message_id: int,
    error: str,
    reason: DeliveryFailure | None = None,
    *,
    now: datetime | None = None,
) -> bool:
    """Give a message up for good: `error` is the raw text kept for operators, `reason` what
    organizers read (by default what the application's own texts in `error` mean).

    A relay's author is then told that it did not arrive (see `given_up`); `now` is when."""
    code = reason or failure_reason(None, error) or DeliveryFailure.OTHER
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .values(status=OutboxStatus.FAILED, last_error=error[:1000], error_reason=code.value)
        .execution_options(synchronize_session=False)
    )
    failed = bool(result.rowcount)  # type: ignore[attr-defined]
    if failed:
        await given_up(session, message_id, code, now)
    return failed


async def given_up(
    session: AsyncSession, message_id: int, reason: DeliveryFailure, now: datetime | None
) -> bool:
    """A message has just failed for good: if it says whom to tell (a relay's author), queue
    that word, once, with the reason; a relay also stops keeping the words it carried.
    True when someone is to be told."""
    row = (
        await session.execute(
            select(
                OutboxMessage.payload,
                OutboxMessage.kind,
                OutboxMessage.cohort_id,
                OutboxMessage.not_before,
            ).where(OutboxMessage.id == message_id)
        )
    ).one_or_none()
    if row is None:
        return False
    payload = row.payload or {}
    if row.kind == RELAY:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(payload=settled(payload))
            .execution_options(synchronize_session=False)
        )
    word = Undelivered.from_json(payload.get("undelivered"))
    if word is None:
        return False
    # Without a clock given, as soon as the failed message itself was due.
    moment = now or row.not_before
    queued = await enqueue(
        session,
        dedup_key=f"undelivered:{message_id}",
        message=Outgoing(
            word.key,
            {**word.params, "reason": {"key": reason.message_key}},
            reply_to=word.reply_to,
        ),
        not_before=moment,
        now=now,
        kind=RELAY,
        recipient_id=word.recipient_id,
        cohort_id=row.cohort_id,
    )
    log.info(
        "outbox message %s failed (%s); person %s to be told", message_id, reason, word.recipient_id
    )
    return queued


async def mark_unreachable(
    session: AsyncSession,
    message_id: int,
    person_id: int,
    error: str,
    now: datetime,
    *,
    reason: DeliveryFailure = DeliveryFailure.UNREACHABLE,
    channel: Channel = Channel.TELEGRAM,
    admin_external_ids: Collection[str] = (),
    admin_channel: Channel | None = None,
) -> int:
    """A "blocked" (or "chat not found") for a person on `channel`: fail the message, mark
    their account there unreachable, tell the organizers.

    Told are the admins of the person's cohorts and the admins from the front end's settings
    (`admin_external_ids`, their user ids on `channel`) who have an account, each once, with
    `reason`. They are told once per time the account becomes unreachable: only the caller
    that flips `reachable` (a conditional update) queues the notices, so a broadcast that
    meets the same blocked person in several messages, or two senders, still tells them once.
    Returns how many notices were queued. `admin_channel`: the channel of
    `admin_external_ids` when it is not `channel` (Telegram admins of a WhatsApp person).
    """
    await mark_failed(session, message_id, error, reason, now=now)
    flipped = await session.execute(
        update(ChannelAccount)
        .where(
            ChannelAccount.person_id == person_id,
            ChannelAccount.channel == channel,
            ChannelAccount.reachable.is_(True),
        )
        .values(reachable=False, blocked_since=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not flipped.rowcount:  # type: ignore[attr-defined]
        return 0
    person = await session.get_one(Person, person_id)
    cohort_ids = set(
        await session.scalars(
            select(Membership.cohort_id).where(
                Membership.person_id == person_id, Membership.active.is_(True)
            )
        )
    )
    message_cohort = await session.scalar(
        select(OutboxMessage.cohort_id).where(OutboxMessage.id == message_id)
    )
    if message_cohort is not None:
        cohort_ids.add(message_cohort)
    rows = (
        await session.execute(
            select(Membership.person_id, Cohort.id, Cohort.name)
            .join(Cohort, Cohort.id == Membership.cohort_id)
            .where(
                Membership.cohort_id.in_(cohort_ids),
                Membership.role == Role.ADMIN,
                Membership.active.is_(True),
                Membership.person_id != person_id,
            )
            .order_by(Membership.person_id, Cohort.name)
        )
    ).tuples()
    cohorts_by_admin: dict[int, list[tuple[int, str]]] = {}
    for admin_id, cohort_id, name in rows:
        cohorts_by_admin.setdefault(admin_id, []).append((cohort_id, name))
    if admin_external_ids:
        # Admins from the settings run every cohort: they hear of all the person's cohorts.
        # Only those who have talked to the bot have a person row and a chat to tell them in.
        all_cohorts = list(
            (
                await session.execute(
                    select(Cohort.id, Cohort.name)
                    .where(Cohort.id.in_(cohort_ids))
                    .order_by(Cohort.name)
                )
            ).tuples()
        )
        settings_admins = await session.scalars(
            select(ChannelAccount.person_id).where(
                ChannelAccount.channel == (admin_channel or channel),
                ChannelAccount.external_user_id.in_(list(admin_external_ids)),
                ChannelAccount.chat_ref.is_not(None),
                ChannelAccount.person_id != person_id,
            )
        )
        for admin_id in settings_admins:
            cohorts_by_admin[admin_id] = all_cohorts
    if not cohorts_by_admin:
        log.warning(
            "person %s is unreachable and no admin can be told (cohorts %s)",
            person_id,
            sorted(cohort_ids),
        )
        return 0
    episode = int(now.timestamp())
    queued = 0
    for admin_id, cohorts in sorted(cohorts_by_admin.items()):
        cohort_names: str | dict[str, Any] = ", ".join(name for _, name in cohorts)
        queued += await enqueue(
            session,
            dedup_key=f"unreachable:{person_id}:{episode}:{admin_id}",
            message=Outgoing(
                UNREACHABLE_NOTICE_KEY,
                {
                    "name": person.full_name,
                    "cohort": cohort_names or {"key": NO_COHORT_KEY},
                    "at": now,
                    "reason": {"key": reason.message_key},
                },
            ),
            not_before=now,
            now=now,
            kind="notice",
            recipient_id=admin_id,
            cohort_id=cohorts[0][0] if cohorts else None,
        )
    log.info("person %s unreachable; %d admin notice(s) queued", person_id, queued)
    return queued


def _group_of(message_id: int) -> Any:
    return select(OutboxMessage.group_id).where(OutboxMessage.id == message_id).scalar_subquery()


async def mark_group_gone(
    session: AsyncSession,
    message_id: int,
    error: str,
    reason: DeliveryFailure = DeliveryFailure.REMOVED,
) -> bool:
    """A 403 for a group's post (the bot was removed): fail the message and unlink its group."""
    await mark_failed(session, message_id, error, reason)
    result = await session.execute(
        update(CohortGroup)
        .where(CohortGroup.id == _group_of(message_id), CohortGroup.active.is_(True))
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def migrate_group(session: AsyncSession, message_id: int, new_chat_ref: str) -> None:
    """A group's chat moved (a Telegram group became a supergroup with a new id): the group
    follows it, so every post queued for it does, and this one is sent again."""
    await session.execute(
        update(CohortGroup)
        .where(CohortGroup.id == _group_of(message_id))
        .values(chat_ref=new_chat_ref)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING)
        .values(
            status=OutboxStatus.PENDING,
            attempts=OutboxMessage.attempts - 1,
            claimed_at=None,
        )
        .execution_options(synchronize_session=False)
    )


async def recover_interrupted(
    session: AsyncSession, now: datetime, *, claimed_before: datetime | None = None
) -> list[int]:
    """Put messages left "sending" by a process that died back in the queue; returns their ids.

    At start-up every such row is an orphan (`claimed_before` defaults to now). Each may
    have reached Telegram just before the crash, so it is flagged and logged: it may be
    repeated once, never more, since a repeat is claimed and recorded like any other send.
    """
    cutoff = claimed_before or now
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at <= cutoff),
        )
        .values(status=OutboxStatus.PENDING, maybe_repeated=True, claimed_at=None)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(result.scalars())
    if ids:
        log.warning(
            "%d outbox message(s) were in flight when the previous process stopped and "
            "may be repeated once: ids %s",
            len(ids),
            ids,
        )
    return ids


async def drop_stale(
    session: AsyncSession,
    now: datetime,
    *,
    channel: Channel | Collection[Channel] = Channel.TELEGRAM,
) -> int:
    """Drop pending messages whose moment has passed (a reminder for a day long gone).

    One that passed while waiting for its recipient to join (on any of the sender's
    channels) says so, since that is why it did not arrive; one without an expiry stops
    waiting after `JOIN_WAIT_LIMIT`."""
    waited = waiting_for_join(channel)
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(
                OutboxMessage.expires_at <= now,
                and_(
                    OutboxMessage.expires_at.is_(None),
                    OutboxMessage.not_before < now - JOIN_WAIT_LIMIT,
                    waited,
                ),
            ),
        )
        .values(
            status=OutboxStatus.DROPPED,
            last_error=case((waited, NOT_JOINED), else_=STALE),
            error_reason=case(
                (waited, DeliveryFailure.NOT_JOINED.value), else_=DeliveryFailure.STALE.value
            ),
        )
        .execution_options(synchronize_session=False)
    )
    dropped = int(result.rowcount)  # type: ignore[attr-defined]
    if dropped:
        log.info("dropped %d stale outbox message(s)", dropped)
    return dropped


async def next_due(
    session: AsyncSession,
    now: datetime,
    *,
    channel: Channel | Collection[Channel] = Channel.TELEGRAM,
) -> datetime | None:
    """When the next pending message not yet due becomes due; None if there is none."""
    return await session.scalar(
        select(func.min(OutboxMessage.not_before)).where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.not_before > now,
            or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now),
            ~waiting_for_join(channel),
        )
    )


async def release_waiting(session: AsyncSession, person_id: int, now: datetime) -> int:
    """The person has just joined (call in the join's transaction): what waited for them and
    is still relevant becomes due; the rest is dropped, as not joined in time. Returns how
    many messages are now due or to come, so the caller can wake the sender.

    Relevant means not expired (a reminder expires on its day, a seminar notice when the
    seminar starts, an announcement after `broadcasts.RELEVANT_FOR`); a message without an
    expiry is relevant for `JOIN_WAIT_LIMIT` after it was due.
    """
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.recipient_id == person_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(
                OutboxMessage.expires_at <= now,
                (OutboxMessage.expires_at.is_(None))
                & (OutboxMessage.not_before < now - JOIN_WAIT_LIMIT),
            ),
        )
        .values(
            status=OutboxStatus.DROPPED,
            last_error=NOT_JOINED,  # it did not arrive because they joined too late
            error_reason=DeliveryFailure.NOT_JOINED.value,
        )
        .execution_options(synchronize_session=False)
    )
    ready = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.recipient_id == person_id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    )
    return int(ready or 0)


async def status_counts(session: AsyncSession) -> dict[str, int]:
    """Messages per status, for logs, the CLI and tests."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {str(status): int(count) for status, count in rows.tuples()}
