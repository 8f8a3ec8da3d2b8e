"""Progress reports and the feedback thread around them: submit, relay, reply, approve, revise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.enums import (
    AdvisorKind,
    Channel,
    EvidenceKind,
    FeedbackKind,
    MilestoneStatus,
    UpdateStatus,
)
from models import (
    Assignment,
    Evidence,
    FeedbackNote,
    Membership,
    Milestone,
    Person,
    ProgressUpdate,
    RelayedMessage,
)
from services.errors import UserFacingError
from services.projects import NotYours, own_milestone
from services.reminders import refresh_feedback_reminders, settle_feedback_reminders

# A report can be corrected this long after it was sent (issue 13: "within 24 hours").
CORRECTION_WINDOW = timedelta(hours=24)


class StaleAction(UserFacingError):
    """A button whose data changed since it was sent: approved already, a newer report, ..."""

    def __init__(self) -> None:
        super().__init__("button.stale")


@dataclass(frozen=True)
class EvidenceItem:
    """A file as received from the chat, kept in a report draft until it is submitted.

    `ref` and `unique_ref` are the file's references on `channel`, the one it came by (a cache
    for sending it on there; None when that channel's references are not kept)."""

    kind: str  # EvidenceKind value
    ref: str
    unique_ref: str
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    caption: str | None = None
    media_group_id: str | None = None
    # The bytes' key in the evidence store once downloaded; `size` is then their real size.
    sha256: str | None = None
    channel: str | None = None  # Channel value

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvidenceItem:
        if "file_id" in data:
            # A draft written before references named their channel: only Telegram's existed.
            data = {k: v for k, v in data.items() if k not in ("file_id", "file_unique_id")} | {
                "ref": data["file_id"],
                "unique_ref": data.get("file_unique_id") or "",
                "channel": Channel.TELEGRAM.value,
            }
        return cls(**data)


@dataclass(frozen=True)
class Recipient:
    """Someone a message goes to, with what is needed to write it in their language and zone."""

    person_id: int
    name: str
    # Joined, with an account a message can reach (the sender picks it).
    reachable: bool
    language: str
    timezone: ZoneInfo
    relation: str  # "participant", "mentor" or "coach"

    @classmethod
    def of(cls, person: Person, relation: str) -> Recipient:
        return cls(
            person_id=person.id,
            name=person.full_name,
            reachable=person.reachable,
            language=person.language,
            timezone=ZoneInfo(person.timezone),
            relation=relation,
        )


@dataclass(frozen=True)
class ReportView:
    update_id: int
    participant_id: int
    participant_name: str
    milestone_id: int
    milestone_title: str
    text: str
    percent: int
    submitted_at: datetime
    status: UpdateStatus
    evidence: list[EvidenceItem] = field(default_factory=list)
    obstacles: str | None = None
    next_steps: str | None = None
    corrected_at: datetime | None = None
    # The cohort of the report's project: its organizers hear of an advisor who cannot be
    # reached, and its relays are in its delivery log.
    cohort_id: int | None = None


@dataclass(frozen=True)
class NoteDelivery:
    """A recorded note and who must now receive it."""

    note_id: int
    kind: FeedbackKind
    text: str
    author: Recipient
    recipient: Recipient
    report: ReportView


def _report_view(update: ProgressUpdate, participant: Person) -> ReportView:
    return ReportView(
        update_id=update.id,
        participant_id=participant.id,
        participant_name=participant.full_name,
        milestone_id=update.milestone_id,
        milestone_title=update.milestone.title,
        text=update.text,
        percent=update.progress_percent,
        submitted_at=update.submitted_at,
        status=update.status,
        obstacles=update.obstacles,
        next_steps=update.next_steps,
        corrected_at=update.corrected_at,
        cohort_id=update.milestone.project.cohort_id,
        evidence=[
            EvidenceItem(
                kind=e.kind.value,
                ref=e.channel_file_ref or "",
                unique_ref=e.channel_file_unique_ref or "",
                file_name=e.file_name,
                mime_type=e.mime_type,
                size=e.file_size,
                caption=e.caption,
                media_group_id=e.media_group_id,
                sha256=e.sha256,
                channel=e.channel.value if e.channel else None,
            )
            for e in update.evidence
        ],
    )


async def advisors_of(
    session: AsyncSession, participant_id: int, cohort_id: int
) -> list[Recipient]:
    rows = await session.execute(
        select(Person, Assignment.kind)
        .join(Assignment, Assignment.advisor_id == Person.id)
        .where(Assignment.participant_id == participant_id, Assignment.cohort_id == cohort_id)
        .order_by(Assignment.kind.desc(), Person.full_name)  # mentors first
    )
    return [Recipient.of(person, kind.value) for person, kind in rows.tuples()]


async def submit_report(
    session: AsyncSession,
    participant_id: int,
    milestone_id: int,
    *,
    text: str,
    percent: int,
    evidence: list[EvidenceItem],
    now: datetime,
    obstacles: str | None = None,
    next_steps: str | None = None,
) -> tuple[ReportView, list[Recipient]]:
    """Record a report and move the milestone on; returns it with the advisors to notify."""
    try:
        milestone = await own_milestone(session, participant_id, milestone_id)
    except NotYours:
        # Most often: removed while the report was being written.
        raise UserFacingError("report.error.milestone_gone") from None
    if milestone.status is MilestoneStatus.APPROVED:
        raise UserFacingError("report.error.milestone_approved")
    update = ProgressUpdate(
        milestone=milestone,
        author_id=participant_id,
        text=text,
        progress_percent=percent,
        status=UpdateStatus.SUBMITTED,
        submitted_at=now,
        obstacles=obstacles,
        next_steps=next_steps,
    )
    update.evidence = [
        Evidence(
            kind=EvidenceKind(item.kind),
            channel=Channel(item.channel) if item.channel else None,
            channel_file_ref=item.ref if item.channel else None,
            channel_file_unique_ref=item.unique_ref if item.channel else None,
            file_name=item.file_name,
            mime_type=item.mime_type,
            file_size=item.size,
            caption=item.caption,
            media_group_id=item.media_group_id,
            sha256=item.sha256,
        )
        for item in evidence
    ]
    session.add(update)
    milestone.progress_percent = percent
    milestone.status = MilestoneStatus.SUBMITTED if percent == 100 else MilestoneStatus.IN_PROGRESS
    milestone.updated_at = now
    await session.flush()
    participant = await session.get_one(Person, participant_id)
    # update.milestone and update.evidence are the objects just written: nothing to reload.
    advisors = await advisors_of(session, participant_id, milestone.project.cohort_id)
    return _report_view(update, participant), advisors


async def record_relay(
    session: AsyncSession,
    *,
    channel: Channel,
    chat_ref: str,
    message_ref: str,
    recipient_id: int,
    update_id: int,
    note_id: int | None,
    now: datetime,
) -> None:
    """Remember that this message carries that report (and note) for that recipient."""
    await _insert_relays(
        session, channel, chat_ref, [message_ref], recipient_id, update_id, note_id, now
    )


async def record_queued_relay(
    session: AsyncSession,
    *,
    channel: Channel,
    chat_ref: str,
    message_refs: Sequence[str],
    recipient_id: int,
    update_id: int,
    note_id: int | None = None,
    now: datetime,
) -> bool:
    """Remember every message a queued relay (or a feedback reminder) took as carrying that
    report, and that note if any, for that recipient: replies to any of them thread, and the
    report's buttons work for them only. False when the report is gone meanwhile (nothing to
    thread to)."""
    if await session.scalar(_REPORT_EXISTS, {"update_id": update_id}) is None:
        return False
    if note_id is not None and await session.get(FeedbackNote, note_id) is None:
        note_id = None
    await _insert_relays(
        session, channel, chat_ref, message_refs, recipient_id, update_id, note_id, now
    )
    return True


# The sender records every relay it sends: one statement each, built once.
_REPORT_EXISTS = select(ProgressUpdate.id).where(ProgressUpdate.id == bindparam("update_id"))
_INSERT_RELAYS = insert(RelayedMessage)


async def _insert_relays(
    session: AsyncSession,
    channel: Channel,
    chat_ref: str,
    message_refs: Sequence[str],
    recipient_id: int,
    update_id: int,
    note_id: int | None,
    now: datetime,
) -> None:
    """One INSERT for all the messages (a photo and its text are two), not an ORM flush."""
    await session.execute(
        _INSERT_RELAYS,
        [
            {
                "channel": channel,
                "chat_ref": chat_ref,
                "message_ref": message_ref,
                "recipient_id": recipient_id,
                "update_id": update_id,
                "note_id": note_id,
                "created_at": now,
            }
            for message_ref in message_refs
        ],
    )


async def find_relay(
    session: AsyncSession, channel: Channel, chat_ref: str, message_ref: str
) -> RelayedMessage | None:
    """The report (and note) a message the bot delivered carries, by the channel's references."""
    return await session.scalar(
        select(RelayedMessage).where(
            RelayedMessage.channel == channel,
            RelayedMessage.chat_ref == chat_ref,
            RelayedMessage.message_ref == message_ref,
        )
    )


async def _load_update(
    session: AsyncSession, update_id: int, *, lock: bool = False
) -> ProgressUpdate:
    """The report with its milestone, project and evidence. `lock`: its row is held until the
    transaction ends (PostgreSQL), so an approval and a correction of the same report run one
    after the other, the second seeing what the first did, instead of both deciding on the
    state before either."""
    statement = (
        select(ProgressUpdate)
        .where(ProgressUpdate.id == update_id)
        .options(
            selectinload(ProgressUpdate.milestone).selectinload(Milestone.project),
            selectinload(ProgressUpdate.evidence),
        )
    )
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    update = await session.scalar(statement)
    if update is None:
        raise NotYours()
    return update


async def advisor_relation(
    session: AsyncSession, advisor_id: int, participant_id: int, cohort_id: int
) -> AdvisorKind | None:
    """Mentor or coach of this participant in that cohort (active membership), else None."""
    kinds = set(
        await session.scalars(
            select(Assignment.kind)
            .join(
                Membership,
                (Membership.person_id == Assignment.participant_id)
                & (Membership.cohort_id == Assignment.cohort_id),
            )
            .where(
                Assignment.advisor_id == advisor_id,
                Assignment.participant_id == participant_id,
                Assignment.cohort_id == cohort_id,
                Membership.active.is_(True),
            )
        )
    )
    if AdvisorKind.MENTOR in kinds:
        return AdvisorKind.MENTOR
    return AdvisorKind.COACH if AdvisorKind.COACH in kinds else None


async def _advisor_context(
    session: AsyncSession, advisor_id: int, update_id: int, *, lock: bool = False
) -> tuple[ProgressUpdate, Person, Person, AdvisorKind]:
    update = await _load_update(session, update_id, lock=lock)
    participant = await session.get_one(Person, update.author_id)
    relation = await advisor_relation(
        session, advisor_id, participant.id, update.milestone.project.cohort_id
    )
    if relation is None:
        raise NotYours()
    advisor = await session.get_one(Person, advisor_id)
    return update, participant, advisor, relation


async def _note(
    session: AsyncSession,
    update: ProgressUpdate,
    author: Person,
    kind: FeedbackKind,
    text: str,
    now: datetime,
    parent_id: int | None = None,
) -> FeedbackNote:
    note = FeedbackNote(
        update_id=update.id,
        author_id=author.id,
        parent_id=parent_id,
        kind=kind,
        text=text,
        created_at=now,
    )
    session.add(note)
    await session.flush()
    return note


async def give_feedback(
    session: AsyncSession,
    advisor_id: int,
    update_id: int,
    text: str,
    now: datetime,
    *,
    parent_id: int | None = None,
) -> NoteDelivery:
    update, participant, advisor, relation = await _advisor_context(session, advisor_id, update_id)
    note = await _note(session, update, advisor, FeedbackKind.FEEDBACK, text, now, parent_id)
    await settle_feedback_reminders(session, update.id, advisor_id=advisor.id)
    return NoteDelivery(
        note_id=note.id,
        kind=note.kind,
        text=text,
        author=Recipient.of(advisor, relation.value),
        recipient=Recipient.of(participant, "participant"),
        report=_report_view(update, participant),
    )


async def reply_to_note(
    session: AsyncSession, participant_id: int, note_id: int, text: str, now: datetime
) -> NoteDelivery:
    """The participant answers a note; the answer goes back to the note's author."""
    parent = await session.get(FeedbackNote, note_id)
    if parent is None:
        raise NotYours()
    update = await _load_update(session, parent.update_id)
    if update.author_id != participant_id:
        raise NotYours()
    participant = await session.get_one(Person, participant_id)
    author = await session.get_one(Person, parent.author_id)
    relation = await advisor_relation(
        session, author.id, participant_id, update.milestone.project.cohort_id
    )
    if relation is None:
        raise UserFacingError("feedback.error.advisor_gone")
    note = await _note(session, update, participant, FeedbackKind.REPLY, text, now, parent.id)
    return NoteDelivery(
        note_id=note.id,
        kind=note.kind,
        text=text,
        author=Recipient.of(participant, "participant"),
        recipient=Recipient.of(author, relation.value),
        report=_report_view(update, participant),
    )


async def _latest_update_id(session: AsyncSession, milestone_id: int) -> int | None:
    return await session.scalar(
        select(func.max(ProgressUpdate.id)).where(ProgressUpdate.milestone_id == milestone_id)
    )


async def approve(
    session: AsyncSession, advisor_id: int, update_id: int, now: datetime
) -> NoteDelivery:
    """Sign the milestone off: only on its newest report, claiming 100 %, not yet decided."""
    update, participant, advisor, relation = await _advisor_context(
        session, advisor_id, update_id, lock=True
    )
    if relation is not AdvisorKind.MENTOR:
        raise UserFacingError("feedback.error.mentor_only")
    milestone = update.milestone
    if (
        update.progress_percent != 100
        or update.status is not UpdateStatus.SUBMITTED
        or milestone.status is MilestoneStatus.APPROVED
        or milestone.removed_at is not None
        or await _latest_update_id(session, milestone.id) != update.id
    ):
        raise StaleAction()
    update.status = UpdateStatus.APPROVED
    milestone.status = MilestoneStatus.APPROVED
    milestone.approved_at = now
    milestone.approved_by_id = advisor.id
    milestone.updated_at = now
    note = await _note(session, update, advisor, FeedbackKind.APPROVAL, "", now)
    await settle_feedback_reminders(session, update.id, advisor_id=None)
    return NoteDelivery(
        note_id=note.id,
        kind=note.kind,
        text="",
        author=Recipient.of(advisor, relation.value),
        recipient=Recipient.of(participant, "participant"),
        report=_report_view(update, participant),
    )


async def request_revision(
    session: AsyncSession, advisor_id: int, update_id: int, reason: str, now: datetime
) -> NoteDelivery:
    update, participant, advisor, relation = await _advisor_context(
        session, advisor_id, update_id, lock=True
    )
    if (
        update.status is not UpdateStatus.SUBMITTED
        or update.milestone.status is MilestoneStatus.APPROVED
        or await _latest_update_id(session, update.milestone_id) != update.id
    ):
        raise StaleAction()
    update.status = UpdateStatus.REVISION_REQUESTED
    if update.milestone.status is MilestoneStatus.SUBMITTED:
        update.milestone.status = MilestoneStatus.IN_PROGRESS
    note = await _note(session, update, advisor, FeedbackKind.REVISION_REQUEST, reason, now)
    await settle_feedback_reminders(session, update.id, advisor_id=None)
    return NoteDelivery(
        note_id=note.id,
        kind=note.kind,
        text=reason,
        author=Recipient.of(advisor, relation.value),
        recipient=Recipient.of(participant, "participant"),
        report=_report_view(update, participant),
    )


async def check_advisor_button(
    session: AsyncSession,
    person_id: int,
    channel: Channel,
    chat_ref: str,
    message_ref: str,
    update_id: int,
) -> None:
    """A report button works only on the message it came with, for the person it was sent to."""
    relay = await find_relay(session, channel, chat_ref, message_ref)
    if relay is None or relay.recipient_id != person_id or relay.update_id != update_id:
        raise NotYours()


async def report_for_participant(
    session: AsyncSession, participant_id: int, update_id: int
) -> ReportView:
    update = await _load_update(session, update_id)
    if update.author_id != participant_id:
        raise NotYours()
    return _report_view(update, await session.get_one(Person, participant_id))


async def acknowledge(
    session: AsyncSession, advisor_id: int, update_id: int, now: datetime
) -> NoteDelivery | None:
    """ "Sudah dibaca": record that the advisor read the report, once; None when they had
    already said so (a double tap), so the participant is told only once."""
    update, participant, advisor, relation = await _advisor_context(session, advisor_id, update_id)
    already = await session.scalar(
        select(FeedbackNote.id).where(
            FeedbackNote.update_id == update.id,
            FeedbackNote.author_id == advisor.id,
            FeedbackNote.kind == FeedbackKind.ACKNOWLEDGED,
        )
    )
    if already is not None:
        return None
    note = await _note(session, update, advisor, FeedbackKind.ACKNOWLEDGED, "", now)
    await settle_feedback_reminders(session, update.id, advisor_id=advisor.id)
    return NoteDelivery(
        note_id=note.id,
        kind=note.kind,
        text="",
        author=Recipient.of(advisor, relation.value),
        recipient=Recipient.of(participant, "participant"),
        report=_report_view(update, participant),
    )


async def _own_correctable(
    session: AsyncSession, participant_id: int, update_id: int, now: datetime, *, lock: bool = False
) -> ProgressUpdate:
    update = await _load_update(session, update_id, lock=lock)
    if update.author_id != participant_id:
        raise NotYours()
    if now - update.submitted_at > CORRECTION_WINDOW:
        raise UserFacingError("correction.error.too_late", hours=24)
    if update.status is UpdateStatus.APPROVED:
        raise UserFacingError("correction.error.approved")
    return update


async def correctable_report(
    session: AsyncSession, participant_id: int, update_id: int, now: datetime
) -> ReportView:
    """The participant's own report, if it may still be corrected (24 hours, not approved)."""
    update = await _own_correctable(session, participant_id, update_id, now)
    return _report_view(update, await session.get_one(Person, participant_id))


async def correct_report(
    session: AsyncSession,
    participant_id: int,
    update_id: int,
    *,
    text: str,
    obstacles: str | None,
    next_steps: str | None,
    now: datetime,
) -> tuple[ReportView, list[Recipient]]:
    """Replace a report's words within the window; the words first sent are kept. Returns
    the corrected report with the advisors to send it to."""
    update = await _own_correctable(session, participant_id, update_id, now, lock=True)
    if update.original_text is None:
        update.original_text = update.text
    update.text = text
    update.obstacles = obstacles
    update.next_steps = next_steps
    update.corrected_at = now
    await refresh_feedback_reminders(session, update.id, text, obstacles, next_steps)
    await session.flush()
    participant = await session.get_one(Person, participant_id)
    advisors = await advisors_of(session, participant_id, update.milestone.project.cohort_id)
    return _report_view(update, participant), advisors


async def relayed_to(
    session: AsyncSession, recipient_id: int, update_id: int, note_id: int | None
) -> tuple[ReportView, Recipient, NoteDelivery | None]:
    """A report (and the note on it, if any) as relayed to `recipient_id`, to be sent to them
    again; NotYours when they may no longer read it (no longer its advisor, not its author)."""
    update = await _load_update(session, update_id)
    participant = await session.get_one(Person, update.author_id)
    cohort_id = update.milestone.project.cohort_id
    view = _report_view(update, participant)

    async def relation_of(person_id: int) -> str:
        if person_id == participant.id:
            return "participant"
        relation = await advisor_relation(session, person_id, participant.id, cohort_id)
        if relation is None:
            raise NotYours()
        return relation.value

    me = Recipient.of(await session.get_one(Person, recipient_id), await relation_of(recipient_id))
    if note_id is None:
        if me.relation == "participant":
            raise NotYours()  # a report is relayed to its advisors only
        return view, me, None
    note = await session.get(FeedbackNote, note_id)
    if note is None or note.update_id != update.id or note.author_id == recipient_id:
        raise NotYours()
    author = await session.get_one(Person, note.author_id)
    delivery = NoteDelivery(
        note_id=note.id,
        kind=note.kind,
        text=note.text,
        author=Recipient.of(author, await relation_of(author.id)),
        recipient=me,
        report=view,
    )
    return view, me, delivery
