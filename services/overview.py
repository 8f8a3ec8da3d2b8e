"""Read-only views: an advisor's participants, and the cohorts an organizer runs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import AdvisorKind
from domain.roles import Role
from models import Assignment, Cohort, Membership, Person, Project


@dataclass(frozen=True)
class AdviseeLine:
    name: str
    cohort_name: str
    kind: AdvisorKind
    joined: bool
    project_title: str | None


async def advisees(session: AsyncSession, advisor_id: int) -> list[AdviseeLine]:
    """The participants this person mentors or coaches, in active memberships only."""
    rows = await session.execute(
        select(Person, Cohort.name, Assignment.kind, Project.title)
        .join(Assignment, Assignment.participant_id == Person.id)
        .join(Cohort, Cohort.id == Assignment.cohort_id)
        .join(
            Membership,
            (Membership.person_id == Person.id) & (Membership.cohort_id == Cohort.id),
        )
        .outerjoin(
            Project, (Project.participant_id == Person.id) & (Project.cohort_id == Cohort.id)
        )
        .where(Assignment.advisor_id == advisor_id, Membership.active.is_(True))
        .order_by(Cohort.name, Person.full_name)
    )
    return [
        AdviseeLine(
            name=person.full_name,
            cohort_name=cohort,
            kind=kind,
            joined=person.telegram_user_id is not None,
            project_title=title,
        )
        for person, cohort, kind, title in rows.tuples()
    ]


@dataclass(frozen=True)
class CohortLine:
    name: str
    programme: str
    organizer: str | None
    year: int | None
    members: dict[Role, int]
    joined: int

    @property
    def total(self) -> int:
        return sum(self.members.values())


async def cohorts_overview(session: AsyncSession) -> list[CohortLine]:
    counts = await session.execute(
        select(
            Cohort.id,
            Membership.role,
            func.count(Membership.id),
            func.count(Person.telegram_user_id),
        )
        .join(Membership, Membership.cohort_id == Cohort.id)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.active.is_(True))
        .group_by(Cohort.id, Membership.role)
    )
    members: dict[int, dict[Role, int]] = {}
    joined: dict[int, int] = {}
    for cohort_id, role, count, joined_count in counts.tuples():
        members.setdefault(cohort_id, {})[role] = count
        joined[cohort_id] = joined.get(cohort_id, 0) + joined_count
    cohorts = await session.scalars(select(Cohort).order_by(Cohort.year.desc(), Cohort.name))
    return [
        CohortLine(
            name=c.name,
            programme=c.programme,
            organizer=c.organizer,
            year=c.year,
            members=members.get(c.id, {}),
            joined=joined.get(c.id, 0),
        )
        for c in cohorts
    ]
