"""Telegram text formatting: parse_mode parsing into entities, UTF-16 lengths, user entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fakegram.errors import ApiError, bad_request

Entity = dict[str, Any]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "code": "Code",
    "pre": "Pre",
}

_COMMAND_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
_URL_RE = re.compile(r"(?<![\w@])https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'\"]")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's text limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class FormattedText:
    """Text as the user sees it, with its entities (offsets in UTF-16 code units)."""

    text: str
    entities: list[Entity] = field(default_factory=list)


def parse_entities(text: str, parse_mode: str | None) -> FormattedText:
    """Parse ``text`` like Telegram does for ``parse_mode``; ApiError(400) on malformed markup.

    Leading and trailing whitespace is trimmed afterwards, as Telegram trims message texts.
    """
    if parse_mode is None or parse_mode == "":
        result = FormattedText(text, [])
    else:
        mode = parse_mode.lower()
        if mode == "html":
            result = _parse_html(text)
        elif mode == "markdownv2":
            result = _parse_markdown_v2(text)
        elif mode == "markdown":
            result = _parse_markdown(text)
        else:
            raise bad_request("unsupported parse_mode")
    return trim(result)


def plain_text(text: str, parse_mode: str | None = "HTML") -> str:
    """What the user reads for ``text``; falls back to dropping <tags> when the markup is broken."""
    try:
        return parse_entities(text, parse_mode).text
    except ApiError:
        return re.sub(r"<[^>]*>", "", text).strip()


def user_entities(text: str) -> list[Entity]:
    """Entities Telegram detects in a text a user types: bot commands, URLs and @mentions."""
    found: list[Entity] = []
    for kind, pattern in (("bot_command", _COMMAND_RE), ("url", _URL_RE), ("mention", _MENTION_RE)):
        for m in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: m.start()]),
                    "length": utf16_len(m.group(0)),
                }
            )
    found.sort(key=lambda e: (e["offset"], -e["length"]))
    return found


# -- shared builder -------------------------------------------------------------------------


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[Entity] = []

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.pos += utf16_len(s)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.pos - start
        if length <= 0:
            return  # Telegram drops entities that cover no text.
        ent: Entity = {"type": kind, "offset": start, "length": length}
        ent.update({k: v for k, v in extra.items() if v is not None})
        self.entities.append(ent)

    def result(self) -> FormattedText:
        ents = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self.parts), ents)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _parse_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def trim(ft: FormattedText) -> FormattedText:
    """Drop leading and trailing whitespace, shifting and clipping entities to match."""
    stripped = ft.text.strip()
    if stripped == ft.text:
        return ft
    lead = utf16_len(ft.text[: len(ft.text) - len(ft.text.lstrip())])
    total = utf16_len(stripped)
    ents: list[Entity] = []
    for e in ft.entities:
        start = max(e["offset"] - lead, 0)
        end = min(e["offset"] + e["length"] - lead, total)
        if end > start:
            ents.append({**e, "offset": start, "length": end - start})
    return FormattedText(stripped, ents)


# -- HTML -----------------------------------------------------------------------------------


@dataclass
class _Open:
    tag: str
    kind: str
    start: int
    byte_offset: int
    extra: dict[str, Any]


def _decode_html_entities(s: str) -> str:
    def repl(m: re.Match[str]) -> str:
        body = m.group(1)
        if body.startswith(("#x", "#X")):
            return chr(int(body[2:], 16)) if int(body[2:], 16) < 0x110000 else m.group(0)
        if body.startswith("#"):
            return chr(int(body[1:])) if int(body[1:]) < 0x110000 else m.group(0)
        return _NAMED[body]

    return _HTML_ENTITY_RE.sub(repl, s)


def _parse_html(text: str) -> FormattedText:
    out = _Builder()
    stack: list[_Open] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "&":
            m = _HTML_ENTITY_RE.match(text, i)
            if m:
                out.add(_decode_html_entities(m.group(0)))
                i = m.end()
            else:
                out.add("&")
                i += 1
            continue
        if c != "<":
            j = i
            while j < n and text[j] not in "<&":
                j += 1
            out.add(text[i:j])
            i = j
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":
            close = text.find(">", i)
            if close == -1:
                raise _parse_error(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            name = text[i + 1 : close].strip().lower()
            i = close + 1
            if not stack:
                raise _parse_error(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            top = stack[-1]
            if name != top.tag:
                raise _parse_error(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{top.tag}>", found "</{name}>"'
                )
            stack.pop()
            _close_html(out, top)
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in ">/":
            j += 1
        if j >= n:
            raise _parse_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        name = text[i:j].lower()
        if name not in _HTML_TAGS:
            raise _parse_error(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}'
            )
        attrs, i = _html_attributes(text, j, name, begin)
        stack.append(_open_html(out, name, attrs, stack, _byte_offset(text, begin)))
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return out.result()


def _html_attributes(text: str, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    attrs: dict[str, str] = {}
    n = len(text)

    def unclosed() -> ApiError:
        return _parse_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")

    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise unclosed()
        if text[i] == ">":
            return attrs, i + 1
        if text[i] == "/" and i + 1 < n and text[i + 1] == ">":
            return attrs, i + 2
        j = i
        while j < n and not text[j].isspace() and text[j] not in "=>":
            j += 1
        name = text[i:j].lower()
        if not name:
            offset = _byte_offset(text, begin)
            raise _parse_error(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
        i = j
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise unclosed()
        if text[i] != "=":
            attrs[name] = ""  # a value-less attribute such as <blockquote expandable>
            continue
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise unclosed()
        if text[i] in "'\"":
            quote = text[i]
            close = text.find(quote, i + 1)
            if close == -1:
                raise unclosed()
            attrs[name] = _decode_html_entities(text[i + 1 : close])
            i = close + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            attrs[name] = _decode_html_entities(text[i:j])
            i = j


def _open_html(
    out: _Builder, tag: str, attrs: dict[str, str], stack: list[_Open], byte_offset: int
) -> _Open:
    kind = _HTML_TAGS[tag]
    extra: dict[str, Any] = {}
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise _parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}')
    if tag == "a":
        href = attrs.get("href", "")
        extra["url"] = href or None
    elif tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise _parse_error(
                f"Invalid custom emoji identifier specified at byte offset {byte_offset}"
            )
        extra["custom_emoji_id"] = emoji_id
    elif tag == "blockquote" and "expandable" in attrs:
        kind = "expandable_blockquote"
    elif tag == "code" and stack and stack[-1].tag == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            # <pre><code class="language-x"> is one pre entity with a language, not two.
            stack[-1].extra["language"] = language.removeprefix("language-")
            kind = ""
    return _Open(tag, kind, out.pos, byte_offset, extra)


def _close_html(out: _Builder, opened: _Open) -> None:
    if opened.tag == "a" and not opened.extra.get("url"):
        return  # <a> without href: the text stays, Telegram detects a URL in it by itself.
    if opened.kind:
        out.entity(opened.kind, opened.start, **opened.extra)


# -- MarkdownV2 -----------------------------------------------------------------------------


def _parse_markdown_v2(text: str) -> FormattedText:
    out = _Builder()
    stack: list[_Open] = []
    quote_start: int | None = None
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        line_start = i == 0 or text[i - 1] == "\n"
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        top = stack[-1] if stack else None
        if top is not None and top.kind in ("code", "pre"):
            if c == "`" and (top.kind == "code" or text.startswith("```", i)):
                stack.pop()
                out.entity(top.kind, top.start, **top.extra)
                i += 1 if top.kind == "code" else 3
            else:
                out.add(c)
                i += 1
            continue
        if c == "\n":
            if quote_start is not None and not text.startswith(">", i + 1):
                out.entity("blockquote", quote_start)
                quote_start = None
            out.add(c)
            i += 1
            continue
        if c not in _MDV2_RESERVED:
            out.add(c)
            i += 1
            continue
        if c == ">" and line_start:
            if quote_start is None:
                quote_start = out.pos
            i += 1
            continue
        boff = _byte_offset(text, i)
        if top is not None and _mdv2_closes(top, text, i):
            stack.pop()
            if top.kind == "text_link" or top.kind == "custom_emoji":
                i = _mdv2_link_target(text, i + 1, top, out)
                continue
            i += 2 if top.kind in ("underline", "spoiler") else 1
            out.entity(top.kind, top.start, **top.extra)
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "_" and nxt == "_":
            stack.append(_Open("__", "underline", out.pos, boff, {}))
            i += 2
        elif c == "_":
            stack.append(_Open("_", "italic", out.pos, boff, {}))
            i += 1
        elif c == "*":
            stack.append(_Open("*", "bold", out.pos, boff, {}))
            i += 1
        elif c == "~":
            stack.append(_Open("~", "strikethrough", out.pos, boff, {}))
            i += 1
        elif c == "|" and nxt == "|":
            stack.append(_Open("||", "spoiler", out.pos, boff, {}))
            i += 2
        elif c == "[":
            stack.append(_Open("[", "text_link", out.pos, boff, {}))
            i += 1
        elif c == "!" and nxt == "[":
            stack.append(_Open("![", "custom_emoji", out.pos, boff, {}))
            i += 2
        elif c == "`" and text.startswith("```", i):
            i += 3
            end_of_line = text.find("\n", i)
            extra: dict[str, Any] = {}
            if end_of_line != -1:
                language = text[i:end_of_line]
                if language and not any(ch.isspace() for ch in language) and "`" not in language:
                    extra["language"] = language
                    i = end_of_line + 1
                elif not language:
                    i = end_of_line + 1
            stack.append(_Open("```", "pre", out.pos, boff, extra))
        elif c == "`":
            stack.append(_Open("`", "code", out.pos, boff, {}))
            i += 1
        else:
            raise _parse_error(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
    if stack:
        top = stack[-1]
        raise _parse_error(
            f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset {top.byte_offset}"
        )
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    return out.result()


def _mdv2_closes(top: _Open, text: str, i: int) -> bool:
    c = text[i]
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if top.kind == "italic":
        return c == "_" and nxt != "_"
    if top.kind == "underline":
        return c == "_" and nxt == "_"
    if top.kind == "bold":
        return c == "*"
    if top.kind == "strikethrough":
        return c == "~"
    if top.kind == "spoiler":
        return c == "|" and nxt == "|"
    if top.kind in ("text_link", "custom_emoji"):
        return c == "]"
    return False


def _mdv2_link_target(text: str, i: int, opened: _Open, out: _Builder) -> int:
    if i >= len(text) or text[i] != "(":
        if opened.kind == "custom_emoji":
            raise _parse_error("Custom emoji entity must contain a tg://emoji URL")
        return i  # "[text]" without a URL keeps the text and makes no entity.
    j = i + 1
    url: list[str] = []
    while j < len(text) and text[j] != ")":
        if text[j] == "\\" and j + 1 < len(text):
            j += 1
        url.append(text[j])
        j += 1
    if j >= len(text):
        raise _parse_error(f"Can't find end of a URL at byte offset {_byte_offset(text, i + 1)}")
    target = "".join(url)
    if opened.kind == "custom_emoji":
        m = re.fullmatch(r"tg://emoji\?id=(\d+)", target)
        if not m:
            raise _parse_error("Custom emoji URL must have an emoji identifier")
        out.entity("custom_emoji", opened.start, custom_emoji_id=m.group(1))
    else:
        out.entity("text_link", opened.start, url=target)
    return j + 1


# -- legacy Markdown ------------------------------------------------------------------------


def _parse_markdown(text: str) -> FormattedText:
    out = _Builder()
    i, n = 0, len(text)
    kinds = {"*": "bold", "_": "italic", "`": "code", "[": "text_link"}
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if c not in kinds:
            out.add(c)
            i += 1
            continue
        begin = i
        start = out.pos
        extra: dict[str, Any] = {}
        if c == "`" and text.startswith("```", i):
            kind, end_marker = "pre", "```"
            i += 3
            end_of_line = text.find("\n", i)
            if end_of_line != -1:
                language = text[i:end_of_line]
                if language and not any(ch.isspace() for ch in language):
                    extra["language"] = language
                    i = end_of_line + 1
        else:
            kind, end_marker = kinds[c], "]" if c == "[" else c
            i += 1
        close = text.find(end_marker, i)
        if close == -1:
            raise _parse_error(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        out.add(text[i:close])
        i = close + len(end_marker)
        if kind == "text_link":
            if i < n and text[i] == "(":
                url_end = text.find(")", i)
                if url_end == -1:
                    raise _parse_error(
                        "Can't find end of the entity starting at byte offset "
                        f"{_byte_offset(text, begin)}"
                    )
                extra["url"] = text[i + 1 : url_end]
                i = url_end + 1
                out.entity(kind, start, **extra)
            continue
        out.entity(kind, start, **extra)
    return out.result()
