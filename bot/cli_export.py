"""`properbot export`: a cohort's records as an XLSX workbook or CSV files, written atomically.

`--format csv` writes one CSV per table into a folder (`--out rekap/`), or into one ZIP
archive when `--out` ends in `.zip`. Either way the result appears complete or not at all:
everything is written next to the target under a temporary name, then renamed into place.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bot.files import write_atomically
from bot.settings import Settings
from domain.clock import Clock, SystemClock
from domain.i18n import Translator, resolve_language
from domain.timezones import UnknownZone, parse_zone
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services.errors import UserFacingError
from services.exports import cohort_export, record_export


def add_parser(subparsers: Any, t: Translator) -> None:
    """Add the `export` command to `properbot`'s subcommands, help in `t`'s language."""
    parser = subparsers.add_parser(
        "export", help=t("cli_help.export"), description=t("cli_help.export.description")
    )
    parser.add_argument("--cohort", required=True, help=t("cli_help.option.cohort"))
    parser.add_argument(
        "--format", choices=("xlsx", "csv"), default="xlsx", help=t("cli_help.export.format")
    )
    parser.add_argument("--out", required=True, type=Path, help=t("cli_help.export.out"))
    parser.add_argument("--zone", help=t("cli_help.option.zone"))
    parser.add_argument("--language", choices=("id", "en"), help=t("cli_help.export.language"))


async def run(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Write the export and print where and how many rows; user errors raise UserFacingError,
    which `properbot` prints as one line with exit status 2."""
    return await export(args, settings, t, clock=SystemClock())


async def export(
    args: argparse.Namespace, settings: Settings, t: Translator, *, clock: Clock
) -> int:
    # Heavy renderer: loaded on first use, so `properbot run` stays small at rest.
    from documents.csv_export import render_csv, zip_files
    from documents.xlsx_export import render_xlsx

    try:
        zone = parse_zone(args.zone) if args.zone else settings.default_timezone
    except UnknownZone as exc:
        raise UserFacingError(exc.code, **exc.params) from None
    language = resolve_language(args.language or settings.default_language)
    out: Path = args.out
    as_folder = args.format == "csv" and out.suffix.lower() != ".zip"
    _check_target(out, as_folder)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            now = clock.now()
            data = await cohort_export(session, args.cohort, now)
            try:
                if args.format == "xlsx":
                    write_atomically(out, render_xlsx(data, language, zone))
                elif not as_folder:
                    write_atomically(out, zip_files(render_csv(data, language, zone)))
                else:
                    _write_folder(out, render_csv(data, language, zone))
            except OSError as exc:
                raise UserFacingError(
                    "cli.export.error.unwritable", path=str(out), reason=exc.strerror or str(exc)
                ) from None
            record_export(
                session,
                data,
                file_format=args.format,
                at=now,
                actor_label=f"cli:{getpass.getuser()}",
            )
    finally:
        await engine.dispose()
    print(t("cli.export.written", cohort=data.cohort_name, path=str(out)))
    for name, count in data.counts().items():
        print(t("cli.export.count", table=t(f"export.sheet.{name}"), count=count))
    return 0


def _check_target(out: Path, as_folder: bool) -> None:
    """Refuse before any work: a missing folder, or a folder target that holds something."""
    if not out.parent.resolve().is_dir():
        raise UserFacingError("cli.export.error.no_folder", path=str(out.parent))
    if as_folder and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserFacingError("cli.export.error.not_empty", path=str(out))


def _write_folder(target: Path, files: dict[str, bytes]) -> None:
    prefix = f".{target.name}."
    temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=prefix, suffix=".tmp"))
    try:
        for name, data in files.items():
            (temporary / name).write_bytes(data)
        # rename() replaces an empty folder in one step; a non-empty one was refused above.
        os.replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
