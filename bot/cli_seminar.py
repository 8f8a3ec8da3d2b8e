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
from domain.i18n import Translator, format_datetime, translator
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


def add_parser(
    subparsers: argparse._SubParsersAction,  # type: ignore[type-arg]
    t: Translator | None = None,
) -> None:
    """Add `seminar` and its actions to the `properbot` command line, help in `t`'s language."""
    t = t or translator(None)
    seminar = subparsers.add_parser("seminar", help=t("cli_help.seminar"))
    action = t("cli_help.metavar.action")
    sub = seminar.add_subparsers(dest="seminar_command", required=True, metavar=action)

    add = sub.add_parser(
        "add", help=t("cli_help.seminar.add"), description=t("cli_help.seminar.add.description")
    )
    add.add_argument("--cohort", required=True, help=t("cli_help.option.cohort"))
    add.add_argument(
        "--kind",
        required=True,
        choices=[k.value for k in SeminarKind],
        help=t("cli_help.seminar.add.kind"),
    )
    add.add_argument("--at", required=True, help=t("cli_help.seminar.add.at"))
    add.add_argument("--zone", help=t("cli_help.option.zone"))
    venue = add.add_mutually_exclusive_group(required=True)
    venue.add_argument("--place", help=t("cli_help.seminar.add.place"))
    venue.add_argument("--link", help=t("cli_help.seminar.add.link"))
    add.add_argument("--presenters", required=True, help=t("cli_help.seminar.add.presenters"))
    add.add_argument("--examiner", required=True, help=t("cli_help.seminar.add.examiner"))

    listing = sub.add_parser("list", help=t("cli_help.seminar.list"))
    listing.add_argument("--cohort", required=True, help=t("cli_help.option.cohort"))
    listing.add_argument("--all", action="store_true", help=t("cli_help.seminar.list.all"))

    move = sub.add_parser("reschedule", help=t("cli_help.seminar.reschedule"))
    move.add_argument("id", type=int, help=t("cli_help.option.seminar_id"))
    move.add_argument("--at", required=True, help=t("cli_help.seminar.reschedule.at"))
    move.add_argument("--zone", help=t("cli_help.seminar.reschedule.zone"))

    drop = sub.add_parser("cancel", help=t("cli_help.seminar.cancel"))
    drop.add_argument("id", type=int, help=t("cli_help.option.seminar_id"))
    drop.add_argument("--yes", action="store_true", help=t("cli_help.seminar.cancel.yes"))

    cli_attendance.add_parser(sub, t)
    cli_scores.add_parsers(sub, t)


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
