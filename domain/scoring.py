"""Seminar scoring: the weighted criteria a cohort scores with, typed scores and the total.

Pure. A cohort's criteria are data (`Cohort.settings["seminar_criteria"]`, a list of
`{"name": ..., "weight": ...}`), so an organizer whose rubric differs replaces them; without
the setting the default set below applies. Weights are whole percentages summing to 100, so
a presenter's weighted total is a score on the same 0-100 scale as each criterion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from babel.numbers import format_decimal

from domain.i18n import resolve_language
from domain.project_term import ProjectTerm

SETTINGS_KEY = "seminar_criteria"
MIN_SCORE = 0
MAX_SCORE = 100
TOTAL_WEIGHT = 100
MAX_CRITERIA = 10
MAX_CRITERION_NAME = 120
# An examiner's comment on a presenter: a paragraph or two, printed in the berita acara.
MAX_COMMENT = 1500


class ScoreSheetStatus(StrEnum):
    """Where an examiner's score sheet for one presenter stands; the value is stored."""

    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def message_key(self) -> str:
        return f"scores.sheet_status.{self.value}"


class InvalidScoring(ValueError):
    """Criteria or a score that cannot be taken; `code` is a message-catalog key."""

    def __init__(self, code: str, params: dict[str, object] | None = None) -> None:
        super().__init__(code, params or {})
        self.code = code
        self.params = params or {}


@dataclass(frozen=True)
class Criterion:
    name: str
    weight: int  # percent of the total

    def as_setting(self) -> dict[str, Any]:
        return {"name": self.name, "weight": self.weight}


def default_criteria(term: ProjectTerm = ProjectTerm.PROYEK_PERUBAHAN) -> tuple[Criterion, ...]:
    """The usual rubric of a seminar proyek (or aksi) perubahan, until the organizer sets one.

    An assumption to be replaced per cohort: LAN's guidance weighs these aspects, the exact
    weights differ per organizer (DOMAIN.md: such things are settings).
    """
    project = "aksi perubahan" if term is ProjectTerm.AKSI_PERUBAHAN else "proyek perubahan"
    return (
        Criterion(f"Substansi dan kualitas {project}", 30),
        Criterion("Capaian milestone jangka pendek", 25),
        Criterion("Kemampuan presentasi", 15),
        Criterion("Penguasaan materi dan kemampuan menjawab pertanyaan", 15),
        Criterion("Dampak dan keberlanjutan", 15),
    )


def parse_criteria(raw: object) -> tuple[Criterion, ...]:
    """Criteria from JSON-like data: a list of {"name", "weight"}, or {"criteria": [...]}.

    1 to 10 criteria, names non-empty, at most 120 characters and unique (ignoring case and
    spacing), weights whole and positive, summing to 100. Raises InvalidScoring.
    """
    if isinstance(raw, Mapping) and "criteria" in raw:
        raw = raw["criteria"]
    if not isinstance(raw, list):
        raise InvalidScoring("scores.criteria.error.shape")
    if not 1 <= len(raw) <= MAX_CRITERIA:
        raise InvalidScoring(
            "scores.criteria.error.count", {"count": len(raw), "max": MAX_CRITERIA}
        )
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            raise InvalidScoring("scores.criteria.error.item", {"number": number})
        name = " ".join(str(item.get("name") or "").split())
        if not name:
            raise InvalidScoring("scores.criteria.error.no_name", {"number": number})
        if len(name) > MAX_CRITERION_NAME:
            raise InvalidScoring(
                "scores.criteria.error.long_name",
                {"number": number, "limit": MAX_CRITERION_NAME},
            )
        folded = name.casefold()
        if folded in seen:
            raise InvalidScoring("scores.criteria.error.duplicate", {"name": name})
        seen.add(folded)
        weight = item.get("weight")
        # bool is an int in Python; `true` in a JSON file is not a weight.
        if isinstance(weight, bool) or not isinstance(weight, int) or weight <= 0:
            raise InvalidScoring("scores.criteria.error.weight", {"name": name})
        criteria.append(Criterion(name, weight))
    total = sum(c.weight for c in criteria)
    if total != TOTAL_WEIGHT:
        raise InvalidScoring("scores.criteria.error.sum", {"total": total})
    return tuple(criteria)


def cohort_criteria(
    settings: Mapping[str, Any] | None, term: ProjectTerm = ProjectTerm.PROYEK_PERUBAHAN
) -> tuple[Criterion, ...]:
    """The cohort's criteria: its setting when present (validated), else the default set."""
    stored = (settings or {}).get(SETTINGS_KEY)
    if stored is None:
        return default_criteria(term)
    return parse_criteria(stored)


def parse_score(text: str | None) -> int:
    """A score as an examiner types it: a whole number 0-100 ("85"). Raises InvalidScoring."""
    cleaned = (text or "").strip()
    if not cleaned.isascii() or not cleaned.isdigit():
        raise InvalidScoring("scores.error.not_a_number", {"value": cleaned[:20]})
    value = int(cleaned)
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise InvalidScoring("scores.error.range", {"min": MIN_SCORE, "max": MAX_SCORE})
    return value


def weighted_total(scores: Sequence[tuple[int, int | None]]) -> Decimal | None:
    """The weighted total of (weight, score) pairs on the 0-100 scale, exact to 0.01;
    None while any criterion is unscored or the weights do not make 100."""
    if not scores or any(score is None for _, score in scores):
        return None
    weights = sum(weight for weight, _ in scores)
    if weights != TOTAL_WEIGHT:
        return None
    points = sum(weight * (score or 0) for weight, score in scores)
    return (Decimal(points) / TOTAL_WEIGHT).quantize(Decimal("0.01"))


def mean_total(totals: Sequence[Decimal]) -> Decimal | None:
    """The mean of several examiners' totals for one presenter, to 0.01; None without any."""
    if not totals:
        return None
    return (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01"))


def format_score(value: Decimal | int | None, language: str | None) -> str:
    """A total as people write it: "82,50" in Indonesian, "82.50" in English; "-" for none."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return format_decimal(value, format="0.00", locale=resolve_language(language))
