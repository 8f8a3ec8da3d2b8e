"""The active worker's readiness and the inbox's lanes: pure logic, no database."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bot.worker import WorkerStatus
from domain.clock import ManualClock
from services.inbox import SHARED_LANE, lane_of

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
