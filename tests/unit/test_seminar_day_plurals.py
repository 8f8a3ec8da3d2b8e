"""The seminar-day files and messages count in English as people do: "1 person", "2 people"."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from documents.attendance_pdf import render_attendance
from documents.berita_acara_pdf import render_berita_acara
from domain.enums import SeminarKind, SeminarStatus
from domain.i18n import translator
from domain.project_term import ProjectTerm
from domain.roles import Role
from domain.scoring import default_criteria
from services.scoring import PresenterScores, SeminarHeader, SeminarScores
from services.seminar_materials import AttendanceSheet, SheetRow
from services.seminars import SeminarView

NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)
WIB = ZoneInfo("Asia/Jakarta")


def _text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def test_an_attendance_list_of_one_names_one_person() -> None:
    seminar = SeminarView(
        1,
        1,
        "PKN II Angkatan XXXVII",
        SeminarKind.RESULTS,
        SeminarStatus.SCHEDULED,
        NOW,
        WIB,
        "Aula",
        None,
        ["Budi Santoso"],
        None,
    )
    row = SheetRow("Budi Santoso", "198001152005011001", Role.PARTICIPANT, "Dinas Kominfo")
    one = _text(
        render_attendance(AttendanceSheet(seminar, None, [row]), language="en", generated_at=NOW)
    )
    assert "; 1 person." in one and "1 people" not in one
    two = _text(
        render_attendance(
            AttendanceSheet(seminar, None, [row, row]), language="en", generated_at=NOW
        )
    )
    assert "; 2 people." in two
    assert "1 orang" in _text(
        render_attendance(AttendanceSheet(seminar, None, [row]), language="id", generated_at=NOW)
    )


def test_minutes_of_a_seminar_with_one_presenter_say_participant() -> None:
    header = SeminarHeader(
        1,
        1,
        "PKN II Angkatan XXXVII",
        SeminarKind.RESULTS,
        SeminarStatus.SCHEDULED,
        NOW,
        WIB,
        "Aula",
        None,
        None,
    )
    scores = SeminarScores(
        header,
        "PKN II",
        "BPSDM",
        ProjectTerm.PROYEK_PERUBAHAN,
        ["Prof. Teguh"],
        [PresenterScores(1, "Budi Santoso", None, "SIPANDU", [])],
        default_criteria(),
    )
    page = _text(render_berita_acara(scores, language="en", generated_at=NOW))
    assert "with 1 presenting participant;" in page


def test_the_english_counts_read_in_the_singular_for_one() -> None:
    en = translator("en")
    for key, params in (
        ("attendance.caption", {"kind": "Results seminar", "cohort": "PKN II"}),
        ("attendance.cli.written", {"id": 3, "path": "x.pdf"}),
        ("scores.confirm.release", {"id": 3, "submitted": 1, "expected": 1}),
        ("scores.released", {"id": 3}),
        ("scores.cli.released", {"id": 3}),
        ("scores.cli.criteria.saved", {"cohort": "PKN II"}),
    ):
        one = en.plural(key, 1, **params)
        assert "1 people" not in one and "1 participants" not in one, key
        assert "1 criteria" not in one, key
        assert en.plural(key, 2, **params) != one, key
