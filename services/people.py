"""Who is talking to us: the acting person with roles and preferences, and their settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from domain.i18n import SUPPORTED_LANGUAGES
from domain.nip import parse_nip
from domain.roles import Role
from domain.timezones import zone_label
from models import Assignment, Cohort, Membership, Person, Project

# Display order: the role a person acts in first when they hold several.
ROLE_ORDER = (Role.ADMIN, Role.MENTOR, Role.COACH, Role.EXAMINER, Role.PARTICIPANT)


@dataclass(frozen=True)
class Actor:
    """The person behind an update, as plain values; `person_id` is None for a stranger."""

    telegram_user_id: int
    person_id: int | None
    name: str
    salutation: str  # "male", "female" or "neutral": Bapak, Ibu, Bapak/Ibu
    roles: frozenset[Role]
    language: str
    timezone: ZoneInfo
    # An admin from ADMIN_TELEGRAM_IDS: runs every cohort, not only those they are admin of.
    global_admin: bool = False
    # False once a message to them got a 403 (they blocked the bot) until they come back.
    reachable: bool = True
    # True when this very update created their record (an admin from the settings writing
    # for the first time): they are greeted as newcomers, not welcomed back.
    first_contact: bool = False

    @property
    def is_known(self) -> bool:
        return self.person_id is not None

    @property
    def main_role(self) -> Role | None:
        return next((role for role in ROLE_ORDER if role in self.roles), None)

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)


def salutation_of(person: Person) -> str:
    """Bapak or Ibu from the NIP's gender digit; unknown without a valid NIP."""
    if not person.nip:
        return "neutral"
    try:
        return parse_nip(person.nip).gender
    except ValueError:
        return "neutral"


def language_for_stranger(telegram_language: str | None, default: str) -> str:
    code = (telegram_language or "").split("-")[0].lower()
    return code if code in SUPPORTED_LANGUAGES else default


async def person_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Person | None:
    result = await session.execute(
        select(Person)
        .where(Person.telegram_user_id == telegram_user_id)
        # One query per update: this runs for every message and button press.
        .options(joinedload(Person.memberships))
    )
    return result.unique().scalar_one_or_none()


async def load_actor(
    session: AsyncSession,
    telegram_user_id: int,
    *,
    admin_ids: frozenset[int],
    default_language: str,
    default_zone: ZoneInfo,
    telegram_language: str | None,
    telegram_name: str,
) -> Actor:
    person = await person_by_telegram_id(session, telegram_user_id)
    global_admin = telegram_user_id in admin_ids
    roles = {Role.ADMIN} if global_admin else set()
    if person is None:
        return Actor(
            telegram_user_id=telegram_user_id,
            person_id=None,
            name=telegram_name,
            salutation="neutral",
            roles=frozenset(roles),
            language=language_for_stranger(telegram_language, default_language),
            timezone=default_zone,
            global_admin=global_admin,
        )
    roles.update(m.role for m in person.memberships if m.active)
    return Actor(
        telegram_user_id=telegram_user_id,
        person_id=person.id,
        name=person.full_name,
        salutation=salutation_of(person),
        roles=frozenset(roles),
        language=person.language,
        timezone=ZoneInfo(person.timezone),
        global_admin=global_admin,
        reachable=person.reachable,
    )


async def came_back(session: AsyncSession, person_id: int, chat_id: int, now: datetime) -> bool:
    """Someone marked unreachable (they had blocked the bot) wrote to it or unblocked it in
    their private chat: messages reach them there again. True if that changed anything."""
    changed = await session.execute(
        update(Person)
        .where(Person.id == person_id, Person.reachable.is_(False))
        .values(reachable=True, telegram_chat_id=chat_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


async def ensure_admin_person(
    session: AsyncSession,
    telegram_user_id: int,
    chat_id: int,
    *,
    name: str,
    language: str,
    zone: ZoneInfo,
    now: datetime,
) -> Person:
    """An admin from ADMIN_TELEGRAM_IDS gets a person record on first contact, for preferences."""
    person = await person_by_telegram_id(session, telegram_user_id)
    if person is None:
        person = Person(
            full_name=name,
            telegram_user_id=telegram_user_id,
            telegram_chat_id=chat_id,
            language=language,
            timezone=zone.key,
            joined_at=now,
        )
        session.add(person)
        await session.flush()
    return person


async def set_language(session: AsyncSession, person_id: int, language: str, now: datetime) -> None:
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    person = await session.get_one(Person, person_id)
    person.language = language
    person.updated_at = now


async def set_timezone(
    session: AsyncSession, person_id: int, zone: ZoneInfo, now: datetime
) -> None:
    person = await session.get_one(Person, person_id)
    person.timezone = zone.key
    person.updated_at = now


@dataclass(frozen=True)
class CohortRole:
    cohort_name: str
    role: Role
    seminar_group: str | None = None


@dataclass(frozen=True)
class AdvisorLink:
    name: str
    kind: str  # AdvisorKind value
    cohort_name: str


@dataclass(frozen=True)
class Profile:
    name: str
    nip_masked: str | None
    agency: str | None
    position: str | None
    language: str
    timezone: ZoneInfo
    zone_label: str
    consent_at: datetime | None
    cohorts: list[CohortRole]
    advisors: list[AdvisorLink]
    project_titles: list[str]
    rank: str | None = None  # pangkat/golongan


async def profile(session: AsyncSession, person_id: int, now: datetime) -> Profile:
    person = await session.get_one(Person, person_id)
    cohorts = [
        CohortRole(cohort_name=name, role=role, seminar_group=group)
        for name, role, group in (
            await session.execute(
                select(Cohort.name, Membership.role, Membership.seminar_group)
                .join(Membership, Membership.cohort_id == Cohort.id)
                .where(Membership.person_id == person_id, Membership.active.is_(True))
                .order_by(Cohort.name)
            )
        ).tuples()
    ]
    advisors = [
        AdvisorLink(name=name, kind=kind.value, cohort_name=cohort)
        for name, kind, cohort in (
            await session.execute(
                select(Person.full_name, Assignment.kind, Cohort.name)
                .join(Assignment, Assignment.advisor_id == Person.id)
                .join(Cohort, Cohort.id == Assignment.cohort_id)
                .where(Assignment.participant_id == person_id)
                .order_by(Assignment.kind, Person.full_name)
            )
        ).tuples()
    ]
    titles = list(
        await session.scalars(
            select(Project.title).where(Project.participant_id == person_id).order_by(Project.id)
        )
    )
    zone = ZoneInfo(person.timezone)
    return Profile(
        name=person.full_name,
        nip_masked=parse_nip(person.nip).masked if person.nip else None,
        agency=person.agency,
        position=person.position,
        language=person.language,
        timezone=zone,
        zone_label=zone_label(zone, now),
        consent_at=person.consent_at,
        cohorts=cohorts,
        advisors=advisors,
        project_titles=titles,
        rank=person.rank,
    )
