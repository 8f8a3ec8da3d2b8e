"""What nothing else handled: unknown commands, stray buttons, and the one error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden

from domain.i18n import translator
from handlers.runtime import Context, Runtime
from handlers.turn import Turn, turn

log = logging.getLogger(__name__)


@turn()
async def unknown_command(update: Update, context: Context, current: Turn) -> None:
    """A command no handler took (strangers were already told to join by @turn)."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(current.t("command.unknown"))


@turn()
async def other_message(update: Update, context: Context, current: Turn) -> None:
    """A member's message of a kind no handler takes (sticker, voice, location...)."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(current.t("text.unsupported"))


async def nothing_to_cancel(update: Update, context: Context, current: Turn) -> None:
    """/batal when no conversation is open."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(current.t("conversation.nothing_to_cancel"))


@turn(members_only=False)
async def stale_button(update: Update, context: Context, current: Turn) -> None:
    """A button whose data no handler recognises: forged, or left from an older version."""
    assert update.callback_query is not None
    await update.callback_query.answer(current.t("button.stale"), show_alert=True)


async def on_error(update: object, context: Context) -> None:
    """Log what went wrong with the update, and tell the user politely."""
    if isinstance(context.error, Forbidden):
        # The user blocked the bot while we answered: nothing to tell them.
        log.info("user unreachable while handling an update: %s", context.error)
        return
    log.error("error while handling update %s", update, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    runtime = Runtime.of(context.application)
    text = translator(runtime.default_language)("error.generic")
    try:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(text, show_alert=True)
                return
            except BadRequest:
                # Answered already, before the slow work that failed (a PDF, a chart, an
                # export after the commit): a second answer is refused, so say it in the chat.
                pass
        await context.bot.send_message(update.effective_chat.id, text)
    except Exception:  # the error report must never raise in turn
        log.exception("could not tell the user about the error")
