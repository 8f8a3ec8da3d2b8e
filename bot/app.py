"""The composition root: builds the Application from Settings and registers every handler."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.observed import ObservedApplication, observed_sweep
from bot.processor import PerUserUpdateProcessor
from bot.sender import Sender
from bot.settings import Settings
from bot.telegram_bot import telegram_bot
from domain.clock import Clock, SystemClock
from handlers import (
    broadcast,
    callbacks,
    cohort_admin,
    commands,
    export,
    fallback,
    feedback,
    forms,
    groups,
    onboarding,
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
    vacation,
)
from handlers.menu import publish_default_menu
from handlers.runtime import RUNTIME_KEY, Runtime, guess_limits
from models.db import create_engine, session_factory
from scheduler.runner import Runner
from services.broadcast_form import BROADCAST_FORM
from services.reminders import ReminderSweep, sweep
from storage.evidence_store import open_store

log = logging.getLogger(__name__)

_OWNED_ENGINE = "owned_engine"
# The WhatsApp client's HTTP connections, closed at shutdown.
_WHATSAPP_HTTP = "whatsapp_http"
SENDER = "sender"
RUNNER = "runner"
# The reminder sweep's one owner: the scheduler's job, and what tests and the demo call.
SWEEPER = "sweeper"


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    # Observed: a log line and metrics per update (bot/observed.py).
    application_class: type[Application] = ObservedApplication,  # type: ignore[type-arg]
    background: bool = True,
) -> Application:  # type: ignore[type-arg]
    """The bot, ready for run_polling (or run_webhook later); nothing runs until started.

    `engine` is for tests and the demo, which share one engine across bot restarts; without it
    the application creates its own and disposes it on shutdown. `background` starts the
    scheduler (reminder sweeps) and the sender loop with the bot; tests and the demo leave it
    off and drive the sender and the same sweeper (bot_data[SWEEPER]) with an injected clock.
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
        # Texts are catalog markup: the bot renders them to Telegram HTML (bot/telegram_bot.py).
        .bot(
            telegram_bot(
                settings.require_token(),
                settings.bot_base_url,
                settings.bot_file_url,
                Defaults(tzinfo=settings.default_timezone),
            )
        )
        .post_init(startup)
        .post_shutdown(shutdown)
        .build()
    )
    if owned:
        app.bot_data[_OWNED_ENGINE] = engine
    app.bot_data.update(
        shared_services(settings, sessions, clock, telegram=app.bot, background=background)
    )
    register_handlers(app)
    return app


def shared_services(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    *,
    telegram: Bot | None,
    background: bool = True,
) -> dict[str, Any]:
    """What every front reads from its bot_data: the sender (with WhatsApp's delivery when
    WhatsApp is set up, and Telegram's when `telegram` is given), the reminder sweep, the
    scheduler's runner, the handlers' runtime and the WhatsApp adapter's."""
    shared: dict[str, Any] = {}
    evidence_store = open_store(settings.evidence_dir)
    channels = []
    whatsapp_client = None
    if settings.whatsapp is not None:
        # People whose account is on WhatsApp get their queued messages through it, and the
        # active worker hands WhatsApp's inbox rows to its adapter (whatsapp/dispatch.py).
        from whatsapp.client import create_client, http_client
        from whatsapp.sender import WhatsAppDelivery

        whatsapp_http = http_client(settings.whatsapp.api_root)
        shared[_WHATSAPP_HTTP] = whatsapp_http
        whatsapp_client = create_client(settings.whatsapp, whatsapp_http)
        channels.append(
            WhatsAppDelivery(
                whatsapp_client,
                sessions,
                clock,
                rate_per_s=settings.whatsapp.rate_per_s,
                tier_limit=settings.whatsapp.tier_limit,
                default_language=settings.default_language,
                default_zone=settings.default_timezone,
                admin_telegram_ids=settings.admin_telegram_ids,
                evidence_store=evidence_store,
            )
        )
    sender = Sender(
        telegram,
        sessions,
        clock,
        rate_per_s=settings.delivery_rate_per_s,
        chat_rate_per_s=settings.delivery_chat_rate_per_s,
        default_language=settings.default_language,
        default_zone=settings.default_timezone,
        admin_telegram_ids=settings.admin_telegram_ids,
        evidence_store=evidence_store,
        channels=channels,
    )
    shared[SENDER] = sender
    sweeper = ReminderSweep(sessions, clock, wake=sender.wake, plan=observed_sweep(sweep))
    shared[SWEEPER] = sweeper
    if background:
        shared[RUNNER] = Runner(sweep=sweeper, sender=sender)
    shared[RUNTIME_KEY] = Runtime(
        sessions=sessions,
        clock=clock,
        admin_ids=settings.admin_telegram_ids,
        default_language=settings.default_language,
        default_zone=settings.default_timezone,
        guess_limits=guess_limits(settings.invite_max_attempts, settings.invite_lockout_minutes),
        max_evidence_bytes=settings.max_evidence_mb * 1024 * 1024,
        wake=sender.wake,
        evidence_store=evidence_store,
        web_base_url=settings.web_base_url,
        whatsapp_phone_number=settings.whatsapp_phone_number,
    )
    if whatsapp_client is not None:
        from whatsapp.runtime import install

        install(shared, whatsapp_client, settings.admin_whatsapp_numbers)
    return shared


class WhatsAppOnly:
    """The active worker's application when only WhatsApp is set up (no TELEGRAM_BOT_TOKEN):
    the sender, the scheduler and the WhatsApp adapter's runtime, with no Telegram bot."""

    telegram = None

    def __init__(self, settings: Settings, engine: AsyncEngine, clock: Clock) -> None:
        assert settings.whatsapp is not None
        self.bot_data = shared_services(
            settings, session_factory(engine), clock, telegram=None, background=True
        )

    async def start(self) -> None:
        self.bot_data[RUNNER].start()
        log.info("WhatsApp ready (no Telegram bot set up)")

    async def stop(self) -> None:
        await close_shared(self.bot_data)


def register_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Every handler, in order: in a group the first match wins, groups run in turn.

    Commands come from the command table (handlers/commands.py), which also gives each its
    role check; here is only where each kind goes."""
    private = filters.ChatType.PRIVATE
    files = filters.PHOTO | filters.Document.ALL
    text = filters.TEXT & ~filters.COMMAND

    # Group -2: a reply to a relayed report or note belongs to that thread, even while a
    # form waits for an answer; anything else falls through.
    app.add_handler(
        MessageHandler(filters.REPLY & text & private, feedback.reply_to_relay), group=-2
    )
    # Group -1: a person's open form (/lapor, /proyek, ...) takes their next answer and its
    # own buttons before anything else; what it does not take falls through to group 0.
    interrupts = frozenset(name for c in commands.rows() if c.interrupts for name in c.names)
    app.add_handler(forms.router(interrupts), group=-1)
    # What /umumkan does in a Telegram chat besides its prompts (the preview's file, the status).
    BROADCAST_FORM.desk = broadcast.TelegramDesk()

    # Groups first: in a linked cohort group the bot answers only its group commands and
    # points every private command to the private chat, showing nobody's data there.
    app.add_handlers(commands.group_handlers())
    app.add_handlers(groups.handlers())
    # A user unblocking the bot in their private chat: reachable again.
    app.add_handlers(presence.handlers())

    app.add_handlers(
        [
            *commands.private_commands(),
            # Buttons: those that open a form call handlers.forms.enter, the others answer.
            *report.handlers(),
            *feedback.handlers(),
            *project.handlers(),
            *seminar.handlers(),
            *seminar_materials.handlers(),
            *scoring.handlers(),
            *vacation.handlers(),
            *recap.handlers(),
            *export.handlers(),
            *cohort_admin.handlers(),
            CallbackQueryHandler(
                onboarding.consent_answer, pattern=callbacks.pattern(callbacks.CONSENT)
            ),
            CallbackQueryHandler(
                preferences.language_chosen, pattern=callbacks.pattern(callbacks.LANGUAGE)
            ),
            CallbackQueryHandler(
                preferences.zone_chosen, pattern=callbacks.pattern(callbacks.ZONE)
            ),
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
    await close_shared(app.bot_data)


async def close_shared(bot_data: MutableMapping[str, Any]) -> None:
    """Stop the scheduler and the sender, close WhatsApp's connections and an owned engine."""
    runner: Runner | None = bot_data.pop(RUNNER, None)
    if runner is not None:
        await runner.shutdown()
    engine: Any = bot_data.pop(_OWNED_ENGINE, None)
    if engine is not None:
        await engine.dispose()
    whatsapp_http: Any = bot_data.pop(_WHATSAPP_HTTP, None)
    if whatsapp_http is not None:
        await whatsapp_http.aclose()
