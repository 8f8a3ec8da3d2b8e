"""`properbot seminar add|list|reschedule|cancel`: seminars from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli_attendance, cli_scores
from bot.settings import Settings
from domain.clock import Clock, SystemClock
from domain.dates import InvalidDate
from domain.enums import SeminarKind
from domain.i18n import Translator, format_datetime
from domain.seminar_time import InvalidSeminarInput, parse_moment
from domain.timezones import UnknownZone, parse_zone
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services import seminars
from services.cohorts import find_cohort
from services.errors import UserFacingError
from services.seminars import NewSeminar, Organizer, Planned, SeminarView

EXIT_USER_ERROR = 2

Action = Callable[
    [AsyncSession, argparse.Namespace, Settings, Translator, datetime], Awaitable[list[str]]
]


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `seminar` and its actions to the `properbot` command line."""
    seminar = subparsers.add_parser(
        "seminar",
        help="schedule, list, reschedule and cancel seminars (notices and reminders included)",
    )
    sub = seminar.add_subparsers(dest="seminar_command", required=True, metavar="ACTION")

    add = sub.add_parser(
        "add",
        help="schedule a seminar; everyone concerned gets a notice and reminders",
        description="Presenters, their mentors and coaches and the examiner get a notice at "
        "once, then reminders 7 days, 1 day and 2 hours before.",
    )
    add.add_argument("--cohort", required=True, help="cohort name")
    add.add_argument("--kind", required=True, choices=[k.value for k in SeminarKind])
    add.add_argument("--at", required=True, help='date and time, e.g. "2026-12-10 09:00"')
    add.add_argument("--zone", help="WIB, WITA, WIT or an IANA name (default: DEFAULT_TIMEZONE)")
    venue = add.add_mutually_exclusive_group(required=True)
    venue.add_argument("--place", help='where, e.g. "Aula BPSDM Lantai 2"')
    venue.add_argument("--link", help="online meeting link (http or https)")
    add.add_argument(
        "--presenters", required=True, help="presenting participants' NIPs, comma-separated"
    )
    add.add_argument("--examiner", required=True, help="NIP of the examiner (penguji)")

    listing = sub.add_parser("list", help="a cohort's coming seminars, soonest first")
    listing.add_argument("--cohort", required=True, help="cohort name")
    listing.add_argument("--all", action="store_true", help="also past and cancelled seminars")

    move = sub.add_parser(
        "reschedule", help="move a seminar; everyone concerned gets a change notice"
    )
    move.add_argument("id", type=int, help="seminar number, as `seminar list` shows it")
    move.add_argument("--at", required=True, help='new date and time, e.g. "2026-12-11 13:00"')
    move.add_argument("--zone", help="time zone of --at (default: the seminar's own)")

    drop = sub.add_parser("cancel", help="cancel a seminar; everyone concerned is told")
    drop.add_argument("id", type=int, help="seminar number, as `seminar list` shows it")
    drop.add_argument("--yes", action="store_true", help="confirm: notices go out at once")

    cli_attendance.add_parser(sub)
    cli_scores.add_parsers(sub)


async def run(
    args: argparse.Namespace, settings: Settings, t: Translator, *, clock: Clock | None = None
) -> int:
    """Carry out `properbot seminar ...`; a user error prints one line and returns 2."""
    now = (clock or SystemClock()).now()
    action = _ACTIONS[args.seminar_command]
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        # One transaction: a refused change writes nothing, not even part of its messages.
        async with session_factory(engine)() as session, session.begin():
            lines = await action(session, args, settings, t, now)
    except UserFacingError as exc:
        print(t(exc.key, **exc.params), file=sys.stderr)
        return EXIT_USER_ERROR
    finally:
        await engine.dispose()
    for line in lines:
        print(line)
    return 0


def _organizer() -> Organizer:
    return Organizer(person_id=None, label=f"cli:{getpass.getuser()}", every_cohort=True)


def _zone(raw: str | None, default: ZoneInfo) -> ZoneInfo:
    if raw is None:
        return default
    try:
        return parse_zone(raw)
    except UnknownZone as exc:
        raise UserFacingError(exc.code, **exc.params) from None


def _moment(raw: str, zone: ZoneInfo, now: datetime, t: Translator) -> datetime:
    try:
        return parse_moment(raw, zone=zone, now=now)
    except InvalidDate as exc:
        raise UserFacingError(exc.code, **exc.params_for(t.language)) from None
    except InvalidSeminarInput as exc:
        raise UserFacingError(exc.code, **exc.params) from None


def _nips(raw: str) -> list[str]:
    return [part for part in (p.strip() for p in raw.split(",")) if part]


def _kind(t: Translator, kind: SeminarKind) -> str:
    return t(f"seminar.kind.{kind.value}")


async def _add(
    session: AsyncSession,
    args: argparse.Namespace,
    settings: Settings,
    t: Translator,
    now: datetime,
) -> list[str]:
    cohort = await find_cohort(session, args.cohort)
    zone = _zone(args.zone, settings.default_timezone)
    starts_at = _moment(args.at, zone, now, t)
    presenters = await seminars.people_by_nip(session, _nips(args.presenters))
    [examiner] = await seminars.people_by_nip(session, [args.examiner])
    kind = SeminarKind(args.kind)
    planned = await seminars.schedule_seminar(
        session,
        NewSeminar(
            cohort_id=cohort.id,
            kind=kind,
            starts_at=starts_at,
            zone=zone,
            presenter_ids=presenters,
            examiner_id=examiner,
            place=args.place,
            link=args.link,
        ),
        by=_organizer(),
        now=now,
    )
    return [
        t(
            "seminar.cli.added",
            id=planned.seminar_id,
            kind=_kind(t, kind),
            cohort=cohort.name,
            at=format_datetime(starts_at, zone, t.language),
            recipients=planned.recipients,
            reminders=planned.reminders,
        ),
        *_groups_told(t, planned),
    ]


def _line(t: Translator, s: SeminarView) -> str:
    return t(
        "seminar.cli.line",
        id=s.id,
        kind=_kind(t, s.kind),
        at=format_datetime(s.starts_at, s.zone, t.language),
        where=s.where,
        presenters=", ".join(s.presenters),
        examiner=s.examiner or "-",
        status=t(f"seminar.status.{s.status.value}"),
    )


async def _list(
    session: AsyncSession,
    args: argparse.Namespace,
    settings: Settings,
    t: Translator,
    now: datetime,
) -> list[str]:
    cohort = await find_cohort(session, args.cohort)
    found = await seminars.list_seminars(
        session, by=_organizer(), now=now, cohort_id=cohort.id, everything=args.all
    )
    if not found:
        return [t("seminar.cli.none", cohort=cohort.name)]
    return [_line(t, s) for s in found]


async def _reschedule(
    session: AsyncSession,
    args: argparse.Namespace,
    settings: Settings,
    t: Translator,
    now: datetime,
) -> list[str]:
    before = await seminars.managed_seminar(session, args.id, _organizer())
    zone = _zone(args.zone, before.zone)
    starts_at = _moment(args.at, zone, now, t)
    planned = await seminars.reschedule_seminar(
        session, args.id, starts_at, zone=zone, by=_organizer(), now=now
    )
    return [
        t(
            "seminar.cli.rescheduled",
            id=planned.seminar_id,
            old_at=format_datetime(before.starts_at, before.zone, t.language),
            at=format_datetime(starts_at, zone, t.language),
            recipients=planned.recipients,
            reminders=planned.reminders,
        ),
        *_groups_told(t, planned),
    ]


async def _cancel(
    session: AsyncSession,
    args: argparse.Namespace,
    settings: Settings,
    t: Translator,
    now: datetime,
) -> list[str]:
    await seminars.managed_seminar(session, args.id, _organizer())
    if not args.yes:
        raise UserFacingError("seminar.cli.confirm_needed", id=args.id)
    planned = await seminars.cancel_seminar(session, args.id, by=_organizer(), now=now)
    return [
        t("seminar.cli.cancelled", id=planned.seminar_id, recipients=planned.recipients),
        *_groups_told(t, planned),
    ]


def _groups_told(t: Translator, planned: Planned) -> list[str]:
    return [t("seminar.groups_told", groups=planned.groups)] if planned.groups else []


_ACTIONS: dict[str, Action] = {
    "add": _add,
    "list": _list,
    "reschedule": _reschedule,
    "cancel": _cancel,
    "attendance": cli_attendance.attendance,
    **cli_scores.ACTIONS,
}
