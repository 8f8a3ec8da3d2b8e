"""Buttons planned by services (reminders) have the shape the handlers parse and check."""

from __future__ import annotations

import pytest

from domain import actions
from domain.report_body import report_body
from handlers import callbacks


def test_advisor_actions_parse_as_feedback_buttons() -> None:
    for action in actions.ADVISOR_ACTIONS:
        data = actions.advisor_action(action, 42)
        assert callbacks.pack(callbacks.FEEDBACK, action, "42") == data
        assert callbacks.unpack(data, callbacks.FEEDBACK, 2) == [action, "42"]
    with pytest.raises(ValueError):
        actions.advisor_action("x", 42)


def test_report_now_and_correction_parse_as_report_buttons() -> None:
    assert callbacks.unpack(actions.report_now(7), callbacks.REPORT, 2) == ["n", "7"]
    assert callbacks.unpack(actions.report_now(None), callbacks.REPORT, 2) == ["n", "0"]
    assert callbacks.unpack(actions.correct_report(9), callbacks.REPORT, 2) == ["k", "9"]


@pytest.mark.parametrize(
    ("obstacles", "next_steps", "key"),
    [
        (None, None, "report.body.plain"),
        ("Hujan", None, "report.body.obstacles"),
        ("", "Rapat", "report.body.next_steps"),
        ("Hujan", "Rapat", "report.body.full"),
    ],
)
def test_the_report_body_shows_only_the_parts_given(
    obstacles: str | None, next_steps: str | None, key: str
) -> None:
    body = report_body("Uraian", obstacles, next_steps)
    assert body["key"] == key and body["params"]["text"] == "Uraian"
