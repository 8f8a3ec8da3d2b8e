"""The composition root: builds the Application from Settings and registers every handler."""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    Defaults,
    MessageHandler,
    PersistenceInput,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.persistence import DatabasePersistence
from bot.processor import PerUserUpdateProcessor
from bot.sender import Sender
from bot.settings import Settings
from domain.clock import Clock, SystemClock
from handlers import (
    broadcast,
    callbacks,
    cohort_admin,
    export,
    fallback,
    feedback,
    groups,
    info,
    onboarding,
    personal_data,
    portfolio,
    preferences,
    presence,
    project,
    recap,
    report,
    scoring,
    seminar,
    seminar_materials,
    status,
    steps,
    vacation,
)
from handlers.menu import publish_default_menu
from handlers.runtime import RUNTIME_KEY, Runtime, guess_limits
from models.db import create_engine, session_factory
from scheduler.runner import Runner
from storage.evidence_store import open_store

log = logging.getLogger(__name__)

# A half-written report waits this long for the next answer before the conversation closes.
CONVERSATION_TIMEOUT = timedelta(hours=12)

_OWNED_ENGINE = "owned_engine"
SENDER = "sender"
RUNNER = "runner"


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    application_class: type[Application] = Application,  # type: ignore[type-arg]
    background: bool = True,
) -> Application:  # type: ignore[type-arg]
    """The bot, ready for run_polling (or run_webhook later); nothing runs until started.

    `engine` is for tests and the demo, which share one engine across bot restarts; without it
    the application creates its own and disposes it on shutdown. `background` starts the
    scheduler (reminder sweeps) and the sender loop with the bot; tests and the demo leave it
    off and drive the sender themselves with an injected clock.
    """
    owned = engine is None
    if engine is None:
        engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    clock = clock or SystemClock()
    builder = ApplicationBuilder()
    if settings.update_concurrency > 1:
        # Other users' updates need not wait for a slow one (a PDF, a chart, a slow database);
        # one user's updates still run one after another, in order. 1 keeps PTB's default.
        builder = builder.concurrent_updates(PerUserUpdateProcessor(settings.update_concurrency))
    app = (
        builder.application_class(application_class)
        .token(settings.require_token())
        .base_url(settings.bot_base_url)
        .base_file_url(settings.bot_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.default_timezone))
        # Conversations and drafts (user_data) only; bot_data holds live objects.
        .persistence(
            DatabasePersistence(
                sessions,
                clock,
                store_data=PersistenceInput(bot_data=False, chat_data=False, callback_data=False),
            )
        )
        .post_init(startup)
        .post_shutdown(shutdown)
        .build()
    )
    if owned:
        app.bot_data[_OWNED_ENGINE] = engine
    sender = Sender(
        app.bot,
        sessions,
        clock,
        rate_per_s=settings.delivery_rate_per_s,
        chat_rate_per_s=settings.delivery_chat_rate_per_s,
        default_language=settings.default_language,
        default_zone=settings.default_timezone,
        admin_telegram_ids=settings.admin_telegram_ids,
    )
    app.bot_data[SENDER] = sender
    if background:
        app.bot_data[RUNNER] = Runner(sessions=sessions, clock=clock, sender=sender)
    app.bot_data[RUNTIME_KEY] = Runtime(
        sessions=sessions,
        clock=clock,
        admin_ids=settings.admin_telegram_ids,
        default_language=settings.default_language,
        default_zone=settings.default_timezone,
        guess_limits=guess_limits(settings.invite_max_attempts, settings.invite_lockout_minutes),
        max_evidence_bytes=settings.max_evidence_mb * 1024 * 1024,
        wake=sender.wake,
        evidence_store=open_store(settings.evidence_dir),
    )
    register_handlers(app)
    return app


def register_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Every handler, in order: in a group the first match wins, groups run in turn."""
    private = filters.ChatType.PRIVATE
    files = filters.PHOTO | filters.Document.ALL
    text = filters.TEXT & ~filters.COMMAND

    # Group -1: a reply to a relayed report or note belongs to that thread, even while a
    # conversation waits for an answer; anything else falls through to group 0.
    app.add_handler(
        MessageHandler(filters.REPLY & text & private, feedback.reply_to_relay), group=-1
    )

    # Groups first: in a linked cohort group the bot answers only its group commands and
    # points every private command to the private chat, showing nobody's data there.
    app.add_handlers(groups.handlers())
    # A user unblocking the bot in their private chat: reachable again.
    app.add_handlers(presence.handlers())

    app.add_handlers(
        [
            CommandHandler("start", onboarding.start, filters=private),
            CommandHandler(["bantuan", "help"], info.help_command, filters=private),
            report_conversation(),
            feedback_conversation(),
            project_conversation(),
            *seminar.handlers(),
            # /bahan and "Kirim bahan"; "Hadir"/"Berhalangan"; a seminar's detail for admins.
            *seminar_materials.handlers(),
            # /penguji: examiners score presenters; /nilai: own scores, organizers' release.
            *scoring.handlers(),
            *broadcast.handlers(),
            *vacation.handlers(),
            CommandHandler("profil", info.profile_command, filters=private),
            CommandHandler("dataku", personal_data.my_data_command, filters=private),
            CommandHandler("proyek", project.project_command, filters=private),
            CallbackQueryHandler(project.milestone_menu, pattern=r"^pj1:m:"),
            CallbackQueryHandler(project.ask_remove, pattern=r"^pj1:d:"),
            CallbackQueryHandler(project.removed, pattern=r"^pj1:x:"),
            CommandHandler("status", status.status_command, filters=private),
            CommandHandler("peserta", status.advisees_command, filters=private),
            CommandHandler("portofolio", portfolio.portfolio_command, filters=private),
            *recap.handlers(),
            *export.handlers(),
            # /angkatan and /undang: after the other conversations, whose "busy" answer wins.
            *cohort_admin.handlers(),
            CommandHandler("bahasa", preferences.choose_language, filters=private),
            CommandHandler("zona", preferences.choose_zone, filters=private),
            CommandHandler("batal", fallback.nothing_to_cancel, filters=private),
            CallbackQueryHandler(
                onboarding.consent_answer, pattern=callbacks.pattern(callbacks.CONSENT)
            ),
            CallbackQueryHandler(
                preferences.language_chosen, pattern=callbacks.pattern(callbacks.LANGUAGE)
            ),
            CallbackQueryHandler(
                preferences.zone_chosen, pattern=callbacks.pattern(callbacks.ZONE)
            ),
            CallbackQueryHandler(feedback.approve, pattern=r"^fb1:a:"),
            CallbackQueryHandler(feedback.acknowledge, pattern=r"^fb1:k:"),
            CallbackQueryHandler(
                status.timeline_page, pattern=callbacks.pattern(callbacks.ADVISEES)
            ),
            CallbackQueryHandler(
                portfolio.portfolio_pressed, pattern=callbacks.pattern(callbacks.PORTFOLIO)
            ),
            # Catch-alls last: anything above that did not match ends here, never in silence.
            MessageHandler(filters.COMMAND & private, fallback.unknown_command),
            MessageHandler(text & private, onboarding.code_text),
            MessageHandler(files & private, report.file_outside_conversation),
            MessageHandler(private & ~filters.StatusUpdate.ALL, fallback.other_message),
            CallbackQueryHandler(fallback.stale_button),
        ]
    )
    app.add_error_handler(fallback.on_error)


def _conversation(**kwargs: Any) -> ConversationHandler:  # type: ignore[type-arg]
    # Our conversations mix text answers and button presses, so they are tracked per user and
    # chat (per_message=False) on purpose; PTB warns about exactly that combination.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(**kwargs)


def report_conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """/lapor, also entered from "Simpan sebagai laporan kemajuan?"; persisted in the database."""
    text = filters.TEXT & ~filters.COMMAND
    files = filters.PHOTO | filters.Document.ALL
    step = report.Step
    return _conversation(
        entry_points=[
            CommandHandler("lapor", report.start, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(report.saved_from_offer, pattern=r"^rp1:s:"),
            # "Lapor sekarang" under a reminder; "Koreksi laporan" under a receipt.
            CallbackQueryHandler(report.report_now, pattern=r"^rp1:n:"),
            CallbackQueryHandler(report.correct, pattern=r"^rp1:k:"),
        ],
        states={
            step.MILESTONE: [CallbackQueryHandler(report.milestone_chosen, pattern=r"^rp1:m:")],
            step.TEXT: [
                MessageHandler(text, report.text_received),
                MessageHandler(files, report.text_expected),
            ],
            step.EVIDENCE: [
                MessageHandler(files, report.evidence_received),
                CallbackQueryHandler(report.evidence_finished, pattern=r"^rp1:e:"),
                MessageHandler(text, report.text_during_evidence),
            ],
            step.PERCENT: [
                CallbackQueryHandler(report.percent_pressed, pattern=r"^rp1:p:"),
                MessageHandler(text, report.percent_typed),
            ],
            step.CONFIRM: [CallbackQueryHandler(report.confirmed, pattern=r"^rp1:c:")],
            step.CHANGE: [CallbackQueryHandler(report.change_chosen, pattern=r"^rp1:u:")],
            step.OBSTACLES: [
                MessageHandler(text, report.obstacles_typed),
                CallbackQueryHandler(report.obstacles_pressed, pattern=r"^rp1:o:"),
                MessageHandler(files, report.file_instead_of_words),
            ],
            step.NEXT_STEPS: [
                MessageHandler(text, report.next_steps_typed),
                CallbackQueryHandler(report.next_steps_pressed, pattern=r"^rp1:o:"),
                MessageHandler(files, report.file_instead_of_words),
            ],
        },
        fallbacks=[
            # A reminder's or a receipt's button pressed mid-report starts that one instead.
            CallbackQueryHandler(report.report_now, pattern=r"^rp1:n:"),
            CallbackQueryHandler(report.correct, pattern=r"^rp1:k:"),
            CommandHandler("batal", report.cancel),
            MessageHandler(filters.COMMAND, steps.busy),
        ],
        name="report",
        persistent=True,
        conversation_timeout=CONVERSATION_TIMEOUT,
    )


def project_conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """Editing under /proyek: a project field, a new milestone, or one field of a milestone."""
    text = filters.TEXT & ~filters.COMMAND
    step = project.Step
    return _conversation(
        entry_points=[CallbackQueryHandler(project.begin, pattern=r"^pj1:[fae]:")],
        states={
            step.PROJECT_TEXT: [MessageHandler(text, project.project_text)],
            step.TITLE: [MessageHandler(text, project.title_typed)],
            step.HORIZON: [CallbackQueryHandler(project.horizon_pressed, pattern=r"^pj1:h:")],
            step.DATE: [MessageHandler(text, project.date_typed)],
            step.DATE_OK: [CallbackQueryHandler(project.date_confirmed, pattern=r"^pj1:k:")],
            step.OUTPUT: [
                MessageHandler(text, project.output_typed),
                CallbackQueryHandler(project.output_skipped, pattern=r"^pj1:o:"),
            ],
        },
        fallbacks=[
            CommandHandler("batal", project.cancel),
            MessageHandler(filters.COMMAND, steps.busy),
        ],
        name="project",
        persistent=True,
        conversation_timeout=CONVERSATION_TIMEOUT,
    )


def feedback_conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """ "Beri umpan balik" / "Minta revisi": one text, then the note goes to the participant."""
    return _conversation(
        entry_points=[CallbackQueryHandler(feedback.ask_note, pattern=r"^fb1:[fr]:")],
        states={
            feedback.WRITE: [MessageHandler(filters.TEXT & ~filters.COMMAND, feedback.note_written)]
        },
        fallbacks=[
            CommandHandler("batal", feedback.cancel),
            MessageHandler(filters.COMMAND, steps.busy),
        ],
        name="feedback",
        persistent=True,
        conversation_timeout=CONVERSATION_TIMEOUT,
    )


async def startup(app: Application) -> None:  # type: ignore[type-arg]
    """After initialize(): learn our username and publish the strangers' command menu."""
    runtime = Runtime.of(app)
    app.bot_data[RUNTIME_KEY] = replace(runtime, bot_username=app.bot.username)
    await publish_default_menu(app.bot, runtime.default_language)
    await broadcast.resume_status_updates(app)
    runner: Runner | None = app.bot_data.get(RUNNER)
    if runner is not None:
        runner.start()
    log.info("bot @%s ready", app.bot.username)


async def shutdown(app: Application) -> None:  # type: ignore[type-arg]
    runner: Runner | None = app.bot_data.pop(RUNNER, None)
    if runner is not None:
        await runner.shutdown()
    engine: Any = app.bot_data.pop(_OWNED_ENGINE, None)
    if engine is not None:
        await engine.dispose()
