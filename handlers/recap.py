"""/rekap: a cohort's progress as a chart and a short summary, for organizers and advisors."""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from domain.albums import ALBUM_LIMIT
from domain.i18n import format_date, format_datetime
from domain.roles import Role
from handlers import callbacks
from handlers.delivery import replace_buttons, send_html
from handlers.runtime import Context
from handlers.turn import Safe, Turn, turn
from services import recap
from services.recap import Recap, RecapScope

PREFIX = callbacks.RECAP
ROLES = frozenset({Role.ADMIN, Role.MENTOR, Role.COACH})


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The cohort buttons under /rekap (the command is a row of the command table)."""
    return [CallbackQueryHandler(cohort_chosen, pattern=callbacks.pattern(PREFIX))]


async def _scopes(current: Turn) -> list[RecapScope]:
    # Admins from ADMIN_TELEGRAM_IDS run every cohort; others see what they organize or advise.
    return await recap.recap_scopes(
        current.session,
        current.actor.person_id,
        every_cohort=current.actor.global_admin,
    )


def _label(current: Turn, scope: RecapScope) -> str:
    if scope.participant_ids is None:
        return scope.cohort_name
    return current.translator("recap.button.own", cohort=scope.cohort_name)


async def recap_command(update: Update, context: Context, current: Turn) -> None:
    """/rekap: at once for a single cohort, else a button per cohort."""
    message = update.effective_message
    assert message is not None
    scopes = await _scopes(current)
    if not scopes:
        await message.reply_text(current.t("recap.none"))
        return
    if len(scopes) == 1:
        await _send(context, current, message.chat_id, scopes[0])
        return
    buttons = [
        [
            InlineKeyboardButton(
                _label(current, s), callback_data=callbacks.pack(PREFIX, str(s.cohort_id))
            )
        ]
        for s in scopes
    ]
    await message.reply_text(
        current.t("recap.ask.cohort"), reply_markup=InlineKeyboardMarkup(buttons)
    )


@turn(roles=ROLES)
async def cohort_chosen(update: Update, context: Context, current: Turn) -> None:
    """A cohort button under /rekap; the cohort is checked again against the presser."""
    query = update.callback_query
    assert query is not None and query.message is not None
    fields = callbacks.unpack(query.data, PREFIX, 1)
    scopes = await _scopes(current)
    scope = next((s for s in scopes if fields and fields[0] == str(s.cohort_id)), None)
    if scope is None:
        await query.answer(current.t("recap.error.not_yours"), show_alert=True)
        return
    await query.answer()
    if await replace_buttons(query, current.t("recap.chosen", cohort=_label(current, scope))):
        await _send(context, current, query.message.chat.id, scope)


async def _send(context: Context, current: Turn, chat_id: int, scope: RecapScope) -> None:
    """Read the recap now; draw and send it once the transaction is over."""
    result = await recap.recap_for(current.session, scope, current.now())
    if not result.participants:
        await context.bot.send_message(chat_id, current.t("recap.empty", cohort=result.cohort_name))
        return
    current.after_commit(functools.partial(_deliver, context.bot, current, chat_id, result))


async def _deliver(bot: Bot, current: Turn, chat_id: int, result: Recap) -> None:
    """The chart (one photo, or an album of pages for a large cohort), then the summary."""
    # Heavy (matplotlib): loaded on first use, so an idle bot stays small.
    from documents.recap_chart import recap_charts

    lang, zone = current.actor.language, current.actor.timezone
    # Drawing takes a moment per page; a worker thread keeps the bot answering meanwhile.
    pages = await asyncio.to_thread(recap_charts, result, lang, zone)
    caption = current.t(
        "recap.caption", cohort=result.cohort_name, at=format_datetime(result.at, zone, lang)
    )
    if len(pages) == 1:
        await bot.send_photo(chat_id, pages[0], caption=caption)
    else:
        for start in range(0, len(pages), ALBUM_LIMIT):
            chunk = pages[start : start + ALBUM_LIMIT]
            media = [
                InputMediaPhoto(page, caption=caption if start + i == 0 else None)
                for i, page in enumerate(chunk)
            ]
            if len(media) == 1:
                await bot.send_photo(chat_id, chunk[0])
            else:
                await bot.send_media_group(chat_id, media)
    await send_html(bot, chat_id, summary(current, result))


def summary(current: Turn, result: Recap) -> str:
    """Figures first, then who is behind, then response times (everyone's, or the viewer's)."""
    lang, zone = current.actor.language, current.actor.timezone
    f = result.figures
    head = [
        current.t(
            "recap.summary.title",
            cohort=result.cohort_name,
            at=format_datetime(result.at, zone, lang),
        )
    ]
    if result.scoped:
        head.append(current.t("recap.summary.own"))
    head.append(
        current.t(
            "recap.summary.figures",
            participants=f.participants,
            joined=f.joined,
            week=f.reports_this_week,
            waiting=f.waiting_feedback,
            overdue=f.overdue_milestones,
            silent=f.silent,
        )
    )
    parts = ["\n".join(head)]

    behind = [current.t("recap.behind.title")]
    for p in result.behind:
        reasons = []
        if p.overdue:
            reasons.append(current.translator.plural("recap.reason.overdue", p.overdue))
        if p.last_report_at is None:
            reasons.append(current.t("recap.reason.never"))
        elif p.silent_since(result.at):
            reasons.append(
                current.t("recap.reason.silent", date=format_date(p.last_report_at, zone, lang))
            )
        behind.append(
            current.t(
                "recap.behind.line",
                name=p.name,
                progress=p.progress,
                reasons=Safe("; ".join(reasons)),
            )
        )
    if not result.behind:
        behind.append(current.t("recap.behind.none"))
    parts.append("\n".join(behind))

    responses = [
        current.t("recap.responses.title_own" if result.scoped else "recap.responses.title")
    ]
    for a in result.response_times:
        responses.append(
            current.t(
                "recap.responses.line",
                name=a.name,
                kind=current.t(f"role.{a.kind.value}"),
                median=Safe(duration(current, a.median)),
                answered=a.answered,
                reports=a.reports,
                waiting=a.waiting,
                oldest=Safe(duration(current, a.oldest_waiting)),
            )
        )
    if not result.response_times:
        responses.append(current.t("recap.responses.none"))
    parts.append("\n".join(responses))
    return "\n\n".join(parts)


def duration(current: Turn, value: timedelta | None) -> str:
    """ "45 menit", "5 jam", "3 hari": rounded down to the largest unit that fits."""
    if value is None:
        return current.t("recap.duration.none")
    minutes = int(value.total_seconds() // 60)
    plural = current.translator.plural
    if minutes < 60:
        return plural("recap.duration.minutes", minutes)
    if minutes < 48 * 60:
        return plural("recap.duration.hours", minutes // 60)
    return plural("recap.duration.days", minutes // (24 * 60))
