"""Buttons planned by services (reminders) have the shape the handlers parse and check."""

from __future__ import annotations

import pytest

from domain import actions
from domain.materials import AttendanceAnswer, attendance_button_data
from domain.report_body import report_body
from handlers import callbacks


def test_advisor_actions_parse_as_feedback_buttons() -> None:
    for action in actions.ADVISOR_ACTIONS:
        data = actions.advisor_action(action, 42)
        assert callbacks.pack(callbacks.FEEDBACK, action, "42") == data
        assert callbacks.unpack(data, callbacks.FEEDBACK, 2) == [action, "42"]
    with pytest.raises(ValueError):
        actions.advisor_action("x", 42)


def test_advisor_presses_read_back_what_was_encoded_and_nothing_else() -> None:
    for action in actions.ADVISOR_ACTIONS:
        press = actions.advisor_press(actions.advisor_action(action, 42))
        assert press == actions.AdvisorPress(action, 42)
    for forged in (None, "", "fb1:x:1", "fb1:f:", "fb1:f:-1", "fb1:f:1:2", "rp1:f:1"):
        assert actions.advisor_press(forged) is None, forged
    # An id no database row can have is forged, not looked up.
    assert actions.advisor_press(f"fb1:f:{actions.ID_MAX}") is not None
    assert actions.advisor_press(f"fb1:f:{actions.ID_MAX + 1}") is None


def test_materials_and_attendance_presses_read_back_the_seminar_and_answer() -> None:
    assert actions.send_materials_press(actions.send_materials(12)) == 12
    for forged in ("bh1:s:0", f"bh1:s:{2**31}", "bh1:s:x", "bh1:k:12:l", "bh1:s:12:3"):
        assert actions.send_materials_press(forged) is None, forged
    for answer in AttendanceAnswer:
        press = actions.attendance_press(attendance_button_data(7, answer))
        assert press == actions.AttendancePress(7, answer)
    for forged in ("ha1:7:x", "ha1:0:h", f"ha1:{2**31}:h", "ha1:7", "ha1:7:h:1"):
        assert actions.attendance_press(forged) is None, forged


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
