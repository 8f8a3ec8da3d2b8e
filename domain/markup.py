"""Channel-neutral light markup for catalog texts: parsed into a small tree, rendered per channel.

The catalogs hold this markup, never a channel's own format; each adapter renders the tree
(Telegram's HTML in handlers/telegram_text.py, HTML for a web page in web/markup.py; here the
channel-neutral renderings: plain text for a terminal or a length, and WhatsApp's asterisks)
and measures or splits the result against its own limits.

The syntax, deliberately small:

    **bold**            bold
    _italic_            italic; an underscore inside a word (EVIDENCE_DIR) stays literal
    `code`              monospace, nothing inside it is markup
    [text](url)         a link
    >>>quoted<<<        a quotation block; it may span lines, and so may what is quoted
    \\*                 a backslash makes any of  \\ * _ ` [ ] ( ) < >  literal

A delimiter without its partner is literal text. Everything put into a message from outside
(a name, a report, a date) is passed through `escape` first, so it renders literally on every
channel and can never open markup: `Markup` marks text that is markup already (a catalog text
rendered with its own parameters escaped), which `escape` lets through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

ESCAPABLE = frozenset("\\*_`[]()<>")
_QUOTE_OPEN, _QUOTE_CLOSE = ">>>", "<<<"

# WhatsApp has no escape character: a zero-width space beside a literal *, _, ~ or ` keeps it
# from pairing with another into formatting, and readers do not see it.
_ZERO_WIDTH_SPACE = "\u200b"
_WHATSAPP_DELIMITERS = frozenset("*_~`")


class Markup(str):
    """Text that is markup already: `escape` leaves it as it is."""

    __slots__ = ()


def escape(value: str) -> Markup:
    """`value` as markup that renders exactly as `value` reads (unless it is `Markup` already)."""
    if isinstance(value, Markup):
        return value
    return Markup("".join("\\" + char if char in ESCAPABLE else char for char in value))


def escape_params(params: Mapping[str, object]) -> dict[str, object]:
    """`params` with every string escaped for the markup (numbers and `Markup` unchanged)."""
    return {k: escape(v) if isinstance(v, str) else v for k, v in params.items()}


# --- the tree ----------------------------------------------------------------------------------

Style = Literal["bold", "italic", "quote"]


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Styled:
    style: Style
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Link:
    url: str
    children: tuple[Node, ...]


Node = Text | Code | Styled | Link


# A run of characters that can neither escape, open nor close anything: taken in one step.
_PLAIN_RUN = re.compile(r"[^\\*_`\[\]<>]+")


@lru_cache(maxsize=512)
def parse(source: str) -> tuple[Node, ...]:
    """The tree of `source`; never fails (what does not parse as markup is text).

    Cached (the tree is immutable): every text sent is parsed, and most are the same prompts."""
    nodes, _ = _Parser(source).inline(0, None)
    return nodes


class _Parser:
    def __init__(self, source: str) -> None:
        self.s = source

    def inline(self, i: int, closer: str | None) -> tuple[tuple[Node, ...], int]:
        """Nodes from `i` up to `closer` (returning the index after it); with `closer` not
        found, raises _Unclosed so the caller treats its opener as text."""
        s = self.s
        nodes: list[Node] = []
        buffer: list[str] = []

        def flush() -> None:
            if buffer:
                text = "".join(buffer)
                if nodes and isinstance(nodes[-1], Text):
                    nodes[-1] = Text(nodes[-1].text + text)
                else:
                    nodes.append(Text(text))
                buffer.clear()

        while i < len(s):
            plain = _PLAIN_RUN.match(s, i)
            if plain is not None:
                buffer.append(plain.group())
                i = plain.end()
                continue
            char = s[i]
            if char == "\\" and i + 1 < len(s) and s[i + 1] in ESCAPABLE:
                buffer.append(s[i + 1])
                i += 2
                continue
            if closer is not None and self._closes(i, closer):
                flush()
                return tuple(nodes), i + len(closer)
            opened = self._open(i)
            if opened is not None:
                node, i = opened
                flush()
                nodes.append(node)
                continue
            buffer.append(char)
            i += 1
        if closer is not None:
            raise _Unclosed
        flush()
        return tuple(nodes), i

    def _closes(self, i: int, closer: str) -> bool:
        s = self.s
        if not s.startswith(closer, i):
            return False
        if closer in ("**", "_"):
            if i == 0 or s[i - 1].isspace():
                return False
            if closer == "_":
                after = s[i + 1 : i + 2]
                return not after or not after.isalnum()
        return True

    def _open(self, i: int) -> tuple[Node, int] | None:
        s = self.s
        try:
            if s.startswith("**", i) and self._starts_word(i + 2):
                children, end = self.inline(i + 2, "**")
                return Styled("bold", children), end
            if s[i] == "_" and self._starts_word(i + 1) and (i == 0 or not s[i - 1].isalnum()):
                children, end = self.inline(i + 1, "_")
                return Styled("italic", children), end
            if s.startswith(_QUOTE_OPEN, i):
                children, end = self.inline(i + len(_QUOTE_OPEN), _QUOTE_CLOSE)
                return Styled("quote", children), end
            if s[i] == "`":
                return self._code(i)
            if s[i] == "[":
                return self._link(i)
        except _Unclosed:
            return None
        return None

    def _starts_word(self, i: int) -> bool:
        return i < len(self.s) and not self.s[i].isspace()

    def _literal_until(self, i: int, stop: str) -> tuple[str, int]:
        """Text from `i` up to an unescaped `stop` (escapes resolved), and the index after it."""
        s = self.s
        out: list[str] = []
        while i < len(s):
            if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in ESCAPABLE:
                out.append(s[i + 1])
                i += 2
            elif s[i] == stop:
                return "".join(out), i + 1
            else:
                out.append(s[i])
                i += 1
        raise _Unclosed

    def _code(self, i: int) -> tuple[Node, int]:
        text, end = self._literal_until(i + 1, "`")
        if not text:
            raise _Unclosed
        return Code(text), end

    def _link(self, i: int) -> tuple[Node, int]:
        children, end = self.inline(i + 1, "]")
        if not self.s.startswith("(", end):
            raise _Unclosed
        url, end = self._literal_until(end + 1, ")")
        if not url.strip():
            raise _Unclosed
        return Link(url.strip(), children), end


class _Unclosed(Exception):
    """An opener without its closer: the opener is text."""


# --- renderers ---------------------------------------------------------------------------------


def to_plain(source: str) -> str:
    """What a reader sees, without formatting: for a terminal, a toast, a length."""
    return _plain(parse(source))


def _plain(nodes: tuple[Node, ...]) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text | Code):
            out.append(node.text)
        elif isinstance(node, Link):
            label = _plain(node.children)
            out.append(label if label == node.url else f"{label} ({node.url})")
        else:
            out.append(_plain(node.children))
    return "".join(out)


def to_whatsapp(source: str) -> str:
    """WhatsApp's formatting: *bold*, _italic_, ```code```, "text (url)", quoted lines "> "."""
    return _whatsapp(parse(source))


def _whatsapp(nodes: tuple[Node, ...]) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(_whatsapp_literal(node.text))
        elif isinstance(node, Code):
            out.append(f"```{node.text.replace('`', '`' + _ZERO_WIDTH_SPACE)}```")
        elif isinstance(node, Link):
            label = _whatsapp(node.children)
            url = node.url
            out.append(url if to_plain_nodes(node.children) == url else f"{label} ({url})")
        elif node.style == "quote":
            inner = _whatsapp(node.children).strip("\n")
            out.append("\n".join(f"> {line}" for line in inner.split("\n")))
        else:
            mark = "*" if node.style == "bold" else "_"
            out.append(f"{mark}{_whatsapp(node.children)}{mark}")
    return "".join(out)


def _whatsapp_literal(text: str) -> str:
    return "".join(
        f"{_ZERO_WIDTH_SPACE}{char}{_ZERO_WIDTH_SPACE}" if char in _WHATSAPP_DELIMITERS else char
        for char in text
    )


def to_plain_nodes(nodes: tuple[Node, ...]) -> str:
    """The plain text of parsed nodes (see `to_plain`)."""
    return _plain(nodes)


def visible_length(source: str) -> int:
    """The length a reader sees, in UTF-16 units (how Telegram and web pages count)."""
    plain = to_plain(source)
    return len(plain) + sum(1 for char in plain if ord(char) > 0xFFFF)
