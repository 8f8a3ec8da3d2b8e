"""WHATSAPP_PHONE_NUMBER: optional, normalized to E.164, a bad one named in words."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError
from domain.i18n import translator


def test_without_it_there_is_no_whatsapp_number() -> None:
    assert Settings.from_mapping({}).whatsapp_phone_number is None
    assert Settings.from_mapping({"WHATSAPP_PHONE_NUMBER": "  "}).whatsapp_phone_number is None


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("+62 811-1000-2000", "+6281110002000"),
        ("081110002000", "+6281110002000"),
        ("6281110002000", "+6281110002000"),
        ("+62 21 5551234", "+62215551234"),  # a business landline is allowed
        ("+1 650-555-1234", "+16505551234"),  # so is a number abroad
    ],
)
def test_it_is_normalized_to_e164(written: str, e164: str) -> None:
    settings = Settings.from_mapping({"WHATSAPP_PHONE_NUMBER": written})
    assert settings.whatsapp_phone_number == e164


@pytest.mark.parametrize("written", ["0811-10", "nomor bot", "+62 811 1000 2000 3000 4"])
def test_a_bad_number_is_named_with_what_was_written(written: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({"WHATSAPP_PHONE_NUMBER": written})
    error = caught.value
    assert error.name == "WHATSAPP_PHONE_NUMBER"
    for language in ("id", "en"):
        message = translator(language)(error.key, **error.params)
        assert written in message and "+6281234567890" in message
