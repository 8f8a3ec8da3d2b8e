"""Meta's delivery limits for one business phone number: throughput and the per-user pair rate."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

DAY = 24 * 60 * 60


@dataclass(frozen=True)
class Limits:
    """Meta's defaults: 80 messages/s per number (130429); to one user a burst of 45, then one
    message every 6 seconds (131056).

    The pair rate is a token bucket: ``pair_burst`` tokens, one more every ``pair_interval``
    seconds; each message to the user takes one.
    """

    throughput_per_second: int = 80
    pair_burst: int = 45
    pair_interval: float = 6.0


class Limiter:
    """Sliding-window throughput and per-user token buckets; ``check`` names the limit hit."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._sent: deque[float] = deque()
        self._pairs: dict[str, tuple[float, float]] = {}  # wa_id -> (tokens, at)

    def check(self, wa_id: str, now: float) -> str | None:
        """None (and the message counted) or "throughput" / "pair" for the limit it hits."""
        while self._sent and self._sent[0] <= now - 1.0:
            self._sent.popleft()
        if len(self._sent) >= self.limits.throughput_per_second:
            return "throughput"
        tokens, at = self._pairs.get(wa_id, (float(self.limits.pair_burst), now))
        tokens = min(
            float(self.limits.pair_burst),
            tokens + max(0.0, now - at) / self.limits.pair_interval,
        )
        if tokens < 1.0:
            self._pairs[wa_id] = (tokens, now)
            return "pair"
        self._pairs[wa_id] = (tokens - 1.0, now)
        self._sent.append(now)
        return None
