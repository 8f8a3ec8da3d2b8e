"""A person's own data (services/personal_data.py) as a readable UTF-8 JSON file."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from domain.i18n import Translator, translator

DEFAULT_SECTIONS = (
    "profile",
    "memberships",
    "advisors",
    "advisees",
    "projects",
    "reports",
    "feedback_written",
    "feedback_received",
    "seminars",
    "seminar_materials",
    "seminar_attendance",
    "vacations",
    "pending_messages",
    "activity",
)


def file_name(day: date) -> str:
    """ "data-saya-2026-11-02.json": the day in the person's own zone."""
    return f"data-saya-{day.isoformat()}.json"


def render_personal_data(
    data: Mapping[str, Any],
    *,
    language: str,
    generated_at: datetime,
    sections: Sequence[str] = DEFAULT_SECTIONS,
) -> bytes:
    """Indented UTF-8 JSON: an "about" header explaining each section, then the sections.

    Sections come in the given order; any other keys of `data` follow, so nothing is dropped.
    """
    t = translator(language)
    ordered = [s for s in sections if s in data] + [k for k in data if k not in sections]
    document: dict[str, Any] = {
        "about": {
            "summary": t("datarights.about.summary"),
            "generated_at": generated_at.isoformat(),
            "times": t("datarights.about.times"),
            "sections": {s: _explain(t, s) for s in ordered},
        }
    }
    for section in ordered:
        document[section] = data[section]
    text = json.dumps(document, ensure_ascii=False, indent=2, default=_fallback)
    return (text + "\n").encode("utf-8")


def _explain(t: Translator, section: str) -> str:
    key = f"datarights.about.section.{section}"
    return t(key) if key in t.messages else section


def _fallback(value: object) -> str:
    # Services hand over ISO strings already; a stray date or datetime still renders sanely.
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON-friendly: {type(value).__name__}")
