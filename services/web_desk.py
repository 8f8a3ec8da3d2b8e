"""What the web desk shows, and to whom: the viewer, their cohorts, a cohort's overview, the
evidence files a viewer may open, and the changes a roster upload would make.

Access rules are the bot's own: organizers see the cohorts they run (admins from the settings
all of them), mentors and coaches their own participants, participants themselves. Anything
else raises NotVisible, which the web layer answers with 404, the same as an id that does not
exist, so a guessed id tells nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.cohort_csv import CohortRow
from domain.enums import AdvisorKind, Channel, MilestoneStatus, UpdateStatus
from domain.roles import Role
from domain.timezones import stored_zone
from models import (
    Assignment,
    Cohort,
    Evidence,
    FeedbackNote,
    Membership,
    Milestone,
    Person,
    ProgressUpdate,
    Project,
)
from services import portfolio
from services.cohort_admin import CohortView, NotFound, list_cohorts, managed_cohort
from services.cohorts import InviteLine, invites_for
from services.errors import UserFacingError
from services.people import holds_account
from services.recap import Recap, cohort_recap
from services.response_times import RESPONSE_KINDS
from services.seminars import Organizer


class NotVisible(Exception):
    """Not there, or not this viewer's to see: answered alike."""


@dataclass(frozen=True)
class Viewer:
    person_id: int
    language: str
    timezone: ZoneInfo
    global_admin: bool
    roles: frozenset[Role]

    @property
    def organizer(self) -> Organizer:
        return Organizer(self.person_id, every_cohort=self.global_admin)

    @property
    def is_admin(self) -> bool:
        return self.global_admin or Role.ADMIN in self.roles


async def load_viewer(
    session: AsyncSession, person_id: int, admin_accounts: Collection[tuple[Channel, str]]
) -> Viewer | None:
    """The signed-in person with their active roles; None once erased."""
    person = await session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        return None
    roles = frozenset(
        await session.scalars(
            select(Membership.role).where(
                Membership.person_id == person_id, Membership.active.is_(True)
            )
        )
    )
    return Viewer(
        person_id=person.id,
        language=person.language,
        timezone=stored_zone(person.timezone),
        global_admin=holds_account(person, admin_accounts),
        roles=roles,
    )


async def cohorts_of(session: AsyncSession, viewer: Viewer) -> list[CohortView]:
    if not viewer.is_admin:
        return []
    return await list_cohorts(session, viewer.organizer)


async def managed(session: AsyncSession, viewer: Viewer, cohort_id: int) -> Cohort:
    """A cohort this viewer organizes; NotVisible otherwise."""
    try:
        return await managed_cohort(session, cohort_id, viewer.organizer)
    except NotFound:
        raise NotVisible() from None


@dataclass(frozen=True)
class OverdueMilestone:
    participant_id: int
    participant_name: str
    title: str
    due_on: date


@dataclass(frozen=True)
class CohortOverview:
    cohort_id: int
    cohort_name: str
    recap: Recap
    members: int
    joined: int
    pending: list[InviteLine]
    overdue: list[OverdueMilestone]
    # Per participant: when their oldest report still waiting for any answer came in.
    waiting_since: dict[int, datetime]


async def cohort_overview(
    session: AsyncSession, viewer: Viewer, cohort_id: int, now: datetime
) -> CohortOverview:
    """Joined and not joined, progress per participant, overdue milestones, waiting reports."""
    cohort = await managed(session, viewer, cohort_id)
    recap = await cohort_recap(session, cohort.id, now)
    invites = await invites_for(session, cohort.name)
    ids = [p.participant_id for p in recap.participants]
    return CohortOverview(
        cohort_id=cohort.id,
        cohort_name=cohort.name,
        recap=recap,
        members=len(invites),
        joined=sum(1 for i in invites if i.joined),
        pending=[i for i in invites if not i.joined],
        overdue=await _overdue(session, cohort.id, ids, now),
        waiting_since=await _waiting_since(session, cohort.id, ids),
    )


async def _overdue(
    session: AsyncSession, cohort_id: int, participant_ids: Sequence[int], now: datetime
) -> list[OverdueMilestone]:
    """Milestones past their date in the participant's own zone and not approved (the rule
    of /status and the recap)."""
    rows = await session.execute(
        select(Person.id, Person.full_name, Person.timezone, Milestone.title, Milestone.due_on)
        .join(Project, Project.participant_id == Person.id)
        .join(Milestone, Milestone.project_id == Project.id)
        .where(
            Project.cohort_id == cohort_id,
            Person.id.in_(participant_ids),
            Milestone.removed_at.is_(None),
            Milestone.status != MilestoneStatus.APPROVED,
            Milestone.due_on < now.date(),
        )
        .order_by(Milestone.due_on, Person.full_name, Milestone.id)
    )
    return [
        OverdueMilestone(person_id, name, title, due_on)
        for person_id, name, zone, title, due_on in rows.tuples()
        if due_on < now.astimezone(stored_zone(zone)).date()
    ]


async def _waiting_since(
    session: AsyncSession, cohort_id: int, participant_ids: Sequence[int]
) -> dict[int, datetime]:
    """The oldest unanswered report per participant (answered: what the recap counts)."""
    answered = (
        exists()
        .where(
            FeedbackNote.update_id == ProgressUpdate.id,
            FeedbackNote.author_id != ProgressUpdate.author_id,
            FeedbackNote.kind.in_(RESPONSE_KINDS),
        )
        .correlate(ProgressUpdate)
    )
    rows = await session.execute(
        select(ProgressUpdate.author_id, func.min(ProgressUpdate.submitted_at))
        .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
        .join(Project, Project.id == Milestone.project_id)
        .where(
            Project.cohort_id == cohort_id,
            ProgressUpdate.author_id.in_(participant_ids),
            ProgressUpdate.status == UpdateStatus.SUBMITTED,
            Milestone.removed_at.is_(None),
            ~answered,
        )
        .group_by(ProgressUpdate.author_id)
    )
    return {author: since for author, since in rows.tuples()}


async def participant_portfolio(
    session: AsyncSession, viewer: Viewer, participant_id: int
) -> tuple[portfolio.Portfolio, portfolio.Relation]:
    """A participant's whole record, if the viewer may see it (portfolio's own rule)."""
    try:
        return await portfolio.portfolio_for(
            session, participant_id, viewer_id=viewer.person_id, global_admin=viewer.global_admin
        )
    except UserFacingError:
        raise NotVisible() from None


@dataclass(frozen=True)
class EvidenceFile:
    id: int
    update_id: int
    kind: str
    file_name: str | None
    mime_type: str | None
    caption: str | None
    url: str | None
    sha256: str | None


async def evidence_of_reports(
    session: AsyncSession, update_ids: Sequence[int]
) -> dict[int, list[EvidenceFile]]:
    """The evidence rows of these reports by report, with the ids the desk's URLs use."""
    rows = await session.scalars(
        select(Evidence).where(Evidence.update_id.in_(update_ids)).order_by(Evidence.id)
    )
    found: dict[int, list[EvidenceFile]] = {}
    for e in rows:
        found.setdefault(e.update_id, []).append(_file(e))
    return found


def _file(e: Evidence) -> EvidenceFile:
    return EvidenceFile(
        e.id, e.update_id, e.kind.value, e.file_name, e.mime_type, e.caption, e.url, e.sha256
    )


async def evidence_file(session: AsyncSession, viewer: Viewer, evidence_id: int) -> EvidenceFile:
    """One evidence file, if the viewer may see its report's author's record."""
    row = await session.execute(
        select(Evidence, ProgressUpdate.author_id)
        .join(ProgressUpdate, ProgressUpdate.id == Evidence.update_id)
        .where(Evidence.id == evidence_id)
    )
    found = row.tuples().first()
    if found is None:
        raise NotVisible()
    evidence, author_id = found
    try:
        await portfolio.check_access(
            session, author_id, viewer_id=viewer.person_id, global_admin=viewer.global_admin
        )
    except UserFacingError:
        raise NotVisible() from None
    return _file(evidence)


# --- roster preview ------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterChange:
    """One person a roster import would touch: "new", "updated" (with what) or "withdrawn"."""

    kind: str
    name: str
    role: Role
    line: int | None
    fields: tuple[str, ...] = ()


async def roster_changes(
    session: AsyncSession, cohort_id: int, rows: Sequence[CohortRow]
) -> list[RosterChange]:
    """What importing `rows` into the cohort would change, person by person, following the
    rules of services.cohorts.import_cohort (read only: the import itself stays the one
    all-or-nothing writer)."""
    people = {
        p.nip: p
        for p in await session.scalars(
            select(Person).where(Person.nip.in_([r.nip.digits for r in rows]))
        )
        if p.nip
    }
    memberships = {
        m.person_id: m
        for m in await session.scalars(select(Membership).where(Membership.cohort_id == cohort_id))
    }
    advisors: dict[tuple[int, AdvisorKind], set[str]] = {}
    for participant_id, kind, nip in (
        await session.execute(
            select(Assignment.participant_id, Assignment.kind, Person.nip)
            .join(Person, Person.id == Assignment.advisor_id)
            .where(Assignment.cohort_id == cohort_id)
        )
    ).tuples():
        advisors.setdefault((participant_id, kind), set()).add(nip or "")
    titles = {
        participant_id: title
        for participant_id, title in (
            await session.execute(
                select(Project.participant_id, Project.title).where(Project.cohort_id == cohort_id)
            )
        ).tuples()
    }

    changes: list[RosterChange] = []
    listed: set[int] = set()
    for row in rows:
        person = people.get(row.nip.digits)
        membership = memberships.get(person.id) if person is not None else None
        if person is None or membership is None or not membership.active:
            changes.append(RosterChange("new", row.name, row.role, row.line))
            if person is not None:
                listed.add(person.id)
            continue
        listed.add(person.id)
        fields = _changed_fields(row, person, membership)
        if row.role is Role.PARTICIPANT:
            for kind, nip in (
                (AdvisorKind.MENTOR, row.mentor_nip),
                (AdvisorKind.COACH, row.coach_nip),
            ):
                if (advisors.get((person.id, kind)) or set()) != ({nip} if nip else set()):
                    fields.append(kind.value)
            if row.project_title and titles.get(person.id) != row.project_title:
                fields.append("project_title")
        if fields:
            changes.append(RosterChange("updated", row.name, row.role, row.line, tuple(fields)))
    gone = [m for pid, m in memberships.items() if m.active and pid not in listed]
    if gone:
        names = {
            pid: name
            for pid, name in (
                await session.execute(
                    select(Person.id, Person.full_name).where(
                        Person.id.in_([m.person_id for m in gone])
                    )
                )
            ).tuples()
        }
        changes.extend(
            RosterChange("withdrawn", names[m.person_id], m.role, None)
            for m in sorted(gone, key=lambda m: names[m.person_id])
        )
    return changes


def _changed_fields(row: CohortRow, person: Person, membership: Membership) -> list[str]:
    wanted: dict[str, tuple[object, object]] = {
        "name": (person.full_name, row.name),
        "agency": (person.agency, row.agency),
        "position": (person.position, row.position),
    }
    if row.rank_listed:
        wanted["rank"] = (person.rank, row.rank)
    if row.phone_listed:
        wanted["phone"] = (person.phone, row.phone)
    if row.channel_listed:
        wanted["channel"] = (person.preferred_channel, row.channel)
    if person.joined_at is None:
        wanted["timezone"] = (person.timezone, row.zone.key)
    fields = [name for name, (old, new) in wanted.items() if old != new]
    if membership.role != row.role:
        fields.append("role")
    if row.seminar_group_listed and membership.seminar_group != row.seminar_group:
        fields.append("seminar_group")
    return fields
