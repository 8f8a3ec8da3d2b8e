"""Pacing outgoing messages under Telegram's flood limits, and retry backoff; time is given in."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

# Telegram's documented limits: about 30 messages per second in bulk, one per second in one
# private chat, 20 per minute in one group. We pace a little under the first by default.
DEFAULT_RATE_PER_S = 25.0
DEFAULT_CHAT_RATE_PER_S = 1.0
GROUP_MESSAGES_PER_MINUTE = 20.0

# Clock values that differ by less than this are the same moment: a delay computed as a float
# and turned into a microsecond datetime may land a hair early, and must not look "not yet".
_TOLERANCE = 1e-6


@dataclass
class TokenBucket:
    """`rate` tokens per second, holding at most `capacity`; starts full.

    A cost above the capacity is allowed once the bucket is full and leaves it in debt, so a
    ten-photo album still goes out, and what follows waits for the debt to be repaid.
    """

    rate: float
    capacity: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, rate: float, capacity: float, now: float) -> TokenBucket:
        if rate <= 0 or capacity <= 0:
            raise ValueError("a bucket needs a positive rate and capacity")
        return cls(rate=rate, capacity=capacity, tokens=capacity, updated=now)

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def ready_at(self, now: float, cost: float = 1.0) -> float:
        """The first moment at or after `now` when `cost` may be taken."""
        self._refill(now)
        needed = min(cost, self.capacity)
        if self.tokens + _TOLERANCE * self.rate >= needed:
            return now
        return now + (needed - self.tokens) / self.rate

    def take(self, now: float, cost: float = 1.0) -> None:
        self._refill(now)
        self.tokens -= cost

    def is_full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


class DeliveryLimiter:
    """An overall bucket, one bucket per chat (private or group), and a pause for everything.

    Times are seconds on any monotonic scale the caller chooses. A 429 from Telegram names
    a wait that applies to the whole bot, so `pause_until` holds back every chat.
    """

    def __init__(
        self,
        *,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        chat_rate_per_s: float = DEFAULT_CHAT_RATE_PER_S,
        group_per_minute: float = GROUP_MESSAGES_PER_MINUTE,
        burst: float | None = None,
    ) -> None:
        if rate_per_s <= 0 or chat_rate_per_s <= 0 or group_per_minute <= 0:
            raise ValueError("rates must be positive")
        self.rate_per_s = rate_per_s
        self.chat_rate_per_s = chat_rate_per_s
        self.group_rate_per_s = group_per_minute / 60.0
        # A small burst lets a slow moment be caught up, while any one-second window still
        # holds at most rate + burst messages: 25 + 3 stays under Telegram's 30.
        self.burst = burst if burst is not None else max(1.0, math.ceil(rate_per_s / 10))
        self.paused_until = -math.inf
        self._overall: TokenBucket | None = None
        self._chats: dict[int, TokenBucket] = {}
        self._takes = 0

    def _overall_bucket(self, now: float) -> TokenBucket:
        if self._overall is None:
            self._overall = TokenBucket.full(self.rate_per_s, self.burst, now)
        return self._overall

    def next_allowed(self, chat_id: int, is_group: bool, now: float, cost: float = 1.0) -> float:
        """The first moment at or after `now` when `cost` messages may go to this chat."""
        moment = max(now, self.paused_until, self._overall_bucket(now).ready_at(now, cost))
        # A chat without a bucket has sent nothing lately (or its bucket was full and forgotten).
        chat = self._chats.get(chat_id)
        if chat is not None:
            moment = max(moment, chat.ready_at(now, cost))
        return moment

    def allows(self, chat_id: int, is_group: bool, now: float, cost: float = 1.0) -> bool:
        return self.next_allowed(chat_id, is_group, now, cost) <= now + _TOLERANCE

    def overall_ready_at(self, now: float) -> float:
        """When the next message to any chat that is not waiting may go."""
        return max(now, self.paused_until, self._overall_bucket(now).ready_at(now))

    def take(self, chat_id: int, is_group: bool, now: float, cost: float = 1.0) -> None:
        """Spend `cost` for this chat; call only after `allows` said yes."""
        self._overall_bucket(now).take(now, cost)
        chat = self._chats.get(chat_id)
        if chat is None:
            rate = self.group_rate_per_s if is_group else self.chat_rate_per_s
            chat = self._chats[chat_id] = TokenBucket.full(rate, 1.0, now)
        chat.take(now, cost)
        self._takes += 1
        if self._takes % 1000 == 0:
            self._forget_idle(now)

    def pause_until(self, moment: float) -> None:
        """Hold back everything until `moment` (Telegram's retry_after); never shortens."""
        self.paused_until = max(self.paused_until, moment)

    def is_paused(self, now: float) -> bool:
        return self.paused_until > now + _TOLERANCE

    def _forget_idle(self, now: float) -> None:
        # A full bucket behaves like a new one, so dropping it keeps memory to active chats.
        for chat_id in [c for c, bucket in self._chats.items() if bucket.is_full(now)]:
            del self._chats[chat_id]

    @property
    def tracked_chats(self) -> int:
        return len(self._chats)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for sends that failed for a passing reason (network, 5xx).

    After `max_attempts` attempts the message is given up as failed; a 429 is not counted
    as an attempt, because it says nothing about the message itself.
    """

    max_attempts: int = 5
    base: timedelta = timedelta(seconds=15)
    cap: timedelta = timedelta(minutes=30)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt: base, 2 x base, 4 x base, ..."""
        if attempts < 1:
            raise ValueError("attempts start at 1")
        factor = 2 ** min(attempts - 1, 30)
        return min(self.base * factor, self.cap)

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
