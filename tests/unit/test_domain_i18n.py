"""Unit tests for the message catalogs and date formatting."""

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.i18n import (
    DEFAULT_LANGUAGE,
    SUPPORTED_LANGUAGES,
    CatalogError,
    MissingMessage,
    MissingParameter,
    catalog_keys,
    format_date,
    format_datetime,
    format_time,
    load_translator,
    placeholders,
    translator,
)
from domain.timezones import WIB, WIT, WITA

# 09.00 WIB on Thursday 19 December 2024 (DOMAIN.md's example).
INSTANT = datetime(2024, 12, 19, 2, 0, tzinfo=UTC)


# --- catalogs -------------------------------------------------------------------------------


def test_every_language_defines_the_same_keys() -> None:
    reference = catalog_keys(DEFAULT_LANGUAGE)
    assert reference  # the catalog did load
    for language in SUPPORTED_LANGUAGES:
        assert catalog_keys(language) == reference, language


def test_languages_use_the_same_placeholders_per_key() -> None:
    indonesian, english = translator("id"), translator("en")
    for key in catalog_keys("id"):
        id_names = placeholders(indonesian.template(key))
        en_names = placeholders(english.template(key))
        assert id_names <= en_names, f"{key}: id uses {id_names - en_names} missing in en"
        assert en_names <= id_names, f"{key}: en uses {en_names - id_names} missing in id"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_message_renders(language: str) -> None:
    t = translator(language)
    for key in catalog_keys(language):
        params = dict.fromkeys(placeholders(t.template(key)), "X")
        text = t(key, **params)
        assert text.strip()
        assert "{" not in text, key


def test_indonesian_is_formal() -> None:
    t = translator("id")
    informal = re.compile(r"\b(kamu|kau|lu|lo|gue|gw|aku|nggak|gak)\b", re.IGNORECASE)
    for key in catalog_keys("id"):
        assert not informal.search(t.template(key)), key


def test_messages_are_rendered_with_parameters() -> None:
    assert translator("id")("nip.error.length", count=17) == (
        "NIP harus terdiri dari 18 digit, sedangkan yang tertulis 17 digit."
    )
    assert (
        translator("en")("nip.error.length", count=17)
        == "A NIP has 18 digits, but this one has 17."
    )


def test_role_and_horizon_names() -> None:
    id_, en = translator("id"), translator("en")
    assert [id_(f"role.{r}") for r in ("participant", "examiner", "admin")] == [
        "Peserta",
        "Penguji",
        "Penyelenggara",
    ]
    assert en("role.examiner") == "Examiner (penguji)"
    assert en("role.admin") == "Organizer (penyelenggara)"
    assert id_("horizon.short") == "Jangka pendek"
    assert en("horizon.long") == "Long term (jangka panjang)"


@pytest.mark.parametrize(
    ("asked", "language"),
    [(None, "id"), ("", "id"), ("fr", "id"), ("en", "en"), ("en-US", "en"), ("EN_gb", "en")],
)
def test_language_falls_back_to_indonesian(asked: str | None, language: str) -> None:
    assert translator(asked).language == language


def test_translators_are_cached() -> None:
    assert translator("en") is translator("en-US")


def test_missing_key_is_loud() -> None:
    with pytest.raises(MissingMessage) as caught:
        translator("id")("no.such.key")
    assert isinstance(caught.value, KeyError)


def test_missing_parameter_is_loud() -> None:
    with pytest.raises(MissingParameter, match="count"):
        translator("en")("nip.error.length")


def test_plural_picks_the_form_per_language() -> None:
    en, id_ = translator("en"), translator("id")
    assert "1 problem." in en.plural("csv.problem.summary", 1)
    assert "3 problems." in en.plural("csv.problem.summary", 3)
    assert "3 masalah" in id_.plural("csv.problem.summary", 3)


# --- loading rules, on throwaway catalogs ----------------------------------------------------


def _write_po(root: Path, language: str, name: str, entries: dict[str, str]) -> None:
    folder = root / language / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    body = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', ""]
    for key, text in entries.items():
        body += [f'msgid "{key}"', f'msgstr "{text}"', ""]
    (folder / name).write_text("\n".join(body), encoding="utf-8")


def test_all_po_files_of_a_language_are_merged(tmp_path: Path) -> None:
    _write_po(tmp_path, "en", "common.po", {"a": "Hello {name}"})
    _write_po(tmp_path, "en", "bot.po", {"b.one": "{n} day", "b.other": "{n} days"})

    t = load_translator("en", tmp_path)

    assert t("a", name="Budi") == "Hello Budi"
    assert t.plural("b", 2) == "2 days"
    assert set(t.messages) == {"a", "b.one", "b.other"}


def test_key_in_two_files_is_rejected(tmp_path: Path) -> None:
    _write_po(tmp_path, "id", "common.po", {"greeting": "Selamat pagi"})
    _write_po(tmp_path, "id", "bot.po", {"greeting": "Halo"})

    with pytest.raises(CatalogError, match="greeting"):
        load_translator("id", tmp_path)


def test_key_twice_in_one_file_is_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "id" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "common.po").write_text(
        'msgid "greeting"\nmsgstr "Selamat pagi"\n\nmsgid ""\n"greeting"\nmsgstr "Halo"\n',
        encoding="utf-8",
    )

    with pytest.raises(CatalogError, match="greeting"):
        load_translator("id", tmp_path)


@pytest.mark.parametrize("text", ["", "Hello {}", "Hello {0}", "Hello {name"])
def test_unusable_messages_are_rejected_at_load(tmp_path: Path, text: str) -> None:
    _write_po(tmp_path, "en", "common.po", {"greeting": text})

    with pytest.raises(CatalogError):
        load_translator("en", tmp_path)


def test_language_without_catalog_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CatalogError):
        load_translator("en", tmp_path)


# --- dates and times -------------------------------------------------------------------------


def test_domain_examples() -> None:
    assert format_date(date(2024, 12, 19), None, "id") == "Kamis, 19 Desember 2024"
    assert format_date(date(2024, 12, 19), None, "en") == "Thursday, 19 December 2024"
    assert format_time(INSTANT, WIB, "id") == "09.00 WIB"


@pytest.mark.parametrize(
    ("zone", "id_text", "en_text"),
    [
        (WIB, "Kamis, 19 Desember 2024, 09.00 WIB", "Thursday, 19 December 2024, 09.00 WIB"),
        (WITA, "Kamis, 19 Desember 2024, 10.00 WITA", "Thursday, 19 December 2024, 10.00 WITA"),
        (WIT, "Kamis, 19 Desember 2024, 11.00 WIT", "Thursday, 19 December 2024, 11.00 WIT"),
    ],
)
def test_one_instant_in_the_three_zones(zone: ZoneInfo, id_text: str, en_text: str) -> None:
    assert format_datetime(INSTANT, zone, "id") == id_text
    assert format_datetime(INSTANT, zone, "en") == en_text


def test_the_date_follows_the_zone_across_midnight() -> None:
    late = datetime(2024, 12, 18, 16, 30, tzinfo=UTC)

    assert format_datetime(late, WIB, "id") == "Rabu, 18 Desember 2024, 23.30 WIB"
    assert format_datetime(late, WIT, "id") == "Kamis, 19 Desember 2024, 01.30 WIT"
    assert format_date(late, WIT, "en") == "Thursday, 19 December 2024"
    assert format_time(late, WITA, "en") == "00.30 WITA"


def test_foreign_zone_gets_its_own_label() -> None:
    assert format_time(INSTANT, ZoneInfo("Europe/Amsterdam"), "en") == "03.00 CET"


def test_aware_non_utc_input_is_converted() -> None:
    in_jakarta = INSTANT.astimezone(WIB)
    assert format_time(in_jakarta, WIT, "id") == "11.00 WIT"


def test_naive_datetimes_are_a_programming_error() -> None:
    naive = datetime(2024, 12, 19, 9, 0)
    with pytest.raises(ValueError):
        format_datetime(naive, WIB, "id")
    with pytest.raises(ValueError):
        format_time(naive, WIB, "id")
    with pytest.raises(ValueError):
        format_date(naive, WIB, "id")
    with pytest.raises(ValueError):
        format_date(naive, None, "id")


def test_unknown_language_formats_in_indonesian() -> None:
    assert format_date(date(2024, 12, 19), None, "fr") == "Kamis, 19 Desember 2024"
