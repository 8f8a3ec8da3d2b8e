"""`properbot seminar attendance ID --out FILE.pdf [--group NAME]`: the daftar hadir PDF."""

from __future__ import annotations

import argparse
import getpass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.files import write_atomically
from bot.settings import Settings
from domain.i18n import Translator
from services import seminar_materials
from services.errors import UserFacingError
from services.seminars import Organizer


def add_parser(sub: argparse._SubParsersAction, t: Translator) -> None:  # type: ignore[type-arg]
    """Add `attendance` to the actions of `properbot seminar`, help in `t`'s language."""
    sheet = sub.add_parser(
        "attendance",
        help=t("cli_help.seminar.attendance"),
        description=t("cli_help.seminar.attendance.description"),
    )
    sheet.add_argument("id", type=int, help=t("cli_help.option.seminar_id"))
    sheet.add_argument("--out", required=True, type=Path, help=t("cli_help.option.pdf_out"))
    sheet.add_argument("--group", help=t("cli_help.seminar.attendance.group"))


async def attendance(
    session: AsyncSession,
    args: argparse.Namespace,
    settings: Settings,
    t: Translator,
    now: datetime,
) -> list[str]:
    """Gather, audit, render and write the list; nothing is written when it is refused."""
    # Heavy renderer: loaded on first use, so `properbot run` stays small at rest.
    from documents.attendance_pdf import render_attendance

    label = f"cli:{getpass.getuser()}"
    by = Organizer(person_id=None, label=label, every_cohort=True)
    sheet = await seminar_materials.attendance_sheet(session, args.id, by, group=args.group)
    seminar_materials.record_sheet(session, sheet, actor_id=None, actor_label=label, now=now)
    data = render_attendance(sheet, language=t.language, generated_at=now)
    try:
        write_atomically(args.out, data)
    except OSError as exc:
        raise UserFacingError(
            "cli.portfolio.error.write", path=str(args.out), reason=exc.strerror or str(exc)
        ) from None
    return [
        t.plural("attendance.cli.written", len(sheet.rows), id=sheet.seminar.id, path=str(args.out))
    ]
