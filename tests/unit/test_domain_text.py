"""Unit tests for text limits and for splitting long Telegram HTML messages (the adapter's)."""

import random
import re
from html import unescape

import pytest

from domain.i18n import translator
from domain.text import (
    CAPTION_LIMIT,
    MAX_NOTE_TEXT,
    MAX_REPORT_TEXT,
    MESSAGE_LIMIT,
    InvalidText,
    clean_user_text,
    shorten,
    utf16_length,
)
from handlers.telegram_text import TELEGRAM_CAPTION_LIMIT, TELEGRAM_TEXT_LIMIT, split_html

# --- limits and cleaning -----------------------------------------------------------------------


def test_telegram_limits() -> None:
    assert (TELEGRAM_TEXT_LIMIT, TELEGRAM_CAPTION_LIMIT) == (4096, 1024)
    # A text within the channel-neutral limits goes as one Telegram message or caption.
    assert MESSAGE_LIMIT <= TELEGRAM_TEXT_LIMIT and CAPTION_LIMIT <= TELEGRAM_CAPTION_LIMIT
    # Room for the header that goes above a relayed report or note.
    assert MESSAGE_LIMIT - MAX_REPORT_TEXT >= 500
    assert MESSAGE_LIMIT - MAX_NOTE_TEXT >= 500


def test_utf16_length_counts_emoji_twice() -> None:
    assert utf16_length("") == 0
    assert utf16_length("Proyek") == 6
    assert utf16_length("é") == 1
    assert utf16_length("👍") == 2
    assert utf16_length("ok 👍🏽") == 7  # the skin tone modifier is astral too


def test_clean_user_text_strips_and_normalizes_line_ends() -> None:
    assert clean_user_text("  Rapat tim efektif\r\nselesai.\rLanjut.  \n", limit=100) == (
        "Rapat tim efektif\nselesai.\nLanjut."
    )


@pytest.mark.parametrize("text", [None, "", "   ", "\r\n\t "])
def test_clean_user_text_refuses_empty(text: str | None) -> None:
    with pytest.raises(InvalidText) as caught:
        clean_user_text(text, limit=100)
    assert (caught.value.code, caught.value.params) == ("text.error.empty", {})


def test_clean_user_text_limit_counts_utf16_units() -> None:
    assert clean_user_text("a" * 10, limit=10) == "a" * 10
    assert clean_user_text("  " + "a" * 10 + "  ", limit=10) == "a" * 10
    with pytest.raises(InvalidText) as caught:
        clean_user_text("👍" * 6, limit=10)
    assert (caught.value.code, caught.value.params) == (
        "text.error.too_long",
        {"limit": 10, "length": 12},
    )


def test_text_errors_render_in_both_languages() -> None:
    for language in ("id", "en"):
        t = translator(language)
        assert t("text.error.empty")
        assert "3500" in t("text.error.too_long", limit=3500, length=3612)


def test_shorten() -> None:
    assert shorten("  25   Des \n") == "25 Des"
    assert shorten("x" * 40) == "x" * 40
    assert shorten("x" * 41) == "x" * 39 + "…"
    assert shorten("abc def", width=5) == "abc…"


# --- split_html: examples ----------------------------------------------------------------------


def test_short_text_is_one_chunk_unchanged() -> None:
    text = "<b>Laporan</b> kemajuan 60%"
    assert split_html(text) == [text]
    assert split_html("") == []


def test_prefers_a_paragraph_break() -> None:
    text = "A" * 30 + "\n\n" + "B" * 30 + "\n" + "C" * 30
    assert split_html(text, 80) == ["A" * 30 + "\n\n", "B" * 30 + "\n" + "C" * 30]


def test_then_a_line_break() -> None:
    text = "A" * 30 + "\n" + "B" * 30 + " " + "C" * 30
    assert split_html(text, 70) == ["A" * 30 + "\n", "B" * 30 + " " + "C" * 30]


def test_then_a_space() -> None:
    text = "kata " * 20
    chunks = split_html(text, 22)
    assert chunks[0] == "kata kata kata kata "
    assert all(chunk.endswith(" ") or chunk == chunks[-1] for chunk in chunks)
    assert "".join(chunks) == text


def test_hard_split_last() -> None:
    assert split_html("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_a_run_of_newlines_stays_with_the_paragraph_before() -> None:
    text = "A" * 10 + "\n\n\n\n" + "B" * 10
    assert split_html(text, 16) == ["A" * 10 + "\n\n\n\n", "B" * 10]


def test_open_tags_are_closed_and_reopened() -> None:
    text = "<b>" + "kata " * 12 + "</b>"
    chunks = split_html(text, 30)
    assert chunks[0] == "<b>kata kata kata kata </b>"
    assert all(chunk.startswith("<b>") and chunk.endswith("</b>") for chunk in chunks)


def test_link_is_reopened_with_its_address() -> None:
    link = '<a href="https://lms.example.go.id/proper?id=7&amp;tab=2">'
    text = "Lihat " + link + "dokumen rancangan proyek perubahan</a> ini."
    chunks = split_html(text, 90)
    assert len(chunks) > 1
    assert chunks[0].endswith("</a>")
    assert chunks[1].startswith(link)


def test_nested_pre_and_code_are_reopened_in_order() -> None:
    open_tags = '<pre><code class="language-python">'
    text = open_tags + "\n".join(f"x = {i}" for i in range(30)) + "</code></pre>"
    chunks = split_html(text, 80)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.startswith(open_tags)
        assert chunk.endswith("</code></pre>")
        assert utf16_length(chunk) <= 80


def test_blockquote_with_attribute_is_reopened() -> None:
    text = "<blockquote expandable>" + "Umpan balik mentor. " * 10 + "</blockquote>"
    for chunk in split_html(text, 80):
        assert chunk.startswith("<blockquote expandable>")
        assert chunk.endswith("</blockquote>")


def test_tags_are_not_left_empty_at_a_break() -> None:
    text = "A" * 20 + " <b>" + "B" * 20 + "</b>"
    assert split_html(text, 30) == ["A" * 20 + " ", "<b>" + "B" * 20 + "</b>"]


def test_entities_are_never_split() -> None:
    chunks = split_html("&amp;" * 10, 12)
    assert chunks == ["&amp;&amp;"] * 5


def test_emoji_count_two_units() -> None:
    chunks = split_html("😀" * 10, 9)
    assert chunks == ["😀" * 4, "😀" * 4, "😀" * 2]


def test_combining_marks_stay_with_their_letter() -> None:
    assert split_html("aaaae\u0301bbbb", 5) == ["aaaa", "e\u0301bbb", "b"]


def test_emoji_sequences_stay_together_when_possible() -> None:
    family = "👨\u200d👩\u200d👧"  # 8 units
    chunks = split_html("ab" + family + "cd", 10)
    assert "ab" + family in chunks or family + "cd" in chunks or family in chunks


def test_stray_angle_brackets_and_ampersands_are_text() -> None:
    text = "3 < 5 & 6 > 2 " * 10
    chunks = split_html(text, 40)
    assert "".join(chunks) == text


def test_unbalanced_input_does_not_crash() -> None:
    text = "teks </b> " * 20 + "<i>" + "miring " * 20
    chunks = split_html(text, 50)
    assert all(utf16_length(chunk) <= 50 for chunk in chunks)
    assert _visible("".join(chunks)) == _visible(text)


def test_limit_too_small_for_the_markup() -> None:
    with pytest.raises(ValueError):
        split_html('<a href="' + "x" * 100 + '">tautan</a>', 20)
    with pytest.raises(ValueError):
        split_html("abc", 0)


def test_whitespace_too_long_for_a_message_is_dropped() -> None:
    chunks = split_html("a" + " " * 30 + "b", 10)
    assert [chunk.strip() for chunk in chunks] == ["a", "b"]
    assert split_html(" " * 30, 10) == []


def test_trailing_whitespace_stays_with_the_last_words() -> None:
    assert split_html("kata " * 3 + "akhir" + "\n" * 6, 15) == [
        "kata kata kata ",
        "akhir" + "\n" * 6,
    ]


def test_caption_limit() -> None:
    text = "Bukti dukung kegiatan. " * 100
    chunks = split_html(text, TELEGRAM_CAPTION_LIMIT)
    assert all(utf16_length(chunk) <= TELEGRAM_CAPTION_LIMIT for chunk in chunks)
    assert "".join(chunks) == text


# --- split_html: invariants on many generated messages ------------------------------------------

_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_TAG_KINDS = [
    ("<b>", "b"),
    ("<i>", "i"),
    ("<u>", "u"),
    ("<s>", "s"),
    ("<code>", "code"),
    ('<span class="tg-spoiler">', "span"),
    ("<tg-spoiler>", "tg-spoiler"),
    ("<blockquote>", "blockquote"),
    ("<blockquote expandable>", "blockquote"),
    ('<a href="https://contoh.go.id/a?b=1&amp;c=2">', "a"),
    ('<pre><code class="language-python">', "pre code"),
]
_WORDS = [
    "proyek",
    "perubahan",
    "Bapak/Ibu",
    "mentor",
    "tahapan",
    "60%",
    "&amp;",
    "&lt;b&gt;",
    "&quot;",
    "&#128077;",
    "👍",
    "🇮🇩",
    "👨\u200d👩\u200d👧",
    "café",
    "e\u0301",
    "x" * 45,  # longer than some limits: forces a hard split
]
_GAPS = [" ", " ", " ", "  ", "\n", "\n\n", "\n\n\n", ", ", ". "]


def _random_html(rng: random.Random, depth: int = 0) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(1, 40 if depth == 0 else 12)):
        if depth < 3 and rng.random() < 0.2:
            raw, name = rng.choice(_TAG_KINDS)
            closing = "".join(f"</{n}>" for n in reversed(name.split()))
            parts.append(raw + _random_html(rng, depth + 1) + closing)
        else:
            parts.append(rng.choice(_WORDS))
        parts.append(rng.choice(_GAPS))
    return "".join(parts)


def _visible(html: str) -> str:
    return unescape(_TAG.sub("", html))


def _styled(html: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each visible character with the opening tags around it, outermost first."""
    result: list[tuple[str, tuple[str, ...]]] = []
    stack: list[tuple[str, str]] = []
    position = 0
    for match in _TAG.finditer(html):
        for char in unescape(html[position : match.start()]):
            result.append((char, tuple(raw for raw, _ in stack)))
        position = match.end()
        if match.group(1):
            assert stack and stack[-1][1] == match.group(2), f"unbalanced: {html!r}"
            stack.pop()
        else:
            stack.append((match.group(0), match.group(2)))
    for char in unescape(html[position:]):
        result.append((char, tuple(raw for raw, _ in stack)))
    assert not stack, f"unclosed tags in {html!r}"
    return result


def _check(text: str, limit: int) -> list[str]:
    chunks = split_html(text, limit)
    for chunk in chunks:
        assert utf16_length(chunk) <= limit, (chunk, limit)
        assert _visible(chunk).strip(), f"chunk without text: {chunk!r}"
        _styled(chunk)  # balanced on its own
    joined, original = _styled_chunks(chunks), _styled(text)
    if not re.search(rf"\s{{{limit // 2},}}", _visible(text)):
        assert _visible("".join(chunks)) == _visible(text)
        assert joined == original
    else:  # only whitespace too long for a message may be dropped
        assert [s for s in joined if not s[0].isspace()] == [
            s for s in original if not s[0].isspace()
        ]
    return chunks


def _styled_chunks(chunks: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    return [styled for chunk in chunks for styled in _styled(chunk)]


def test_generated_messages_keep_every_invariant() -> None:
    rng = random.Random(20261225)
    split_count = 0
    for _ in range(400):
        text = _random_html(rng)
        # At least the deepest nesting (three links: about 160 units) plus the longest word.
        limit = rng.choice([220, 260, 300, 400, 600, 4096])
        chunks = _check(text, limit)
        split_count += len(chunks) > 1
    assert split_count > 150  # the cases do exercise splitting


def test_generated_plain_text_breaks_at_the_best_place() -> None:
    rng = random.Random(7)
    for _ in range(300):
        text = "".join(rng.choice(["kata", "proyek", "\n", " ", "\n\n", "ab"]) for _ in range(200))
        if not text.strip():
            continue
        limit = rng.randint(20, 120)
        chunks = _check(text, limit)
        for chunk in chunks[:-1]:
            # Where the chunk could have ended instead (after its first word).
            inner = chunk[len(chunk) - len(chunk.lstrip()) :][:-1]
            if not chunk.endswith("\n\n"):
                assert not re.search(r"\n\n(?=[^\n])", inner), (chunk, limit)
                if not chunk.endswith("\n"):
                    assert not re.search(r"\n(?=[^\n])", inner), (chunk, limit)
                    if not chunk.endswith(" "):
                        assert not re.search(r" (?=[^ \n])", inner), (chunk, limit)


def test_long_generated_messages_at_telegram_limit() -> None:
    rng = random.Random(42)
    for _ in range(5):
        text = "".join(_random_html(rng) for _ in range(12))
        chunks = _check(text, TELEGRAM_TEXT_LIMIT)
        assert len(chunks) > 1
