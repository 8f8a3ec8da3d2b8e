"""/proyek on Telegram: the command and the buttons under the overview and a milestone's menu.
The screens and the form behind them (a project text, a new milestone, one part of a milestone)
are services/project_form.py, run by the form engine through the Telegram adapter
(handlers/forms.py)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from domain import actions
from domain.roles import Role
from handlers import callbacks
from handlers.forms import enter
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import project_form
from services.forms import FormContext

PARTICIPANTS = frozenset({Role.PARTICIPANT})

Begin = Callable[[FormContext], Coroutine[Any, Any, None]]


async def project_command(update: Update, context: Context, current: Turn) -> None:
    """/proyek: the project at hand, ready to edit."""
    await enter(update, context, current, project_form.overview)


def opened_by(data: str | None) -> Begin | None:
    """What a /proyek button opens, or None for data that is none of them (forged, stale).
    The ids are only read here; the screens check that they are the presser's."""
    fields = callbacks.unpack(data, callbacks.PROJECT, 2) or callbacks.unpack(
        data, callbacks.PROJECT, 3
    )
    match fields:
        case [actions.EDIT_PROJECT, field]:
            return lambda c: project_form.edit_project(c, field)
        case [actions.ADD_MILESTONE, "new"]:
            return project_form.add_milestone
        case [actions.MILESTONE_MENU, number] if number.isdigit():
            return lambda c: project_form.milestone_menu(c, int(number))
        case [actions.EDIT_MILESTONE, number, part] if number.isdigit():
            return lambda c: project_form.edit_milestone(c, int(number), part)
        case [actions.ASK_REMOVE, number] if number.isdigit():
            return lambda c: project_form.ask_remove(c, int(number))
        case [actions.REMOVE, number] if number.isdigit():
            return lambda c: project_form.remove(c, int(number) or None)
    return None


@turn(roles=PARTICIPANTS)
async def pressed(update: Update, context: Context, current: Turn) -> None:
    """A button under /proyek: a screen, or the form that asks for the change."""
    query = update.callback_query
    assert query is not None
    begin = opened_by(query.data)
    if begin is None:
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    await enter(update, context, current, begin)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Every /proyek button (the command is a row of the command table)."""
    return [CallbackQueryHandler(pressed, pattern=callbacks.pattern(callbacks.PROJECT))]
