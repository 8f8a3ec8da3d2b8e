"""A cohort's seminars as the web desk shows and changes them: a calendar by day in the viewer's
zone, and the forms to schedule, move and cancel one.

Every change goes through services.seminars, the same functions the chat form and the command
line call, so the same notices are queued to presenters, mentors, coaches and examiners and the
same audit entries are written. What an organizer typed is checked here first, all of it, so a
refused form comes back with every problem at once and nothing written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.dates import InvalidDate, check_not_past, parse_user_date
from domain.enums import SeminarKind, SeminarStatus
from domain.seminar_time import InvalidSeminarInput, local_to_utc, parse_user_time
from domain.timezones import ZONES_BY_LABEL, zone_label
from models import Membership, SeminarPresenter
from services import seminars
from services.errors import UserFacingError
from services.seminars import NewSeminar, Organizer, Planned, Roster, SeminarView
from services.web_desk import NotVisible

# The label an audit entry names the desk by, as the settings page does.
ACTOR_LABEL = "web"
NIP_SEPARATORS = (",", ";", "\n")


@dataclass(frozen=True)
class Problem:
    """Something the form cannot take: a catalog key and its parameters."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class NewForm:
    """The new-seminar form as typed, so a refused form comes back as it was filled in."""

    kind: str = ""
    day: str = ""
    clock: str = ""
    zone: str = ""
    place: str = ""
    link: str = ""
    presenters: tuple[str, ...] = ()
    group: str = ""
    nips: str = ""
    examiner: str = ""

    def has(self, person_id: int) -> bool:
        return str(person_id) in self.presenters


@dataclass(frozen=True)
class MoveForm:
    day: str = ""
    clock: str = ""
    zone: str = ""


@dataclass(frozen=True)
class Listed:
    """One seminar in the calendar: its view, its presenters' seminar groups, and whether it
    can still be moved or cancelled (scheduled and not yet begun)."""

    seminar: SeminarView
    groups: list[str]
    changeable: bool

    @property
    def cancelled(self) -> bool:
        return self.seminar.status is SeminarStatus.CANCELLED


@dataclass(frozen=True)
class Day:
    day: date
    seminars: list[Listed]


@dataclass(frozen=True)
class Calendar:
    """Days with seminars ahead (soonest first), then days behind (latest first)."""

    upcoming: list[Day]
    past: list[Day]


def organizer(person_id: int, every_cohort: bool) -> Organizer:
    return Organizer(person_id=person_id, label=ACTOR_LABEL, every_cohort=every_cohort)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def new_form_from(fields: Mapping[str, object], presenters: Iterable[object]) -> NewForm:
    return NewForm(
        kind=_text(fields.get("kind")),
        day=_text(fields.get("day")),
        clock=_text(fields.get("clock")),
        zone=_text(fields.get("zone")),
        place=_text(fields.get("place")),
        link=_text(fields.get("link")),
        presenters=tuple(p for p in (_text(v) for v in presenters) if p),
        group=_text(fields.get("group")),
        nips=_text(fields.get("nips")),
        examiner=_text(fields.get("examiner")),
    )


def move_form_from(fields: Mapping[str, object]) -> MoveForm:
    return MoveForm(
        day=_text(fields.get("day")),
        clock=_text(fields.get("clock")),
        zone=_text(fields.get("zone")),
    )


def move_form_of(view: SeminarView) -> MoveForm:
    """The move form filled with the seminar's present date and time, in its own zone."""
    local = view.starts_at.astimezone(view.zone)
    return MoveForm(
        day=local.date().isoformat(),
        clock=local.strftime("%H:%M"),
        zone=zone_label(view.zone, view.starts_at),
    )


# --- reading ----------------------------------------------------------------------------------


async def _groups_of(
    session: AsyncSession, cohort_id: int, ids: Sequence[int]
) -> dict[int, list[str]]:
    """Each seminar's seminar groups: those of its presenters in the cohort."""
    if not ids:
        return {}
    found: dict[int, set[str]] = {i: set() for i in ids}
    rows = await session.execute(
        select(SeminarPresenter.seminar_id, Membership.seminar_group)
        .join(Membership, Membership.person_id == SeminarPresenter.participant_id)
        .where(
            SeminarPresenter.seminar_id.in_(ids),
            Membership.cohort_id == cohort_id,
            Membership.seminar_group.is_not(None),
        )
    )
    for seminar_id, group in rows.tuples():
        if group:
            found[seminar_id].add(group)
    return {i: sorted(groups) for i, groups in found.items()}


async def calendar(
    session: AsyncSession, cohort_id: int, by: Organizer, now: datetime, zone: ZoneInfo
) -> Calendar:
    """Every seminar of the cohort, cancelled ones too, by day in `zone`."""
    try:
        views = await seminars.list_seminars(
            session, by=by, now=now, cohort_id=cohort_id, everything=True
        )
    except UserFacingError:
        raise NotVisible() from None
    groups = await _groups_of(session, cohort_id, [v.id for v in views])
    upcoming: dict[date, list[Listed]] = {}
    past: dict[date, list[Listed]] = {}
    for view in views:  # soonest first
        ahead = view.starts_at > now
        listed = Listed(
            view, groups.get(view.id, []), ahead and view.status is SeminarStatus.SCHEDULED
        )
        day = view.starts_at.astimezone(zone).date()
        (upcoming if ahead else past).setdefault(day, []).append(listed)
    return Calendar(
        upcoming=[Day(d, items) for d, items in upcoming.items()],
        past=[Day(d, list(reversed(items))) for d, items in reversed(past.items())],
    )


async def roster(session: AsyncSession, cohort_id: int, by: Organizer) -> Roster:
    try:
        return await seminars.cohort_roster(session, cohort_id, by)
    except UserFacingError:
        raise NotVisible() from None


def seminar_groups(found: Roster) -> list[str]:
    return sorted({p.group for p in found.participants if p.group})


async def seminar_of(
    session: AsyncSession, cohort_id: int, seminar_id: int, by: Organizer
) -> SeminarView:
    """A seminar of this cohort that this organizer runs; NotVisible otherwise, alike for an id
    of another cohort and one that does not exist."""
    try:
        view = await seminars.managed_seminar(session, seminar_id, by)
    except UserFacingError:
        raise NotVisible() from None
    if view.cohort_id != cohort_id:
        raise NotVisible()
    return view


def unchangeable(view: SeminarView, now: datetime) -> Problem | None:
    """Why a seminar can no longer be moved or cancelled, if so (as the chat says it)."""
    if view.status is not SeminarStatus.SCHEDULED:
        return Problem("seminar.error.cancelled", {"id": view.id})
    if view.starts_at <= now:
        return Problem("seminar.error.held", {"id": view.id})
    return None


# --- checking what was typed ------------------------------------------------------------------


def _moment(
    day_text: str, clock_text: str, zone_text: str, now: datetime, language: str
) -> tuple[datetime | None, ZoneInfo | None, list[Problem]]:
    """The moment typed as a date, a clock time and a zone label; None with the problems."""
    problems: list[Problem] = []
    zone = ZONES_BY_LABEL.get(zone_text)
    if zone is None:
        problems.append(Problem("web.seminar.error.zone"))
    day: date | None = None
    try:
        today = now.astimezone(zone).date() if zone else now.date()
        day = parse_user_date(day_text, today=today)
        check_not_past(day, today)
    except InvalidDate as exc:
        problems.append(Problem(exc.code, exc.params_for(language)))
        day = None
    try:
        clock = parse_user_time(clock_text)
    except InvalidSeminarInput as exc:
        problems.append(Problem(exc.code, exc.params))
        clock = None
    if day is None or clock is None or zone is None:
        return None, zone, problems
    starts_at = local_to_utc(day, clock, zone)
    try:
        seminars.check_future(starts_at, now)
    except UserFacingError as exc:
        problems.append(Problem(exc.key, exc.params))
        return None, zone, problems
    return starts_at, zone, problems


def _nips(raw: str) -> list[str]:
    for separator in NIP_SEPARATORS[1:]:
        raw = raw.replace(separator, NIP_SEPARATORS[0])
    return [part for part in (p.strip() for p in raw.split(NIP_SEPARATORS[0])) if part]


async def _presenters(
    session: AsyncSession, form: NewForm, found: Roster
) -> tuple[list[int], list[Problem]]:
    """Presenters ticked, a whole seminar group, and NIPs typed, each once, in that order."""
    problems: list[Problem] = []
    chosen: list[int] = []
    for value in form.presenters:
        if value.isdigit():
            chosen.append(int(value))
        else:
            problems.append(Problem("web.seminar.error.presenter"))
    if form.group:
        if form.group not in seminar_groups(found):
            problems.append(Problem("web.seminar.error.group"))
        chosen += [p.id for p in found.participants if p.group == form.group]
    for nip in _nips(form.nips):
        try:
            chosen += await seminars.people_by_nip(session, [nip])
        except UserFacingError as exc:
            problems.append(Problem(exc.key, exc.params))
    unique = list(dict.fromkeys(chosen))
    if not unique and not problems:
        problems.append(Problem("seminar.error.no_presenters"))
    return unique, problems


async def schedule(
    session: AsyncSession,
    cohort_id: int,
    form: NewForm,
    *,
    by: Organizer,
    now: datetime,
    language: str,
) -> Planned | list[Problem]:
    """A new seminar, or every problem with the form (nothing written)."""
    found = await roster(session, cohort_id, by)
    problems: list[Problem] = []
    kind = next((k for k in SeminarKind if k.value == form.kind), None)
    if kind is None:
        problems.append(Problem("web.seminar.error.kind"))
    starts_at, zone, moment_problems = _moment(form.day, form.clock, form.zone, now, language)
    problems += moment_problems
    if not form.place and not form.link:
        problems.append(Problem("seminar.error.no_venue"))
    presenters, presenter_problems = await _presenters(session, form, found)
    problems += presenter_problems
    examiner = next((e.id for e in found.examiners if str(e.id) == form.examiner), None)
    if examiner is None:
        problems.append(Problem("web.seminar.error.examiner"))
    if problems:
        return problems
    assert kind is not None and starts_at is not None and zone is not None
    assert examiner is not None
    new = NewSeminar(
        cohort_id=cohort_id,
        kind=kind,
        starts_at=starts_at,
        zone=zone,
        presenter_ids=presenters,
        examiner_id=examiner,
        place=form.place or None,
        link=form.link or None,
    )
    return await _all_or_nothing(
        session, lambda: seminars.schedule_seminar(session, new, by=by, now=now)
    )


async def move(
    session: AsyncSession,
    view: SeminarView,
    form: MoveForm,
    *,
    by: Organizer,
    now: datetime,
    language: str,
) -> Planned | list[Problem]:
    """The seminar at a new moment, or every problem with the form (nothing written)."""
    starts_at, zone, problems = _moment(form.day, form.clock, form.zone, now, language)
    if problems:
        return problems
    assert starts_at is not None and zone is not None
    return await _all_or_nothing(
        session,
        lambda: seminars.reschedule_seminar(session, view.id, starts_at, zone=zone, by=by, now=now),
    )


async def cancel(
    session: AsyncSession, view: SeminarView, *, by: Organizer, now: datetime
) -> Planned | list[Problem]:
    return await _all_or_nothing(
        session, lambda: seminars.cancel_seminar(session, view.id, by=by, now=now)
    )


async def _all_or_nothing(
    session: AsyncSession, change: Callable[[], Awaitable[Planned]]
) -> Planned | list[Problem]:
    """The service's change in a savepoint: one it refuses half-way leaves nothing behind,
    while the page's transaction goes on to show why."""
    try:
        async with session.begin_nested():
            return await change()
    except UserFacingError as exc:
        return [Problem(exc.key, exc.params)]
