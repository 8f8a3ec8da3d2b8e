"""What is due, into the outbox: milestone reminders, nudges, feedback reminders, digests,
and the request for a seminar's report and slides.

The scheduler only triggers the sweep (every minute, through `Sweeper`); what is due is derived
from our tables each time, so a restart loses nothing, and every message has a dedup key, so
nothing is planned twice however often, or however concurrently, the sweep runs. A message is
planned when its moment has come (`PLAN_AHEAD` early at most), so late changes (an approval, a
new target date, a vacation) count until the last moment; and it expires when the recipient's
quiet hours begin that day, so a late one never wakes anyone nor arrives on the wrong day.

After downtime (the first sweep after a restart looks back `LOOKBACK`; later ones look back to
the previous committed sweep): what is still useful goes out late, that is whatever is due
today, and a nudge, feedback reminder or escalation whose day fell in the gap; a milestone
reminder or digest whose window closed unplanned is recorded as dropped ("stale") and counted
once. A reminder suppressed by a vacation is not postponed.

Cost: a sweep reads the few target dates with a reminder day since the previous sweep (one
query on the (due_on, status) index, joined to the participant and mentor) and asks the
outbox's unique key index which of those exist; nudges and feedback reminders already planned
are left out inside their queries. bench/sweep.py measures it over 100,000 milestones.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from domain import actions
from domain.enums import AdvisorKind, MilestoneStatus, OutboxStatus, SeminarStatus, UpdateStatus
from domain.materials import materials_button_data
from domain.progress import progress_bar
from domain.project_term import ProjectTerm, term_param
from domain.report_body import report_body
from domain.roles import Role
from domain.schedule import (
    InvalidReminderSettings,
    ReminderSettings,
    Slot,
    iso_week,
    local_day,
    milestone_slots,
    send_moment,
    slot_offsets,
    stale_after,
    week_start,
)
from domain.timezones import WIB
from models import (
    Assignment,
    Cohort,
    Evidence,
    FeedbackNote,
    Membership,
    Milestone,
    OutboxMessage,
    Person,
    ProgressUpdate,
    Project,
    Seminar,
    SeminarPresenter,
    Vacation,
)
from models.base import UtcDateTime
from services import outbox
from services.outbox import Button, Outgoing
from services.terms import cohort_terms

log = logging.getLogger(__name__)

# How far back a sweep looks for moments missed while nothing ran.
LOOKBACK = timedelta(days=3)
# Planned this much before its moment, so the sender has it in hand on the minute.
PLAN_AHEAD = timedelta(minutes=5)
# Milestones that still need work; one reported done waits for the mentor's sign-off, which
# the feedback reminder covers.
OPEN = (MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS)
# Outbox `kind` of each message planned here.
KIND_MILESTONE = "reminder"
KIND_NUDGE = "nudge"
KIND_FEEDBACK = "feedback_wait"
KIND_ESCALATION = "escalation"
KIND_DIGEST = "digest"
KIND_SEMINAR_MATERIALS = "seminar_materials"
# last_error of a reminder whose window passed unplanned (the sender uses the same word).
STALE = "stale"
CANCELLED = "cancelled"
_FILTERED_IN_SQL = frozenset({KIND_NUDGE, KIND_FEEDBACK, KIND_ESCALATION})
# Bound parameters per query stay far below SQLite's and asyncpg's limit (32,766).
_KEYS_PER_QUERY = 5000


@dataclass
class SweepResult:
    """What one sweep did, by outbox kind."""

    planned: Counter[str] = field(default_factory=Counter)
    # Moments that passed unplanned (downtime) and are no longer worth sending: recorded as
    # dropped, so each is counted once.
    stale: Counter[str] = field(default_factory=Counter)
    # Cohorts whose reminder settings are unusable: their reminders ran on the defaults.
    invalid_settings: list[str] = field(default_factory=list)

    @property
    def planned_total(self) -> int:
        return sum(self.planned.values())

    @property
    def stale_total(self) -> int:
        return sum(self.stale.values())


class Sweeper:
    """What the scheduler's job calls every minute: one sweep in its own transaction, told
    when the previous committed sweep ran, so it looks back only over the gap since then.

    The first sweep of a process (after a restart) looks back the full `LOOKBACK`.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.last: datetime | None = None

    async def __call__(self, now: datetime) -> SweepResult:
        async with self.sessions() as session, session.begin():
            result = await sweep(session, now, since=self.last)
        self.last = now  # only once committed: a failed sweep is looked over again
        return result


def milestone_key(milestone_id: int) -> str:
    """The prefix of every reminder about a milestone, for cancelling them."""
    return f"ms:{milestone_id}:"


async def sweep(
    session: AsyncSession, now: datetime, *, since: datetime | None = None
) -> SweepResult:
    """Plan every reminder whose moment has come into the outbox; count those missed.

    `since`: when the previous sweep that committed ran; None looks back `LOOKBACK`. Runs in
    the caller's transaction: rolled back, it planned nothing, and the next sweep plans the
    same messages under the same keys.
    """
    result = SweepResult()
    start = now - LOOKBACK if since is None else min(max(since, now - LOOKBACK), now)
    state = _Sweep(
        now=now,
        missed_after=start,
        cohorts=await _cohort_settings(session, result),
        vacations=await _vacations(session, now),
        zone_names=list(await session.scalars(_ZONES)),
    )
    if not state.zone_names:
        return result  # nobody has joined: nobody to remind
    await _milestone_reminders(session, state)
    await _nudges(session, state)
    await _feedback_reminders(session, state)
    await _escalations(session, state)
    await _digests(session, state)
    await _seminar_materials(session, state)
    await _plan(session, state, result)
    if result.planned_total or result.stale_total:
        log.info("reminders: planned %s, stale %s", dict(result.planned), dict(result.stale))
    return result


async def replan_milestone(session: AsyncSession, milestone_id: int) -> int:
    """Cancel the milestone's reminders not yet sent (its date changed, or it was removed);
    the next sweep plans what the milestone needs now. Returns how many were cancelled.

    A cancelled reminder was never sent, so it gives its key back: should the date return to
    the old one, that reminder can be planned again.
    """
    prefix = milestone_key(milestone_id)
    cancelled = await outbox.cancel(session, prefix)
    if cancelled:
        await release_cancelled(session, prefix)
    return cancelled


def seminar_materials_key(seminar_id: int) -> str:
    """The prefix of a seminar's materials reminders: inside the seminar's own prefix, so
    moving or cancelling the seminar (which cancels everything under it) cancels them too."""
    return f"seminar:{seminar_id}:materials:"


async def release_cancelled(session: AsyncSession, prefix: str) -> None:
    """Give the keys of messages cancelled before they were sent back, so the sweep may plan
    them again should their moment return (a date moved away and back)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedup_key.startswith(prefix, autoescape=True),
            OutboxMessage.status == OutboxStatus.DROPPED,
            OutboxMessage.last_error == CANCELLED,  # what outbox.cancel records
            ~OutboxMessage.dedup_key.contains("~", autoescape=True),  # released before
        )
        .values(dedup_key=OutboxMessage.dedup_key + "~" + cast(OutboxMessage.id, String))
        .execution_options(synchronize_session=False)
    )


def feedback_wait_key(update_id: int, advisor_id: int | None = None) -> str:
    """A feedback reminder's key; without an advisor, the prefix of every one about the report."""
    return f"fbwait:{update_id}:" if advisor_id is None else f"fbwait:{update_id}:{advisor_id}"


def escalation_key(update_id: int) -> str:
    """The prefix of the organizers' "nobody has answered" messages about a report."""
    return f"fbesc:{update_id}:"


async def settle_feedback_reminders(
    session: AsyncSession, update_id: int, *, advisor_id: int | None
) -> None:
    """An advisor answered the report (`advisor_id`), or it was signed off or sent back for
    revision (None: it waits for nobody now). Reminders are queued minutes before they go and
    wait longer for a retry: those still unsent must not say it waits for an answer.

    Cancelled, their keys are not given back: the sweep never plans them again."""
    await outbox.cancel(session, escalation_key(update_id))  # somebody has answered
    if advisor_id is None:
        await outbox.cancel(session, feedback_wait_key(update_id))
        return
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedup_key == feedback_wait_key(update_id, advisor_id),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.DROPPED, last_error=CANCELLED)
        .execution_options(synchronize_session=False)
    )


async def refresh_feedback_reminders(
    session: AsyncSession,
    update_id: int,
    text: str,
    obstacles: str | None,
    next_steps: str | None,
) -> None:
    """A corrected report: the feedback reminders not yet sent carry its words as they are now."""
    messages = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.dedup_key.startswith(feedback_wait_key(update_id), autoescape=True),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    )
    for message in messages:
        payload = dict(message.payload)
        payload["params"] = {
            **payload.get("params", {}),
            "body": report_body(text, obstacles, next_steps),
        }
        message.payload = payload


# --- one sweep's state --------------------------------------------------------------------


@dataclass(frozen=True)
class _Timing:
    at: datetime
    expires: datetime
    stale: bool


@dataclass(frozen=True)
class _Candidate:
    key: str
    kind: str
    recipient_id: int
    cohort_id: int
    timing: _Timing
    build: Callable[[], Outgoing]


_DEFAULTS = ReminderSettings()


@dataclass
class _Sweep:
    """One sweep's view: settings, zones and vacations, and the messages it found due."""

    now: datetime
    # A window that closed after this moment and before now, unplanned, was missed.
    missed_after: datetime
    cohorts: dict[int, tuple[str, ReminderSettings]]
    vacations: dict[int, list[tuple[date, date]]]
    zone_names: list[str]  # the zones of everyone who joined
    candidates: dict[str, _Candidate] = field(default_factory=dict)
    _zones: dict[str, ZoneInfo] = field(default_factory=dict)
    # Thousands of rows share a handful of (cohort, zone, day): each moment is computed once.
    _moments: dict[tuple[int, str, date, time | None], tuple[datetime, datetime]] = field(
        default_factory=dict
    )

    def settings(self, cohort_id: int) -> ReminderSettings:
        entry = self.cohorts.get(cohort_id)
        return entry[1] if entry else _DEFAULTS

    def zone(self, name: str) -> ZoneInfo:
        zone = self._zones.get(name)
        if zone is None:
            try:
                zone = ZoneInfo(name)
            except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
                log.error("unknown time zone %r stored for a person; using WIB", name)
                zone = WIB
            self._zones[name] = zone
        return zone

    def today(self, zone_name: str) -> date:
        return local_day(self.now, self.zone(zone_name))

    def days(self) -> set[date]:
        """Every local date, in some zone in use, from the last sweep (or the lookback) on."""
        days: set[date] = set()
        for name in self.zone_names:
            zone = self.zone(name)
            day, last = local_day(self.missed_after, zone), local_day(self.now + PLAN_AHEAD, zone)
            while day <= last:
                days.add(day)
                day += timedelta(days=1)
        return days

    def window(self, shortest: int, longest: int) -> dict[str, datetime]:
        """Which silences or waits (by when they began) may have their message due now, or due
        since the last sweep (or within the lookback): their due day, `shortest` to `longest`
        days after the day they began, lies between those days and today, in some zone."""
        zones = [self.zone(name) for name in self.zone_names]
        ahead = self.now + PLAN_AHEAD

        def midnight(day: date, zone: ZoneInfo) -> datetime:
            return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

        return {
            "bound": max(
                midnight(local_day(ahead, z) - timedelta(days=shortest - 1), z) for z in zones
            ),
            "oldest": min(
                midnight(local_day(self.missed_after, z) - timedelta(days=longest), z)
                for z in zones
            ),
        }

    def timing(
        self,
        cohort_id: int,
        zone_name: str,
        day: date,
        known_since: datetime | None,
        clock: time | None = None,
    ) -> _Timing | None:
        """When a message for the recipient's `day` goes, if it is due now or was missed;
        None if not yet, long gone, or missed but about something newer than its moment."""
        cached = self._moments.get((cohort_id, zone_name, day, clock))
        if cached is None:
            settings, zone = self.settings(cohort_id), self.zone(zone_name)
            at = send_moment(day, zone, settings, clock)
            cached = (at, stale_after(at, zone, settings))
            self._moments[(cohort_id, zone_name, day, clock)] = cached
        at, expires = cached
        if at > self.now + PLAN_AHEAD:
            return None
        if self.now < expires:
            return _Timing(at, expires, stale=False)
        if expires > self.missed_after and (known_since is None or known_since < at):
            return _Timing(at, expires, stale=True)
        return None

    def add(
        self,
        timing: _Timing,
        *,
        key: str,
        kind: str,
        recipient_id: int,
        cohort_id: int,
        day: date,
        build: Callable[[], Outgoing],
    ) -> None:
        """Keep a message found due, unless its recipient is on leave that day."""
        if key in self.candidates:
            return
        ranges = self.vacations.get(recipient_id)
        if ranges and any(first <= day <= last for first, last in ranges):
            return
        self.candidates[key] = _Candidate(key, kind, recipient_id, cohort_id, timing, build)


# --- the statements, built once: a sweep runs every minute and only binds new values ------

_participant = aliased(Person, name="participant")
_mentor = aliased(Person, name="mentor")
_advisor = aliased(Person, name="advisor")
_admin = aliased(Person, name="admin")
_enrolled = aliased(Membership, name="enrolled")
_mentoring = aliased(Membership, name="mentoring")
_advising = aliased(Membership, name="advising")
_organizing = aliased(Membership, name="organizing")
_mentee = aliased(Membership, name="mentee")
_BOUND = bindparam("bound", type_=UtcDateTime())
_OLDEST = bindparam("oldest", type_=UtcDateTime())


def _reachable(person: Any) -> Any:
    """Joined the bot and has not blocked it."""
    return and_(person.telegram_user_id.is_not(None), person.reachable.is_(True))


def _enrolled_in(cohort_id: Any = None) -> Any:
    """The participant's membership (in that cohort, if given), still active."""
    return and_(
        _enrolled.person_id == _participant.id,
        _enrolled.role == Role.PARTICIPANT,
        _enrolled.active.is_(True),
        *([] if cohort_id is None else [_enrolled.cohort_id == cohort_id]),
    )


def _not_planned(*parts: Any) -> Any:
    """No outbox row has the dedup key made of `parts` (literals and integer columns): the
    unique key index answers it per row, so what is already planned costs no round trip."""
    key: Any = literal(parts[0])
    for part in parts[1:]:
        key = key + (part if isinstance(part, str) else cast(part, String))
    return ~exists().where(OutboxMessage.dedup_key == key)


_COHORTS = select(Cohort.id, Cohort.name, Cohort.settings)

_ZONES = select(Person.timezone).where(Person.telegram_user_id.is_not(None)).distinct()

_VACATIONS = select(Vacation.person_id, Vacation.starts_on, Vacation.ends_on).where(
    Vacation.ends_on >= bindparam("first"), Vacation.starts_on <= bindparam("last")
)

# The query over milestones: the (due_on, status) index picks the few target dates with a
# reminder day now; joins bring the participant and their mentor (one row per mentor).
_MILESTONES = (
    select(
        Milestone.id,
        Milestone.title,
        Milestone.due_on,
        Milestone.progress_percent,
        func.coalesce(Milestone.updated_at, Milestone.created_at).label("known_since"),
        Project.cohort_id,
        _participant.id.label("participant_id"),
        _participant.full_name,
        _participant.timezone,
        _mentor.id.label("mentor_id"),
        _mentor.timezone.label("mentor_timezone"),
    )
    .join(Project, Project.id == Milestone.project_id)
    .join(_participant, _participant.id == Project.participant_id)
    .join(_enrolled, _enrolled_in(Project.cohort_id))
    .outerjoin(
        Assignment,
        and_(
            Assignment.participant_id == _participant.id,
            Assignment.cohort_id == Project.cohort_id,
            Assignment.kind == AdvisorKind.MENTOR,
        ),
    )
    .outerjoin(
        _mentoring,
        and_(
            _mentoring.person_id == Assignment.advisor_id,
            _mentoring.cohort_id == Project.cohort_id,
            _mentoring.active.is_(True),
        ),
    )
    .outerjoin(_mentor, and_(_mentor.id == _mentoring.person_id, _reachable(_mentor)))
    .where(
        Milestone.due_on.in_(bindparam("due_dates", expanding=True)),
        Milestone.status.in_(OPEN),
        Milestone.removed_at.is_(None),
        _reachable(_participant),
    )
)

# Who has been silent long enough, by their last report (or, never reported, since joining):
# narrowed first, so the per-person checks below run for a few people, not everyone.
_last_report = func.max(ProgressUpdate.submitted_at)
_silent = union_all(
    select(
        ProgressUpdate.author_id.label("person_id"),
        _last_report.label("since"),
        func.max(ProgressUpdate.id).label("last_id"),
    )
    .group_by(ProgressUpdate.author_id)
    .having(and_(_last_report <= _BOUND, _last_report >= _OLDEST)),
    select(
        Person.id.label("person_id"),
        Person.joined_at.label("since"),
        literal(0).label("last_id"),
    ).where(
        Person.joined_at <= _BOUND,
        Person.joined_at >= _OLDEST,
        ~exists().where(ProgressUpdate.author_id == Person.id),
    ),
).subquery("silent")
_NUDGES = (
    select(
        _participant.id,
        _participant.timezone,
        _enrolled.cohort_id,
        _silent.c.since,
        _silent.c.last_id,
    )
    .join_from(_silent, _participant, _participant.id == _silent.c.person_id)
    .join(_enrolled, _enrolled_in())
    .where(
        _reachable(_participant),
        # Nothing to report on without an open milestone.
        exists()
        .where(
            Project.participant_id == _participant.id,
            Project.cohort_id == _enrolled.cohort_id,
            Milestone.project_id == Project.id,
            Milestone.removed_at.is_(None),
            Milestone.status.in_(OPEN),
        )
        .correlate(_participant, _enrolled),
        _not_planned("nudge:", _participant.id, ":", _silent.c.last_id),
    )
)


def _waiting_reports() -> Any:
    """Reports still waiting for feedback, with their participant, milestone and cohort."""
    return (
        select(
            ProgressUpdate.id,
            ProgressUpdate.author_id,
            ProgressUpdate.submitted_at,
            _participant.full_name.label("participant"),
            Milestone.title,
            Project.cohort_id,
        )
        .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
        .join(Project, Project.id == Milestone.project_id)
        .join(_participant, _participant.id == ProgressUpdate.author_id)
        .join(_enrolled, _enrolled_in(Project.cohort_id))
        .where(
            ProgressUpdate.status == UpdateStatus.SUBMITTED,
            Milestone.removed_at.is_(None),
            ProgressUpdate.submitted_at <= _BOUND,
            ProgressUpdate.submitted_at >= _OLDEST,
        )
    )


# Each advisor who has not answered a waiting report, and has not been reminded of it; with
# the report itself, which the reminder carries.
_FEEDBACK = (
    _waiting_reports()
    .add_columns(
        _advisor.id.label("advisor_id"),
        _advisor.timezone.label("advisor_timezone"),
        Assignment.kind.label("relation"),
        ProgressUpdate.text,
        ProgressUpdate.progress_percent,
        ProgressUpdate.obstacles,
        ProgressUpdate.next_steps,
        select(func.count(Evidence.id))
        .where(Evidence.update_id == ProgressUpdate.id)
        .correlate(ProgressUpdate)
        .scalar_subquery()
        .label("evidence"),
    )
    .join(
        Assignment,
        and_(
            Assignment.participant_id == _participant.id,
            Assignment.cohort_id == Project.cohort_id,
        ),
    )
    .join(_advisor, and_(_advisor.id == Assignment.advisor_id, _reachable(_advisor)))
    .join(
        _advising,
        and_(
            _advising.person_id == _advisor.id,
            _advising.cohort_id == Project.cohort_id,
            _advising.active.is_(True),
        ),
    )
    .where(
        ~exists()
        .where(
            FeedbackNote.update_id == ProgressUpdate.id,
            FeedbackNote.author_id == Assignment.advisor_id,
        )
        .correlate(ProgressUpdate, Assignment),
        _not_planned("fbwait:", ProgressUpdate.id, ":", _advisor.id),
    )
)

# Each admin of the cohort of a report nobody has answered, who has not been told of it.
_ESCALATIONS = (
    _waiting_reports()
    .add_columns(_admin.id.label("admin_id"), _admin.timezone.label("admin_timezone"))
    .join(
        _organizing,
        and_(
            _organizing.cohort_id == Project.cohort_id,
            _organizing.role == Role.ADMIN,
            _organizing.active.is_(True),
        ),
    )
    .join(_admin, and_(_admin.id == _organizing.person_id, _reachable(_admin)))
    .where(
        ~exists()
        .where(
            FeedbackNote.update_id == ProgressUpdate.id,
            FeedbackNote.author_id != ProgressUpdate.author_id,
        )
        .correlate(ProgressUpdate),
        _not_planned("fbesc:", ProgressUpdate.id, ":", _admin.id),
    )
)

_ADVISOR_NAMES = (
    select(Assignment.participant_id, Assignment.cohort_id, Person.full_name)
    .join(Person, Person.id == Assignment.advisor_id)
    .where(Assignment.participant_id.in_(bindparam("participant_ids", expanding=True)))
    .order_by(Assignment.kind.desc(), Person.full_name)  # mentors first
)

# Mentors with at least one active mentee, once per cohort they mentor in.
_MENTORS = (
    select(Person.id, Person.timezone, Person.joined_at, Membership.cohort_id)
    .join(Membership, Membership.person_id == Person.id)
    .where(
        Membership.role == Role.MENTOR,
        Membership.active.is_(True),
        _reachable(Person),
        exists()
        .where(
            Assignment.advisor_id == Person.id,
            Assignment.cohort_id == Membership.cohort_id,
            Assignment.kind == AdvisorKind.MENTOR,
            _mentee.person_id == Assignment.participant_id,
            _mentee.cohort_id == Assignment.cohort_id,
            _mentee.role == Role.PARTICIPANT,
            _mentee.active.is_(True),
        )
        .correlate(Person, Membership),
    )
    .order_by(Person.id, Membership.cohort_id)
)

_MENTEES = (
    select(Assignment.advisor_id, _participant.full_name, Project.id.label("project_id"))
    .join(_participant, _participant.id == Assignment.participant_id)
    .join(_enrolled, _enrolled_in(Assignment.cohort_id))
    .outerjoin(
        Project,
        and_(
            Project.participant_id == _participant.id,
            Project.cohort_id == Assignment.cohort_id,
        ),
    )
    .where(
        Assignment.advisor_id.in_(bindparam("mentor_ids", expanding=True)),
        Assignment.kind == AdvisorKind.MENTOR,
    )
    .order_by(_participant.full_name, _participant.id)
)

_PROGRESS = (
    select(Milestone.project_id, func.avg(Milestone.progress_percent))
    .where(
        Milestone.project_id.in_(bindparam("project_ids", expanding=True)),
        Milestone.removed_at.is_(None),
    )
    .group_by(Milestone.project_id)
)

_SUBMITTED = (
    select(ProgressUpdate.id, Milestone.project_id)
    .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
    .where(
        Milestone.project_id.in_(bindparam("project_ids", expanding=True)),
        ProgressUpdate.status == UpdateStatus.SUBMITTED,
    )
)

_ANSWERED = select(FeedbackNote.update_id, FeedbackNote.author_id).where(
    FeedbackNote.update_id.in_(bindparam("update_ids", expanding=True)),
    FeedbackNote.author_id.in_(bindparam("mentor_ids", expanding=True)),
)

_EXISTING = select(OutboxMessage.dedup_key).where(
    OutboxMessage.dedup_key.in_(bindparam("keys", expanding=True))
)

_INSERT = {
    name: insert(OutboxMessage)
    .on_conflict_do_nothing(index_elements=["dedup_key"])
    .returning(OutboxMessage.dedup_key)
    for name, insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}


# --- what the sweep needs first -----------------------------------------------------------


async def _cohort_settings(
    session: AsyncSession, result: SweepResult
) -> dict[int, tuple[str, ReminderSettings]]:
    cohorts: dict[int, tuple[str, ReminderSettings]] = {}
    for cohort_id, name, raw in (await session.execute(_COHORTS)).tuples():
        try:
            settings = ReminderSettings.from_cohort_settings(raw)
        except InvalidReminderSettings as exc:
            # One organizer's typo must not stop everyone's reminders: defaults, and say so.
            log.error("cohort %r: %s; using the default reminder settings", name, exc)
            result.invalid_settings.append(name)
            settings = _DEFAULTS
        cohorts[cohort_id] = (name, settings)
    return cohorts


async def _vacations(session: AsyncSession, now: datetime) -> dict[int, list[tuple[date, date]]]:
    # Local days range over UTC-12..+14 around today, and back over the lookback.
    first = (now - LOOKBACK).date() - timedelta(days=1)
    last = now.date() + timedelta(days=2)
    ranges: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for person_id, starts_on, ends_on in (
        await session.execute(_VACATIONS, {"first": first, "last": last})
    ).tuples():
        ranges[person_id].append((starts_on, ends_on))
    return ranges


# --- milestone reminders ------------------------------------------------------------------


async def _milestone_reminders(session: AsyncSession, state: _Sweep) -> None:
    """One query over the due-date index for every milestone with a reminder day now."""
    offsets: set[int] = set()
    for settings in {s for _, s in state.cohorts.values()} | {_DEFAULTS}:
        offsets |= slot_offsets(settings)
    days = state.days()
    if not offsets or not days:
        return
    due_dates = sorted({day + timedelta(days=o) for day in days for o in offsets})
    slots: dict[tuple[int, date], list[Slot]] = {}
    for row in (await session.execute(_MILESTONES, {"due_dates": due_dates})).all():
        cohort_id = row.cohort_id
        plan = slots.get((cohort_id, row.due_on))
        if plan is None:
            plan = slots[(cohort_id, row.due_on)] = milestone_slots(
                row.due_on, state.settings(cohort_id)
            )
        for slot in plan:
            timing = state.timing(cohort_id, row.timezone, slot.day, row.known_since)
            if timing is not None:
                if slot.name == "overdue":
                    build = _overdue(row.id, row.title, row.due_on, row.timezone)
                else:
                    build = _before(row.id, row.title, row.due_on, row.timezone, slot.days_left)
                state.add(
                    timing,
                    key=f"ms:{row.id}:{slot.name}:{row.due_on}",
                    kind=KIND_MILESTONE,
                    recipient_id=row.participant_id,
                    cohort_id=cohort_id,
                    day=slot.day,
                    build=build,
                )
            if slot.name != "overdue" or row.mentor_id is None:
                continue
            timing = state.timing(cohort_id, row.mentor_timezone, slot.day, row.known_since)
            if timing is not None:
                state.add(
                    timing,
                    key=f"ms:{row.id}:overdue:{row.due_on}:mentor:{row.mentor_id}",
                    kind=KIND_MILESTONE,
                    recipient_id=row.mentor_id,
                    cohort_id=cohort_id,
                    day=slot.day,
                    build=_overdue_for_mentor(
                        row.full_name, row.title, row.due_on, row.timezone, row.progress_percent
                    ),
                )


def _report_now(milestone_id: int | None) -> list[list[Button]]:
    """ "Lapor sekarang" under a reminder to a participant: /lapor at that milestone."""
    return [[Button("report.button.report_now", callback_data=actions.report_now(milestone_id))]]


def _before(
    milestone_id: int, title: str, due_on: date, zone: str, days: int
) -> Callable[[], Outgoing]:
    key = "reminder.milestone.tomorrow" if days == 1 else "reminder.milestone.before"
    return lambda: Outgoing(
        key,
        {"title": title, "due_date": due_on, "days": days},
        buttons=_report_now(milestone_id),
    )


def _overdue(milestone_id: int, title: str, due_on: date, zone: str) -> Callable[[], Outgoing]:
    return lambda: Outgoing(
        "reminder.milestone.overdue",
        {"title": title, "due_date": due_on},
        buttons=_report_now(milestone_id),
    )


def _overdue_for_mentor(
    participant: str, title: str, due_on: date, zone: str, percent: int
) -> Callable[[], Outgoing]:
    return lambda: Outgoing(
        "reminder.milestone.overdue_mentor",
        {
            "participant": participant,
            "title": title,
            "due_date": due_on,
            "bar": progress_bar(percent),
        },
    )


# --- nudges, feedback reminders, escalations ----------------------------------------------


async def _nudges(session: AsyncSession, state: _Sweep) -> None:
    """Participants silent for N days since their last report (or since joining); once per
    silence: the key names the last report."""
    waits = [s.nudge_after_days for _, s in state.cohorts.values() if s.nudge_after_days]
    if not waits:
        return
    rows = (await session.execute(_NUDGES, state.window(min(waits), max(waits)))).tuples().all()
    terms = await cohort_terms(session, {row[2] for row in rows})
    for person_id, zone_name, cohort_id, silent_since, last_id in rows:
        wait = state.settings(cohort_id).nudge_after_days
        if not wait:
            continue
        due = local_day(silent_since, state.zone(zone_name)) + timedelta(days=wait)
        day = max(due, state.today(zone_name))  # still worth sending a little late
        timing = state.timing(cohort_id, zone_name, day, known_since=state.now)
        if timing is None:
            continue
        key = "reminder.nudge" if last_id else "reminder.nudge.never"
        state.add(
            timing,
            key=f"nudge:{person_id}:{last_id or 0}",
            kind=KIND_NUDGE,
            recipient_id=person_id,
            cohort_id=cohort_id,
            day=day,
            build=_nudge(key, silent_since, terms.get(cohort_id, ProjectTerm.PROYEK_PERUBAHAN)),
        )


def _nudge(key: str, since: datetime, term: ProjectTerm) -> Callable[[], Outgoing]:
    return lambda: Outgoing(
        key, {"since": since, "term": term_param(term)}, buttons=_report_now(None)
    )


async def _feedback_reminders(session: AsyncSession, state: _Sweep) -> None:
    """Each mentor or coach whose feedback on a report has been waiting N days."""
    waits = [s.feedback_after_days for _, s in state.cohorts.values() if s.feedback_after_days]
    if not waits:
        return
    rows = await session.execute(_FEEDBACK, state.window(min(waits), max(waits)))
    for row in rows.all():
        wait = state.settings(row.cohort_id).feedback_after_days
        if not wait:
            continue
        zone_name = row.advisor_timezone
        due = local_day(row.submitted_at, state.zone(zone_name)) + timedelta(days=wait)
        day = max(due, state.today(zone_name))
        timing = state.timing(row.cohort_id, zone_name, day, known_since=state.now)
        if timing is None:
            continue
        state.add(
            timing,
            key=feedback_wait_key(row.id, row.advisor_id),
            kind=KIND_FEEDBACK,
            recipient_id=row.advisor_id,
            cohort_id=row.cohort_id,
            day=day,
            build=_feedback_wait(row),
        )


def _feedback_wait(row: Any) -> Callable[[], Outgoing]:
    """The report itself, with the buttons of a relayed report, bound to the advisor once
    sent (`thread`), so they answer from the reminder instead of looking it up."""
    buttons = [
        Button("report.button.feedback", actions.advisor_action(actions.GIVE_FEEDBACK, row.id)),
        Button("report.button.acknowledge", actions.advisor_action(actions.ACKNOWLEDGE, row.id)),
        Button("report.button.revision", actions.advisor_action(actions.ASK_REVISION, row.id)),
    ]
    rows = [buttons[:2], buttons[2:]]
    if row.progress_percent == 100 and row.relation is AdvisorKind.MENTOR:
        approve = actions.advisor_action(actions.APPROVE, row.id)
        rows.insert(0, [Button("report.button.approve", approve)])
    return lambda: Outgoing(
        "reminder.feedback_wait.report",
        {
            "participant": row.participant,
            "milestone": row.title,
            "submitted": row.submitted_at,
            "bar": progress_bar(row.progress_percent),
            "evidence": row.evidence,
            "body": report_body(row.text, row.obstacles, row.next_steps),
        },
        buttons=rows,
        thread=row.id,
    )


def _escalation_days(settings: ReminderSettings) -> int | None:
    if not settings.feedback_after_days or not settings.escalate_after_days:
        return None
    return settings.feedback_after_days + settings.escalate_after_days


async def _escalations(session: AsyncSession, state: _Sweep) -> None:
    """The cohort's admins, of a report nobody answered in N + M days."""
    waits = [d for _, s in state.cohorts.values() if (d := _escalation_days(s))]
    if not waits:
        return
    found = []
    for row in (await session.execute(_ESCALATIONS, state.window(min(waits), max(waits)))).all():
        wait = _escalation_days(state.settings(row.cohort_id))
        if not wait:
            continue
        zone_name = row.admin_timezone
        due = local_day(row.submitted_at, state.zone(zone_name)) + timedelta(days=wait)
        day = max(due, state.today(zone_name))
        timing = state.timing(row.cohort_id, zone_name, day, known_since=state.now)
        if timing is not None:
            found.append((row, day, timing))
    if not found:
        return
    # Who has not answered: every advisor of the participant, since nobody has.
    names: dict[tuple[int, int], list[str]] = defaultdict(list)
    participants = sorted({row.author_id for row, _, _ in found})
    for participant_id, cohort_id, name in (
        await session.execute(_ADVISOR_NAMES, {"participant_ids": participants})
    ).tuples():
        names[(participant_id, cohort_id)].append(name)
    for row, day, timing in found:
        state.add(
            timing,
            key=f"{escalation_key(row.id)}{row.admin_id}",
            kind=KIND_ESCALATION,
            recipient_id=row.admin_id,
            cohort_id=row.cohort_id,
            day=day,
            build=_message(
                "reminder.feedback_escalation",
                participant=row.participant,
                cohort=state.cohorts[row.cohort_id][0],
                milestone=row.title,
                submitted=row.submitted_at,
                advisors=", ".join(names[(row.author_id, row.cohort_id)]),
            ),
        )


def _materials_request(seminar_id: int, params: dict[str, Any]) -> Callable[[], Outgoing]:
    """The presenter's request for laporan and bahan tayang, with "Kirim bahan" under it."""
    send = Button("materials.button.send", materials_button_data(seminar_id))
    return lambda: Outgoing("seminar.materials.presenter", params, buttons=[[send]])


def _message(key: str, **params: Any) -> Callable[[], Outgoing]:
    return lambda: Outgoing(key, params)


# --- weekly digest ------------------------------------------------------------------------


async def _digests(session: AsyncSession, state: _Sweep) -> None:
    """Each mentor's weekly digest, on the digest day at the digest time in their own zone."""
    weekdays = {s.digest_weekday for _, s in state.cohorts.values()} - {None}
    if not weekdays & {day.weekday() for day in state.days()}:
        return  # no digest day since the last sweep, anywhere
    mentors: dict[int, tuple[str, datetime | None, int]] = {}
    for person_id, zone_name, joined_at, cohort_id in (await session.execute(_MENTORS)).tuples():
        # A mentor in several cohorts gets one digest, timed by the newest cohort's settings.
        mentors[person_id] = (zone_name, joined_at, cohort_id)
    for mentor_id, (zone_name, joined_at, cohort_id) in mentors.items():
        settings = state.settings(cohort_id)
        if settings.digest_weekday is None:
            continue
        day = week_start(state.today(zone_name), settings.digest_weekday)
        timing = state.timing(cohort_id, zone_name, day, joined_at, settings.digest_at)
        if timing is None:
            continue
        state.add(
            timing,
            key=f"digest:{mentor_id}:{iso_week(day)}",
            kind=KIND_DIGEST,
            recipient_id=mentor_id,
            cohort_id=cohort_id,
            day=day,
            # The lines are added in _plan, and only for digests that are actually new.
            build=_message("reminder.digest", week_date=day),
        )


async def _digest_lines(
    session: AsyncSession, mentor_ids: Sequence[int]
) -> dict[int, list[tuple[str, int, int]]]:
    """Per mentor: (participant, progress %, reports waiting for this mentor), by name."""
    rows = (await session.execute(_MENTEES, {"mentor_ids": list(mentor_ids)})).all()
    mentors_of: dict[int, set[int]] = defaultdict(set)
    for mentor_id, _, project_id in rows:
        if project_id is not None:
            mentors_of[project_id].add(mentor_id)
    progress: dict[int, int] = {}
    waiting: Counter[tuple[int, int]] = Counter()  # (mentor, project)
    if mentors_of:
        project_ids = sorted(mentors_of)
        for project_id, mean in (
            await session.execute(_PROGRESS, {"project_ids": project_ids})
        ).tuples():
            progress[project_id] = round(float(mean or 0))
        submitted = (await session.execute(_SUBMITTED, {"project_ids": project_ids})).all()
        answered: set[tuple[int, int]] = set()
        if submitted:
            answered = set(
                (
                    await session.execute(
                        _ANSWERED,
                        {"update_ids": [u for u, _ in submitted], "mentor_ids": list(mentor_ids)},
                    )
                ).tuples()
            )
        for update_id, project_id in submitted:
            for mentor_id in mentors_of[project_id]:
                if (update_id, mentor_id) not in answered:
                    waiting[(mentor_id, project_id)] += 1
    lines: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for mentor_id, name, project_id in rows:
        if project_id is None:
            lines[mentor_id].append((name, 0, 0))
        else:
            lines[mentor_id].append(
                (name, progress.get(project_id, 0), waiting[(mentor_id, project_id)])
            )
    return lines


def _digest_text(lines: Iterable[tuple[str, int, int]]) -> str:
    # Names, bars and numbers only, so the text is the same in every language; the catalog
    # message around it explains the hourglass.
    return "\n".join(
        f"• {name}\n   {progress_bar(percent)} · ⏳ {count}" for name, percent, count in lines
    )


# --- seminar materials --------------------------------------------------------------------

# Scheduled seminars still ahead, one row per presenter still enrolled (the admins' summary
# names them all; only those who joined and can be reached are reminded themselves).
_SEMINAR_PRESENTERS = (
    select(
        Seminar.id,
        Seminar.cohort_id,
        Seminar.kind,
        Seminar.starts_at,
        Seminar.place,
        Seminar.online_link,
        func.coalesce(Seminar.updated_at, Seminar.created_at).label("known_since"),
        _participant.id.label("presenter_id"),
        _participant.full_name,
        _participant.timezone,
        and_(_participant.telegram_user_id.is_not(None), _participant.reachable.is_(True)).label(
            "reachable"
        ),
    )
    .join(SeminarPresenter, SeminarPresenter.seminar_id == Seminar.id)
    .join(_participant, _participant.id == SeminarPresenter.participant_id)
    .join(_enrolled, _enrolled_in(Seminar.cohort_id))
    .where(
        Seminar.status == SeminarStatus.SCHEDULED,
        Seminar.starts_at > bindparam("now", type_=UtcDateTime()),
        Seminar.starts_at <= bindparam("until", type_=UtcDateTime()),
    )
    .order_by(Seminar.starts_at, Seminar.id, _participant.full_name, _participant.id)
)

_COHORT_ADMINS = (
    select(Membership.cohort_id, Person.id, Person.timezone)
    .join(Person, Person.id == Membership.person_id)
    .where(
        Membership.cohort_id.in_(bindparam("cohort_ids", expanding=True)),
        Membership.role == Role.ADMIN,
        Membership.active.is_(True),
        _reachable(Person),
    )
    .order_by(Membership.cohort_id, Person.id)
)


@dataclass
class _Materials:
    """One seminar whose presenters send their report and slides ahead of it."""

    cohort_id: int
    kind: str
    starts_at: datetime
    where: str
    known_since: datetime | None
    presenters: list[tuple[int, str, str, bool]] = field(default_factory=list)


def materials_stamp(starts_at: datetime) -> str:
    """The seminar's start in its materials keys: a move is a new reminder, the same start
    after a move back is the same one."""
    return starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M")


async def _seminar_materials(session: AsyncSession, state: _Sweep) -> None:
    """N days before a seminar (local day, at the send time): each presenter is asked for
    their report (laporan) and slides (bahan tayang); the cohort's admins get the list."""
    offsets = [
        s.seminar_materials_days
        for s in [*(s for _, s in state.cohorts.values()), _DEFAULTS]
        if s.seminar_materials_days
    ]
    if not offsets:
        return
    # A day of slack each side covers every zone from UTC-12 to UTC+14.
    until = state.now + timedelta(days=max(offsets) + 2)
    seminars: dict[int, _Materials] = {}
    for row in (
        await session.execute(_SEMINAR_PRESENTERS, {"now": state.now, "until": until})
    ).all():
        entry = seminars.get(row.id)
        if entry is None:
            where = " · ".join(part for part in (row.place, row.online_link) if part)
            entry = seminars[row.id] = _Materials(
                row.cohort_id, row.kind.value, row.starts_at, where, row.known_since
            )
        entry.presenters.append((row.presenter_id, row.full_name, row.timezone, row.reachable))
    if not seminars:
        return
    admins: dict[int, list[tuple[int, str]]] = defaultdict(list)
    cohort_ids = sorted({entry.cohort_id for entry in seminars.values()})
    for cohort_id, admin_id, zone_name in (
        await session.execute(_COHORT_ADMINS, {"cohort_ids": cohort_ids})
    ).tuples():
        admins[cohort_id].append((admin_id, zone_name))
    terms = await cohort_terms(session, cohort_ids)
    for seminar_id, entry in seminars.items():
        days = state.settings(entry.cohort_id).seminar_materials_days
        if not days:
            continue
        prefix = f"{seminar_materials_key(seminar_id)}{materials_stamp(entry.starts_at)}:"
        params: dict[str, Any] = {
            # The kind is a catalog message of its own, rendered in the recipient's language.
            "kind": {"key": f"seminar.kind.inline.{entry.kind}", "params": {}},
            "cohort": state.cohorts[entry.cohort_id][0],
            "at": entry.starts_at,
            "where": entry.where or "-",
            "term": term_param(terms.get(entry.cohort_id, ProjectTerm.PROYEK_PERUBAHAN)),
        }

        for person_id, _, zone_name, reachable in entry.presenters:
            if not reachable:
                continue
            day = local_day(entry.starts_at, state.zone(zone_name)) - timedelta(days=days)
            timing = state.timing(entry.cohort_id, zone_name, day, entry.known_since)
            if timing is not None:
                state.add(
                    timing,
                    key=f"{prefix}{person_id}",
                    kind=KIND_SEMINAR_MATERIALS,
                    recipient_id=person_id,
                    cohort_id=entry.cohort_id,
                    day=day,
                    build=_materials_request(seminar_id, params),
                )
        names = [name for _, name, _, _ in entry.presenters]
        for admin_id, zone_name in admins.get(entry.cohort_id, []):
            day = local_day(entry.starts_at, state.zone(zone_name)) - timedelta(days=days)
            timing = state.timing(entry.cohort_id, zone_name, day, entry.known_since)
            if timing is not None:
                state.add(
                    timing,
                    key=f"{prefix}admin:{admin_id}",
                    kind=KIND_SEMINAR_MATERIALS,
                    recipient_id=admin_id,
                    cohort_id=entry.cohort_id,
                    day=day,
                    build=_message(
                        "seminar.materials.admin",
                        **params,
                        presenters="\n".join(f"• {name}" for name in names),
                        count=len(names),
                    ),
                )


# --- into the outbox ----------------------------------------------------------------------


async def _existing(session: AsyncSession, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        found.update(await session.scalars(_EXISTING, {"keys": chunk}))
    return found


async def _plan(session: AsyncSession, state: _Sweep, result: SweepResult) -> None:
    if not state.candidates:
        return
    # Nudges and feedback reminders already planned were left out by their query.
    existing = await _existing(
        session, [c.key for c in state.candidates.values() if c.kind not in _FILTERED_IN_SQL]
    )
    new = [c for key, c in state.candidates.items() if key not in existing]
    if not new:
        return
    digests = {c.recipient_id for c in new if c.kind == KIND_DIGEST and not c.timing.stale}
    lines = await _digest_lines(session, sorted(digests)) if digests else {}
    rows: list[dict[str, Any]] = []
    for candidate in new:
        message, timing = candidate.build(), candidate.timing
        if candidate.kind == KIND_DIGEST and not timing.stale:
            entries = lines.get(candidate.recipient_id)
            if not entries:
                continue  # no active participant left since the sweep began: nothing to say
            message = Outgoing(
                message.key,
                {**message.params, "lines": _digest_text(entries), "count": len(entries)},
            )
        rows.append(
            {
                "dedup_key": candidate.key,
                "recipient_id": candidate.recipient_id,
                "chat_id": None,
                "payload": message.to_payload(),
                "not_before": timing.at,
                # A missed one is kept as a record of what the downtime cost, never sent.
                "status": OutboxStatus.DROPPED if timing.stale else OutboxStatus.PENDING,
                "last_error": STALE if timing.stale else None,
                "attempts": 0,
                "kind": candidate.kind,
                "cohort_id": candidate.cohort_id,
                "broadcast_id": None,
                "expires_at": timing.expires,
                "maybe_repeated": False,
                "created_at": state.now,
            }
        )
    for key in await _enqueue_all(session, rows):
        candidate = state.candidates[key]
        (result.stale if candidate.timing.stale else result.planned)[candidate.kind] += 1


async def _enqueue_all(session: AsyncSession, rows: list[dict[str, Any]]) -> list[str]:
    """services.outbox.enqueue for many messages in one executemany (a morning's reminders
    one INSERT at a time cost seconds); returns the keys queued. A key queued meanwhile by
    another sweep is skipped, exactly as enqueue skips it."""
    if not rows:
        return []
    connection = await session.connection()
    result = await connection.execute(_INSERT[connection.dialect.name], rows)
    return list(result.scalars())
