"""/bahan and "Kirim bahan": presenters send laporan and bahan tayang; "Hadir"/"Berhalangan"
under seminar notices; the organizer's seminar detail and its daftar hadir PDFs."""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import datetime
from enum import IntEnum
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from domain.evidence import EvidenceFile, EvidenceRejected
from domain.i18n import format_datetime
from domain.materials import AttendanceAnswer, MaterialKind, absence_reason, answer_of_code
from domain.materials import check_material as check_material_file
from domain.roles import Role
from domain.text import InvalidText
from handlers import callbacks, steps
from handlers import evidence as evidence_files
from handlers.delivery import send_html
from handlers.runtime import Context
from handlers.turn import Turn, escape_params, tell, turn
from services import seminar_materials as materials
from services.errors import UserFacingError
from services.seminar_materials import AttendanceSheet, SeminarDetail
from services.seminars import SeminarView

log = logging.getLogger(__name__)

END = ConversationHandler.END
ADMINS = frozenset({Role.ADMIN})
DRAFT = "materials_draft"
ABSENCE = "absence_draft"
# Ids in button data are database integers: anything larger is forged, never looked up.
MAX_ID = 2**31 - 1
# Short codes of the kinds in button data.
KIND_CODES = {"l": MaterialKind.REPORT, "t": MaterialKind.SLIDES}
SEMINAR_BUTTONS = 20


class Step(IntEnum):
    KIND = 81
    FILE = 82
    # Not a state: the file passed its checks and is fetched next (see file_received).
    FETCH = 83
    REASON = 85


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None


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


# --- materials: /bahan, "Kirim bahan", the kind, the file --------------------------------------


async def materials_command(update: Update, context: Context, current: Turn) -> int:
    """/bahan: the presenter's coming seminars; with one, straight to laporan or bahan tayang."""
    assert current.actor.person_id is not None
    steps.clear_draft(context, DRAFT)
    coming = await materials.presenting(current.session, current.actor.person_id, current.now())
    message = _message(update)
    if not coming:
        await message.reply_text(current.t("materials.none"))
        return END
    if len(coming) == 1:
        return await _ask_kind(message, context, current, coming[0])
    rows = [
        [
            InlineKeyboardButton(
                current.t(
                    "materials.button.seminar",
                    kind=_kind(current, s),
                    at=_when(current, s.starts_at),
                ),
                callback_data=callbacks.pack(callbacks.MATERIALS, "s", str(s.id)),
            )
        ]
        for s in coming[:SEMINAR_BUTTONS]
    ]
    await message.reply_text(
        current.t("materials.ask.seminar"), reply_markup=InlineKeyboardMarkup(rows)
    )
    return END


@turn()
async def seminar_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """ "Kirim bahan" under the request, or a seminar under /bahan: checked again here."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    fields = callbacks.unpack(query.data, callbacks.MATERIALS, 2)
    seminar_id = _id(fields[1]) if fields is not None and fields[0] == "s" else None
    if seminar_id is None:
        await _stale(update, current)
        return None
    try:
        seminar = await materials.presenter_seminar(
            current.session, seminar_id, current.actor.person_id, current.now()
        )
    except UserFacingError as exc:
        await tell(update, current.t(exc.key, **exc.params))
        return END
    await query.answer()
    return await _ask_kind(_message(update), context, current, seminar)


async def _ask_kind(message: Message, context: Context, current: Turn, seminar: SeminarView) -> int:
    steps.clear_draft(context, DRAFT)
    steps.draft(context, DRAFT, seminar_id=seminar.id)
    buttons = [
        InlineKeyboardButton(
            current.t(kind.message_key),
            callback_data=callbacks.pack(callbacks.MATERIALS, "k", str(seminar.id), code),
        )
        for code, kind in KIND_CODES.items()
    ]
    await message.reply_text(
        current.t(
            "materials.ask.kind",
            kind=_kind(current, seminar, inline=True),
            cohort=seminar.cohort_name,
            at=_when(current, seminar.starts_at),
        ),
        reply_markup=InlineKeyboardMarkup([buttons]),
    )
    return Step.KIND


@turn()
async def kind_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """Laporan or bahan tayang: then the file itself."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    fields = callbacks.unpack(query.data, callbacks.MATERIALS, 3)
    draft = steps.draft(context, DRAFT)
    if (
        fields is None
        or fields[0] != "k"
        or fields[2] not in KIND_CODES
        or _id(fields[1]) is None
        or draft.get("seminar_id") != _id(fields[1])
    ):
        await _stale(update, current)
        return None
    kind = KIND_CODES[fields[2]]
    try:
        await materials.presenter_seminar(
            current.session, draft["seminar_id"], current.actor.person_id, current.now()
        )
    except UserFacingError as exc:
        steps.clear_draft(context, DRAFT)
        await tell(update, current.t(exc.key, **exc.params))
        return END
    draft["kind"] = kind.value
    await query.answer()
    await query.edit_message_reply_markup(None)
    limit = current.runtime.max_evidence_bytes // (1024 * 1024)
    await _message(update).reply_text(
        current.t("materials.ask.file", material=current.t(kind.message_key), limit_mb=limit)
    )
    return Step.FILE


async def file_received(update: Update, context: Context) -> int | None:
    """The file: checked, downloaded into the evidence store, kept as the next version and
    sent on to the mentor, coach and examiner; the presenter gets a receipt.

    Two transactions with the download between them: a file of up to 20 MB from a slow
    Telegram must not hold one of the pool's few connections (as for report evidence)."""
    checked = await _file_checked(update, context)
    if checked != Step.FETCH:
        return checked
    document = _message(update).document
    assert document is not None
    data: bytes | None
    try:
        data = await evidence_files.download(context.bot, document.file_id)
    except TelegramError as exc:
        log.warning("materials: file not downloaded (%s)", exc)
        data = None

    @turn()
    async def keep(update: Update, context: Context, current: Turn) -> int | None:
        return await _keep_file(update, context, current, data)

    return await keep(update, context)


def _file_of(message: Message, size: int | None = None) -> EvidenceFile:
    document = message.document
    return EvidenceFile(
        kind="document" if document is not None else "photo",
        file_name=document.file_name if document else None,
        mime_type=document.mime_type if document else None,
        size=size if size is not None else (document.file_size if document else None),
    )


@turn()
async def _file_checked(update: Update, context: Context, current: Turn) -> int | None:
    """Before anything is downloaded: a file is awaited, and it is a document fit to be sent."""
    message = _message(update)
    if "kind" not in steps.draft(context, DRAFT):
        await message.reply_text(current.t("button.stale"))
        return END
    try:
        check_material_file(_file_of(message), max_bytes=current.runtime.max_evidence_bytes)
    except EvidenceRejected as exc:
        await message.reply_text(current.t(exc.code, **exc.params_for(current.actor.language)))
        return None
    return Step.FETCH


async def _keep_file(
    update: Update, context: Context, current: Turn, data: bytes | None
) -> int | None:
    """The downloaded bytes into the store and the next version; the receipt."""
    assert current.actor.person_id is not None
    message = _message(update)
    document = message.document
    draft = steps.draft(context, DRAFT)
    assert document is not None
    if data is None:
        await message.reply_text(current.t("materials.error.download"))
        return None
    try:
        # Telegram may not have said how big the document is: the real size counts.
        check_material_file(
            _file_of(message, len(data)), max_bytes=current.runtime.max_evidence_bytes
        )
    except EvidenceRejected as exc:
        await message.reply_text(current.t(exc.code, **exc.params_for(current.actor.language)))
        return None
    blob = await current.runtime.evidence_store.put(data)
    kind = MaterialKind(draft["kind"])
    try:
        recorded = await materials.record_material(
            current.session,
            seminar_id=draft["seminar_id"],
            presenter_id=current.actor.person_id,
            kind=kind,
            blob=blob,
            file_name=document.file_name,
            mime_type=document.mime_type,
            file_id=document.file_id,
            file_unique_id=document.file_unique_id,
            now=current.now(),
        )
    except UserFacingError as exc:
        steps.clear_draft(context, DRAFT)
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    steps.clear_draft(context, DRAFT)
    current.on_commit(current.runtime.wake)
    lines = [
        current.t(
            "materials.received",
            material=current.t(kind.message_key),
            version=recorded.version,
            file_name=document.file_name or "-",
            kind=_kind(current, recorded.seminar, inline=True),
        )
    ]
    if recorded.recipients:
        lines.append(current.t("materials.sent_to"))
        lines += [
            current.t(
                "materials.recipient" if r.joined else "materials.recipient_waiting",
                name=r.name,
                role=current.t(r.role.message_key),
            )
            for r in recorded.recipients
        ]
    else:
        lines.append(current.t("materials.no_recipients"))
    await send_html(context.bot, message.chat_id, "\n".join(lines))
    return END


@turn()
async def text_instead_of_file(update: Update, context: Context, current: Turn) -> None:
    """Text where the file is expected."""
    await _message(update).reply_text(current.t("materials.send_file"))


cancel_materials = steps.cancel_handler(DRAFT)


# --- attendance: "Hadir" / "Berhalangan" and the reason -----------------------------------------


@turn()
async def attendance_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """An answer under a seminar notice, for the person pressing it and only if the seminar
    concerns them as mentor, coach or examiner; "Berhalangan" then asks why."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    fields = callbacks.unpack(query.data, callbacks.ATTENDANCE, 2)
    seminar_id = _id(fields[0]) if fields is not None else None
    answer = answer_of_code(fields[1]) if fields is not None else None
    if seminar_id is None or answer is None:
        await _stale(update, current)
        return None
    steps.clear_draft(context, ABSENCE)
    try:
        seminar = await materials.answer_attendance(
            current.session, seminar_id, current.actor.person_id, answer, current.now()
        )
    except UserFacingError as exc:
        await tell(update, current.t(exc.key, **exc.params))
        return END
    if answer is AttendanceAnswer.PRESENT:
        await query.answer(
            current.t("attendance.saved.present", kind=_kind(current, seminar, inline=True))
        )
        await _message(update).reply_text(
            current.t(
                "attendance.confirm.present",
                kind=_kind(current, seminar, inline=True),
                at=_when(current, seminar.starts_at),
            )
        )
        return END
    await query.answer()
    steps.draft(context, ABSENCE, seminar_id=seminar.id)
    await _message(update).reply_text(
        current.t("attendance.ask.reason", kind=_kind(current, seminar, inline=True))
    )
    return Step.REASON


@turn()
async def reason_typed(update: Update, context: Context, current: Turn) -> int | None:
    """The reason for "Berhalangan", at most a few sentences."""
    assert current.actor.person_id is not None
    message = _message(update)
    draft = steps.draft(context, ABSENCE)
    if "seminar_id" not in draft:
        steps.clear_draft(context, ABSENCE)
        return END
    try:
        reason = absence_reason(message.text)
    except InvalidText as exc:
        await message.reply_text(current.t(exc.code, **exc.params))
        return None
    try:
        seminar = await materials.give_reason(
            current.session, draft["seminar_id"], current.actor.person_id, reason, current.now()
        )
    except UserFacingError as exc:
        steps.clear_draft(context, ABSENCE)
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    steps.clear_draft(context, ABSENCE)
    await message.reply_text(
        current.t(
            "attendance.confirm.absent",
            kind=_kind(current, seminar, inline=True),
            at=_when(current, seminar.starts_at),
            reason=reason,
        )
    )
    return END


@turn()
async def reason_expected(update: Update, context: Context, current: Turn) -> None:
    """Something other than text where the reason is expected."""
    await _message(update).reply_text(current.t("attendance.ask.reason_text"))


@turn(members_only=False)
async def cancel_reason(update: Update, context: Context, current: Turn) -> int:
    """/batal while the reason is asked: the answer "Berhalangan" stays, without a reason."""
    steps.clear_draft(context, ABSENCE)
    await _message(update).reply_text(current.t("attendance.reason_skipped"))
    return END


# --- the organizer's detail and the daftar hadir -------------------------------------------------


def detail_button(current: Turn, seminar_id: int) -> InlineKeyboardButton:
    """ "Rincian #id" beside a seminar in /seminar: its materials and attendance."""
    return InlineKeyboardButton(
        current.t("materials.button.detail", id=seminar_id),
        callback_data=callbacks.pack(callbacks.SEMINAR_DETAIL, "v", str(seminar_id)),
    )


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


def materials_conversation(entry: steps.Handlers) -> ConversationHandler:  # type: ignore[type-arg]
    """/bahan (`entry`, from the command table) or "Kirim bahan", the kind, the file; persisted
    across restarts."""
    text = filters.TEXT & ~filters.COMMAND
    kind = callbacks.MATERIALS
    return steps.conversation(
        "materials",
        entry_points=[
            *entry,
            CallbackQueryHandler(seminar_pressed, pattern=callbacks.pattern(kind, "s")),
        ],
        states={
            Step.KIND: [
                CallbackQueryHandler(kind_pressed, pattern=callbacks.pattern(kind, "k")),
                MessageHandler(text, steps.reply_handler("seminar.use_buttons")),
            ],
            Step.FILE: [
                MessageHandler(filters.Document.ALL | filters.PHOTO, file_received),
                MessageHandler(text, text_instead_of_file),
            ],
        },
        cancel=cancel_materials,
        allow_reentry=True,
    )


def attendance_conversation(entry: steps.Handlers = ()) -> ConversationHandler:  # type: ignore[type-arg]
    """ "Hadir" / "Berhalangan", and the reason after "Berhalangan"; persisted."""
    return steps.conversation(
        "attendance",
        entry_points=[
            *entry,
            CallbackQueryHandler(
                attendance_pressed, pattern=callbacks.pattern(callbacks.ATTENDANCE)
            ),
        ],
        states={
            Step.REASON: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, reason_typed),
                MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, reason_expected),
            ],
        },
        cancel=cancel_reason,
        allow_reentry=True,
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The organizers' "Rincian" buttons under /seminar and /jadwal, and their PDFs."""
    detail = callbacks.SEMINAR_DETAIL
    return [
        CallbackQueryHandler(detail_pressed, pattern=callbacks.pattern(detail, "v")),
        CallbackQueryHandler(sheet_pressed, pattern=callbacks.pattern(detail, "pg")),
    ]
