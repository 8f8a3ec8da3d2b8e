"""Catalog markup (domain/markup.py) as HTML for the organizers' web pages."""

from __future__ import annotations

import html

from domain.markup import Code, Link, Node, Style, Text, parse


def web_html(source: str) -> str:
    """HTML for a web page: semantic tags, the text escaped, line ends as <br>."""
    return _web(parse(source))


_WEB_TAGS: dict[Style, str] = {"bold": "strong", "italic": "em", "quote": "blockquote"}


def _web(nodes: tuple[Node, ...]) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(html.escape(node.text).replace("\n", "<br>\n"))
        elif isinstance(node, Code):
            out.append(f"<code>{html.escape(node.text)}</code>")
        elif isinstance(node, Link):
            url = html.escape(node.url)
            out.append(f'<a href="{url}" rel="noopener noreferrer">{_web(node.children)}</a>')
        else:
            tag = _WEB_TAGS[node.style]
            out.append(f"<{tag}>{_web(node.children)}</{tag}>")
    return "".join(out)
