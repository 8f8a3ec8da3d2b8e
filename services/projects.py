"""A participant's proyek perubahan and its milestones: view and edit, with ownership checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from domain.dates import check_not_past
from domain.enums import FeedbackKind, Horizon, MilestoneStatus
from domain.roles import Role
from models import FeedbackNote, Membership, Milestone, Person, ProgressUpdate, Project
from services.errors import UserFacingError
from services.reminders import replan_milestone

PROJECT_FIELDS = ("title", "problem", "goal")
MILESTONE_FIELDS = ("title", "horizon", "due_on", "expected_output")
MAX_MILESTONES = 30


class NotYours(UserFacingError):
    """An id that does not belong to the acting person: guessed, forged or stale."""

    def __init__(self) -> None:
        super().__init__("access.not_yours")


@dataclass(frozen=True)
class NoteView:
    author_name: str
    kind: FeedbackKind
    text: str
    at: datetime


@dataclass(frozen=True)
class MilestoneView:
    id: int
    title: str
    horizon: Horizon
    due_on: date
    expected_output: str | None
    status: MilestoneStatus
    progress: int
    approved_at: datetime | None
    approved_by: str | None
    last_report_at: datetime | None
    newest_note: NoteView | None

    def overdue(self, today: date) -> bool:
        return self.due_on < today and self.status is not MilestoneStatus.APPROVED


@dataclass(frozen=True)
class ProjectView:
    id: int
    cohort_id: int
    title: str
    problem: str | None
    goal: str | None
    milestones: list[MilestoneView]

    @property
    def progress(self) -> int:
        """Overall progress: the mean of the milestones' progress."""
        if not self.milestones:
            return 0
        return round(sum(m.progress for m in self.milestones) / len(self.milestones))


async def current_project(session: AsyncSession, participant_id: int) -> Project:
    """The participant's project in their active cohort, created on first use."""
    membership = await session.scalar(
        select(Membership)
        .where(
            Membership.person_id == participant_id,
            Membership.role == Role.PARTICIPANT,
            Membership.active.is_(True),
        )
        .order_by(Membership.id.desc())
    )
    if membership is None:
        raise UserFacingError("project.error.no_cohort")
    project = await session.scalar(
        select(Project).where(
            Project.participant_id == participant_id, Project.cohort_id == membership.cohort_id
        )
    )
    if project is None:
        project = Project(cohort_id=membership.cohort_id, participant_id=participant_id, title="")
        session.add(project)
        await session.flush()
    return project


async def reportable_milestones(session: AsyncSession, participant_id: int) -> list[Milestone]:
    """The milestones of the participant's current project that a report can be about (not
    removed, not approved), by target date; one query, as /lapor asks on every report."""
    cohort = (
        select(Membership.cohort_id)
        .where(
            Membership.person_id == participant_id,
            Membership.role == Role.PARTICIPANT,
            Membership.active.is_(True),
        )
        .order_by(Membership.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return list(
        await session.scalars(
            select(Milestone)
            .join(Project, Project.id == Milestone.project_id)
            .where(
                Project.participant_id == participant_id,
                Project.cohort_id == cohort,
                Milestone.removed_at.is_(None),
                Milestone.status != MilestoneStatus.APPROVED,
            )
            .order_by(Milestone.due_on, Milestone.id)
        )
    )


async def project_view(session: AsyncSession, participant_id: int) -> ProjectView:
    project = await current_project(session, participant_id)
    milestones = list(
        await session.scalars(
            select(Milestone)
            .where(Milestone.project_id == project.id, Milestone.removed_at.is_(None))
            .order_by(Milestone.due_on, Milestone.id)
        )
    )
    ids = [m.id for m in milestones]
    last_report: dict[int, datetime] = {}
    newest: dict[int, NoteView] = {}
    approvers: dict[int, str] = {}
    if ids:
        for milestone_id, at in (
            await session.execute(
                select(ProgressUpdate.milestone_id, ProgressUpdate.submitted_at).where(
                    ProgressUpdate.milestone_id.in_(ids)
                )
            )
        ).tuples():
            if milestone_id not in last_report or at > last_report[milestone_id]:
                last_report[milestone_id] = at
        notes = await session.execute(
            select(ProgressUpdate.milestone_id, FeedbackNote, Person.full_name)
            .join(FeedbackNote, FeedbackNote.update_id == ProgressUpdate.id)
            .join(Person, Person.id == FeedbackNote.author_id)
            .where(
                ProgressUpdate.milestone_id.in_(ids),
                FeedbackNote.author_id != participant_id,
                # "Sudah dibaca" has no words: it must not hide the newest feedback.
                FeedbackNote.kind != FeedbackKind.ACKNOWLEDGED,
            )
            .order_by(FeedbackNote.created_at, FeedbackNote.id)
        )
        for milestone_id, note, author in notes.tuples():
            newest[milestone_id] = NoteView(author, note.kind, note.text, note.created_at)
        approver_ids = {m.approved_by_id for m in milestones if m.approved_by_id}
        if approver_ids:
            approvers = {
                pid: name
                for pid, name in (
                    await session.execute(
                        select(Person.id, Person.full_name).where(Person.id.in_(approver_ids))
                    )
                ).tuples()
            }
    return ProjectView(
        id=project.id,
        cohort_id=project.cohort_id,
        title=project.title,
        problem=project.problem,
        goal=project.goal,
        milestones=[
            MilestoneView(
                id=m.id,
                title=m.title,
                horizon=m.horizon,
                due_on=m.due_on,
                expected_output=m.expected_output,
                status=m.status,
                progress=m.progress_percent,
                approved_at=m.approved_at,
                approved_by=approvers.get(m.approved_by_id) if m.approved_by_id else None,
                last_report_at=last_report.get(m.id),
                newest_note=newest.get(m.id),
            )
            for m in milestones
        ],
    )


async def set_project_field(
    session: AsyncSession, participant_id: int, field: str, value: str, now: datetime
) -> None:
    if field not in PROJECT_FIELDS:
        raise ValueError(field)
    project = await current_project(session, participant_id)
    setattr(project, field, value)
    project.updated_at = now


async def own_milestone(session: AsyncSession, participant_id: int, milestone_id: int) -> Milestone:
    """The milestone, if it is one of this participant's and not removed; else NotYours."""
    milestone = await session.scalar(
        select(Milestone)
        .join(Project, Project.id == Milestone.project_id)
        .where(
            Milestone.id == milestone_id,
            Project.participant_id == participant_id,
            Milestone.removed_at.is_(None),
        )
        .options(contains_eager(Milestone.project))  # from the join: one query
    )
    if milestone is None:
        raise NotYours()
    return milestone


async def add_milestone(
    session: AsyncSession,
    participant_id: int,
    *,
    title: str,
    horizon: Horizon,
    due_on: date,
    expected_output: str | None,
    today: date,
    now: datetime,
) -> Milestone:
    check_not_past(due_on, today)
    project = await current_project(session, participant_id)
    count = len(
        list(
            await session.scalars(
                select(Milestone.id).where(
                    Milestone.project_id == project.id, Milestone.removed_at.is_(None)
                )
            )
        )
    )
    if count >= MAX_MILESTONES:
        raise UserFacingError("milestone.error.too_many", limit=MAX_MILESTONES)
    milestone = Milestone(
        project_id=project.id,
        title=title,
        horizon=horizon,
        due_on=due_on,
        expected_output=expected_output,
        status=MilestoneStatus.PLANNED,
        progress_percent=0,
        updated_at=now,
    )
    session.add(milestone)
    await session.flush()
    return milestone


async def edit_milestone(
    session: AsyncSession,
    participant_id: int,
    milestone_id: int,
    field: str,
    value: str | date | Horizon | None,
    *,
    today: date,
    now: datetime,
) -> Milestone:
    if field not in MILESTONE_FIELDS:
        raise ValueError(field)
    milestone = await own_milestone(session, participant_id, milestone_id)
    if field == "due_on" and isinstance(value, date):
        check_not_past(value, today)
    moved = field == "due_on" and value != milestone.due_on
    setattr(milestone, field, value)
    milestone.updated_at = now
    if moved:
        # Reminders not yet sent were for the old date; the next sweep plans the new ones.
        await replan_milestone(session, milestone.id)
    return milestone


async def remove_milestone(
    session: AsyncSession, participant_id: int, milestone_id: int, now: datetime
) -> None:
    milestone = await own_milestone(session, participant_id, milestone_id)
    milestone.removed_at = now
    milestone.updated_at = now
    await replan_milestone(session, milestone.id)
