"""Unit tests for NIP parsing and validation."""

from datetime import date

import pytest

from domain.nip import InvalidNip, Nip, normalize_nip, parse_nip

TODAY = date(2025, 3, 1)


def test_grouped_nip_is_split_into_its_parts() -> None:
    nip = parse_nip("19860926 201505 1 001", today=TODAY)

    assert nip.digits == "198609262015051001"
    assert nip.birth_date == date(1986, 9, 26)
    assert nip.appointment == (2015, 5)
    assert nip.gender == "male"
    assert nip.sequence == 1
    assert nip.formatted == "19860926 201505 1 001"


@pytest.mark.parametrize(
    "typed",
    [
        "198609262015051001",
        "  19860926 201505 1 001  ",
        "19860926.201505.1.001",
        "19860926-201505-1-001",
        "19860926\u00a0201505\u00a01\u00a0001",  # non-breaking spaces pasted from Word
        "19860926 – 201505 – 1 – 001",
    ],
)
def test_separators_people_type_are_accepted(typed: str) -> None:
    assert parse_nip(typed, today=TODAY).digits == "198609262015051001"


def test_female_gender_digit() -> None:
    nip = parse_nip("19900101 201403 2 015", today=TODAY)

    assert nip.gender == "female"
    assert nip.sequence == 15


def test_mask_hides_birth_date_appointment_and_gender() -> None:
    nip = parse_nip("19860926 201505 2 047", today=TODAY)

    assert nip.masked == "1986**** ****** * *47"
    for secret in ("0926", "201505", " 2 "):
        assert secret not in nip.masked


def test_repr_does_not_leak_personal_data() -> None:
    nip = parse_nip("19860926 201505 1 001", today=TODAY)

    assert "0926" not in repr(nip)
    assert "201505" not in repr(nip)
    assert nip.masked in repr(nip)


def test_nips_compare_by_value() -> None:
    assert parse_nip("198609262015051001", today=TODAY) == parse_nip(
        "19860926 201505 1 001", today=TODAY
    )
    assert isinstance(parse_nip("198609262015051001", today=TODAY), Nip)


def test_normalize_only_strips_separators() -> None:
    assert normalize_nip(" 1986.0926-x ") == "19860926x"


@pytest.mark.parametrize(
    ("raw", "code", "params"),
    [
        ("", "nip.error.empty", {}),
        ("  - . ", "nip.error.empty", {}),
        ("19860926 20150A 1 001", "nip.error.not_digits", {"char": "A"}),
        ("NIP 19860926 201505 1 001", "nip.error.not_digits", {"char": "N"}),
        ("19860926 201505 1 01", "nip.error.length", {"count": 17}),
        ("19860926 201505 1 0011", "nip.error.length", {"count": 19}),
        ("19861332 201505 1 001", "nip.error.birth_date", {"value": "19861332"}),
        ("19860230 201505 1 001", "nip.error.birth_date", {"value": "19860230"}),
        ("18860926 201505 1 001", "nip.error.birth_year", {"year": 1886}),
        ("20300926 201505 1 001", "nip.error.birth_year", {"year": 2030}),
        ("20100101 201505 1 001", "nip.error.birth_year", {"year": 2010}),  # 15 years old
        ("19860926 201513 1 001", "nip.error.appointment_month", {"month": "13"}),
        ("19860926 201500 1 001", "nip.error.appointment_month", {"month": "00"}),
        ("19860926 202504 1 001", "nip.error.appointment_future", {"value": "04/2025"}),
        ("19860926 200408 1 001", "nip.error.appointment_too_early", {"value": "08/2004"}),
        ("19860926 201505 3 001", "nip.error.gender", {"digit": "3"}),
        ("19860926 201505 0 001", "nip.error.gender", {"digit": "0"}),
        ("19860926 201505 1 000", "nip.error.sequence", {}),
    ],
)
def test_invalid_nips_are_rejected_with_a_reason(
    raw: str, code: str, params: dict[str, object]
) -> None:
    with pytest.raises(InvalidNip) as caught:
        parse_nip(raw, today=TODAY)

    assert caught.value.code == code
    assert params.items() <= caught.value.params.items()


def test_age_limits_are_inclusive() -> None:
    # Turned 18 on the day itself; appointed in that very month.
    youngest = parse_nip("20070301 202503 1 001", today=TODAY)
    assert youngest.birth_date == date(2007, 3, 1)
    # One day short of 18.
    with pytest.raises(InvalidNip):
        parse_nip("20070302 202503 1 001", today=TODAY)
    # Eighty today is still accepted (retired examiners), eighty-one is not.
    assert parse_nip("19450301 197001 1 001", today=TODAY).birth_date.year == 1945
    with pytest.raises(InvalidNip):
        parse_nip("19440301 197001 1 001", today=TODAY)


def test_appointment_in_the_current_month_is_accepted() -> None:
    assert parse_nip("19860926 202503 1 001", today=TODAY).appointment == (2025, 3)


def test_checks_depend_on_the_injected_day() -> None:
    raw = "19860926 202504 1 001"
    with pytest.raises(InvalidNip):
        parse_nip(raw, today=TODAY)
    assert parse_nip(raw, today=date(2025, 4, 1)).appointment == (2025, 4)


def test_today_defaults_to_the_system_date() -> None:
    assert parse_nip("19860926 201505 1 001").birth_date == date(1986, 9, 26)
