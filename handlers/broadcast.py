"""/umumkan: an organizer's announcement on the form engine (services/broadcast_form.py), and
the status message kept up to date while the sender delivers it."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, JobQueue

from domain.clock import Clock, SystemClock
from domain.enums import Channel, EvidenceKind
from domain.i18n import translator
from handlers.edits import not_modified
from handlers.forms import TelegramScreen, enter
from handlers.runtime import Context, Runtime
from handlers.turn import Turn
from services import broadcast_form, broadcasts
from services.broadcast_form import Attachment, status_text
from services.forms import Screen

log = logging.getLogger(__name__)

# How often the status message is refreshed while messages wait; Telegram allows editing
# one message far more often, but every few seconds is what a person can follow.
STATUS_INTERVAL = 5.0


async def start(update: Update, context: Context, current: Turn) -> None:
    """/umumkan: choose the cohort, unless the organizer runs only one."""
    every_cohort = current.actor.global_admin
    await enter(
        update, context, current, lambda c: broadcast_form.begin(c, every_cohort=every_cohort)
    )


class TelegramDesk:
    """/umumkan's file preview and status job in a Telegram chat."""

    async def show_file(self, screen: Screen, attachment: Attachment, caption: str) -> None:
        assert isinstance(screen, TelegramScreen)
        chat = screen.update.effective_chat
        assert chat is not None
        # Sent here by Telegram: its file_id goes as it is.
        if attachment.kind == EvidenceKind.PHOTO:
            await screen.bot.send_photo(chat.id, attachment.ref, caption=caption)
        else:
            await screen.bot.send_document(chat.id, attachment.ref, caption=caption)

    def watch(self, screen: Screen, broadcast_id: int) -> None:
        assert isinstance(screen, TelegramScreen)
        watch(screen.job_queue, broadcast_id)


async def refresh_status(
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    broadcast_id: int,
    *,
    clock: Clock | None = None,
    default_language: str = "id",
) -> bool:
    """Edit the organizer's status message from the queue's rows; True while messages wait.

    When none waits any more, the message becomes the final summary and the announcement is
    marked finished. Safe to call at any time and from anywhere (the status job, the sender).
    """
    now = (clock or SystemClock()).now()
    async with sessions() as session, session.begin():
        summary = await broadcasts.summary(session, broadcast_id)
        running = not summary.progress.done
        status = summary.status
        if status is None or status.channel is not Channel.TELEGRAM:
            # Only Telegram messages can be edited; elsewhere the web desk shows the counts.
            if not running:
                await broadcasts.mark_finished(session, broadcast_id, now)
            return running
        language = await broadcasts.language_of(session, summary.author_id, default_language)
        text = status_text(translator(language), summary)
        try:
            await bot.edit_message_text(
                text, chat_id=int(status.chat_ref), message_id=int(status.message_ref)
            )
        except BadRequest as exc:
            # Unchanged counts since the last edit, or the organizer deleted the message:
            # neither is worth failing the announcement for.
            if not not_modified(exc):
                log.warning("status of broadcast %s not updated: %s", broadcast_id, exc)
        except Forbidden:
            log.info("organizer blocked the bot; status of broadcast %s not shown", broadcast_id)
        if not running:
            await broadcasts.mark_finished(session, broadcast_id, now)
    return running


def job_name(broadcast_id: int) -> str:
    return f"broadcast-status-{broadcast_id}"


def watch(job_queue: JobQueue[Any] | None, broadcast_id: int) -> None:
    """Refresh the status every STATUS_INTERVAL seconds until nothing waits; once per id."""
    if job_queue is None:  # without APScheduler only the sender's calls update the status
        log.warning(
            "no job queue: status of broadcast %s updates only on sender calls", broadcast_id
        )
        return
    if job_queue.get_jobs_by_name(job_name(broadcast_id)):
        return
    job_queue.run_repeating(
        _status_job,
        interval=STATUS_INTERVAL,
        first=STATUS_INTERVAL,
        data=broadcast_id,
        name=job_name(broadcast_id),
    )


async def _status_job(context: Context) -> None:
    """One refresh; the job removes itself once the final summary is shown."""
    job = context.job
    assert job is not None and isinstance(job.data, int)
    runtime = Runtime.of(context.application)
    running = await refresh_status(
        context.bot,
        runtime.sessions,
        job.data,
        clock=runtime.clock,
        default_language=runtime.default_language,
    )
    if not running:
        job.schedule_removal()


async def resume_status_updates(application: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """After a restart: watch again every announcement whose status is not final yet.

    For post_init; returns how many are watched.
    """
    runtime = Runtime.of(application)
    async with runtime.sessions() as session:
        unfinished = await broadcasts.unfinished_with_status(session)
    for broadcast_id in unfinished:
        watch(application.job_queue, broadcast_id)
    return len(unfinished)
