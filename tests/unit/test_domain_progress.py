"""Unit tests for progress percentages and the progress bar."""

import pytest

from domain.i18n import translator
from domain.progress import (
    BAR_EMPTY,
    BAR_FILLED,
    PERCENT_STEPS,
    InvalidPercent,
    parse_percent,
    progress_bar,
)
from domain.text import utf16_length


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("60", 60),
        ("60%", 60),
        ("60 %", 60),
        ("60 persen", 60),
        ("60 Persen", 60),
        ("60 percent", 60),
        (" 60,0 ", 60),
        ("60.0", 60),
        ("60,00%", 60),
        ("0", 0),
        ("100", 100),
        ("100%", 100),
        ("007", 7),
        ("+5", 5),
        ("-0", 0),
    ],
)
def test_accepted(typed: str, value: int) -> None:
    assert parse_percent(typed) == value


def _error(typed: str) -> InvalidPercent:
    with pytest.raises(InvalidPercent) as caught:
        parse_percent(typed)
    return caught.value


@pytest.mark.parametrize("typed", ["", "  ", "\n"])
def test_empty(typed: str) -> None:
    assert (_error(typed).code, _error(typed).params) == ("percent.error.empty", {})


@pytest.mark.parametrize(
    "typed", ["enam puluh", "60 %%", "%60", "60-70", "6 0", "sixty percent", "1e2", "60 persen!"]
)
def test_not_a_number(typed: str) -> None:
    error = _error(typed)
    assert (error.code, error.params) == ("percent.error.not_number", {"value": typed})


@pytest.mark.parametrize("typed", ["60.5", "60,5", "60,05 %", "99.9"])
def test_fractions_are_refused_not_rounded(typed: str) -> None:
    error = _error(typed)
    assert (error.code, error.params) == ("percent.error.not_whole", {"value": typed})


@pytest.mark.parametrize(("typed", "value"), [("101", 101), ("150%", 150), ("-5", -5)])
def test_out_of_range_echoes_the_value(typed: str, value: int) -> None:
    error = _error(typed)
    assert (error.code, error.params) == ("percent.error.out_of_range", {"value": value})


def test_errors_render_in_both_languages() -> None:
    errors = [_error(""), _error("abc"), _error("60.5"), _error("120")]
    for language in ("id", "en"):
        for error in errors:
            assert translator(language)(error.code, **error.params)


def test_steps() -> None:
    assert PERCENT_STEPS == (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)


@pytest.mark.parametrize(
    ("percent", "bar"),
    [
        (0, "▱▱▱▱▱▱▱▱▱▱ 0%"),
        (60, "▰▰▰▰▰▰▱▱▱▱ 60%"),
        (100, "▰▰▰▰▰▰▰▰▰▰ 100%"),
        (65, "▰▰▰▰▰▰▰▱▱▱ 65%"),
        (64, "▰▰▰▰▰▰▱▱▱▱ 64%"),
        # Only 0% is empty and only 100% is full.
        (1, "▰▱▱▱▱▱▱▱▱▱ 1%"),
        (99, "▰▰▰▰▰▰▰▰▰▱ 99%"),
        # Out-of-range values are clamped, number included.
        (-20, "▱▱▱▱▱▱▱▱▱▱ 0%"),
        (250, "▰▰▰▰▰▰▰▰▰▰ 100%"),
    ],
)
def test_progress_bar(percent: int, bar: str) -> None:
    assert progress_bar(percent) == bar


def test_progress_bar_width() -> None:
    assert progress_bar(50, width=4) == "▰▰▱▱ 50%"
    assert progress_bar(50, width=1) in ("▰ 50%", "▱ 50%")
    for width in range(1, 21):
        for percent in range(101):
            cells = progress_bar(percent, width).split(" ")[0]
            assert len(cells) == width
            assert set(cells) <= {BAR_FILLED, BAR_EMPTY}
    with pytest.raises(ValueError):
        progress_bar(50, width=0)


def test_bar_grows_with_progress() -> None:
    filled = [progress_bar(p).count(BAR_FILLED) for p in range(101)]
    assert filled == sorted(filled)


def test_bar_characters_count_one_unit_each_in_telegram() -> None:
    assert utf16_length(BAR_FILLED + BAR_EMPTY) == 2
