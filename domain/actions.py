"""Button actions that queued messages carry: the callback data shared by the services that
plan messages (reminders) and the handlers that answer the presses.

The layout is the one of handlers/callbacks.py ("<kind><version>:<field>:<field>"); the
handlers check every press again (who pressed, on which message), so this is only the shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from domain.materials import (
    ATTENDANCE_BUTTON,
    MATERIALS_BUTTON,
    AttendanceAnswer,
    answer_of_code,
    materials_button_data,
)

REPORT = "rp1"
FEEDBACK = "fb1"

# Under a report sent to an advisor: feedback, "sudah dibaca", revision, approval.
GIVE_FEEDBACK = "f"
ACKNOWLEDGE = "k"
ASK_REVISION = "r"
APPROVE = "a"
ADVISOR_ACTIONS = (GIVE_FEEDBACK, ACKNOWLEDGE, ASK_REVISION, APPROVE)
# Ids in buttons are database integers (PostgreSQL INTEGER is 32-bit signed).
ID_MAX = 2**31 - 1

# Under a reminder to a participant: "Lapor sekarang" (0: no milestone, choose one).
REPORT_NOW = "n"
# Under a participant's receipt: correct that report.
CORRECT = "k"


def advisor_action(action: str, update_id: int) -> str:
    """A button under a report for its advisor."""
    if action not in ADVISOR_ACTIONS:
        raise ValueError(f"unknown advisor action {action!r}")
    return f"{FEEDBACK}:{action}:{update_id}"


@dataclass(frozen=True)
class AdvisorPress:
    """A button under a report for its advisor, read back: which one, on which report."""

    action: str
    update_id: int


_ADVISOR_PRESS = re.compile(rf"^{FEEDBACK}:([{''.join(ADVISOR_ACTIONS)}]):(\d{{1,10}})$")


def advisor_press(data: str | None) -> AdvisorPress | None:
    """The advisor button `data` encodes (advisor_action's inverse), or None for anything else
    (forged, of another kind, an id no database row can have). Who pressed, and on which
    message, is checked again by the caller."""
    match = _ADVISOR_PRESS.match(data or "")
    if match is None or int(match.group(2)) > ID_MAX:
        return None
    return AdvisorPress(action=match.group(1), update_id=int(match.group(2)))


def report_now(milestone_id: int | None) -> str:
    """ "Lapor sekarang": /lapor opened at this milestone (None: the milestone choice)."""
    return f"{REPORT}:{REPORT_NOW}:{milestone_id or 0}"


def correct_report(update_id: int) -> str:
    """ "Koreksi laporan" under the participant's receipt."""
    return f"{REPORT}:{CORRECT}:{update_id}"


# /jeda's list (both channels): "ct1:x:<vacation id>" cancels that pause (its owner only).
VACATION = "ct1"
CANCEL_VACATION = "x"
# /zona's buttons (both channels): "tz1:<label>" (WIB, WITA, WIT).
ZONE = "tz1"


# Under /proyek and its milestone menus: the buttons that open its screens and form (the ids
# are checked again on press: only the participant's own milestones).
PROJECT = "pj1"
EDIT_PROJECT = "f"
ADD_MILESTONE = "a"
MILESTONE_MENU = "m"
EDIT_MILESTONE = "e"
ASK_REMOVE = "d"
REMOVE = "x"


def edit_project(field: str) -> str:
    """One of the project's texts (title, problem, goal), typed anew."""
    return f"{PROJECT}:{EDIT_PROJECT}:{field}"


def add_milestone() -> str:
    return f"{PROJECT}:{ADD_MILESTONE}:new"


def milestone_menu(milestone_id: int) -> str:
    """What can be changed about one milestone."""
    return f"{PROJECT}:{MILESTONE_MENU}:{milestone_id}"


def edit_milestone(milestone_id: int, part: str) -> str:
    """One part of a milestone (title, horizon, date, output), asked anew."""
    return f"{PROJECT}:{EDIT_MILESTONE}:{milestone_id}:{part}"


def ask_remove(milestone_id: int) -> str:
    return f"{PROJECT}:{ASK_REMOVE}:{milestone_id}"


def remove_milestone(milestone_id: int | None) -> str:
    """Removal confirmed, or (None) called off."""
    return f"{PROJECT}:{REMOVE}:{milestone_id or 0}"


# Under /angkatan and a cohort's stages: the cohort's stages, "Ubah <tahap>", "Tambah tahap"
# (the ids are checked again on press: only cohorts the presser runs).
COHORT_ADMIN = "ak1"
COHORT_STAGES = "c"
EDIT_STAGE = "e"
ADD_STAGE = "a"


def cohort_stages(cohort_id: int) -> str:
    """One cohort's stages, with a button to change each and one to add one."""
    return f"{COHORT_ADMIN}:{COHORT_STAGES}:{cohort_id}"


def edit_stage(stage_id: int) -> str:
    """A stage's dates, asked anew."""
    return f"{COHORT_ADMIN}:{EDIT_STAGE}:{stage_id}"


def add_stage(cohort_id: int) -> str:
    """A new stage in the cohort: its name, then its dates."""
    return f"{COHORT_ADMIN}:{ADD_STAGE}:{cohort_id}"


# Beside a coming seminar under /seminar and /jadwal: move it, cancel it (checked again on
# press: a seminar the presser runs, not yet held or cancelled), and its detail.
SEMINAR = "sm1"
MOVE_SEMINAR = "r"
CANCEL_SEMINAR = "x"
SEMINAR_DETAIL = "sd1"
SHOW_DETAIL = "v"


def move_seminar(seminar_id: int) -> str:
    """ "Ubah jadwal #id": a new date and time."""
    return f"{SEMINAR}:{MOVE_SEMINAR}:{seminar_id}"


def cancel_seminar(seminar_id: int) -> str:
    """ "Batalkan #id": asked once more, then everyone concerned is told."""
    return f"{SEMINAR}:{CANCEL_SEMINAR}:{seminar_id}"


def seminar_detail(seminar_id: int) -> str:
    """ "Rincian #id": the seminar's materials and attendance."""
    return f"{SEMINAR_DETAIL}:{SHOW_DETAIL}:{seminar_id}"


# /umumkan's choices. They are form buttons (the engine checks the step's token first), so
# only the value is coded here: "<action>" or "<action>-<argument>" (a cohort id, a role, a
# seminar group's place in the list); the form checks the argument again on every press.
class BroadcastAction(StrEnum):
    COHORT = "c"
    SKIP_FILE = "f"
    EVERYONE = "e"
    ROLE = "r"
    ALL_SEMINAR_GROUPS = "a"
    SEMINAR_GROUP = "s"
    GROUPS = "t"
    NEXT = "n"
    SEND = "k"
    CHANGE = "u"
    CANCEL = "x"


@dataclass(frozen=True)
class BroadcastChoice:
    action: BroadcastAction
    argument: str = ""

    def encode(self) -> str:
        return f"{self.action.value}-{self.argument}" if self.argument else self.action.value

    @classmethod
    def decode(cls, value: str) -> BroadcastChoice | None:
        """The choice a value names, or None for a value no button of /umumkan carries."""
        action, _, argument = value.partition("-")
        try:
            return cls(BroadcastAction(action), argument)
        except ValueError:
            return None


# Seminar materials and attendance: the kinds are domain.materials' (services put them on the
# notices), read back here. "Kirim bahan" and a seminar under /bahan carry the seminar; "Hadir" /
# "Berhalangan" the seminar and the answer. Checked again on press: the presser's own seminar.
SEND_MATERIALS = "s"
_SEND_MATERIALS = re.compile(rf"^{MATERIALS_BUTTON}:{SEND_MATERIALS}:(\d{{1,10}})$")
_ATTENDANCE = re.compile(rf"^{ATTENDANCE_BUTTON}:(\d{{1,10}}):([a-z])$")


def _seminar_id(digits: str) -> int | None:
    number = int(digits)
    return number if 0 < number <= ID_MAX else None


def send_materials(seminar_id: int) -> str:
    """ "Kirim bahan" (and a seminar under /bahan): laporan or bahan tayang for this seminar."""
    return materials_button_data(seminar_id)


def send_materials_press(data: str | None) -> int | None:
    """The seminar a "Kirim bahan" (or /bahan's seminar) button names; None for anything else."""
    match = _SEND_MATERIALS.match(data or "")
    return None if match is None else _seminar_id(match.group(1))


@dataclass(frozen=True)
class AttendancePress:
    """ "Hadir" or "Berhalangan" under a seminar notice, read back."""

    seminar_id: int
    answer: AttendanceAnswer


def attendance_press(data: str | None) -> AttendancePress | None:
    """The seminar and answer of an attendance button; None for anything else (forged)."""
    match = _ATTENDANCE.match(data or "")
    if match is None:
        return None
    seminar_id, answer = _seminar_id(match.group(1)), answer_of_code(match.group(2))
    if seminar_id is None or answer is None:
        return None
    return AttendancePress(seminar_id, answer)


# Under /penguji: the list again, a presenter (brief and score sheet), a criterion's score or
# the comment to type, "Kirim nilai" and its confirmation (every id is checked again on
# press: a seminar the presser examines, a presenter of it).
EXAMINER = "pg1"
EXAMINER_LIST = "l"
PRESENTER = "p"
CRITERION = "c"
COMMENT = "m"
SUBMIT = "f"
CONFIRM_SUBMIT = "y"


def examiner_list() -> str:
    return f"{EXAMINER}:{EXAMINER_LIST}"


def examiner_presenter(seminar_id: int, presenter_id: int) -> str:
    """A presenter's brief and score sheet (also "Ubah lagi" under the confirmation)."""
    return f"{EXAMINER}:{PRESENTER}:{seminar_id}:{presenter_id}"


def score_criterion(seminar_id: int, presenter_id: int, position: int) -> str:
    """A criterion's score, typed next."""
    return f"{EXAMINER}:{CRITERION}:{seminar_id}:{presenter_id}:{position}"


def examiner_comment(seminar_id: int, presenter_id: int) -> str:
    return f"{EXAMINER}:{COMMENT}:{seminar_id}:{presenter_id}"


def submit_scores(seminar_id: int, presenter_id: int) -> str:
    """ "Kirim nilai": the sheet read back, to confirm."""
    return f"{EXAMINER}:{SUBMIT}:{seminar_id}:{presenter_id}"


def confirm_scores(seminar_id: int, presenter_id: int) -> str:
    """Confirmed: the sheet is submitted and final."""
    return f"{EXAMINER}:{CONFIRM_SUBMIT}:{seminar_id}:{presenter_id}"
