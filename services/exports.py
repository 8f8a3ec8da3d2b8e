"""A cohort's record as plain rows: participants, milestones, reports, feedback, seminars,
delivery, and each advisor's response times.

The rows are what the XLSX and CSV exports (`documents/`) print; they carry aware UTC
datetimes, durations and enums, and no text from the catalogs, so any renderer can
present them in its reader's language and zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from domain.enums import (
    AdvisorKind,
    DeliveryFailure,
    EvidenceKind,
    FeedbackKind,
    Horizon,
    MilestoneStatus,
    OutboxStatus,
    SeminarKind,
    SeminarStatus,
    UpdateStatus,
)
from domain.project_term import ProjectTerm
from domain.roles import Role
from domain.timezones import stored_zone, zone_label
from models import (
    Assignment,
    Cohort,
    CohortGroup,
    FeedbackNote,
    Membership,
    Milestone,
    OutboxMessage,
    Person,
    ProgressUpdate,
    Project,
    Seminar,
    SeminarPresenter,
)
from services import audit
from services.cohorts import find_cohort
from services.delivery import failure_reason
from services.errors import UnknownCohort
from services.response_times import (
    RESPONSE_KINDS,
    AdvisorResponseTimes,
    advisor_response_times,
    participant_response_medians,
    waiting_longest_first,
)
from services.scoring import ScoreRow
from services.scoring import export_rows as score_rows
from services.seminar_materials import MaterialRow, cohort_materials
from services.terms import term_of

# The tables of an export, in the order the workbook shows them.
TABLES: tuple[str, ...] = (
    "participants",
    "milestones",
    "reports",
    "feedback",
    "seminars",
    "deliveries",
    "response_times",
    "seminar_materials",
    "seminar_scores",
)

# Who wrote a note, seen from the report's participant.
AUTHOR_PARTICIPANT = "participant"
AUTHOR_MENTOR = "mentor"
AUTHOR_COACH = "coach"
AUTHOR_OTHER = "other"


@dataclass(frozen=True)
class ParticipantRow:
    person_id: int
    name: str
    nip: str | None
    agency: str | None
    position: str | None
    zone: str  # the participant's zone label, "WIB"
    seminar_group: str | None
    project_title: str | None
    mentors: tuple[str, ...]
    coaches: tuple[str, ...]
    joined: bool
    progress: int  # mean of the milestones' progress, as /status shows it
    milestones_approved: int
    milestones_total: int
    milestones_overdue: int
    last_report_at: datetime | None
    reports: int
    feedback_received: int  # feedback, approvals and revision requests on their reports
    median_response: timedelta | None  # to the first answer by any advisor
    rank: str | None = None  # pangkat/golongan from the roster


@dataclass(frozen=True)
class MilestoneRow:
    id: int
    participant: str
    horizon: Horizon
    title: str
    due_on: date
    expected_output: str | None
    status: MilestoneStatus
    progress: int
    overdue: bool
    approved_by: str | None
    approved_at: datetime | None


@dataclass(frozen=True)
class EvidenceItem:
    kind: EvidenceKind
    file_name: str | None
    caption: str | None
    url: str | None


@dataclass(frozen=True)
class ReportRow:
    id: int
    participant: str
    milestone: str
    submitted_at: datetime
    progress: int
    status: UpdateStatus
    text: str
    evidence: tuple[EvidenceItem, ...]
    obstacles: str | None = None
    next_steps: str | None = None
    corrected_at: datetime | None = None
    original_text: str | None = None  # the words first sent, when corrected


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    report_id: int
    participant: str
    author: str
    author_role: str  # AUTHOR_PARTICIPANT, AUTHOR_MENTOR, AUTHOR_COACH or AUTHOR_OTHER
    kind: FeedbackKind
    at: datetime
    text: str
    # For an author's first answer to a report: how long after the report it came.
    response_time: timedelta | None


@dataclass(frozen=True)
class SeminarRow:
    id: int
    kind: SeminarKind
    starts_at: datetime
    zone: str  # label of the zone the seminar was scheduled in
    place: str | None
    link: str | None
    status: SeminarStatus
    presenters: tuple[str, ...]
    examiner: str | None


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    created_at: datetime
    recipient: str  # a person's name, or the chat id of a group
    kind: str
    message_key: str
    status: OutboxStatus
    attempts: int
    sent_at: datetime | None
    error: str | None  # the raw error text, for operators
    reason: DeliveryFailure | None = None  # why it failed or was dropped, for organizers


@dataclass(frozen=True)
class CohortExport:
    cohort_id: int
    cohort_name: str
    programme: str
    organizer: str | None
    generated_at: datetime
    participants: list[ParticipantRow] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)
    reports: list[ReportRow] = field(default_factory=list)
    feedback: list[FeedbackRow] = field(default_factory=list)
    seminars: list[SeminarRow] = field(default_factory=list)
    deliveries: list[DeliveryRow] = field(default_factory=list)
    # Per mentor and per coach; who leaves participants waiting longest first.
    response_times: list[AdvisorResponseTimes] = field(default_factory=list)
    # Every version of every laporan and bahan tayang sent for the cohort's seminars.
    seminar_materials: list[MaterialRow] = field(default_factory=list)
    # Every submitted score sheet of the cohort's seminars (drafts stay the examiner's).
    seminar_scores: list[ScoreRow] = field(default_factory=list)
    # What the cohort calls the project (proyek perubahan, aksi perubahan), for headings.
    project_term: ProjectTerm = ProjectTerm.PROYEK_PERUBAHAN

    def counts(self) -> dict[str, int]:
        """Rows per table, in TABLES order."""
        return {name: len(getattr(self, name)) for name in TABLES}


def record_export(
    session: AsyncSession,
    export: CohortExport,
    *,
    file_format: str,
    at: datetime,
    actor_id: int | None = None,
    actor_label: str | None = None,
) -> None:
    """The audit entry of an export: who took which cohort's records, in what form, how much."""
    audit.record(
        session,
        "export",
        at=at,
        actor_id=actor_id,
        actor_label=actor_label,
        cohort_id=export.cohort_id,
        details={"format": file_format, "tables": list(TABLES), "rows": export.counts()},
    )


def _overdue(due_on: date, status: MilestoneStatus, today: date) -> bool:
    # The rule of services.projects.MilestoneView.overdue, which /status prints as "terlambat".
    return due_on < today and status is not MilestoneStatus.APPROVED


async def _find(session: AsyncSession, cohort_name_or_id: str | int) -> Cohort:
    if isinstance(cohort_name_or_id, int):
        cohort = await session.get(Cohort, cohort_name_or_id)
        if cohort is None:
            raise UnknownCohort(str(cohort_name_or_id))
        return cohort
    return await find_cohort(session, cohort_name_or_id)


async def cohort_export(
    session: AsyncSession, cohort_name_or_id: str | int, now: datetime
) -> CohortExport:
    """Everything an organizer keeps about one cohort, for its active participants.

    "Overdue" is judged by each participant's own calendar day, as /status does. Removed
    milestones are left out of the milestone table and counts; reports on them stay.
    Raises UnknownCohort. A fixed number of queries, whatever the cohort's size.
    """
    cohort = await _find(session, cohort_name_or_id)
    enrolled = select(Membership.person_id).where(
        Membership.cohort_id == cohort.id,
        Membership.role == Role.PARTICIPANT,
        Membership.active.is_(True),
    )

    people = list(
        (
            await session.execute(
                select(Person, Membership.seminar_group, Project.title)
                .join(Membership, Membership.person_id == Person.id)
                .outerjoin(
                    Project,
                    (Project.participant_id == Person.id) & (Project.cohort_id == cohort.id),
                )
                .where(
                    Membership.cohort_id == cohort.id,
                    Membership.role == Role.PARTICIPANT,
                    Membership.active.is_(True),
                )
                .order_by(Person.full_name, Person.id)
            )
        ).tuples()
    )
    names = {person.id: person.full_name for person, _, _ in people}
    today = {
        person.id: now.astimezone(stored_zone(person.timezone)).date() for person, _, _ in people
    }

    advisors: dict[int, dict[AdvisorKind, list[str]]] = {p: {} for p in names}
    advisor_kind: dict[tuple[int, int], AdvisorKind] = {}
    for participant_id, advisor_id, kind, advisor_name in (
        await session.execute(
            select(
                Assignment.participant_id, Assignment.advisor_id, Assignment.kind, Person.full_name
            )
            .join(Person, Person.id == Assignment.advisor_id)
            .where(Assignment.cohort_id == cohort.id, Assignment.participant_id.in_(enrolled))
            .order_by(Person.full_name)
        )
    ).tuples():
        advisors[participant_id].setdefault(kind, []).append(advisor_name)
        # A mentor who also coaches the same participant is shown as the mentor.
        if advisor_kind.get((participant_id, advisor_id)) is not AdvisorKind.MENTOR:
            advisor_kind[(participant_id, advisor_id)] = kind

    approver = aliased(Person)
    order = {p: i for i, p in enumerate(names)}
    milestone_rows: list[MilestoneRow] = []
    milestone_order: dict[int, tuple[int, date, int]] = {}  # by id: participant, due, id
    per_participant: dict[int, list[MilestoneRow]] = {p: [] for p in names}
    for milestone, participant_id, approved_by in (
        await session.execute(
            select(Milestone, Project.participant_id, approver.full_name)
            .join(Project, Project.id == Milestone.project_id)
            .outerjoin(approver, approver.id == Milestone.approved_by_id)
            .where(
                Project.cohort_id == cohort.id,
                Project.participant_id.in_(enrolled),
                Milestone.removed_at.is_(None),
            )
            .order_by(Milestone.due_on, Milestone.id)
        )
    ).tuples():
        row = MilestoneRow(
            id=milestone.id,
            participant=names[participant_id],
            horizon=milestone.horizon,
            title=milestone.title,
            due_on=milestone.due_on,
            expected_output=milestone.expected_output,
            status=milestone.status,
            progress=milestone.progress_percent,
            overdue=_overdue(milestone.due_on, milestone.status, today[participant_id]),
            approved_by=approved_by,
            approved_at=milestone.approved_at,
        )
        milestone_rows.append(row)
        milestone_order[row.id] = (order[participant_id], row.due_on, row.id)
        per_participant[participant_id].append(row)
    # By participant id, not name: namesakes (common in a cohort) keep their rows apart.
    milestone_rows.sort(key=lambda m: milestone_order[m.id])

    report_rows: list[ReportRow] = []
    report_of: dict[int, tuple[int, datetime]] = {}  # report id -> participant, submitted_at
    for update, milestone_title, participant_id in (
        await session.execute(
            select(ProgressUpdate, Milestone.title, Project.participant_id)
            .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
            .join(Project, Project.id == Milestone.project_id)
            .where(
                Project.cohort_id == cohort.id,
                Project.participant_id.in_(enrolled),
                ProgressUpdate.author_id == Project.participant_id,
            )
            .order_by(ProgressUpdate.submitted_at, ProgressUpdate.id)
            .options(selectinload(ProgressUpdate.evidence))
        )
    ).tuples():
        report_of[update.id] = (participant_id, update.submitted_at)
        report_rows.append(
            ReportRow(
                id=update.id,
                participant=names[participant_id],
                milestone=milestone_title,
                submitted_at=update.submitted_at,
                progress=update.progress_percent,
                status=update.status,
                text=update.text,
                evidence=tuple(
                    EvidenceItem(e.kind, e.file_name, e.caption, e.url) for e in update.evidence
                ),
                obstacles=update.obstacles,
                next_steps=update.next_steps,
                corrected_at=update.corrected_at,
                original_text=update.original_text,
            )
        )

    feedback_rows: list[FeedbackRow] = []
    received: dict[int, int] = {}
    answered: set[tuple[int, int]] = set()
    notes = (
        await session.execute(
            select(FeedbackNote, Person.full_name)
            .join(Person, Person.id == FeedbackNote.author_id)
            .join(ProgressUpdate, ProgressUpdate.id == FeedbackNote.update_id)
            .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
            .join(Project, Project.id == Milestone.project_id)
            .where(Project.cohort_id == cohort.id, Project.participant_id.in_(enrolled))
            .order_by(FeedbackNote.created_at, FeedbackNote.id)
        )
    ).tuples()
    for note, author_name in notes:
        if note.update_id not in report_of:
            continue  # a report someone else wrote into the project: not the participant's
        participant_id, submitted_at = report_of[note.update_id]
        response_time = None
        if note.author_id == participant_id:
            role = AUTHOR_PARTICIPANT
        else:
            advisor = advisor_kind.get((participant_id, note.author_id))
            role = AUTHOR_OTHER if advisor is None else advisor.value
            if note.kind in RESPONSE_KINDS:
                received[participant_id] = received.get(participant_id, 0) + 1
                if (note.update_id, note.author_id) not in answered:
                    answered.add((note.update_id, note.author_id))
                    response_time = max(note.created_at - submitted_at, timedelta(0))
        feedback_rows.append(
            FeedbackRow(
                id=note.id,
                report_id=note.update_id,
                participant=names[participant_id],
                author=author_name,
                author_role=role,
                kind=note.kind,
                at=note.created_at,
                text=note.text,
                response_time=response_time,
            )
        )

    medians = await participant_response_medians(session, cohort.id)
    reports_by: dict[int, list[datetime]] = {}
    for participant_id, submitted_at in report_of.values():
        reports_by.setdefault(participant_id, []).append(submitted_at)
    participant_rows = []
    for person, seminar_group, project_title in people:
        milestones = per_participant[person.id]
        submitted = reports_by.get(person.id, [])
        participant_rows.append(
            ParticipantRow(
                person_id=person.id,
                name=person.full_name,
                nip=person.nip,
                agency=person.agency,
                position=person.position,
                zone=zone_label(stored_zone(person.timezone), now),
                seminar_group=seminar_group,
                project_title=project_title or None,
                mentors=tuple(advisors[person.id].get(AdvisorKind.MENTOR, [])),
                coaches=tuple(advisors[person.id].get(AdvisorKind.COACH, [])),
                joined=person.joined,
                progress=(
                    round(sum(m.progress for m in milestones) / len(milestones))
                    if milestones
                    else 0
                ),
                milestones_approved=sum(
                    1 for m in milestones if m.status is MilestoneStatus.APPROVED
                ),
                milestones_total=len(milestones),
                milestones_overdue=sum(1 for m in milestones if m.overdue),
                last_report_at=max(submitted, default=None),
                reports=len(submitted),
                feedback_received=received.get(person.id, 0),
                median_response=medians.get(person.id),
                rank=person.rank,
            )
        )

    return CohortExport(
        cohort_id=cohort.id,
        cohort_name=cohort.name,
        programme=cohort.programme,
        project_term=term_of(cohort),
        organizer=cohort.organizer,
        generated_at=now,
        participants=participant_rows,
        milestones=milestone_rows,
        reports=report_rows,
        feedback=feedback_rows,
        seminars=await _seminars(session, cohort.id),
        deliveries=await _deliveries(session, cohort.id),
        response_times=waiting_longest_first(await advisor_response_times(session, cohort.id, now)),
        seminar_materials=await cohort_materials(session, cohort.id),
        seminar_scores=await score_rows(session, cohort.id),
    )


async def _seminars(session: AsyncSession, cohort_id: int) -> list[SeminarRow]:
    seminars = list(
        await session.scalars(
            select(Seminar)
            .where(Seminar.cohort_id == cohort_id)
            .order_by(Seminar.starts_at, Seminar.id)
        )
    )
    if not seminars:
        return []
    ids = [s.id for s in seminars]
    presenters: dict[int, list[str]] = {i: [] for i in ids}
    for seminar_id, name in (
        await session.execute(
            select(SeminarPresenter.seminar_id, Person.full_name)
            .join(Person, Person.id == SeminarPresenter.participant_id)
            .where(SeminarPresenter.seminar_id.in_(ids))
            .order_by(Person.full_name)
        )
    ).tuples():
        presenters[seminar_id].append(name)
    examiner_ids = {s.examiner_id for s in seminars if s.examiner_id is not None}
    examiners = dict(
        (
            await session.execute(
                select(Person.id, Person.full_name).where(Person.id.in_(examiner_ids))
            )
        )
        .tuples()
        .all()
    )
    return [
        SeminarRow(
            id=s.id,
            kind=s.kind,
            starts_at=s.starts_at,
            zone=zone_label(stored_zone(s.timezone), s.starts_at),
            place=s.place,
            link=s.online_link,
            status=s.status,
            presenters=tuple(presenters[s.id]),
            examiner=examiners.get(s.examiner_id) if s.examiner_id is not None else None,
        )
        for s in seminars
    ]


async def _deliveries(session: AsyncSession, cohort_id: int) -> list[DeliveryRow]:
    """The cohort's messages, and those to its members that name no cohort (report relays)."""
    members = select(Membership.person_id).where(Membership.cohort_id == cohort_id)
    rows = await session.execute(
        # A group's post names the group (its title, else its chat).
        select(
            OutboxMessage,
            func.coalesce(Person.full_name, CohortGroup.title, CohortGroup.chat_ref),
        )
        .outerjoin(Person, Person.id == OutboxMessage.recipient_id)
        .outerjoin(CohortGroup, CohortGroup.id == OutboxMessage.group_id)
        .where(
            or_(
                OutboxMessage.cohort_id == cohort_id,
                OutboxMessage.cohort_id.is_(None) & OutboxMessage.recipient_id.in_(members),
            )
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [
        DeliveryRow(
            id=m.id,
            created_at=m.created_at,
            recipient=name or "",
            kind=m.kind,
            message_key=str((m.payload or {}).get("key", "")),
            status=m.status,
            attempts=m.attempts,
            sent_at=m.sent_at,
            error=m.last_error,
            reason=failure_reason(m.error_reason, m.last_error),
        )
        for m, name in rows.tuples()
    ]
