"""On WhatsApp the catalogs' texts name keywords where they name a Telegram command."""

from __future__ import annotations

from domain.i18n import translator
from whatsapp.keywords import (
    COMMAND_KEYWORDS,
    commands_as_keywords,
    keyword,
    whatsapp_translator,
)


def test_a_reminder_names_the_keyword_in_the_reader_s_language() -> None:
    params = {"title": "Uji coba", "due_date": "Senin, 7 Desember 2026", "days": 7}
    telegram = translator("id")("reminder.milestone.before", **params)
    assert "/lapor" in telegram
    indonesian = whatsapp_translator("id")("reminder.milestone.before", **params)
    english = whatsapp_translator("en")("reminder.milestone.before", **params)
    assert indonesian == telegram.replace("/lapor", "LAPOR")
    assert "REPORT" in english and "/lapor" not in english


def test_what_fills_a_text_stays_as_written() -> None:
    t = whatsapp_translator("id")
    assert (
        t("reminder.milestone.before", title="/lapor /batal", due_date="x", days=1).count(
            "/lapor /batal"
        )
        == 1
    )


def test_commands_without_a_keyword_links_and_longer_words_stay() -> None:
    id_ = translator("id")
    assert commands_as_keywords("Kirim dengan /lapor. (/batal)", id_) == (
        "Kirim dengan LAPOR. (BATAL)"
    )
    for text in (
        "https://t.me/properbot_bot/lapor",
        "/lapor@properbot_bot",
        "/laporan",
        "/portofolio",
        "a/lapor",
    ):
        assert commands_as_keywords(text, id_) == text
    overdue = whatsapp_translator("id")("reminder.milestone.overdue", title="T", due_date="x")
    assert "LAPOR" in overdue and "PROYEK" in overdue and "/proyek" not in overdue
    # A command WhatsApp has no keyword for stays as written.
    assert "/undang" in whatsapp_translator("id").template("invite.cohort")


def test_every_keyword_shown_is_one_the_adapter_reads() -> None:
    for language in ("id", "en"):
        t = whatsapp_translator(language)
        for command, expected in COMMAND_KEYWORDS.items():
            shown = t.template(f"wa.keyword.{expected.value}")
            assert keyword(shown) is expected, (language, command, shown)
