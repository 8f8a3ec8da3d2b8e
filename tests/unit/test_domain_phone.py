"""Indonesian mobile numbers as people type them, normalized to E.164 or refused with a reason."""

from __future__ import annotations

import pytest

from domain.phone import InvalidPhone, national_format, normalize_phone, wa_id, wa_me_link


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "0812-3456-7890",
        "0812.3456.7890",
        "0812 3456 7890",
        "+62 812-3456-7890",
        "+6281234567890",
        "6281234567890",
        "62 812 3456 7890",
        "0062 812 3456 7890",
        "(0812) 3456 7890",
        "\u00a00812\u00a03456\u00a07890 ",  # non-breaking spaces from a word processor
        "0812\u20133456\u20137890",  # en dashes
        "81234567890",  # a spreadsheet number cell drops the leading zero
        "\uff10\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10",  # fullwidth
    ],
)
def test_the_usual_ways_of_writing_one_number_give_one_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+6281234567890"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0811 123 456", "+62811123456"),  # the shortest mobile numbers: 9 national digits
        ("0856-1234-567", "+628561234567"),
        ("0899 9999 9999 9", "+62899999999999"),  # the longest: 12
    ],
)
def test_short_and_long_mobile_numbers_are_kept_whole(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    ("raw", "code", "params"),
    [
        ("", "phone.error.empty", {}),
        (" - . ", "phone.error.empty", {}),
        ("0812-345O-7890", "phone.error.not_digits", {"char": "O"}),
        ("HP 081234567890", "phone.error.not_digits", {"char": "H"}),
        ("+62+81234567890", "phone.error.not_digits", {"char": "+"}),
        ("0812345", "phone.error.too_short", {"value": "0812345"}),
        ("081234567890123", "phone.error.too_long", {"value": "081234567890123"}),
        ("0912345678", "phone.error.invalid", {"value": "0912345678"}),
        ("(021) 5550123", "phone.error.not_mobile", {"value": "(021) 5550123"}),
        ("0274 512345", "phone.error.not_mobile", {"value": "0274 512345"}),
        ("+65 9123 4567", "phone.error.not_indonesian", {"country_code": 65}),
        ("+31 6 12345678", "phone.error.not_indonesian", {"country_code": 31}),
    ],
)
def test_what_is_not_an_indonesian_mobile_is_refused_with_a_reason(
    raw: str, code: str, params: dict[str, object]
) -> None:
    with pytest.raises(InvalidPhone) as refused:
        normalize_phone(raw)
    assert refused.value.code == code
    assert refused.value.params == params


def test_a_foreign_mobile_passes_when_the_caller_allows_it() -> None:
    assert normalize_phone("+65 9123 4567", allow_foreign=True) == "+6591234567"
    with pytest.raises(InvalidPhone) as refused:
        normalize_phone("+65 6123 4567 1", allow_foreign=True)
    assert refused.value.code == "phone.error.invalid"


def test_a_number_is_shown_back_the_way_indonesians_write_it() -> None:
    assert national_format("+6281234567890") == "0812-3456-7890"
    assert national_format("+6591234567") == "+65 9123 4567"


def test_whatsapp_ids_and_links_use_the_digits_without_the_plus() -> None:
    assert wa_id("+6281234567890") == "6281234567890"
    assert wa_me_link("+6281234567890") == "https://wa.me/6281234567890"
    assert (
        wa_me_link("+6281234567890", "DAFTAR AB12CD")
        == "https://wa.me/6281234567890?text=DAFTAR%20AB12CD"
    )
