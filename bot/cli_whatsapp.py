"""`properbot whatsapp templates`: write the WhatsApp template definitions for submission to
Meta (--out), or compare them with the templates approved on the business account (--check)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from bot.settings import Settings, WhatsAppSettings
from domain.i18n import Translator
from whatsapp.templates import Problem, compare, definitions

# What --check reads of each template.
_FIELDS = ("name", "language", "status", "category", "components")
_PAGE = 100


class WhatsAppCliError(Exception):
    """A user error of this command; the message is ready to print (exit status 2)."""


def add_parser(sub: argparse._SubParsersAction, t: Translator) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "whatsapp", help=t("cli_help.whatsapp"), description=t("cli_help.whatsapp.description")
    )
    actions = parser.add_subparsers(
        dest="whatsapp_command", required=True, metavar=t("cli_help.metavar.action")
    )
    templates = actions.add_parser(
        "templates",
        help=t("cli_help.whatsapp.templates"),
        description=t("cli_help.whatsapp.templates.description"),
    )
    what = templates.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--out", type=Path, metavar="FILE.json", help=t("cli_help.whatsapp.templates.out")
    )
    what.add_argument("--check", action="store_true", help=t("cli_help.whatsapp.templates.check"))


def run(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """0 when written or all approved as defined; 1 when --check found a problem."""
    wanted = definitions()
    if args.out is not None:
        try:
            args.out.write_text(
                json.dumps(wanted, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        except OSError as exc:
            raise WhatsAppCliError(
                t(
                    "whatsapp.templates.cli.out_error",
                    path=args.out,
                    reason=exc.strerror or str(exc),
                )
            ) from None
        print(t("whatsapp.templates.cli.written", count=len(wanted), path=args.out))
        return 0
    whatsapp = settings.whatsapp
    if whatsapp is None:
        raise WhatsAppCliError(t("whatsapp.templates.cli.no_whatsapp"))
    if not whatsapp.business_account_id:
        raise WhatsAppCliError(t("whatsapp.templates.cli.no_account"))
    # pywa loads here, not when the command line starts: a bot without WhatsApp never needs
    # it (about 20 MB resident; bench/memory.py).
    from pywa import errors as wa_errors

    try:
        existing = asyncio.run(approved_templates(whatsapp))
    except (wa_errors.WhatsAppError, httpx.HTTPError) as exc:
        raise WhatsAppCliError(t("whatsapp.templates.cli.api_error", reason=str(exc))) from None
    problems = compare(wanted, existing)
    for problem in problems:
        print(_describe(problem, t))
    if problems:
        print(t("whatsapp.templates.cli.summary", count=len(problems), total=len(wanted)))
        return 1
    print(t("whatsapp.templates.cli.all_approved", count=len(wanted)))
    return 0


async def approved_templates(settings: WhatsAppSettings) -> list[dict[str, Any]]:
    """Every template on the business account (GET /{waba_id}/message_templates, all pages)."""
    assert settings.business_account_id is not None
    from whatsapp.client import create_client, http_client

    async with http_client(settings.api_root) as session:
        client = create_client(settings, session)
        found: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = await client.api.get_templates(
                waba_id=settings.business_account_id,
                fields=_FIELDS,
                pagination={"limit": _PAGE, **({"after": after} if after else {})},
            )
            found.extend(page.get("data") or [])
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return found


def _describe(problem: Problem, t: Translator) -> str:
    return t(
        f"whatsapp.templates.cli.{problem.kind}",
        name=problem.name,
        language=problem.language,
        status=problem.status or "",
    )
