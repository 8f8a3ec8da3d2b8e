"""The XLSX and CSV renderers of a cohort export, opened and read back."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from openpyxl import load_workbook

from documents.csv_export import render_csv, zip_files
from documents.xlsx_export import render_xlsx
from domain.enums import (
    AdvisorKind,
    DeliveryFailure,
    EvidenceKind,
    FeedbackKind,
    Horizon,
    MilestoneStatus,
    OutboxStatus,
    SeminarKind,
    SeminarStatus,
    UpdateStatus,
)
from domain.materials import MaterialKind
from domain.timezones import WIB, WIT
from services.exports import (
    AUTHOR_MENTOR,
    CohortExport,
    DeliveryRow,
    EvidenceItem,
    FeedbackRow,
    MilestoneRow,
    ParticipantRow,
    ReportRow,
    SeminarRow,
)
from services.response_times import AdvisorResponseTimes
from services.scoring import ScoreItem, ScoreRow
from services.seminar_materials import MaterialRow

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
SUBMITTED = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)  # 09.30 WIB, 11.30 WIT


def _export() -> CohortExport:
    return CohortExport(
        cohort_id=1,
        cohort_name="PKP Angkatan IV",
        programme="PKP",
        organizer="BPSDM",
        generated_at=NOW,
        participants=[
            ParticipantRow(
                person_id=7,
                name="Budi Santoso",
                nip="198001152005011001",
                agency="Dinas Kominfo",
                position="Kepala Bidang",
                zone="WIB",
                seminar_group=None,
                project_title="Layanan Aduan Warga Terpadu",
                mentors=("Dr. Ir. Bambang Wijaya",),
                coaches=("Dr. Lina Marliani",),
                joined=True,
                progress=35,
                milestones_approved=0,
                milestones_total=2,
                milestones_overdue=1,
                last_report_at=SUBMITTED,
                reports=1,
                feedback_received=1,
                median_response=timedelta(minutes=90),
            )
        ],
        milestones=[
            MilestoneRow(
                id=3,
                participant="Budi Santoso",
                horizon=Horizon.SHORT,
                title="Rapat koordinasi tim efektif",
                due_on=date(2026, 11, 20),
                expected_output="Notulen rapat",
                status=MilestoneStatus.IN_PROGRESS,
                progress=70,
                overdue=True,
                approved_by=None,
                approved_at=None,
            )
        ],
        reports=[
            ReportRow(
                id=11,
                participant="Budi Santoso",
                milestone="Rapat koordinasi tim efektif",
                submitted_at=SUBMITTED,
                progress=70,
                status=UpdateStatus.SUBMITTED,
                text="=SUM(A1:A9) is not a formula",
                evidence=(
                    EvidenceItem(EvidenceKind.PHOTO, None, "rapat", None),
                    EvidenceItem(EvidenceKind.DOCUMENT, "notulen.pdf", None, None),
                ),
            )
        ],
        feedback=[
            FeedbackRow(
                id=21,
                report_id=11,
                participant="Budi Santoso",
                author="Dr. Ir. Bambang Wijaya",
                author_role=AUTHOR_MENTOR,
                kind=FeedbackKind.FEEDBACK,
                at=SUBMITTED + timedelta(minutes=90),
                text="Bagus, lanjutkan.",
                response_time=timedelta(minutes=90),
            )
        ],
        seminars=[
            SeminarRow(
                id=1,
                kind=SeminarKind.DESIGN,
                starts_at=datetime(2026, 12, 10, 2, 0, tzinfo=UTC),
                zone="WIB",
                place="Aula BPSDM",
                link=None,
                status=SeminarStatus.SCHEDULED,
                presenters=("Budi Santoso", "Nurhayati Umasugi"),
                examiner="Prof. Teguh Santoso",
            )
        ],
        deliveries=[
            DeliveryRow(
                id=5,
                created_at=SUBMITTED,
                recipient="Dr. Ir. Bambang Wijaya",
                kind="report",
                message_key="report.relay",
                status=OutboxStatus.SENT,
                attempts=1,
                sent_at=SUBMITTED + timedelta(seconds=3),
                error=None,
            )
        ],
        # As the service orders them: the coach with a report waiting comes first.
        response_times=[
            AdvisorResponseTimes(
                advisor_id=9,
                name="Dr. Lina Marliani",
                kind=AdvisorKind.COACH,
                participants=1,
                reports=1,
                answered=0,
                median=None,
                waiting=1,
                oldest_waiting=timedelta(hours=24, minutes=30),
            ),
            AdvisorResponseTimes(
                advisor_id=8,
                name="Dr. Ir. Bambang Wijaya",
                kind=AdvisorKind.MENTOR,
                participants=1,
                reports=1,
                answered=1,
                median=timedelta(minutes=90),
                waiting=0,
                oldest_waiting=None,
            ),
        ],
        seminar_materials=[
            MaterialRow(
                seminar_id=1,
                seminar_kind=SeminarKind.DESIGN,
                seminar_starts_at=datetime(2026, 12, 10, 2, 0, tzinfo=UTC),
                presenter="Budi Santoso",
                kind=MaterialKind.REPORT,
                version=1,
                file_name="laporan.pdf",
                size=1024,
                sha256="0" * 64,
                uploaded_at=datetime(2026, 12, 7, 3, 0, tzinfo=UTC),
                latest=True,
            )
        ],
        seminar_scores=[
            ScoreRow(
                seminar_id=1,
                kind=SeminarKind.DESIGN,
                starts_at=datetime(2026, 12, 10, 2, 0, tzinfo=UTC),
                presenter="Budi Santoso",
                examiner="Prof. Teguh Santoso",
                items=(ScoreItem(1, "Substansi", 60, 90), ScoreItem(2, "Presentasi", 40, 75)),
                total=Decimal("84.00"),
                comment="Perluas replikasi.",
                submitted_at=datetime(2026, 12, 10, 4, 0, tzinfo=UTC),
                released_at=None,
            )
        ],
    )


def test_the_seminar_scores_sheet_has_one_row_per_submitted_sheet() -> None:
    sheet = load_workbook(io.BytesIO(render_xlsx(_export(), "id", WIB)))["Nilai seminar"]
    header, row = ([c.value for c in r] for r in sheet.iter_rows(max_row=2))
    values = dict(zip(header, row, strict=True))
    assert values["Peserta"] == "Budi Santoso" and values["Penguji"] == "Prof. Teguh Santoso"
    assert values["Nilai per kriteria (bobot)"] == "Substansi (60%): 90; Presentasi (40%): 75"
    assert values["Nilai akhir (tertimbang)"] == 84
    assert values["Dikirim (WIB)"] == datetime(2026, 12, 10, 11, 0)
    assert values["Nilai diumumkan (WIB)"] is None


def test_the_workbook_has_seven_sheets_with_bold_frozen_filtered_headers() -> None:
    book = load_workbook(io.BytesIO(render_xlsx(_export(), "id", WIB)))

    assert book.sheetnames == [
        "Peserta",
        "Tahapan",
        "Laporan",
        "Umpan balik",
        "Seminar",
        "Log pengiriman",
        "Waktu tanggapan",
        "Bahan seminar",
        "Nilai seminar",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
        assert all(cell.font.bold for cell in sheet[1])
        # A header and one row each; two advisors in the response times.
        assert sheet.max_row == (3 if sheet.title == "Waktu tanggapan" else 2)
    participants = book["Peserta"]
    headers = [c.value for c in participants[1]]
    assert headers[:3] == ["Nama", "NIP", "Instansi"]
    assert "Laporan terakhir (WIB)" in headers
    assert "Median waktu tanggapan (jam)" in headers
    row = dict(zip(headers, [c.value for c in participants[2]], strict=True))
    assert row["Nama"] == "Budi Santoso"
    assert row["NIP"] == "198001152005011001"  # text, not a number losing digits
    assert row["Sudah bergabung"] == "Ya"
    assert row["Jumlah laporan"] == 1
    assert row["Kemajuan (%)"] == 35
    assert row["Tahapan terlambat"] == 1
    assert row["Median waktu tanggapan (jam)"] == 1.5
    assert row["Laporan terakhir (WIB)"] == datetime(2026, 11, 27, 9, 30)  # a real, naive cell
    assert participants["A1"].font.bold
    assert participants.column_dimensions["A"].width >= len("Budi Santoso")


def test_dates_times_and_labels_in_the_sheets() -> None:
    book = load_workbook(io.BytesIO(render_xlsx(_export(), "id", WIB)))

    milestone = [c.value for c in book["Tahapan"][2]]
    assert milestone[:4] == [
        "Budi Santoso",
        "Jangka pendek",
        "Rapat koordinasi tim efektif",
        datetime(2026, 11, 20),  # openpyxl reads dates back as midnight
    ]
    assert book["Tahapan"]["D2"].number_format == "dd/mm/yyyy"
    assert "Terlambat" in [c.value for c in book["Tahapan"][1]]
    report = book["Laporan"]
    assert report["G2"].value == "=SUM(A1:A9) is not a formula"
    assert report["G2"].data_type == "s"
    assert report["H2"].value == 2
    assert report["I2"].value == "Foto: rapat; Dokumen: notulen.pdf"
    assert report["D2"].number_format == "dd/mm/yyyy hh:mm"
    feedback = [c.value for c in book["Umpan balik"][2]]
    assert feedback[3:5] == ["Mentor", "Umpan balik"]
    assert feedback[-1] == 1.5
    assert [c.value for c in book["Seminar"][2]][:2] == [
        "Seminar rancangan",
        datetime(2026, 12, 10, 9, 0),
    ]
    assert book["Log pengiriman"]["E2"].value == "Terkirim"


def test_response_times_one_row_per_advisor_in_hours() -> None:
    book = load_workbook(io.BytesIO(render_xlsx(_export(), "id", WIB)))

    sheet = book["Waktu tanggapan"]
    assert [c.value for c in sheet[1]] == [
        "Nama",
        "Peran",
        "Jumlah peserta",
        "Jumlah laporan",
        "Laporan ditanggapi",
        "Median waktu tanggapan (jam)",
        "Laporan menunggu",
        "Menunggu terlama (jam)",
    ]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        ["Dr. Lina Marliani", "Coach", 1, 1, 0, None, 1, 24.5],
        ["Dr. Ir. Bambang Wijaya", "Mentor", 1, 1, 1, 1.5, 0, None],
    ]
    assert sheet["F3"].number_format == "0.0" and sheet["H2"].number_format == "0.0"
    english = load_workbook(io.BytesIO(render_xlsx(_export(), "en", WIT)))["Response times"]
    assert [c.value for c in english[1]][5:] == [
        "Median response time (hours)",
        "Waiting now",
        "Oldest waiting (hours)",
    ]


def test_english_headers_and_another_zone() -> None:
    book = load_workbook(io.BytesIO(render_xlsx(_export(), "en", WIT)))

    assert book.sheetnames[0] == "Participants" and book.sheetnames[-1] == "Seminar scores"
    headers = [c.value for c in book["Participants"][1]]
    assert "Last report (WIT)" in headers
    last = headers.index("Last report (WIT)")
    assert book["Participants"].cell(2, last + 1).value == datetime(2026, 11, 27, 11, 30)
    assert book["Participants"].cell(2, headers.index("Joined") + 1).value == "Yes"


def test_an_empty_cohort_still_has_every_sheet_and_header() -> None:
    empty = CohortExport(1, "Kosong", "PKN II", None, NOW)
    book = load_workbook(io.BytesIO(render_xlsx(empty, "id", WIB)))
    assert len(book.sheetnames) == 9
    assert all(sheet.max_row == 1 for sheet in book.worksheets)


def test_csv_files_one_per_table_with_bom_and_safe_text() -> None:
    files = render_csv(_export(), "id", WIB)

    assert list(files) == [
        "peserta.csv",
        "tahapan.csv",
        "laporan.csv",
        "umpan-balik.csv",
        "seminar.csv",
        "log-pengiriman.csv",
        "waktu-tanggapan.csv",
        "bahan-seminar.csv",
        "nilai-seminar.csv",
    ]
    assert all(data.startswith(b"\xef\xbb\xbf") for data in files.values())
    rows = list(csv.reader(io.StringIO(files["peserta.csv"].decode("utf-8-sig"))))
    header, budi = rows
    row = dict(zip(header, budi, strict=True))
    assert row["Laporan terakhir (WIB)"] == "2026-11-27 09:30"
    assert row["Median waktu tanggapan (jam)"] == "1.5"
    assert row["Jumlah laporan"] == "1"
    assert row["NIP"] == "198001152005011001"
    report = list(csv.reader(io.StringIO(files["laporan.csv"].decode("utf-8-sig"))))[1]
    assert "'=SUM(A1:A9) is not a formula" in report  # never run as a formula
    advisors = list(csv.reader(io.StringIO(files["waktu-tanggapan.csv"].decode("utf-8-sig"))))
    assert advisors[1:] == [
        ["Dr. Lina Marliani", "Coach", "1", "1", "0", "", "1", "24.5"],
        ["Dr. Ir. Bambang Wijaya", "Mentor", "1", "1", "1", "1.5", "0", ""],
    ]

    archive = zipfile.ZipFile(io.BytesIO(zip_files(files)))
    assert archive.namelist() == list(files)
    assert archive.read("tahapan.csv") == files["tahapan.csv"]


def test_a_failed_delivery_reads_as_a_reason_with_telegrams_words_beside_it() -> None:
    failed = DeliveryRow(
        id=6,
        created_at=SUBMITTED,
        recipient="Dr. Ir. Bambang Wijaya",
        kind="broadcast",
        message_key="broadcast.message",
        status=OutboxStatus.FAILED,
        attempts=1,
        sent_at=None,
        error="403: Forbidden: bot was blocked by the user",
        reason=DeliveryFailure.BLOCKED,
    )
    export = dataclasses.replace(_export(), deliveries=[failed])
    for language, reason_column, detail_column, reason in (
        ("id", "Keterangan galat", "Detail teknis", "yang bersangkutan memblokir bot"),
        ("en", "Error", "Technical detail", "they blocked the bot"),
    ):
        book = load_workbook(io.BytesIO(render_xlsx(export, language, WIB)))
        sheet = book.worksheets[5]
        headers = [c.value for c in sheet[1]]
        row = dict(zip(headers, [c.value for c in sheet[2]], strict=True))
        assert row[reason_column] == reason
        assert row[detail_column] == "403: Forbidden: bot was blocked by the user"
