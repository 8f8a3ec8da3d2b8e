"""Limits on text people send, and on what the bot sends, the same on every channel."""

from __future__ import annotations

# What one message may hold, and one file's caption, on every channel: the tightest of the
# channels served (Telegram's 4096 and 1024; an adapter checks its own are not tighter), so a
# text that fits here goes as one message everywhere.
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
# A report is relayed to the mentor and coach as one message: a header (participant, agency,
# project title, milestone, percentage, date) above the participant's own text. Keeping the text
# at 3500 leaves about 600 units for that header inside MESSAGE_LIMIT, so a relayed report is
# never split and a reply to it always refers to the whole report.
MAX_REPORT_TEXT = 3500
# Notes and feedback are relayed with a header in the same way.
MAX_NOTE_TEXT = 3500

# Short enough to quote a user's input back inside a one-line error message.
ECHO_LIMIT = 40


class InvalidText(ValueError):
    """Text we cannot take; `code` is a message-catalog key, `params` its placeholders."""

    def __init__(self, code: str, params: dict[str, object]) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units (an emoji outside the BMP counts 2), as Telegram and web
    pages count it: the strictest count among the channels."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def shorten(text: str, width: int = ECHO_LIMIT) -> str:
    """`text` on one line, cut to `width` characters with "…", to echo back in an error."""
    one_line = " ".join(text.split())
    if len(one_line) <= width:
        return one_line
    return one_line[: width - 1].rstrip() + "…"


def clean_user_text(text: str | None, *, limit: int) -> str:
    """`text` with surrounding whitespace stripped and line ends normalized, or `InvalidText`.

    The length is counted in UTF-16 units, the strictest count among the channels, since the
    limit exists so the text fits into one message on each.
    """
    if text is None:
        raise InvalidText("text.error.empty", {})
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise InvalidText("text.error.empty", {})
    length = utf16_length(cleaned)
    if length > limit:
        raise InvalidText("text.error.too_long", {"limit": limit, "length": length})
    return cleaned
