"""A cohort's settings as the web desk's form: read the stored settings into fields, check
what an organizer typed field by field, and save a change with an audit entry naming every
field that changed, before and after.

The settings live in `Cohort.settings`: its "reminders" object (domain.schedule, read by the
reminder sweep on every run), "project_term" (domain.project_term), and "language" and
"timezone" for what goes to the cohort as a whole (group posts, seminar notices). Only values
that differ from the defaults are stored, so a cohort nobody tuned follows the defaults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.i18n import SUPPORTED_LANGUAGES
from domain.project_term import SETTINGS_KEY as TERM_KEY
from domain.project_term import ProjectTerm, parse_term
from domain.schedule import (
    MAX_OFFSET_DAYS,
    MAX_WAIT_DAYS,
    SETTINGS_KEY,
    InvalidReminderSettings,
    ReminderSettings,
)
from domain.timezones import ZONES_BY_LABEL
from models import Cohort
from services import audit

AUDIT_ACTION = "cohort.settings"
DEFAULTS = ReminderSettings()
# Zones a cohort can default to: Indonesia's three.
ZONE_CHOICES = tuple(ZONES_BY_LABEL)
_CLOCK = re.compile(r"^(\d{1,2})[.:](\d{2})$")
_LIST_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class SettingsForm:
    """The form's fields as text, so a refused form comes back as the organizer typed it.
    An empty number or choice switches that reminder off or leaves the default."""

    before_days: str
    overdue: bool
    send_at: str
    quiet_start: str
    quiet_end: str
    nudge_after_days: str
    feedback_after_days: str
    escalate_after_days: str
    seminar_materials_days: str
    digest_weekday: str
    digest_at: str
    project_term: str
    language: str
    timezone: str


FIELD_NAMES = tuple(f.name for f in fields(SettingsForm))


@dataclass(frozen=True)
class Problem:
    """A field that cannot be saved: the catalog key and its parameters."""

    key: str
    params: Mapping[str, object]


@dataclass(frozen=True)
class Checked:
    """A form that passed: the new `Cohort.settings` entries (None removes one)."""

    reminders: dict[str, Any]
    project_term: str | None
    language: str | None
    timezone: str | None


def _clock_text(moment: time) -> str:
    return f"{moment.hour:02d}.{moment.minute:02d}"


def _days_text(value: int | None) -> str:
    return "" if value is None else str(value)


def stored_reminders(settings: Mapping[str, Any] | None) -> tuple[ReminderSettings, bool]:
    """The cohort's reminder settings as the sweep reads them, and whether the stored ones
    could be read (the sweep uses the defaults when they cannot)."""
    try:
        return ReminderSettings.from_cohort_settings(settings), True
    except InvalidReminderSettings:
        return DEFAULTS, False


def form_of(settings: Mapping[str, Any] | None) -> tuple[SettingsForm, bool]:
    """The form filled with a cohort's settings in force; False when the stored reminder
    settings were unreadable and the defaults are shown (and applied by the sweep)."""
    stored = settings or {}
    reminders, readable = stored_reminders(stored)
    term = stored.get(TERM_KEY)
    try:
        term_value = parse_term(term).value if term is not None else ""
    except ValueError:
        term_value = ""
    zone, language = stored.get("timezone"), stored.get("language")
    return (
        SettingsForm(
            before_days=", ".join(str(d) for d in reminders.before_days),
            overdue=reminders.overdue,
            send_at=_clock_text(reminders.send_at),
            quiet_start=_clock_text(reminders.quiet_start),
            quiet_end=_clock_text(reminders.quiet_end),
            nudge_after_days=_days_text(reminders.nudge_after_days),
            feedback_after_days=_days_text(reminders.feedback_after_days),
            escalate_after_days=_days_text(reminders.escalate_after_days),
            seminar_materials_days=_days_text(reminders.seminar_materials_days),
            digest_weekday=_days_text(reminders.digest_weekday),
            digest_at=_clock_text(reminders.digest_at),
            project_term=term_value,
            language=language if language in SUPPORTED_LANGUAGES else "",
            timezone=_zone_choice(zone),
        ),
        readable,
    )


def _zone_choice(value: object) -> str:
    """The stored zone as its label (WIB, WITA, WIT), or "" when unset or unknown."""
    if not isinstance(value, str):
        return ""
    for label, zone in ZONES_BY_LABEL.items():
        if value in (label, zone.key):
            return label
    return ""


def form_from(raw: Mapping[str, object]) -> SettingsForm:
    """The posted fields as a form (missing text fields empty; the checkbox off unless sent)."""

    def text(name: str) -> str:
        value = raw.get(name)
        return value.strip() if isinstance(value, str) else ""

    values: dict[str, Any] = {name: text(name) for name in FIELD_NAMES}
    values["overdue"] = text("overdue") == "1"
    return SettingsForm(**values)


def check(form: SettingsForm) -> Checked | dict[str, Problem]:
    """The form's values, or a problem per field that cannot be saved."""
    problems: dict[str, Problem] = {}
    values: dict[str, Any] = {"overdue": form.overdue}

    days = [d for d in _LIST_SEPARATORS.split(form.before_days) if d]
    if not all(d.isdigit() and 1 <= int(d) <= MAX_OFFSET_DAYS for d in days):
        problems["before_days"] = Problem("web.settings.error.offsets", {"max": MAX_OFFSET_DAYS})
    elif len(set(map(int, days))) != len(days):
        problems["before_days"] = Problem("web.settings.error.offsets_repeat", {})
    else:
        values["before_days"] = tuple(sorted({int(d) for d in days}, reverse=True))

    for name, limit in (
        ("nudge_after_days", MAX_WAIT_DAYS),
        ("feedback_after_days", MAX_WAIT_DAYS),
        ("escalate_after_days", MAX_WAIT_DAYS),
        ("seminar_materials_days", MAX_OFFSET_DAYS),
    ):
        raw = getattr(form, name)
        if raw == "":
            values[name] = None
        elif raw.isdigit() and 1 <= int(raw) <= limit:
            values[name] = int(raw)
        else:
            problems[name] = Problem("web.settings.error.days", {"max": limit})

    for name in ("send_at", "quiet_start", "quiet_end", "digest_at"):
        moment = _parse_clock(getattr(form, name))
        if moment is None:
            problems[name] = Problem("web.settings.error.clock", {})
        else:
            values[name] = moment

    if form.digest_weekday == "":
        values["digest_weekday"] = None
    elif form.digest_weekday.isdigit() and int(form.digest_weekday) <= 6:
        values["digest_weekday"] = int(form.digest_weekday)
    else:
        problems["digest_weekday"] = Problem("web.settings.error.choice", {})

    if form.project_term not in ("", *(term.value for term in ProjectTerm)):
        problems["project_term"] = Problem("web.settings.error.choice", {})
    if form.language not in ("", *SUPPORTED_LANGUAGES):
        problems["language"] = Problem("web.settings.error.choice", {})
    if form.timezone not in ("", *ZONE_CHOICES):
        problems["timezone"] = Problem("web.settings.error.choice", {})

    if all(name in values for name in ("send_at", "quiet_start", "quiet_end", "digest_at")):
        # The sweep's own rule: sending (and the digest) never falls in the quiet hours. The
        # end of the quiet hours is never inside them, so these settings can be built.
        end = values["quiet_end"]
        quiet = ReminderSettings(
            quiet_start=values["quiet_start"], quiet_end=end, send_at=end, digest_at=end
        )
        for name in ("send_at", "digest_at"):
            if quiet.is_quiet(values[name]):
                problems[name] = Problem(
                    "web.settings.error.quiet",
                    {"start": form.quiet_start, "end": form.quiet_end},
                )
    if problems:
        return problems
    return Checked(
        reminders=_reminders_json(values),
        project_term=form.project_term or None,
        language=form.language or None,
        timezone=ZONES_BY_LABEL[form.timezone].key if form.timezone else None,
    )


def _parse_clock(raw: str) -> time | None:
    found = _CLOCK.match(raw)
    if found is None or int(found[1]) > 23 or int(found[2]) > 59:
        return None
    return time(int(found[1]), int(found[2]))


def _reminders_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """The "reminders" object for the values that differ from the defaults."""
    out: dict[str, Any] = {}
    if values["before_days"] != DEFAULTS.before_days:
        out["before_days"] = list(values["before_days"])
    for name in (
        "overdue",
        "nudge_after_days",
        "feedback_after_days",
        "escalate_after_days",
        "seminar_materials_days",
        "digest_weekday",
    ):
        if values[name] != getattr(DEFAULTS, name):
            out[name] = values[name]
    for name in ("send_at", "digest_at"):
        if values[name] != getattr(DEFAULTS, name):
            out[name] = _clock_text(values[name])
    if (values["quiet_start"], values["quiet_end"]) != (DEFAULTS.quiet_start, DEFAULTS.quiet_end):
        out["quiet_hours"] = [_clock_text(values["quiet_start"]), _clock_text(values["quiet_end"])]
    return out


def _effective(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every setting as it is in force, for comparing before and after in the audit log."""
    form, _ = form_of(settings)
    return {name: getattr(form, name) for name in FIELD_NAMES}


def save(
    session: AsyncSession,
    cohort: Cohort,
    checked: Checked,
    *,
    now: datetime,
    actor_id: int | None,
    actor_label: str | None = None,
) -> list[str]:
    """Store the checked form in the cohort; audited with each changed field's value before
    and after. Returns the names of the fields that changed (none: nothing written)."""
    before = dict(cohort.settings or {})
    after = dict(before)
    for key, value in (
        (SETTINGS_KEY, checked.reminders or None),
        (TERM_KEY, checked.project_term),
        ("language", checked.language),
        ("timezone", checked.timezone),
    ):
        if value is None:
            after.pop(key, None)
        else:
            after[key] = value
    old, new = _effective(before), _effective(after)
    changed = [name for name in FIELD_NAMES if old[name] != new[name]]
    if not changed and after == before:
        return []
    cohort.settings = after  # a new dict: JSON columns notice reassignment, not mutation
    if changed:
        audit.record(
            session,
            AUDIT_ACTION,
            at=now,
            actor_id=actor_id,
            actor_label=actor_label,
            cohort_id=cohort.id,
            details={"changed": {name: [old[name], new[name]] for name in changed}},
        )
    return changed
