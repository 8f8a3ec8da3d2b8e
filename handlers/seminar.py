"""/seminar: admins schedule, move and cancel seminars step by step, on the form engine
(services/seminar_form.py); /jadwal: anyone's dates."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from domain import actions
from domain.enums import SeminarKind
from domain.forms import Prompt, PromptKind
from domain.i18n import format_date, format_datetime
from domain.roles import Role
from handlers import callbacks
from handlers.delivery import send_html
from handlers.forms import enter, keyboard
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import seminar_form, seminars
from services.forms import FormContext
from services.seminars import Organizer, SeminarView

ADMINS = frozenset({Role.ADMIN})

Begin = Callable[[FormContext], Coroutine[Any, Any, None]]


def _kind(current: Turn, kind: SeminarKind) -> str:
    return current.t(f"seminar.kind.{kind.value}")


def _when(current: Turn, moment: datetime) -> str:
    return format_datetime(moment, current.actor.timezone, current.actor.language)


def _message(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


def manage_markup(current: Turn, items: list[SeminarView]) -> InlineKeyboardMarkup | None:
    """Move and cancel buttons, one row per seminar; its detail (materials, attendance): the
    same buttons as under /seminar's list."""
    choices = seminar_form.manage_choices(current.t, items)
    return keyboard(
        Prompt("", PromptKind.MESSAGE, choices, layout=seminar_form.MANAGE_LAYOUT), None
    )


# --- /seminar, and the move and cancel buttons -------------------------------------------------


async def start(update: Update, context: Context, current: Turn) -> None:
    """/seminar: coming seminars with buttons to move or cancel them, then plan a new one."""
    by = current.organizer
    await enter(update, context, current, lambda c: seminar_form.begin(c, by))


def opened_by(data: str | None, by: Organizer) -> Begin | None:
    """What a move or cancel button opens, or None for data that is none of them (forged,
    stale). The id is only read here; the form checks the seminar is still the presser's."""
    match callbacks.unpack(data, callbacks.SEMINAR, 2):
        case [actions.MOVE_SEMINAR, number] if number.isdigit():
            return lambda c: seminar_form.move(c, by, int(number))
        case [actions.CANCEL_SEMINAR, number] if number.isdigit():
            return lambda c: seminar_form.cancel(c, by, int(number))
    return None


@turn(roles=ADMINS)
async def pressed(update: Update, context: Context, current: Turn) -> None:
    """ "Ubah jadwal #id" or "Batalkan #id" under /seminar or /jadwal: the form that asks."""
    query = update.callback_query
    assert query is not None
    begin = opened_by(query.data, current.organizer)
    if begin is None:
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    await enter(update, context, current, begin)


# --- /jadwal -------------------------------------------------------------------------------------


async def agenda_command(update: Update, context: Context, current: Turn) -> None:
    """/jadwal: coming seminars and milestone target dates, in the user's own zone."""
    assert current.actor.person_id is not None
    message = _message(update)
    view = await seminars.agenda(
        current.session,
        current.actor.person_id,
        current.now(),
        every_cohort=current.actor.global_admin,
    )
    lines = [current.t("seminar.agenda.title")]
    if not view.seminars and not view.milestones:
        lines += ["", current.t("seminar.agenda.empty")]
    if view.seminars:
        lines += ["", current.t("seminar.agenda.seminars")]
    for item in view.seminars:
        s = item.seminar
        lines += [
            "",
            current.t(
                "seminar.agenda.seminar",
                kind=_kind(current, s.kind),
                cohort=s.cohort_name,
                at=_when(current, s.starts_at),
                where=s.where,
                presenters=", ".join(s.presenters),
                examiner=s.examiner or "-",
                roles=", ".join(current.t(role.message_key) for role in item.roles),
            ),
        ]
        if Role.MENTOR in item.roles:
            lines.append(current.t("seminar.agenda.mentor_note"))
    if view.milestones:
        lines += ["", current.t("seminar.agenda.milestones")]
        lines += [
            current.t(
                "seminar.agenda.milestone",
                date=format_date(m.due_on, None, current.actor.language),
                title=m.title,
            )
            for m in view.milestones
        ]
    manageable = [item.seminar for item in view.seminars if item.manageable]
    markup = None
    if manageable:
        lines += ["", current.t("seminar.agenda.manage")]
        markup = manage_markup(current, manageable)
    await send_html(context.bot, message.chat_id, "\n".join(lines), markup)


# --- registration --------------------------------------------------------------------------------


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The move and cancel buttons (under /seminar and /jadwal); /seminar and /jadwal are rows
    of the command table, the steps of /seminar the form's own."""
    moves = actions.MOVE_SEMINAR + actions.CANCEL_SEMINAR
    return [CallbackQueryHandler(pressed, pattern=callbacks.pattern(callbacks.SEMINAR, moves))]
