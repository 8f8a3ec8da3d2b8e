"""/bahan and "Kirim bahan": presenters send laporan and bahan tayang; "Hadir"/"Berhalangan"
under seminar notices (both forms of services/materials_form.py, run by the form engine); the
organizer's seminar detail and its daftar hadir PDFs."""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CallbackQueryHandler

from domain import actions
from domain.i18n import format_datetime
from domain.materials import MaterialKind
from domain.roles import Role
from handlers import callbacks
from handlers.delivery import send_html
from handlers.forms import enter, form_context
from handlers.runtime import Context
from handlers.turn import Turn, escape_params, tell, turn
from services import forms, materials_form
from services import seminar_materials as materials
from services.errors import UserFacingError
from services.forms import FormContext
from services.seminar_materials import AttendanceSheet, SeminarDetail
from services.seminars import SeminarView

ADMINS = frozenset({Role.ADMIN})
SEMINAR_BUTTONS = 20


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) <= actions.ID_MAX else None


def _message(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


async def _stale(update: Update, current: Turn) -> None:
    await tell(update, current.t("button.stale"))


def _when(current: Turn, moment: datetime) -> str:
    return format_datetime(moment, current.actor.timezone, current.actor.language)


def _kind(current: Turn, seminar: SeminarView, *, inline: bool = False) -> str:
    """The kind as a label ("Seminar rancangan"), or `inline` in a sentence ("seminar ...")."""
    form = "inline." if inline else ""
    return current.t(f"seminar.kind.{form}{seminar.kind.value}")


# --- materials and attendance: the entries into their forms (services/materials_form.py) -------


async def materials_command(update: Update, context: Context, current: Turn) -> None:
    """/bahan: the presenter's coming seminars; with one, straight to laporan or bahan tayang."""
    await enter(update, context, current, materials_form.begin)


@turn()
async def seminar_pressed(update: Update, context: Context, current: Turn) -> None:
    """ "Kirim bahan" under the request, or a seminar under /bahan (checked again in the form).
    Any other button of the kind (forged, or a kind button from before the form) is stale."""
    query = update.callback_query
    assert query is not None
    seminar_id = actions.send_materials_press(query.data)
    if seminar_id is None:
        await _stale(update, current)
        return
    await enter(update, context, current, lambda c: materials_form.send_for(c, seminar_id))


@turn()
async def attendance_pressed(update: Update, context: Context, current: Turn) -> None:
    """ "Hadir" or "Berhalangan" under a seminar notice: recorded at once, a short note on the
    press for "Hadir"; "Berhalangan" opens the question for the reason."""
    query = update.callback_query
    assert query is not None
    press = actions.attendance_press(query.data)
    if press is None:
        await _stale(update, current)
        return
    ctx, screen = form_context(update, context, current)
    ctx.state = await forms.load(current.session, ctx.person_id, ctx.now)
    note: str | None = None

    async def run(c: FormContext) -> None:
        nonlocal note
        note = await materials_form.answer(c, press)

    await forms.start(ctx, run)
    if note is not None and not screen.answered:
        screen.answered = True
        await query.answer(note)
    await screen.finish()


# --- the organizer's detail and the daftar hadir -------------------------------------------------


def detail_text(current: Turn, detail: SeminarDetail) -> str:
    """Who sent which material (newest version and when), who answers how."""
    s = detail.seminar
    lines = [
        current.t(
            "materials.detail.title",
            id=s.id,
            kind=_kind(current, s),
            cohort=s.cohort_name,
            at=_when(current, s.starts_at),
            where=s.where or "-",
            status=current.t(f"seminar.status.{s.status.value}"),
        ),
        "",
        current.t(
            "materials.detail.heading",
            missing=detail.files_missing,
            total=len(detail.materials) * len(MaterialKind),
        ),
    ]
    for presenter in detail.materials:
        lines.append(current.t("materials.detail.presenter", name=presenter.name))
        for kind in MaterialKind:
            latest = presenter.latest.get(kind)
            if latest is None:
                lines.append(
                    current.t("materials.detail.missing", material=current.t(kind.message_key))
                )
            else:
                lines.append(
                    current.t(
                        "materials.detail.sent",
                        material=current.t(kind.message_key),
                        version=latest.version,
                        at=_when(current, latest.uploaded_at),
                    )
                )
    lines += ["", current.t("attendance.detail.heading")]
    if not detail.answers:
        lines.append(current.t("attendance.detail.nobody"))
    for a in detail.answers:
        roles = ", ".join(current.t(r.message_key) for r in a.roles)
        answer = (
            current.t(a.answer.message_key)
            if a.answer is not None
            else current.t("attendance.detail.unanswered")
        )
        key = "attendance.detail.line_reason" if a.reason else "attendance.detail.line"
        lines.append(current.t(key, name=a.name, roles=roles, answer=answer, reason=a.reason or ""))
    return "\n".join(lines)


def detail_markup(current: Turn, detail: SeminarDetail) -> InlineKeyboardMarkup:
    seminar_id = str(detail.seminar.id)
    rows = [
        [
            InlineKeyboardButton(
                current.t("attendance.button.sheet"),
                callback_data=callbacks.pack(callbacks.SEMINAR_DETAIL, "p", seminar_id),
            )
        ]
    ]
    rows += [
        [
            InlineKeyboardButton(
                current.t("attendance.button.sheet_group", group=group),
                callback_data=callbacks.pack(callbacks.SEMINAR_DETAIL, "g", seminar_id, str(i)),
            )
        ]
        for i, group in enumerate(detail.groups[:SEMINAR_BUTTONS])
    ]
    return InlineKeyboardMarkup(rows)


@turn(roles=ADMINS)
async def detail_pressed(update: Update, context: Context, current: Turn) -> None:
    """ "Rincian #id": the seminar's materials and attendance answers, for its organizers."""
    query = update.callback_query
    assert query is not None
    fields = callbacks.unpack(query.data, callbacks.SEMINAR_DETAIL, 2)
    seminar_id = _id(fields[1]) if fields is not None and fields[0] == "v" else None
    if seminar_id is None:
        await _stale(update, current)
        return
    try:
        detail = await materials.seminar_detail(current.session, seminar_id, current.organizer)
    except UserFacingError as exc:
        await tell(update, current.t(exc.key, **exc.params))
        return
    await query.answer()
    await send_html(
        context.bot,
        _message(update).chat_id,
        detail_text(current, detail),
        detail_markup(current, detail),
    )


@turn(roles=ADMINS)
async def sheet_pressed(update: Update, context: Context, current: Turn) -> None:
    """The daftar hadir PDF of the seminar, or of one of its seminar groups."""
    query = update.callback_query
    assert query is not None
    data = query.data or ""
    fields = callbacks.unpack(data, callbacks.SEMINAR_DETAIL, 2) or callbacks.unpack(
        data, callbacks.SEMINAR_DETAIL, 3
    )
    seminar_id = _id(fields[1]) if fields is not None else None
    if fields is None or seminar_id is None or (fields[0], len(fields)) not in (("p", 2), ("g", 3)):
        await _stale(update, current)
        return
    group: str | None = None
    try:
        if fields[0] == "g":
            detail = await materials.seminar_detail(current.session, seminar_id, current.organizer)
            index = int(fields[2]) if fields[2].isdigit() else len(detail.groups)
            if index >= len(detail.groups):
                await _stale(update, current)
                return
            group = detail.groups[index]
        sheet = await materials.attendance_sheet(
            current.session, seminar_id, current.organizer, group=group
        )
        materials.record_sheet(
            current.session, sheet, actor_id=current.actor.person_id, now=current.now()
        )
    except UserFacingError as exc:
        await tell(update, current.t(exc.key, **exc.params))
        return
    await query.answer()
    current.after_commit(
        functools.partial(_send_sheet, context.bot, current, _message(update).chat_id, sheet)
    )


async def _send_sheet(bot: Bot, current: Turn, chat_id: int, sheet: AttendanceSheet) -> None:
    # Heavy (fpdf): loaded on first use, so an idle bot stays small.
    from documents.attendance_pdf import attendance_file_name, render_attendance

    await bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    data = await asyncio.to_thread(
        render_attendance, sheet, language=current.actor.language, generated_at=current.now()
    )
    await bot.send_document(
        chat_id,
        document=data,
        filename=attendance_file_name(current.translator, sheet),
        caption=current.translator.plural(
            "attendance.caption",
            len(sheet.rows),
            **escape_params(
                {
                    "kind": _kind(current, sheet.seminar, inline=True),
                    "cohort": sheet.seminar.cohort_name,
                }
            ),
        ),
    )


# --- registration --------------------------------------------------------------------------------


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """ "Kirim bahan" and /bahan's seminars, "Hadir" / "Berhalangan" (the steps after them are
    their forms' own), and the organizers' "Rincian" buttons and their PDFs."""
    detail = callbacks.SEMINAR_DETAIL
    return [
        CallbackQueryHandler(seminar_pressed, pattern=callbacks.pattern(callbacks.MATERIALS)),
        CallbackQueryHandler(attendance_pressed, pattern=callbacks.pattern(callbacks.ATTENDANCE)),
        CallbackQueryHandler(detail_pressed, pattern=callbacks.pattern(detail, "v")),
        CallbackQueryHandler(sheet_pressed, pattern=callbacks.pattern(detail, "pg")),
    ]
