"""What the WhatsApp adapter needs from the composition root, kept beside the Telegram one."""

from __future__ import annotations

from collections.abc import Callable, Collection, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pywa_async import WhatsApp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from services.onboarding import GuessLimits
from storage.evidence_store import EvidenceStore, MemoryStore

# Where the active worker finds it (the application's bot_data, beside handlers.runtime's).
WHATSAPP_KEY = "whatsapp"


@dataclass(frozen=True)
class WhatsAppRuntime:
    client: WhatsApp
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    default_language: str
    default_zone: ZoneInfo
    guess_limits: GuessLimits
    max_evidence_bytes: int = 20 * 1024 * 1024
    # Tells the sender to look at the queue now (messages queued for others by this update).
    wake: Callable[[], None] = lambda: None
    evidence_store: EvidenceStore = field(default_factory=MemoryStore)
    # Global admins on WhatsApp (ADMIN_WHATSAPP_NUMBERS), by wa_id: digits, no "+".
    admin_wa_ids: frozenset[str] = frozenset()
    # Global admins on Telegram (ADMIN_TELEGRAM_IDS): told of a number WhatsApp cannot reach.
    admin_telegram_ids: frozenset[str] = frozenset()


def install(
    bot_data: MutableMapping[str, Any],
    client: WhatsApp,
    admin_numbers: Collection[str] = (),
) -> WhatsAppRuntime:
    """The WhatsApp runtime from the application's own (same database, clock, store, sender),
    kept in its bot_data for the worker. `admin_numbers`: the global admins' numbers (E.164)."""
    from handlers.runtime import RUNTIME_KEY, Runtime

    runtime = bot_data[RUNTIME_KEY]
    assert isinstance(runtime, Runtime)
    found = WhatsAppRuntime(
        client=client,
        sessions=runtime.sessions,
        clock=runtime.clock,
        default_language=runtime.default_language,
        default_zone=runtime.default_zone,
        guess_limits=runtime.guess_limits,
        max_evidence_bytes=runtime.max_evidence_bytes,
        wake=runtime.wake,
        evidence_store=runtime.evidence_store,
        admin_wa_ids=frozenset(n.removeprefix("+") for n in admin_numbers),
        admin_telegram_ids=frozenset(str(i) for i in runtime.admin_ids),
    )
    bot_data[WHATSAPP_KEY] = found
    return found


def runtime_of(bot_data: MutableMapping[str, Any]) -> WhatsAppRuntime | None:
    """The installed runtime; None where WhatsApp is not configured."""
    found = bot_data.get(WHATSAPP_KEY)
    return found if isinstance(found, WhatsAppRuntime) else None
