"""Button actions that queued messages carry: the callback data shared by the services that
plan messages (reminders) and the handlers that answer the presses.

The layout is the one of handlers/callbacks.py ("<kind><version>:<field>:<field>"); the
handlers check every press again (who pressed, on which message), so this is only the shape.
"""

from __future__ import annotations

REPORT = "rp1"
FEEDBACK = "fb1"

# Under a report sent to an advisor: feedback, "sudah dibaca", revision, approval.
GIVE_FEEDBACK = "f"
ACKNOWLEDGE = "k"
ASK_REVISION = "r"
APPROVE = "a"
ADVISOR_ACTIONS = (GIVE_FEEDBACK, ACKNOWLEDGE, ASK_REVISION, APPROVE)

# Under a reminder to a participant: "Lapor sekarang" (0: no milestone, choose one).
REPORT_NOW = "n"
# Under a participant's receipt: correct that report.
CORRECT = "k"


def advisor_action(action: str, update_id: int) -> str:
    """A button under a report for its advisor."""
    if action not in ADVISOR_ACTIONS:
        raise ValueError(f"unknown advisor action {action!r}")
    return f"{FEEDBACK}:{action}:{update_id}"


def report_now(milestone_id: int | None) -> str:
    """ "Lapor sekarang": /lapor opened at this milestone (None: the milestone choice)."""
    return f"{REPORT}:{REPORT_NOW}:{milestone_id or 0}"


def correct_report(update_id: int) -> str:
    """ "Koreksi laporan" under the participant's receipt."""
    return f"{REPORT}:{CORRECT}:{update_id}"
