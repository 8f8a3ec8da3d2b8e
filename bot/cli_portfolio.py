"""`properbot portfolio NIP --out FILE.pdf`: a participant's portfolio PDF from the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import Any

from bot.files import write_atomically
from bot.settings import Settings
from domain.clock import Clock, SystemClock
from domain.i18n import SUPPORTED_LANGUAGES, Translator
from domain.nip import InvalidNip, parse_nip
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services import portfolio
from services.errors import UserFacingError
from storage.evidence_store import open_store


def add_parser(subparsers: Any, t: Translator) -> None:
    """Add the `portfolio` command to `properbot`'s subcommands, help in `t`'s language."""
    parser = subparsers.add_parser(
        "portfolio",
        help=t("cli_help.portfolio"),
        description=t("cli_help.portfolio.description"),
    )
    parser.add_argument("nip", nargs="+", help=t("cli_help.portfolio.nip"))
    parser.add_argument("--out", required=True, type=Path, help=t("cli_help.option.pdf_out"))
    parser.add_argument(
        "--language", choices=SUPPORTED_LANGUAGES, help=t("cli_help.option.pdf_language")
    )


async def run(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Write the PDF (exit 0); user errors raise UserFacingError, printed as one line, exit 2."""
    return await export(args, settings, t, clock=SystemClock())


async def export(
    args: argparse.Namespace, settings: Settings, t: Translator, *, clock: Clock
) -> int:
    # Heavy renderer: loaded on first use, so `properbot run` stays small at rest.
    from documents.portfolio_pdf import render_portfolio

    raw_nip = " ".join(args.nip)
    now = clock.now()
    try:
        parse_nip(raw_nip, today=now.date())
    except InvalidNip as exc:
        raise UserFacingError(exc.code, **exc.params) from None
    out: Path = args.out
    language = args.language or settings.default_language
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            participant_id = await portfolio.participant_by_nip(session, raw_nip)
            found = await portfolio.load_portfolio(session, participant_id)
            wanted = len(found.photo_refs)
            images = await portfolio.fetch_images(found, open_store(settings.evidence_dir))
            if len(images) < wanted:
                print(
                    t("cli.portfolio.photos_not_stored", count=wanted - len(images)),
                    file=sys.stderr,
                )
            data = await asyncio.to_thread(
                render_portfolio, found, images=images, language=language, generated_at=now
            )
            _write(out, data)
            portfolio.record_export(session, found, now=now, actor_label=f"cli:{getpass.getuser()}")
    finally:
        await engine.dispose()
    print(
        t(
            "cli.portfolio.written",
            name=found.name,
            path=str(out),
            reports=len(found.reports),
            photos=len(images),
        )
    )
    return 0


def _write(path: Path, data: bytes) -> None:
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise UserFacingError(
            "cli.portfolio.error.write", path=str(path), reason=exc.strerror or str(exc)
        ) from None
