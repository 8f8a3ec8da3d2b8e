"""The mentor's and coach's side of a report on Telegram: feedback by reply or button,
approval, "sudah dibaca"; and the participant's replies back, so a thread forms. The feedback
form and the rule for a reply (a note in the thread, or new feedback) are
services/feedback_form.py's, run by the form engine through the Telegram adapter."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, BaseHandler, CallbackQueryHandler

from domain import actions
from domain.enums import Channel, FeedbackKind
from handlers import callbacks
from handlers.edits import edit_buttons
from handlers.forms import enter, form_context
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import feedback_form, relays, reports
from services.errors import UserFacingError
from services.feedback_form import Relayed

log = logging.getLogger(__name__)


@turn(members_only=False)
async def _reply_to_relay(update: Update, context: Context, current: Turn) -> bool:
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    if not current.actor.is_known or current.actor.person_id is None:
        return False
    ctx, _ = form_context(update, context, current)
    to = Relayed(Channel.TELEGRAM, str(message.chat_id), str(message.reply_to_message.message_id))
    return await feedback_form.reply(ctx, to, message.text)


async def reply_to_relay(update: Update, context: Context) -> None:
    """A Telegram reply to a relayed report or note records a note in that thread.

    Runs in an earlier handler group than the form router, so a reply is never mistaken for
    the next answer of an open /lapor. Stopping happens after the turn's transaction committed.
    """
    if await _reply_to_relay(update, context):
        raise ApplicationHandlerStop


def _pressed_on(update: Update) -> Relayed | None:
    """The relayed message a button was pressed under."""
    query = update.callback_query
    if query is None or query.message is None:
        return None
    return Relayed(Channel.TELEGRAM, str(query.message.chat.id), str(query.message.message_id))


async def _authorized(update: Update, current: Turn) -> actions.AdvisorPress | None:
    """The button's action and report, if the presser is the person it was sent to."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    press = actions.advisor_press(query.data)
    on = _pressed_on(update)
    if press is None or on is None:
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    try:
        await reports.check_advisor_button(
            current.session,
            current.actor.person_id,
            on.channel,
            on.chat_ref,
            on.message_ref,
            press.update_id,
        )
    except UserFacingError as exc:
        await query.answer(current.t(exc.key, **exc.params), show_alert=True)
        return None
    return press


@turn()
async def ask_note(update: Update, context: Context, current: Turn) -> None:
    """ "Beri umpan balik" or "Minta revisi": the feedback form, which asks for the text."""
    query = update.callback_query
    assert query is not None
    press = actions.advisor_press(query.data)
    on = _pressed_on(update)
    if press is None or on is None or press.action not in WRITTEN:
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    await enter(update, context, current, lambda c: feedback_form.begin(c, on, press))


# The buttons whose press asks for a text (the feedback form); the others act at once.
WRITTEN = (actions.GIVE_FEEDBACK, actions.ASK_REVISION)


@turn()
async def approve(update: Update, context: Context, current: Turn) -> None:
    """ "Setujui": sign the milestone off and tell the participant."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    parsed = await _authorized(update, current)
    if parsed is None:
        return
    try:
        delivery = await reports.approve(
            current.session, current.actor.person_id, parsed.update_id, current.now()
        )
    except UserFacingError as exc:
        await query.answer(current.t(exc.key, **exc.params), show_alert=True)
        return
    assert delivery.kind is FeedbackKind.APPROVAL
    await query.answer(current.t("feedback.approved_toast"))
    await edit_buttons(query, None)
    ctx, _ = form_context(update, context, current)
    await feedback_form.deliver(ctx, delivery)


def _acknowledges(data: object) -> bool:
    press = actions.advisor_press(data if isinstance(data, str) else None)
    return press is not None and press.action == actions.ACKNOWLEDGE


def _without_acknowledge(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The pressed message's buttons, "Sudah dibaca" taken out (it has been said)."""
    if markup is None:
        return None
    rows = [
        [b for b in row if not _acknowledges(b.callback_data)] for row in markup.inline_keyboard
    ]
    return InlineKeyboardMarkup([row for row in rows if row])


@turn()
async def acknowledge(update: Update, context: Context, current: Turn) -> None:
    """ "Sudah dibaca": recorded once, the participant told once; every press answered once."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    parsed = await _authorized(update, current)
    if parsed is None:
        return
    try:
        delivery = await reports.acknowledge(
            current.session, current.actor.person_id, parsed.update_id, current.now()
        )
    except UserFacingError as exc:
        await query.answer(current.t(exc.key, **exc.params), show_alert=True)
        return
    if delivery is None:  # a second tap: already recorded and told
        await query.answer(current.t("acknowledge.already"))
        return
    delivered = await relays.queue_note(current.session, delivery, current.now())
    if delivered:
        current.on_commit(current.runtime.wake)
    key = "acknowledge.done" if delivered else "acknowledge.saved_unreachable"
    await query.answer(current.t(key, name=delivery.recipient.name))
    message = query.message
    if isinstance(message, Message):
        remaining = _without_acknowledge(message.reply_markup)

        async def drop_button() -> None:
            # Only tidying: the press is answered and recorded, so a refusal (a double tap
            # did it already, the message is too old) changes nothing for anyone.
            try:
                await edit_buttons(query, remaining)
            except BadRequest as exc:
                log.debug("acknowledge button not removed: %s", exc)

        current.after_commit(drop_button)


# --- registration -------------------------------------------------------------------------------


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The buttons under a relayed report: "Beri umpan balik" and "Minta revisi" open the
    feedback form, "Setujui" and "Sudah dibaca" act at once (replies to a relay are registered
    apart, ahead of the form router: see bot/app.py)."""
    written = "".join(WRITTEN)
    return [
        CallbackQueryHandler(ask_note, pattern=callbacks.pattern(callbacks.FEEDBACK, written)),
        CallbackQueryHandler(
            approve, pattern=callbacks.pattern(callbacks.FEEDBACK, actions.APPROVE)
        ),
        CallbackQueryHandler(
            acknowledge, pattern=callbacks.pattern(callbacks.FEEDBACK, actions.ACKNOWLEDGE)
        ),
    ]
