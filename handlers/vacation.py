"""/jeda (formerly /cuti): participants, mentors and coaches pause their reminders for some days.

"Cuti" reads as personnel leave; the pause is only about reminders, so the menu shows /jeda.
/cuti keeps working for those who learnt it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from domain.dates import InvalidDate, parse_user_range
from domain.i18n import format_date
from domain.roles import Role
from handlers import callbacks
from handlers.edits import edit_text
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import vacations
from services.errors import UserFacingError
from services.vacations import VacationView

PREFIX = callbacks.VACATION
ROLES = frozenset({Role.PARTICIPANT, Role.MENTOR, Role.COACH})


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The cancel buttons under /jeda (the command is a row of the command table)."""
    return [CallbackQueryHandler(cancel_pressed, pattern=callbacks.pattern(PREFIX))]


def _today(current: Turn) -> date:
    """Leave is kept in the person's own days: today is where they are."""
    return current.now().astimezone(current.actor.timezone).date()


def _dates(current: Turn, params: dict[str, object]) -> dict[str, object]:
    lang = current.actor.language
    return {k: format_date(v, None, lang) if isinstance(v, date) else v for k, v in params.items()}


def _short(d: date, today: date) -> str:
    # Button labels must stay short: "24/12", with the year only when it is not this year's.
    return f"{d.day}/{d.month}" if d.year == today.year else f"{d.day}/{d.month}/{d.year}"


def _listing(
    current: Turn, ranges: list[VacationView], today: date
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not ranges:
        return current.t("vacation.none"), None
    lines = "\n".join(
        current.t("vacation.range", **_dates(current, {"start": v.starts_on, "end": v.ends_on}))
        for v in ranges
    )
    buttons = []
    for v in ranges:
        span = _short(v.starts_on, today)
        if v.ends_on != v.starts_on:
            span += "–" + _short(v.ends_on, today)
        buttons.append(
            [
                InlineKeyboardButton(
                    current.translator("vacation.button.cancel", range=span),
                    callback_data=callbacks.pack(PREFIX, "x", str(v.id)),
                )
            ]
        )
    return current.translator("vacation.list", ranges=lines), InlineKeyboardMarkup(buttons)


async def cuti_command(update: Update, context: Context, current: Turn) -> None:
    """/jeda (or /cuti) alone lists current and upcoming pauses; with dates it records one."""
    message = update.effective_message
    assert message is not None and current.actor.person_id is not None
    person_id = current.actor.person_id
    today = _today(current)
    words = (message.text or "").split(maxsplit=1)  # "/jeda" or "/jeda@bot", then the dates
    typed = words[1].strip() if len(words) == 2 else ""
    if not typed:
        ranges = await vacations.list_vacations(current.session, person_id, today=today)
        if not ranges:
            await message.reply_text(
                current.t("vacation.none") + "\n\n" + current.t("vacation.usage")
            )
            return
        text, markup = _listing(current, ranges, today)
        await message.reply_text(text, reply_markup=markup)
        return
    try:
        start, end = parse_user_range(typed, today=today)
        added = await vacations.add_vacation(current.session, person_id, start, end, today=today)
    except InvalidDate as exc:
        await message.reply_text(
            current.t(exc.code, **exc.params_for(current.actor.language))
            + "\n\n"
            + current.t("vacation.usage")
        )
        return
    except UserFacingError as exc:
        await message.reply_text(current.t(exc.key, **_dates(current, exc.params)))
        return
    dates = _dates(current, {"start": added.vacation.starts_on, "end": added.vacation.ends_on})
    parts = [current.t("vacation.merged" if added.merged else "vacation.added", **dates)]
    if added.from_today:
        parts.append(current.t("vacation.from_today"))
    ranges = await vacations.list_vacations(current.session, person_id, today=today)
    text, markup = _listing(current, ranges, today)
    await message.reply_text("\n".join(parts) + "\n\n" + text, reply_markup=markup)


@turn(roles=ROLES)
async def cancel_pressed(update: Update, context: Context, current: Turn) -> None:
    """A cancel button under the list: only the person whose leave it is may cancel it."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    fields = callbacks.unpack(query.data, PREFIX, 2)
    if fields is None or fields[0] != "x" or not fields[1].isdigit():
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    today = _today(current)
    try:
        await vacations.cancel_vacation(
            current.session, current.actor.person_id, int(fields[1]), today=today
        )
    except UserFacingError as exc:
        await query.answer(current.t(exc.key, **_dates(current, exc.params)), show_alert=True)
        return
    await query.answer(current.t("vacation.cancelled"))
    ranges = await vacations.list_vacations(current.session, current.actor.person_id, today=today)
    text, markup = _listing(current, ranges, today)
    await edit_text(query, text, reply_markup=markup)
