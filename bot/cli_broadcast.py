"""`properbot broadcast`: preview an announcement, or queue it for the running bot to send."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from domain import markup
from domain.clock import Clock, SystemClock
from domain.i18n import Translator, translator
from domain.roles import Role, UnknownRole, parse_role
from domain.text import InvalidText
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services import broadcasts
from services.broadcasts import AUDIENCE_ROLES, Audience
from services.cohorts import find_cohort
from services.errors import UserFacingError

_EVERYONE = {"semua", "all"}


def add_parser(subparsers: Any, t: Translator | None = None) -> None:
    """Add the `broadcast` command to `properbot`'s subcommands, help in `t`'s language."""
    t = t or translator(None)
    parser = subparsers.add_parser(
        "broadcast",
        help=t("cli_help.broadcast"),
        description=t("cli_help.broadcast.description"),
    )
    parser.add_argument("--cohort", required=True, help=t("cli_help.option.cohort"))
    text = parser.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", help=t("cli_help.broadcast.text"))
    text.add_argument("--text-file", type=Path, help=t("cli_help.broadcast.text_file"))
    parser.add_argument("--role", default="semua", help=t("cli_help.broadcast.role"))
    parser.add_argument("--seminar-group", help=t("cli_help.broadcast.seminar_group"))
    parser.add_argument("--group", action="store_true", help=t("cli_help.broadcast.group"))
    parser.add_argument("--yes", action="store_true", help=t("cli_help.broadcast.yes"))


def parse_roles(raw: str) -> frozenset[Role]:
    """ "peserta,mentor" -> those roles; "semua"/"all" -> everyone. UnknownRole otherwise."""
    words = [w.strip() for w in raw.split(",") if w.strip()]
    if not words:
        raise UnknownRole("role.error.empty", {})
    if any(w.casefold() in _EVERYONE for w in words):
        return frozenset(AUDIENCE_ROLES)
    return frozenset(parse_role(w) for w in words)


def read_text(args: argparse.Namespace) -> str:
    if args.text_file is None:
        return str(args.text)
    path: Path = args.text_file
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserFacingError("cli.error.file_not_found", path=str(path)) from None
    except UnicodeDecodeError:
        raise UserFacingError("cli.broadcast.error.not_utf8", path=str(path)) from None
    except OSError as exc:
        raise UserFacingError(
            "cli.error.file_unreadable", path=str(path), reason=exc.strerror or str(exc)
        ) from None


def plain(text: str) -> str:
    """Catalog markup as a terminal shows it: plain text."""
    return markup.to_plain(text)


async def run(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Preview (exit 0, nothing queued) or, with --yes, queue; user errors raise
    UserFacingError, which `properbot` prints as one line with exit status 2."""
    return await broadcast(args, settings, t, clock=SystemClock())


async def broadcast(
    args: argparse.Namespace, settings: Settings, t: Translator, *, clock: Clock
) -> int:
    try:
        roles = parse_roles(args.role)
    except UnknownRole as exc:
        raise UserFacingError(exc.code, **exc.params) from None
    raw_text = read_text(args)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            return await _broadcast(session, args, t, roles, raw_text, clock)
    finally:
        await engine.dispose()


async def _broadcast(
    session: AsyncSession,
    args: argparse.Namespace,
    t: Translator,
    roles: frozenset[Role],
    raw_text: str,
    clock: Clock,
) -> int:
    cohort = await find_cohort(session, args.cohort)
    seminar_group = args.seminar_group.strip() if args.seminar_group else None
    if seminar_group is not None:
        known = await broadcasts.seminar_groups(session, cohort.id)
        if seminar_group not in known:
            raise UserFacingError(
                "cli.broadcast.error.seminar_group",
                name=seminar_group,
                cohort=cohort.name,
                groups=", ".join(known) or "-",
            )
    # Nobody signs from the command line: the cohort's organizer does, when it is known.
    try:
        text = broadcasts.check_text(raw_text, cohort.name, cohort.organizer, with_file=False)
    except InvalidText as exc:
        raise UserFacingError(exc.code, **exc.params) from None
    audience = Audience(roles=roles, seminar_group=seminar_group, groups=args.group)
    plan = await broadcasts.resolve_audience(session, cohort.id, audience)
    # Before anyone joined it is still allowed: the messages wait for them to join.
    if plan.reachable == 0 and not plan.not_joined:
        raise UserFacingError("broadcast.error.no_recipients", not_joined=len(plan.not_joined))
    if not args.yes:
        key, params = broadcasts.compose(cohort.name, cohort.organizer, text)
        role_counts = ", ".join(
            f"{t(role.message_key)} {count}" for role, count in broadcasts.role_counts(plan)
        )
        rule = "-" * 60
        lines = [t("cli.broadcast.preview_title", cohort=cohort.name), rule]
        lines += [plain(t(key, **markup.escape_params(params))), rule]
        lines.append(
            t(
                "cli.broadcast.recipients",
                count=len(plan.recipients),
                roles=role_counts or "-",
                groups=len(plan.groups),
            )
        )
        if seminar_group:
            lines.append(t("cli.broadcast.seminar_group", name=seminar_group))
        if plan.not_joined:
            names = ", ".join(r.name for r in plan.not_joined)
            lines.append(t("cli.broadcast.not_joined", count=len(plan.not_joined), names=names))
        lines.append(t("cli.broadcast.dry_run"))
        print("\n".join(lines))
        return 0
    queued = await broadcasts.create_broadcast(
        session,
        cohort_id=cohort.id,
        author_id=None,
        text=text,
        audience=audience,
        now=clock.now(),
        actor_label=f"cli:{getpass.getuser()}",
    )
    print(
        t(
            "cli.broadcast.queued",
            id=queued.broadcast_id,
            recipients=queued.recipients,
            groups=queued.groups,
        )
    )
    if queued.not_joined:
        print(t("cli.broadcast.queued_waiting", count=queued.not_joined))
    return 0
