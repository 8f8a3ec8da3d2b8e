"""Seminar times, places and links as organizers type them, and when the reminders go out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from domain.dates import InvalidDate
from domain.seminar_time import (
    InvalidSeminarInput,
    Venue,
    local_to_utc,
    parse_moment,
    parse_user_time,
    parse_venue,
    plan_sends,
)
from domain.timezones import WIB, WIT, WITA

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 08.00 WIB on Monday 2 November 2026


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("09.00", time(9, 0)),
        ("9:00", time(9, 0)),
        ("14.30", time(14, 30)),
        ("0900", time(9, 0)),
        ("930", time(9, 30)),
        ("9", time(9, 0)),
        ("  pukul 13.15 ", time(13, 15)),
        ("jam 8", time(8, 0)),
        ("00.00", time(0, 0)),
        ("23:59", time(23, 59)),
    ],
)
def test_times_as_people_type_them(typed: str, expected: time) -> None:
    assert parse_user_time(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "seminar.time.error.empty"),
        ("   ", "seminar.time.error.empty"),
        ("25.00", "seminar.time.error.out_of_range"),
        ("9.75", "seminar.time.error.out_of_range"),
        ("9.00 WIB", "seminar.time.error.not_understood"),
        ("pagi", "seminar.time.error.not_understood"),
        ("9.5", "seminar.time.error.not_understood"),
    ],
)
def test_times_that_are_refused_say_why(typed: str, code: str) -> None:
    with pytest.raises(InvalidSeminarInput) as caught:
        parse_user_time(typed)
    assert caught.value.code == code


def test_a_local_time_is_stored_as_utc_in_each_zone() -> None:
    day, clock = date(2026, 12, 10), time(9, 0)
    assert local_to_utc(day, clock, WIB) == datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
    assert local_to_utc(day, clock, WITA) == datetime(2026, 12, 10, 1, 0, tzinfo=UTC)
    assert local_to_utc(day, clock, WIT) == datetime(2026, 12, 10, 0, 0, tzinfo=UTC)


def test_a_moment_from_the_command_line() -> None:
    assert parse_moment("2026-12-10 09:00", zone=WIB, now=NOW) == datetime(
        2026, 12, 10, 2, 0, tzinfo=UTC
    )
    assert parse_moment("10 Des 2026 14.30", zone=WIT, now=NOW) == datetime(
        2026, 12, 10, 5, 30, tzinfo=UTC
    )
    with pytest.raises(InvalidSeminarInput) as caught:
        parse_moment("2026-12-10", zone=WIB, now=NOW)
    assert caught.value.code == "seminar.moment.error.shape"
    with pytest.raises(InvalidDate):
        parse_moment("2026-13-10 09:00", zone=WIB, now=NOW)


def test_places_and_links() -> None:
    assert parse_venue("  Aula BPSDM   Lantai 2 ") == Venue(place="Aula BPSDM Lantai 2", link=None)
    assert parse_venue("https://zoom.us/j/123?pwd=x") == Venue(
        place=None, link="https://zoom.us/j/123?pwd=x"
    )
    assert parse_venue("HTTP://meet.google.com/abc").link == "HTTP://meet.google.com/abc"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "seminar.place.error.empty"),
        ("ftp://files.example.org/x", "seminar.link.error.scheme"),
        ("https://", "seminar.link.error.host"),
        ("https://zoom", "seminar.link.error.host"),
        ("https://zoom.us/j/1 23", "seminar.link.error.host"),
        ("x" * 301, "seminar.place.error.too_long"),
        ("https://zoom.us/" + "a" * 1000, "seminar.link.error.too_long"),
    ],
)
def test_bad_places_and_links_are_refused(typed: str, code: str) -> None:
    with pytest.raises(InvalidSeminarInput) as caught:
        parse_venue(typed)
    assert caught.value.code == code


def test_the_notice_goes_now_and_each_reminder_before_the_seminar() -> None:
    starts = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
    sends = plan_sends(starts, NOW, first="notice")
    assert [(s.tag, s.not_before, s.expires_at) for s in sends] == [
        ("notice", NOW, starts),
        ("d7", starts - timedelta(days=7), starts - timedelta(days=1)),
        ("d1", starts - timedelta(days=1), starts - timedelta(hours=2)),
        ("h2", starts - timedelta(hours=2), starts),
    ]


def test_reminders_already_past_when_planned_are_skipped() -> None:
    starts = NOW + timedelta(days=3)
    assert [s.tag for s in plan_sends(starts, NOW, first="change")] == ["change", "d1", "h2"]
    assert [s.tag for s in plan_sends(NOW + timedelta(hours=2), NOW, first="notice")] == ["notice"]
    assert [s.tag for s in plan_sends(NOW + timedelta(days=7), NOW, first="notice")] == [
        "notice",
        "d1",
        "h2",
    ]
