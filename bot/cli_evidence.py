"""`properbot evidence fetch`: bring files received before the evidence store into it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bot.settings import Settings
from domain.enums import Channel
from domain.i18n import Translator
from handlers.evidence import download
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services import evidence
from services.errors import UserFacingError
from storage.evidence_store import open_store

# Some files could not be fetched (gone from Telegram, too big): the rest were.
EXIT_INCOMPLETE = 1


def add_parser(subparsers: Any, t: Translator) -> None:
    """Add the `evidence` command to `properbot`'s subcommands, help in `t`'s language."""
    parser = subparsers.add_parser("evidence", help=t("cli_help.evidence"))
    action = t("cli_help.metavar.action")
    actions = parser.add_subparsers(dest="evidence_command", required=True, metavar=action)
    actions.add_parser(
        "fetch",
        help=t("cli_help.evidence.fetch"),
        description=t("cli_help.evidence.fetch.description"),
    )


async def run(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    token = settings.require_token()
    store = open_store(settings.evidence_dir)
    folder = str(settings.evidence_dir)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        async with sessions() as session:
            todo = await evidence.unfetched(session, Channel.TELEGRAM)
        if not todo:
            print(t("cli.evidence.fetch.nothing", folder=folder))
            return 0
        failed = 0
        try:
            async with Bot(
                token, base_url=settings.bot_base_url, base_file_url=settings.bot_file_url
            ) as bot:
                for row in todo:
                    try:
                        data = await download(bot, row.ref)
                    except TelegramError as exc:
                        failed += 1
                        line = t(
                            "cli.evidence.fetch.failed_line",
                            id=row.evidence_id,
                            report=row.report_id,
                            reason=str(exc),
                        )
                        print(line, file=sys.stderr)
                        continue
                    blob = await store.put(data)
                    # One row at a time: an interrupted run keeps what it has fetched.
                    async with sessions() as session, session.begin():
                        await evidence.record_stored(session, row.evidence_id, blob)
        except TelegramError as exc:  # a wrong token or Telegram out of reach: nothing to do
            raise UserFacingError("cli.evidence.fetch.telegram", reason=str(exc)) from None
    finally:
        await engine.dispose()
    print(t("cli.evidence.fetch.done", folder=folder, fetched=len(todo) - failed, failed=failed))
    return EXIT_INCOMPLETE if failed else 0
