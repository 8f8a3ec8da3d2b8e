"""The mentor's and coach's side of a report: feedback by reply or button, approval, revision;
and the participant's replies back, so a thread forms."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from domain.enums import Channel, FeedbackKind
from domain.text import MAX_NOTE_TEXT, InvalidText, clean_user_text
from handlers import callbacks, steps
from handlers.edits import edit_buttons
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import relays, reports
from services.errors import UserFacingError
from services.outbox import MessageRef

log = logging.getLogger(__name__)
END = ConversationHandler.END
WRITE = 1
PENDING = "feedback"


@turn(members_only=False)
async def _reply_to_relay(update: Update, context: Context, current: Turn) -> bool:
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    if not current.actor.is_known or current.actor.person_id is None:
        return False
    relay = await reports.find_relay(
        current.session,
        Channel.TELEGRAM,
        str(message.chat_id),
        str(message.reply_to_message.message_id),
    )
    if relay is None:
        return False  # an ordinary reply: the other handlers take it
    if relay.recipient_id != current.actor.person_id:
        await message.reply_text(current.t("access.not_yours"))
        return True
    try:
        text = clean_user_text(message.text, limit=MAX_NOTE_TEXT)
    except InvalidText as exc:
        await message.reply_text(current.t(exc.code, **exc.params))
        return True
    try:
        if relay.note_id is not None and await _is_report_author(current, relay.update_id):
            delivery = await reports.reply_to_note(
                current.session, current.actor.person_id, relay.note_id, text, current.now()
            )
        else:
            delivery = await reports.give_feedback(
                current.session,
                current.actor.person_id,
                relay.update_id,
                text,
                current.now(),
                parent_id=relay.note_id,
            )
    except UserFacingError as exc:
        await message.reply_text(current.t(exc.key, **exc.params))
        return True
    await _deliver_and_confirm(update, context, current, delivery)
    return True


async def _is_report_author(current: Turn, update_id: int) -> bool:
    assert current.actor.person_id is not None
    try:
        await reports.report_for_participant(current.session, current.actor.person_id, update_id)
    except UserFacingError:
        return False
    return True


async def reply_to_relay(update: Update, context: Context) -> None:
    """A Telegram reply to a relayed report or note records a note in that thread.

    Runs in an earlier handler group than conversations, so a reply is never mistaken for the
    next answer of an open /lapor. Stopping happens after the turn's transaction committed.
    """
    if await _reply_to_relay(update, context):
        raise ApplicationHandlerStop


async def _deliver_and_confirm(
    update: Update, context: Context, current: Turn, delivery: reports.NoteDelivery
) -> None:
    """Confirm the note to its author, then queue it for its recipient (if they can be
    reached): a note that never arrives answers this confirmation."""
    message = update.effective_message
    assert message is not None
    reachable = delivery.recipient.reachable
    key = "note.sent" if reachable else "note.saved_unreachable"
    confirmation = await message.reply_text(
        current.t(
            key,
            name=delivery.recipient.name,
            relation=current.t(f"role.{delivery.recipient.relation}"),
        )
    )
    receipt = MessageRef(confirmation.chat_id, confirmation.message_id)
    if await relays.queue_note(current.session, delivery, current.now(), receipt=receipt):
        current.on_commit(current.runtime.wake)


def _button_fields(data: str | None) -> tuple[str, int] | None:
    fields = callbacks.unpack(data, callbacks.FEEDBACK, 2)
    if fields is None or fields[0] not in ("f", "r", "a", "k") or not fields[1].isdigit():
        return None
    return fields[0], int(fields[1])


async def _authorized(update: Update, current: Turn) -> tuple[str, int] | None:
    """The button's action and report, if the presser is the person it was sent to."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    parsed = _button_fields(query.data)
    if parsed is None or query.message is None:
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    try:
        await reports.check_advisor_button(
            current.session,
            current.actor.person_id,
            Channel.TELEGRAM,
            str(query.message.chat.id),
            str(query.message.message_id),
            parsed[1],
        )
    except UserFacingError as exc:
        await query.answer(current.t(exc.key, **exc.params), show_alert=True)
        return None
    return parsed


@turn()
async def ask_note(update: Update, context: Context, current: Turn) -> int | None:
    """ "Beri umpan balik" or "Minta revisi": ask for the text."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    parsed = await _authorized(update, current)
    if parsed is None:
        return None
    action, update_id = parsed
    context.user_data[PENDING] = {"update_id": update_id, "action": action}
    await query.answer()
    assert update.effective_message is not None
    key = "feedback.ask_revision" if action == "r" else "feedback.ask_text"
    await update.effective_message.reply_text(current.t(key))
    return WRITE


@turn()
async def note_written(update: Update, context: Context, current: Turn) -> int | None:
    """The feedback or the reason for a revision."""
    message = update.effective_message
    assert message is not None and context.user_data is not None
    assert current.actor.person_id is not None
    pending: dict[str, Any] | None = context.user_data.get(PENDING)
    if pending is None:
        return END
    try:
        text = clean_user_text(message.text, limit=MAX_NOTE_TEXT)
    except InvalidText as exc:
        await message.reply_text(current.t(exc.code, **exc.params))
        return None
    try:
        if pending["action"] == "r":
            delivery = await reports.request_revision(
                current.session,
                current.actor.person_id,
                int(pending["update_id"]),
                text,
                current.now(),
            )
        else:
            delivery = await reports.give_feedback(
                current.session,
                current.actor.person_id,
                int(pending["update_id"]),
                text,
                current.now(),
            )
    except UserFacingError as exc:
        context.user_data.pop(PENDING, None)
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    context.user_data.pop(PENDING, None)
    await _deliver_and_confirm(update, context, current, delivery)
    return END


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
            current.session, current.actor.person_id, parsed[1], current.now()
        )
    except UserFacingError as exc:
        await query.answer(current.t(exc.key, **exc.params), show_alert=True)
        return
    assert delivery.kind is FeedbackKind.APPROVAL
    await query.answer(current.t("feedback.approved_toast"))
    await edit_buttons(query, None)
    await _deliver_and_confirm(update, context, current, delivery)


def _without_acknowledge(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The pressed message's buttons, "Sudah dibaca" taken out (it has been said)."""
    if markup is None:
        return None
    prefix = f"{callbacks.FEEDBACK}:k:"
    rows = [
        [b for b in row if not str(b.callback_data or "").startswith(prefix)]
        for row in markup.inline_keyboard
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
            current.session, current.actor.person_id, parsed[1], current.now()
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


# /batal while the mentor is asked for a note.
cancel = steps.cancel_handler(PENDING)


# --- registration -------------------------------------------------------------------------------


def conversation(entry: steps.Handlers = ()) -> ConversationHandler:  # type: ignore[type-arg]
    """ "Beri umpan balik" / "Minta revisi": one text, then the note goes to the participant."""
    return steps.conversation(
        "feedback",
        entry_points=[
            *entry,
            CallbackQueryHandler(ask_note, pattern=callbacks.pattern(callbacks.FEEDBACK, "fr")),
        ],
        states={WRITE: [MessageHandler(filters.TEXT & ~filters.COMMAND, note_written)]},
        cancel=cancel,
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """ "Setujui" and "Sudah dibaca" under a relayed report (replies to a relay are registered
    apart, ahead of every conversation: see bot/app.py)."""
    return [
        CallbackQueryHandler(approve, pattern=callbacks.pattern(callbacks.FEEDBACK, "a")),
        CallbackQueryHandler(acknowledge, pattern=callbacks.pattern(callbacks.FEEDBACK, "k")),
    ]
