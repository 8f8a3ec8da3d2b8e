"""Redeeming a one-time invite code: checking it, limiting guesses, binding the account.

A person joins through one channel account; a fresh code (`issue_code`) later binds an
account on another channel too. One account per person and channel: the same channel twice
is refused, never silently replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.nip import normalize_nip
from domain.roles import Role
from models import ChannelAccount, CodeAttempt, Cohort, Invite, Membership, Person
from services import audit, delivery
from services.cohorts import find_cohort, new_invite_code, normalize_code
from services.people import AccountRef, person_by_account


@dataclass(frozen=True)
class GuessLimits:
    max_failures: int
    lockout: timedelta


class Refusal(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    LOCKED = "locked"
    ACCOUNT_BOUND = "account_bound"  # this account already belongs to someone else
    # The invited person already has an account on this channel (a code for a second one).
    CHANNEL_TAKEN = "channel_taken"


@dataclass(frozen=True)
class CodeValid:
    code: str
    person_name: str


@dataclass(frozen=True)
class CodeRefused:
    reason: Refusal
    attempts_left: int | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class AlreadyJoined:
    person_name: str


@dataclass(frozen=True)
class Joined:
    person_id: int
    person_name: str
    language: str
    account_id: int
    memberships: list[tuple[str, Role]]  # (cohort name, role)
    # Messages that waited for them to join and are still relevant: now due (wake the sender).
    waiting: int = 0


CodeCheck = CodeValid | CodeRefused | AlreadyJoined
JoinResult = Joined | CodeRefused | AlreadyJoined


def _attempt_key(account: AccountRef) -> tuple[str, str]:
    return (account.channel.value, account.external_user_id)


async def _locked_until(
    session: AsyncSession, account: AccountRef, now: datetime
) -> datetime | None:
    attempt = await session.get(CodeAttempt, _attempt_key(account))
    if attempt is not None and attempt.locked_until is not None and attempt.locked_until > now:
        return attempt.locked_until
    return None


async def _count_failure(
    session: AsyncSession, account: AccountRef, now: datetime, limits: GuessLimits
) -> CodeRefused:
    """Count a wrong code; the refusal says how many tries are left, or until when it is locked."""
    attempt = await session.get(CodeAttempt, _attempt_key(account))
    if attempt is None or now - attempt.window_started_at > limits.lockout:
        if attempt is None:
            attempt = CodeAttempt(
                channel=account.channel, external_user_id=account.external_user_id, failures=0
            )
            session.add(attempt)
        attempt.failures = 0
        attempt.window_started_at = now
        attempt.locked_until = None
    attempt.failures += 1
    if attempt.failures >= limits.max_failures:
        attempt.locked_until = now + limits.lockout
        return CodeRefused(Refusal.LOCKED, locked_until=attempt.locked_until)
    return CodeRefused(Refusal.UNKNOWN, attempts_left=limits.max_failures - attempt.failures)


async def check_code(
    session: AsyncSession,
    account: AccountRef,
    raw_code: str,
    *,
    now: datetime,
    limits: GuessLimits,
) -> CodeCheck:
    """Is this a code the account may redeem? Wrong guesses are counted and limited."""
    locked = await _locked_until(session, account, now)
    if locked is not None:
        return CodeRefused(Refusal.LOCKED, locked_until=locked)

    me = await person_by_account(session, account.channel, account.external_user_id)
    code = normalize_code(raw_code)
    invite = (
        await session.scalar(
            select(Invite).where(Invite.code == code).options(selectinload(Invite.person))
        )
        if code
        else None
    )
    if invite is None:
        return await _count_failure(session, account, now, limits)
    if me is not None:
        if me.id == invite.person_id:
            return AlreadyJoined(person_name=me.full_name)
        return CodeRefused(Refusal.ACCOUNT_BOUND)
    if invite.used_at is not None:
        # A used code is as good as a guess to someone who should not have it.
        refusal = await _count_failure(session, account, now, limits)
        if refusal.reason is Refusal.LOCKED:
            return refusal
        return CodeRefused(Refusal.USED, attempts_left=refusal.attempts_left)
    if invite.person.account_on(account.channel) is not None:
        # A fresh code binds another channel; it never moves the one they have.
        return CodeRefused(Refusal.CHANNEL_TAKEN)
    return CodeValid(code=code, person_name=invite.person.full_name)


async def join(
    session: AsyncSession,
    account: AccountRef,
    chat_ref: str,
    raw_code: str,
    *,
    language: str,
    now: datetime,
    limits: GuessLimits,
) -> JoinResult:
    """Bind the account to the invited person after consent. Re-checks everything it relies on.

    `chat_ref`: where the channel delivers to this account (Telegram: the private chat id).
    """
    checked = await check_code(session, account, raw_code, now=now, limits=limits)
    if not isinstance(checked, CodeValid):
        return checked
    invite = await session.scalar(select(Invite).where(Invite.code == checked.code))
    assert invite is not None  # check_code just found it in this transaction
    # Conditional update: of two accounts racing for one code, exactly one wins.
    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return CodeRefused(Refusal.USED)
    person = await session.get_one(Person, invite.person_id)
    first_account = not person.joined
    bound = ChannelAccount(
        channel=account.channel,
        external_user_id=account.external_user_id,
        chat_ref=chat_ref,
        reachable=True,
        last_inbound_at=now,
        created_at=now,
    )
    person.accounts.append(bound)
    # The unique (person, channel) and (channel, user) constraints settle any race here.
    await session.flush()
    await session.execute(
        update(Invite)
        .where(Invite.id == invite.id)
        .values(used_by_account_id=bound.id)
        .execution_options(synchronize_session=False)
    )
    person.consent_at = now
    if first_account:
        # A second channel changes neither when they joined nor the language they chose.
        person.joined_at = now
        person.language = language
    person.updated_at = now
    attempt = await session.get(CodeAttempt, _attempt_key(account))
    if attempt is not None:
        await session.delete(attempt)
    # In this transaction: the sender sees their chat and their waiting messages at once.
    waiting = await delivery.release_waiting(session, person.id, now)
    memberships = [
        (name, role)
        for name, role in (
            await session.execute(
                select(Cohort.name, Membership.role)
                .join(Membership, Membership.cohort_id == Cohort.id)
                .where(Membership.person_id == person.id, Membership.active.is_(True))
                .order_by(Cohort.name)
            )
        ).tuples()
    ]
    audit.record(
        session,
        "person.joined",
        at=now,
        actor_id=person.id,
        details={
            "channel": account.channel.value,
            "external_user_id": account.external_user_id,
            "account_id": bound.id,
            "consent": True,
        },
    )
    return Joined(
        person_id=person.id,
        person_name=person.full_name,
        language=person.language,
        account_id=bound.id,
        memberships=memberships,
        waiting=waiting,
    )


async def issue_code(session: AsyncSession, person_id: int, now: datetime) -> str:
    """A fresh one-time code for a person, e.g. one who joined on one channel and wants to
    bind a second; the codes handed out before stay valid until used."""
    person = await session.get_one(Person, person_id)
    if person.erased_at is not None:
        raise ValueError(f"person {person_id} was erased")
    invite = Invite(person_id=person_id, code=new_invite_code(), created_at=now)
    session.add(invite)
    await session.flush()
    audit.record(session, "invite.issued", at=now, details={"person_id": person_id})
    return invite.code


async def issue_code_for_member(
    session: AsyncSession, cohort_name: str, nip: str, now: datetime
) -> tuple[str, str] | None:
    """A fresh code for an active member of the cohort, found by NIP: (their name, the code);
    None when no active member has that NIP."""
    cohort = await find_cohort(session, cohort_name)
    person = await session.scalar(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.cohort_id == cohort.id,
            Membership.active.is_(True),
            Person.nip == normalize_nip(nip),
        )
    )
    if person is None:
        return None
    return person.full_name, await issue_code(session, person.id, now)
