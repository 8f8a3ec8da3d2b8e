"""Passwordless sign-in to the web desk: one-time links from /dasbor and browser sessions.

Only SHA-256 digests of link tokens and session keys are stored, so the database alone opens
nobody's desk. A link lasts LINK_LIFETIME and works once; a session ends at logout or after
IDLE_LIMIT without a request. Every login is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, WebLoginLink, WebSession
from services import audit
from services.errors import UserFacingError

LINK_LIFETIME = timedelta(minutes=10)
# A person may ask for this many links per window: enough for a typo'd tab, not for spraying.
LINKS_PER_WINDOW = 3
LINK_WINDOW = timedelta(minutes=15)
IDLE_LIMIT = timedelta(minutes=30)
# Writing last_seen_at on every page would make each view a write; a minute is precise enough.
_TOUCH_AFTER = timedelta(minutes=1)
LOGIN_ACTION = "web.login"
LOGOUT_ACTION = "web.logout"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TooManyLinks(UserFacingError):
    def __init__(self, minutes: int) -> None:
        super().__init__("web.dasbor.too_many", minutes=minutes)


class Refusal(StrEnum):
    """Why a login link did not sign anyone in (the page says which, the log only the reason)."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


class LinkRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class SignedIn:
    person_id: int
    session_key: str  # goes into the cookie, never stored as is


async def issue_link(session: AsyncSession, person_id: int, now: datetime) -> str:
    """A fresh one-time token for this person; TooManyLinks past the per-person limit."""
    recent = await session.scalar(
        select(func.count(WebLoginLink.id)).where(
            WebLoginLink.person_id == person_id, WebLoginLink.created_at > now - LINK_WINDOW
        )
    )
    if (recent or 0) >= LINKS_PER_WINDOW:
        raise TooManyLinks(int(LINK_WINDOW.total_seconds() // 60))
    token = secrets.token_urlsafe(32)
    session.add(
        WebLoginLink(
            person_id=person_id,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    return token


async def check_link(session: AsyncSession, token: str, now: datetime) -> None:
    """Raise LinkRefused when the token cannot sign in; reads only, so a page can say so
    before the person presses "Masuk"."""
    link = await session.scalar(
        select(WebLoginLink).where(WebLoginLink.token_hash == digest(token))
    )
    _refusal(link, now)


def _refusal(link: WebLoginLink | None, now: datetime) -> None:
    if link is None:
        raise LinkRefused(Refusal.UNKNOWN)
    if link.used_at is not None:
        raise LinkRefused(Refusal.USED)
    if link.expires_at <= now:
        raise LinkRefused(Refusal.EXPIRED)


async def redeem_link(session: AsyncSession, token: str, now: datetime) -> SignedIn:
    """Use the link (once: a conditional update, so two tabs racing get one session) and open
    a browser session for its person; audited."""
    hashed = digest(token)
    link = await session.scalar(select(WebLoginLink).where(WebLoginLink.token_hash == hashed))
    _refusal(link, now)
    assert link is not None
    taken = await session.execute(
        update(WebLoginLink)
        .where(WebLoginLink.id == link.id, WebLoginLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkRefused(Refusal.USED)
    person = await session.get(Person, link.person_id)
    if person is None or person.erased_at is not None:
        raise LinkRefused(Refusal.UNKNOWN)
    key = secrets.token_urlsafe(32)
    session.add(
        WebSession(person_id=person.id, key_hash=digest(key), created_at=now, last_seen_at=now)
    )
    audit.record(session, LOGIN_ACTION, at=now, actor_id=person.id, details={"link_id": link.id})
    return SignedIn(person.id, key)


async def session_person(session: AsyncSession, key: str, now: datetime) -> int | None:
    """The person signed in with this session key, or None (unknown, logged out, idle too
    long); a live session's idle clock starts again."""
    found = await session.scalar(select(WebSession).where(WebSession.key_hash == digest(key)))
    if found is None or found.ended_at is not None:
        return None
    if now - found.last_seen_at > IDLE_LIMIT:
        found.ended_at = found.last_seen_at + IDLE_LIMIT
        return None
    if now - found.last_seen_at > _TOUCH_AFTER:
        found.last_seen_at = now
    return found.person_id


async def end_session(session: AsyncSession, key: str, now: datetime) -> None:
    """Logout: the session is over on the server, whatever the browser keeps."""
    found = await session.scalar(select(WebSession).where(WebSession.key_hash == digest(key)))
    if found is None or found.ended_at is not None:
        return
    found.ended_at = now
    audit.record(session, LOGOUT_ACTION, at=now, actor_id=found.person_id)
