"""A participant's portfolio: project, milestones, every report with evidence and its thread.

Gathered as plain frozen values for the PDF renderer (`documents/portfolio_pdf.py`), with the
rule of who may ask for whose portfolio. Photo bytes come from the evidence store (by the
SHA-256 each evidence row keeps), read by `fetch_images` before anything is rendered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.enums import (
    AdvisorKind,
    EvidenceKind,
    FeedbackKind,
    Horizon,
    MilestoneStatus,
    UpdateStatus,
)
from domain.nip import normalize_nip
from domain.project_term import ProjectTerm
from domain.roles import Role
from domain.timezones import stored_zone
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
from services import audit
from services.errors import UserFacingError
from services.terms import term_of
from storage.evidence_store import EvidenceStore

AUDIT_ACTION = "export.portfolio"
# Photos are read a few at a time: quick, without opening every file of a long record at once.
FETCH_CONCURRENCY = 4


class Relation(StrEnum):
    """Why a viewer may see a portfolio."""

    SELF = "self"
    MENTOR = "mentor"
    COACH = "coach"
    ADMIN = "admin"


@dataclass(frozen=True)
class EvidenceRef:
    kind: EvidenceKind
    ref: str | None  # the file's reference on the channel it came by: names it in the PDF
    file_name: str | None
    caption: str | None
    url: str | None
    sha256: str | None = None  # the bytes' key in the evidence store; None: not stored


@dataclass(frozen=True)
class ThreadNote:
    """A note in a report's thread; `replies` are the notes answering it, oldest first."""

    id: int
    author_name: str
    author_role: Role | None  # relative to this participant; None for anyone else
    kind: FeedbackKind
    at: datetime
    text: str
    replies: tuple[ThreadNote, ...]


@dataclass(frozen=True)
class ReportEntry:
    id: int
    milestone_title: str
    text: str
    progress: int
    submitted_at: datetime
    status: UpdateStatus
    evidence: tuple[EvidenceRef, ...]
    thread: tuple[ThreadNote, ...]
    obstacles: str | None = None
    next_steps: str | None = None
    corrected_at: datetime | None = None


@dataclass(frozen=True)
class MilestoneEntry:
    id: int
    title: str
    horizon: Horizon
    due_on: date
    expected_output: str | None
    status: MilestoneStatus
    progress: int
    approved_by: str | None
    approved_at: datetime | None


@dataclass(frozen=True)
class SignOff:
    milestone_title: str
    approver_name: str
    approver_role: Role | None
    at: datetime


@dataclass(frozen=True)
class AdvisorEntry:
    name: str
    kind: AdvisorKind
    nip: str | None = None  # 18 digits as stored, for the approval sheet's signature block
    rank: str | None = None  # pangkat/golongan


@dataclass(frozen=True)
class Portfolio:
    participant_id: int
    name: str
    nip: str | None  # 18 digits as stored
    agency: str | None
    position: str | None
    timezone: ZoneInfo
    cohort_id: int
    cohort_name: str
    programme: str
    organizer: str | None
    project_title: str | None
    problem: str | None
    goal: str | None
    advisors: tuple[AdvisorEntry, ...]
    milestones: tuple[MilestoneEntry, ...]
    reports: tuple[ReportEntry, ...]
    sign_offs: tuple[SignOff, ...]
    rank: str | None = None  # pangkat/golongan, from the roster
    cohort_year: int | None = None
    project_term: ProjectTerm = ProjectTerm.PROYEK_PERUBAHAN  # the cohort's word for it

    @property
    def photo_refs(self) -> list[str]:
        """Every photo to embed, each once, in report order."""
        return list(self.photo_keys)

    @property
    def photo_keys(self) -> dict[str, str | None]:
        """Every photo to embed, each once, in report order: the reference the renderer looks
        it up by, with its key in the evidence store (None: its bytes were never stored)."""
        seen: dict[str, str | None] = {}
        for report in self.reports:
            for item in report.evidence:
                # The same photo twice: whichever copy was stored counts.
                ref = item.ref
                if item.kind is EvidenceKind.PHOTO and ref and seen.get(ref) is None:
                    seen[ref] = item.sha256
        return seen


@dataclass(frozen=True)
class _Target:
    person: Person
    cohort: Cohort
    membership_active: bool


async def _target(session: AsyncSession, participant_id: int) -> _Target:
    """The participant and the cohort whose project the portfolio covers: the newest active
    participant membership, else the newest one (a finished cohort's record stays exportable)."""
    result = await session.execute(
        select(Person, Cohort, Membership.active)
        .join(Membership, Membership.person_id == Person.id)
        .join(Cohort, Cohort.id == Membership.cohort_id)
        .where(Person.id == participant_id, Membership.role == Role.PARTICIPANT)
        .order_by(Membership.active.desc(), Membership.id.desc())
        .limit(1)
    )
    row = result.tuples().first()
    if row is None:
        raise UserFacingError("portfolio.error.not_allowed")
    person, cohort, active = row
    return _Target(person=person, cohort=cohort, membership_active=bool(active))


async def participant_by_nip(session: AsyncSession, raw_nip: str) -> int:
    """The participant with this NIP (typed with or without spaces); UserFacingError if none."""
    digits = normalize_nip(raw_nip)
    found = await session.scalar(
        select(Person.id)
        .join(Membership, Membership.person_id == Person.id)
        .where(Person.nip == digits, Membership.role == Role.PARTICIPANT)
        .limit(1)
    )
    if found is None:
        raise UserFacingError("portfolio.error.unknown_nip", nip=raw_nip.strip())
    return int(found)


async def check_access(
    session: AsyncSession, participant_id: int, *, viewer_id: int | None, global_admin: bool
) -> Relation:
    """Who may get this portfolio: the participant, their mentor or coach while the
    participant is active in that cohort, an organizer of that cohort, or an admin named in
    the settings. Anyone else (and any unknown id) gets the same refusal."""
    target = await _target(session, participant_id)
    return await _relation(session, target, viewer_id=viewer_id, global_admin=global_admin)


async def _relation(
    session: AsyncSession, target: _Target, *, viewer_id: int | None, global_admin: bool
) -> Relation:
    if viewer_id is not None and viewer_id == target.person.id:
        return Relation.SELF
    if viewer_id is not None:
        if target.membership_active:
            kinds = set(
                await session.scalars(
                    select(Assignment.kind).where(
                        Assignment.advisor_id == viewer_id,
                        Assignment.participant_id == target.person.id,
                        Assignment.cohort_id == target.cohort.id,
                    )
                )
            )
            if AdvisorKind.MENTOR in kinds:
                return Relation.MENTOR
            if AdvisorKind.COACH in kinds:
                return Relation.COACH
        organizer = await session.scalar(
            select(Membership.id).where(
                Membership.person_id == viewer_id,
                Membership.cohort_id == target.cohort.id,
                Membership.role == Role.ADMIN,
                Membership.active.is_(True),
            )
        )
        if organizer is not None:
            return Relation.ADMIN
    if global_admin:
        return Relation.ADMIN
    raise UserFacingError("portfolio.error.not_allowed")


async def portfolio_for(
    session: AsyncSession, participant_id: int, *, viewer_id: int | None, global_admin: bool
) -> tuple[Portfolio, Relation]:
    """The portfolio, if this viewer may have it, and why they may."""
    target = await _target(session, participant_id)
    relation = await _relation(session, target, viewer_id=viewer_id, global_admin=global_admin)
    return await _gather(session, target), relation


async def load_portfolio(session: AsyncSession, participant_id: int) -> Portfolio:
    """The portfolio without an access check: for the command line, run by the operator."""
    return await _gather(session, await _target(session, participant_id))


async def _gather(session: AsyncSession, target: _Target) -> Portfolio:
    person, cohort = target.person, target.cohort
    advisors = list(
        (
            await session.execute(
                select(Person, Assignment.kind)
                .join(Assignment, Assignment.advisor_id == Person.id)
                .where(Assignment.participant_id == person.id, Assignment.cohort_id == cohort.id)
                .order_by(Assignment.kind, Person.full_name)
            )
        ).tuples()
    )
    roles: dict[int, Role] = {person.id: Role.PARTICIPANT}
    names: dict[int, str] = {person.id: person.full_name}
    for advisor, kind in advisors:
        names[advisor.id] = advisor.full_name
        if roles.get(advisor.id) is not Role.MENTOR:  # a mentor who also coaches reads as mentor
            roles[advisor.id] = Role(kind.value)

    project = await session.scalar(
        select(Project)
        .where(Project.participant_id == person.id, Project.cohort_id == cohort.id)
        .options(selectinload(Project.milestones))
    )
    milestones: list[Milestone] = []
    updates: list[ProgressUpdate] = []
    if project is not None:
        milestones = sorted(project.milestones, key=lambda m: (m.due_on, m.id))
        updates = list(
            await session.scalars(
                select(ProgressUpdate)
                .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
                .where(Milestone.project_id == project.id)
                .order_by(ProgressUpdate.submitted_at, ProgressUpdate.id)
                .options(
                    selectinload(ProgressUpdate.evidence),
                    selectinload(ProgressUpdate.notes).selectinload(FeedbackNote.author),
                )
            )
        )
    missing = {m.approved_by_id for m in milestones if m.approved_by_id} - names.keys()
    if missing:
        for pid, name in (
            await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(missing)))
        ).tuples():
            names[pid] = name

    titles = {m.id: m.title for m in milestones}
    active = [m for m in milestones if m.removed_at is None]
    sign_offs = [
        SignOff(
            milestone_title=m.title,
            approver_name=names.get(m.approved_by_id, "-") if m.approved_by_id else "-",
            approver_role=roles.get(m.approved_by_id) if m.approved_by_id else None,
            at=m.approved_at,
        )
        for m in active
        if m.status is MilestoneStatus.APPROVED and m.approved_at is not None
    ]
    return Portfolio(
        participant_id=person.id,
        name=person.full_name,
        nip=person.nip,
        agency=person.agency,
        position=person.position,
        timezone=stored_zone(person.timezone),
        cohort_id=cohort.id,
        cohort_name=cohort.name,
        programme=cohort.programme,
        project_term=term_of(cohort),
        organizer=cohort.organizer,
        project_title=project.title if project is not None and project.title else None,
        problem=project.problem if project is not None else None,
        goal=project.goal if project is not None else None,
        advisors=tuple(AdvisorEntry(a.full_name, kind, a.nip, a.rank) for a, kind in advisors),
        milestones=tuple(
            MilestoneEntry(
                id=m.id,
                title=m.title,
                horizon=m.horizon,
                due_on=m.due_on,
                expected_output=m.expected_output,
                status=m.status,
                progress=m.progress_percent,
                approved_by=names.get(m.approved_by_id) if m.approved_by_id else None,
                approved_at=m.approved_at,
            )
            for m in active
        ),
        reports=tuple(
            ReportEntry(
                id=u.id,
                milestone_title=titles.get(u.milestone_id, "-"),
                text=u.text,
                progress=u.progress_percent,
                submitted_at=u.submitted_at,
                status=u.status,
                evidence=tuple(
                    EvidenceRef(
                        kind=e.kind,
                        ref=e.channel_file_ref or e.sha256,
                        file_name=e.file_name,
                        caption=e.caption,
                        url=e.url,
                        sha256=e.sha256,
                    )
                    for e in u.evidence
                ),
                thread=_thread(u.notes, roles),
                obstacles=u.obstacles,
                next_steps=u.next_steps,
                corrected_at=u.corrected_at,
            )
            for u in updates
        ),
        sign_offs=tuple(sorted(sign_offs, key=lambda s: (s.at, s.milestone_title))),
        rank=person.rank,
        cohort_year=cohort.year,
    )


def _thread(notes: list[FeedbackNote], roles: Mapping[int, Role]) -> tuple[ThreadNote, ...]:
    """Notes as a tree: each under the note it answers, in the order they were written."""
    ordered = sorted(notes, key=lambda n: (n.created_at, n.id))
    ids = {n.id for n in ordered}
    children: dict[int | None, list[FeedbackNote]] = {}
    for note in ordered:
        parent = note.parent_id if note.parent_id in ids else None
        children.setdefault(parent, []).append(note)

    def build(note: FeedbackNote, seen: frozenset[int]) -> ThreadNote:
        below = [c for c in children.get(note.id, []) if c.id not in seen]
        return ThreadNote(
            id=note.id,
            author_name=note.author.full_name,
            author_role=roles.get(note.author_id),
            kind=note.kind,
            at=note.created_at,
            text=note.text,
            replies=tuple(build(c, seen | {c.id}) for c in below),
        )

    return tuple(build(n, frozenset({n.id})) for n in children.get(None, []))


async def fetch_images(portfolio: Portfolio, store: EvidenceStore) -> dict[str, bytes]:
    """The bytes of every photo the portfolio embeds, from the evidence store, by reference; a
    photo the store does not have (never fetched, erased) is left out and the renderer prints a
    placeholder for it."""
    limit = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def one(ref: str, key: str | None) -> tuple[str, bytes | None]:
        if key is None:
            return ref, None
        async with limit:
            return ref, await store.get(key)

    results = await asyncio.gather(*(one(r, k) for r, k in portfolio.photo_keys.items()))
    return {ref: data for ref, data in results if data}


def record_export(
    session: AsyncSession,
    portfolio: Portfolio,
    *,
    now: datetime,
    actor_id: int | None = None,
    actor_label: str | None = None,
    relation: Relation | None = None,
) -> None:
    """Audit that someone took a copy of another person's portfolio (personal data)."""
    details: dict[str, Any] = {
        "participant_id": portfolio.participant_id,
        "reports": len(portfolio.reports),
    }
    if relation is not None:
        details["relation"] = relation.value
    audit.record(
        session,
        AUDIT_ACTION,
        at=now,
        actor_id=actor_id,
        actor_label=actor_label,
        cohort_id=portfolio.cohort_id,
        details=details,
    )
