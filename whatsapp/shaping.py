"""A prompt shaped into what WhatsApp takes: plain messages, up to three reply buttons, or list
messages, each within Meta's limits. Pure functions: the screen sends what they return.

Meta refuses a 4th button, a 21-character button title, an 11th list row or a 25-character row
title outright; so choices are laid out here, never cut by the API. A choice whose label does not
fit a button goes into a list, whose row shows the label's start as its title and the whole of
it (up to 72 characters) as its description: shortened, never a different meaning."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from domain.forms import Choice, Prompt, PromptKind, encode_button
from domain.markup import to_whatsapp

TEXT_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
MAX_BUTTONS = 3
BUTTON_TITLE_MAX = 20
MAX_ROWS = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
LIST_BUTTON_MAX = 20
SECTION_TITLE_MAX = 24
ELLIPSIS = "…"
# The "more" row of a long list: "wm1:<step token>:<page>".
MORE = "wm1"
_MORE = re.compile(rf"^{MORE}:([a-z0-9]{{6}}):(\d{{1,3}})$")


@dataclass(frozen=True)
class TextOut:
    body: str


@dataclass(frozen=True)
class ButtonsOut:
    body: str
    buttons: tuple[tuple[str, str], ...]  # (id, title)


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    description: str | None = None


@dataclass(frozen=True)
class ListOut:
    body: str
    button: str
    section: str
    rows: tuple[Row, ...]


Out = TextOut | ButtonsOut | ListOut


@dataclass(frozen=True)
class Labels:
    """The few words the shaping adds, from the catalog in the person's language."""

    list_button: str  # opens a list ("Pilih")
    section: str  # the list's heading ("Pilihan")
    choose_below: str  # the body when the question itself went out as text before
    more: Callable[[int, int], str]  # the body of a long list's later page (page, pages)
    more_row: str  # the row that shows a long list's next page


def shorten(text: str, limit: int) -> str:
    """`text` if it fits, else its start up to a word boundary and an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:·-") + ELLIPSIS


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """`text` in parts of at most `limit`, broken after a paragraph, a line or a word where one
    is near enough."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            found = window.rfind(separator)
            if found >= limit // 2:
                cut = found
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest.strip() or not parts:
        parts.append(rest)
    return parts


def choice_id(choice: Choice, token: str | None) -> str:
    """What a tap on the choice sends back: its action, or the form button of the step."""
    if choice.action is not None:
        return choice.action
    if token is None:
        raise ValueError("a choice of a form needs the step's token")
    return encode_button(token, choice.value)


def label_of(choice: Choice) -> str:
    """A choice's label on one line (labels are plain text, not markup)."""
    return " ".join(choice.label.split())


def as_buttons(choices: tuple[Choice, ...]) -> bool:
    """Reply buttons when there are few enough and every label fits whole (and they differ)."""
    if not choices or len(choices) > MAX_BUTTONS:
        return False
    titles = [label_of(c) for c in choices]
    return all(1 <= len(t) <= BUTTON_TITLE_MAX for t in titles) and len(set(titles)) == len(titles)


def row_of(choice: Choice, token: str | None) -> Row:
    label = label_of(choice)
    title = shorten(label, ROW_TITLE_MAX)
    description = None if title == label else shorten(label, ROW_DESCRIPTION_MAX)
    return Row(choice_id(choice, token), title, description)


def shape(
    prompt: Prompt, token: str | None, labels: Labels, *, pageable: bool = False
) -> list[Out]:
    """The messages that show `prompt` on WhatsApp, in order. `pageable`: a list longer than
    one message shows its first page with a "more" row (the caller keeps the rows, see
    `page_rows`); otherwise each page is a list message of its own."""
    full = to_whatsapp(prompt.text)
    choices = prompt.choices
    if not choices:
        return [TextOut(part) for part in split_text(full)]
    body = full
    head: list[str] = []
    if len(body) > INTERACTIVE_BODY_MAX and prompt.shortened is not None:
        body = to_whatsapp(prompt.shortened)
    if len(body) > INTERACTIVE_BODY_MAX:
        # The question goes out as text; the choices follow under a short line.
        *head, last = split_text(full)
        if len(last) <= INTERACTIVE_BODY_MAX:
            body = last
        else:
            head.append(last)
            body = labels.choose_below
    out: list[Out] = [TextOut(part) for part in head]
    if prompt.kind is not PromptKind.LIST and as_buttons(choices):
        buttons = tuple((choice_id(c, token), label_of(c)) for c in choices)
        out.append(ButtonsOut(body, buttons))
        return out
    button = shorten(labels.list_button, LIST_BUTTON_MAX)
    section = shorten(labels.section, SECTION_TITLE_MAX)
    rows = tuple(row_of(c, token) for c in choices)
    if len(rows) > MAX_ROWS and token is not None and pageable:
        # A long list of a form's step: its first page, and a row that shows the next (the
        # screen keeps the rows with the step, see whatsapp/screen.py).
        out.append(ListOut(body, button, section, page_rows(rows, 0, token, labels)))
        return out
    pages = [rows[i : i + MAX_ROWS] for i in range(0, len(rows), MAX_ROWS)]
    for number, page in enumerate(pages, start=1):
        text = body if number == 1 else labels.more(number, len(pages))
        out.append(ListOut(text, button, section, page))
    return out


def page_count(rows: tuple[Row, ...]) -> int:
    """How many pages a long list takes: MAX_ROWS - 1 rows and a "more" row each, the last
    page up to MAX_ROWS rows."""
    if len(rows) <= MAX_ROWS:
        return 1
    per = MAX_ROWS - 1
    pages, left = 0, len(rows)
    while left > MAX_ROWS:
        pages, left = pages + 1, left - per
    return pages + 1


def page_rows(rows: tuple[Row, ...], page: int, token: str, labels: Labels) -> tuple[Row, ...]:
    """The rows of page `page` (from 0) of a long list, with its "more" row unless it is the
    last page."""
    per = MAX_ROWS - 1
    start = page * per
    if page + 1 >= page_count(rows):
        return rows[start : start + MAX_ROWS]
    return (*rows[start : start + per], Row(more_id(token, page + 1), labels.more_row))


def more_id(token: str, page: int) -> str:
    return f"{MORE}:{token}:{page}"


def more_press(data: str | None) -> tuple[str, int] | None:
    """(token, page) of a tap on a long list's "more" row."""
    match = _MORE.match(data or "")
    if match is None:
        return None
    return match.group(1), int(match.group(2))
