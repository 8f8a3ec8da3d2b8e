"""/lapor on Telegram: the command and the buttons that open the report form (a reminder's
"Lapor sekarang", a receipt's "Koreksi laporan", the offer to save a stray message as a
report). The form itself, its steps and draft, is services/report_form.py, run by the form
engine through the Telegram adapter (handlers/forms.py)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from domain import actions
from domain.forms import FormButton
from domain.roles import Role
from handlers import callbacks
from handlers.forms import enter, form_context, media_of
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import forms, report_form
from services.form_registry import FORMS
from services.forms import Outcome

PARTICIPANTS = frozenset({Role.PARTICIPANT})


async def _pressed_value(update: Update, current: Turn, action: str) -> str | None:
    """The number a report button of this action carries; anything else is answered stale."""
    query = update.callback_query
    assert query is not None
    fields = callbacks.unpack(query.data, callbacks.REPORT, 2)
    if fields is None or fields[0] != action or not fields[1].isdigit():
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    return fields[1]


async def start(update: Update, context: Context, current: Turn) -> None:
    """/lapor: choose the milestone to report on."""
    await enter(update, context, current, report_form.begin)


@turn(roles=PARTICIPANTS)
async def report_now(update: Update, context: Context, current: Turn) -> None:
    """ "Lapor sekarang" under a reminder: the report at that milestone (0: choose one)."""
    value = await _pressed_value(update, current, actions.REPORT_NOW)
    if value is not None:
        milestone_id = int(value)
        await enter(update, context, current, lambda c: report_form.report_now(c, milestone_id))


@turn(roles=PARTICIPANTS)
async def correct(update: Update, context: Context, current: Turn) -> None:
    """ "Koreksi laporan" under a receipt, within 24 hours of sending."""
    value = await _pressed_value(update, current, actions.CORRECT)
    if value is not None:
        update_id = int(value)
        await enter(update, context, current, lambda c: report_form.correct(c, update_id))


# --- outside any conversation --------------------------------------------------------------


@turn()
async def file_outside_conversation(update: Update, context: Context, current: Turn) -> None:
    """A photo or document outside a conversation."""
    await offer_to_save(update, context, current)


async def offer_to_save(update: Update, context: Context, current: Turn) -> None:
    """A participant's text or file outside a conversation: offered as a report (the offer
    is a form of its own, services/report_form.py)."""
    message = update.effective_message
    assert message is not None
    if Role.PARTICIPANT not in current.actor.roles:
        # A mentor or coach writing here most likely meant feedback: say that nothing was
        # forwarded and how feedback reaches the participant.
        advisor = current.actor.has_any(frozenset({Role.MENTOR, Role.COACH}))
        await message.reply_text(
            current.t("feedback.not_forwarded" if advisor else "text.no_conversation")
        )
        return
    media = media_of(message)
    text = message.text if media is None else message.caption
    await enter(update, context, current, lambda c: report_form.offer(c, media, text))


@turn(roles=PARTICIPANTS)
async def saved_from_offer(update: Update, context: Context, current: Turn) -> None:
    """A press in the offer's button format before it became a form ("rp1:s:<milestone>"):
    taken as a choice under the offer open now, as such buttons always were; stale without
    one. The offer's own buttons are form buttons, stale once it is answered or replaced."""
    query = update.callback_query
    assert query is not None
    fields = callbacks.unpack(query.data, callbacks.REPORT, 2)
    value = fields[1] if fields is not None and fields[0] == "s" else ""
    ctx, screen = form_context(update, context, current)
    ctx.state = await forms.load(current.session, ctx.person_id, ctx.now)
    outcome = Outcome.STALE
    if ctx.state is not None and ctx.state.form == report_form.OFFER and value:
        outcome = await forms.answer(ctx, FORMS, FormButton(ctx.state.token, value))
    if outcome is not Outcome.HANDLED:
        await screen.alert(current.t("button.stale"))
    await screen.finish()


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The buttons that open the report form from outside it."""
    kind = callbacks.REPORT
    return [
        CallbackQueryHandler(saved_from_offer, pattern=callbacks.pattern(kind, "s")),
        CallbackQueryHandler(report_now, pattern=callbacks.pattern(kind, actions.REPORT_NOW)),
        CallbackQueryHandler(correct, pattern=callbacks.pattern(kind, actions.CORRECT)),
    ]
