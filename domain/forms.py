"""Forms as channel-neutral step machines: what a step asks (a prompt), what a person answers
(an input) and the button codec that tells a press on the current prompt from a stale one.

Nothing here knows a channel: an adapter (Telegram today) renders a Prompt its own way and
turns what arrives into an Input."""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

# Every form button is "<kind>:<token>:<value>"; the kind is shared with the Telegram adapter's
# button table (handlers/callbacks.py), which only names it.
BUTTON_KIND = "fm1"
_TOKEN = re.compile(r"^[a-z0-9]{6}$")
_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_BUTTON = re.compile(rf"^{BUTTON_KIND}:([a-z0-9]{{6}}):([A-Za-z0-9_-]{{1,40}})$")
_TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


class PromptKind(StrEnum):
    """What the person is asked for; a channel picks its widgets from it."""

    MESSAGE = "message"  # only information: nothing is asked
    CHOICE = "choice"  # up to three choices (buttons on every channel)
    LIST = "list"  # a list of choices (a list widget where buttons would not fit)
    FREE_TEXT = "free_text"  # typed words, perhaps with a choice beside ("Lewati")
    MEDIA = "media"  # files, with a choice to finish or skip
    CONFIRM = "confirm"  # a read-back with send / change / cancel


# Where a channel has no widget for more, a list is shown in pages of this many.
LIST_PAGE = 10
CHOICE_LIMIT = 3


@dataclass(frozen=True)
class Choice:
    """One answer offered under a prompt. `value` comes back in a ChoiceInput; `action` (a
    neutral action string such as domain.actions.correct_report) makes it a button that opens
    something on its own, outside the form, and is used instead of the value."""

    label: str
    value: str = ""
    action: str | None = None

    def __post_init__(self) -> None:
        if self.action is None and not _VALUE.match(self.value):
            raise ValueError(f"bad choice value {self.value!r}")


@dataclass(frozen=True)
class Prompt:
    """A question (or a read-back) in catalog text already rendered for the person.

    `columns` is a layout hint for channels that lay choices out in a grid; `layout`, when
    given, the length of each row instead (the last repeats). Length limits are the channel's:
    it splits or, given `shortened`, shows that instead."""

    text: str
    kind: PromptKind = PromptKind.MESSAGE
    choices: tuple[Choice, ...] = ()
    columns: int = 1
    layout: tuple[int, ...] = ()
    # Shown instead of `text` by a channel whose message limit `text` passes.
    shortened: str | None = None

    def __post_init__(self) -> None:
        if self.kind is PromptKind.CHOICE and len(self.choices) > CHOICE_LIMIT:
            raise ValueError(f"a choice prompt offers at most {CHOICE_LIMIT} choices")
        if self.kind is PromptKind.MESSAGE and any(c.action is None for c in self.choices):
            raise ValueError("a message asks nothing: only action buttons may stand under it")

    @property
    def rows(self) -> list[list[Choice]]:
        """The choices in rows of `columns` (or as `layout` says)."""
        widths = [max(1, w) for w in self.layout] or [max(1, self.columns)]
        rows: list[list[Choice]] = []
        start = 0
        while start < len(self.choices):
            width = widths[min(len(rows), len(widths) - 1)]
            rows.append(list(self.choices[start : start + width]))
            start += width
        return rows

    def pages(self) -> list[tuple[Choice, ...]]:
        """The choices in pages of LIST_PAGE, for a channel whose lists hold no more."""
        return [self.choices[i : i + LIST_PAGE] for i in range(0, len(self.choices), LIST_PAGE)]


@dataclass(frozen=True)
class TextInput:
    """Words typed by the person."""

    text: str


@dataclass(frozen=True)
class ChoiceInput:
    """A choice under a prompt of the current step (the token was checked by the engine)."""

    value: str


@dataclass(frozen=True)
class MediaInput:
    """A file the person sent, as the channel describes it. `ref` is the channel's own handle
    for fetching it again (Telegram's file_id); `album` groups files sent together; `channel`
    (a Channel value) names whose handle it is, None when it is not worth keeping."""

    kind: str  # EvidenceKind value: "photo" or "document"
    ref: str
    unique_ref: str
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    caption: str | None = None
    album: str | None = None
    channel: str | None = None


Input = TextInput | ChoiceInput | MediaInput


# Where the step tokens of the update being handled come from (set by bot/worker.py for an
# update taken from the inbox; None elsewhere: random tokens).
token_source: ContextVar[Callable[[], str] | None] = ContextVar(
    "properbot_form_token_source", default=None
)


def new_token() -> str:
    """A fresh step token: short, so it fits beside a value in Telegram's 64 bytes."""
    source = token_source.get()
    if source is not None:
        return source()
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(6))


def tokens_from(seed: str) -> Callable[[], str]:
    """The step tokens of one update, drawn in order from its `seed` (its identity in the
    inbox). An update handled again after a kill cut it short draws the same tokens: the
    prompt its first attempt showed before the kill keeps working, where fresh random tokens
    would make the person's press on it stale (the first attempt's state was never saved)."""
    drawn = itertools.count()

    def draw() -> str:
        number = int.from_bytes(hashlib.sha256(f"{seed}:{next(drawn)}".encode()).digest())
        chars = []
        for _ in range(6):
            number, index = divmod(number, len(_TOKEN_ALPHABET))
            chars.append(_TOKEN_ALPHABET[index])
        return "".join(chars)

    return draw


def encode_button(token: str, value: str) -> str:
    """The data of a button answering the step that has `token` with `value`."""
    if not _TOKEN.match(token) or not _VALUE.match(value):
        raise ValueError(f"bad form button {token!r} {value!r}")
    return f"{BUTTON_KIND}:{token}:{value}"


@dataclass(frozen=True)
class FormButton:
    token: str
    value: str


def decode_button(data: str | None) -> FormButton | None:
    """A form button's token and value, or None when the data is not a form button."""
    match = _BUTTON.match(data or "")
    if match is None:
        return None
    return FormButton(token=match.group(1), value=match.group(2))


def is_form_button(data: str | None) -> bool:
    """The data claims to be a form button (well formed or not): the form router answers it."""
    return (data or "").startswith(f"{BUTTON_KIND}:")
