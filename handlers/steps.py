"""What the step-by-step conversations share: how one is built (persisted, a 12-hour timeout,
/batal and "busy"), a draft kept in user_data and the ways out."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from handlers.runtime import Context
from handlers.turn import Callback, Turn, turn

# /batal: leaves any conversation; with none open it says there is nothing to cancel.
CANCEL_COMMAND = "batal"
# A half-finished conversation waits this long for its next answer, then closes.
TIMEOUT = timedelta(hours=12)


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


Handlers = Sequence[BaseHandler[Any, Any, Any]]


def conversation(
    name: str,
    *,
    entry_points: Handlers,
    states: Mapping[object, Handlers],
    cancel: Callback[Any],
    fallbacks: Handlers = (),
    allow_reentry: bool = False,
) -> ConversationHandler[Any]:
    """A conversation as every one here is: persisted under `name` so a restart loses nothing,
    closed after TIMEOUT, left with /batal (`cancel`), and "busy" for any other command.

    `fallbacks` come before /batal (e.g. a reminder's button that starts over)."""
    # Our conversations mix text answers and button presses, so they are tracked per user and
    # chat (per_message=False) on purpose; PTB warns about exactly that combination.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=list(entry_points),
            states={state: list(handlers) for state, handlers in states.items()},
            fallbacks=[
                *fallbacks,
                CommandHandler(CANCEL_COMMAND, cancel),
                MessageHandler(filters.COMMAND, busy),
            ],
            name=name,
            persistent=True,
            allow_reentry=allow_reentry,
            conversation_timeout=TIMEOUT,
        )
