"""QR codes of invite links, drawn as inline SVG: a participant scans the organizer's screen
with their phone and lands in the bot's chat with the code filled in. Inline, so the page
needs no image route and no `data:` exception in its Content-Security-Policy."""

from __future__ import annotations

from markupsafe import Markup


def qr_svg(link: str, *, title: str) -> Markup:
    """The link as a QR code (error correction M: still read from a screen photo)."""
    import segno  # on the first QR drawn, not at start: an idle bot does not carry it

    code = segno.make(link, error="m", micro=False)
    # segno escapes the title and draws only paths: the SVG is safe to put in the page.
    return Markup(code.svg_inline(scale=4, title=title, svgclass="qr", lineclass=None))
