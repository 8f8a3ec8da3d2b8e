"""Telegram's side of text: its length limits, the markup rendered to its HTML, long HTML split.

Catalog texts are channel-neutral markup (domain/markup.py); here is where they become what
Telegram takes (parse_mode HTML) and where Telegram's own limits are applied.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html import unescape
from typing import Literal, NamedTuple

from domain.markup import Code, Link, Node, Style, Text, parse, to_plain
from domain.text import utf16_length

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
# A callback query's answer (the toast shown when a button is pressed).
TELEGRAM_TOAST_LIMIT = 200


def telegram_html(markup: str) -> str:
    """Catalog markup as Telegram's HTML (parse_mode HTML): its tags, the text escaped."""
    return _telegram(parse(markup))


_TELEGRAM_TAGS: dict[Style, str] = {"bold": "b", "italic": "i", "quote": "blockquote"}


def _telegram(nodes: tuple[Node, ...]) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(html.escape(node.text, quote=False))
        elif isinstance(node, Code):
            out.append(f"<code>{html.escape(node.text, quote=False)}</code>")
        elif isinstance(node, Link):
            out.append(f'<a href="{html.escape(node.url)}">{_telegram(node.children)}</a>')
        else:
            tag = _TELEGRAM_TAGS[node.style]
            out.append(f"<{tag}>{_telegram(node.children)}</{tag}>")
    return "".join(out)


def toast(markup: str) -> str:
    """Catalog markup as a toast: plain text (a toast shows no formatting), cut to its limit."""
    return to_plain(markup)[:TELEGRAM_TOAST_LIMIT]


def markup_parts(markup: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Catalog markup of any length as Telegram HTML messages of at most `limit` each."""
    return split_html(telegram_html(markup), limit)


# --- splitting Telegram HTML -------------------------------------------------------------------

_AtomKind = Literal["text", "open", "close", "void"]

# A tag with quoted attribute values (which may hold ">"), an entity, or a run of plain text.
# A "<" or "&" that starts neither is plain text (Telegram would refuse it, but we do not lose it).
_TOKEN = re.compile(
    r"(?P<tag><(?P<slash>/?)(?P<name>[A-Za-z][\w-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>)"
    r"|(?P<entity>&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)"
    r"|(?P<text>[^<&]+|[<&])"
)
_VOID_TAGS = frozenset({"br", "hr", "img"})

# Break quality, best first: after a blank line, after a line end, after a space, anywhere that
# does not tear a character apart, anywhere.
_PARAGRAPH, _LINE, _SPACE, _HARD, _LAST_RESORT = 4, 3, 2, 1, 0
# Characters that belong to the character before them: breaking in front of them would split
# an emoji sequence or an accented letter across two messages.
_JOINERS = frozenset({"\u200d", "\u20e3"})


class _Atom(NamedTuple):  # a NamedTuple: one is built per character, so it must be cheap
    raw: str
    kind: _AtomKind
    name: str  # tag name, lower case; "" for text
    visible: str  # what the reader sees; "" for tags
    size: int  # UTF-16 units of `raw`


def split_html(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split Telegram HTML into messages of at most `limit` UTF-16 units each.

    Breaks after a blank line if one fits, else after a line end, else after a space, else
    anywhere between characters; never inside a tag or an entity. Tags open at a break are
    closed at the end of one chunk and reopened (with their attributes) at the start of the
    next, so each chunk is valid HTML alone. The markup is counted too, although Telegram only
    counts the text left after parsing it, so a chunk always fits. Empty text gives no chunks,
    and whitespace that fills a whole chunk alone is dropped (Telegram would refuse it).
    Raises ValueError when the tags that must be open around a character do not fit in `limit`.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if not text:
        return []
    if utf16_length(text) <= limit:
        return [text]
    atoms = _tokenize(text)
    quality = _break_quality(atoms)
    chunks: list[str] = []
    start = 0
    stack: tuple[_Atom, ...] = ()  # the tags open where the next chunk starts
    while start < len(atoms):
        end, stack_at_end = _chunk_end(atoms, quality, start, stack, limit)
        # A chunk of only whitespace (a run longer than a message) is dropped: Telegram trims
        # it to nothing and refuses to send an empty message.
        if any(atom.visible.strip() for atom in atoms[start:end]):
            prefix = "".join(tag.raw for tag in stack)
            body = "".join(atom.raw for atom in atoms[start:end])
            # The last chunk ends with the input's own closing tags.
            closing = "" if end == len(atoms) else _closers(stack_at_end)
            chunks.append(prefix + body + closing)
        start, stack = end, stack_at_end
    return chunks


def _tokenize(text: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        if match.group("tag"):
            name = match.group("name").lower()
            kind: _AtomKind
            if match.group("slash"):
                kind = "close"
            elif raw.endswith("/>") or name in _VOID_TAGS:
                kind = "void"
            else:
                kind = "open"
            atoms.append(_Atom(raw, kind, name, "", utf16_length(raw)))
        elif match.group("entity"):
            atoms.append(_Atom(raw, "text", "", unescape(raw), len(raw)))
        else:
            atoms.extend(_Atom(char, "text", "", char, 2 if char > "\uffff" else 1) for char in raw)
    return atoms


def _break_quality(atoms: list[_Atom]) -> list[int]:
    """For each position i (a break before atoms[i]), how good a place to break it is.

    -1 marks positions that are never used: right after an opening tag (the tag would close
    empty and reopen), right before a closing tag (the next chunk would start by closing) and
    where no text follows.
    """
    n = len(atoms)
    before: list[str] = [""] * (n + 1)  # the last two visible characters before position i
    seen = ""
    for i, atom in enumerate(atoms):
        before[i] = seen
        if atom.visible:
            seen = (seen + atom.visible)[-2:]
    before[n] = seen
    after: list[str] = [""] * (n + 1)  # the first visible character from position i on
    words_after: list[bool] = [False] * (n + 1)  # any non-whitespace text from position i on
    for i in range(n - 1, -1, -1):
        after[i] = atoms[i].visible[:1] or after[i + 1]
        words_after[i] = words_after[i + 1] or bool(atoms[i].visible.strip())

    quality = [-1] * (n + 1)
    for i in range(1, n + 1):
        prev, nxt = before[i], after[i]
        if atoms[i - 1].kind == "open" or (i < n and atoms[i].kind == "close"):
            continue
        if i < n and not nxt:
            continue  # only tags follow: a chunk of them alone would be an empty message
        if i < n and not words_after[i]:
            quality[i] = _LAST_RESORT  # only whitespace follows, which Telegram trims away
            continue
        if prev.endswith("\n\n") and nxt != "\n":
            quality[i] = _PARAGRAPH
        elif prev.endswith("\n") and nxt != "\n":
            quality[i] = _LINE
        elif prev[-1:] in (" ", "\t") and nxt not in (" ", "\t", "\n"):
            quality[i] = _SPACE
        elif _tears_character(prev[-1:], nxt):
            quality[i] = _LAST_RESORT
        else:
            quality[i] = _HARD
    return quality


def _tears_character(prev: str, nxt: str) -> bool:
    if prev in _JOINERS or nxt in _JOINERS:
        return True
    if not nxt:
        return False
    code = ord(nxt)
    # Variation selectors and skin-tone modifiers style the emoji before them.
    if 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF:
        return True
    return unicodedata.category(nxt) in ("Mn", "Mc", "Me")


def _chunk_end(
    atoms: list[_Atom],
    quality: list[int],
    start: int,
    stack: tuple[_Atom, ...],
    limit: int,
) -> tuple[int, tuple[_Atom, ...]]:
    """Where the chunk starting at `start` ends, and the tags open there."""
    open_tags = list(stack)
    size = sum(tag.size for tag in stack)
    closers = sum(_closer_size(tag) for tag in stack)
    has_words = has_text = False
    # quality -> latest (end, open tags); `blank` holds breaks leaving a chunk of only
    # whitespace, which Telegram refuses to send, for text that offers nothing better.
    best: dict[int, tuple[int, tuple[_Atom, ...]]] = {}
    blank: dict[int, tuple[int, tuple[_Atom, ...]]] = {}
    i = start
    while i < len(atoms):
        atom = atoms[i]
        size += atom.size
        if atom.kind == "open":
            open_tags.append(atom)
            closers += _closer_size(atom)
        elif atom.kind == "close":
            closers -= _pop(open_tags, atom.name)
        elif atom.kind == "text":
            has_text = True
            has_words = has_words or bool(atom.visible.strip())
        i += 1
        if i == len(atoms):
            if size <= limit:
                return i, tuple(open_tags)
            break
        if size + closers > limit:
            break
        if has_text and quality[i] >= 0:
            (best if has_words else blank)[quality[i]] = (i, tuple(open_tags))
    found = best or blank
    if not found:
        raise ValueError(f"cannot fit the open tags and one character into {limit} units")
    return found[max(found)]


def _pop(open_tags: list[_Atom], name: str) -> int:
    """Close the innermost open tag called `name` (and any left open inside it)."""
    for depth in range(len(open_tags) - 1, -1, -1):
        if open_tags[depth].name == name:
            closed = open_tags[depth:]
            del open_tags[depth:]
            return sum(_closer_size(tag) for tag in closed)
    return 0  # a stray closing tag: nothing to reopen later


def _closer_size(tag: _Atom) -> int:
    return len(tag.name) + 3  # "</" + name + ">"


def _closers(stack: tuple[_Atom, ...]) -> str:
    return "".join(f"</{tag.name}>" for tag in reversed(stack))
