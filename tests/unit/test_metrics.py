"""The metrics the sender and the update loop feed: each outcome lands on its own series."""

from __future__ import annotations

from prometheus_client import REGISTRY

from web import metrics


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_drain_counts_each_outcome_and_its_429s() -> None:
    before = {o: _value("properbot_sends_total", outcome=o) for o in metrics.SEND_OUTCOMES}
    limited = _value("properbot_rate_limited_total", where="sender")
    metrics.record_sends({"sent": 3, "retried": 1, "unreachable": 1}, rate_limited=1)
    after = {o: _value("properbot_sends_total", outcome=o) for o in metrics.SEND_OUTCOMES}
    assert {o: after[o] - before[o] for o in after} == {
        "sent": 3,
        "retried": 1,
        "failed": 0,
        "unreachable": 1,
        "dropped": 0,
    }
    assert _value("properbot_rate_limited_total", where="sender") == limited + 1


def test_an_update_is_counted_and_timed_by_kind() -> None:
    count = _value("properbot_updates_total", kind="callback_query", outcome="error")
    fast = _value("properbot_update_seconds_bucket", kind="callback_query", le="0.01")
    metrics.record_update("callback_query", "error", 0.004)
    assert _value("properbot_updates_total", kind="callback_query", outcome="error") == count + 1
    assert _value("properbot_update_seconds_bucket", kind="callback_query", le="0.01") == fast + 1


def test_the_page_is_prometheus_text() -> None:
    page = metrics.exposition().decode()
    assert "# TYPE properbot_updates_total counter" in page
    assert "# TYPE properbot_update_seconds histogram" in page
    assert "_created" not in page
