"""Answering in the chat the user is talking in: long text split where Telegram requires it,
the pressed message rewritten, a report's words laid out.

Messages to anyone else (relays of reports, corrections and notes) do not go from here: they
are queued (services/relays.py) and sent by the sender (bot/sender.py).
"""

from __future__ import annotations

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode

from domain.i18n import Translator
from domain.report_body import report_body
from handlers.edits import edit_text
from handlers.telegram_text import markup_parts
from handlers.turn import Safe, escape_params
from services.relays import QUOTE_LENGTH, excerpt

__all__ = ["QUOTE_LENGTH", "body_html", "excerpt", "render", "replace_buttons", "send_html"]


def render(t: Translator, key: str, **params: object) -> str:
    return t(key, **escape_params(params))


async def send_html(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send catalog markup of any length as Telegram HTML: split where Telegram's limit
    requires, buttons on the last part."""
    parts = markup_parts(text)
    sent = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent.append(
            await bot.send_message(
                chat_id, part, parse_mode=ParseMode.HTML, reply_markup=markup if last else None
            )
        )
    return sent


async def replace_buttons(query: CallbackQuery, text: str) -> bool:
    """Turn the pressed message into `text` without its buttons; False when it already is that
    (a double tap delivers the press twice), so the repeated press does nothing more."""
    return await edit_text(query, text)


def body_html(t: Translator, text: str, obstacles: str | None, next_steps: str | None) -> Safe:
    """A report's words, with kendala and rencana berikutnya when given, escaped."""
    body = report_body(text, obstacles, next_steps)
    return Safe(render(t, body["key"], **body["params"]))
