"""Sending reports and notes to the other side of the thread, remembering what went where."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
)
from telegram.error import Forbidden

from domain.enums import FeedbackKind
from domain.i18n import Translator, format_datetime, translator
from domain.progress import progress_bar
from domain.report_body import report_body
from domain.text import split_html
from handlers import callbacks
from handlers.edits import edit_text
from handlers.turn import Safe, escape_params
from services.reports import EvidenceItem, NoteDelivery, Recipient, ReportView, record_relay

log = logging.getLogger(__name__)

ALBUM_LIMIT = 10
QUOTE_LENGTH = 280


def _t(recipient: Recipient) -> Translator:
    return translator(recipient.language)


def render(t: Translator, key: str, **params: object) -> str:
    return t(key, **escape_params(params))


def excerpt(text: str) -> str:
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1].rstrip() + "…"


async def send_html(
    bot: Bot, chat_id: int, html: str, markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send text of any length: split where Telegram's limit requires, buttons on the last part."""
    parts = split_html(html)
    sent = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent.append(await bot.send_message(chat_id, part, reply_markup=markup if last else None))
    return sent


async def replace_buttons(query: CallbackQuery, text: str) -> bool:
    """Turn the pressed message into `text` without its buttons; False when it already is that
    (a double tap delivers the press twice), so the repeated press does nothing more."""
    return await edit_text(query, text)


async def send_evidence(bot: Bot, chat_id: int, items: Sequence[EvidenceItem]) -> list[Message]:
    """Re-send files by file_id: photos as an album, documents as another (Telegram won't mix)."""
    sent: list[Message] = []
    photos = [i for i in items if i.kind == "photo"]
    documents = [i for i in items if i.kind != "photo"]
    for group, single, media in (
        (photos, bot.send_photo, InputMediaPhoto),
        (documents, bot.send_document, InputMediaDocument),
    ):
        for start in range(0, len(group), ALBUM_LIMIT):
            chunk = group[start : start + ALBUM_LIMIT]
            # Captions are the participant's own words: sent as plain text, never as HTML.
            if len(chunk) == 1:
                item = chunk[0]
                sent.append(
                    await single(chat_id, item.file_id, caption=item.caption, parse_mode=None)  # type: ignore[operator]
                )
            else:
                album = [
                    media(i.file_id, caption=i.caption, parse_mode=None)  # type: ignore[operator]
                    for i in chunk
                ]
                sent.extend(await bot.send_media_group(chat_id, album))
    return sent


def report_keyboard(t: Translator, report: ReportView, advisor: Recipient) -> InlineKeyboardMarkup:
    uid = str(report.update_id)
    rows = [
        [
            InlineKeyboardButton(
                t("report.button.feedback"),
                callback_data=callbacks.pack(callbacks.FEEDBACK, "f", uid),
            ),
            InlineKeyboardButton(
                t("report.button.acknowledge"),
                callback_data=callbacks.pack(callbacks.FEEDBACK, "k", uid),
            ),
        ],
        [
            InlineKeyboardButton(
                t("report.button.revision"),
                callback_data=callbacks.pack(callbacks.FEEDBACK, "r", uid),
            )
        ],
    ]
    # Signing a milestone off is the mentor's call (DOMAIN.md); coaches advise on method.
    if report.percent == 100 and advisor.relation == "mentor":
        rows.insert(
            0,
            [
                InlineKeyboardButton(
                    t("report.button.approve"),
                    callback_data=callbacks.pack(callbacks.FEEDBACK, "a", uid),
                )
            ],
        )
    return InlineKeyboardMarkup(rows)


def body_html(t: Translator, text: str, obstacles: str | None, next_steps: str | None) -> Safe:
    """A report's words, with kendala and rencana berikutnya when given, escaped."""
    body = report_body(text, obstacles, next_steps)
    return Safe(render(t, body["key"], **body["params"]))


def report_body_html(t: Translator, report: ReportView) -> Safe:
    return body_html(t, report.text, report.obstacles, report.next_steps)


def report_text(
    t: Translator, report: ReportView, advisor: Recipient, *, correction: bool = False
) -> str:
    """The report as its advisor reads it; `correction`: the corrected version, marked so."""
    params: dict[str, object] = {
        "participant": report.participant_name,
        "milestone": report.milestone_title,
        "bar": progress_bar(report.percent),
        "at": format_datetime(report.submitted_at, advisor.timezone, advisor.language),
        "evidence": len(report.evidence),
        "body": report_body_html(t, report),
    }
    if correction:
        assert report.corrected_at is not None
        params["corrected"] = format_datetime(
            report.corrected_at, advisor.timezone, advisor.language
        )
        return render(t, "report.relay.correction", **params)
    return render(t, "report.relay", **params)


async def deliver_report(
    bot: Bot,
    session: AsyncSession,
    report: ReportView,
    advisors: Sequence[Recipient],
    now: datetime,
    *,
    correction: bool = False,
) -> list[Recipient]:
    """Send the report to each advisor; returns who got it (not joined or blocked: skipped).

    `correction`: the corrected words of a report they had already, without its files again."""
    reached = []
    for advisor in advisors:
        if advisor.chat_id is None:
            continue
        t = _t(advisor)
        try:
            messages = []
            if not correction:  # the files went with the report; a correction is its words
                messages = await send_evidence(bot, advisor.chat_id, report.evidence)
            messages += await send_html(
                bot,
                advisor.chat_id,
                report_text(t, report, advisor, correction=correction),
                report_keyboard(t, report, advisor),
            )
        except Forbidden:
            log.info(
                "advisor %s unreachable; report %s not relayed", advisor.person_id, report.update_id
            )
            continue
        for message in messages:
            await record_relay(
                session,
                chat_id=advisor.chat_id,
                message_id=message.message_id,
                recipient_id=advisor.person_id,
                update_id=report.update_id,
                note_id=None,
                now=now,
            )
        reached.append(advisor)
    return reached


_NOTE_KEYS = {
    FeedbackKind.FEEDBACK: "note.relay.feedback",
    FeedbackKind.REPLY: "note.relay.reply",
    FeedbackKind.APPROVAL: "note.relay.approval",
    FeedbackKind.REVISION_REQUEST: "note.relay.revision",
    FeedbackKind.ACKNOWLEDGED: "note.relay.acknowledged",
}


async def deliver_note(
    bot: Bot, session: AsyncSession, delivery: NoteDelivery, now: datetime
) -> bool:
    """Send a note to its recipient, quoting the report; False if they cannot be reached."""
    recipient = delivery.recipient
    if recipient.chat_id is None:
        return False
    t = _t(recipient)
    report = delivery.report
    html = render(
        t,
        _NOTE_KEYS[delivery.kind],
        author=delivery.author.name,
        relation=t(f"role.{delivery.author.relation}"),
        participant=report.participant_name,
        milestone=report.milestone_title,
        reported=format_datetime(report.submitted_at, recipient.timezone, recipient.language),
        quote=excerpt(report.text),
        text=delivery.text,
        at=format_datetime(now, recipient.timezone, recipient.language),
    )
    try:
        messages = await send_html(bot, recipient.chat_id, html)
    except Forbidden:
        log.info(
            "person %s unreachable; note %s not relayed", recipient.person_id, delivery.note_id
        )
        return False
    for message in messages:
        await record_relay(
            session,
            chat_id=recipient.chat_id,
            message_id=message.message_id,
            recipient_id=recipient.person_id,
            update_id=report.update_id,
            note_id=delivery.note_id,
            now=now,
        )
    return True
