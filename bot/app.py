"""The composition root: builds the Application from Settings and registers every handler."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.settings import Settings
from domain.clock import Clock, SystemClock
from handlers import callbacks, fallback, info, onboarding, preferences
from handlers.menu import publish_default_menu
from handlers.runtime import RUNTIME_KEY, Runtime, guess_limits
from models.db import create_engine, session_factory

log = logging.getLogger(__name__)

_OWNED_ENGINE = "owned_engine"


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    application_class: type[Application] = Application,  # type: ignore[type-arg]
) -> Application:  # type: ignore[type-arg]
    """The bot, ready for run_polling (or run_webhook later); nothing runs until started.

    `engine` is for tests and the demo, which share one engine across bot restarts; without it
    the application creates its own and disposes it on shutdown.
    """
    app = (
        ApplicationBuilder()
        .application_class(application_class)
        .token(settings.require_token())
        .base_url(settings.bot_base_url)
        .base_file_url(settings.bot_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.default_timezone))
        .post_init(startup)
        .post_shutdown(shutdown)
        .build()
    )
    if engine is None:
        engine = create_engine(settings.database_url)
        app.bot_data[_OWNED_ENGINE] = engine
    app.bot_data[RUNTIME_KEY] = Runtime(
        sessions=session_factory(engine),
        clock=clock or SystemClock(),
        admin_ids=settings.admin_telegram_ids,
        default_language=settings.default_language,
        default_zone=settings.default_timezone,
        guess_limits=guess_limits(settings.invite_max_attempts, settings.invite_lockout_minutes),
    )
    register_handlers(app)
    return app


def register_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Every handler, in order. One group: the first matching handler wins."""
    private = filters.ChatType.PRIVATE
    app.add_handlers(
        [
            CommandHandler("start", onboarding.start, filters=private),
            CommandHandler(["bantuan", "help"], info.help_command, filters=private),
            CommandHandler("profil", info.profile_command, filters=private),
            CommandHandler("proyek", info.project_command, filters=private),
            CommandHandler("peserta", info.advisees_command, filters=private),
            CommandHandler("angkatan", info.cohorts_command, filters=private),
            CommandHandler("bahasa", preferences.choose_language, filters=private),
            CommandHandler("zona", preferences.choose_zone, filters=private),
            CallbackQueryHandler(
                onboarding.consent_answer, pattern=callbacks.pattern(callbacks.CONSENT)
            ),
            CallbackQueryHandler(
                preferences.language_chosen, pattern=callbacks.pattern(callbacks.LANGUAGE)
            ),
            CallbackQueryHandler(
                preferences.zone_chosen, pattern=callbacks.pattern(callbacks.ZONE)
            ),
            # Catch-alls last: anything above that did not match ends here, never in silence.
            MessageHandler(filters.COMMAND & private, fallback.unknown_command),
            MessageHandler(filters.TEXT & ~filters.COMMAND & private, onboarding.code_text),
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
    log.info("bot @%s ready", app.bot.username)


async def shutdown(app: Application) -> None:  # type: ignore[type-arg]
    engine: Any = app.bot_data.pop(_OWNED_ENGINE, None)
    if engine is not None:
        await engine.dispose()
