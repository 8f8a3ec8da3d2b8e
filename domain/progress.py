"""Progress percentages: reading what people type and drawing a bar for chat messages."""

from __future__ import annotations

import re

from domain.text import shorten

PERCENT_STEPS: tuple[int, ...] = tuple(range(0, 101, 10))

# U+25B0/U+25B1 (black/white parallelogram): plain-text symbols in the Basic Multilingual Plane,
# drawn at the same width by the system fonts of Android and iOS and on Telegram Desktop. Emoji
# squares (🟩⬜) are drawn at different sizes per platform and count 2 UTF-16 units each; block
# characters (█░) leave gaps or misalign in proportional fonts.
BAR_FILLED = "▰"
BAR_EMPTY = "▱"

# A number, maybe with a fraction (comma or dot), then maybe a percent sign or word.
_PERCENT = re.compile(
    r"^(?P<sign>[+-]?)(?P<whole>[0-9]+)(?:[.,](?P<fraction>[0-9]+))?\s*(?:%|persen|percent)?$"
)


class InvalidPercent(ValueError):
    """A percentage we cannot take; `code` is a message-catalog key, `params` its placeholders."""

    def __init__(self, code: str, params: dict[str, object]) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def parse_percent(text: str) -> int:
    """A whole percentage 0-100 from "60", "60%", "60 persen", "60 percent" or "60,0".

    "60,5" is refused rather than rounded: progress is reported in whole percents, and a
    silent rounding would report something the participant did not say.
    """
    raw = text.strip()
    if not raw:
        raise InvalidPercent("percent.error.empty", {})
    match = _PERCENT.match(raw.casefold())
    if match is None:
        raise InvalidPercent("percent.error.not_number", {"value": shorten(raw)})
    if match["fraction"] and match["fraction"].strip("0"):
        raise InvalidPercent("percent.error.not_whole", {"value": shorten(raw)})
    value = int(match["whole"]) * (-1 if match["sign"] == "-" else 1)
    if not 0 <= value <= 100:
        raise InvalidPercent("percent.error.out_of_range", {"value": value})
    return value


def progress_bar(percent: int, width: int = 10) -> str:
    """A bar and the number, "▰▰▰▰▰▰▱▱▱▱ 60%"; `percent` is clamped to 0-100.

    Cells are rounded, except that only 100% fills the bar and only 0% leaves it empty, so
    "almost done" and "just started" never look like "done" and "not started".
    """
    if width < 1:
        raise ValueError("width must be at least 1")
    percent = max(0, min(100, percent))
    filled = (percent * width + 50) // 100
    if 0 < percent < 100 and width > 1:
        filled = max(1, min(width - 1, filled))
    return f"{BAR_FILLED * filled}{BAR_EMPTY * (width - filled)} {percent}%"
