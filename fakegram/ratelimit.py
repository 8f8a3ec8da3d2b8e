"""Optional flood control that answers 429 "Too Many Requests" like Telegram's limits."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimits:
    """Message limits per sliding window; Telegram's documented defaults.

    ``per_second`` counts every message the bot sends or edits, ``per_chat_per_second`` those
    in one private chat and ``per_group_per_minute`` those in one group or supergroup.
    """

    per_second: int = 30
    per_chat_per_second: int = 1
    per_group_per_minute: int = 20


class RateLimiter:
    """Sliding-window counters; ``check`` answers the seconds to wait, or None to go ahead."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._global: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}

    def check(self, chat_id: int, is_group: bool, now: float, count: int = 1) -> int | None:
        chat_window = 60.0 if is_group else 1.0
        chat_limit = (
            self.limits.per_group_per_minute if is_group else self.limits.per_chat_per_second
        )
        chat_hits = self._chats.setdefault(chat_id, deque())
        wait = max(
            _wait(self._global, 1.0, self.limits.per_second, now, count),
            _wait(chat_hits, chat_window, chat_limit, now, count),
        )
        if wait > 0:
            return wait
        for _ in range(count):
            self._global.append(now)
            chat_hits.append(now)
        return None


def _wait(hits: deque[float], window: float, limit: int, now: float, count: int) -> int:
    count = min(count, limit)  # a burst bigger than the limit still goes through once it is empty
    while hits and hits[0] <= now - window:
        hits.popleft()
    if len(hits) + count <= limit:
        return 0
    # The call fits once enough of the oldest hits have left the window.
    needed = len(hits) + count - limit
    oldest = hits[min(needed, len(hits)) - 1] if hits else now
    return max(1, math.ceil(oldest + window - now))
