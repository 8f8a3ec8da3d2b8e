"""`properbot seminar criteria|scores|release|berita-acara`: seminar scoring from the command line.

Plugged into `properbot seminar` (bot/cli_seminar.py), whose runner opens the database, runs
one action in one transaction and prints its lines; a user error exits with status 2.
"""

from __future__ import annotations

import argparse
import getpass
import json
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.files import write_atomically
from bot.settings import Settings
from domain.i18n import SUPPORTED_LANGUAGES, Translator, format_datetime, translator
from domain.scoring import SETTINGS_KEY, format_score
from services import scoring
from services.cohorts import find_cohort
from services.errors import UserFacingError
from services.scoring import SeminarScores
from services.seminars import Organizer

# The --help example, passed in whole: braces in a catalog message would be placeholders.
CRITERIA_EXAMPLE = '[{"name": "Kemampuan presentasi", "weight": 15}, ...]'


def add_parsers(sub: argparse._SubParsersAction, t: Translator) -> None:  # type: ignore[type-arg]
    """Add the scoring actions to `properbot seminar`, help in `t`'s language."""
    criteria = sub.add_parser(
        "criteria",
        help=t("cli_help.seminar.criteria"),
        description=t("cli_help.seminar.criteria.description", example=CRITERIA_EXAMPLE),
    )
    criteria.add_argument("--cohort", required=True, help=t("cli_help.option.cohort"))
    what = criteria.add_mutually_exclusive_group()
    what.add_argument(
        "--set", type=Path, metavar="FILE.json", help=t("cli_help.seminar.criteria.set")
    )
    what.add_argument("--show", action="store_true", help=t("cli_help.seminar.criteria.show"))

    scores = sub.add_parser("scores", help=t("cli_help.seminar.scores"))
    scores.add_argument("id", type=int, help=t("cli_help.option.seminar_id"))

    release = sub.add_parser("release", help=t("cli_help.seminar.release"))
    release.add_argument("id", type=int, help=t("cli_help.option.seminar_id"))

    minutes = sub.add_parser("berita-acara", help=t("cli_help.seminar.berita_acara"))
    minutes.add_argument("id", type=int, help=t("cli_help.option.seminar_id"))
    minutes.add_argument("--out", required=True, type=Path, help=t("cli_help.option.pdf_out"))
    minutes.add_argument(
        "--language", choices=SUPPORTED_LANGUAGES, help=t("cli_help.option.pdf_language")
    )


def _organizer() -> Organizer:
    return Organizer(person_id=None, label=f"cli:{getpass.getuser()}", every_cohort=True)


async def _criteria(
    session: AsyncSession,
    args: argparse.Namespace,
    settings: Settings,
    t: Translator,
    now: datetime,
) -> list[str]:
    cohort = await find_cohort(session, args.cohort)
    lines: list[str] = []
    if args.set is not None:
        saved = await scoring.set_criteria(
            session, cohort.id, _read_json(args.set), by=_organizer(), now=now
        )
        lines.append(t.plural("scores.cli.criteria.saved", len(saved), cohort=cohort.name))
    current = await scoring.criteria_of(session, cohort.id)
    lines.append(t("scores.cli.criteria.title", cohort=cohort.name))
    lines += [
        t("scores.cli.criteria.line", number=n, name=c.name, weight=c.weight)
        for n, c in enumerate(current, start=1)
    ]
    if SETTINGS_KEY not in (cohort.settings or {}):
        lines.append(t("scores.cli.criteria.default"))
    return lines


def _read_json(path: Path) -> object:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserFacingError(
            "scores.cli.error.read", path=str(path), reason=exc.strerror or str(exc)
        ) from None
    except UnicodeDecodeError as exc:
        raise UserFacingError("scores.cli.error.read", path=str(path), reason=str(exc)) from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UserFacingError("scores.cli.error.json", path=str(path), reason=str(exc)) from None


def _state(t: Translator, status: object, total: object) -> str:
    if status is None:
        return t("scores.state.none")
    if getattr(status, "value", None) == "draft":
        return t("scores.state.draft")
    return t("scores.state.submitted", total=format_score(total, t.language))  # type: ignore[arg-type]


def scores_lines(t: Translator, found: SeminarScores) -> list[str]:
    """The seminar's scoring state, one line per sheet, as `seminar scores` prints it."""
    s = found.seminar
    released = (
        t("scores.admin.released", at=format_datetime(s.released_at, s.zone, t.language))
        if s.released_at is not None
        else t("scores.admin.not_released")
    )
    lines = [
        t(
            "scores.cli.seminar",
            id=s.id,
            kind=t(f"seminar.kind.{s.kind.value}"),
            at=format_datetime(s.starts_at, s.zone, t.language),
            cohort=s.cohort_name,
            submitted=found.submitted,
            expected=found.expected,
            released=released,
        )
    ]
    for p in found.presenters:
        for sheet in p.sheets:
            lines.append(
                t(
                    "scores.cli.sheet",
                    presenter=p.name,
                    examiner=sheet.examiner_name,
                    state=_state(t, sheet.status, sheet.total),
                )
            )
    return lines


async def _scores(
    session: AsyncSession,
    args: argparse.Namespace,
    settings: Settings,
    t: Translator,
    now: datetime,
) -> list[str]:
    return scores_lines(t, await scoring.seminar_scores(session, args.id, _organizer()))


async def _release(
    session: AsyncSession,
    args: argparse.Namespace,
    settings: Settings,
    t: Translator,
    now: datetime,
) -> list[str]:
    found = await scoring.release_scores(session, args.id, by=_organizer(), now=now)
    return [t.plural("scores.cli.released", len(found.presenters), id=args.id)]


async def _berita_acara(
    session: AsyncSession,
    args: argparse.Namespace,
    settings: Settings,
    t: Translator,
    now: datetime,
) -> list[str]:
    # Heavy renderer: loaded on first use, so `properbot run` stays small at rest.
    from documents.berita_acara_pdf import render_berita_acara

    by = _organizer()
    found = await scoring.berita_acara(session, args.id, by)
    language = args.language or settings.default_language
    data = render_berita_acara(found, language=language, generated_at=now)
    out: Path = args.out
    try:
        write_atomically(out, data)
    except OSError as exc:
        raise UserFacingError(
            "scores.cli.error.write", path=str(out), reason=exc.strerror or str(exc)
        ) from None
    scoring.record_berita_acara(session, found, at=now, actor_label=by.label)
    return [translator(t.language)("scores.cli.written", id=args.id, path=str(out))]


ACTIONS = {
    "criteria": _criteria,
    "scores": _scores,
    "release": _release,
    "berita-acara": _berita_acara,
}
