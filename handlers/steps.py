"""What the step-by-step conversations share: a draft kept in user_data and the ways out."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from handlers.runtime import Context
from handlers.turn import Callback, Turn, turn


def draft(context: Context, key: str, **initial: Any) -> dict[str, Any]:
    """The conversation's answers so far under `key`, started as `initial` when there are none.

    It lives in user_data so that a persistent conversation survives a restart."""
    assert context.user_data is not None
    found = context.user_data.get(key)
    if found is None:
        found = context.user_data[key] = dict(initial)
    return found  # type: ignore[no-any-return]


def clear_draft(context: Context, key: str) -> None:
    assert context.user_data is not None
    context.user_data.pop(key, None)


def cancel_handler(key: str) -> Callback[int]:
    """/batal: drop the draft under `key` and say the conversation is over."""

    @turn(members_only=False)
    async def cancel(update: Update, context: Context, current: Turn) -> int:
        clear_draft(context, key)
        assert update.effective_message is not None
        await update.effective_message.reply_text(current.t("conversation.cancelled"))
        return ConversationHandler.END

    return cancel


@turn(members_only=False)
async def busy(update: Update, context: Context, current: Turn) -> None:
    """Another command while a conversation waits for an answer."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(current.t("conversation.busy"))


def reply_handler(key: str) -> Callback[None]:
    """Answers anything with the catalog text `key`, e.g. text where a button is expected."""

    @turn(members_only=False)
    async def reply(update: Update, context: Context, current: Turn) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(current.t(key))

    return reply
