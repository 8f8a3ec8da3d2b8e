"""The `properbot` command line: the bot, the database, cohorts, documents and the demo."""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from bot import (
    cli_broadcast,
    cli_evidence,
    cli_export,
    cli_person,
    cli_portfolio,
    cli_roster,
    cli_seminar,
    cli_web,
    cli_whatsapp,
)
from bot.cli_help import argparse_language
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError
from domain.clock import SystemClock
from domain.cohort_csv import CohortFileError, describe_problem
from domain.enums import Channel
from domain.i18n import Translator, translator
from domain.roles import Role
from domain.roster_xlsx import parse_roster
from models.db import create_engine, normalize_url, session_factory
from models.migrate import upgrade
from services.cohorts import import_cohort, invite_links_text, invites_for
from services.errors import UserFacingError
from services.onboarding import issue_code_for_member

EXIT_USER_ERROR = 2


class CliError(Exception):
    """A user error: printed as one line, no traceback, exit code 2."""


def _parser(t: Translator) -> argparse.ArgumentParser:
    """The whole command line, its help in `t`'s language (build it inside argparse_language)."""
    parser = argparse.ArgumentParser(prog="properbot", description=t("cli_help.description"))
    command = t("cli_help.metavar.command")
    sub = parser.add_subparsers(dest="command", required=True, metavar=command)

    sub.add_parser("run", help=t("cli_help.run"))
    cli_web.add_parser(sub, t)

    db = sub.add_parser("db", help=t("cli_help.db"))
    action = t("cli_help.metavar.action")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar=action)
    db_sub.add_parser("upgrade", help=t("cli_help.db.upgrade"))

    cohort = sub.add_parser("cohort", help=t("cli_help.cohort"))
    cohort_sub = cohort.add_subparsers(dest="cohort_command", required=True, metavar=action)
    imp = cohort_sub.add_parser(
        "import",
        help=t("cli_help.cohort.import"),
        description=t("cli_help.cohort.import.description"),
    )
    imp.add_argument("file", type=Path, help=t("cli_help.cohort.import.file"))
    imp.add_argument("--cohort", required=True, help=t("cli_help.cohort.import.cohort"))
    imp.add_argument("--organizer", help=t("cli_help.cohort.import.organizer"))
    imp.add_argument("--year", type=int, help=t("cli_help.cohort.import.year"))
    cli_roster.add_parser(cohort_sub, t)

    inv = sub.add_parser("invites", help=t("cli_help.invites"))
    inv.add_argument("--cohort", required=True, help=t("cli_help.option.cohort"))
    inv.add_argument(
        "--format", choices=("text", "csv"), default="text", help=t("cli_help.invites.format")
    )
    inv.add_argument("--new-code", metavar="NIP", help=t("cli_help.invites.new_code"))

    cli_seminar.add_parser(sub, t)
    cli_broadcast.add_parser(sub, t)
    cli_portfolio.add_parser(sub, t)
    cli_export.add_parser(sub, t)
    cli_person.add_parser(sub, t)
    cli_evidence.add_parser(sub, t)
    cli_whatsapp.add_parser(sub, t)

    demo = sub.add_parser("demo", help=t("cli_help.demo"))
    demo.add_argument("--language", choices=("id", "en"), help=t("cli_help.demo.language"))
    demo.add_argument("--out", type=Path, help=t("cli_help.demo.out"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # --help and usage errors speak DEFAULT_LANGUAGE too, read as leniently as the messages.
    t = translator(Settings.language_hint())
    with argparse_language(t):
        args = _parser(t).parse_args(argv)
    try:
        settings = Settings.load()
        t = translator(settings.default_language)
        return _dispatch(args, settings, t)
    except SettingsError as exc:
        problem = t(exc.key, **exc.params)
        print(t("cli.error.setting", name=exc.name, problem=problem), file=sys.stderr)
    except CliError as exc:
        print(str(exc), file=sys.stderr)
    except UserFacingError as exc:
        print(t(exc.key, **exc.params), file=sys.stderr)
    except OSError as exc:
        if exc.filename is None:
            # No file named: a connection (PostgreSQL refused or unreachable).
            print(t("cli.error.database", reason=str(exc).splitlines()[0]), file=sys.stderr)
        else:
            # A file the command reads or writes (SQLite's own are DBAPIErrors below).
            reason = exc.strerror or type(exc).__name__
            print(t("cli.error.file", path=exc.filename, reason=reason), file=sys.stderr)
    except (OperationalError, DBAPIError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(t("cli.error.database", reason=reason), file=sys.stderr)
    return EXIT_USER_ERROR


def _dispatch(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    # The demo's transcript is the output; its routine log lines would only bury it.
    level = "WARNING" if args.command == "demo" and "LOG_LEVEL" not in os.environ else None
    # LOG_FORMAT console or json; httpx (request URLs carry the token) and alembic kept quiet.
    configure_logging(
        level or settings.log_level,
        settings.log_format,
        secrets=(settings.telegram_bot_token or "", settings.telegram_webhook_secret or ""),
    )
    if args.command == "cohort" and args.cohort_command == "template":
        return cli_roster.write_template(args, settings, t)  # needs no database
    if args.command == "whatsapp":  # needs no database
        try:
            return cli_whatsapp.run(args, settings, t)
        except cli_whatsapp.WhatsAppCliError as exc:
            raise CliError(str(exc)) from None
    if args.command not in CREATES_DATABASE:
        _require_database(settings, t)
    if args.command == "run":
        return _run(settings, t)
    if args.command == "web":
        try:
            return cli_web.run(settings, t)
        except cli_web.WebAddressError as exc:
            raise CliError(str(exc)) from None
    if args.command == "db":
        asyncio.run(_upgrade(settings))
        print(t("cli.db.upgraded"))
        return 0
    if args.command == "cohort":
        return asyncio.run(_import(settings, t, args))
    if args.command == "invites":
        return asyncio.run(_invites(settings, t, args))
    if args.command == "seminar":
        return asyncio.run(cli_seminar.run(args, settings, t))
    if args.command == "broadcast":
        return asyncio.run(cli_broadcast.run(args, settings, t))
    if args.command == "portfolio":
        return asyncio.run(cli_portfolio.run(args, settings, t))
    if args.command == "export":
        return asyncio.run(cli_export.run(args, settings, t))
    if args.command in ("person", "audit"):
        return asyncio.run(cli_person.run(args, settings, t))
    if args.command == "evidence":
        return asyncio.run(cli_evidence.run(args, settings, t))
    if args.command == "demo":
        from bot.demo import run_demo

        return asyncio.run(
            run_demo(
                sys.stdout, language=args.language or settings.default_language, folder=args.out
            )
        )
    raise AssertionError(args.command)


# Only these may start a database from nothing; any other command in the wrong folder would
# silently create an empty properbot.db there and report "cohort not found".
CREATES_DATABASE = frozenset({"db", "run", "demo"})


def _require_database(settings: Settings, t: Translator) -> None:
    """Refuse when DATABASE_URL names a SQLite file that does not exist."""
    url = make_url(normalize_url(settings.database_url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    if not Path(url.database).exists():
        raise CliError(t("cli.error.no_database", path=url.database, url=settings.database_url))


async def _upgrade(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _run(settings: Settings, t: Translator) -> int:
    from bot.serve import serve
    from bot.single_instance import AnotherInstanceRunning, SingleInstanceLock, lock_path_for
    from web.app import HEALTH_PATH, METRICS_PATH, READY_PATH
    from web.server import bind

    settings.require_channel()
    # SQLite serves one instance: held until this process ends (however it ends).
    lock_path = lock_path_for(settings.database_url)
    instance_lock = None if lock_path is None else SingleInstanceLock(lock_path)
    if instance_lock is not None and lock_path is not None:
        try:
            instance_lock.acquire()
        except AnotherInstanceRunning as exc:
            database = str(lock_path.with_suffix(""))
            raise CliError(
                t(
                    "worker.sqlite_second_instance",
                    database=database,
                    holder=exc.holder,
                    lock=str(lock_path),
                )
            ) from None
    try:
        asyncio.run(_upgrade(settings))
        try:
            sock = bind(settings.web_host, settings.web_port)
        except OSError as exc:
            host, reason = settings.web_host, exc.strerror or str(exc)
            raise CliError(
                t("cli.error.web_address", host=host, port=settings.web_port, reason=reason)
            ) from None
        port = sock.getsockname()[1]
        paths = (settings.webhook_path, HEALTH_PATH, READY_PATH, METRICS_PATH)
        paths_text = ", ".join(p for p in paths if p)
        web_line = t("cli.run.web", host=settings.web_host, port=port, paths=paths_text)
        print(web_line, file=sys.stderr)
        whatsapp = settings.whatsapp
        if not settings.telegram_bot_token:
            assert whatsapp is not None  # require_channel
            print(t("cli.run.starting_whatsapp", path=whatsapp.webhook_path), file=sys.stderr)
        elif settings.telegram_webhook_url is None:
            print(t("cli.run.starting"), file=sys.stderr)
        else:
            print(t("cli.run.starting_webhook", url=settings.telegram_webhook_url), file=sys.stderr)
        if settings.telegram_bot_token and whatsapp is not None:
            print(t("cli.run.whatsapp_too", path=whatsapp.webhook_path), file=sys.stderr)
        asyncio.run(serve(settings, sock))
        return 0
    finally:
        if instance_lock is not None:
            instance_lock.release()


def read_roster(path: Path, t: Translator, settings: Settings) -> list:  # type: ignore[type-arg]
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CliError(t("cli.error.file_not_found", path=str(path))) from None
    except OSError as exc:
        raise CliError(
            t("cli.error.file_unreadable", path=str(path), reason=exc.strerror)
        ) from None
    try:
        return parse_roster(
            data, default_zone=settings.default_timezone, today=SystemClock().now().date()
        )
    except CohortFileError as exc:
        lines = [describe_problem(problem, t) for problem in exc.problems]
        lines.append(t("cli.import.rejected", path=str(path), count=len(exc.problems)))
        raise CliError("\n".join(lines)) from None


async def _import(settings: Settings, t: Translator, args: argparse.Namespace) -> int:
    rows = read_roster(args.file, t, settings)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            summary = await import_cohort(
                session,
                args.cohort,
                rows,
                now=SystemClock().now(),
                actor_label=f"cli:{getpass.getuser()}",
                organizer=args.organizer,
                year=args.year,
            )
    finally:
        await engine.dispose()
    counts = ", ".join(
        f"{t(role.message_key)} {summary.by_role[role]}" for role in Role if role in summary.by_role
    )
    if not summary.changed:
        print(t("cli.import.unchanged", cohort=summary.cohort_name, counts=counts))
    else:
        print(
            t(
                "cli.import.done",
                cohort=summary.cohort_name,
                counts=counts,
                created=summary.people_created,
                updated=summary.people_updated,
                withdrawn=summary.withdrawn,
            )
        )
    return 0


async def _bot_username(settings: Settings) -> str:
    if settings.telegram_bot_username:
        return settings.telegram_bot_username
    if not settings.telegram_bot_token:
        raise SettingsError("TELEGRAM_BOT_USERNAME", "username_needed")
    from telegram import Bot

    async with Bot(
        settings.telegram_bot_token,
        base_url=settings.bot_base_url,
        base_file_url=settings.bot_file_url,
    ) as bot:
        return bot.username


async def _new_code(settings: Settings, t: Translator, cohort: str, nip: str) -> int:
    """A fresh code for someone, e.g. to bind an account on a second channel."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            issued = await issue_code_for_member(session, cohort, nip, SystemClock().now())
    finally:
        await engine.dispose()
    if issued is None:
        print(t("accounts.cli.not_found", nip=nip, cohort=cohort), file=sys.stderr)
        return 1
    name, code = issued
    # The deep link opens the Telegram bot; another channel takes the code as typed.
    link = f"https://t.me/{await _bot_username(settings)}?start={code}"
    print(t("accounts.cli.issued", name=name, code=code, link=link))
    return 0


async def _invites(settings: Settings, t: Translator, args: argparse.Namespace) -> int:
    if args.new_code is not None:
        return await _new_code(settings, t, args.cohort, args.new_code)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            lines = await invites_for(session, args.cohort)
    finally:
        await engine.dispose()
    number = settings.whatsapp_phone_number
    telegram = settings.telegram_bot_username or settings.telegram_bot_token
    # A bot on WhatsApp alone has no Telegram links to give.
    username = await _bot_username(settings) if telegram or not number else None
    if args.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["nip", "name", "role", "code", "channel", "link", "whatsapp_link"])
        for line in lines:
            links = line.links(bot_username=username, whatsapp_number=number)
            writer.writerow(
                [
                    line.nip,
                    line.name,
                    line.role.value,
                    line.code,
                    line.channel.value if line.channel else "",
                    links.get(Channel.TELEGRAM, ""),
                    links.get(Channel.WHATSAPP, ""),
                ]
            )
        sys.stdout.write(out.getvalue())
        return 0
    for line in lines:
        links = line.links(bot_username=username, whatsapp_number=number)
        print(
            t(
                "cli.invites.line",
                name=line.name,
                role=t(line.role.message_key),
                code=line.code,
                link=invite_links_text(t, links),
                state=t("cli.invites.joined" if line.joined else "cli.invites.pending"),
            )
        )
    print(t("cli.invites.total", count=len(lines), joined=sum(1 for x in lines if x.joined)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
