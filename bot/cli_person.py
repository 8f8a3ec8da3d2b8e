"""`properbot person export|erase` (data rights, UU 27/2022) and `properbot audit`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
from pathlib import Path
from typing import Any

from bot.cli_help import positive_int
from bot.files import write_atomically
from bot.settings import Settings
from documents.personal_data import render_personal_data
from domain.clock import Clock, SystemClock
from domain.i18n import Translator, format_datetime
from domain.timezones import zone_label
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services import audit
from services.cohorts import find_cohort
from services.errors import UserFacingError
from services.personal_data import (
    count_lines,
    erase_person,
    erasure_preview,
    export_personal_data,
    person_by_nip,
)
from storage.evidence_store import open_store

# Printed only when --yes is missing: the preview must not look like success to a script.
EXIT_NOT_CONFIRMED = 2


def add_parser(subparsers: Any, t: Translator) -> None:
    """Add the `person` and `audit` commands to `properbot`, help in `t`'s language."""
    person = subparsers.add_parser("person", help=t("cli_help.person"))
    action = t("cli_help.metavar.action")
    actions = person.add_subparsers(dest="person_command", required=True, metavar=action)
    erase = actions.add_parser(
        "erase",
        help=t("cli_help.person.erase"),
        description=t("cli_help.person.erase.description"),
    )
    erase.add_argument("nip", help=t("cli_help.option.nip"))
    erase.add_argument("--yes", action="store_true", help=t("cli_help.person.erase.yes"))
    export = actions.add_parser("export", help=t("cli_help.person.export"))
    export.add_argument("nip", help=t("cli_help.option.nip"))
    export.add_argument("--out", required=True, type=Path, help=t("cli_help.person.export.out"))

    log = subparsers.add_parser("audit", help=t("cli_help.audit"))
    log.add_argument("--cohort", required=True, help=t("cli_help.option.cohort"))
    log.add_argument("--limit", type=positive_int(t), default=200, help=t("cli_help.audit.limit"))


def cli_label() -> str:
    return f"cli:{getpass.getuser()}"


async def run(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """One of the commands; user errors raise UserFacingError (one line, exit status 2)."""
    return await execute(args, settings, t, clock=SystemClock())


async def execute(
    args: argparse.Namespace, settings: Settings, t: Translator, *, clock: Clock
) -> int:
    engine = create_engine(settings.database_url)
    files: list[str] = []
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            if args.command == "audit":
                return await _audit(session, args, settings, t)
            if args.person_command != "erase":
                return await _export(session, args, t, clock)
            status = await _erase(session, args, t, clock, files)
        # Only after the commit: until then a failure would keep rows naming these files.
        store = open_store(settings.evidence_dir)
        for key in files:
            await store.delete(key)
        return status
    finally:
        await engine.dispose()


async def _erase(
    session: Any, args: argparse.Namespace, t: Translator, clock: Clock, files: list[str]
) -> int:
    """Preview, or erase and put in `files` the evidence files for the caller to delete."""
    if not args.yes:
        preview = await erasure_preview(session, args.nip)
        lines = [
            t(
                "cli.person.erase.preview",
                name=preview.name,
                id=preview.person_id,
                cohorts=", ".join(preview.cohorts) or "-",
            ),
            t("cli.person.erase.fields"),
        ]
        lines += [
            t("cli.person.erase.count", label=t(k), n=n) for k, n in count_lines(preview.counts)
        ]
        lines.append(t("cli.person.erase.confirm"))
        print("\n".join(lines))
        return EXIT_NOT_CONFIRMED
    summary = await erase_person(session, args.nip, clock.now(), cli_label())
    files.extend(summary.blobs)
    lines = [t("cli.person.erase.count", label=t(k), n=n) for k, n in count_lines(summary.counts)]
    lines.append(t("cli.person.erase.files", n=len(summary.blobs)))
    lines.append(t("cli.person.erase.done", label=summary.label))
    print("\n".join(lines))
    return 0


async def _export(session: Any, args: argparse.Namespace, t: Translator, clock: Clock) -> int:
    person = await person_by_nip(session, args.nip)
    now = clock.now()
    data = await export_personal_data(session, person.id, now=now, actor_label=cli_label())
    content = render_personal_data(data, language=data["profile"]["language"], generated_at=now)
    path: Path = args.out
    try:
        await asyncio.to_thread(write_atomically, path, content)
    except OSError as exc:
        raise UserFacingError(
            "datarights.error.file_unwritable", path=str(path), reason=exc.strerror or str(exc)
        ) from None
    print(t("cli.person.export.done", name=person.full_name, path=str(path), size=len(content)))
    return 0


async def _audit(session: Any, args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    cohort = await find_cohort(session, args.cohort)
    lines = await audit.cohort_log(session, cohort.id, limit=args.limit)
    if not lines:
        print(t("cli.audit.empty", cohort=cohort.name))
        return 0
    zone = settings.default_timezone
    label = zone_label(zone, lines[-1].at)
    out = [t("cli.audit.title", cohort=cohort.name, count=len(lines), zone=label)]
    for line in lines:
        out.append(
            t(
                "cli.audit.line",
                at=format_datetime(line.at, zone, t.language),
                actor=line.actor_name or line.actor_label or t("cli.audit.actor.unknown"),
                action=action_name(t, line.action),
                details=describe_details(line.details),
            )
        )
    print("\n".join(out))
    return 0


def action_name(t: Translator, action: str) -> str:
    """The action in words from the catalog; an action nobody named yet prints as itself."""
    key = f"audit.action.{action}"
    return t(key) if key in t.messages else action


def describe_details(details: dict[str, Any]) -> str:
    """ "rows=6, people_created=6": the key facts, on one line."""
    parts = []
    for key, value in details.items():
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, list):
            shown = ",".join(str(v) for v in value)
        elif isinstance(value, dict):
            shown = "(" + ", ".join(f"{k}: {v}" for k, v in sorted(value.items())) + ")"
        else:
            shown = str(value)
        parts.append(f"{key}={shown}")
    return ", ".join(parts) or "-"
