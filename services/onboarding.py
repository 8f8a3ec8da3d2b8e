"""Redeeming a one-time invite code: checking it, limiting guesses, binding the account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.roles import Role
from models import CodeAttempt, Cohort, Invite, Membership, Person
from services import audit, delivery
from services.cohorts import normalize_code
from services.people import person_by_telegram_id


@dataclass(frozen=True)
class GuessLimits:
    max_failures: int
    lockout: timedelta


class Refusal(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    LOCKED = "locked"
    ACCOUNT_BOUND = "account_bound"  # this Telegram account already belongs to someone else


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
    chat_id: int
    memberships: list[tuple[str, Role]]  # (cohort name, role)
    # Messages that waited for them to join and are still relevant: now due (wake the sender).
    waiting: int = 0


CodeCheck = CodeValid | CodeRefused | AlreadyJoined
JoinResult = Joined | CodeRefused | AlreadyJoined


async def _locked_until(
    session: AsyncSession, telegram_user_id: int, now: datetime
) -> datetime | None:
    attempt = await session.get(CodeAttempt, telegram_user_id)
    if attempt is not None and attempt.locked_until is not None and attempt.locked_until > now:
        return attempt.locked_until
    return None


async def _count_failure(
    session: AsyncSession, telegram_user_id: int, now: datetime, limits: GuessLimits
) -> CodeRefused:
    """Count a wrong code; the refusal says how many tries are left, or until when it is locked."""
    attempt = await session.get(CodeAttempt, telegram_user_id)
    if attempt is None or now - attempt.window_started_at > limits.lockout:
        if attempt is None:
            attempt = CodeAttempt(telegram_user_id=telegram_user_id, failures=0)
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
    telegram_user_id: int,
    raw_code: str,
    *,
    now: datetime,
    limits: GuessLimits,
) -> CodeCheck:
    """Is this a code the account may redeem? Wrong guesses are counted and limited."""
    locked = await _locked_until(session, telegram_user_id, now)
    if locked is not None:
        return CodeRefused(Refusal.LOCKED, locked_until=locked)

    me = await person_by_telegram_id(session, telegram_user_id)
    code = normalize_code(raw_code)
    invite = (
        await session.scalar(
            select(Invite).where(Invite.code == code).options(selectinload(Invite.person))
        )
        if code
        else None
    )
    if invite is None:
        return await _count_failure(session, telegram_user_id, now, limits)
    if me is not None:
        if me.id == invite.person_id:
            return AlreadyJoined(person_name=me.full_name)
        return CodeRefused(Refusal.ACCOUNT_BOUND)
    if invite.used_at is not None or invite.person.telegram_user_id is not None:
        # A used code is as good as a guess to someone who should not have it.
        refusal = await _count_failure(session, telegram_user_id, now, limits)
        if refusal.reason is Refusal.LOCKED:
            return refusal
        return CodeRefused(Refusal.USED, attempts_left=refusal.attempts_left)
    return CodeValid(code=code, person_name=invite.person.full_name)


async def join(
    session: AsyncSession,
    telegram_user_id: int,
    chat_id: int,
    raw_code: str,
    *,
    language: str,
    now: datetime,
    limits: GuessLimits,
) -> JoinResult:
    """Bind the account to the invited person after consent. Re-checks everything it relies on."""
    checked = await check_code(session, telegram_user_id, raw_code, now=now, limits=limits)
    if not isinstance(checked, CodeValid):
        return checked
    invite = await session.scalar(select(Invite).where(Invite.code == checked.code))
    assert invite is not None  # check_code just found it in this transaction
    # Conditional update: of two accounts racing for one code, exactly one wins.
    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=now, used_by_telegram_id=telegram_user_id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return CodeRefused(Refusal.USED)
    person = await session.get_one(Person, invite.person_id)
    person.telegram_user_id = telegram_user_id
    person.telegram_chat_id = chat_id
    person.consent_at = now
    person.joined_at = now
    person.reachable = True
    person.language = language
    person.updated_at = now
    attempt = await session.get(CodeAttempt, telegram_user_id)
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
        details={"telegram_user_id": telegram_user_id, "consent": True},
    )
    return Joined(
        person_id=person.id,
        person_name=person.full_name,
        language=person.language,
        chat_id=chat_id,
        memberships=memberships,
        waiting=waiting,
    )
