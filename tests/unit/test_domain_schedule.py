"""Reminder settings per cohort, send moments in each zone, quiet hours and staleness."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.schedule import (
    InvalidReminderSettings,
    ReminderSettings,
    digest_moment,
    iso_week,
    local_day,
    milestone_slots,
    next_allowed,
    noon,
    send_moment,
    slot_offsets,
    stale_after,
    week_start,
)
from domain.timezones import WIB, WIT, WITA

DEFAULTS = ReminderSettings()


def test_defaults_are_the_documented_ones() -> None:
    assert ReminderSettings.from_cohort_settings({}) == DEFAULTS
    assert ReminderSettings.from_cohort_settings(None) == DEFAULTS
    assert ReminderSettings.from_cohort_settings({"language": "id"}) == DEFAULTS
    assert DEFAULTS.before_days == (7, 3, 1)
    assert DEFAULTS.overdue
    assert (DEFAULTS.nudge_after_days, DEFAULTS.feedback_after_days) == (7, 3)
    assert DEFAULTS.escalate_after_days == 3
    assert (DEFAULTS.send_at, DEFAULTS.quiet_start, DEFAULTS.quiet_end) == (
        time(8),
        time(21),
        time(6),
    )
    assert (DEFAULTS.digest_weekday, DEFAULTS.digest_at) == (0, time(8))


def test_a_cohort_can_change_every_setting() -> None:
    settings = ReminderSettings.from_cohort_settings(
        {
            "reminders": {
                "before_days": [1, 14, 2],
                "overdue": False,
                "nudge_after_days": 10,
                "feedback_after_days": 2,
                "escalate_after_days": None,
                "send_at": "07:30",
                "quiet_hours": ["22.00", "05.00"],
                "digest_weekday": "Jumat",
                "digest_at": "16.00",
            }
        }
    )
    assert settings == ReminderSettings(
        before_days=(14, 2, 1),
        overdue=False,
        nudge_after_days=10,
        feedback_after_days=2,
        escalate_after_days=None,
        send_at=time(7, 30),
        quiet_start=time(22),
        quiet_end=time(5),
        digest_weekday=4,
        digest_at=time(16),
    )
    assert slot_offsets(settings) == {14, 2, 1}


@pytest.mark.parametrize(
    ("reminders", "says"),
    [
        ("every day", "must be an object"),
        ({"befor_days": [7]}, "unknown reminders setting(s) befor_days"),
        ({"before_days": 7}, "list of whole days"),
        ({"before_days": [7, True]}, "list of whole days"),
        ({"before_days": [0, 3]}, "between 1 and 60"),
        ({"before_days": [3, 3]}, "repeats a day"),
        ({"nudge_after_days": 0}, "nudge_after_days must be a whole number"),
        ({"feedback_after_days": "3"}, "feedback_after_days must be a whole number"),
        ({"escalate_after_days": 2.5}, "escalate_after_days must be a whole number"),
        ({"overdue": "yes"}, "overdue must be true or false"),
        ({"send_at": "8 pagi"}, 'send_at must be a local time like "08.00"'),
        ({"send_at": "24.00"}, "send_at must be a local time"),
        ({"send_at": "22.00"}, "send_at 22.00 falls in the quiet hours 21.00-06.00"),
        ({"digest_at": "05.59"}, "digest_at 05.59 falls in the quiet hours"),
        ({"quiet_hours": "21-6"}, "quiet_hours must be [start, end]"),
        ({"digest_weekday": 7}, "digest_weekday must be 0-6"),
        ({"digest_weekday": "someday"}, "digest_weekday must be 0-6"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(reminders: Any, says: str) -> None:
    with pytest.raises(InvalidReminderSettings, match=re.escape(says)):
        ReminderSettings.from_cohort_settings({"reminders": reminders})


def test_null_switches_a_reminder_off_and_equal_quiet_hours_mean_none() -> None:
    settings = ReminderSettings.from_cohort_settings(
        {
            "reminders": {
                "nudge_after_days": None,
                "digest_weekday": None,
                "quiet_hours": ["00.00", "00.00"],
                "send_at": "23.30",
            }
        }
    )
    assert settings.nudge_after_days is None and settings.digest_weekday is None
    assert not settings.is_quiet(time(3)) and not settings.is_quiet(time(23, 30))


def test_the_send_time_is_local_in_each_zone() -> None:
    day = date(2026, 12, 18)
    assert send_moment(day, WIB, DEFAULTS) == datetime(2026, 12, 18, 1, 0, tzinfo=UTC)
    assert send_moment(day, WITA, DEFAULTS) == datetime(2026, 12, 18, 0, 0, tzinfo=UTC)
    assert send_moment(day, WIT, DEFAULTS) == datetime(2026, 12, 17, 23, 0, tzinfo=UTC)


def test_one_instant_is_quiet_for_some_and_not_for_others() -> None:
    """13.30 UTC: 20.30 in Palembang (WIB), 21.30 in Makassar (WITA), 22.30 in Jayapura (WIT)."""
    instant = datetime(2026, 12, 18, 13, 30, tzinfo=UTC)
    assert next_allowed(instant, WIB, DEFAULTS) == instant
    # WITA and WIT wait for their own 06.00 the next morning.
    assert next_allowed(instant, WITA, DEFAULTS) == datetime(2026, 12, 18, 22, 0, tzinfo=UTC)
    assert next_allowed(instant, WIT, DEFAULTS) == datetime(2026, 12, 18, 21, 0, tzinfo=UTC)
    # In the small hours the end of the quiet hours is the same morning.
    early = datetime(2026, 12, 18, 20, 0, tzinfo=UTC)  # the 19th: 03.00 WIB, 04.00 WITA, 05.00 WIT
    for zone in (WIB, WITA, WIT):
        moved = next_allowed(early, zone, DEFAULTS).astimezone(zone)
        assert (moved.date(), moved.time()) == (date(2026, 12, 19), time(6))


def test_a_send_time_in_the_quiet_hours_moves_to_the_morning() -> None:
    late = send_moment(date(2026, 12, 18), WIT, DEFAULTS, time(23, 15)).astimezone(WIT)
    assert (late.date(), late.time()) == (date(2026, 12, 19), time(6))
    daytime_quiet = ReminderSettings(quiet_start=time(12), quiet_end=time(13), send_at=time(8))
    assert daytime_quiet.is_quiet(time(12, 30)) and not daytime_quiet.is_quiet(time(21))
    lunch = send_moment(date(2026, 12, 18), WIB, daytime_quiet, time(12, 15)).astimezone(WIB)
    assert lunch.time() == time(13)


def test_a_message_goes_stale_when_the_quiet_hours_begin_or_the_day_ends() -> None:
    moment = send_moment(date(2026, 12, 18), WITA, DEFAULTS)
    assert stale_after(moment, WITA, DEFAULTS).astimezone(WITA) == datetime(
        2026, 12, 18, 21, 0, tzinfo=WITA
    )
    no_quiet = ReminderSettings(quiet_start=time(0), quiet_end=time(0))
    moment = send_moment(date(2026, 12, 18), WIT, no_quiet)
    assert stale_after(moment, WIT, no_quiet).astimezone(WIT) == datetime(
        2026, 12, 19, 0, 0, tzinfo=WIT
    )


def test_milestone_reminder_days() -> None:
    slots = milestone_slots(date(2026, 12, 25), DEFAULTS)
    assert [(s.name, s.day, s.days_left) for s in slots] == [
        ("before7", date(2026, 12, 18), 7),
        ("before3", date(2026, 12, 22), 3),
        ("before1", date(2026, 12, 24), 1),
        ("overdue", date(2026, 12, 26), -1),
    ]
    assert slot_offsets(DEFAULTS) == {7, 3, 1, -1}
    assert [s.name for s in milestone_slots(date(2026, 12, 25), ReminderSettings(overdue=False))][
        -1
    ] == "before1"


def test_the_weekly_digest_is_monday_morning_in_the_mentors_zone() -> None:
    thursday = date(2026, 12, 24)
    monday = week_start(thursday, DEFAULTS.digest_weekday or 0)
    assert monday == date(2026, 12, 21) and week_start(monday, 0) == monday
    assert iso_week(monday) == "2026-W52" and iso_week(date(2027, 1, 1)) == "2026-W53"
    assert digest_moment(monday, WIT, DEFAULTS) == datetime(2026, 12, 20, 23, 0, tzinfo=UTC)
    assert digest_moment(monday, WIB, DEFAULTS) == datetime(2026, 12, 21, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("reader", [WIB, WITA, WIT, ZoneInfo("Europe/Amsterdam"), UTC])
@pytest.mark.parametrize("writer", [WIB, WITA, WIT])
def test_a_date_sent_as_noon_reads_as_the_same_date_everywhere(
    writer: ZoneInfo, reader: ZoneInfo
) -> None:
    due = date(2026, 12, 25)
    assert local_day(noon(due, writer), reader) == due  # type: ignore[arg-type]
