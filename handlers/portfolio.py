"""/portofolio for a participant, and the "Portofolio" button on an advisor's timeline: the PDF."""

from __future__ import annotations

import asyncio
import functools

from telegram import Bot, InlineKeyboardButton, Update
from telegram.constants import ChatAction

from domain.project_term import term_params
from handlers import callbacks
from handlers.runtime import Context
from handlers.turn import Turn, tell, turn
from services import portfolio
from services.errors import UserFacingError


def button(current: Turn, participant_id: int) -> InlineKeyboardButton:
    """The button under a participant's timeline that sends their portfolio."""
    return InlineKeyboardButton(
        current.t("portfolio.button"),
        callback_data=callbacks.pack(callbacks.PORTFOLIO, str(participant_id)),
    )


async def portfolio_command(update: Update, context: Context, current: Turn) -> None:
    """/portofolio: the participant's own portfolio as a PDF document."""
    assert current.actor.person_id is not None
    await _send(update, context, current, current.actor.person_id)


@turn()
async def portfolio_pressed(update: Update, context: Context, current: Turn) -> None:
    """The "Portofolio" button: the id in it is checked again against who presses it."""
    query = update.callback_query
    assert query is not None
    fields = callbacks.unpack(query.data, callbacks.PORTFOLIO, 1)
    if fields is None or not fields[0].isdigit():
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    await _send(update, context, current, int(fields[0]))


async def _send(update: Update, context: Context, current: Turn, participant_id: int) -> None:
    """Check access, read the portfolio and audit the copy now; read the photos from the
    evidence store, render and send the PDF once the transaction is over."""
    actor = current.actor
    try:
        found, relation = await portfolio.portfolio_for(
            current.session,
            participant_id,
            viewer_id=actor.person_id,
            global_admin=actor.global_admin,
        )
    except UserFacingError as exc:
        await tell(update, current.t(exc.key, **exc.params))
        return
    if relation is not portfolio.Relation.SELF:
        portfolio.record_export(
            current.session,
            found,
            now=current.now(),
            actor_id=actor.person_id,
            relation=relation,
        )
    if update.callback_query is not None:
        await update.callback_query.answer()
    assert update.effective_chat is not None
    current.after_commit(
        functools.partial(_deliver, context.bot, current, update.effective_chat.id, found)
    )


async def _deliver(bot: Bot, current: Turn, chat_id: int, found: portfolio.Portfolio) -> None:
    # Heavy (matplotlib, openpyxl or fpdf): loaded on first use, so an idle bot stays small.
    from documents.portfolio_pdf import file_slug, render_portfolio

    await bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    images = await portfolio.fetch_images(found, current.runtime.evidence_store)
    # Rendering is CPU work (fonts, photos): off the event loop, so other chats keep moving.
    data = await asyncio.to_thread(
        render_portfolio,
        found,
        images=images,
        language=current.actor.language,
        generated_at=current.now(),
    )
    await bot.send_document(
        chat_id,
        document=data,
        filename=current.translator("portfolio.file_name", slug=file_slug(found.name)),
        caption=current.t(
            "portfolio.caption",
            name=found.name,
            cohort=found.cohort_name,
            **term_params(current.translator, found.project_term),
        ),
    )
