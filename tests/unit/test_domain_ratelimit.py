"""Unit tests for the delivery pacing: token buckets, per-chat and group rates, pauses, backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.ratelimit import DeliveryLimiter, RetryPolicy, TokenBucket

PRIVATE, GROUP = False, True


def sends_in(limiter: DeliveryLimiter, chat_id: int, is_group: bool, until: float) -> list[float]:
    """Send to one chat as fast as the limiter allows, from 0 to `until`; the send times."""
    times, now = [], 0.0
    while now < until:
        now = limiter.next_allowed(chat_id, is_group, now)
        if now >= until:
            break
        limiter.take(chat_id, is_group, now)
        times.append(now)
    return times


def test_a_bucket_starts_full_and_refills_at_its_rate() -> None:
    bucket = TokenBucket.full(rate=2.0, capacity=2.0, now=0.0)
    assert bucket.ready_at(0.0) == 0.0
    bucket.take(0.0)
    bucket.take(0.0)
    assert bucket.ready_at(0.0) == pytest.approx(0.5)
    assert bucket.ready_at(0.5) == 0.5
    # Idle time never stores more than the capacity.
    assert bucket.is_full(100.0) and bucket.tokens == 2.0


def test_a_cost_above_the_capacity_waits_for_a_full_bucket_then_leaves_debt() -> None:
    bucket = TokenBucket.full(rate=1.0, capacity=2.0, now=0.0)
    bucket.take(0.0, cost=1)
    assert bucket.ready_at(0.0, cost=5) == pytest.approx(1.0)  # full again, not 5 tokens
    bucket.take(1.0, cost=5)
    assert bucket.ready_at(1.0) == pytest.approx(5.0)  # -3 tokens: 4 s to get back to 1


def test_one_private_chat_gets_one_message_per_second() -> None:
    limiter = DeliveryLimiter(rate_per_s=25, chat_rate_per_s=1)
    assert sends_in(limiter, 42, PRIVATE, until=4.0) == pytest.approx([0.0, 1.0, 2.0, 3.0])


def test_a_group_gets_twenty_messages_per_minute() -> None:
    limiter = DeliveryLimiter(rate_per_s=25, chat_rate_per_s=1)
    times = sends_in(limiter, -100123, GROUP, until=60.0)
    assert len(times) == 20
    assert times[1] - times[0] == pytest.approx(3.0)


def test_the_overall_rate_holds_across_chats_with_a_small_burst() -> None:
    limiter = DeliveryLimiter(rate_per_s=25, chat_rate_per_s=1)
    assert limiter.burst == 3
    sent, now, chat = [], 0.0, 0
    while now < 10.0:
        chat += 1  # a broadcast: every message to another person
        now = limiter.next_allowed(chat, PRIVATE, now)
        limiter.take(chat, PRIVATE, now)
        sent.append(now)
    # Any one-second window holds at most rate + burst, under Telegram's 30.
    worst = max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent)
    assert worst <= 28
    assert len([t for t in sent if t < 10.0]) == pytest.approx(25 * 10 + 3, abs=1)


def test_chats_do_not_hold_each_other_back() -> None:
    limiter = DeliveryLimiter(rate_per_s=25, chat_rate_per_s=1)
    limiter.take(1, PRIVATE, 0.0)
    assert not limiter.allows(1, PRIVATE, 0.0)
    assert limiter.allows(2, PRIVATE, 0.0)
    assert limiter.next_allowed(1, PRIVATE, 0.0) == pytest.approx(1.0)


def test_a_pause_holds_back_every_chat_and_is_never_shortened() -> None:
    limiter = DeliveryLimiter()
    limiter.pause_until(7.0)
    limiter.pause_until(3.0)
    assert limiter.is_paused(5.0)
    assert not limiter.allows(99, PRIVATE, 5.0)
    assert limiter.next_allowed(99, PRIVATE, 5.0) == 7.0
    assert limiter.overall_ready_at(5.0) == 7.0
    assert limiter.allows(99, PRIVATE, 7.0)


def test_a_moment_a_hair_early_from_rounding_counts_as_on_time() -> None:
    limiter = DeliveryLimiter(rate_per_s=3, chat_rate_per_s=1)
    limiter.take(5, PRIVATE, 0.0)
    ready = limiter.next_allowed(5, PRIVATE, 0.0)
    assert limiter.allows(5, PRIVATE, ready - 4e-7)  # a timedelta rounded to microseconds


def test_idle_chats_are_forgotten() -> None:
    limiter = DeliveryLimiter(rate_per_s=1000, chat_rate_per_s=1)
    for chat in range(1000):
        limiter.take(chat, PRIVATE, chat * 0.001)
    for chat in range(1000, 2000):
        limiter.take(chat, PRIVATE, 10.0 + chat * 0.001)
    assert limiter.tracked_chats == 1000  # the first thousand had long been full again


@pytest.mark.parametrize("bad", [{"rate_per_s": 0}, {"chat_rate_per_s": -1}])
def test_rates_must_be_positive(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        DeliveryLimiter(**bad)


def test_backoff_doubles_up_to_a_cap_and_gives_up_after_the_last_attempt() -> None:
    policy = RetryPolicy(max_attempts=4, base=timedelta(seconds=10), cap=timedelta(seconds=35))
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=35),
        timedelta(seconds=35),
    ]
    assert [policy.gives_up(n) for n in (1, 3, 4, 5)] == [False, False, True, True]
    with pytest.raises(ValueError):
        policy.delay(0)
