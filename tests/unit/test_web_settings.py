"""The cohort settings form of the web desk: what an organizer types, checked field by field,
stored as the reminder sweep reads it, and read back into the form; the audit log's filter."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest

from domain.project_term import ProjectTerm, project_term
from domain.schedule import ReminderSettings
from services.web_audit import AuditFilter, parse_filter
from services.web_settings import Checked, SettingsForm, check, form_from, form_of

DEFAULTS, _ = form_of({})


def checked(form: SettingsForm) -> Checked:
    result = check(form)
    assert isinstance(result, Checked), result
    return result


def test_the_empty_settings_show_the_defaults_and_store_nothing() -> None:
    assert (
        SettingsForm(
            before_days="7, 3, 1",
            overdue=True,
            send_at="08.00",
            quiet_start="21.00",
            quiet_end="06.00",
            nudge_after_days="7",
            feedback_after_days="3",
            escalate_after_days="3",
            seminar_materials_days="3",
            digest_weekday="0",
            digest_at="08.00",
            project_term="",
            language="",
            timezone="",
        )
        == DEFAULTS
    )
    nothing = Checked(reminders={}, project_term=None, language=None, timezone=None)
    assert checked(DEFAULTS) == nothing


def test_changes_are_stored_as_the_sweep_reads_them_and_read_back_into_the_form() -> None:
    form = replace(
        DEFAULTS,
        before_days="3 ,10;1",
        overdue=False,
        send_at="9:30",
        quiet_start="22.00",
        quiet_end="05.00",
        nudge_after_days="",
        digest_weekday="",
        project_term="aksi_perubahan",
        language="en",
        timezone="WIT",
    )
    result = checked(form)
    stored = {
        "reminders": result.reminders,
        "project_term": result.project_term,
        "language": result.language,
        "timezone": result.timezone,
    }

    assert result.reminders == {
        "before_days": [10, 3, 1],
        "overdue": False,
        "nudge_after_days": None,
        "digest_weekday": None,
        "send_at": "09.30",
        "quiet_hours": ["22.00", "05.00"],
    }
    assert result.timezone == "Asia/Jayapura"
    reminders = ReminderSettings.from_cohort_settings(stored)
    assert reminders.before_days == (10, 3, 1) and reminders.nudge_after_days is None
    assert reminders.send_at == time(9, 30) and reminders.quiet_start == time(22, 0)
    assert project_term("PKN II", stored) is ProjectTerm.AKSI_PERUBAHAN
    shown, readable = form_of(stored)
    assert readable
    assert shown == replace(form, before_days="10, 3, 1", send_at="09.30")


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("before_days", "7, 0", "web.settings.error.offsets"),
        ("before_days", "61", "web.settings.error.offsets"),
        ("before_days", "tujuh", "web.settings.error.offsets"),
        ("before_days", "3, 3", "web.settings.error.offsets_repeat"),
        ("nudge_after_days", "0", "web.settings.error.days"),
        ("feedback_after_days", "91", "web.settings.error.days"),
        ("seminar_materials_days", "61", "web.settings.error.days"),
        ("escalate_after_days", "-1", "web.settings.error.days"),
        ("send_at", "8", "web.settings.error.clock"),
        ("quiet_end", "24.00", "web.settings.error.clock"),
        ("send_at", "23.00", "web.settings.error.quiet"),
        ("digest_at", "05.59", "web.settings.error.quiet"),
        ("digest_weekday", "7", "web.settings.error.choice"),
        ("project_term", "proyek", "web.settings.error.choice"),
        ("language", "jv", "web.settings.error.choice"),
        ("timezone", "Asia/Tokyo", "web.settings.error.choice"),
    ],
)
def test_each_bad_field_is_named_with_its_reason(field: str, value: str, key: str) -> None:
    changed: dict[str, object] = {field: value}
    problems = check(replace(DEFAULTS, **changed))  # type: ignore[arg-type]
    assert isinstance(problems, dict)
    assert list(problems) == [field] and problems[field].key == key


def test_no_before_days_and_no_quiet_hours_are_allowed() -> None:
    result = checked(replace(DEFAULTS, before_days="", quiet_start="00.00", quiet_end="00.00"))
    assert result.reminders == {"before_days": [], "quiet_hours": ["00.00", "00.00"]}
    assert ReminderSettings.from_cohort_settings({"reminders": result.reminders}).before_days == ()


def test_unreadable_stored_settings_show_the_defaults_the_sweep_uses() -> None:
    shown, readable = form_of({"reminders": {"before_days": "seven"}, "project_term": "x"})
    assert not readable and shown == DEFAULTS


def test_a_posted_form_keeps_what_was_typed_and_an_unticked_box_is_off() -> None:
    form = form_from({"before_days": " 10, 3 ", "send_at": "08.00", "csrf": "x"})
    assert form.before_days == "10, 3" and form.overdue is False and form.language == ""
    assert form_from({"overdue": "1"}).overdue is True


def test_the_audit_filter_reads_the_query_and_names_what_it_could_not() -> None:
    wanted, bad = parse_filter(
        {"aksi": "cohort.settings", "pelaku": "  Yulia   P ", "dari": "2026-11-01", "sampai": "x"}
    )
    assert wanted == AuditFilter("cohort.settings", "Yulia P", date(2026, 11, 1), None)
    assert bad == ["sampai"] and wanted.active
    assert not parse_filter({})[0].active
