"""What a presenter may send as seminar material, and how a reason for absence is taken."""

from __future__ import annotations

import pytest

from domain.evidence import EvidenceFile, EvidenceRejected
from domain.materials import (
    MAX_ABSENCE_REASON,
    AttendanceAnswer,
    MaterialKind,
    absence_reason,
    answer_of_code,
    attendance_button_data,
    check_material,
    materials_button_data,
)
from domain.text import InvalidText
from handlers import callbacks

MB = 1024 * 1024


def doc(name: str | None, mime: str | None, size: int | None = 1000) -> EvidenceFile:
    return EvidenceFile(kind="document", file_name=name, mime_type=mime, size=size)


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("laporan.pdf", "application/pdf"),
        (
            "paparan.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (
            "laporan.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("anggaran.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("paparan.ppt", "application/vnd.ms-powerpoint"),
        ("laporan.pdf", None),  # no type from the app: the extension decides
        ("PAPARAN.PPTX", "application/octet-stream"),
    ],
)
def test_pdf_and_office_documents_are_materials(name: str, mime: str | None) -> None:
    check_material(doc(name, mime), max_bytes=20 * MB)


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("foto.jpg", "image/jpeg"),
        ("catatan.txt", "text/plain"),
        ("data.csv", "text/csv"),
        ("arsip.zip", "application/zip"),
        ("tanpa-nama", None),
    ],
)
def test_other_files_are_refused_with_their_name(name: str, mime: str | None) -> None:
    with pytest.raises(EvidenceRejected) as caught:
        check_material(doc(name, mime), max_bytes=20 * MB)
    assert caught.value.code == "materials.error.unsupported"
    assert caught.value.params == {"name": name}


def test_a_dangerous_name_is_refused_whatever_the_type_claims() -> None:
    with pytest.raises(EvidenceRejected) as caught:
        check_material(doc("laporan.pdf.exe", "application/pdf"), max_bytes=20 * MB)
    assert caught.value.code == "materials.error.unsupported"


def test_a_photo_is_not_a_document() -> None:
    with pytest.raises(EvidenceRejected) as caught:
        check_material(EvidenceFile(kind="photo", size=1000), max_bytes=20 * MB)
    assert caught.value.code == "materials.error.not_document"


def test_the_evidence_size_limit_applies() -> None:
    check_material(doc("laporan.pdf", "application/pdf", 20 * MB), max_bytes=20 * MB)
    with pytest.raises(EvidenceRejected) as caught:
        check_material(doc("laporan.pdf", "application/pdf", 20 * MB + 1), max_bytes=20 * MB)
    assert caught.value.code == "evidence.error.too_large"
    assert caught.value.params_for("id") == {"limit_mb": "20", "size_mb": "20,1"}


def test_an_absence_reason_is_trimmed_and_limited() -> None:
    assert absence_reason("  Rapat dinas di Jakarta \r\n") == "Rapat dinas di Jakarta"
    assert absence_reason("x" * MAX_ABSENCE_REASON) == "x" * MAX_ABSENCE_REASON
    with pytest.raises(InvalidText) as caught:
        absence_reason("x" * (MAX_ABSENCE_REASON + 1))
    assert caught.value.code == "text.error.too_long"
    with pytest.raises(InvalidText):
        absence_reason("   ")


def test_button_data_round_trips_and_matches_the_handlers_prefixes() -> None:
    assert materials_button_data(12) == "bh1:s:12"
    assert callbacks.unpack(materials_button_data(12), callbacks.MATERIALS, 2) == ["s", "12"]
    for answer in AttendanceAnswer:
        data = attendance_button_data(7, answer)
        fields = callbacks.unpack(data, callbacks.ATTENDANCE, 2)
        assert fields is not None and fields[0] == "7"
        assert answer_of_code(fields[1]) is answer
    assert answer_of_code("x") is None


def test_kinds_have_catalog_names() -> None:
    assert [k.message_key for k in MaterialKind] == [
        "materials.kind.laporan",
        "materials.kind.bahan_tayang",
    ]
    assert AttendanceAnswer.ABSENT.button_key == "attendance.button.berhalangan"


def test_the_export_sheet_lists_every_version_in_the_readers_zone() -> None:
    from datetime import UTC, datetime

    from documents.export_tables import export_tables
    from domain.enums import SeminarKind
    from domain.timezones import WIB
    from services.exports import CohortExport
    from services.seminar_materials import MaterialRow

    at = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    row = MaterialRow(
        seminar_id=4,
        seminar_kind=SeminarKind.DESIGN,
        seminar_starts_at=datetime(2026, 12, 10, 2, 0, tzinfo=UTC),
        presenter="Budi Santoso",
        kind=MaterialKind.SLIDES,
        version=2,
        file_name="paparan.pptx",
        size=2048,
        sha256="ab" * 32,
        uploaded_at=at,
        latest=True,
    )
    export = CohortExport(1, "PKP Angkatan IV", "PKP", None, at, seminar_materials=[row])
    (table,) = [t for t in export_tables(export, "id", WIB) if t.key == "seminar_materials"]
    assert table.title == "Bahan seminar" and table.file_name == "bahan-seminar.csv"
    assert [c.header for c in table.columns][:5] == [
        "Seminar",
        "Mulai (WIB)",
        "Peserta",
        "Bahan",
        "Versi",
    ]
    assert table.rows == [
        (
            "Seminar rancangan",
            datetime(2026, 12, 10, 9, 0),
            "Budi Santoso",
            "Bahan tayang",
            2,
            "Ya",
            "paparan.pptx",
            2048,
            datetime(2026, 12, 7, 10, 0),
            "ab" * 32,
        )
    ]
