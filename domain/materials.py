"""Seminar materials (laporan and bahan tayang) and attendance answers: kinds and checks.

Pure: what a presenter may upload as seminar material, and how an advisor's reason for not
attending is taken. The file rules are those of evidence (domain/evidence.py) narrowed to
office documents, since mentors, coaches and examiners print and project these files.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePosixPath

from domain.evidence import EvidenceFile, EvidenceRejected, check_evidence
from domain.text import clean_user_text

# The reason someone gives for missing a seminar: a sentence or two, not a letter.
MAX_ABSENCE_REASON = 300


class MaterialKind(StrEnum):
    """What a presenter sends before a seminar; the value is stored."""

    REPORT = "laporan"
    SLIDES = "bahan_tayang"

    @property
    def message_key(self) -> str:
        return f"materials.kind.{self.value}"


class AttendanceAnswer(StrEnum):
    """A mentor's, coach's or examiner's answer to a seminar notice; the value is stored."""

    PRESENT = "hadir"
    ABSENT = "berhalangan"

    @property
    def message_key(self) -> str:
        return f"attendance.answer.{self.value}"

    @property
    def button_key(self) -> str:
        return f"attendance.button.{self.value}"


# Office documents and PDF by MIME type; photos, plain text and CSV are evidence, not materials.
MATERIAL_MIME_TYPES: frozenset[str] = frozenset(
    {
        "application/pdf",
        "application/x-pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)
MATERIAL_EXTENSIONS: frozenset[str] = frozenset(
    {"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp"}
)
_UNKNOWN_MIME_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def check_material(f: EvidenceFile, *, max_bytes: int) -> None:
    """Raise `EvidenceRejected` unless `f` is a document fit to be seminar material.

    The evidence rules come first (dangerous names, size); then only PDF and office files
    pass. A CSV sent from Windows as "application/vnd.ms-excel" passes like a spreadsheet.
    """
    if f.kind != "document":
        raise EvidenceRejected("materials.error.not_document", {})
    try:
        check_evidence(f, max_bytes=max_bytes)
    except EvidenceRejected as exc:
        if exc.code != "evidence.error.unsupported":
            raise
        # The evidence wording speaks of bukti dukung; say what materials may be instead.
        raise EvidenceRejected("materials.error.unsupported", exc.params) from None
    mime = (f.mime_type or "").split(";", 1)[0].strip().lower()
    if mime not in _UNKNOWN_MIME_TYPES:
        accepted = mime in MATERIAL_MIME_TYPES
    else:
        accepted = _extension(f.file_name) in MATERIAL_EXTENSIONS
    if not accepted:
        raise EvidenceRejected(
            "materials.error.unsupported", {"name": f.file_name or f.mime_type or "-"}
        )


def absence_reason(text: str | None) -> str:
    """The reason as it is kept: trimmed, at most MAX_ABSENCE_REASON; else `InvalidText`."""
    return clean_user_text(text, limit=MAX_ABSENCE_REASON)


def _extension(file_name: str | None) -> str:
    if not file_name:
        return ""
    return PurePosixPath(file_name.replace("\\", "/")).suffix.lstrip(".").lower()


# Callback data of the buttons that services put on queued messages (handlers/callbacks.py
# names the same prefixes): "bh1:s:<seminar>" opens the upload, "ha1:<seminar>:h|b" answers.
MATERIALS_BUTTON = "bh1"
ATTENDANCE_BUTTON = "ha1"
_ANSWER_CODES = {AttendanceAnswer.PRESENT: "h", AttendanceAnswer.ABSENT: "b"}


def materials_button_data(seminar_id: int) -> str:
    return f"{MATERIALS_BUTTON}:s:{seminar_id}"


def attendance_button_data(seminar_id: int, answer: AttendanceAnswer) -> str:
    return f"{ATTENDANCE_BUTTON}:{seminar_id}:{_ANSWER_CODES[answer]}"


def answer_of_code(code: str) -> AttendanceAnswer | None:
    """The answer a button's last field stands for; None for anything else (forged data)."""
    return next((a for a, c in _ANSWER_CODES.items() if c == code), None)
