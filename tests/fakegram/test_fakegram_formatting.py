"""Entity parsing as Telegram does it: offsets in UTF-16, trimming, Markdown flavours."""

from __future__ import annotations

import pytest

from fakegram import ApiError, parse_entities, plain_text, utf16_len
from fakegram.formatting import user_entities


def test_utf16_offsets_count_surrogate_pairs() -> None:
    parsed = parse_entities("😀 <b>Tim</b> &lt;3 &#x1F44D; &nbsp;", "HTML")
    assert parsed.text == "😀 Tim <3 👍 &nbsp;"
    assert parsed.entities == [{"type": "bold", "offset": 3, "length": 3}]
    assert utf16_len("😀") == 2 and utf16_len("é") == 1


def test_trimming_shifts_entities() -> None:
    parsed = parse_entities("\n  <i> miring</i> \n", "html")
    assert parsed.text == "miring"
    assert parsed.entities == [{"type": "italic", "offset": 0, "length": 6}]


def test_html_links_and_quotes() -> None:
    parsed = parse_entities(
        "<a href='https://x.org/?a=1&amp;b=2'>tautan</a> <blockquote expandable>q</blockquote>",
        "HTML",
    )
    assert parsed.entities[0]["url"] == "https://x.org/?a=1&b=2"
    assert parsed.entities[1]["type"] == "expandable_blockquote"


def test_html_line_break_tag_is_refused() -> None:
    with pytest.raises(ApiError) as info:
        parse_entities("baris<br>baru", "HTML")
    assert info.value.description == (
        'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 5'
    )


def test_markdown_v2_entities_and_errors() -> None:
    parsed = parse_entities(
        r"*tebal _miring_* __garis__ ~coret~ ||rahasia|| [web](https://x.org)", "MarkdownV2"
    )
    assert parsed.text == "tebal miring garis coret rahasia web"
    assert [e["type"] for e in parsed.entities] == [
        "bold", "italic", "underline", "strikethrough", "spoiler", "text_link",
    ]  # fmt: skip
    parsed = parse_entities("```python\nprint(1)\n```", "MarkdownV2")
    assert parsed.entities == [{"type": "pre", "offset": 0, "length": 8, "language": "python"}]
    quote = parse_entities(">baris satu\n>baris dua\nsesudah", "MarkdownV2")
    assert quote.entities == [{"type": "blockquote", "offset": 0, "length": 20}]
    with pytest.raises(ApiError, match="Can't find end of Italic entity at byte offset 0"):
        parse_entities("_miring", "MarkdownV2")
    with pytest.raises(ApiError, match="Character '-' is reserved"):
        parse_entities("2026-11-02", "MarkdownV2")


def test_legacy_markdown() -> None:
    parsed = parse_entities("*tebal* _miring_ `kode` [web](https://x.org) 1.5-2", "Markdown")
    assert parsed.text == "tebal miring kode web 1.5-2"
    assert parsed.entities[-1] == {
        "type": "text_link",
        "offset": 18,
        "length": 3,
        "url": "https://x.org",
    }
    with pytest.raises(ApiError, match="Can't find end of the entity starting at byte offset 4"):
        parse_entities("nama_file.txt", "Markdown")


def test_plain_text_helper() -> None:
    assert plain_text("<b>Halo</b> &amp; selamat") == "Halo & selamat"
    assert plain_text("<b>rusak") == "rusak"


def test_user_entities() -> None:
    assert user_entities("/start@properbot_test ABC") == [
        {"type": "bot_command", "offset": 0, "length": 21}
    ]
    assert user_entities("no/command here") == []
