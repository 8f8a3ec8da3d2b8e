"""Who is talking to us: the acting person with roles and preferences, and their settings."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from domain.enums import Channel
from domain.i18n import SUPPORTED_LANGUAGES
from domain.nip import parse_nip
from domain.roles import Role
from domain.timezones import zone_label
from models import Assignment, ChannelAccount, Cohort, FormState, Membership, Person, Project
from services import forms

# Display order: the role a person acts in first when they hold several.
ROLE_ORDER = (Role.ADMIN, Role.MENTOR, Role.COACH, Role.EXAMINER, Role.PARTICIPANT)


@dataclass(frozen=True)
class AccountRef:
    """A channel account as the front end knows it: the channel and the user's id there.

    `id` is the stored account's, None for someone not bound to anyone yet.
    """

    channel: Channel
    external_user_id: str
    id: int | None = None


@dataclass(frozen=True)
class Actor:
    """The person behind an update, as plain values; `person_id` is None for a stranger."""

    account: AccountRef
    person_id: int | None
    name: str
    salutation: str  # "male", "female" or "neutral": Bapak, Ibu, Bapak/Ibu
    roles: frozenset[Role]
    language: str
    timezone: ZoneInfo
    # An admin from the front end's settings (ADMIN_TELEGRAM_IDS): runs every cohort, not
    # only those they are admin of.
    global_admin: bool = False
    # False once a message to this account failed for good (blocked) until they come back.
    reachable: bool = True
    # True when this very update created their record (an admin from the settings writing
    # for the first time): they are greeted as newcomers, not welcomed back.
    first_contact: bool = False
    # When they last wrote through this account, as far as it was recorded (see `touch`).
    last_inbound_at: datetime | None = None

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
    return _salutation(person.nip)


@lru_cache(maxsize=4096)
def _salutation(nip: str | None) -> str:
    # Cached: the actor is loaded on every update, and a NIP never changes its gender digit.
    if not nip:
        return "neutral"
    try:
        return parse_nip(nip).gender
    except ValueError:
        return "neutral"


def language_for_stranger(language_hint: str | None, default: str) -> str:
    """The language the channel reports for the user (e.g. "en-GB"), if the bot speaks it."""
    code = (language_hint or "").split("-")[0].lower()
    return code if code in SUPPORTED_LANGUAGES else default


async def account_of(
    session: AsyncSession, channel: Channel, external_user_id: str
) -> ChannelAccount | None:
    """The bound account with its person and memberships: one query, as it runs per update."""
    result = await session.execute(
        select(ChannelAccount)
        .where(
            ChannelAccount.channel == channel, ChannelAccount.external_user_id == external_user_id
        )
        .options(
            joinedload(ChannelAccount.person).joinedload(Person.memberships),
            joinedload(ChannelAccount.person).joinedload(Person.accounts),
        )
    )
    return result.unique().scalar_one_or_none()


async def person_by_account(
    session: AsyncSession, channel: Channel, external_user_id: str
) -> Person | None:
    account = await account_of(session, channel, external_user_id)
    return None if account is None else account.person


def holds_account(person: Person, accounts: Collection[tuple[Channel, str]]) -> bool:
    """Whether one of the person's accounts, as (channel, external user id), is among these
    (e.g. the global admins from the settings)."""
    return any((a.channel, a.external_user_id) in accounts for a in person.accounts)


# Built once, run with parameters: building a statement costs SQLAlchemy about twice what
# running it does, and this one runs on every update (docs/PERFORMANCE.md). On the tables,
# not the mapped classes, as services/forms.py explains.
_ACCOUNT, _PERSON, _MEMBERSHIP = ChannelAccount.__table__, Person.__table__, Membership.__table__
_ACTOR_QUERY = (
    select(
        _ACCOUNT.c.id,
        _ACCOUNT.c.reachable,
        _ACCOUNT.c.last_inbound_at,
        _PERSON.c.id,
        _PERSON.c.full_name,
        _PERSON.c.nip,
        _PERSON.c.language,
        _PERSON.c.timezone,
        _MEMBERSHIP.c.role,
        *forms.FORM_COLUMNS,
    )
    .join(_PERSON, _PERSON.c.id == _ACCOUNT.c.person_id)
    .outerjoin(
        _MEMBERSHIP,
        and_(_MEMBERSHIP.c.person_id == _PERSON.c.id, _MEMBERSHIP.c.active.is_(True)),
    )
    # Their open form too: nearly every update is a form's step, which reads it next.
    .outerjoin(FormState.__table__, FormState.__table__.c.person_id == _PERSON.c.id)
    .where(
        _ACCOUNT.c.channel == bindparam("channel"),
        _ACCOUNT.c.external_user_id == bindparam("external_user_id"),
    )
)


async def load_actor(
    session: AsyncSession,
    channel: Channel,
    external_user_id: str,
    *,
    global_admin: bool,
    default_language: str,
    default_zone: ZoneInfo,
    language_hint: str | None,
    display_name: str,
) -> Actor:
    """Who writes through this account. `global_admin` is the front end's call (its settings);
    `language_hint` and `display_name` are what the channel says of a stranger.

    One query of plain columns (the account, its person and their active roles), not ORM
    objects: it runs on every update, and the actor is plain values anyway."""
    if session.new or session.dirty or session.deleted:
        # A Core statement does not flush first as an ORM one does, and the actor may have
        # just been written through the ORM (a join, an admin's first contact).
        await session.flush()
    rows = (
        await session.execute(
            _ACTOR_QUERY, {"channel": channel, "external_user_id": external_user_id}
        )
    ).all()
    roles = {Role.ADMIN} if global_admin else set()
    if not rows:
        return Actor(
            account=AccountRef(channel, external_user_id),
            person_id=None,
            name=display_name,
            salutation="neutral",
            roles=frozenset(roles),
            language=language_for_stranger(language_hint, default_language),
            timezone=default_zone,
            global_admin=global_admin,
        )
    account_id, reachable, last_inbound_at, person_id, name, nip, language, zone = rows[0][:8]
    roles.update(row[8] for row in rows if row[8] is not None)
    form_row = rows[0][9:]
    forms.read_ahead(session, person_id, None if form_row[0] is None else form_row)
    return Actor(
        account=AccountRef(channel, external_user_id, account_id),
        person_id=person_id,
        name=name,
        salutation=_salutation(nip),
        roles=frozenset(roles),
        language=language,
        timezone=ZoneInfo(zone),
        global_admin=global_admin,
        reachable=reachable,
        last_inbound_at=last_inbound_at,
    )


# How stale `last_inbound_at` may get: recording every message would be a write per update.
INBOUND_RESOLUTION = timedelta(minutes=10)


async def touch(session: AsyncSession, actor: Actor, now: datetime) -> None:
    """Record that they wrote through this account, at most once per INBOUND_RESOLUTION."""
    if actor.account.id is None:
        return
    if actor.last_inbound_at is not None and now - actor.last_inbound_at < INBOUND_RESOLUTION:
        return
    await session.execute(
        update(ChannelAccount)
        .where(ChannelAccount.id == actor.account.id)
        .values(last_inbound_at=now)
        .execution_options(synchronize_session=False)
    )


async def came_back(session: AsyncSession, account_id: int, chat_ref: str, now: datetime) -> bool:
    """Someone marked unreachable (they had blocked the bot) wrote to it or unblocked it in
    their private chat: messages reach them there again. True if that changed anything."""
    changed = await session.execute(
        update(ChannelAccount)
        .where(ChannelAccount.id == account_id, ChannelAccount.reachable.is_(False))
        .values(reachable=True, blocked_since=None, chat_ref=chat_ref, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


async def ensure_admin_person(
    session: AsyncSession,
    account: AccountRef,
    chat_ref: str,
    *,
    name: str,
    language: str,
    zone: ZoneInfo,
    now: datetime,
) -> Person:
    """An admin from the front end's settings gets a person record and an account on first
    contact, for preferences."""
    person = await person_by_account(session, account.channel, account.external_user_id)
    if person is None:
        person = Person(full_name=name, language=language, timezone=zone.key, joined_at=now)
        person.accounts = [
            ChannelAccount(
                channel=account.channel,
                external_user_id=account.external_user_id,
                chat_ref=chat_ref,
                reachable=True,
                last_inbound_at=now,
                created_at=now,
            )
        ]
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
