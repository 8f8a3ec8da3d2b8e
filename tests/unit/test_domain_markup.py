"""Unit tests for the channel-neutral markup: parsing, escaping, each renderer, the catalogs.

The Telegram and web renderers live in their adapters; they are tested here beside the rest."""

from __future__ import annotations

import html
import random
import re

import pytest

from domain.i18n import SUPPORTED_LANGUAGES, placeholders, translator
from domain.markup import (
    ESCAPABLE,
    Code,
    Link,
    Markup,
    Styled,
    Text,
    escape,
    escape_params,
    parse,
    to_plain,
    to_whatsapp,
    visible_length,
)
from fakegram.formatting import parse_entities
from handlers.telegram_text import TELEGRAM_TOAST_LIMIT, markup_parts, toast
from handlers.telegram_text import telegram_html as to_telegram_html
from web.markup import web_html as to_web_html

ZWSP = "\u200b"
HOSTILE = "A*B_<C>"

# --- parsing -----------------------------------------------------------------------------------


def test_parse_each_construct() -> None:
    assert parse("**Laporan** baru") == (Styled("bold", (Text("Laporan"),)), Text(" baru"))
    assert parse("_Balas pesan ini_") == (Styled("italic", (Text("Balas pesan ini"),)),)
    assert parse("ketik `/jeda besok`") == (Text("ketik "), Code("/jeda besok"))
    assert parse("[situs](https://lan.go.id)") == (Link("https://lan.go.id", (Text("situs"),)),)
    assert parse("a\n>>>baris 1\nbaris 2<<<\nb") == (
        Text("a\n"),
        Styled("quote", (Text("baris 1\nbaris 2"),)),
        Text("\nb"),
    )


def test_nesting() -> None:
    assert parse("**tahap _Uji coba_**") == (
        Styled("bold", (Text("tahap "), Styled("italic", (Text("Uji coba"),)))),
    )


@pytest.mark.parametrize(
    "source",
    [
        "EVIDENCE_DIR dan TELEGRAM_BOT_TOKEN",  # underscores inside words
        "2 * 3 = 6",  # a single star
        "** tidak tebal**",  # an opener followed by a space
        "**tanpa penutup",
        "_tanpa penutup",
        "[tanpa tautan]",
        "[teks]( )",
        "`tanpa penutup",
        ">>>tanpa penutup",
        "a <<< b",
        "\\ tetap",  # a backslash before a letter is a backslash
    ],
)
def test_what_is_not_markup_is_text(source: str) -> None:
    assert parse(source) == (Text(source),)
    assert to_plain(source) == source


def test_catalog_placeholders_pass_through() -> None:
    assert to_telegram_html("**{name}** ({role})") == "<b>{name}</b> ({role})"


# --- escaping ----------------------------------------------------------------------------------


def test_escape_makes_every_special_character_literal() -> None:
    assert escape(HOSTILE) == "A\\*B\\_\\<C\\>"
    assert parse(escape(HOSTILE)) == (Text(HOSTILE),)
    assert to_telegram_html(f"**{escape(HOSTILE)}**") == "<b>A*B_&lt;C&gt;</b>"


def test_markup_is_not_escaped_twice() -> None:
    inner = Markup(f"**{escape(HOSTILE)}**")
    assert escape(inner) is inner
    assert escape_params({"a": inner, "b": "_x_", "n": 3}) == {
        "a": inner,
        "b": "\\_x\\_",
        "n": 3,
    }


def test_any_text_escaped_reads_back_unchanged_on_every_channel() -> None:
    rng = random.Random(9)
    alphabet = sorted(ESCAPABLE) + list("ab \n{}&\"'") + ["**", ">>>", "<<<", "](", "👍"]
    for _ in range(500):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        source = escape(value)
        assert parse(source) in ((Text(value),),), value
        assert to_plain(source) == value
        assert to_telegram_html(source) == html.escape(value, quote=False)
        assert to_web_html(source) == html.escape(value).replace("\n", "<br>\n")
        assert to_whatsapp(source).replace(ZWSP, "") == value


def test_a_hostile_parameter_inside_every_construct_stays_literal() -> None:
    template = "**{x}** _{x}_ `{x}` [{x}](https://example.org) >>>{x}<<<"
    source = template.format(x=escape(HOSTILE))
    assert (
        to_plain(source)
        == f"{HOSTILE} {HOSTILE} {HOSTILE} {HOSTILE} (https://example.org) {HOSTILE}"
    )
    parsed = parse_entities(to_telegram_html(source), "HTML")
    assert [e["type"] for e in parsed.entities] == [
        "bold",
        "italic",
        "code",
        "text_link",
        "blockquote",
    ]
    assert parsed.text.count(HOSTILE) == 5


# --- renderers ---------------------------------------------------------------------------------

SAMPLE = (
    "**Umpan balik** dari _Bambang_\n>>>baris 1\nbaris 2<<<\n"
    "Lihat [panduan](https://a.id/?x=1&y=2) atau `/bantuan`."
)


def test_telegram_html() -> None:
    assert to_telegram_html(SAMPLE) == (
        "<b>Umpan balik</b> dari <i>Bambang</i>\n<blockquote>baris 1\nbaris 2</blockquote>\n"
        'Lihat <a href="https://a.id/?x=1&amp;y=2">panduan</a> atau <code>/bantuan</code>.'
    )


def test_whatsapp() -> None:
    assert to_whatsapp(SAMPLE) == (
        "*Umpan balik* dari _Bambang_\n> baris 1\n> baris 2\n"
        "Lihat panduan (https://a.id/?x=1&y=2) atau ```/bantuan```."
    )
    assert to_whatsapp("[https://a.id](https://a.id)") == "https://a.id"
    assert to_whatsapp(escape("5*3")) == f"5{ZWSP}*{ZWSP}3"


def test_plain() -> None:
    assert to_plain(SAMPLE) == (
        "Umpan balik dari Bambang\nbaris 1\nbaris 2\n"
        "Lihat panduan (https://a.id/?x=1&y=2) atau /bantuan."
    )


def test_web_html() -> None:
    assert to_web_html(SAMPLE) == (
        "<strong>Umpan balik</strong> dari <em>Bambang</em><br>\n"
        "<blockquote>baris 1<br>\nbaris 2</blockquote><br>\n"
        'Lihat <a href="https://a.id/?x=1&amp;y=2" rel="noopener noreferrer">panduan</a> '
        "atau <code>/bantuan</code>."
    )
    assert to_web_html(escape('<script>"x"</script>')) == (
        "&lt;script&gt;&quot;x&quot;&lt;/script&gt;"
    )


def test_visible_length_counts_what_a_reader_sees() -> None:
    assert visible_length("**ab** _c_ 👍") == 7  # the emoji counts 2
    assert visible_length(escape("a*b")) == 3


# --- Telegram's limits, in the adapter ---------------------------------------------------------


def test_long_markup_is_split_into_valid_telegram_messages_within_the_limit() -> None:
    words = " ".join(f"kata{i}" for i in range(400))
    source = f"**Judul**\n\n_{words}_\n\n{escape(HOSTILE * 50)}"
    parts = markup_parts(source, limit=500)
    assert len(parts) > 5
    seen = ""
    for part in parts:
        assert len(part) <= 500
        seen += parse_entities(part, "HTML").text  # each part is valid HTML alone
    assert re.sub(r"\s", "", seen) == re.sub(r"\s", "", to_plain(source))
    assert markup_parts("**pendek**") == ["<b>pendek</b>"]


def test_a_toast_is_plain_and_cut_to_telegrams_limit() -> None:
    assert toast(f"**Tersimpan** untuk {escape(HOSTILE)}") == f"Tersimpan untuk {HOSTILE}"
    assert len(toast("**" + "x" * 300 + "**")) == TELEGRAM_TOAST_LIMIT


# --- the catalogs ------------------------------------------------------------------------------

_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")


def test_no_catalog_holds_html() -> None:
    for language in SUPPORTED_LANGUAGES:
        tagged = [
            key for key, text in translator(language).messages.items() if _HTML_TAG.search(text)
        ]
        assert tagged == [], f"HTML in the {language} catalog: {tagged}"


def test_every_catalog_text_is_balanced_markup_that_telegram_accepts() -> None:
    for language in SUPPORTED_LANGUAGES:
        for key, text in translator(language).messages.items():
            sample = text.format_map({name: escape(HOSTILE) for name in placeholders(text)})
            shown = to_plain(sample)
            # A delimiter left over means an opener lost its partner.
            for delimiter in ("**", ">>>", "<<<", "`"):
                assert delimiter not in shown.replace(HOSTILE, ""), (language, key, delimiter)
            parse_entities(to_telegram_html(sample), "HTML")  # raises on malformed HTML
