"""How long advisors leave participants waiting: time from a report to its first response."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import AdvisorKind, FeedbackKind, UpdateStatus
from domain.roles import Role
from domain.stats import median_duration
from models import Assignment, FeedbackNote, Membership, Milestone, Person, ProgressUpdate, Project

# What counts as answering a report ("sudah dibaca" too); a participant's own reply does not.
RESPONSE_KINDS = (
    FeedbackKind.FEEDBACK,
    FeedbackKind.APPROVAL,
    FeedbackKind.REVISION_REQUEST,
    FeedbackKind.ACKNOWLEDGED,
)

_KIND_ORDER = {AdvisorKind.MENTOR: 0, AdvisorKind.COACH: 1}


@dataclass(frozen=True)
class AdvisorResponseTimes:
    """One advisor in one role (mentor or coach) across their participants in a cohort."""

    advisor_id: int
    name: str
    kind: AdvisorKind
    participants: int  # active participants assigned to this advisor in this role
    reports: int  # submitted reports of this advisor's participants
    answered: int  # reports this advisor responded to
    median: timedelta | None  # median time from a report to this advisor's first response
    waiting: int  # reports still without a response from this advisor (status "submitted")
    oldest_waiting: timedelta | None  # now - submitted_at of the oldest of those


@dataclass(frozen=True)
class _Report:
    id: int
    participant_id: int
    submitted_at: datetime
    status: UpdateStatus


def _active_participant() -> Select[tuple[int]]:
    return select(Membership.person_id).where(
        Membership.role == Role.PARTICIPANT, Membership.active.is_(True)
    )


async def _reports(
    session: AsyncSession, cohort_id: int, participant_ids: Collection[int] | None
) -> list[_Report]:
    query = (
        select(
            ProgressUpdate.id,
            Project.participant_id,
            ProgressUpdate.submitted_at,
            ProgressUpdate.status,
        )
        .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
        .join(Project, Project.id == Milestone.project_id)
        .where(
            Project.cohort_id == cohort_id,
            ProgressUpdate.author_id == Project.participant_id,
            Project.participant_id.in_(
                _active_participant().where(Membership.cohort_id == cohort_id)
            ),
        )
    )
    if participant_ids is not None:
        query = query.where(Project.participant_id.in_(list(participant_ids)))
    return [_Report(*row) for row in (await session.execute(query)).tuples()]


async def _first_responses(
    session: AsyncSession, cohort_id: int
) -> dict[tuple[int, int], datetime]:
    """(report id, author id) -> when that author first answered that report."""
    rows = await session.execute(
        select(FeedbackNote.update_id, FeedbackNote.author_id, func.min(FeedbackNote.created_at))
        .join(ProgressUpdate, ProgressUpdate.id == FeedbackNote.update_id)
        .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
        .join(Project, Project.id == Milestone.project_id)
        .where(
            Project.cohort_id == cohort_id,
            FeedbackNote.kind.in_(RESPONSE_KINDS),
            FeedbackNote.author_id != ProgressUpdate.author_id,
        )
        .group_by(FeedbackNote.update_id, FeedbackNote.author_id)
    )
    return {(update_id, author_id): at for update_id, author_id, at in rows.tuples()}


async def advisor_response_times(
    session: AsyncSession,
    cohort_id: int,
    now: datetime,
    participant_ids: Collection[int] | None = None,
) -> list[AdvisorResponseTimes]:
    """Per mentor and per coach of the cohort: reports, answered, median time, what still waits.

    Only active participants count. `participant_ids` narrows it to some participants (a
    mentor's own, for their /rekap); advisors left with nobody are then not listed. "Waiting"
    means what /peserta counts: a report still in status "submitted" that this advisor has not
    answered (an approved report, or one sent back for revision, waits for nobody). Mentors
    first, then coaches, each by name. Three queries whatever the cohort's size.
    """
    query = (
        select(Assignment.advisor_id, Assignment.participant_id, Assignment.kind, Person.full_name)
        .join(Person, Person.id == Assignment.advisor_id)
        .where(
            Assignment.cohort_id == cohort_id,
            Assignment.participant_id.in_(
                _active_participant().where(Membership.cohort_id == cohort_id)
            ),
        )
    )
    if participant_ids is not None:
        query = query.where(Assignment.participant_id.in_(list(participant_ids)))
    assignments = list((await session.execute(query)).tuples())
    if not assignments:
        return []
    reports_of: dict[int, list[_Report]] = {}
    for report in await _reports(session, cohort_id, participant_ids):
        reports_of.setdefault(report.participant_id, []).append(report)
    first = await _first_responses(session, cohort_id)

    advisors: dict[tuple[int, AdvisorKind], tuple[str, set[int]]] = {}
    for advisor_id, participant_id, kind, name in assignments:
        advisors.setdefault((advisor_id, kind), (name, set()))[1].add(participant_id)

    result = []
    for (advisor_id, kind), (name, participants) in advisors.items():
        reports = [r for p in participants for r in reports_of.get(p, [])]
        delays: list[timedelta] = []
        waiting: list[_Report] = []
        for report in reports:
            answered_at = first.get((report.id, advisor_id))
            if answered_at is not None:
                delays.append(max(answered_at - report.submitted_at, timedelta(0)))
            elif report.status is UpdateStatus.SUBMITTED:
                waiting.append(report)
        oldest = min((r.submitted_at for r in waiting), default=None)
        result.append(
            AdvisorResponseTimes(
                advisor_id=advisor_id,
                name=name,
                kind=kind,
                participants=len(participants),
                reports=len(reports),
                answered=len(delays),
                median=median_duration(delays),
                waiting=len(waiting),
                oldest_waiting=max(now - oldest, timedelta(0)) if oldest is not None else None,
            )
        )
    result.sort(key=lambda a: (_KIND_ORDER[a.kind], a.name, a.advisor_id))
    return result


def waiting_longest_first(times: Iterable[AdvisorResponseTimes]) -> list[AdvisorResponseTimes]:
    """Who leaves participants waiting comes first: most reports waiting, then the oldest wait.

    The sort is stable, so advisors nobody waits for keep the order they came in.
    """
    return sorted(
        times,
        key=lambda a: (-a.waiting, -(a.oldest_waiting or timedelta(0)).total_seconds()),
    )


async def participant_response_medians(
    session: AsyncSession, cohort_id: int
) -> dict[int, timedelta | None]:
    """Each active participant's median, over their reports, of the wait for a first answer.

    The first answer is the earliest feedback, approval or revision request by anyone but
    the participant; unanswered reports do not count. None for a participant with no answered
    report.
    """
    participants = await session.scalars(
        _active_participant().where(Membership.cohort_id == cohort_id)
    )
    delays: dict[int, list[timedelta]] = {p: [] for p in participants}
    reports = {r.id: r for r in await _reports(session, cohort_id, None)}
    earliest: dict[int, datetime] = {}
    for (update_id, _author), at in (await _first_responses(session, cohort_id)).items():
        if update_id in reports and (update_id not in earliest or at < earliest[update_id]):
            earliest[update_id] = at
    for update_id, at in earliest.items():
        report = reports[update_id]
        delays.setdefault(report.participant_id, []).append(
            max(at - report.submitted_at, timedelta(0))
        )
    return {p: median_duration(values) for p, values in delays.items()}
