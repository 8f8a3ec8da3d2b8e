"""The active worker's readiness, the inbox's lanes and an update's step tokens: pure logic,
no database."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bot.worker import WorkerStatus
from domain.clock import ManualClock
from domain.forms import decode_button, encode_button, new_token, token_source, tokens_from
from services.inbox import SHARED_LANE, InboxRow, lane_of

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _active(clock: ManualClock) -> WorkerStatus:
    status = WorkerStatus(instance="a", check_every=1, clock=clock)
    status.set_active(True)
    status.lock_checked_at = time.monotonic()
    status.heartbeats = lambda: (clock.now(), clock.now())
    return status


def test_a_standby_is_ready_and_a_working_worker_too() -> None:
    clock = ManualClock(NOW)
    assert WorkerStatus(instance="b", check_every=1, clock=clock).problem() is None
    assert _active(clock).problem() is None


def test_the_worker_is_not_ready_once_its_lock_checks_stop_answering() -> None:
    status = _active(ManualClock(NOW))
    status.lock_checked_at = time.monotonic() - 10
    problem = status.problem()
    assert problem is not None and problem.reason == "worker_lock_lost"


def test_the_worker_is_not_ready_when_the_sweep_or_the_sender_stalls() -> None:
    clock = ManualClock(NOW)
    status = _active(clock)
    long_ago = NOW - timedelta(minutes=5)
    status.heartbeats = lambda: (long_ago, NOW)
    problem = status.problem()
    assert problem is not None and problem.reason == "sweep_stale"
    status.heartbeats = lambda: (NOW, long_ago)
    problem = status.problem()
    assert problem is not None and problem.reason == "sender_stale"
    assert problem.as_json()["last"] == long_ago.isoformat()


def test_an_update_is_ordered_in_its_person_lane_else_its_chat() -> None:
    message = {"chat": {"id": -100, "type": "group"}, "from": {"id": 7}, "text": "x"}
    assert lane_of({"update_id": 1, "message": message}) == "user:7"
    post = {"chat": {"id": -100, "type": "channel"}, "text": "x"}
    assert lane_of({"update_id": 2, "channel_post": post}) == "chat:-100"
    assert lane_of({"update_id": 3, "callback_query": {"id": "q", "from": {"id": 9}}}) == "user:9"
    assert lane_of({"update_id": 4}) == SHARED_LANE


def _row(update_id: int, row_id: int, received_at: datetime) -> InboxRow:
    return InboxRow(row_id, "telegram", update_id, "user:7", {}, 0, received_at)


def test_an_update_draws_the_same_step_tokens_on_every_attempt() -> None:
    row = _row(500, 41, NOW)
    first, again = tokens_from(row.token_seed), tokens_from(_row(500, 41, NOW).token_seed)
    drawn = [first(), first(), first()]
    assert [again(), again(), again()] == drawn
    assert len(set(drawn)) == 3
    assert all(decode_button(encode_button(token, "done")) for token in drawn)
    # Another update (or the same id stored at another moment) draws other tokens.
    assert tokens_from(_row(501, 42, NOW).token_seed)() != drawn[0]
    later = NOW + timedelta(microseconds=1)
    assert tokens_from(_row(500, 41, later).token_seed)() != drawn[0]


def test_tokens_are_random_outside_the_inbox_and_drawn_from_its_source_inside() -> None:
    assert new_token() != new_token()
    draw = tokens_from("telegram:1:1:x")
    expected = tokens_from("telegram:1:1:x")
    reset = token_source.set(draw)
    try:
        assert [new_token(), new_token()] == [expected(), expected()]
    finally:
        token_source.reset(reset)
