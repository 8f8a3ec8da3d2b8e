"""Callback data: short, versioned strings; anything that does not parse is refused."""

from __future__ import annotations

import re

import domain.actions
import domain.materials

# "<kind><version>:<field>:<field>", e.g. "ob1:y:K7PMQ2XD". A new layout gets a new version,
# so buttons left in old chats fail to parse instead of being misread.
_SHAPE = re.compile(r"^([a-z]{2}\d):([A-Za-z0-9_:-]{1,56})$")

CONSENT = "ob1"
LANGUAGE = "lg1"
ZONE = domain.actions.ZONE


def pack(kind: str, *fields: str) -> str:
    data = ":".join((kind, *fields))
    if len(data.encode()) > 64 or not _SHAPE.match(data):
        raise ValueError(f"bad callback data {data!r}")
    return data


def unpack(data: str | None, kind: str, arity: int) -> list[str] | None:
    """The fields of a button of this kind, or None if it is not one (forged, stale, other)."""
    if not data:
        return None
    match = _SHAPE.match(data)
    if match is None or match.group(1) != kind:
        return None
    fields = match.group(2).split(":")
    if len(fields) != arity or not all(_in_range(f) for f in fields):
        return None
    return fields


# Every id in a button is a database integer (PostgreSQL INTEGER is 32-bit signed): a number
# beyond it was never ours, and passed on it would crash the query instead of reading "stale".
ID_MAX = domain.actions.ID_MAX
_NUMBER = re.compile(r"^-?\d+$")


def _in_range(field: str) -> bool:
    return _NUMBER.match(field) is None or -ID_MAX - 1 <= int(field) <= ID_MAX


def pattern(kind: str, actions: str = "") -> re.Pattern[str]:
    """What a CallbackQueryHandler matches for this kind, or for those of its buttons whose
    first field is one of the letters in `actions`; unpack() still validates the fields.

    The only place a button pattern is written: handlers name a kind constant below and the
    actions, never a regex of their own."""
    if not re.fullmatch(r"[a-z]{2}\d", kind):
        raise ValueError(f"bad button kind {kind!r}")
    if not actions:
        return re.compile(rf"^{re.escape(kind)}:")
    if not actions.isalpha():
        raise ValueError(f"bad button actions {actions!r}")
    # An action may be the whole data ("pg1:l") or be followed by fields ("pg1:p:12:3").
    return re.compile(rf"^{re.escape(kind)}:[{actions}](?::|$)")


# Kinds that services also put on queued messages (reminders, seminar notices) are defined
# with those services in domain/ and only named here, so both sides read the same string.
REPORT = domain.actions.REPORT
FEEDBACK = domain.actions.FEEDBACK
PROJECT = domain.actions.PROJECT
ADVISEES = "pp1"
# /angkatan: a cohort, a stage to change, a stage to add (the read-back is the form's).
COHORT_ADMIN = domain.actions.COHORT_ADMIN
INVITES = "ud1"  # /undang: a cohort, everyone not yet joined, one person
RECAP = "rk1"  # /rekap: a cohort to summarise
PORTFOLIO = "pf1"  # the portfolio PDF of one participant (id re-checked on press)
EXPORT = "ex1"  # /ekspor: a cohort to export (re-checked against the organizer's cohorts)
# Seminar materials ("Kirim bahan" and /bahan's seminars; laporan or bahan tayang is the form's).
# Built in services (domain.actions.send_materials), checked again on press.
MATERIALS = domain.materials.MATERIALS_BUTTON
# "Hadir"/"Berhalangan" under a seminar notice: the seminar and the answer, for the presser.
ATTENDANCE = domain.materials.ATTENDANCE_BUTTON
# /seminar "Rincian": materials and answers of a seminar, its daftar hadir PDFs (admins).
SEMINAR_DETAIL = domain.actions.SEMINAR_DETAIL
# /penguji: an examiner's seminar and presenter, a criterion, comment, submit (re-checked).
EXAMINER = domain.actions.EXAMINER
# /nilai for organizers: a seminar's scores, release, berita acara (re-checked on press).
SCORES = "nl1"
# The move/cancel buttons under /seminar and /jadwal (the rest of /seminar is a form's).
SEMINAR = domain.actions.SEMINAR
# /hubungkan in a group: the cohort to link (anyone in the group can press; checked again).
GROUP_LINK = "gr1"
# /jeda: "ct1:x:<vacation id>" cancels that pause (ownership checked on press).
VACATION = domain.actions.VACATION
