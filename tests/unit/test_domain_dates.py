"""Unit tests for reading the dates people type in chat."""

from datetime import date

import pytest

from domain.dates import (
    MONTHS,
    InvalidDate,
    add_month,
    check_not_past,
    next_weekday,
    parse_user_date,
    parse_user_range,
)
from domain.i18n import translator

TODAY = date(2026, 6, 10)  # a Wednesday
CHRISTMAS = date(2026, 12, 25)


@pytest.mark.parametrize(
    "typed",
    [
        "25 Des",
        "25 Desember",
        "25 des 2026",
        "25 DESEMBER 2026",
        "25 Dec",
        "25 December 2026",
        "25 dec 26",
        "25 Des.",
        "25 Des. 2026",
        "25-Des-2026",
        "25Des",
        "25th December",
        "Dec 25",
        "December 25, 2026",
        "dec. 25 2026",
        "25/12/2026",
        "25-12-2026",
        "25.12.2026",
        "25.12.2026.",
        "25/12/26",
        "25/12",
        "25-12",
        "25.12",
        "2026-12-25",
        "2026/12/25",
        "  25   Des  ",
        "25\u00a0Des",  # a non-breaking space pasted from a document
        "Jumat, 25 Desember 2026",  # as the bot prints dates
        "Friday, 25 December 2026",
        "Jumat 25 Des",
    ],
)
def test_explicit_dates(typed: str) -> None:
    assert parse_user_date(typed, today=TODAY) == CHRISTMAS


@pytest.mark.parametrize(
    ("typed", "month"),
    [
        ("Jan", 1),
        ("Januari", 1),
        ("Feb", 2),
        ("Peb", 2),
        ("Pebruari", 2),
        ("Februari", 2),
        ("Mar", 3),
        ("Mrt", 3),
        ("Maret", 3),
        ("Apr", 4),
        ("Mei", 5),
        ("May", 5),
        ("Jun", 6),
        ("Juni", 6),
        ("Jul", 7),
        ("Juli", 7),
        ("Agu", 8),
        ("Agt", 8),
        ("Agustus", 8),
        ("Aug", 8),
        ("Sep", 9),
        ("Sept", 9),
        ("Okt", 10),
        ("Oct", 10),
        ("Oktober", 10),
        ("Nop", 11),
        ("Nov", 11),
        ("Nopember", 11),
        ("Des", 12),
        ("Dec", 12),
    ],
)
def test_month_names_and_abbreviations(typed: str, month: int) -> None:
    assert parse_user_date(f"15 {typed} 2027", today=TODAY) == date(2027, month, 15)
    assert MONTHS[typed.lower()] == month


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hari ini", TODAY),
        ("Hari Ini", TODAY),
        ("today", TODAY),
        ("besok", date(2026, 6, 11)),
        ("Besok.", date(2026, 6, 11)),
        ("tomorrow", date(2026, 6, 11)),
        ("lusa", date(2026, 6, 12)),
        ("minggu depan", date(2026, 6, 17)),
        ("pekan depan", date(2026, 6, 17)),
        ("next week", date(2026, 6, 17)),
        ("bulan depan", date(2026, 7, 10)),
        ("next month", date(2026, 7, 10)),
    ],
)
def test_relative_words(typed: str, expected: date) -> None:
    assert parse_user_date(typed, today=TODAY) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 12, 15), date(2027, 1, 15)),
        (date(2026, 12, 31), date(2027, 1, 31)),
    ],
)
def test_next_month_is_clamped_to_the_month_end(today: date, expected: date) -> None:
    assert parse_user_date("bulan depan", today=today) == expected
    assert add_month(today) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Jumat", date(2026, 6, 12)),
        ("jumat depan", date(2026, 6, 12)),
        ("Jum'at", date(2026, 6, 12)),
        ("hari Jumat", date(2026, 6, 12)),
        ("Friday", date(2026, 6, 12)),
        ("next friday", date(2026, 6, 12)),
        ("fri", date(2026, 6, 12)),
        ("Kamis", date(2026, 6, 11)),
        ("Senin", date(2026, 6, 15)),
        ("Minggu", date(2026, 6, 14)),
        ("Ahad", date(2026, 6, 14)),
        ("Sunday", date(2026, 6, 14)),
        ("Selasa", date(2026, 6, 16)),
        ("Sabtu", date(2026, 6, 13)),
        # Today is a Wednesday: "Rabu" is next week's, never today.
        ("Rabu", date(2026, 6, 17)),
        ("next wednesday", date(2026, 6, 17)),
    ],
)
def test_weekdays_mean_the_next_such_day_after_today(typed: str, expected: date) -> None:
    assert parse_user_date(typed, today=TODAY) == expected


def test_next_weekday_for_every_pair_of_days() -> None:
    for offset in range(7):
        today = date(2026, 6, 8 + offset)  # Monday 8 June to Sunday 14 June
        for weekday in range(7):
            found = next_weekday(weekday, today)
            assert found.weekday() == weekday
            assert 1 <= (found - today).days <= 7


def test_minggu_depan_is_a_week_not_a_sunday() -> None:
    assert parse_user_date("minggu depan", today=TODAY) == date(2026, 6, 17)
    assert parse_user_date("hari minggu depan", today=TODAY) == date(2026, 6, 14)


def test_date_without_year_rolls_over_to_next_year() -> None:
    today = date(2026, 12, 30)

    assert parse_user_date("5 Jan", today=today) == date(2027, 1, 5)
    assert parse_user_date("05/01", today=today) == date(2027, 1, 5)
    assert parse_user_date("Jan 5", today=today) == date(2027, 1, 5)
    assert parse_user_date("31 Des", today=today) == date(2026, 12, 31)
    assert parse_user_date("30/12", today=today) == today  # today is not past
    assert parse_user_date("29 Des", today=today) == date(2027, 12, 29)


def test_two_digit_years_are_this_century() -> None:
    assert parse_user_date("1/2/27", today=TODAY) == date(2027, 2, 1)
    assert parse_user_date("1/2/00", today=TODAY) == date(2000, 2, 1)
    assert parse_user_date("1/2/99", today=TODAY) == date(2099, 2, 1)


def test_leap_day() -> None:
    assert parse_user_date("29/02/2028", today=TODAY) == date(2028, 2, 29)
    assert parse_user_date("29 Feb", today=date(2027, 12, 1)) == date(2028, 2, 29)


def _error(typed: str, today: date = TODAY) -> InvalidDate:
    with pytest.raises(InvalidDate) as caught:
        parse_user_date(typed, today=today)
    return caught.value


@pytest.mark.parametrize("typed", ["", "   ", ".", "\n"])
def test_empty(typed: str) -> None:
    error = _error(typed)
    assert (error.code, error.params) == ("date.error.empty", {})


@pytest.mark.parametrize(
    "typed",
    [
        "kapan-kapan",
        "25 Foo",
        "Foo 25",
        "25 12 2026",
        "25/12.2026",
        "2026",
        "Desember 2026",
        "25/12/202",
        "besok lusa sore",
        "jumat kemarin",
        "next",
        "Hari",
    ],
)
def test_not_understood_echoes_the_text(typed: str) -> None:
    error = _error(typed)
    assert error.code == "date.error.not_understood"
    assert error.params == {"value": typed.strip()}


def test_long_input_is_shortened_in_the_echo() -> None:
    error = _error("x" * 500)
    value = error.params["value"]
    assert isinstance(value, str)
    assert len(value) <= 40
    assert value.endswith("…")


@pytest.mark.parametrize(
    "typed", ["31/02", "31/02/2026", "30 Feb", "31 Nop 2026", "0/12", "25/13/2026", "2026-02-30"]
)
def test_impossible_dates(typed: str) -> None:
    error = _error(typed)
    assert (error.code, error.params) == ("date.error.impossible", {"value": typed})


def test_leap_day_without_year_in_a_common_year_is_impossible() -> None:
    assert _error("29 Feb", today=date(2026, 1, 10)).code == "date.error.impossible"


@pytest.mark.parametrize(("typed", "year"), [("25/12/1999", 1999), ("2101-01-01", 2101)])
def test_year_out_of_range(typed: str, year: int) -> None:
    error = _error(typed)
    assert error.code == "date.error.year_range"
    assert error.params == {"year": year, "min": 2000, "max": 2100}


def test_boundary_years_are_accepted() -> None:
    assert parse_user_date("1 Jan 2000", today=TODAY) == date(2000, 1, 1)
    assert parse_user_date("31/12/2100", today=TODAY) == date(2100, 12, 31)


def test_weekday_that_contradicts_the_date() -> None:
    error = _error("Kamis, 25 Desember 2026")
    assert (error.code, error.params) == (
        "date.error.weekday_mismatch",
        {"value": "Kamis, 25 Desember 2026"},
    )


def test_past_dates_are_refused_but_today_is_fine() -> None:
    check_not_past(TODAY, TODAY)
    check_not_past(date(2026, 6, 11), TODAY)

    with pytest.raises(InvalidDate) as caught:
        check_not_past(date(2026, 6, 9), TODAY)

    assert caught.value.code == "date.error.past"
    assert caught.value.params == {"date": date(2026, 6, 9), "today": TODAY}


def test_past_date_message_in_both_languages() -> None:
    with pytest.raises(InvalidDate) as caught:
        check_not_past(date(2024, 12, 19), TODAY)
    error = caught.value

    assert translator("id")(error.code, **error.params_for("id")) == (
        "Tanggal Kamis, 19 Desember 2024 sudah lewat. "
        "Silakan masukkan tanggal hari ini atau sesudahnya."
    )
    assert translator("en")(error.code, **error.params_for("en")).startswith(
        "Thursday, 19 December 2024 has already passed."
    )


def test_every_error_renders_in_both_languages() -> None:
    errors = [
        _error(""),
        _error("foo"),
        _error("31/02"),
        _error("1/1/1999"),
        _error("Kamis, 25/12"),
    ]
    for language in ("id", "en"):
        for error in errors:
            assert translator(language)(error.code, **error.params_for(language))


def test_not_understood_message_shows_examples() -> None:
    text = translator("id")("date.error.not_understood", value="kapan-kapan")
    for example in ("25 Des", "25/12/2026", "besok", "minggu depan"):
        assert example in text


NOV_2 = date(2026, 11, 2)  # so that "24/12 - 2/1" runs over the new year


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("24/12 - 2/1", (date(2026, 12, 24), date(2027, 1, 2))),
        ("24 Des sampai 2 Jan", (date(2026, 12, 24), date(2027, 1, 2))),
        ("24 Dec to 2 Jan", (date(2026, 12, 24), date(2027, 1, 2))),
        ("24/12 s.d. 2/1", (date(2026, 12, 24), date(2027, 1, 2))),
        ("24/12-2/1", (date(2026, 12, 24), date(2027, 1, 2))),
        ("24/12 – 26/12", (date(2026, 12, 24), date(2026, 12, 26))),
        ("2026-12-24", (date(2026, 12, 24), date(2026, 12, 24))),
        ("24-12", (date(2026, 12, 24), date(2026, 12, 24))),
        ("besok sampai lusa", (date(2026, 11, 3), date(2026, 11, 4))),
    ],
)
def test_ranges_as_people_type_them(typed: str, expected: tuple[date, date]) -> None:
    assert parse_user_range(typed, today=NOV_2) == expected
