"""/lapor on Telegram: the command and the buttons that open the report form (a reminder's
"Lapor sekarang", a receipt's "Koreksi laporan", the offer to save a stray message as a
report). The form itself, its steps and draft, is services/report_form.py, run by the form
engine through the Telegram adapter (handlers/forms.py)."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from domain import actions
from domain.enums import EvidenceKind
from domain.evidence import EvidenceFile, EvidenceRejected, check_evidence
from domain.roles import Role
from domain.text import MAX_REPORT_TEXT, InvalidText, clean_user_text
from handlers import callbacks
from handlers import evidence as evidence_files
from handlers.edits import edit_text
from handlers.forms import enter, media_of
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import projects, report_form
from services.forms import FormContext
from services.report_form import evidence_item
from services.reports import EvidenceItem

PARTICIPANTS = frozenset({Role.PARTICIPANT})
# The stray message offered as a report, until the offer is answered (in user_data).
STRAY = "stray"


def _button(text: str, *fields: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(callbacks.REPORT, *fields))


async def _milestone_keyboard(current: Turn, prefix: str) -> InlineKeyboardMarkup | None:
    assert current.actor.person_id is not None
    open_ones = await projects.reportable_milestones(current.session, current.actor.person_id)
    if not open_ones:
        return None
    rows = [[_button(f"{m.title} · {m.progress_percent}%", prefix, str(m.id))] for m in open_ones]
    return InlineKeyboardMarkup(rows)


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


def evidence_of(message: Message) -> EvidenceItem | None:
    """The file in a message as evidence, or None when it carries none."""
    media = media_of(message)
    return None if media is None else evidence_item(media)


def _check(current: Turn, item: EvidenceItem) -> str | None:
    """The refusal text for an unacceptable file, else None."""
    try:
        check_evidence(
            EvidenceFile(
                kind="photo" if item.kind == EvidenceKind.PHOTO.value else "document",
                file_name=item.file_name,
                mime_type=item.mime_type,
                size=item.size,
            ),
            max_bytes=current.runtime.max_evidence_bytes,
        )
    except EvidenceRejected as exc:
        return current.t(exc.code, **exc.params_for(current.actor.language))
    return None


async def _kept(context: Context, current: Turn, item: EvidenceItem) -> EvidenceItem | str:
    """The file downloaded into the evidence store, or the text telling the user why not (it
    may be sent again). Only after the update's transaction: a download must not hold one of
    the pool's connections."""
    data = await evidence_files.fetch(context.bot, item)
    if data is None:
        return current.t("report.evidence.download_failed")
    # Telegram may not have said how big a document is: the real size is checked again.
    refusal = _check(current, dataclasses.replace(item, size=len(data)))
    if refusal is not None:
        return refusal
    return await evidence_files.keep(current.runtime.evidence_store, item, data)


# --- outside any conversation --------------------------------------------------------------


@turn()
async def file_outside_conversation(update: Update, context: Context, current: Turn) -> None:
    """A photo or document outside a conversation."""
    await offer_to_save(update, context, current)


async def offer_to_save(update: Update, context: Context, current: Turn) -> None:
    """A participant's text or file outside a conversation: offer to keep it as a report,
    so nothing they send is lost."""
    message = update.effective_message
    assert message is not None and context.user_data is not None
    if Role.PARTICIPANT not in current.actor.roles:
        # A mentor or coach writing here most likely meant feedback: say that nothing was
        # forwarded and how feedback reaches the participant.
        advisor = current.actor.has_any(frozenset({Role.MENTOR, Role.COACH}))
        await message.reply_text(
            current.t("feedback.not_forwarded" if advisor else "text.no_conversation")
        )
        return
    item = evidence_of(message)
    stray = context.user_data.get(STRAY)
    same_album = (
        item is not None
        and item.media_group_id is not None
        and stray is not None
        and stray.get("album") == item.media_group_id
    )
    if item is not None:
        refusal = _check(current, item)
        if refusal is not None:
            await message.reply_text(refusal)
            return
    text = None
    if not same_album:
        text = message.text if item is None else message.caption
        if text is not None:
            try:
                text = clean_user_text(text, limit=MAX_REPORT_TEXT)
            except InvalidText as exc:
                await message.reply_text(current.t(exc.code, **exc.params))
                return
    keyboard = None if same_album else await _milestone_keyboard(current, "s")
    offer = functools.partial(
        _offer, update, context, current, item, text=text, same_album=same_album, keyboard=keyboard
    )
    if item is None:
        await offer()
    else:
        current.after_commit(offer)  # the file is downloaded first, outside the transaction


async def _offer(
    update: Update,
    context: Context,
    current: Turn,
    item: EvidenceItem | None,
    *,
    text: str | None,
    same_album: bool,
    keyboard: InlineKeyboardMarkup | None,
) -> None:
    """Keep the stray text or file (downloaded into the evidence store) and offer to save it."""
    message = update.effective_message
    assert message is not None and context.user_data is not None
    kept: EvidenceItem | None = None
    if item is not None and (same_album or keyboard is not None):
        got = await _kept(context, current, item)
        if isinstance(got, str):
            await message.reply_text(got)
            return
        kept = got
    if same_album:
        stray = context.user_data[STRAY]
    else:
        stray = {"text": text, "evidence": [], "album": item.media_group_id if item else None}
        context.user_data[STRAY] = stray
    if kept is not None:
        stray["evidence"].append(kept.to_json())
    if same_album:
        return
    if keyboard is None:
        await message.reply_text(current.t("report.no_open_milestones"))
        return
    rows = [*keyboard.inline_keyboard, [_button(current.t("report.button.not_now"), "s", "no")]]
    await message.reply_text(
        current.t("report.offer_save"), reply_markup=InlineKeyboardMarkup(rows)
    )


@turn(roles=PARTICIPANTS)
async def saved_from_offer(update: Update, context: Context, current: Turn) -> None:
    """A milestone chosen under "Simpan sebagai laporan kemajuan?": the report continues."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    stray = context.user_data.get(STRAY)
    fields = callbacks.unpack(query.data, callbacks.REPORT, 2)
    value = fields[1] if fields is not None and fields[0] == "s" else ""
    # A button under an offer already answered (or lost in a restart) is stale as well.
    if stray is None or not (value == "no" or value.isdigit()):
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    if value == "no":
        await query.answer()
        context.user_data.pop(STRAY, None)
        await edit_text(query, current.t("report.offer_declined"))
        return
    opened = False

    async def begin(ctx: FormContext) -> None:
        nonlocal opened
        opened = await report_form.from_offer(ctx, int(value), stray)

    await enter(update, context, current, begin)
    if opened:
        context.user_data.pop(STRAY, None)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The buttons that open the report form from outside it."""
    kind = callbacks.REPORT
    return [
        CallbackQueryHandler(saved_from_offer, pattern=callbacks.pattern(kind, "s")),
        CallbackQueryHandler(report_now, pattern=callbacks.pattern(kind, actions.REPORT_NOW)),
        CallbackQueryHandler(correct, pattern=callbacks.pattern(kind, actions.CORRECT)),
    ]
