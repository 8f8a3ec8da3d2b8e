"""Editing the message whose button was pressed, the one way every handler does it.

A quick double tap delivers the same press twice; the second edit asks Telegram for what the
message already shows, and Telegram refuses it with "message is not modified". The choice was
saved by then, so that refusal is success here, never an error the user is told about.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

_NOT_MODIFIED = "message is not modified"


def not_modified(exc: BadRequest) -> bool:
    """Telegram's answer to an edit that would change nothing."""
    return _NOT_MODIFIED in str(exc).lower()


def _text_message(query: CallbackQuery) -> Message | None:
    """The pressed message if it can be edited as text (not a photo, not too old to see)."""
    message = query.message
    if isinstance(message, Message) and message.text is not None:
        return message
    return None


def carries_button(query: CallbackQuery) -> bool:
    """Whether the pressed message shows the button pressed: a forged or replayed press on some
    other message (a photo, a relayed report) must not rewrite that message."""
    message = _text_message(query)
    markup = message.reply_markup if message is not None else None
    if markup is None:
        return False
    return any(b.callback_data == query.data for row in markup.inline_keyboard for b in row)


async def edit_text(
    query: CallbackQuery,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    *,
    own_message_only: bool = False,
) -> bool:
    """Show `text` (and `reply_markup`; none removes the buttons) in the pressed message.

    False when nothing changed: the message already said so (a double tap). When the pressed
    message cannot hold text (a photo, a document), or `own_message_only` and it is not the
    message that carries the button, the text goes out as a new message instead.
    """
    message = _text_message(query)
    if message is None or (own_message_only and not carries_button(query)):
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        await query.get_bot().send_message(chat_id, text, reply_markup=reply_markup)
        return True
    try:
        await query.edit_message_text(text, reply_markup=reply_markup)
    except BadRequest as exc:
        if not_modified(exc):
            return False
        raise
    return True


async def edit_buttons(query: CallbackQuery, reply_markup: InlineKeyboardMarkup | None) -> bool:
    """Show new buttons under the pressed message; False when they are already there."""
    try:
        await query.edit_message_reply_markup(reply_markup)
    except BadRequest as exc:
        if not_modified(exc):
            return False
        raise
    return True
