"""Liveness and readiness: is the process up, and can it do its work (database, schema)?"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from models.migrate import alembic_config

# A probe that hangs is as bad as one that fails: a load balancer waits a few seconds at most.
READINESS_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class NotReady:
    """Why the bot cannot serve: a reason code for machines, details for the operator."""

    reason: str
    detail: dict[str, object]

    def as_json(self) -> dict[str, object]:
        return {"status": "not_ready", "reason": self.reason, **self.detail}


@cache
def expected_revisions() -> frozenset[str]:
    """The newest migrations this code ships (read once: they cannot change while it runs)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def _current_revisions(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


class Readiness:
    """Ready when the database answers and its schema is the one this code expects."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        timeout: float = READINESS_TIMEOUT_S,
        worker: Callable[[], NotReady | None] | None = None,
    ) -> None:
        self._engine = engine
        self._timeout = timeout
        # The active worker's own checks (lock held, sweep and sender recent); see bot/worker.py.
        self._worker = worker

    async def check(self) -> NotReady | None:
        expected = expected_revisions()
        try:
            async with asyncio.timeout(self._timeout), self._engine.connect() as conn:
                current = await conn.run_sync(_current_revisions)
        except Exception as exc:
            # The driver's message may name the host and user, never the password (URLs are
            # rendered with it hidden); the type is what an operator's alert needs first.
            return NotReady(
                "database_unavailable",
                {"error": type(exc).__name__, "timeout_s": self._timeout},
            )
        if current != expected:
            return NotReady(
                "migrations_pending",
                {"database_revision": sorted(current), "expected_revision": sorted(expected)},
            )
        if self._worker is not None:
            return self._worker()
        return None
