"""A cohort's progress at a glance (/rekap): figures per participant and horizon, and overall."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.enums import Horizon, MilestoneStatus, UpdateStatus
from domain.project_term import ProjectTerm
from domain.roles import Role
from models import (
    Assignment,
    Cohort,
    FeedbackNote,
    Membership,
    Milestone,
    Person,
    ProgressUpdate,
    Project,
)
from models.accounts import has_joined
from services.errors import UserFacingError
from services.response_times import (
    RESPONSE_KINDS,
    AdvisorResponseTimes,
    advisor_response_times,
    waiting_longest_first,
)
from services.terms import term_of

# "This week": the seven days before now, the same for every zone.
WEEK = timedelta(days=7)
# A participant with no report for this long is "silent" and listed as behind.
SILENT_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class HorizonFigures:
    """One participant's milestones of one horizon."""

    milestones: int = 0
    approved: int = 0
    progress: int = 0  # mean of the milestones' latest reported percent; 0 without milestones
    overdue: int = 0
    # The unrounded sum of those percents, so a participant's overall mean is not a mean of
    # rounded horizon means (which can differ from /status by a point); None: use `progress`.
    percent_sum: int | None = None


_NONE = HorizonFigures()


@dataclass(frozen=True)
class ParticipantRecap:
    participant_id: int
    name: str
    joined: bool
    horizons: Mapping[Horizon, HorizonFigures]
    reports: int
    last_report_at: datetime | None
    waiting: int  # reports still submitted that no mentor or coach has answered

    def figures(self, horizon: Horizon) -> HorizonFigures:
        return self.horizons.get(horizon, _NONE)

    @property
    def milestones(self) -> int:
        return sum(f.milestones for f in self.horizons.values())

    @property
    def overdue(self) -> int:
        return sum(f.overdue for f in self.horizons.values())

    @property
    def progress(self) -> int:
        """Overall progress: the mean over all milestones, as /status and /peserta show it."""
        total = sum(f.milestones for f in self.horizons.values())
        if not total:
            return 0
        weighted = sum(
            f.progress * f.milestones if f.percent_sum is None else f.percent_sum
            for f in self.horizons.values()
        )
        return round(weighted / total)

    def silent_since(self, now: datetime) -> bool:
        """No report in SILENT_AFTER (or never)."""
        return self.last_report_at is None or now - self.last_report_at > SILENT_AFTER


@dataclass(frozen=True)
class CohortFigures:
    participants: int
    joined: int
    reports_this_week: int
    waiting_feedback: int
    overdue_milestones: int
    silent: int  # participants with no report in SILENT_AFTER


@dataclass(frozen=True)
class Recap:
    cohort_id: int
    cohort_name: str
    at: datetime
    scoped: bool  # an advisor's own participants, not the whole cohort
    participants: list[ParticipantRecap]
    figures: CohortFigures
    response_times: list[AdvisorResponseTimes] = field(default_factory=list)
    project_term: ProjectTerm = ProjectTerm.PROYEK_PERUBAHAN

    @property
    def behind(self) -> list[ParticipantRecap]:
        """Who needs attention: overdue milestones or no recent report; most overdue first."""
        late = [p for p in self.participants if p.overdue or p.silent_since(self.at)]
        return sorted(late, key=lambda p: (-p.overdue, p.last_report_at is not None, p.name))


@dataclass(frozen=True)
class RecapScope:
    """A recap someone may ask for: a whole cohort, or an advisor's own participants in it."""

    cohort_id: int
    cohort_name: str
    participant_ids: frozenset[int] | None  # None: everyone in the cohort
    advisor_id: int | None  # set for an advisor: their own response times only


async def recap_scopes(
    session: AsyncSession, person_id: int | None, *, every_cohort: bool
) -> list[RecapScope]:
    """What this person may see in /rekap, one scope per cohort, by cohort name.

    `every_cohort`: an admin from the settings, who runs every cohort. An admin by membership
    sees the cohorts they organize whole; a mentor or coach sees, per cohort, the participants
    assigned to them (active memberships only). Cohorts where an advisor has nobody are left out.
    """
    scopes: dict[int, RecapScope] = {}
    organized = select(Cohort.id, Cohort.name)
    if not every_cohort:
        organized = organized.join(Membership, Membership.cohort_id == Cohort.id).where(
            Membership.person_id == person_id,
            Membership.role == Role.ADMIN,
            Membership.active.is_(True),
        )
    for cohort_id, name in (await session.execute(organized)).tuples():
        scopes[cohort_id] = RecapScope(cohort_id, name, None, None)
    if person_id is not None:
        advising = aliased(Membership, name="advising")
        advised = aliased(Membership, name="advised")
        rows = await session.execute(
            select(Cohort.id, Cohort.name, Assignment.participant_id)
            .join(Assignment, Assignment.cohort_id == Cohort.id)
            # Both the advisor and the participant still active in the cohort.
            .join(
                advising,
                and_(
                    advising.cohort_id == Cohort.id,
                    advising.person_id == Assignment.advisor_id,
                    advising.role.in_([Role.MENTOR, Role.COACH]),
                    advising.active.is_(True),
                ),
            )
            .join(
                advised,
                and_(
                    advised.cohort_id == Cohort.id,
                    advised.person_id == Assignment.participant_id,
                    advised.role == Role.PARTICIPANT,
                    advised.active.is_(True),
                ),
            )
            .where(Assignment.advisor_id == person_id)
        )
        own: dict[int, tuple[str, set[int]]] = {}
        for cohort_id, name, participant_id in rows.tuples():
            own.setdefault(cohort_id, (name, set()))[1].add(participant_id)
        for cohort_id, (name, ids) in own.items():
            if cohort_id not in scopes:  # organizing a cohort shows all of it
                scopes[cohort_id] = RecapScope(cohort_id, name, frozenset(ids), person_id)
    return sorted(scopes.values(), key=lambda s: (s.cohort_name, s.cohort_id))


async def recap_for(session: AsyncSession, scope: RecapScope, now: datetime) -> Recap:
    """The recap of a scope from recap_scopes, with the response times the viewer may see."""
    return await cohort_recap(
        session, scope.cohort_id, now, scope.participant_ids, advisor_id=scope.advisor_id
    )


def _today(now: datetime, zone: str) -> date:
    try:
        return now.astimezone(ZoneInfo(zone)).date()
    except (ValueError, KeyError):  # an unknown zone string: fall back to UTC, do not fail
        return now.date()


async def cohort_recap(
    session: AsyncSession,
    cohort_id: int,
    now: datetime,
    participant_ids: Collection[int] | None = None,
    *,
    advisor_id: int | None = None,
) -> Recap:
    """Per participant and horizon: milestones, approved, mean progress, overdue; and totals.

    A milestone is overdue when its target date has passed in the participant's own zone and it
    is not approved (as /status says "terlambat"). `participant_ids` limits the recap to those
    participants (an advisor's own); `advisor_id` limits the response times to that advisor.
    Four queries whatever the cohort's size, plus the response times.
    """
    cohort = await session.get(Cohort, cohort_id)
    if cohort is None:
        raise UserFacingError("recap.error.unknown_cohort")
    ids = None if participant_ids is None else sorted(set(participant_ids))

    people_query = (
        select(Person.id, Person.full_name, Person.timezone, has_joined(Person))
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.cohort_id == cohort_id,
            Membership.role == Role.PARTICIPANT,
            Membership.active.is_(True),
        )
        .order_by(Person.full_name, Person.id)
    )
    if ids is not None:
        people_query = people_query.where(Person.id.in_(ids))
    people = (await session.execute(people_query)).tuples().all()
    chosen = [p[0] for p in people]

    counts: dict[tuple[int, Horizon], list[int]] = {}  # [milestones, approved, sum %, overdue]
    reports: dict[int, tuple[int, datetime | None, int, int]] = {}
    if chosen:
        zones = {person_id: zone for person_id, _, zone, _ in people}
        milestones = await session.execute(
            select(
                Project.participant_id,
                Milestone.horizon,
                Milestone.status,
                Milestone.progress_percent,
                Milestone.due_on,
            )
            .join(Project, Project.id == Milestone.project_id)
            .where(
                Project.cohort_id == cohort_id,
                Project.participant_id.in_(chosen),
                Milestone.removed_at.is_(None),
            )
        )
        for participant_id, horizon, status, percent, due_on in milestones.tuples():
            row = counts.setdefault((participant_id, horizon), [0, 0, 0, 0])
            row[0] += 1
            row[2] += percent
            if status is MilestoneStatus.APPROVED:
                row[1] += 1
            elif due_on < _today(now, zones[participant_id]):
                row[3] += 1

        answered = (
            exists()
            .where(
                FeedbackNote.update_id == ProgressUpdate.id,
                FeedbackNote.author_id != ProgressUpdate.author_id,
                FeedbackNote.kind.in_(RESPONSE_KINDS),
            )
            .correlate(ProgressUpdate)
        )
        waiting = and_(
            ProgressUpdate.status == UpdateStatus.SUBMITTED,
            Milestone.removed_at.is_(None),
            ~answered,
        )
        rows = await session.execute(
            select(
                ProgressUpdate.author_id,
                func.count(ProgressUpdate.id),
                func.max(ProgressUpdate.submitted_at),
                func.sum(case((ProgressUpdate.submitted_at > now - WEEK, 1), else_=0)),
                func.sum(case((waiting, 1), else_=0)),
            )
            .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
            .join(Project, Project.id == Milestone.project_id)
            .where(
                Project.cohort_id == cohort_id,
                ProgressUpdate.author_id.in_(chosen),
                ProgressUpdate.submitted_at <= now,
            )
            .group_by(ProgressUpdate.author_id)
        )
        for author_id, total, last, week, waiting_count in rows.tuples():
            reports[author_id] = (int(total), last, int(week or 0), int(waiting_count or 0))

    participants = []
    week_total = 0
    for person_id, name, _, has_account in people:
        horizons = {}
        for horizon in Horizon:
            c = counts.get((person_id, horizon))
            if c is not None:
                horizons[horizon] = HorizonFigures(
                    milestones=c[0],
                    approved=c[1],
                    progress=round(c[2] / c[0]),
                    overdue=c[3],
                    percent_sum=c[2],
                )
        total, last, week, waiting_count = reports.get(person_id, (0, None, 0, 0))
        week_total += week
        participants.append(
            ParticipantRecap(
                participant_id=person_id,
                name=name,
                joined=bool(has_account),
                horizons=MappingProxyType(horizons),
                reports=total,
                last_report_at=last,
                waiting=waiting_count,
            )
        )
    figures = CohortFigures(
        participants=len(participants),
        joined=sum(1 for p in participants if p.joined),
        reports_this_week=week_total,
        waiting_feedback=sum(p.waiting for p in participants),
        overdue_milestones=sum(p.overdue for p in participants),
        silent=sum(1 for p in participants if p.silent_since(now)),
    )
    return Recap(
        cohort_id=cohort.id,
        cohort_name=cohort.name,
        at=now,
        scoped=ids is not None,
        participants=participants,
        figures=figures,
        response_times=await _response_times(session, cohort_id, now, ids, advisor_id),
        project_term=term_of(cohort),
    )


async def _response_times(
    session: AsyncSession,
    cohort_id: int,
    now: datetime,
    participant_ids: list[int] | None,
    advisor_id: int | None,
) -> list[AdvisorResponseTimes]:
    """Everyone's for an organizer; an advisor sees only their own figures."""
    times = await advisor_response_times(session, cohort_id, now, participant_ids)
    if advisor_id is not None:
        times = [a for a in times if a.advisor_id == advisor_id]
    return waiting_longest_first(times)
