"""Seminar materials and attendance: presenters send their laporan and bahan tayang, which go
on to their mentor, coach and the examiner; advisors answer a seminar notice with "Hadir" or
"Berhalangan"; organizers read both, and print the daftar hadir."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import AdvisorKind, Channel, SeminarKind, SeminarStatus
from domain.materials import AttendanceAnswer, MaterialKind
from domain.roles import Role
from models import (
    Assignment,
    Membership,
    Person,
    Seminar,
    SeminarAttendance,
    SeminarMaterial,
    SeminarPresenter,
)
from models.accounts import has_joined
from services import audit, outbox
from services.errors import UserFacingError
from services.outbox import Outgoing
from services.seminars import Organizer, SeminarView, _concerned, _views, managed_seminar
from storage.evidence_store import StoredBlob

OUTBOX_KIND = "material"
# Who answers a seminar notice for themselves: everyone concerned except the presenters.
ANSWERING_ROLES = (Role.MENTOR, Role.COACH, Role.EXAMINER)
# The daftar hadir lists people in this order of role, then by name.
SHEET_ROLES = (Role.PARTICIPANT, Role.MENTOR, Role.COACH, Role.EXAMINER)


@dataclass(frozen=True)
class Recipient:
    """Someone a presenter's material goes to, and as what."""

    person_id: int
    name: str
    role: Role
    joined: bool


@dataclass(frozen=True)
class Recorded:
    """A material kept: its version and who it is on its way to."""

    material_id: int
    kind: MaterialKind
    version: int
    seminar: SeminarView
    recipients: list[Recipient]


@dataclass(frozen=True)
class Latest:
    version: int
    uploaded_at: datetime
    file_name: str | None


@dataclass(frozen=True)
class PresenterMaterials:
    """One presenter's newest laporan and bahan tayang (None: not sent yet)."""

    person_id: int
    name: str
    latest: dict[MaterialKind, Latest | None]

    @property
    def missing(self) -> list[MaterialKind]:
        return [kind for kind in MaterialKind if self.latest.get(kind) is None]


@dataclass(frozen=True)
class AttendeeAnswer:
    """A mentor's, coach's or examiner's answer (None: not answered yet)."""

    person_id: int
    name: str
    roles: tuple[Role, ...]
    answer: AttendanceAnswer | None
    reason: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class SeminarDetail:
    """What an organizer sees of one seminar: materials per presenter, answers per advisor."""

    seminar: SeminarView
    materials: list[PresenterMaterials]
    answers: list[AttendeeAnswer]
    groups: list[str]

    @property
    def files_missing(self) -> int:
        return sum(len(p.missing) for p in self.materials)


@dataclass(frozen=True)
class SheetRow:
    name: str
    nip: str | None
    role: Role
    agency: str | None


@dataclass(frozen=True)
class AttendanceSheet:
    """The daftar hadir of a seminar, or of one of its seminar groups."""

    seminar: SeminarView
    group: str | None
    rows: list[SheetRow] = field(default_factory=list)


@dataclass(frozen=True)
class MaterialRow:
    """One version of one material, for the export."""

    seminar_id: int
    seminar_kind: SeminarKind
    seminar_starts_at: datetime
    presenter: str
    kind: MaterialKind
    version: int
    file_name: str | None
    size: int
    sha256: str
    uploaded_at: datetime
    latest: bool


# --- materials ---------------------------------------------------------------------------------


def _open(seminar: Seminar, now: datetime) -> bool:
    return seminar.status is SeminarStatus.SCHEDULED and seminar.starts_at > now


async def presenting(session: AsyncSession, person_id: int, now: datetime) -> list[SeminarView]:
    """The person's coming seminars as a presenter, soonest first: what /bahan offers."""
    seminars = list(
        await session.scalars(
            select(Seminar)
            .join(SeminarPresenter, SeminarPresenter.seminar_id == Seminar.id)
            .where(
                SeminarPresenter.participant_id == person_id,
                Seminar.status == SeminarStatus.SCHEDULED,
                Seminar.starts_at > now,
            )
            .order_by(Seminar.starts_at, Seminar.id)
        )
    )
    return await _views(session, seminars)


async def presenter_seminar(
    session: AsyncSession, seminar_id: int, person_id: int, now: datetime
) -> SeminarView:
    """The seminar a button names, if this person presents at it and it is still ahead."""
    seminar = await session.get(Seminar, seminar_id)
    presents = seminar is not None and (
        await session.scalar(
            select(SeminarPresenter.seminar_id).where(
                SeminarPresenter.seminar_id == seminar_id,
                SeminarPresenter.participant_id == person_id,
            )
        )
        is not None
    )
    if seminar is None or not presents:
        raise UserFacingError("materials.error.not_presenter")
    if not _open(seminar, now):
        raise UserFacingError("materials.error.closed")
    return (await _views(session, [seminar]))[0]


async def recipients_of(
    session: AsyncSession, seminar: Seminar, presenter_id: int
) -> list[Recipient]:
    """The presenter's mentor(s) and coach(es) in the seminar's cohort, then the examiner."""
    rows = await session.execute(
        select(Person.id, Person.full_name, Assignment.kind, has_joined(Person))
        .join(Assignment, Assignment.advisor_id == Person.id)
        .where(
            Assignment.cohort_id == seminar.cohort_id,
            Assignment.participant_id == presenter_id,
        )
        .order_by(Assignment.kind, Person.full_name, Person.id)
    )
    found: list[Recipient] = []
    for person_id, name, kind, joined in rows.tuples():
        role = Role.MENTOR if kind is AdvisorKind.MENTOR else Role.COACH
        found.append(Recipient(person_id, name, role, bool(joined)))
    for person_id, name, joined in (
        await session.execute(
            select(Person.id, Person.full_name, has_joined(Person)).where(
                Person.id.in_(await _examiner_ids(session, seminar))
            )
        )
    ).tuples():
        if all(r.person_id != person_id for r in found):
            found.append(Recipient(person_id, name, Role.EXAMINER, bool(joined)))
    order = {Role.MENTOR: 0, Role.COACH: 1, Role.EXAMINER: 2}
    return sorted(found, key=lambda r: order[r.role])


async def _examiner_ids(session: AsyncSession, seminar: Seminar) -> list[int]:
    concerned = await _concerned(session, seminar)
    return sorted(pid for pid, c in concerned.items() if Role.EXAMINER in c.roles)


async def record_material(
    session: AsyncSession,
    *,
    seminar_id: int,
    presenter_id: int,
    kind: MaterialKind,
    blob: StoredBlob,
    file_name: str | None,
    mime_type: str | None,
    channel: Channel | None,
    ref: str | None,
    unique_ref: str | None,
    now: datetime,
) -> Recorded:
    """Keep a new version of the presenter's material and queue it to its recipients.

    The bytes are already in the evidence store (`blob`); `ref` and `unique_ref` are the file's
    references on the `channel` it was uploaded by. This adds the row, one message per
    recipient carrying the file, and an audit entry, all in the caller's transaction.
    """
    view = await presenter_seminar(session, seminar_id, presenter_id, now)
    seminar = await session.get_one(Seminar, seminar_id)
    previous = await session.scalar(
        select(func.max(SeminarMaterial.version)).where(
            SeminarMaterial.seminar_id == seminar_id,
            SeminarMaterial.presenter_id == presenter_id,
            SeminarMaterial.kind == kind,
        )
    )
    material = SeminarMaterial(
        seminar_id=seminar_id,
        presenter_id=presenter_id,
        kind=kind,
        version=(previous or 0) + 1,
        sha256=blob.sha256,
        size=blob.size,
        file_name=file_name,
        mime_type=mime_type,
        channel=channel if ref else None,
        channel_file_ref=ref if channel else None,
        channel_file_unique_ref=unique_ref if channel else None,
        uploaded_at=now,
    )
    session.add(material)
    await session.flush()
    presenter = await session.get_one(Person, presenter_id)
    recipients = await recipients_of(session, seminar, presenter_id)
    params: dict[str, object] = {
        "presenter": presenter.full_name,
        "material": {"key": kind.message_key, "params": {}},
        "version": material.version,
        "kind": {"key": f"seminar.kind.inline.{view.kind.value}", "params": {}},
        "cohort": view.cohort_name,
        "at": view.starts_at,
        "file_name": file_name or "-",
    }
    media = [
        outbox.file_item(
            "document",
            sha256=blob.sha256,
            channel=material.channel.value if material.channel else None,
            ref=material.channel_file_ref,
            file_name=file_name,
        )
    ]
    for recipient in recipients:
        await outbox.enqueue(
            session,
            dedup_key=f"material:{material.id}:{recipient.person_id}",
            message=Outgoing("materials.msg.forward", params, media=media),
            not_before=now,
            now=now,
            kind=OUTBOX_KIND,
            recipient_id=recipient.person_id,
            cohort_id=seminar.cohort_id,
            # After the seminar a late copy helps nobody.
            expires_at=seminar.starts_at,
        )
    audit.record(
        session,
        "seminar.material",
        at=now,
        actor_id=presenter_id,
        cohort_id=seminar.cohort_id,
        details={
            "seminar_id": seminar_id,
            "kind": kind.value,
            "version": material.version,
            "sha256": blob.sha256,
            "recipients": len(recipients),
        },
    )
    return Recorded(material.id, kind, material.version, view, recipients)


async def _materials(session: AsyncSession, seminar_id: int) -> list[PresenterMaterials]:
    presenters = (
        await session.execute(
            select(Person.id, Person.full_name)
            .join(SeminarPresenter, SeminarPresenter.participant_id == Person.id)
            .where(SeminarPresenter.seminar_id == seminar_id)
            .order_by(Person.full_name, Person.id)
        )
    ).tuples()
    latest: dict[tuple[int, MaterialKind], Latest] = {}
    for row in await session.scalars(
        select(SeminarMaterial)
        .where(SeminarMaterial.seminar_id == seminar_id)
        .order_by(SeminarMaterial.version)
    ):
        latest[(row.presenter_id, row.kind)] = Latest(row.version, row.uploaded_at, row.file_name)
    return [
        PresenterMaterials(pid, name, {kind: latest.get((pid, kind)) for kind in MaterialKind})
        for pid, name in presenters
    ]


# --- attendance ---------------------------------------------------------------------------------


async def answer_attendance(
    session: AsyncSession,
    seminar_id: int,
    person_id: int,
    answer: AttendanceAnswer,
    now: datetime,
) -> SeminarView:
    """Record (or change) the person's own answer; a new "Berhalangan" waits for its reason.

    Only a mentor, coach or examiner of this seminar answers, and only before it starts.
    """
    seminar = await _answerable(session, seminar_id, person_id, now)
    row = await session.scalar(
        select(SeminarAttendance).where(
            SeminarAttendance.seminar_id == seminar_id, SeminarAttendance.person_id == person_id
        )
    )
    if row is None:
        row = SeminarAttendance(seminar_id=seminar_id, person_id=person_id)
        session.add(row)
    row.answer = answer
    row.reason = None
    row.answered_at = now
    await session.flush()
    return (await _views(session, [seminar]))[0]


async def give_reason(
    session: AsyncSession, seminar_id: int, person_id: int, reason: str, now: datetime
) -> SeminarView:
    """The reason for a "Berhalangan" just given (already cleaned and length-checked)."""
    seminar = await _answerable(session, seminar_id, person_id, now)
    row = await session.scalar(
        select(SeminarAttendance).where(
            SeminarAttendance.seminar_id == seminar_id,
            SeminarAttendance.person_id == person_id,
            SeminarAttendance.answer == AttendanceAnswer.ABSENT,
        )
    )
    if row is None:
        raise UserFacingError("attendance.error.no_absence")
    row.reason = reason
    row.answered_at = now
    return (await _views(session, [seminar]))[0]


async def _answerable(
    session: AsyncSession, seminar_id: int, person_id: int, now: datetime
) -> Seminar:
    seminar = await session.get(Seminar, seminar_id)
    if seminar is None:
        raise UserFacingError("attendance.error.not_yours")
    concerned = (await _concerned(session, seminar)).get(person_id)
    if concerned is None or not concerned.roles & set(ANSWERING_ROLES):
        raise UserFacingError("attendance.error.not_yours")
    if not _open(seminar, now):
        raise UserFacingError("attendance.error.closed")
    return seminar


async def _answers(session: AsyncSession, seminar: Seminar) -> list[AttendeeAnswer]:
    concerned = {
        pid: c
        for pid, c in (await _concerned(session, seminar)).items()
        if c.roles & set(ANSWERING_ROLES)
    }
    if not concerned:
        return []
    names = dict(
        (
            await session.execute(
                select(Person.id, Person.full_name).where(Person.id.in_(list(concerned)))
            )
        )
        .tuples()
        .all()
    )
    rows = {
        r.person_id: r
        for r in await session.scalars(
            select(SeminarAttendance).where(SeminarAttendance.seminar_id == seminar.id)
        )
    }
    answers = []
    for pid, c in concerned.items():
        row = rows.get(pid)
        answers.append(
            AttendeeAnswer(
                person_id=pid,
                name=names.get(pid, "-"),
                roles=tuple(r for r in ANSWERING_ROLES if r in c.roles),
                answer=row.answer if row else None,
                reason=row.reason if row else None,
                answered_at=row.answered_at if row else None,
            )
        )
    return sorted(answers, key=lambda a: (ANSWERING_ROLES.index(a.roles[0]), a.name))


# --- what the organizer sees --------------------------------------------------------------------


async def seminar_detail(session: AsyncSession, seminar_id: int, by: Organizer) -> SeminarDetail:
    """Materials and attendance answers of a seminar this organizer manages."""
    view = await managed_seminar(session, seminar_id, by)
    seminar = await session.get_one(Seminar, seminar_id)
    return SeminarDetail(
        seminar=view,
        materials=await _materials(session, seminar_id),
        answers=await _answers(session, seminar),
        groups=await seminar_groups(session, seminar),
    )


async def seminar_groups(session: AsyncSession, seminar: Seminar) -> list[str]:
    """The seminar groups of its presenters, sorted: one daftar hadir each."""
    groups = await session.scalars(
        select(Membership.seminar_group)
        .join(SeminarPresenter, SeminarPresenter.participant_id == Membership.person_id)
        .where(
            SeminarPresenter.seminar_id == seminar.id,
            Membership.cohort_id == seminar.cohort_id,
            Membership.seminar_group.is_not(None),
        )
        .distinct()
    )
    return sorted(g for g in groups if g)


async def attendance_sheet(
    session: AsyncSession, seminar_id: int, by: Organizer, *, group: str | None = None
) -> AttendanceSheet:
    """The daftar hadir: presenters, their mentors and coaches, and the examiner(s).

    With a `group`, only the presenters filed in that seminar group (as the roster writes it,
    case and spaces aside) and their advisors; the examiner(s) sit in every group's seminar.
    """
    view = await managed_seminar(session, seminar_id, by)
    seminar = await session.get_one(Seminar, seminar_id)
    presenters = list(
        (
            await session.execute(
                select(SeminarPresenter.participant_id, Membership.seminar_group)
                .outerjoin(
                    Membership,
                    (Membership.person_id == SeminarPresenter.participant_id)
                    & (Membership.cohort_id == seminar.cohort_id),
                )
                .where(SeminarPresenter.seminar_id == seminar_id)
            )
        ).tuples()
    )
    chosen_group: str | None = None
    if group is not None:
        wanted = " ".join(group.split()).casefold()
        groups = await seminar_groups(session, seminar)
        chosen_group = next((g for g in groups if " ".join(g.split()).casefold() == wanted), None)
        if chosen_group is None:
            raise UserFacingError(
                "attendance.error.no_group", group=group.strip(), groups=", ".join(groups) or "-"
            )
        presenters = [(pid, g) for pid, g in presenters if g == chosen_group]
    presenter_ids = [pid for pid, _ in presenters]
    roles: dict[int, Role] = {pid: Role.PARTICIPANT for pid in presenter_ids}
    for advisor_id, kind in (
        await session.execute(
            select(Assignment.advisor_id, Assignment.kind).where(
                Assignment.cohort_id == seminar.cohort_id,
                Assignment.participant_id.in_(presenter_ids),
            )
        )
    ).tuples():
        roles.setdefault(advisor_id, Role.MENTOR if kind is AdvisorKind.MENTOR else Role.COACH)
    for examiner_id in await _examiner_ids(session, seminar):
        roles.setdefault(examiner_id, Role.EXAMINER)
    people = await _people(session, roles)
    rows = [
        SheetRow(name=p.full_name, nip=p.nip, role=roles[p.id], agency=p.agency) for p in people
    ]
    rows.sort(key=lambda r: (SHEET_ROLES.index(r.role), r.name))
    return AttendanceSheet(seminar=view, group=chosen_group, rows=rows)


async def _people(session: AsyncSession, ids: Iterable[int]) -> Sequence[Person]:
    wanted = list(ids)
    if not wanted:
        return []
    return list(await session.scalars(select(Person).where(Person.id.in_(wanted))))


async def cohort_materials(session: AsyncSession, cohort_id: int) -> list[MaterialRow]:
    """Every version of every material in a cohort's seminars, for the export."""
    rows = (
        await session.execute(
            select(SeminarMaterial, Person.full_name, Seminar.kind, Seminar.starts_at)
            .join(Seminar, Seminar.id == SeminarMaterial.seminar_id)
            .join(Person, Person.id == SeminarMaterial.presenter_id)
            .where(Seminar.cohort_id == cohort_id)
            .order_by(
                Seminar.starts_at,
                Seminar.id,
                Person.full_name,
                SeminarMaterial.kind,
                SeminarMaterial.version,
            )
        )
    ).tuples()
    found = list(rows)
    newest: dict[tuple[int, int, MaterialKind], int] = {}
    for m, *_ in found:
        key = (m.seminar_id, m.presenter_id, m.kind)
        newest[key] = max(newest.get(key, 0), m.version)
    return [
        MaterialRow(
            seminar_id=m.seminar_id,
            seminar_kind=seminar_kind,
            seminar_starts_at=starts_at,
            presenter=name,
            kind=m.kind,
            version=m.version,
            file_name=m.file_name,
            size=m.size,
            sha256=m.sha256,
            uploaded_at=m.uploaded_at,
            latest=newest[(m.seminar_id, m.presenter_id, m.kind)] == m.version,
        )
        for m, name, seminar_kind, starts_at in found
    ]


def record_sheet(
    session: AsyncSession,
    sheet: AttendanceSheet,
    *,
    actor_id: int | None,
    now: datetime,
    actor_label: str | None = None,
) -> None:
    """The audit entry of a daftar hadir: names and NIPs leave the bot on paper."""
    audit.record(
        session,
        "seminar.attendance_sheet",
        at=now,
        actor_id=actor_id,
        actor_label=actor_label,
        cohort_id=sheet.seminar.cohort_id,
        details={"seminar_id": sheet.seminar.id, "group": sheet.group, "rows": len(sheet.rows)},
    )
