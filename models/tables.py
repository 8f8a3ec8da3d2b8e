"""The tables: cohorts, people and their roles, projects, reports, seminars, delivery, audit."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.enums import (
    AdvisorKind,
    Channel,
    EvidenceKind,
    FeedbackKind,
    Horizon,
    MilestoneStatus,
    OutboxStatus,
    SeminarKind,
    SeminarStatus,
    UpdateStatus,
)
from domain.materials import AttendanceAnswer, MaterialKind
from domain.roles import Role
from domain.scoring import ScoreSheetStatus
from models.base import Base, UtcDateTime


def _enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, the same on both databases."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class Cohort(TimestampMixin, Base):
    """An angkatan: one run of a training programme by one organizer."""

    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    programme: Mapped[str] = mapped_column(String(40), default="PKN II")
    organizer: Mapped[str | None] = mapped_column(String(200))
    year: Mapped[int | None] = mapped_column(Integer)
    # Reminder offsets, quiet hours and the like: cohort settings, filled by later features.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    stages: Mapped[list[CohortStage]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="CohortStage.starts_on"
    )
    memberships: Mapped[list[Membership]] = relationship(back_populates="cohort")


class CohortStage(Base):
    """A stage of a cohort (self-study, on campus, off campus, seminars) with its dates."""

    __tablename__ = "cohort_stage"
    __table_args__ = (UniqueConstraint("cohort_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    cohort: Mapped[Cohort] = relationship(back_populates="stages")


class Person(TimestampMixin, Base):
    """Someone the bot knows: imported from a cohort file or an admin from the settings."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # Null for admins who came from ADMIN_TELEGRAM_IDS and for erased people.
    nip: Mapped[str | None] = mapped_column(String(18), unique=True)
    agency: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    # Pangkat/golongan as the roster writes it, "Pembina Utama Muda (IV/c)".
    rank: Mapped[str | None] = mapped_column(String(100))
    # The roster's mobile number in E.164 ("+6281234567890"), for WhatsApp invitations.
    phone: Mapped[str | None] = mapped_column(String(16))
    # The channel the roster says to invite them on; None: both links are given.
    preferred_channel: Mapped[Channel | None] = mapped_column(_enum(Channel, "preferred_channel"))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    language: Mapped[str] = mapped_column(String(8), default="id")
    consent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    joined_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set when the person's personal data was erased on request (UU 27/2022); the row stays,
    # nameless, so anonymous counts of reports and feedback still add up.
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    memberships: Mapped[list[Membership]] = relationship(back_populates="person")
    invites: Mapped[list[Invite]] = relationship(back_populates="person")
    # Loaded with the person: whether and where they can be reached is asked almost everywhere.
    accounts: Mapped[list[ChannelAccount]] = relationship(
        back_populates="person",
        lazy="selectin",
        order_by="ChannelAccount.id",
        cascade="all, delete-orphan",
    )

    @property
    def joined(self) -> bool:
        """Bound to at least one channel account (erasure removes them all)."""
        return bool(self.accounts)

    @property
    def reachable(self) -> bool:
        """Some account of theirs can be written to (none blocked the bot or is gone)."""
        return any(account.reachable for account in self.accounts)

    def account_on(self, channel: Channel) -> ChannelAccount | None:
        return next((a for a in self.accounts if a.channel is channel), None)


class ChannelAccount(TimestampMixin, Base):
    """A person's account on one messaging channel: who they are there and where to write.

    At most one per person and channel; a second channel is bound with a fresh invite code.
    """

    __tablename__ = "channel_account"
    __table_args__ = (
        UniqueConstraint("channel", "external_user_id"),
        UniqueConstraint("person_id", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    # The channel's own user id as a string (Telegram's numeric id, a WhatsApp wa_id).
    external_user_id: Mapped[str] = mapped_column(String(64))
    # Where messages to them go on that channel (Telegram: the private chat id).
    chat_ref: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164, when the channel gives one
    # False once a message got "blocked" or "deactivated", until they write again.
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_inbound_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    person: Mapped[Person] = relationship(back_populates="accounts")


class Invite(TimestampMixin, Base):
    """A one-time code that binds a channel account to a person."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    used_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_account.id", ondelete="SET NULL")
    )

    person: Mapped[Person] = relationship(back_populates="invites")


class CodeAttempt(Base):
    """Wrong invite codes per channel account (bound or not), to stop guessing."""

    __tablename__ = "code_attempt"

    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"), primary_key=True)
    external_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Membership(TimestampMixin, Base):
    """A person's role in one cohort. Withdrawn rather than deleted, so history survives."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    seminar_group: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    cohort: Mapped[Cohort] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship(back_populates="memberships")


class Assignment(TimestampMixin, Base):
    """A mentor or coach assigned to a participant within a cohort."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("cohort_id", "participant_id", "advisor_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    advisor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AdvisorKind] = mapped_column(_enum(AdvisorKind, "advisor_kind"))

    participant: Mapped[Person] = relationship(foreign_keys=[participant_id])
    advisor: Mapped[Person] = relationship(foreign_keys=[advisor_id])


class Project(TimestampMixin, Base):
    """A participant's proyek perubahan in one cohort."""

    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("cohort_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(500))
    problem: Mapped[str | None] = mapped_column(Text)
    goal: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    participant: Mapped[Person] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project", order_by="Milestone.due_on"
    )


class Milestone(TimestampMixin, Base):
    """A tahapan kegiatan with its horizon, target date and expected output."""

    __tablename__ = "milestone"
    __table_args__ = (Index("ix_milestone_due_status", "due_on", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    horizon: Mapped[Horizon] = mapped_column(_enum(Horizon, "horizon"))
    due_on: Mapped[date] = mapped_column(Date)
    expected_output: Mapped[str | None] = mapped_column(Text)
    status: Mapped[MilestoneStatus] = mapped_column(
        _enum(MilestoneStatus, "milestone_status"), default=MilestoneStatus.PLANNED
    )
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Removed, not deleted: reports about it stay part of the record.
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    project: Mapped[Project] = relationship(back_populates="milestones")
    updates: Mapped[list[ProgressUpdate]] = relationship(
        back_populates="milestone", order_by="ProgressUpdate.submitted_at"
    )


class ProgressUpdate(Base):
    """A progress report on a milestone, as the participant submitted it."""

    __tablename__ = "progress_update"
    # The reminder sweep's "reports waiting for feedback": status = submitted, within a window.
    __table_args__ = (Index("ix_progress_update_status_submitted", "status", "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    progress_percent: Mapped[int] = mapped_column(Integer)
    status: Mapped[UpdateStatus] = mapped_column(
        _enum(UpdateStatus, "update_status"), default=UpdateStatus.SUBMITTED
    )
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Optional parts of a report: kendala (obstacles) and rencana berikutnya (next steps).
    obstacles: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    # A correction within 24 hours replaces the text; the words first sent are kept here.
    original_text: Mapped[str | None] = mapped_column(Text)
    corrected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    milestone: Mapped[Milestone] = relationship(back_populates="updates")
    author: Mapped[Person] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="update", order_by="Evidence.id", cascade="all, delete-orphan"
    )
    notes: Mapped[list[FeedbackNote]] = relationship(
        back_populates="update", order_by="FeedbackNote.created_at"
    )


class Evidence(TimestampMixin, Base):
    """Bukti dukung: a file (its bytes in the evidence store, by `sha256`) or a link."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(
        ForeignKey("progress_update.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EvidenceKind] = mapped_column(_enum(EvidenceKind, "evidence_kind"))
    # The file's reference on the channel it arrived by (Telegram: file_id, file_unique_id),
    # a cache for sending it on over that channel without uploading it again; other channels
    # get the bytes from the store. Pre-store rows have only this to fetch their bytes with.
    channel: Mapped[Channel | None] = mapped_column(_enum(Channel, "channel"))
    channel_file_ref: Mapped[str | None] = mapped_column(String(255))
    channel_file_unique_ref: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(Integer)
    caption: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    media_group_id: Mapped[str | None] = mapped_column(String(64))
    # The bytes' key in the evidence store (file_size is then their stored size); NULL for
    # files received before the store existed and not fetched yet, and for links.
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)

    update: Mapped[ProgressUpdate] = relationship(back_populates="evidence")


class FeedbackNote(Base):
    """A message in the thread about a report: feedback, a reply, a revision request, approval."""

    __tablename__ = "feedback_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(
        ForeignKey("progress_update.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_note.id"))
    kind: Mapped[FeedbackKind] = mapped_column(_enum(FeedbackKind, "feedback_kind"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    update: Mapped[ProgressUpdate] = relationship(back_populates="notes")
    author: Mapped[Person] = relationship()


class RelayedMessage(Base):
    """A chat message the bot sent that carries a report or a note, so replies find their thread.

    Also who it was sent to: buttons under it work only for that person.
    """

    __tablename__ = "relayed_message"
    __table_args__ = (UniqueConstraint("channel", "chat_ref", "message_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The channel's own references, as strings: Telegram chat and message ids, a WhatsApp wamid.
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    chat_ref: Mapped[str] = mapped_column(String(64))
    message_ref: Mapped[str] = mapped_column(String(128))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    update_id: Mapped[int] = mapped_column(
        ForeignKey("progress_update.id", ondelete="CASCADE"), index=True
    )
    note_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_note.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Seminar(TimestampMixin, Base):
    """A seminar rancangan or evaluasi at one moment, with its examiner."""

    __tablename__ = "seminar"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SeminarKind] = mapped_column(_enum(SeminarKind, "seminar_kind"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(String(300))
    online_link: Mapped[str | None] = mapped_column(Text)
    examiner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    status: Mapped[SeminarStatus] = mapped_column(
        _enum(SeminarStatus, "seminar_status"), default=SeminarStatus.SCHEDULED
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set when the organizer releases the scores: presenters see theirs only from then on.
    scores_released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SeminarPresenter(Base):
    """A participant presenting at a seminar."""

    __tablename__ = "seminar_presenter"

    seminar_id: Mapped[int] = mapped_column(
        ForeignKey("seminar.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )


class SeminarMaterial(Base):
    """One version of a presenter's laporan or bahan tayang for a seminar; older ones stay.

    The bytes are in the evidence store under `sha256`; the reference on the channel it was
    uploaded by is only a cache for sending the file on there without uploading it again.
    """

    __tablename__ = "seminar_material"
    __table_args__ = (UniqueConstraint("seminar_id", "presenter_id", "kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(
        ForeignKey("seminar.id", ondelete="CASCADE"), index=True
    )
    presenter_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MaterialKind] = mapped_column(_enum(MaterialKind, "material_kind"))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[Channel | None] = mapped_column(_enum(Channel, "channel"))
    channel_file_ref: Mapped[str | None] = mapped_column(String(255))
    channel_file_unique_ref: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SeminarAttendance(Base):
    """A mentor's, coach's or examiner's answer to a seminar notice; the latest answer counts."""

    __tablename__ = "seminar_attendance"
    __table_args__ = (UniqueConstraint("seminar_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(
        ForeignKey("seminar.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    answer: Mapped[AttendanceAnswer] = mapped_column(_enum(AttendanceAnswer, "attendance_answer"))
    reason: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ScoreSheet(Base):
    """An examiner's scores for one presenter at one seminar: a draft until submitted, then fixed.

    The criteria are copied into its scores when it is started, so a rubric changed later
    never alters a sheet already begun.
    """

    __tablename__ = "score_sheet"
    __table_args__ = (UniqueConstraint("seminar_id", "presenter_id", "examiner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(
        ForeignKey("seminar.id", ondelete="CASCADE"), index=True
    )
    presenter_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    examiner_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ScoreSheetStatus] = mapped_column(
        _enum(ScoreSheetStatus, "score_sheet_status"), default=ScoreSheetStatus.DRAFT
    )
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    scores: Mapped[list[CriterionScore]] = relationship(
        back_populates="sheet", order_by="CriterionScore.position", cascade="all, delete-orphan"
    )


class CriterionScore(Base):
    """One criterion of a score sheet, with its weight, and the score once given (0-100)."""

    __tablename__ = "criterion_score"
    __table_args__ = (UniqueConstraint("sheet_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheet.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    criterion: Mapped[str] = mapped_column(String(120))
    weight: Mapped[int] = mapped_column(Integer)
    score: Mapped[int | None] = mapped_column(Integer)

    sheet: Mapped[ScoreSheet] = relationship(back_populates="scores")


class OutboxMessage(TimestampMixin, Base):
    """One logical message to deliver, at most once, no earlier than a given time."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique per logical message, e.g. "milestone:42:before:3:2026-12-25", so plans never repeat.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    # A post to a cohort's group (no recipient): the group, wherever its chat has moved.
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort_group.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A domain.enums.DeliveryFailure value when it failed or was dropped: what organizers read
    # (the raw text in last_error stays for operators). NULL on rows from before migration 0005.
    error_reason: Mapped[str | None] = mapped_column(String(24))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The account it went to and the channel's reference of what was delivered (the first
    # message of it), when it went to a person.
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_account.id", ondelete="SET NULL")
    )
    # Indexed: a channel's delivery statuses (WhatsApp's webhooks) find the row by it.
    message_ref: Mapped[str | None] = mapped_column(String(128), index=True)
    # When the channel reported it delivered to the phone and read (WhatsApp's statuses).
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # What it is ("reminder", "seminar", "broadcast", "notice", ...), for counts and reports.
    kind: Mapped[str] = mapped_column(String(30), default="notice")
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort.id", ondelete="CASCADE"), index=True
    )
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcast.id", ondelete="CASCADE"), index=True
    )
    # Set when a sender takes it; a send interrupted by a crash is found by an old claim.
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # After this moment it is stale (a reminder for a day long gone) and is dropped, not sent.
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A send that was in flight when the process died may have reached Telegram already.
    maybe_repeated: Mapped[bool] = mapped_column(Boolean, default=False)


class Broadcast(TimestampMixin, Base):
    """An announcement from an organizer to an audience; its messages sit in the outbox."""

    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    # {"kind": "photo"|"document", "channel": ..., "ref": ...} when a file goes with the text:
    # the channel it was sent by and its reference there (services/outbox.py file_item).
    attachment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # {"roles": [...], "seminar_group": ..., "groups": bool}
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The organizer's live status message: the account it went to and that channel's reference.
    status_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_account.id", ondelete="SET NULL")
    )
    status_message_ref: Mapped[str | None] = mapped_column(String(128))
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CohortGroup(TimestampMixin, Base):
    """A group chat linked to a cohort: announcements and seminar notices also go there."""

    __tablename__ = "cohort_group"
    __table_args__ = (UniqueConstraint("channel", "chat_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    # The channel the group is on and the chat as that channel names it (Telegram: its id).
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"), default=Channel.TELEGRAM)
    chat_ref: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(255))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Vacation(TimestampMixin, Base):
    """Cuti: dates on which a person gets no reminders (inclusive, in their own zone)."""

    __tablename__ = "vacation"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class AuditEntry(Base):
    """Who did what, and when: imports, onboarding, erasures, broadcasts, exports."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # For actions from the command line, where no person acts: "cli" plus the OS user.
    actor_label: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort.id", ondelete="SET NULL"), index=True
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WebLoginLink(Base):
    """A one-time link to the web desk, sent by /dasbor: only the token's SHA-256 is kept, so
    a copy of the database opens nobody's desk."""

    __tablename__ = "web_login_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebSession(Base):
    """A browser signed in to the web desk; the cookie holds the key, this row its hash, so a
    logout (ended_at) or the idle limit ends it on the server, not only in the browser."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
