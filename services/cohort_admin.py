"""Organizer tools: cohorts with their stages and dates, and invite links for who has not joined.

Every function takes the acting organizer and refuses cohorts, stages and people outside the
cohorts they run, so an id from a forged button or a typed search reaches nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.dates import InvalidDate
from domain.roles import Role
from domain.text import clean_user_text
from models import Cohort, CohortStage, Invite, Membership, Person
from services import audit
from services.cohorts import InviteLine, invites_for
from services.errors import UserFacingError
from services.overview import cohorts_overview
from services.people import salutation_of
from services.seminars import Organizer

# The column holds 60 characters; stage names are short labels ("Belajar mandiri").
STAGE_NAME_LIMIT = 60
# How many people a name search offers as buttons at most.
MATCH_LIMIT = 10


@dataclass(frozen=True)
class StageView:
    id: int
    cohort_id: int
    name: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class CohortView:
    id: int
    name: str
    organizer: str | None
    year: int | None
    members: dict[Role, int]
    joined: int
    stages: list[StageView] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.members.values())


@dataclass(frozen=True)
class StageChange:
    """A stage after it was added or its dates changed; `overlaps` are its sibling stages
    whose dates now overlap it (allowed, but worth a warning)."""

    stage: StageView
    before: tuple[date, date] | None
    overlaps: list[StageView]


class NotFound(UserFacingError):
    """A cohort, stage or person that does not exist or that this organizer does not run."""

    def __init__(self) -> None:
        super().__init__("cohort_admin.error.not_found")


def _view(stage: CohortStage) -> StageView:
    return StageView(stage.id, stage.cohort_id, stage.name, stage.starts_on, stage.ends_on)


def _managed(by: Organizer) -> Select[tuple[int]]:
    """The ids of the cohorts this organizer runs."""
    query = select(Cohort.id)
    if not by.every_cohort:
        query = query.join(Membership, Membership.cohort_id == Cohort.id).where(
            Membership.person_id == by.person_id,
            Membership.role == Role.ADMIN,
            Membership.active.is_(True),
        )
    return query


async def managed_cohort(session: AsyncSession, cohort_id: int, by: Organizer) -> Cohort:
    cohort = await session.scalar(
        select(Cohort).where(Cohort.id == cohort_id, Cohort.id.in_(_managed(by)))
    )
    if cohort is None:
        raise NotFound()
    return cohort


async def _stages(session: AsyncSession, cohort_ids: list[int]) -> dict[int, list[StageView]]:
    rows = await session.scalars(
        select(CohortStage)
        .where(CohortStage.cohort_id.in_(cohort_ids))
        .order_by(CohortStage.starts_on, CohortStage.ends_on, CohortStage.id)
    )
    stages: dict[int, list[StageView]] = {}
    for stage in rows:
        stages.setdefault(stage.cohort_id, []).append(_view(stage))
    return stages


async def list_cohorts(session: AsyncSession, by: Organizer) -> list[CohortView]:
    """The cohorts this organizer runs, newest year first, with members and stages."""
    ids = {
        name: cohort_id
        for cohort_id, name in (
            await session.execute(select(Cohort.id, Cohort.name).where(Cohort.id.in_(_managed(by))))
        ).tuples()
    }
    stages = await _stages(session, list(ids.values()))
    return [
        CohortView(
            id=ids[line.name],
            name=line.name,
            organizer=line.organizer,
            year=line.year,
            members=line.members,
            joined=line.joined,
            stages=stages.get(ids[line.name], []),
        )
        for line in await cohorts_overview(session)
        if line.name in ids
    ]


async def cohort_detail(session: AsyncSession, cohort_id: int, by: Organizer) -> CohortView:
    cohort = await managed_cohort(session, cohort_id, by)
    return next(c for c in await list_cohorts(session, by) if c.id == cohort.id)


async def managed_stage(session: AsyncSession, stage_id: int, by: Organizer) -> StageView:
    stage = await session.get(CohortStage, stage_id)
    if stage is None:
        raise NotFound()
    await managed_cohort(session, stage.cohort_id, by)
    return _view(stage)


def check_range(starts_on: date, ends_on: date) -> None:
    """A stage ends on or after the day it starts."""
    if ends_on < starts_on:
        raise InvalidDate("stage.error.order", {"start": starts_on, "end": ends_on})


async def overlapping(
    session: AsyncSession,
    cohort_id: int,
    starts_on: date,
    ends_on: date,
    *,
    except_stage_id: int | None = None,
) -> list[StageView]:
    """The cohort's other stages sharing at least one day with this range."""
    query = select(CohortStage).where(
        CohortStage.cohort_id == cohort_id,
        CohortStage.starts_on <= ends_on,
        CohortStage.ends_on >= starts_on,
    )
    if except_stage_id is not None:
        query = query.where(CohortStage.id != except_stage_id)
    rows = await session.scalars(query.order_by(CohortStage.starts_on, CohortStage.id))
    return [_view(s) for s in rows]


async def check_stage_name(session: AsyncSession, cohort_id: int, raw: str | None) -> str:
    """The typed name cleaned up; `InvalidText` when empty or too long, refused when the
    cohort already has a stage by that name (in any letter case)."""
    name = " ".join(clean_user_text(raw, limit=STAGE_NAME_LIMIT).split())
    taken = await session.scalar(
        select(CohortStage.name).where(
            CohortStage.cohort_id == cohort_id,
            func.lower(CohortStage.name) == name.lower(),
        )
    )
    if taken is not None:
        raise UserFacingError("stage.error.duplicate", name=taken)
    return name


async def set_stage_dates(
    session: AsyncSession,
    cohort_id: int,
    stage_id: int,
    starts_on: date,
    ends_on: date,
    now: datetime,
    actor_id: int | None,
    *,
    every_cohort: bool = False,
    actor_label: str | None = None,
) -> StageChange:
    """Move a stage to new dates. Nothing else reads stage dates yet (reminders and seminars
    keep their own dates), so the change touches the stage and the audit log only."""
    by = Organizer(person_id=actor_id, label=actor_label, every_cohort=every_cohort)
    await managed_cohort(session, cohort_id, by)
    stage = await session.get(CohortStage, stage_id)
    if stage is None or stage.cohort_id != cohort_id:
        raise NotFound()
    check_range(starts_on, ends_on)
    before = (stage.starts_on, stage.ends_on)
    stage.starts_on, stage.ends_on = starts_on, ends_on
    await session.flush()
    return await _stage_changed(session, stage, before, now, actor_id, actor_label)


async def add_stage(
    session: AsyncSession,
    cohort_id: int,
    name: str,
    starts_on: date,
    ends_on: date,
    now: datetime,
    actor_id: int | None,
    *,
    every_cohort: bool = False,
    actor_label: str | None = None,
) -> StageChange:
    """A new stage in the cohort; the name is checked again (another organizer may have
    added it meanwhile)."""
    by = Organizer(person_id=actor_id, label=actor_label, every_cohort=every_cohort)
    await managed_cohort(session, cohort_id, by)
    name = await check_stage_name(session, cohort_id, name)
    check_range(starts_on, ends_on)
    stage = CohortStage(cohort_id=cohort_id, name=name, starts_on=starts_on, ends_on=ends_on)
    session.add(stage)
    await session.flush()
    return await _stage_changed(session, stage, None, now, actor_id, actor_label)


async def _stage_changed(
    session: AsyncSession,
    stage: CohortStage,
    before: tuple[date, date] | None,
    now: datetime,
    actor_id: int | None,
    actor_label: str | None,
) -> StageChange:
    """Audit a stage's new dates (`before` them) or, without `before`, a new stage; with the
    stages it now overlaps."""
    details: dict[str, object] = {
        "change": "added" if before is None else "dates",
        "stage_id": stage.id,
        "name": stage.name,
    }
    if before is not None:
        details["before"] = [before[0].isoformat(), before[1].isoformat()]
    details["after"] = [stage.starts_on.isoformat(), stage.ends_on.isoformat()]
    audit.record(
        session,
        "cohort.stage",
        at=now,
        actor_id=actor_id,
        actor_label=actor_label,
        cohort_id=stage.cohort_id,
        details=details,
    )
    overlaps = await overlapping(
        session, stage.cohort_id, stage.starts_on, stage.ends_on, except_stage_id=stage.id
    )
    return StageChange(_view(stage), before, overlaps)


# --- invites -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortInvites:
    cohort_id: int
    cohort_name: str
    pending: list[InviteLine]
    total: int


async def cohort_invites(session: AsyncSession, cohort_id: int, by: Organizer) -> CohortInvites:
    """Who in the cohort has not joined yet, with their codes (read only, not audited)."""
    cohort = await managed_cohort(session, cohort_id, by)
    lines = await invites_for(session, cohort.name)
    return CohortInvites(cohort.id, cohort.name, [i for i in lines if not i.joined], len(lines))


async def pending_invites(
    session: AsyncSession, cohort_id: int, by: Organizer, now: datetime
) -> CohortInvites:
    """Everyone in the cohort who has not joined, to hand their links out; audited."""
    invites = await cohort_invites(session, cohort_id, by)
    audit.record(
        session,
        "invite.list",
        at=now,
        actor_id=by.person_id,
        actor_label=by.label,
        cohort_id=cohort_id,
        details={"scope": "pending", "count": len(invites.pending)},
    )
    return invites


@dataclass(frozen=True)
class PersonMatch:
    person_id: int
    name: str
    role: Role
    cohort_name: str


def _people(by: Organizer) -> Select[tuple[Person, Role, int, str]]:
    """Active members of the cohorts this organizer runs, one row per membership."""
    return (
        select(Person, Membership.role, Cohort.id, Cohort.name)
        .join(Membership, Membership.person_id == Person.id)
        .join(Cohort, Cohort.id == Membership.cohort_id)
        .where(Membership.active.is_(True), Cohort.id.in_(_managed(by)))
        .order_by(Person.full_name, Person.id, Cohort.id.desc())
    )


async def find_people(session: AsyncSession, text: str, by: Organizer) -> list[PersonMatch]:
    """People matching a NIP (spaces allowed, whole or in part) or part of a name."""
    words = " ".join(text.split())
    digits = words.replace(" ", "")
    if not words:
        return []
    if digits.isdigit():
        condition = Person.nip.contains(digits, autoescape=True)
    else:
        condition = func.lower(Person.full_name).contains(words.lower(), autoescape=True)
    matches: dict[int, PersonMatch] = {}
    for person, role, _cohort_id, cohort_name in (
        await session.execute(_people(by).where(condition))
    ).tuples():
        if person.id not in matches:  # one line per person: their newest managed cohort
            matches[person.id] = PersonMatch(person.id, person.full_name, role, cohort_name)
    return list(matches.values())


@dataclass(frozen=True)
class PersonInvite:
    person_id: int
    cohort_id: int
    cohort_name: str
    line: InviteLine
    joined_at: datetime | None
    salutation: str  # "male", "female" or "neutral"
    language: str


async def person_invite(
    session: AsyncSession, person_id: int, by: Organizer, now: datetime
) -> PersonInvite:
    """One person's invite, if the organizer runs a cohort they belong to; audited when the
    link is handed out (not for someone who has already joined)."""
    row = (
        (await session.execute(_people(by).where(Person.id == person_id).limit(1))).tuples().first()
    )
    if row is None:
        raise NotFound()
    person, role, cohort_id, cohort_name = row
    code = await session.scalar(
        select(Invite.code).where(Invite.person_id == person.id).order_by(Invite.id.desc()).limit(1)
    )
    joined = person.joined
    if code is None and not joined:
        raise NotFound()
    line = InviteLine(
        person.nip or "", person.full_name, role, code or "", joined, person.preferred_channel
    )
    if not joined:
        audit.record(
            session,
            "invite.list",
            at=now,
            actor_id=by.person_id,
            actor_label=by.label,
            cohort_id=cohort_id,
            details={"scope": "person", "person_id": person.id},
        )
    return PersonInvite(
        person_id=person.id,
        cohort_id=cohort_id,
        cohort_name=cohort_name,
        line=line,
        joined_at=person.joined_at,
        salutation=salutation_of(person),
        language=person.language,
    )
