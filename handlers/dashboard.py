"""/dasbor: a one-time link to the web desk, for anyone who has joined."""

from __future__ import annotations

from urllib.parse import urlencode

from telegram import LinkPreviewOptions, Update

from handlers.runtime import Context
from handlers.turn import Turn
from services import web_login

# Where a login link lands on the web desk (web/desk.py serves it).
LOGIN_PATH = "/dasbor/masuk"


def login_url(base_url: str, token: str) -> str:
    return f"{base_url}{LOGIN_PATH}?{urlencode({'token': token})}"


async def dashboard_command(update: Update, context: Context, current: Turn) -> None:
    """/dasbor: the link, valid LINK_LIFETIME and once; nothing when the desk is not set up."""
    message = update.effective_message
    assert message is not None and current.actor.person_id is not None
    base_url = current.runtime.web_base_url
    if base_url is None:
        await message.reply_text(current.t("web.dasbor.not_configured"))
        return
    try:
        token = await web_login.issue_link(current.session, current.actor.person_id, current.now())
    except web_login.TooManyLinks as exc:
        await message.reply_text(current.t(exc.key, **exc.params))
        return
    text = current.t(
        "web.dasbor.link",
        link=login_url(base_url, token),
        minutes=int(web_login.LINK_LIFETIME.total_seconds() // 60),
    )

    async def send() -> None:
        # Sent straight away, never through the delivery queue: the token must not be stored.
        # No preview: a preview fetcher must not be the one that opens the link.
        await message.reply_text(text, link_preview_options=LinkPreviewOptions(is_disabled=True))

    # Only once the link is committed, so a quick click finds it.
    current.after_commit(send)
