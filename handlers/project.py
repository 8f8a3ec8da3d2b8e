"""/proyek on Telegram: the command and the buttons under the overview and a milestone's menu.
The screens and the form behind them (a project text, a new milestone, one part of a milestone)
are services/project_form.py, run by the form engine through the Telegram adapter
(handlers/forms.py)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from domain.roles import Role
from handlers import callbacks
from handlers.forms import enter
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import project_form
from services.project_form import opened_by

PARTICIPANTS = frozenset({Role.PARTICIPANT})


async def project_command(update: Update, context: Context, current: Turn) -> None:
    """/proyek: the project at hand, ready to edit."""
    await enter(update, context, current, project_form.overview)


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
