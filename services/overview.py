"""Read-only views: an advisor's participants, and the cohorts an organizer runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.enums import AdvisorKind, EvidenceKind, FeedbackKind, UpdateStatus
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
from services.projects import NotYours


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
            joined=person.joined,
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
            func.count(Person.id).filter(has_joined(Person)),
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


@dataclass(frozen=True)
class AdviseeSummary:
    participant_id: int
    name: str
    cohort_name: str
    kind: AdvisorKind
    joined: bool
    project_title: str | None
    progress: int
    last_report_at: datetime | None
    waiting: int  # reports with no note yet from this advisor


async def advisee_summaries(session: AsyncSession, advisor_id: int) -> list[AdviseeSummary]:
    """For /peserta: each participant's progress, last report and what waits for this advisor."""
    rows = await session.execute(
        select(Person, Cohort.id, Cohort.name, Assignment.kind)
        .join(Assignment, Assignment.participant_id == Person.id)
        .join(Cohort, Cohort.id == Assignment.cohort_id)
        .join(
            Membership,
            (Membership.person_id == Person.id) & (Membership.cohort_id == Cohort.id),
        )
        .where(Assignment.advisor_id == advisor_id, Membership.active.is_(True))
        .order_by(Cohort.name, Person.full_name)
    )
    summaries = []
    for person, cohort_id, cohort_name, kind in rows.tuples():
        project = await session.scalar(
            select(Project).where(
                Project.participant_id == person.id, Project.cohort_id == cohort_id
            )
        )
        progress, last, waiting = 0, None, 0
        if project is not None:
            percents = list(
                await session.scalars(
                    select(Milestone.progress_percent).where(
                        Milestone.project_id == project.id, Milestone.removed_at.is_(None)
                    )
                )
            )
            progress = round(sum(percents) / len(percents)) if percents else 0
            updates = (
                select(ProgressUpdate)
                .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
                .where(Milestone.project_id == project.id)
            ).subquery()
            last = await session.scalar(select(func.max(updates.c.submitted_at)))
            answered = select(FeedbackNote.update_id).where(FeedbackNote.author_id == advisor_id)
            waiting = int(
                await session.scalar(
                    select(func.count())
                    .select_from(updates)
                    .where(
                        updates.c.status == UpdateStatus.SUBMITTED,
                        updates.c.id.not_in(answered),
                    )
                )
                or 0
            )
        summaries.append(
            AdviseeSummary(
                participant_id=person.id,
                name=person.full_name,
                cohort_name=cohort_name,
                kind=kind,
                joined=person.joined,
                project_title=project.title if project and project.title else None,
                progress=progress,
                last_report_at=last,
                waiting=waiting,
            )
        )
    return summaries


@dataclass(frozen=True)
class TimelineNote:
    author_name: str
    kind: FeedbackKind
    text: str
    at: datetime


@dataclass(frozen=True)
class TimelineEntry:
    milestone_title: str
    text: str
    percent: int
    submitted_at: datetime
    status: UpdateStatus
    photos: int
    documents: list[str]
    notes: list[TimelineNote]
    obstacles: str | None = None
    next_steps: str | None = None
    corrected_at: datetime | None = None


@dataclass(frozen=True)
class TimelinePage:
    participant_name: str
    entries: list[TimelineEntry]
    page: int
    pages: int


async def timeline(
    session: AsyncSession, viewer_id: int, participant_id: int, page: int, per_page: int = 3
) -> TimelinePage:
    """A participant's reports, newest first, with evidence and the feedback thread.

    Only the participant and their own mentors and coaches (active cohort) may look.
    """
    allowed = viewer_id == participant_id or (
        await session.scalar(
            select(Assignment.id)
            .join(
                Membership,
                (Membership.person_id == Assignment.participant_id)
                & (Membership.cohort_id == Assignment.cohort_id),
            )
            .where(
                Assignment.advisor_id == viewer_id,
                Assignment.participant_id == participant_id,
                Membership.active.is_(True),
            )
            .limit(1)
        )
        is not None
    )
    if not allowed:
        raise NotYours()
    participant = await session.get_one(Person, participant_id)
    total = int(
        await session.scalar(select(func.count()).where(ProgressUpdate.author_id == participant_id))
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(page, 0), pages - 1)
    updates = list(
        await session.scalars(
            select(ProgressUpdate)
            .where(ProgressUpdate.author_id == participant_id)
            .order_by(ProgressUpdate.submitted_at.desc(), ProgressUpdate.id.desc())
            .offset(page * per_page)
            .limit(per_page)
            .options(
                selectinload(ProgressUpdate.milestone),
                selectinload(ProgressUpdate.evidence),
                selectinload(ProgressUpdate.notes).selectinload(FeedbackNote.author),
            )
        )
    )
    return TimelinePage(
        participant_name=participant.full_name,
        entries=[
            TimelineEntry(
                milestone_title=u.milestone.title,
                text=u.text,
                percent=u.progress_percent,
                submitted_at=u.submitted_at,
                status=u.status,
                photos=sum(1 for e in u.evidence if e.kind is EvidenceKind.PHOTO),
                documents=[
                    e.file_name or "-" for e in u.evidence if e.kind is not EvidenceKind.PHOTO
                ],
                notes=[
                    TimelineNote(n.author.full_name, n.kind, n.text, n.created_at) for n in u.notes
                ],
                obstacles=u.obstacles,
                next_steps=u.next_steps,
                corrected_at=u.corrected_at,
            )
            for u in updates
        ],
        page=page,
        pages=pages,
    )
