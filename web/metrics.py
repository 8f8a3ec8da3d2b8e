"""Prometheus metrics of the running bot, recorded by the update loop and the sender."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.enums import OutboxStatus
from models.inbox import InboxUpdate
from models.tables import OutboxMessage

log = logging.getLogger(__name__)

# The `*_created` timestamp series double the page and no dashboard here reads them.
disable_created_metrics()

CONTENT_TYPE = CONTENT_TYPE_LATEST

# From a plain reply (a few ms) to a portfolio PDF with photos (seconds).
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

UPDATES = Counter(
    "properbot_updates", "Updates handled, by kind and outcome (ok or error)", ["kind", "outcome"]
)
UPDATE_SECONDS = Histogram(
    "properbot_update_seconds",
    "Time to handle one update, from the start of its handlers to their end, by kind",
    ["kind"],
    buckets=_LATENCY_BUCKETS,
)
OUTBOX = Gauge(
    "properbot_outbox_messages",
    "Rows of the delivery queue by status, read at each scrape",
    ["status"],
)
SENDS = Counter(
    "properbot_sends",
    "Outcomes of the sender's deliveries: sent, retried, failed, unreachable, dropped",
    ["outcome"],
)
RATE_LIMITED = Counter(
    "properbot_rate_limited",
    "Answers 429 (Too Many Requests) from the Bot API, by where they met the bot",
    ["where"],
)
SWEEP_SECONDS = Histogram(
    "properbot_reminder_sweep_seconds",
    "Duration of one reminder sweep (planning what is due into the delivery queue)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
WEBHOOK_REFUSED = Counter(
    "properbot_webhook_refused",
    "Webhook posts refused before handling: a wrong or missing secret, or a malformed body",
    ["reason"],
)

INBOX = Gauge(
    "properbot_inbox_updates",
    "Rows of the update inbox by status (pending, done), read at each scrape",
    ["status"],
)
ACTIVE_WORKER = Gauge(
    "properbot_active_worker",
    "1 while this instance is the active worker (holds the lock, handles the inbox, sends)",
)

SEND_OUTCOMES = ("sent", "retried", "failed", "unreachable", "dropped")
# Known series start at 0, so a rate() sees the first event and a dashboard shows "none yet".
for _outcome in SEND_OUTCOMES:
    SENDS.labels(_outcome)
for _where in ("sender", "update"):
    RATE_LIMITED.labels(_where)
for _reason in ("secret", "malformed"):
    WEBHOOK_REFUSED.labels(_reason)
# A broken database must not hang a scrape: the rest of the page still answers.
OUTBOX_QUERY_TIMEOUT_S = 3.0


def record_update(kind: str, outcome: str, seconds: float) -> None:
    UPDATES.labels(kind, outcome).inc()
    UPDATE_SECONDS.labels(kind).observe(seconds)


def record_sends(counts: Mapping[str, int], *, rate_limited: int = 0) -> None:
    """One drain's outcomes (sender.DrainResult's counts by name)."""
    for outcome in SEND_OUTCOMES:
        n = counts.get(outcome, 0)
        if n:
            SENDS.labels(outcome).inc(n)
    if rate_limited:
        RATE_LIMITED.labels("sender").inc(rate_limited)


async def refresh_outbox(engine: AsyncEngine) -> bool:
    """Read the delivery queue's depth by status into the gauge; False when the database
    could not be read (the gauge is then emptied rather than left showing old figures)."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    try:
        async with asyncio.timeout(OUTBOX_QUERY_TIMEOUT_S), engine.connect() as conn:
            rows = (await conn.execute(query)).all()
    except Exception as exc:
        log.warning("metrics: the delivery queue could not be read: %s", type(exc).__name__)
        OUTBOX.clear()
        return False
    counts = {OutboxStatus(status): int(n) for status, n in rows}
    for status in OutboxStatus:
        OUTBOX.labels(status.value).set(counts.get(status, 0))
    return True


def exposition(registry: CollectorRegistry = REGISTRY) -> bytes:
    """The metrics page in Prometheus' text format."""
    return generate_latest(registry)


async def refresh_inbox(engine: AsyncEngine) -> bool:
    """Read the inbox's depth by status into the gauge; False when the database could not be
    read (the gauge is then emptied)."""
    query = select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)
    try:
        async with asyncio.timeout(OUTBOX_QUERY_TIMEOUT_S), engine.connect() as conn:
            rows = (await conn.execute(query)).all()
    except Exception as exc:
        log.warning("metrics: the inbox could not be read: %s", type(exc).__name__)
        INBOX.clear()
        return False
    counts = {str(status): int(n) for status, n in rows}
    for status in ("pending", "done"):
        INBOX.labels(status).set(counts.get(status, 0))
    return True
