"""The Telegram bot the application talks through: catalog markup becomes Telegram's HTML here.

Handlers reply with catalog texts in the channel-neutral markup (domain/markup.py). Every text
and caption sent or edited without a parse mode of its own is rendered to Telegram HTML at this
one point, and every button toast to plain text cut to Telegram's limit. A caller passing a
parse mode sends as it is: `parse_mode=None` for someone's own words (a caption relayed
unchanged), `ParseMode.HTML` for markup already rendered and split (handlers/telegram_text.py).
"""

from __future__ import annotations

import inspect
import logging
from functools import cache
from typing import Any

from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from handlers.telegram_text import telegram_html, toast
from services import inbox

log = logging.getLogger(__name__)

# Bot API methods that carry catalog text, and the argument that holds it.
_MARKUP_FIELDS = {
    "send_message": "text",
    "edit_message_text": "text",
    "send_photo": "caption",
    "send_document": "caption",
    "edit_message_caption": "caption",
}


_NOT_GIVEN = object()


@cache
def _signature(method: str) -> inspect.Signature:
    return inspect.signature(getattr(ExtBot, method))


def _bind(
    method: str, bot: ExtBot[None], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The call's arguments by name, however the caller passed them."""
    if not args:
        # PTB's shortcuts (reply_text, edit_message_text, answer) pass keywords only: binding
        # would give the same mapping, and an unknown name still fails in the call itself.
        return dict(kwargs)
    arguments = dict(_signature(method).bind(bot, *args, **kwargs).arguments)
    del arguments["self"]
    return arguments


def _with_html(
    method: str, bot: ExtBot[None], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The call's arguments, its markup rendered to Telegram HTML unless it chose a parse mode
    (a str or None; PTB's shortcuts such as Message.reply_text pass a "not given" marker)."""
    arguments = _bind(method, bot, args, kwargs)
    field = _MARKUP_FIELDS[method]
    text = arguments.get(field)
    parse_mode = arguments.get("parse_mode", _NOT_GIVEN)
    chosen = parse_mode is None or isinstance(parse_mode, str)
    if not chosen and isinstance(text, str):
        arguments[field] = telegram_html(text)
        arguments["parse_mode"] = ParseMode.HTML
    return arguments


class MarkupBot(ExtBot[None]):
    """An ExtBot that renders the neutral markup of what it sends (see the module's doc)."""

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        arguments = _with_html("send_message", self, args, kwargs)
        return await super().send_message(**arguments)

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Any:
        arguments = _with_html("edit_message_text", self, args, kwargs)
        return await super().edit_message_text(**arguments)

    async def send_photo(self, *args: Any, **kwargs: Any) -> Any:
        arguments = _with_html("send_photo", self, args, kwargs)
        return await super().send_photo(**arguments)

    async def send_document(self, *args: Any, **kwargs: Any) -> Any:
        arguments = _with_html("send_document", self, args, kwargs)
        return await super().send_document(**arguments)

    async def edit_message_caption(self, *args: Any, **kwargs: Any) -> Any:
        arguments = _with_html("edit_message_caption", self, args, kwargs)
        return await super().edit_message_caption(**arguments)

    async def answer_callback_query(self, *args: Any, **kwargs: Any) -> bool:
        arguments = _bind("answer_callback_query", self, args, kwargs)
        text = arguments.get("text")
        if isinstance(text, str):
            arguments["text"] = toast(text)
        try:
            return await super().answer_callback_query(**arguments)
        except BadRequest as exc:
            # An update handled again after a crash: the first attempt may have answered the
            # press already, and Telegram takes one answer only (bot/worker.py).
            if not inbox.rerun.get() or "query" not in str(exc).lower():
                raise
            log.warning("a button press handled again was answered before: %s", exc)
            return False


def telegram_bot(token: str, base_url: str, base_file_url: str, defaults: Any) -> MarkupBot:
    """The bot with the connection pools ApplicationBuilder would give it."""
    return MarkupBot(
        token,
        base_url=base_url,
        base_file_url=base_file_url,
        defaults=defaults,
        request=HTTPXRequest(connection_pool_size=256),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
    )
