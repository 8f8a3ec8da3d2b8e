"""/ekspor: an organizer gets a cohort's records as an XLSX file in the chat."""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from domain.i18n import format_date
from domain.roles import Role
from domain.timezones import zone_label
from handlers import callbacks
from handlers.delivery import replace_buttons
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import groups
from services.exports import CohortExport, cohort_export, record_export

ADMINS = frozenset({Role.ADMIN})


async def _cohorts(current: Turn) -> list[groups.CohortChoice]:
    # Admins from ADMIN_TELEGRAM_IDS run every cohort; others only those they are admin of.
    return await groups.administered_cohorts(
        current.session,
        current.actor.person_id,
        global_admin=current.actor.global_admin,
    )


async def export_command(update: Update, context: Context, current: Turn) -> None:
    """/ekspor: the workbook at once for an organizer of one cohort, else a cohort to pick."""
    message = update.effective_message
    assert message is not None
    cohorts = await _cohorts(current)
    if not cohorts:
        await message.reply_text(current.t("export.no_cohorts"))
        return
    if len(cohorts) == 1:
        await _send(message, current, cohorts[0])
        return
    rows = [
        [InlineKeyboardButton(c.name, callback_data=callbacks.pack(callbacks.EXPORT, str(c.id)))]
        for c in cohorts
    ]
    await message.reply_text(
        current.t("export.choose_cohort"), reply_markup=InlineKeyboardMarkup(rows)
    )


@turn(roles=ADMINS)
async def cohort_chosen(update: Update, context: Context, current: Turn) -> None:
    """A cohort button; its id is checked against the cohorts this organizer runs."""
    query = update.callback_query
    assert query is not None and update.effective_message is not None
    fields = callbacks.unpack(query.data, callbacks.EXPORT, 1)
    if fields is None or not fields[0].isdigit():
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    chosen = next((c for c in await _cohorts(current) if c.id == int(fields[0])), None)
    if chosen is None:
        await query.answer(current.t("export.error.not_yours"), show_alert=True)
        return
    await query.answer()
    # The buttons go, so a second press cannot ask for the same file again.
    if await replace_buttons(query, current.t("export.preparing", cohort=chosen.name)):
        await _send(update.effective_message, current, chosen)


async def _send(message: Message, current: Turn, cohort: groups.CohortChoice) -> None:
    """Read the records and audit the export now; build and send the workbook after commit."""
    now = current.now()
    data = await cohort_export(current.session, cohort.id, now)
    record_export(
        current.session, data, file_format="xlsx", at=now, actor_id=current.actor.person_id
    )
    current.after_commit(functools.partial(_deliver, message, current, data, now))


async def _deliver(message: Message, current: Turn, data: CohortExport, now: datetime) -> None:
    # Heavy (matplotlib, openpyxl or fpdf): loaded on first use, so an idle bot stays small.
    from documents.export_tables import export_file_name
    from documents.xlsx_export import render_xlsx

    language, zone = current.actor.language, current.actor.timezone
    # openpyxl is plain CPU work; off the event loop, other chats keep being answered.
    content = await asyncio.to_thread(render_xlsx, data, language, zone)
    day = now.astimezone(zone).date()
    caption = current.t(
        "export.caption",
        cohort=data.cohort_name,
        date=format_date(day, None, language),
        participants=len(data.participants),
        reports=len(data.reports),
        zone=zone_label(zone, now),
    )
    await message.reply_document(
        InputFile(content, filename=export_file_name(data.cohort_name, day, "xlsx", language)),
        caption=caption,
    )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """The cohort buttons under /ekspor (the command is a row of the command table)."""
    return [CallbackQueryHandler(cohort_chosen, pattern=callbacks.pattern(callbacks.EXPORT))]
