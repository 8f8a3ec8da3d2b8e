"""What handlers need from the composition root, handed down once through bot_data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from domain.clock import Clock
from services.onboarding import GuessLimits
from storage.evidence_store import EvidenceStore, MemoryStore

RUNTIME_KEY = "runtime"


@dataclass(frozen=True)
class Runtime:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    admin_ids: frozenset[int]
    default_language: str
    default_zone: ZoneInfo
    guess_limits: GuessLimits
    max_evidence_bytes: int = 20 * 1024 * 1024
    bot_username: str | None = None
    # Tells the sender to look at the queue now; a no-op when no sender runs (CLI, tests).
    wake: Callable[[], None] = lambda: None
    # Where evidence bytes are kept (content-addressed); a folder in production, memory in tests.
    evidence_store: EvidenceStore = field(default_factory=MemoryStore)
    # The web desk's public address for /dasbor links; None: the desk is not set up.
    web_base_url: str | None = None
    # The bot's WhatsApp business number (E.164): /undang adds wa.me links when set.
    whatsapp_phone_number: str | None = None

    @classmethod
    def of(cls, application: Application) -> Runtime:  # type: ignore[type-arg]
        runtime = application.bot_data[RUNTIME_KEY]
        assert isinstance(runtime, Runtime)
        return runtime


def guess_limits(max_attempts: int, lockout_minutes: int) -> GuessLimits:
    return GuessLimits(max_failures=max_attempts, lockout=timedelta(minutes=lockout_minutes))


Context = CallbackContext[ExtBot[None], dict, dict, dict]  # type: ignore[type-arg]
