"""The /dataku file: readable UTF-8 JSON with an "about" header in the person's language."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from documents.personal_data import DEFAULT_SECTIONS, file_name, render_personal_data
from domain.i18n import translator

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
DATA = {
    "reports": [{"text": "Sosialisasi ke 12 OPD — tahap 1 ✓", "evidence": []}],
    "profile": {"full_name": "Hj. Siti Nurjanah, S.Kom.", "nip": "198203102006042002"},
    "memberships": [],
}


def test_the_file_is_indented_utf8_json_with_the_about_header_first() -> None:
    raw = render_personal_data(DATA, language="id", generated_at=AT)
    assert raw.endswith(b"\n")
    text = raw.decode("utf-8")
    assert "— tahap 1 ✓" in text  # not \u-escaped: a person can read it
    assert '\n  "profile": {\n    "full_name"' in text  # indented
    document = json.loads(text)
    assert list(document) == ["about", "profile", "memberships", "reports"]  # documented order
    about = document["about"]
    assert about["summary"] == translator("id")("datarights.about.summary")
    assert about["generated_at"] == "2026-11-02T01:00:00+00:00"
    assert list(about["sections"]) == ["profile", "memberships", "reports"]
    assert about["sections"]["reports"] == translator("id")("datarights.about.section.reports")
    assert document["profile"] == DATA["profile"] and document["reports"] == DATA["reports"]


def test_the_header_speaks_the_persons_language() -> None:
    document = json.loads(render_personal_data(DATA, language="en", generated_at=AT))
    assert document["about"]["summary"].startswith("All the personal data properbot keeps")
    assert document["about"]["sections"]["profile"].startswith("Profile:")


def test_every_section_the_service_gives_is_explained_in_both_languages() -> None:
    for language in ("id", "en"):
        t = translator(language)
        for section in DEFAULT_SECTIONS:
            assert f"datarights.about.section.{section}" in t.messages, (language, section)


def test_nothing_is_dropped_and_stray_dates_still_render() -> None:
    data = {**DATA, "extra": {"on": date(2026, 12, 25), "at": AT}}
    document = json.loads(render_personal_data(data, language="id", generated_at=AT))
    assert list(document)[-1] == "extra"
    assert document["about"]["sections"]["extra"] == "extra"
    assert document["extra"] == {"on": "2026-12-25", "at": "2026-11-02T01:00:00+00:00"}
    with pytest.raises(TypeError):
        render_personal_data({"profile": {"x": object()}}, language="id", generated_at=AT)


def test_file_name_carries_the_local_day() -> None:
    assert file_name(date(2026, 11, 2)) == "data-saya-2026-11-02.json"
