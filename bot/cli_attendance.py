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


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `attendance` to the actions of `properbot seminar`."""
    sheet = sub.add_parser(
        "attendance",
        help="write a seminar's attendance list (daftar hadir) as a PDF to sign",
        description="Presenters, their mentors and coaches, and the examiner, one row each with "
        "name, NIP, role, agency and an empty signature column; --group keeps the presenters "
        "of one seminar group and their advisors.",
    )
    sheet.add_argument("id", type=int, help="seminar number, as `seminar list` shows it")
    sheet.add_argument("--out", required=True, type=Path, help="the PDF file to write")
    sheet.add_argument("--group", help="only this seminar group, as the roster writes it")


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
        t("attendance.cli.written", id=sheet.seminar.id, count=len(sheet.rows), path=str(args.out))
    ]
