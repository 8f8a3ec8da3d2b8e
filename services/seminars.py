"""Seminars: schedule, reschedule and cancel them, plan their notices and reminders, and /jadwal."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import AdvisorKind, MilestoneStatus, SeminarKind, SeminarStatus
from domain.materials import AttendanceAnswer, attendance_button_data
from domain.nip import InvalidNip, parse_nip
from domain.roles import Role
from domain.schedule import InvalidReminderSettings, ReminderSettings
from domain.seminar_time import MAX_PLACE_LENGTH, InvalidSeminarInput, parse_link, plan_sends
from domain.timezones import UnknownZone, parse_zone, zone_code
from models import (
    Assignment,
    Cohort,
    Membership,
    Milestone,
    OutboxMessage,
    Person,
    Project,
    Seminar,
    SeminarAttendance,
    SeminarPresenter,
)
from services import audit, outbox, reminders
from services.errors import UserFacingError
from services.groups import active_groups
from services.outbox import Button, Outgoing

# Two seminars of one presenter closer than this overlap: a seminar block of a few presenters
# with their mentors, coach and examiner takes about this long.
SEMINAR_SLOT = timedelta(hours=2)
OUTBOX_KIND = "seminar"
AGENDA_MILESTONES = 10

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Organizer:
    """Who schedules: a person (checked against the cohort), or the command line.

    `every_cohort` is for admins from ADMIN_TELEGRAM_IDS and the command line, who run every
    cohort; an admin by membership manages only the cohorts where they are admin.
    """

    person_id: int | None
    label: str | None = None
    every_cohort: bool = False


@dataclass(frozen=True)
class NewSeminar:
    """What an organizer asks for; `starts_at` is aware, `zone` the zone it was given in."""

    cohort_id: int
    kind: SeminarKind
    starts_at: datetime
    zone: ZoneInfo
    presenter_ids: Sequence[int]
    examiner_id: int
    place: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Planned:
    """What scheduling, rescheduling or cancelling queued."""

    seminar_id: int
    recipients: int
    reminders: int
    groups: int = 0  # linked Telegram groups of the cohort told too


@dataclass(frozen=True)
class Choice:
    """A cohort or person to pick from, with the seminar group of a participant."""

    id: int
    name: str
    group: str | None = None


@dataclass(frozen=True)
class Roster:
    participants: list[Choice]
    examiners: list[Choice]


@dataclass(frozen=True)
class SeminarView:
    id: int
    cohort_id: int
    cohort_name: str
    kind: SeminarKind
    status: SeminarStatus
    starts_at: datetime
    zone: ZoneInfo
    place: str | None
    link: str | None
    presenters: list[str]
    examiner: str | None

    @property
    def where(self) -> str:
        return " · ".join(part for part in (self.place, self.link) if part)


@dataclass(frozen=True)
class AgendaSeminar:
    seminar: SeminarView
    roles: tuple[Role, ...]  # as what the person attends: participant (presenting), mentor, ...
    manageable: bool


@dataclass(frozen=True)
class AgendaMilestone:
    title: str
    due_on: date


@dataclass(frozen=True)
class Agenda:
    seminars: list[AgendaSeminar]
    milestones: list[AgendaMilestone]


@dataclass
class _Concerned:
    """Someone a seminar concerns, and why: presenting, mentoring or coaching one, examining."""

    roles: set[Role] = field(default_factory=set)
    mentees: list[str] = field(default_factory=list)


# --- who may do what --------------------------------------------------------------------------


async def managed_cohorts(session: AsyncSession, by: Organizer) -> list[Choice]:
    """The cohorts this organizer may schedule seminars in, by name."""
    query = select(Cohort.id, Cohort.name).order_by(Cohort.name)
    if not by.every_cohort:
        query = query.join(Membership, Membership.cohort_id == Cohort.id).where(
            Membership.person_id == by.person_id,
            Membership.role == Role.ADMIN,
            Membership.active.is_(True),
        )
    return [Choice(id=i, name=n) for i, n in (await session.execute(query)).tuples()]


async def _ensure_manages(session: AsyncSession, by: Organizer, cohort_id: int) -> Cohort:
    cohort = await session.get(Cohort, cohort_id)
    if cohort is None:
        raise UserFacingError("seminar.error.not_yours")
    if by.every_cohort:
        return cohort
    allowed = await session.scalar(
        select(Membership.id).where(
            Membership.cohort_id == cohort_id,
            Membership.person_id == by.person_id,
            Membership.role == Role.ADMIN,
            Membership.active.is_(True),
        )
    )
    if allowed is None:
        raise UserFacingError("seminar.error.not_yours")
    return cohort


async def managed_seminar(session: AsyncSession, seminar_id: int, by: Organizer) -> SeminarView:
    """A seminar this organizer may change (an id from a button or the command line)."""
    seminar = await session.get(Seminar, seminar_id)
    if seminar is None:
        raise UserFacingError("seminar.error.unknown", id=seminar_id)
    await _ensure_manages(session, by, seminar.cohort_id)
    return (await _views(session, [seminar]))[0]


async def cohort_roster(session: AsyncSession, cohort_id: int, by: Organizer) -> Roster:
    """The active participants (with their seminar group) and examiners of a cohort."""
    await _ensure_manages(session, by, cohort_id)
    rows = await session.execute(
        select(Person.id, Person.full_name, Membership.role, Membership.seminar_group)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.cohort_id == cohort_id,
            Membership.active.is_(True),
            Membership.role.in_([Role.PARTICIPANT, Role.EXAMINER]),
        )
        .order_by(Person.full_name, Person.id)
    )
    participants, examiners = [], []
    for person_id, name, role, group in rows.tuples():
        if role is Role.PARTICIPANT:
            participants.append(Choice(id=person_id, name=name, group=group))
        else:
            examiners.append(Choice(id=person_id, name=name))
    return Roster(participants=participants, examiners=examiners)


async def people_by_nip(session: AsyncSession, nips: Iterable[str]) -> list[int]:
    """Person ids for NIPs as organizers type them (spaces allowed), in the order given."""
    ids = []
    for raw in nips:
        try:
            digits = parse_nip(raw).digits
        except InvalidNip:
            raise UserFacingError("seminar.error.bad_nip", value=raw.strip()) from None
        person_id = await session.scalar(select(Person.id).where(Person.nip == digits))
        if person_id is None:
            raise UserFacingError("seminar.error.unknown_nip", value=raw.strip())
        ids.append(person_id)
    return ids


# --- checks -----------------------------------------------------------------------------------


async def _names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(wanted)))
    return dict(rows.tuples().all())


async def _active_with_role(
    session: AsyncSession, cohort_id: int, ids: Iterable[int], role: Role
) -> set[int]:
    wanted = list(ids)
    return set(
        await session.scalars(
            select(Membership.person_id).where(
                Membership.cohort_id == cohort_id,
                Membership.person_id.in_(wanted),
                Membership.role == role,
                Membership.active.is_(True),
            )
        )
    )


def check_future(starts_at: datetime, now: datetime) -> None:
    """Refuse a moment that is not after now."""
    if starts_at.tzinfo is None:
        raise ValueError("naive datetime for a seminar")
    if starts_at <= now:
        raise UserFacingError("seminar.error.past")


async def check_presenters_free(
    session: AsyncSession,
    presenter_ids: Iterable[int],
    starts_at: datetime,
    *,
    except_seminar: int | None = None,
) -> None:
    """Refuse a presenter who already presents at another seminar within the same slot."""
    ids = list(presenter_ids)
    if not ids:
        return
    query = (
        select(SeminarPresenter.participant_id, Seminar.id, Seminar.kind)
        .join(Seminar, Seminar.id == SeminarPresenter.seminar_id)
        .where(
            SeminarPresenter.participant_id.in_(ids),
            Seminar.status == SeminarStatus.SCHEDULED,
            Seminar.starts_at > starts_at - SEMINAR_SLOT,
            Seminar.starts_at < starts_at + SEMINAR_SLOT,
        )
        .order_by(Seminar.starts_at)
    )
    if except_seminar is not None:
        query = query.where(Seminar.id != except_seminar)
    clash = (await session.execute(query)).tuples().first()
    if clash is not None:
        person_id, seminar_id, kind = clash
        name = (await _names(session, [person_id]))[person_id]
        raise UserFacingError(
            "seminar.error.double_booked",
            name=name,
            id=seminar_id,
            kind=kind.value,
            hours=int(SEMINAR_SLOT.total_seconds() // 3600),
        )


def _venue(place: str | None, link: str | None) -> tuple[str | None, str | None]:
    """The place and link as stored: checked here too, whichever front end typed them."""
    place = " ".join((place or "").split()) or None
    link = (link or "").strip() or None
    if place is not None and len(place) > MAX_PLACE_LENGTH:
        raise UserFacingError(
            "seminar.place.error.too_long", limit=MAX_PLACE_LENGTH, length=len(place)
        )
    if link is not None:
        try:
            link = parse_link(link)
        except InvalidSeminarInput as exc:
            raise UserFacingError(exc.code, **exc.params) from None
    if place is None and link is None:
        raise UserFacingError("seminar.error.no_venue")
    return place, link


async def _check_people(
    session: AsyncSession, cohort_id: int, presenter_ids: Sequence[int], examiner_id: int
) -> None:
    if not presenter_ids:
        raise UserFacingError("seminar.error.no_presenters")
    if len(set(presenter_ids)) != len(presenter_ids):
        raise UserFacingError("seminar.error.presenter_twice")
    active = await _active_with_role(session, cohort_id, presenter_ids, Role.PARTICIPANT)
    strangers = [i for i in presenter_ids if i not in active]
    if strangers:
        names = await _names(session, strangers)
        raise UserFacingError(
            "seminar.error.not_participant",
            name=", ".join(names.get(i, f"#{i}") for i in strangers),
        )
    if not await _active_with_role(session, cohort_id, [examiner_id], Role.EXAMINER):
        name = (await _names(session, [examiner_id])).get(examiner_id, f"#{examiner_id}")
        raise UserFacingError("seminar.error.not_examiner", name=name)


# --- changes ----------------------------------------------------------------------------------


async def schedule_seminar(
    session: AsyncSession, new: NewSeminar, *, by: Organizer, now: datetime
) -> Planned:
    """Store a seminar and queue its notice now and reminders 7 days, 1 day and 2 hours before."""
    cohort = await _ensure_manages(session, by, new.cohort_id)
    check_future(new.starts_at, now)
    place, link = _venue(new.place, new.link)
    presenters = list(new.presenter_ids)
    await _check_people(session, cohort.id, presenters, new.examiner_id)
    await check_presenters_free(session, presenters, new.starts_at)
    seminar = Seminar(
        cohort_id=cohort.id,
        kind=new.kind,
        starts_at=new.starts_at,
        timezone=zone_code(new.zone),
        place=place,
        online_link=link,
        examiner_id=new.examiner_id,
        status=SeminarStatus.SCHEDULED,
        created_by_id=by.person_id,
    )
    session.add(seminar)
    await session.flush()
    session.add_all(SeminarPresenter(seminar_id=seminar.id, participant_id=p) for p in presenters)
    await session.flush()
    planned = await _plan(session, seminar, now, first="notice")
    _audit(session, "seminar.add", seminar, by, now, presenters=presenters)
    return planned


async def reschedule_seminar(
    session: AsyncSession,
    seminar_id: int,
    starts_at: datetime,
    *,
    zone: ZoneInfo | None = None,
    by: Organizer,
    now: datetime,
) -> Planned:
    """Move a seminar: drop its pending messages, send a change notice, plan reminders anew."""
    seminar = await _changeable(session, seminar_id, by, now)
    check_future(starts_at, now)
    if starts_at == seminar.starts_at:
        raise UserFacingError("seminar.error.same_time")
    await check_presenters_free(
        session, await _presenter_ids(session, seminar.id), starts_at, except_seminar=seminar.id
    )
    old = seminar.starts_at
    await outbox.cancel(session, _prefix(seminar.id))
    # The materials reminder is the sweep's: back at the old time later, it is due again.
    await reminders.release_cancelled(session, reminders.seminar_materials_key(seminar.id))
    # "Hadir" or "Berhalangan" was said of the old time: the change notice asks again, with
    # its buttons, so the organizer never reads an answer given for another day.
    answers = await session.execute(
        delete(SeminarAttendance).where(SeminarAttendance.seminar_id == seminar.id)
    )
    seminar.starts_at = starts_at
    if zone is not None:
        seminar.timezone = zone_code(zone)
    seminar.updated_at = now
    await session.flush()
    planned = await _plan(session, seminar, now, first="change", old_at=old)
    _audit(
        session,
        "seminar.reschedule",
        seminar,
        by,
        now,
        old_starts_at=old.isoformat(),
        answers_cleared=answers.rowcount,  # type: ignore[attr-defined]
    )
    return planned


async def cancel_seminar(
    session: AsyncSession, seminar_id: int, *, by: Organizer, now: datetime
) -> Planned:
    """Call a seminar off: drop its pending reminders and tell everyone it concerns."""
    seminar = await _changeable(session, seminar_id, by, now)
    await outbox.cancel(session, _prefix(seminar.id))
    await reminders.release_cancelled(session, reminders.seminar_materials_key(seminar.id))
    seminar.status = SeminarStatus.CANCELLED
    seminar.updated_at = now
    await session.flush()
    planned = await _plan(session, seminar, now, first="cancel", reminders=False)
    _audit(session, "seminar.cancel", seminar, by, now)
    return planned


async def _changeable(
    session: AsyncSession, seminar_id: int, by: Organizer, now: datetime
) -> Seminar:
    seminar = await session.get(Seminar, seminar_id)
    if seminar is None:
        raise UserFacingError("seminar.error.unknown", id=seminar_id)
    await _ensure_manages(session, by, seminar.cohort_id)
    if seminar.status is SeminarStatus.CANCELLED:
        raise UserFacingError("seminar.error.cancelled", id=seminar_id)
    if seminar.status is SeminarStatus.DONE or seminar.starts_at <= now:
        raise UserFacingError("seminar.error.held", id=seminar_id)
    return seminar


def _audit(
    session: AsyncSession,
    action: str,
    seminar: Seminar,
    by: Organizer,
    now: datetime,
    **details: object,
) -> None:
    audit.record(
        session,
        action,
        at=now,
        actor_id=by.person_id,
        actor_label=by.label,
        cohort_id=seminar.cohort_id,
        details={
            "seminar_id": seminar.id,
            "kind": seminar.kind.value,
            "starts_at": seminar.starts_at.isoformat(),
            "timezone": seminar.timezone,
            **details,
        },
    )


# --- the messages -----------------------------------------------------------------------------


def _prefix(seminar_id: int) -> str:
    return f"seminar:{seminar_id}:"


def dedup_key(seminar_id: int, version: int, tag: str, recipient: int | str) -> str:
    """ "seminar:<id>:<version>:<tag>:<person or group chat>"; a new version per change keeps
    keys unique."""
    return f"seminar:{seminar_id}:{version}:{tag}:{recipient}"


async def _next_version(session: AsyncSession, seminar_id: int) -> int:
    """One more than any version queued for this seminar: the outbox is the record of them."""
    keys = await session.scalars(
        select(OutboxMessage.dedup_key).where(
            OutboxMessage.dedup_key.startswith(_prefix(seminar_id), autoescape=True)
        )
    )
    versions = [int(parts[2]) for key in keys if (parts := key.split(":"))[2].isdigit()]
    return max(versions, default=0) + 1


async def _presenter_ids(session: AsyncSession, seminar_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(SeminarPresenter.participant_id)
            .where(SeminarPresenter.seminar_id == seminar_id)
            .order_by(SeminarPresenter.participant_id)
        )
    )


async def _concerned(session: AsyncSession, seminar: Seminar) -> dict[int, _Concerned]:
    """Everyone the seminar concerns: presenters, their mentors and coaches, the examiner."""
    presenters = await _presenter_ids(session, seminar.id)
    names = await _names(session, presenters)
    people: dict[int, _Concerned] = {}
    for person_id in presenters:
        people.setdefault(person_id, _Concerned()).roles.add(Role.PARTICIPANT)
    advisors = await session.execute(
        select(Assignment.advisor_id, Assignment.kind, Assignment.participant_id)
        .where(
            Assignment.cohort_id == seminar.cohort_id,
            Assignment.participant_id.in_(presenters),
        )
        .order_by(Assignment.advisor_id, Assignment.participant_id)
    )
    for advisor_id, kind, participant_id in advisors.tuples():
        entry = people.setdefault(advisor_id, _Concerned())
        if kind is AdvisorKind.MENTOR:
            entry.roles.add(Role.MENTOR)
            entry.mentees.append(names[participant_id])
        else:
            entry.roles.add(Role.COACH)
    if seminar.examiner_id is not None:
        people.setdefault(seminar.examiner_id, _Concerned()).roles.add(Role.EXAMINER)
    return people


async def _plan(
    session: AsyncSession,
    seminar: Seminar,
    now: datetime,
    *,
    first: str,
    old_at: datetime | None = None,
    reminders: bool = True,
) -> Planned:
    """Queue `first` (notice, change or cancel) to everyone concerned, then the reminders."""
    view = (await _views(session, [seminar]))[0]
    people = await _concerned(session, seminar)
    version = await _next_version(session, seminar.id)
    settings = _quiet_hours(await session.get_one(Cohort, seminar.cohort_id))
    zones = dict(
        (await session.execute(select(Person.id, Person.timezone).where(Person.id.in_(people))))
        .tuples()
        .all()
    )
    queued_reminders = 0
    for person_id, concerned in sorted(people.items()):
        sends = plan_sends(
            seminar.starts_at,
            now,
            first=first,
            zone=_zone(zones.get(person_id)),
            settings=settings,
        )
        if not reminders:
            sends = sends[:1]
        mentor = Role.MENTOR in concerned.roles
        params: dict[str, object] = {
            # Rendered by the sender in the recipient's language.
            "kind": {"key": f"seminar.kind.inline.{view.kind.value}", "params": {}},
            "cohort": view.cohort_name,
            "at": view.starts_at,
            "where": view.where,
            "presenters": ", ".join(view.presenters),
            "examiner": view.examiner or "-",
        }
        if mentor:
            params["mentees"] = ", ".join(concerned.mentees)
        if old_at is not None:
            params["old_at"] = old_at
        for send in sends:
            # Mentors get their own wording: without them the seminar cannot go ahead.
            key = f"seminar.msg.{send.tag}" + ("_mentor" if mentor and send.tag != "cancel" else "")
            queued = await outbox.enqueue(
                session,
                dedup_key=dedup_key(seminar.id, version, send.tag, person_id),
                message=Outgoing(
                    key, params, buttons=_attendance_buttons(seminar, concerned, send.tag)
                ),
                not_before=send.not_before,
                kind=OUTBOX_KIND,
                recipient_id=person_id,
                cohort_id=seminar.cohort_id,
                expires_at=send.expires_at,
                now=now,
            )
            if queued and send.tag != first:
                queued_reminders += 1
    groups = await _tell_groups(session, seminar, view, version, now, first=first, old_at=old_at)
    return Planned(
        seminar_id=seminar.id,
        recipients=len(people),
        reminders=queued_reminders,
        groups=groups,
    )


def _attendance_buttons(seminar: Seminar, concerned: _Concerned, tag: str) -> list[list[Button]]:
    """ "Hadir" / "Berhalangan" under a notice, a change or a reminder to a mentor, coach or
    examiner (services/seminar_materials.py records the answer); none for a cancellation."""
    if tag == "cancel" or not concerned.roles & {Role.MENTOR, Role.COACH, Role.EXAMINER}:
        return []
    return [
        [
            Button(answer.button_key, attendance_button_data(seminar.id, answer))
            for answer in AttendanceAnswer
        ]
    ]


async def _tell_groups(
    session: AsyncSession,
    seminar: Seminar,
    view: SeminarView,
    version: int,
    now: datetime,
    *,
    first: str,
    old_at: datetime | None,
) -> int:
    """Post the notice, move or cancellation in the cohort's linked groups.

    Only what an organizer posts in the angkatan's group anyway: the kind, the time, the
    place or link, and who presents (the group's own members, so it knows the order of the
    day). Never the examiner or the mentors, who are not in the group, nor anything else
    about anyone.
    """
    groups = await active_groups(session, seminar.cohort_id)
    if not groups:
        return 0
    cohort = await session.get_one(Cohort, seminar.cohort_id)
    # The sender prints a group's times in the cohort's zone (its default without one);
    # quiet hours are kept in the cohort's zone, else the seminar's.
    zone = _zone_setting((cohort.settings or {}).get("timezone")) or view.zone
    send = plan_sends(
        seminar.starts_at, now, first=first, zone=zone, settings=_quiet_hours(cohort)
    )[0]
    params: dict[str, object] = {
        "kind": {"key": f"seminar.kind.inline.{view.kind.value}", "params": {}},
        "cohort": view.cohort_name,
        "at": view.starts_at,
        "where": view.where,
        "presenters": ", ".join(view.presenters),
    }
    if old_at is not None:
        params["old_at"] = old_at
    told = 0
    for group in groups:
        told += await outbox.enqueue(
            session,
            dedup_key=dedup_key(seminar.id, version, f"{first}_group", group.chat_ref),
            message=Outgoing(f"seminar.group.{first}", params),
            not_before=send.not_before,
            kind=OUTBOX_KIND,
            group_id=group.id,
            cohort_id=seminar.cohort_id,
            expires_at=send.expires_at,
            now=now,
        )
    return told


def _zone_setting(value: object) -> ZoneInfo | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_zone(value)
    except UnknownZone:
        return None


def _quiet_hours(cohort: Cohort) -> ReminderSettings:
    """The cohort's reminder settings (quiet hours); the defaults if they cannot be read."""
    try:
        return ReminderSettings.from_cohort_settings(cohort.settings)
    except InvalidReminderSettings as exc:
        # A bad setting must not stop a seminar from being announced; the operator is told.
        log.warning("cohort %s: reminder settings ignored for seminars: %s", cohort.id, exc)
        return ReminderSettings()


def _zone(key: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(key) if key else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


# --- reading ----------------------------------------------------------------------------------


async def _views(session: AsyncSession, seminars: Sequence[Seminar]) -> list[SeminarView]:
    if not seminars:
        return []
    ids = [s.id for s in seminars]
    presenters: dict[int, list[str]] = {i: [] for i in ids}
    rows = await session.execute(
        select(SeminarPresenter.seminar_id, Person.full_name)
        .join(Person, Person.id == SeminarPresenter.participant_id)
        .where(SeminarPresenter.seminar_id.in_(ids))
        .order_by(Person.full_name)
    )
    for seminar_id, name in rows.tuples():
        presenters[seminar_id].append(name)
    cohorts = dict(
        (
            await session.execute(
                select(Cohort.id, Cohort.name).where(Cohort.id.in_({s.cohort_id for s in seminars}))
            )
        )
        .tuples()
        .all()
    )
    examiners = await _names(session, {s.examiner_id for s in seminars if s.examiner_id})
    return [
        SeminarView(
            id=s.id,
            cohort_id=s.cohort_id,
            cohort_name=cohorts[s.cohort_id],
            kind=s.kind,
            status=s.status,
            starts_at=s.starts_at,
            zone=ZoneInfo(s.timezone),
            place=s.place,
            link=s.online_link,
            presenters=presenters[s.id],
            examiner=examiners.get(s.examiner_id) if s.examiner_id else None,
        )
        for s in seminars
    ]


async def list_seminars(
    session: AsyncSession,
    *,
    by: Organizer,
    now: datetime,
    cohort_id: int | None = None,
    everything: bool = False,
) -> list[SeminarView]:
    """Seminars this organizer manages, soonest first: upcoming and scheduled, or `everything`."""
    cohort_ids = [c.id for c in await managed_cohorts(session, by)]
    if cohort_id is not None:
        await _ensure_manages(session, by, cohort_id)
        cohort_ids = [cohort_id]
    query = select(Seminar).where(Seminar.cohort_id.in_(cohort_ids)).order_by(Seminar.starts_at)
    if not everything:
        query = query.where(Seminar.status == SeminarStatus.SCHEDULED, Seminar.starts_at > now)
    return await _views(session, list(await session.scalars(query)))


async def agenda(
    session: AsyncSession, person_id: int, now: datetime, *, every_cohort: bool = False
) -> Agenda:
    """/jadwal: upcoming seminars the person presents at, mentors, coaches, examines or runs,
    and, for a participant, the target dates of their unfinished milestones still ahead.

    `every_cohort`: an admin from the settings, who runs every cohort.
    """
    person = await session.get_one(Person, person_id)
    roles: dict[int, set[Role]] = {}

    def mark(ids: Iterable[int], role: Role) -> None:
        for seminar_id in ids:
            roles.setdefault(seminar_id, set()).add(role)

    upcoming = (Seminar.status == SeminarStatus.SCHEDULED, Seminar.starts_at > now)
    mark(
        await session.scalars(
            select(Seminar.id)
            .join(SeminarPresenter, SeminarPresenter.seminar_id == Seminar.id)
            .where(SeminarPresenter.participant_id == person_id, *upcoming)
        ),
        Role.PARTICIPANT,
    )
    for kind, role in ((AdvisorKind.MENTOR, Role.MENTOR), (AdvisorKind.COACH, Role.COACH)):
        mark(
            await session.scalars(
                select(Seminar.id)
                .join(SeminarPresenter, SeminarPresenter.seminar_id == Seminar.id)
                .join(
                    Assignment,
                    (Assignment.participant_id == SeminarPresenter.participant_id)
                    & (Assignment.cohort_id == Seminar.cohort_id),
                )
                .where(Assignment.advisor_id == person_id, Assignment.kind == kind, *upcoming)
            ),
            role,
        )
    mark(
        await session.scalars(
            select(Seminar.id).where(Seminar.examiner_id == person_id, *upcoming)
        ),
        Role.EXAMINER,
    )
    by = Organizer(person_id=person_id, every_cohort=every_cohort)
    managed = {c.id for c in await managed_cohorts(session, by)}
    if managed:
        mark(
            await session.scalars(
                select(Seminar.id).where(Seminar.cohort_id.in_(managed), *upcoming)
            ),
            Role.ADMIN,
        )
    seminars = list(
        await session.scalars(
            select(Seminar).where(Seminar.id.in_(list(roles))).order_by(Seminar.starts_at)
        )
    )
    order = (Role.PARTICIPANT, Role.MENTOR, Role.COACH, Role.EXAMINER, Role.ADMIN)
    items = [
        AgendaSeminar(
            seminar=view,
            roles=tuple(r for r in order if r in roles[view.id]),
            manageable=view.cohort_id in managed,
        )
        for view in await _views(session, seminars)
    ]
    today = now.astimezone(ZoneInfo(person.timezone)).date()
    milestones = [
        AgendaMilestone(title=title, due_on=due)
        for title, due in (
            await session.execute(
                select(Milestone.title, Milestone.due_on)
                .join(Project, Project.id == Milestone.project_id)
                .join(
                    Membership,
                    (Membership.person_id == Project.participant_id)
                    & (Membership.cohort_id == Project.cohort_id),
                )
                .where(
                    Project.participant_id == person_id,
                    Membership.active.is_(True),
                    Milestone.removed_at.is_(None),
                    Milestone.due_on >= today,
                    Milestone.status != MilestoneStatus.APPROVED,
                )
                .order_by(Milestone.due_on, Milestone.id)
                .limit(AGENDA_MILESTONES)
            )
        ).tuples()
    ]
    return Agenda(seminars=items, milestones=milestones)
