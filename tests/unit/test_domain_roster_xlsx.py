"""Rosters as organizers keep them in Excel: Indonesian headings, a title above, merged cells,
numbered empty rows, and NIPs Excel turned into numbers. Each workbook here is a real .xlsx
written with openpyxl and read back through the same reader `properbot cohort import` uses."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from documents.roster_template import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    TEMPLATE_COLUMNS,
    render_roster_template,
)
from domain.cohort_csv import (
    COLUMNS,
    IGNORED_COLUMNS,
    CohortFileError,
    CohortRow,
    RowProblem,
    as_excel_shows,
    column_letter,
    column_name,
    describe_problem,
    parse_cohort_csv,
)
from domain.enums import Channel
from domain.i18n import translator
from domain.roles import Role
from domain.roster_xlsx import OLE_MAGIC, parse_roster
from domain.timezones import WIB, WIT

TODAY = date(2025, 3, 1)
SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "samples" / "pkn2-sumsel-angkatan-xxxvii.csv"

MENTOR = "19660812 199203 1 004"
COACH = "19671103 199303 2 003"
PARTICIPANT = "19720318 199803 2 005"
OTHER = "19730705 199903 1 003"

HEADINGS = ["No", "Nama", "NIP", "Peran", "Zona Waktu", "NIP Mentor", "NIP Coach"]
MENTOR_ROW = [1, "Dr. Bambang Wijaya, M.M.", MENTOR, "Mentor", "WIB", None, None]
COACH_ROW = [2, "Dr. Lina Marliani, M.Pd.", COACH, "Coach", None, None, None]
PARTICIPANT_ROW = [3, "Sri Wahyuni, M.Si.", PARTICIPANT, "Peserta", "WIT", MENTOR, COACH]


def xlsx(
    *rows: list[object],
    merges: tuple[str, ...] = (),
    at: dict[str, object] | None = None,
    before: str | None = None,
) -> bytes:
    """A workbook whose first sheet holds `rows` from A1 (None: an empty cell), `merges`
    merged, `at` written cell by cell; `before` adds a sheet of that name in front."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for cell, value in (at or {}).items():
        sheet[cell] = value
    for cells in merges:
        sheet.merge_cells(cells)
    if before is not None:
        workbook.create_sheet(before, 0)["A1"] = "Petunjuk pengisian"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_exact_number(data: bytes, placeholder: int, number: int) -> bytes:
    """The workbook with a number cell holding exactly `number`, as some programs write an
    18-digit NIP: openpyxl itself would round it to a float on the way out."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = content.replace(
                    f"<v>{placeholder}</v>".encode(), f"<v>{number}</v>".encode()
                )
            target.writestr(item, content)
    return out.getvalue()


def parse(data: bytes) -> list[CohortRow]:
    return parse_roster(data, default_zone=WIB, today=TODAY)


def problems_of(data: bytes) -> list[RowProblem]:
    with pytest.raises(CohortFileError) as caught:
        parse(data)
    return caught.value.problems


def same_people(rows: list[CohortRow]) -> list[CohortRow]:
    """Rows without their line numbers, which differ between a sheet and a CSV file."""
    return [replace(row, line=0) for row in rows]


# --- formats --------------------------------------------------------------------------------


def test_an_indonesian_roster_reads_as_the_same_people_as_its_csv() -> None:
    data = xlsx(HEADINGS, MENTOR_ROW, COACH_ROW, PARTICIPANT_ROW)
    csv_text = (
        "role;name;nip;timezone;mentor_nip;coach_nip\n"
        f"mentor;Dr. Bambang Wijaya, M.M.;{MENTOR};WIB;;\n"
        f"coach;Dr. Lina Marliani, M.Pd.;{COACH};;;\n"
        f"peserta;Sri Wahyuni, M.Si.;{PARTICIPANT};WIT;{MENTOR};{COACH}\n"
    )

    rows = parse(data)

    assert same_people(rows) == same_people(parse(csv_text.encode()))
    assert [row.line for row in rows] == [2, 3, 4]  # sheet rows, as Excel numbers them
    assert rows[2].zone == WIT and rows[1].zone == WIB
    assert rows[2].mentor_nip == MENTOR.replace(" ", "")


def test_the_sample_cohort_as_a_workbook_matches_the_sample_csv() -> None:
    csv_rows = parse_cohort_csv(SAMPLE.read_bytes(), default_zone=WIB, today=TODAY)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    sheet_rows: list[list[object]] = [cells.split(";") for cells in lines]

    assert same_people(parse(xlsx(*sheet_rows))) == same_people(csv_rows)


def test_a_csv_goes_through_the_same_reader() -> None:
    rows = parse(SAMPLE.read_bytes())
    assert len(rows) == 17


def test_an_old_xls_workbook_is_named_as_such() -> None:
    problems = problems_of(OLE_MAGIC + b"\x00" * 512)
    assert problems == [RowProblem(None, "roster.error.xls")]


def test_a_zip_that_is_no_workbook_is_named_as_such() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("content.xml", "<office:document/>")
    assert problems_of(out.getvalue()) == [RowProblem(None, "roster.error.not_xlsx")]


def test_a_damaged_workbook_is_refused_without_a_traceback() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not a workbook")
    assert problems_of(out.getvalue()) == [RowProblem(None, "roster.error.xlsx_unreadable")]


def test_the_roster_sheet_need_not_be_the_first() -> None:
    rows = parse(xlsx(HEADINGS, MENTOR_ROW, before="Petunjuk"))
    assert [row.role for row in rows] == [Role.MENTOR]


def test_numbers_in_text_columns_read_as_people_write_them() -> None:
    data = xlsx(
        ["Nama", "NIP", "Peran", "Kelompok", "NIP Mentor"],
        ["Bambang", MENTOR, "mentor", None, None],
        ["Sri", PARTICIPANT, "peserta", 2, MENTOR],
        ["Ridwan", OTHER, "peserta", 3.0, MENTOR],
    )
    assert [row.seminar_group for row in parse(data)] == [None, "2", "3"]


# --- headings and their aliases -------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "column"),
    [
        ("Nama", "name"),
        ("NAMA LENGKAP", "name"),
        ("NIP", "nip"),
        ("Pangkat/Gol.", "rank"),
        ("Pangkat / Gol", "rank"),
        ("pangkat_golongan", "rank"),
        ("Jabatan", "position"),
        ("Instansi", "agency"),
        ("Unit Kerja", "agency"),
        ("No. HP", "phone"),
        ("No HP", "phone"),
        ("NIP Mentor", "mentor_nip"),
        ("nip_mentor", "mentor_nip"),
        ("Mentor NIP", "mentor_nip"),
        ("NIP Coach", "coach_nip"),
        ("Judul Proyek", "project_title"),
        ("Judul Proyek Perubahan", "project_title"),
        ("Kelompok", "seminar_group"),
        ("Peran", "role"),
        ("Zona waktu", "timezone"),
        ("zona_waktu", "timezone"),
        ("No", "no"),
        ("No.", "no"),
        (" mentor_nip ", "mentor_nip"),
        ("Project title", "project_title"),
        ("Seminar group", "seminar_group"),
        ("Time zone", "timezone"),
    ],
)
def test_headings_in_their_usual_forms(heading: str, column: str) -> None:
    assert column_name(heading) == column


def test_every_template_heading_in_both_languages_is_understood() -> None:
    for language in ("id", "en"):
        t = translator(language)
        for column in TEMPLATE_COLUMNS:
            assert column_name(t(f"roster.template.header.{column}")) == column, language
    assert set(TEMPLATE_COLUMNS) == set(COLUMNS) | {"no"}
    assert "no" in IGNORED_COLUMNS


def test_the_no_column_is_ignored_and_a_phone_column_is_read() -> None:
    data = xlsx(
        ["No.", "Nama", "NIP", "Peran", "No. HP"],
        [1, "Bambang", MENTOR, "mentor", "0812-3456-7890"],
        [2, "Lina", COACH, "coach", None],
    )
    rows = parse(data)
    assert [(row.line, row.name, row.phone) for row in rows] == [
        (2, "Bambang", "+6281234567890"),
        (3, "Lina", None),
    ]


def test_a_phone_a_spreadsheet_kept_as_a_number_gets_its_leading_zero_back() -> None:
    data = xlsx(
        ["Nama", "NIP", "Peran", "No HP", "Kanal"],
        ["Bambang", MENTOR, "mentor", 81234567890, "WhatsApp"],
    )
    [row] = parse(data)
    assert (row.phone, row.channel) == ("+6281234567890", Channel.WHATSAPP)


def test_a_bad_phone_in_a_sheet_names_its_cell_heading_and_reason() -> None:
    data = xlsx(
        ["Nama", "NIP", "Peran", "No. HP"],
        ["Bambang", MENTOR, "mentor", "021-5551234"],
    )
    [problem] = problems_of(data)
    assert (problem.line, problem.cell, problem.header) == (2, "D2", "No. HP")
    assert problem.code == "phone.error.not_mobile"
    text = describe_problem(problem, translator("id"))
    assert "D2" in text and "No. HP" in text and "bukan nomor seluler" in text


def test_an_unknown_column_is_named_with_its_cell_and_the_allowed_names() -> None:
    data = xlsx(["Nama", "NIP", "Peran", "Email"], ["Bambang", MENTOR, "mentor", "b@x.id"])
    [problem] = problems_of(data)
    assert (problem.line, problem.code, problem.cell) == (1, "csv.error.unknown_column", "D1")
    assert problem.params["column"] == "Email"
    assert "mentor_nip (NIP Mentor)" in str(problem.params["allowed"])


def test_a_column_with_data_but_no_heading_is_a_problem_an_empty_one_is_not() -> None:
    empty = xlsx(["Nama", None, "NIP", "Peran"], ["Bambang", None, MENTOR, "mentor"])
    assert len(parse(empty)) == 1

    filled = xlsx(["Nama", None, "NIP", "Peran"], ["Bambang", "x", MENTOR, "mentor"])
    [problem] = problems_of(filled)
    assert (problem.code, problem.cell, problem.params) == (
        "csv.error.unnamed_column",
        "B1",
        {"position": 2},
    )


# --- the shape of a real sheet --------------------------------------------------------------


def test_a_title_row_above_the_header_is_skipped_and_rows_keep_sheet_numbers() -> None:
    data = xlsx(
        ["DAFTAR PESERTA PKN TINGKAT II ANGKATAN XXXVII"],
        ["BPSDM Provinsi Sumatera Selatan, 2025"],
        [],
        HEADINGS,
        MENTOR_ROW,
        [2, "Lina", COACH, "coach", "Mars", None, None],
        merges=("A1:G1", "A2:G2"),
    )
    problems = problems_of(data)
    assert problems == [
        RowProblem(6, "zone.error.unknown", {"value": "Mars"}, cell="E6", header="Zona Waktu")
    ]


def test_a_header_below_the_tenth_row_is_not_searched_for() -> None:
    titles: list[list[object]] = [[f"Catatan {n}"] for n in range(1, 11)]
    problems = problems_of(xlsx(*titles, HEADINGS, MENTOR_ROW))
    # The first row is taken for the header, as in a CSV file: only header problems follow.
    assert {p.line for p in problems} == {1}
    missing = {p.params["column"] for p in problems if p.code == "csv.error.missing_column"}
    assert missing == {"role", "name", "nip"}


def test_merged_heading_cells_over_two_header_rows() -> None:
    # Row 2 heads "Mentor" and "Coach" over a Nama and a NIP column each; the other headings
    # are merged down over rows 2 and 3.
    data = xlsx(
        ["Daftar Peserta"],
        ["No", "Nama", "NIP", "Peran", "Mentor", None, "Coach", None],
        [None, None, None, None, "Nama", "NIP", "Nama", "NIP"],
        [1, "Bambang", MENTOR, "mentor"],
        [2, "Lina", COACH, "coach"],
        [3, "Sri", PARTICIPANT, "peserta", "Bambang", MENTOR, "Lina", COACH],
        merges=("A1:H1", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:F2", "G2:H2"),
    )
    rows = parse(data)
    assert [row.line for row in rows] == [4, 5, 6]
    assert rows[2].mentor_nip == MENTOR.replace(" ", "")
    assert rows[2].coach_nip == COACH.replace(" ", "")


def test_a_heading_merged_across_an_empty_column() -> None:
    data = xlsx(
        ["Nama", None, "NIP", "Peran"],
        ["Bambang", None, MENTOR, "mentor"],
        merges=("A1:B1",),
    )
    assert [row.name for row in parse(data)] == ["Bambang"]


def test_empty_trailing_rows_and_columns_and_numbered_blank_rows_are_skipped() -> None:
    # A form numbered down to row 12 with only three people filled in, a stray formatted
    # cell far below and to the right.
    blank_numbers: list[list[object]] = [[n] for n in range(4, 12)]
    data = xlsx(HEADINGS, MENTOR_ROW, COACH_ROW, PARTICIPANT_ROW, *blank_numbers, at={"Z200": ""})
    rows = parse(data)
    assert [row.line for row in rows] == [2, 3, 4]


def test_the_templates_example_rows_are_skipped() -> None:
    data = xlsx(
        HEADINGS,
        ["Contoh", "Contoh Mentor", OTHER, "mentor", None, None, None],
        [1, "Bambang", MENTOR, "mentor", None, None, None],
    )
    assert [row.name for row in parse(data)] == ["Bambang"]


def test_a_nip_with_spaces_as_printed_is_accepted() -> None:
    [row] = parse(xlsx(["Nama", "NIP", "Peran"], ["Sri", " 19720318 199803 2 005 ", "coach"]))
    assert row.nip.digits == "197203181998032005"


# --- NIPs Excel turned into numbers ---------------------------------------------------------


def test_a_nip_stored_as_a_float_lost_its_digits_and_is_refused() -> None:
    data = xlsx(HEADINGS, [1, "Bambang", 1.97203182000031e17, "mentor", None, None, None])
    [problem] = problems_of(data)
    assert problem == RowProblem(
        2,
        "roster.error.nip_lost_digits",
        {"value": "1.97203E+17", "column": "NIP"},
        cell="C2",
        header="NIP",
    )
    text = describe_problem(problem, translator("id"))
    assert text.startswith('Baris 2, sel C2 (NIP): NIP pada kolom "NIP" telah diubah oleh Excel')
    assert "1.97203E+17" in text and "Teks" in text and "tanda petik" in text


def test_a_nip_stored_as_a_whole_number_is_named_as_a_number() -> None:
    data = with_exact_number(
        xlsx(["Nama", "NIP", "Peran"], ["Bambang", 424242, "mentor"]),
        424242,
        196608121992031004,
    )
    [problem] = problems_of(data)
    assert (problem.code, problem.cell) == ("roster.error.nip_number", "B2")
    assert problem.params == {"value": "196608121992031004", "column": "NIP"}
    english = describe_problem(problem, translator("en"))
    assert "stored as a number (196608121992031004)" in english and "apostrophe" in english


@pytest.mark.parametrize("shown", ["1.97203E+17", "1,97203E+17", "1.97203182000031E+17"])
def test_a_nip_in_scientific_notation_is_named_as_such(shown: str) -> None:
    data = xlsx(["Nama", "NIP", "Peran"], ["Bambang", shown, "mentor"])
    [problem] = problems_of(data)
    assert problem.code == "roster.error.nip_lost_digits"
    assert problem.params["value"] == shown


def test_scientific_notation_in_a_csv_export_is_named_too() -> None:
    with pytest.raises(CohortFileError) as caught:
        parse(b"role;name;nip\nmentor;Bambang;1.97203E+17\n")
    [problem] = caught.value.problems
    assert (problem.line, problem.code, problem.cell) == (2, "roster.error.nip_lost_digits", None)
    assert describe_problem(problem, translator("id")).startswith("Baris 2: NIP pada kolom")


def test_a_mangled_mentor_nip_is_named_in_its_own_column() -> None:
    data = xlsx(HEADINGS, MENTOR_ROW, [3, "Sri", PARTICIPANT, "peserta", None, 1.96608121992031e17])
    [problem] = problems_of(data)
    assert (problem.code, problem.cell, problem.header) == (
        "roster.error.nip_lost_digits",
        "F3",
        "NIP Mentor",
    )


def test_a_mentor_whose_nip_was_mangled_brings_no_second_problem_for_the_participant() -> None:
    data = xlsx(
        HEADINGS,
        [1, "Bambang", 1.96608121992031e17, "mentor", None, None, None],
        [2, "Sri", PARTICIPANT, "peserta", None, MENTOR, None],
    )
    assert [(p.line, p.code) for p in problems_of(data)] == [(2, "roster.error.nip_lost_digits")]


def test_other_problems_name_their_cell_and_heading() -> None:
    data = xlsx(HEADINGS, MENTOR_ROW, [3, "Sri", PARTICIPANT, "peserta", None, OTHER, None])
    [problem] = problems_of(data)
    assert (problem.code, problem.cell, problem.header) == (
        "csv.error.mentor_not_found",
        "F3",
        "NIP Mentor",
    )
    assert describe_problem(problem, translator("en")).startswith("Line 3, cell F3 (NIP Mentor): ")


def test_how_excel_shows_a_large_number_and_column_letters() -> None:
    assert as_excel_shows(1.97203182000031e17) == "1.97203E+17"
    assert as_excel_shows(1.9e17) == "1.9E+17"
    assert [column_letter(n) for n in (1, 3, 26, 27, 28, 52, 703)] == [
        "A",
        "C",
        "Z",
        "AA",
        "AB",
        "AZ",
        "AAA",
    ]


# --- the template ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_template_opens_with_headings_text_nips_examples_and_a_guide(language: str) -> None:
    t = translator(language)
    workbook = load_workbook(io.BytesIO(render_roster_template(language)))

    roster, guide = workbook.worksheets
    assert roster.title == t("roster.template.sheet.roster")
    assert guide.title == t("roster.template.sheet.guide")
    headings = [cell.value for cell in roster[HEADER_ROW]]
    assert headings == [t(f"roster.template.header.{column}") for column in TEMPLATE_COLUMNS]
    for column in ("nip", "mentor_nip", "coach_nip"):
        letter = column_letter(TEMPLATE_COLUMNS.index(column) + 1)
        assert roster[f"{letter}{FIRST_DATA_ROW + 10}"].number_format == "@"
        assert roster.column_dimensions[letter].number_format == "@"
    examples = [roster.cell(FIRST_DATA_ROW + i, 1).value for i in range(2)]
    assert examples == [t("roster.template.example.marker")] * 2
    assert roster.cell(FIRST_DATA_ROW, 3).value == MENTOR  # as text
    guided = [guide.cell(row, 1).value for row in range(2, 2 + len(TEMPLATE_COLUMNS))]
    assert guided == headings
    assert all(guide.cell(row, 3).value for row in range(2, 2 + len(TEMPLATE_COLUMNS)))
    validated = {str(v.sqref) for v in roster.data_validations.dataValidation}
    # Role, time zone and channel lists.
    assert validated == {"D4:D503", "H4:H503", "N4:N503"}


def test_indonesian_headings_by_default_language() -> None:
    roster = load_workbook(io.BytesIO(render_roster_template("id"))).worksheets[0]
    assert [cell.value for cell in roster[HEADER_ROW]][:4] == ["No", "Nama", "NIP", "Peran"]


def test_an_untouched_template_imports_nobody() -> None:
    assert problems_of(render_roster_template("id")) == [RowProblem(None, "csv.error.no_rows")]


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_filled_in_template_imports_its_people_not_its_examples(language: str) -> None:
    workbook = load_workbook(io.BytesIO(render_roster_template(language)))
    roster = workbook.worksheets[0]
    start = FIRST_DATA_ROW + 2
    for offset, row in enumerate(
        [
            [1, "Dr. Lina Marliani, M.Pd.", COACH, "coach"],
            [2, "Ridwan, S.T.", OTHER, "peserta", "Penata (III/c)", None, None, "WIT", MENTOR],
            [3, "Bambang", MENTOR, "mentor"],
        ]
    ):
        for index, value in enumerate(row, start=1):
            roster.cell(start + offset, index, value)
    out = io.BytesIO()
    workbook.save(out)

    rows = parse(out.getvalue())

    assert [(row.line, row.role) for row in rows] == [
        (start, Role.COACH),
        (start + 1, Role.PARTICIPANT),
        (start + 2, Role.MENTOR),
    ]
    assert rows[1].rank == "Penata (III/c)" and rows[1].zone == WIT


def test_the_example_nips_are_real_looking_and_the_guide_mentions_the_marker() -> None:
    t = translator("id")
    assert re.fullmatch(r"\d{8} \d{6} \d \d{3}", MENTOR)
    assert "Contoh" in t("roster.template.guide.no")
    assert "Contoh" in t("roster.template.hint")
