"""`properbot cohort template`: the XLSX roster template to fill in and import (no database)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.files import write_atomically
from bot.settings import Settings
from domain.i18n import Translator, resolve_language
from services.errors import UserFacingError


def add_parser(cohort_subparsers: Any, t: Translator) -> None:
    """Add `template` to `properbot cohort`'s actions, help in `t`'s language."""
    parser = cohort_subparsers.add_parser("template", help=t("cli_help.cohort.template"))
    parser.add_argument("--out", required=True, type=Path, help=t("cli_help.cohort.template.out"))
    parser.add_argument(
        "--language", choices=("id", "en"), help=t("cli_help.cohort.template.language")
    )


def write_template(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Write the template in `--language` (else DEFAULT_LANGUAGE) to `--out`, whole or not
    at all; an unwritable target is a UserFacingError (one line, exit status 2)."""
    # Heavy renderer: loaded on first use, so `properbot run` stays small at rest.
    from documents.roster_template import render_roster_template

    out: Path = args.out
    data = render_roster_template(resolve_language(args.language or settings.default_language))
    try:
        write_atomically(out, data)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UserFacingError("roster.cli.error.unwritable", path=str(out), reason=reason) from None
    print(t("roster.cli.template_written", path=str(out)))
    return 0
