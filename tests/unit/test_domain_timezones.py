"""Unit tests for Indonesian time-zone parsing and labels."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.timezones import (
    WIB,
    WIT,
    WITA,
    UnknownZone,
    parse_zone,
    stored_zone,
    zone_code,
    zone_label,
)

WINTER = datetime(2024, 12, 19, 2, 0, tzinfo=UTC)
SUMMER = datetime(2024, 7, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("WIB", "Asia/Jakarta"),
        ("wita", "Asia/Makassar"),
        ("  Wit ", "Asia/Jayapura"),
        ("Asia/Jakarta", "Asia/Jakarta"),
        ("Asia/Pontianak", "Asia/Pontianak"),
        ("asia/makassar", "Asia/Makassar"),
        (" Asia/Jayapura ", "Asia/Jayapura"),
        ("Europe/Amsterdam", "Europe/Amsterdam"),
    ],
)
def test_labels_and_iana_names_are_parsed(raw: str, key: str) -> None:
    assert parse_zone(raw).key == key


def test_labels_map_to_the_constants() -> None:
    assert (parse_zone("wib"), parse_zone("WITA"), parse_zone("wit")) == (WIB, WITA, WIT)
    assert [z.utcoffset(WINTER) for z in (WIB, WITA, WIT)] == [
        ZoneInfo("Etc/GMT-7").utcoffset(WINTER),
        ZoneInfo("Etc/GMT-8").utcoffset(WINTER),
        ZoneInfo("Etc/GMT-9").utcoffset(WINTER),
    ]


@pytest.mark.parametrize("raw", ["WITT", "Indonesia", "Mars/Olympus", "../etc/passwd", "UTC+7"])
def test_unknown_zones_are_rejected(raw: str) -> None:
    with pytest.raises(UnknownZone) as caught:
        parse_zone(raw)

    assert caught.value.code == "zone.error.unknown"
    assert caught.value.params == {"value": raw}


def test_empty_zone_is_its_own_error() -> None:
    with pytest.raises(UnknownZone) as caught:
        parse_zone("   ")

    assert caught.value.code == "zone.error.empty"


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("Asia/Jakarta", "WIB"),
        ("Asia/Pontianak", "WIB"),
        ("Asia/Makassar", "WITA"),
        ("Asia/Ujung_Pandang", "WITA"),
        ("Asia/Jayapura", "WIT"),
    ],
)
def test_indonesian_zones_get_their_labels(key: str, label: str) -> None:
    assert zone_label(ZoneInfo(key), WINTER) == label


def test_foreign_zone_uses_its_abbreviation_for_the_instant() -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")

    assert zone_label(amsterdam, WINTER) == "CET"
    assert zone_label(amsterdam, SUMMER) == "CEST"


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("America/Sao_Paulo", "UTC-3"),
        ("Asia/Kathmandu", "UTC+5:45"),
        ("Pacific/Marquesas", "UTC-9:30"),
        ("Asia/Dili", "UTC+9"),
        ("Etc/UTC", "UTC"),
    ],
)
def test_numeric_abbreviations_become_utc_offsets(key: str, label: str) -> None:
    assert zone_label(ZoneInfo(key), WINTER) == label


def test_zone_code_is_the_iana_key_and_round_trips() -> None:
    for raw in ("WIB", "WITA", "WIT", "Europe/Amsterdam"):
        zone = parse_zone(raw)
        assert parse_zone(zone_code(zone)) == zone
    assert zone_code(WIT) == "Asia/Jayapura"


def test_a_stored_zone_reads_back_and_an_unknown_one_falls_back_to_wib() -> None:
    assert stored_zone(zone_code(WIT)) == WIT
    assert stored_zone("Europe/Amsterdam") == ZoneInfo("Europe/Amsterdam")
    for broken in ("Mars/Olympus_Mons", "", None, "../etc"):
        assert stored_zone(broken) == WIB
