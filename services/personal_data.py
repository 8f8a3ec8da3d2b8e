"""Data rights under UU 27/2022: a person's own data as plain values, and erasure on request.

Erasure keeps the rows that make anonymous counts add up (reports, feedback, approvals,
milestones, memberships) and removes or blanks everything that identifies the person or
that they wrote. An erased person is inert: no Telegram account, no active membership, so
the reminder sweep, audiences, rosters and the access check all pass them by.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import OutboxStatus
from domain.nip import normalize_nip
from domain.report_body import report_body
from models import (
    Assignment,
    AuditEntry,
    Broadcast,
    CodeAttempt,
    Cohort,
    Evidence,
    FeedbackNote,
    FormState,
    Invite,
    Membership,
    Milestone,
    OutboxMessage,
    Person,
    ProgressUpdate,
    Project,
    RelayedMessage,
    Seminar,
    SeminarAttendance,
    SeminarMaterial,
    SeminarPresenter,
    Vacation,
)
from services import audit, outbox
from services.errors import UserFacingError
from services.evidence import blob_keys, unreferenced

# Audit details that would name a person; dropped from the erased person's own entries.
# (telegram_* in entries from before channel accounts.)
_IDENTIFYING_DETAILS = (
    "external_user_id",
    "account_id",
    "telegram_user_id",
    "telegram_chat_id",
    "name",
    "nip",
)


def erased_label(person_id: int) -> str:
    """The name an erased person is shown under: language-neutral and without personal data."""
    return f"[erased #{person_id}]"


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- the person's own data --------------------------------------------------------------------


async def personal_data(session: AsyncSession, person_id: int) -> dict[str, Any]:
    """Everything the bot holds about the person, as JSON-friendly values (times in UTC, ISO)."""
    person = await session.get_one(Person, person_id)
    return {
        "profile": {
            "id": person.id,
            "full_name": person.full_name,
            "nip": person.nip,
            "agency": person.agency,
            "position": person.position,
            "rank": person.rank,
            "phone": person.phone,
            "preferred_channel": person.preferred_channel.value
            if person.preferred_channel
            else None,
            "language": person.language,
            "timezone": person.timezone,
            "accounts": [
                {
                    "channel": a.channel.value,
                    "external_user_id": a.external_user_id,
                    "chat_ref": a.chat_ref,
                    "phone": a.phone,
                    "reachable": a.reachable,
                    "blocked_since": _iso(a.blocked_since),
                    "last_inbound_at": _iso(a.last_inbound_at),
                    "created_at": _iso(a.created_at),
                }
                for a in person.accounts
            ],
            "consent_at": _iso(person.consent_at),
            "joined_at": _iso(person.joined_at),
            "created_at": _iso(person.created_at),
            "updated_at": _iso(person.updated_at),
        },
        "memberships": await _memberships(session, person_id),
        "advisors": await _assignments(session, person_id, as_participant=True),
        "advisees": await _assignments(session, person_id, as_participant=False),
        "projects": await _projects(session, person_id),
        "reports": await _reports(session, person_id),
        "feedback_written": await _feedback_written(session, person_id),
        "feedback_received": await _feedback_received(session, person_id),
        "seminars": await _seminars(session, person_id),
        "seminar_materials": await _seminar_materials(session, person_id),
        "seminar_attendance": await _seminar_attendance(session, person_id),
        "vacations": [
            {"starts_on": _iso(v.starts_on), "ends_on": _iso(v.ends_on)}
            for v in await session.scalars(
                select(Vacation).where(Vacation.person_id == person_id).order_by(Vacation.starts_on)
            )
        ],
        "pending_messages": [
            {"kind": m.kind, "message": m.payload.get("key"), "not_before": _iso(m.not_before)}
            for m in await session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.recipient_id == person_id,
                    OutboxMessage.status == OutboxStatus.PENDING,
                )
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
            )
        ],
        "activity": [
            {"at": _iso(at), "action": action}
            for at, action in (
                await session.execute(
                    select(AuditEntry.at, AuditEntry.action)
                    .where(AuditEntry.actor_id == person_id)
                    .order_by(AuditEntry.at, AuditEntry.id)
                )
            ).tuples()
        ],
    }


async def _memberships(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Cohort.name, Cohort.programme, Cohort.organizer, Membership)
        .join(Membership, Membership.cohort_id == Cohort.id)
        .where(Membership.person_id == person_id)
        .order_by(Cohort.name)
    )
    return [
        {
            "cohort": name,
            "programme": programme,
            "organizer": organizer,
            "role": m.role.value,
            "seminar_group": m.seminar_group,
            "active": m.active,
            "since": _iso(m.created_at),
        }
        for name, programme, organizer, m in rows.tuples()
    ]


async def _assignments(
    session: AsyncSession, person_id: int, *, as_participant: bool
) -> list[dict[str, Any]]:
    """Their mentors and coaches, or the participants they advise: names only, no more."""
    mine, other = (
        (Assignment.participant_id, Assignment.advisor_id)
        if as_participant
        else (Assignment.advisor_id, Assignment.participant_id)
    )
    rows = await session.execute(
        select(Cohort.name, Assignment.kind, Person.full_name)
        .join(Assignment, Assignment.cohort_id == Cohort.id)
        .join(Person, Person.id == other)
        .where(mine == person_id)
        .order_by(Cohort.name, Assignment.kind, Person.full_name)
    )
    return [
        {"cohort": cohort, "kind": kind.value, "name": name} for cohort, kind, name in rows.tuples()
    ]


async def _projects(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    projects = await session.execute(
        select(Cohort.name, Project)
        .join(Project, Project.cohort_id == Cohort.id)
        .where(Project.participant_id == person_id)
        .order_by(Project.id)
    )
    out = []
    for cohort, project in projects.tuples():
        milestones = await session.scalars(
            select(Milestone)
            .where(Milestone.project_id == project.id)
            .order_by(Milestone.due_on, Milestone.id)
        )
        out.append(
            {
                "cohort": cohort,
                "title": project.title,
                "problem": project.problem,
                "goal": project.goal,
                "created_at": _iso(project.created_at),
                "updated_at": _iso(project.updated_at),
                "milestones": [
                    {
                        "id": m.id,
                        "title": m.title,
                        "horizon": m.horizon.value,
                        "due_on": _iso(m.due_on),
                        "expected_output": m.expected_output,
                        "status": m.status.value,
                        "progress_percent": m.progress_percent,
                        "approved_at": _iso(m.approved_at),
                        "removed_at": _iso(m.removed_at),
                    }
                    for m in milestones
                ],
            }
        )
    return out


async def _reports(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(ProgressUpdate, Milestone.title)
        .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
        .where(ProgressUpdate.author_id == person_id)
        .order_by(ProgressUpdate.submitted_at, ProgressUpdate.id)
    )
    reports = list(rows.tuples())
    evidence: dict[int, list[dict[str, Any]]] = {}
    if reports:
        for e in await session.scalars(
            select(Evidence)
            .where(Evidence.update_id.in_([u.id for u, _ in reports]))
            .order_by(Evidence.id)
        ):
            evidence.setdefault(e.update_id, []).append(
                {
                    "kind": e.kind.value,
                    "file_name": e.file_name,
                    "mime_type": e.mime_type,
                    "file_size": e.file_size,
                    "caption": e.caption,
                    "url": e.url,
                    "channel": e.channel.value if e.channel else None,
                    "channel_file_ref": e.channel_file_ref,
                    "sha256": e.sha256,
                }
            )
    return [
        {
            "id": u.id,
            "milestone": title,
            "submitted_at": _iso(u.submitted_at),
            "progress_percent": u.progress_percent,
            "status": u.status.value,
            "text": u.text,
            "obstacles": u.obstacles,
            "next_steps": u.next_steps,
            "original_text": u.original_text,
            "corrected_at": _iso(u.corrected_at),
            "evidence": evidence.get(u.id, []),
        }
        for u, title in reports
    ]


async def _feedback_written(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    notes = await session.scalars(
        select(FeedbackNote)
        .where(FeedbackNote.author_id == person_id)
        .order_by(FeedbackNote.created_at, FeedbackNote.id)
    )
    return [
        {
            "report_id": n.update_id,
            "kind": n.kind.value,
            "created_at": _iso(n.created_at),
            "text": n.text,
        }
        for n in notes
    ]


async def _feedback_received(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(FeedbackNote, Person.full_name)
        .join(ProgressUpdate, ProgressUpdate.id == FeedbackNote.update_id)
        .join(Person, Person.id == FeedbackNote.author_id)
        .where(ProgressUpdate.author_id == person_id, FeedbackNote.author_id != person_id)
        .order_by(FeedbackNote.created_at, FeedbackNote.id)
    )
    return [
        {
            "report_id": n.update_id,
            "kind": n.kind.value,
            "created_at": _iso(n.created_at),
            "author": author,
            "text": n.text,
        }
        for n, author in rows.tuples()
    ]


async def _seminars(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    presenting = select(SeminarPresenter.seminar_id).where(
        SeminarPresenter.participant_id == person_id
    )
    rows = await session.execute(
        select(Seminar, Cohort.name)
        .join(Cohort, Cohort.id == Seminar.cohort_id)
        .where(or_(Seminar.id.in_(presenting), Seminar.examiner_id == person_id))
        .order_by(Seminar.starts_at, Seminar.id)
    )
    return [
        {
            "cohort": cohort,
            "kind": s.kind.value,
            "as": "examiner" if s.examiner_id == person_id else "presenter",
            "starts_at": _iso(s.starts_at),
            "timezone": s.timezone,
            "place": s.place,
            "online_link": s.online_link,
            "status": s.status.value,
        }
        for s, cohort in rows.tuples()
    ]


async def _seminar_materials(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    """Every version of the laporan and bahan tayang they sent, by its key in the store."""
    rows = await session.execute(
        select(SeminarMaterial, Seminar.kind, Seminar.starts_at, Cohort.name)
        .join(Seminar, Seminar.id == SeminarMaterial.seminar_id)
        .join(Cohort, Cohort.id == Seminar.cohort_id)
        .where(SeminarMaterial.presenter_id == person_id)
        .order_by(SeminarMaterial.uploaded_at, SeminarMaterial.id)
    )
    return [
        {
            "cohort": cohort,
            "seminar": kind.value,
            "seminar_starts_at": _iso(starts_at),
            "kind": m.kind.value,
            "version": m.version,
            "file_name": m.file_name,
            "mime_type": m.mime_type,
            "size": m.size,
            "uploaded_at": _iso(m.uploaded_at),
            "channel": m.channel.value if m.channel else None,
            "channel_file_ref": m.channel_file_ref,
            "sha256": m.sha256,
        }
        for m, kind, starts_at, cohort in rows.tuples()
    ]


async def _seminar_attendance(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    """Their "Hadir" / "Berhalangan" answers to seminar notices, with the reason they gave."""
    rows = await session.execute(
        select(SeminarAttendance, Seminar.kind, Seminar.starts_at, Cohort.name)
        .join(Seminar, Seminar.id == SeminarAttendance.seminar_id)
        .join(Cohort, Cohort.id == Seminar.cohort_id)
        .where(SeminarAttendance.person_id == person_id)
        .order_by(Seminar.starts_at, SeminarAttendance.id)
    )
    return [
        {
            "cohort": cohort,
            "seminar": kind.value,
            "seminar_starts_at": _iso(starts_at),
            "answer": a.answer.value,
            "reason": a.reason,
            "answered_at": _iso(a.answered_at),
        }
        for a, kind, starts_at, cohort in rows.tuples()
    ]


async def _cohort_ids(session: AsyncSession, person_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(Membership.cohort_id)
            .where(Membership.person_id == person_id)
            .order_by(Membership.cohort_id)
        )
    )


async def export_personal_data(
    session: AsyncSession,
    person_id: int,
    *,
    now: datetime,
    actor_id: int | None = None,
    actor_label: str | None = None,
) -> dict[str, Any]:
    """The person's data, with an audit entry per cohort saying who took it out and when."""
    data = await personal_data(session, person_id)
    targets: list[int | None] = [*await _cohort_ids(session, person_id)] or [None]
    for cohort_id in targets:
        audit.record(
            session,
            "personal_data.export",
            at=now,
            actor_id=actor_id,
            actor_label=actor_label,
            cohort_id=cohort_id,
            details={"person_id": person_id},
        )
    return data


# --- erasure ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureCounts:
    """What erasure removes or blanks; the same figures before (preview) and after."""

    reports: int
    evidence: int
    feedback_written: int
    invites: int
    vacations: int
    pending_messages: int
    seminar_materials: int


@dataclass(frozen=True)
class ErasurePreview:
    person_id: int
    name: str
    cohorts: list[str]
    counts: ErasureCounts


@dataclass(frozen=True)
class ErasureSummary:
    person_id: int
    label: str
    cohorts: list[str]
    counts: ErasureCounts
    # Evidence-store keys of their files that nothing else refers to: the caller deletes them
    # from the store after the commit (deleting before could lose files a rollback keeps).
    blobs: tuple[str, ...] = ()


async def person_by_nip(session: AsyncSession, raw_nip: str) -> Person:
    """The person with this NIP (spaces allowed); UserFacingError when there is none."""
    digits = normalize_nip(raw_nip)
    person = await session.scalar(select(Person).where(Person.nip == digits)) if digits else None
    if person is None:
        # An erased person has no NIP any more, so a second erasure lands here too.
        raise UserFacingError("datarights.error.unknown_nip", nip=raw_nip.strip())
    if person.erased_at is not None:
        raise UserFacingError("datarights.error.already_erased", id=person.id)
    return person


async def _count(session: AsyncSession, statement: Any) -> int:
    return int(await session.scalar(statement) or 0)


async def _counts(session: AsyncSession, person_id: int) -> ErasureCounts:
    reports = select(ProgressUpdate.id).where(ProgressUpdate.author_id == person_id)
    return ErasureCounts(
        reports=await _count(
            session, select(func.count()).where(ProgressUpdate.author_id == person_id)
        ),
        evidence=await _count(session, select(func.count()).where(Evidence.update_id.in_(reports))),
        feedback_written=await _count(
            session, select(func.count()).where(FeedbackNote.author_id == person_id)
        ),
        invites=await _count(session, select(func.count()).where(Invite.person_id == person_id)),
        vacations=await _count(
            session, select(func.count()).where(Vacation.person_id == person_id)
        ),
        pending_messages=await _count(
            session,
            select(func.count()).where(
                OutboxMessage.recipient_id == person_id,
                OutboxMessage.status == OutboxStatus.PENDING,
            ),
        ),
        seminar_materials=await _count(
            session, select(func.count()).where(SeminarMaterial.presenter_id == person_id)
        ),
    )


async def _cohort_names(session: AsyncSession, person_id: int) -> list[str]:
    return list(
        await session.scalars(
            select(Cohort.name)
            .join(Membership, Membership.cohort_id == Cohort.id)
            .where(Membership.person_id == person_id)
            .order_by(Cohort.name)
        )
    )


async def erasure_preview(session: AsyncSession, nip: str) -> ErasurePreview:
    """Who `nip` is and what erasing them would remove; changes nothing."""
    person = await person_by_nip(session, nip)
    return ErasurePreview(
        person_id=person.id,
        name=person.full_name,
        cohorts=await _cohort_names(session, person.id),
        counts=await _counts(session, person.id),
    )


async def erase_person(
    session: AsyncSession,
    nip: str,
    now: datetime,
    actor_label: str | None,
    actor_id: int | None = None,
) -> ErasureSummary:
    """Erase the person's personal data in the caller's transaction; anonymous counts stay.

    Unknown or already erased: UserFacingError, nothing changed.
    """
    person = await person_by_nip(session, nip)
    pid = person.id
    label = erased_label(pid)
    counts = await _counts(session, pid)
    cohorts = await _cohort_names(session, pid)
    cohort_ids = await _cohort_ids(session, pid)
    their_reports = select(ProgressUpdate.id).where(ProgressUpdate.author_id == pid)

    async def run(statement: Any) -> None:
        await session.execute(statement.execution_options(synchronize_session=False))

    # Their files: those of their reports, their seminar materials and their half-written forms.
    blobs = {
        k
        for k in await session.scalars(
            select(Evidence.sha256).where(Evidence.update_id.in_(their_reports))
        )
        if k
    }
    materials = (
        await session.execute(
            select(SeminarMaterial.id, SeminarMaterial.sha256).where(
                SeminarMaterial.presenter_id == pid
            )
        )
    ).tuples()
    material_ids = []
    for material_id, key in materials:
        material_ids.append(material_id)
        blobs.add(key)
    # Their open form (services/forms.py) goes with its draft and the files in it.
    for value in await session.scalars(select(FormState.draft).where(FormState.person_id == pid)):
        blobs |= blob_keys(value)
    await run(delete(FormState).where(FormState.person_id == pid))

    # What they wrote: blanked, the rows kept so reports, feedback and approvals stay countable.
    await run(delete(Evidence).where(Evidence.update_id.in_(their_reports)))
    await run(
        update(ProgressUpdate)
        .where(ProgressUpdate.author_id == pid)
        .values(text="", obstacles=None, next_steps=None, original_text=None)
    )
    await run(update(FeedbackNote).where(FeedbackNote.author_id == pid).values(text=""))
    await run(update(Project).where(Project.participant_id == pid).values(problem=None, goal=None))
    # Their laporan and bahan tayang go with their copies on the way to examiners and advisors;
    # their answers to seminar notices stay for the daftar hadir, without the reason.
    for material_id in material_ids:
        await outbox.cancel(session, f"material:{material_id}:")
    await run(delete(SeminarMaterial).where(SeminarMaterial.presenter_id == pid))
    await run(
        update(SeminarAttendance).where(SeminarAttendance.person_id == pid).values(reason=None)
    )

    # Links to their channel accounts and their chats.
    await run(delete(Invite).where(Invite.person_id == pid))
    await run(delete(Vacation).where(Vacation.person_id == pid))
    their_chats = [
        and_(RelayedMessage.channel == a.channel, RelayedMessage.chat_ref == a.chat_ref)
        for a in person.accounts
        if a.chat_ref is not None
    ]
    await run(delete(RelayedMessage).where(or_(RelayedMessage.recipient_id == pid, *their_chats)))
    # The live status of an announcement they sent sits in their chat: stop pointing at it.
    await run(
        update(Broadcast)
        .where(Broadcast.status_account_id.in_([a.id for a in person.accounts]))
        .values(status_account_id=None, status_message_ref=None)
    )
    for account in person.accounts:
        await run(
            delete(CodeAttempt).where(
                CodeAttempt.channel == account.channel,
                CodeAttempt.external_user_id == account.external_user_id,
            )
        )

    # Messages: nothing more goes to them; what was queued for others no longer names them.
    await run(
        update(OutboxMessage)
        .where(OutboxMessage.recipient_id == pid, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.DROPPED, last_error="recipient erased")
    )
    await _scrub_outbox(session, person.full_name, label, cohort_ids)
    await _scrub_report_words(session, set(await session.scalars(their_reports)), cohort_ids)
    await _scrub_own_audit(session, pid)

    # Inert: no active membership, so no audience, roster, reminder or access check finds them.
    await run(update(Membership).where(Membership.person_id == pid).values(active=False))
    person.full_name = label
    person.nip = None
    person.agency = None
    person.position = None
    person.rank = None
    person.phone = None
    person.preferred_channel = None
    # Their accounts go (delete-orphan): nothing reaches or recognises them any more.
    person.accounts.clear()
    person.consent_at = None
    person.erased_at = now
    person.updated_at = now
    await session.flush()
    orphaned = await unreferenced(session, blobs)

    details = {
        "person_id": pid,
        "reports_kept": counts.reports,
        "evidence_deleted": counts.evidence,
        "feedback_blanked": counts.feedback_written,
        "invites_deleted": counts.invites,
        "vacations_deleted": counts.vacations,
        "messages_cancelled": counts.pending_messages,
        "seminar_materials_deleted": counts.seminar_materials,
        "files_deleted": len(orphaned),
    }
    targets: list[int | None] = [*cohort_ids] or [None]
    for cohort_id in targets:
        audit.record(
            session,
            "person.erase",
            at=now,
            actor_id=actor_id,
            actor_label=actor_label,
            cohort_id=cohort_id,
            details=details,
        )
    return ErasureSummary(
        person_id=pid, label=label, cohorts=cohorts, counts=counts, blobs=tuple(sorted(orphaned))
    )


def _replace(value: Any, name: str, label: str) -> Any:
    if isinstance(value, str):
        return value.replace(name, label)
    if isinstance(value, list):
        return [_replace(v, name, label) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, name, label) for k, v in value.items()}
    return value


async def _scrub_outbox(
    session: AsyncSession, name: str, label: str, cohort_ids: Sequence[int]
) -> None:
    """Queued and sent messages to others (reminders, digests, notices) that carry their name."""
    if not name or not cohort_ids:
        return
    # JSON is stored with non-ASCII escaped; look for the name as it is written there.
    stored = json.dumps(name)[1:-1]
    messages = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.cohort_id.in_(cohort_ids),
            cast(OutboxMessage.payload, String).contains(stored, autoescape=True),
        )
    )
    for message in messages:
        payload = dict(message.payload)
        payload["params"] = _replace(payload.get("params", {}), name, label)
        message.payload = payload


async def _scrub_report_words(
    session: AsyncSession, report_ids: set[int], cohort_ids: Sequence[int]
) -> None:
    """Feedback reminders carry the words of the report they are about (`thread`, `body`):
    for their reports, the words go as they went from the report itself."""
    if not report_ids or not cohort_ids:
        return
    messages = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.cohort_id.in_(cohort_ids),
            cast(OutboxMessage.payload, String).contains('"thread"', autoescape=True),
        )
    )
    for message in messages:
        payload = dict(message.payload)
        params = dict(payload.get("params", {}))
        if payload.get("thread") in report_ids and "body" in params:
            params["body"] = report_body("", None, None)
            payload["params"] = params
            message.payload = payload


async def _scrub_own_audit(session: AsyncSession, person_id: int) -> None:
    """Their own audit entries (joining) keep what happened, not their account ids."""
    entries = await session.scalars(select(AuditEntry).where(AuditEntry.actor_id == person_id))
    for entry in entries:
        if any(k in entry.details for k in _IDENTIFYING_DETAILS):
            entry.details = {
                k: v for k, v in entry.details.items() if k not in _IDENTIFYING_DETAILS
            }


def count_lines(counts: ErasureCounts) -> Iterable[tuple[str, int]]:
    """The counts as (catalog key, number) pairs, for printing a preview or a summary."""
    return (
        ("datarights.count.reports", counts.reports),
        ("datarights.count.evidence", counts.evidence),
        ("datarights.count.feedback", counts.feedback_written),
        ("datarights.count.invites", counts.invites),
        ("datarights.count.vacations", counts.vacations),
        ("datarights.count.pending", counts.pending_messages),
        ("datarights.count.seminar_materials", counts.seminar_materials),
    )
