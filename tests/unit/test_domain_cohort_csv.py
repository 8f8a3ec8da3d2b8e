"""Unit tests for parsing and validating a cohort CSV file."""

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from domain.cohort_csv import (
    CohortFileError,
    CohortRow,
    RowProblem,
    describe_file_error,
    describe_problem,
    parse_cohort_csv,
)
from domain.i18n import translator
from domain.roles import Role
from domain.timezones import WIB, WIT, WITA

TODAY = date(2025, 3, 1)
SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "samples" / "pkn2-sumsel-angkatan-xxxvii.csv"

MENTOR = "19660812 199203 1 004"
COACH = "19671103 199303 2 003"
PARTICIPANT = "19720318 199803 2 005"
OTHER_PARTICIPANT = "19730705 199903 1 003"
UNLISTED = "19751231 200001 1 009"

HEADER = "role;name;nip;timezone;mentor_nip;coach_nip"
MENTOR_LINE = f"mentor;Dr. Bambang Wijaya, M.M.;{MENTOR};WIB;;"
COACH_LINE = f"coach;Dr. Lina Marliani, M.Pd.;{COACH};;;"
PARTICIPANT_LINE = f"peserta;Sri Wahyuni, M.Si.;{PARTICIPANT};WIT;{MENTOR};{COACH}"


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def parse(data: bytes) -> list[CohortRow]:
    return parse_cohort_csv(data, default_zone=WIB, today=TODAY)


def problems_of(*lines: str) -> list[RowProblem]:
    with pytest.raises(CohortFileError) as caught:
        parse(csv_bytes(*lines))
    return caught.value.problems


def only_problem(*lines: str) -> RowProblem:
    problems = problems_of(*lines)
    assert len(problems) == 1, problems
    return problems[0]


# --- files that parse ------------------------------------------------------------------------


def test_a_small_cohort_parses() -> None:
    rows = parse(csv_bytes(HEADER, MENTOR_LINE, COACH_LINE, PARTICIPANT_LINE))

    assert [(r.line, r.role) for r in rows] == [
        (2, Role.MENTOR),
        (3, Role.COACH),
        (4, Role.PARTICIPANT),
    ]
    participant = rows[2]
    assert participant.name == "Sri Wahyuni, M.Si."
    assert participant.nip.formatted == PARTICIPANT
    assert participant.zone == WIT
    assert participant.mentor_nip == MENTOR.replace(" ", "")
    assert participant.coach_nip == COACH.replace(" ", "")
    assert participant.agency is None and participant.project_title is None
    assert rows[1].zone == WIB  # empty timezone cell -> default zone
    assert rows[0].mentor_nip is None


def test_default_zone_is_used_for_empty_cells() -> None:
    rows = parse_cohort_csv(csv_bytes(HEADER, COACH_LINE), default_zone=WITA, today=TODAY)
    assert rows[0].zone == WITA


def test_comma_delimiter_bom_crlf_and_quoted_cells() -> None:
    text = (
        "\ufeffRole, Name ,NIP,Agency,mentor_nip\r\n"
        f'Mentor,"Bambang Wijaya, M.M.",{MENTOR},"Pemerintah Provinsi ""Sumsel""",\r\n'
        f'Participant,"Sri Wahyuni, M.Si.",{PARTICIPANT},,{MENTOR}\r\n'
    )
    rows = parse(text.encode("utf-8"))

    assert [r.name for r in rows] == ["Bambang Wijaya, M.M.", "Sri Wahyuni, M.Si."]
    assert rows[0].agency == 'Pemerintah Provinsi "Sumsel"'
    assert [r.line for r in rows] == [2, 3]


def test_semicolon_header_with_commas_in_names() -> None:
    rows = parse(
        csv_bytes(
            "ROLE ; NAME ; NIP ; MENTOR_NIP",
            f"mentor ; Ir. H. Bambang, M.M., M.Si. ; {MENTOR} ;",
            f"PESERTA;Dra. Sri Wahyuni, M.Si.;{PARTICIPANT};{MENTOR}",
        )
    )
    assert rows[0].name == "Ir. H. Bambang, M.M., M.Si."
    assert rows[1].role is Role.PARTICIPANT


def test_blank_lines_are_skipped_and_lines_keep_their_numbers() -> None:
    rows = parse(
        csv_bytes("", HEADER, "", MENTOR_LINE, ";;;;;", "   ", COACH_LINE, PARTICIPANT_LINE, "")
    )

    assert [r.line for r in rows] == [4, 7, 8]


def test_quoted_newline_keeps_later_line_numbers_right() -> None:
    data = csv_bytes(
        "role;name;nip;project_title;mentor_nip",
        f"mentor;Bambang;{MENTOR};;",
        f'peserta;Sri;{PARTICIPANT};"Digitalisasi Layanan\nPerizinan";{MENTOR}',
        f"peserta;Ridwan;{OTHER_PARTICIPANT};;{UNLISTED}",
    )
    with pytest.raises(CohortFileError) as caught:
        parse(data)

    assert [(p.line, p.code) for p in caught.value.problems] == [(5, "csv.error.mentor_not_found")]


def test_trailing_empty_cells_from_spreadsheets_are_tolerated() -> None:
    rows = parse(csv_bytes(HEADER + ";;", MENTOR_LINE + ";;;", COACH_LINE, PARTICIPANT_LINE))
    assert len(rows) == 3


def test_roles_in_both_languages() -> None:
    lines = ["role;name;nip"]
    words = ["penguji", "Examiner", "PENYELENGGARA", "organizer", "admin", "coach", "narasumber"]
    nips = [f"1970010{i} 199501 1 00{i}" for i in range(1, len(words) + 1)]
    lines += [
        f"{word};Person {i};{nip}" for i, (word, nip) in enumerate(zip(words, nips, strict=True))
    ]

    rows = parse(csv_bytes(*lines))

    assert [r.role for r in rows] == [
        Role.EXAMINER,
        Role.EXAMINER,
        Role.ADMIN,
        Role.ADMIN,
        Role.ADMIN,
        Role.COACH,
        Role.EXAMINER,
    ]


# --- the sample file -------------------------------------------------------------------------


def test_sample_file_parses_to_the_described_cohort() -> None:
    rows = parse(SAMPLE.read_bytes())

    assert Counter(r.role for r in rows) == {
        Role.PARTICIPANT: 10,
        Role.MENTOR: 3,
        Role.COACH: 2,
        Role.EXAMINER: 1,
        Role.ADMIN: 1,
    }
    participants = [r for r in rows if r.role is Role.PARTICIPANT]
    assert sum(r.zone == WIT for r in participants) == 4
    assert sum(r.zone == WIB for r in participants) == 6
    by_nip = {r.nip.digits: r for r in rows}
    for p in participants:
        assert p.project_title
        assert p.mentor_nip is not None and by_nip[p.mentor_nip].role is Role.MENTOR
        assert p.coach_nip is not None and by_nip[p.coach_nip].role is Role.COACH
        # Participants from North Maluku are mentored by someone in their own regency.
        assert by_nip[p.mentor_nip].agency == p.agency or p.zone == WIB


# --- every problem, with its line ------------------------------------------------------------


def test_not_utf8_names_the_line() -> None:
    data = csv_bytes(HEADER, MENTOR_LINE) + "peserta;Sri Wahyuni;x\n".encode("cp1252")
    data = data.replace(b"Wahyuni", "Wahyuní".encode("cp1252"))

    with pytest.raises(CohortFileError) as caught:
        parse(data)

    assert [(p.line, p.code) for p in caught.value.problems] == [(3, "csv.error.not_utf8")]


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", "\ufeff".encode(), b";;;\n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(CohortFileError) as caught:
        parse(data)

    assert [(p.line, p.code) for p in caught.value.problems] == [(None, "csv.error.empty")]


def test_header_without_rows() -> None:
    problem = only_problem(HEADER)
    assert (problem.line, problem.code) == (None, "csv.error.no_rows")


def test_missing_required_column() -> None:
    problem = only_problem("role;name;mentor_nip", "mentor;Bambang;")
    assert (problem.line, problem.code, problem.params) == (
        1,
        "csv.error.missing_column",
        {"column": "nip"},
    )


def test_unknown_column_is_not_silently_dropped() -> None:
    # A typo, not an alias ("mentor nip" and "NIP Mentor" are aliases of mentor_nip).
    problem = only_problem(
        "role;name;nip;mentor nipp",
        MENTOR_LINE.rsplit(";", 2)[0],
        f"peserta;Sri;{PARTICIPANT};{MENTOR}",
    )
    assert (problem.line, problem.code) == (1, "csv.error.unknown_column")
    assert problem.params["column"] == "mentor nipp"
    assert "mentor_nip" in str(problem.params["allowed"])


def test_duplicate_column() -> None:
    problem = only_problem("role;name;nip;NIP", f"mentor;Bambang;{MENTOR};{MENTOR}")
    assert (problem.line, problem.code, problem.params) == (
        1,
        "csv.error.duplicate_column",
        {"column": "NIP"},
    )


def test_unnamed_column_in_the_middle() -> None:
    problem = only_problem("role;;name;nip", f"mentor;x;Bambang;{MENTOR}")
    assert (problem.line, problem.code, problem.params) == (
        1,
        "csv.error.unnamed_column",
        {"position": 2},
    )


def test_header_line_number_counts_leading_blank_lines() -> None:
    problem = only_problem("", "", "role;name", "mentor;Bambang")
    assert (problem.line, problem.code) == (3, "csv.error.missing_column")


@pytest.mark.parametrize(
    "row", [f"mentor;Bambang;{MENTOR};WIB", f"mentor;Bambang;{MENTOR};WIB;;;x"]
)
def test_row_with_wrong_number_of_cells(row: str) -> None:
    problem = only_problem(HEADER, row)
    assert (problem.line, problem.code) == (2, "csv.error.cell_count")
    assert problem.params["expected"] == 6


def test_unclosed_quote() -> None:
    problem = only_problem(HEADER, MENTOR_LINE, f'peserta;"Sri;{PARTICIPANT};WIT;{MENTOR};')
    assert (problem.line, problem.code) == (3, "csv.error.malformed")


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (f";Bambang;{MENTOR};;;", "role"),
        (f"mentor;  ;{MENTOR};;;", "name"),
        ("mentor;Bambang;;;;", "nip"),
    ],
)
def test_empty_required_value(row: str, column: str) -> None:
    problem = only_problem(HEADER, row)
    assert (problem.line, problem.code, problem.params) == (
        2,
        "csv.error.required_empty",
        {"column": column},
    )


def test_malformed_nip_reports_the_nip_reason() -> None:
    problem = only_problem(HEADER, MENTOR_LINE, "coach;Lina;19671103 199303 2 03;;;")
    assert (problem.line, problem.code, problem.params) == (3, "nip.error.length", {"count": 17})


def test_duplicate_nip_names_both_lines() -> None:
    problem = only_problem(HEADER, MENTOR_LINE, COACH_LINE, f"coach;Someone Else;{MENTOR};;;")
    assert (problem.line, problem.code) == (4, "csv.error.duplicate_nip")
    assert problem.params == {"nip": MENTOR, "other_line": 2}


def test_duplicate_nip_is_found_whatever_the_spacing() -> None:
    problem = only_problem(HEADER, MENTOR_LINE, f"coach;Bambang;{MENTOR.replace(' ', '')};;;")
    assert (problem.line, problem.code) == (3, "csv.error.duplicate_nip")


def test_unknown_role() -> None:
    problem = only_problem(HEADER, MENTOR_LINE, f"widyaswara;Lina;{COACH};;;")
    assert (problem.line, problem.code, problem.params) == (
        3,
        "role.error.unknown",
        {"value": "widyaswara"},
    )


def test_unknown_zone() -> None:
    problem = only_problem(HEADER, f"mentor;Bambang;{MENTOR};WITB;;")
    assert (problem.line, problem.code, problem.params) == (
        2,
        "zone.error.unknown",
        {"value": "WITB"},
    )


def test_iana_zone_in_the_file() -> None:
    rows = parse(csv_bytes(HEADER, f"coach;Anne;{COACH};Europe/Amsterdam;;"))
    assert rows[0].zone.key == "Europe/Amsterdam"


def test_mentor_nip_that_is_not_a_nip() -> None:
    problem = only_problem(HEADER, MENTOR_LINE, f"peserta;Sri;{PARTICIPANT};;19660812;")
    assert (problem.line, problem.code) == (3, "csv.error.reference_malformed")
    assert problem.params == {"column": "mentor_nip", "value": "19660812"}


def test_mentor_not_in_the_file() -> None:
    problem = only_problem(HEADER, MENTOR_LINE, f"peserta;Sri;{PARTICIPANT};;{UNLISTED};")
    assert (problem.line, problem.code, problem.params) == (
        3,
        "csv.error.mentor_not_found",
        {"nip": UNLISTED},
    )


def test_mentor_who_is_not_a_mentor() -> None:
    problem = only_problem(HEADER, MENTOR_LINE, COACH_LINE, f"peserta;Sri;{PARTICIPANT};;{COACH};")
    assert (problem.line, problem.code) == (4, "csv.error.mentor_wrong_role")
    assert problem.params == {"nip": COACH, "name": "Dr. Lina Marliani, M.Pd.", "role": Role.COACH}


def test_coach_not_in_the_file() -> None:
    problem = only_problem(HEADER, MENTOR_LINE, f"peserta;Sri;{PARTICIPANT};;{MENTOR};{UNLISTED}")
    assert (problem.line, problem.code, problem.params) == (
        3,
        "csv.error.coach_not_found",
        {"nip": UNLISTED},
    )


def test_coach_who_is_not_a_coach() -> None:
    problem = only_problem(HEADER, MENTOR_LINE, f"peserta;Sri;{PARTICIPANT};;{MENTOR};{MENTOR}")
    assert (problem.line, problem.code) == (3, "csv.error.coach_wrong_role")
    assert problem.params["role"] is Role.MENTOR


def test_participant_without_mentor() -> None:
    problem = only_problem(HEADER, COACH_LINE, f"peserta;Sri;{PARTICIPANT};;;{COACH}")
    assert (problem.line, problem.code) == (3, "csv.error.participant_without_mentor")


def test_participant_without_mentor_column_at_all() -> None:
    problem = only_problem("role;name;nip", f"peserta;Sri;{PARTICIPANT}")
    assert (problem.line, problem.code) == (2, "csv.error.participant_without_mentor")


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (f"mentor;Bambang;{MENTOR};;;{COACH}", "coach_nip"),
        (f"coach;Lina;{COACH};;{MENTOR};", "mentor_nip"),
    ],
)
def test_mentor_or_coach_nip_on_a_non_participant(row: str, column: str) -> None:
    other = COACH_LINE if column == "coach_nip" else MENTOR_LINE
    problem = only_problem(HEADER, other, row)
    assert (problem.line, problem.code) == (3, "csv.error.participant_only_column")
    assert problem.params["column"] == column


def test_project_title_on_a_non_participant() -> None:
    problem = only_problem("role;name;nip;project_title", f"mentor;Bambang;{MENTOR};Judul")
    assert (problem.line, problem.code, problem.params) == (
        2,
        "csv.error.participant_only_column",
        {"column": "project_title", "role": Role.MENTOR},
    )


def test_own_mentor() -> None:
    problem = only_problem(HEADER, f"peserta;Sri;{PARTICIPANT};;{PARTICIPANT};")
    assert (problem.line, problem.code) == (2, "csv.error.own_mentor")


def test_every_problem_in_the_file_is_reported_in_line_order() -> None:
    problems = problems_of(
        HEADER,
        f"peserta;Ridwan;{OTHER_PARTICIPANT};WIT;{UNLISTED};",  # 2: mentor not found
        MENTOR_LINE,  # 3: fine
        f"guru;Lina;{COACH};;;",  # 4: unknown role
        "peserta;Sri;1972;Mars;;",  # 5: bad NIP, bad zone, no mentor
        f"mentor;Bambang again;{MENTOR};;;",  # 6: duplicate
        "peserta;Budi",  # 7: wrong cell count
    )

    assert [(p.line, p.code) for p in problems] == [
        (2, "csv.error.mentor_not_found"),
        (4, "role.error.unknown"),
        (5, "nip.error.length"),
        (5, "zone.error.unknown"),
        (5, "csv.error.participant_without_mentor"),
        (6, "csv.error.duplicate_nip"),
        (7, "csv.error.cell_count"),
    ]


def test_broken_target_row_does_not_cascade() -> None:
    # The mentor's own NIP is wrong; the participant pointing at it gets no second problem.
    broken_mentor = "19660812 199213 1 004"
    problems = problems_of(
        HEADER, f"mentor;Bambang;{broken_mentor};;;", f"peserta;Sri;{PARTICIPANT};;{broken_mentor};"
    )
    assert [(p.line, p.code) for p in problems] == [(2, "nip.error.appointment_month")]


# --- rendering -------------------------------------------------------------------------------


def test_problem_rendered_in_indonesian_and_english() -> None:
    problem = RowProblem(7, "csv.error.mentor_not_found", {"nip": "19750101 200001 1 001"})

    assert describe_problem(problem, translator("id")) == (
        "Baris 7: NIP mentor 19750101 200001 1 001 tidak ditemukan di berkas."
    )
    assert describe_problem(problem, translator("en")) == (
        "Line 7: Mentor NIP 19750101 200001 1 001 is not in the file."
    )


def test_role_parameters_are_translated() -> None:
    problem = only_problem(HEADER, MENTOR_LINE, COACH_LINE, f"peserta;Sri;{PARTICIPANT};;{COACH};")

    assert "sebagai Coach, bukan mentor" in describe_problem(problem, translator("id"))
    examiner = RowProblem(
        3, "csv.error.participant_only_column", {"column": "coach_nip", "role": Role.EXAMINER}
    )
    assert "Examiner (penguji)" in describe_problem(examiner, translator("en"))
    assert "Penguji" in describe_problem(examiner, translator("id"))


def test_file_level_problem_has_no_line_prefix() -> None:
    text = describe_problem(RowProblem(None, "csv.error.empty"), translator("id"))
    assert text.startswith("Berkas kosong.")


def test_whole_error_is_described_with_a_count() -> None:
    with pytest.raises(CohortFileError) as caught:
        parse(csv_bytes(HEADER, f"guru;Lina;{COACH};;;", f"peserta;Sri;{PARTICIPANT};;;"))

    text = describe_file_error(caught.value, translator("en"))

    lines = text.splitlines()
    assert "2 problems" in lines[0]
    assert lines[1].startswith('• Line 2: Unknown role "guru"')
    assert lines[2].startswith("• Line 3: Every participant needs a mentor")


# --- seminar groups --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column",
    ["seminar_group", "Kelompok", "KELOMPOK_SEMINAR", "Kelompok  Seminar", "Seminar Group"],
)
def test_the_seminar_group_column_has_the_names_people_use(column: str) -> None:
    rows = parse(
        csv_bytes(
            f"{HEADER};{column}",
            f"{MENTOR_LINE};",
            f"{COACH_LINE};  Kelompok   2 ",
            f"{PARTICIPANT_LINE}; A ",
        )
    )
    groups = {row.role: row.seminar_group for row in rows}
    assert groups == {Role.MENTOR: None, Role.COACH: "Kelompok 2", Role.PARTICIPANT: "A"}
    assert all(row.seminar_group_listed for row in rows)


def test_without_the_column_groups_are_not_listed() -> None:
    rows = parse(csv_bytes(HEADER, MENTOR_LINE, COACH_LINE, PARTICIPANT_LINE))
    assert all(row.seminar_group is None and not row.seminar_group_listed for row in rows)


def test_two_names_for_the_seminar_group_column_are_a_duplicate() -> None:
    problem = only_problem(
        f"{HEADER};seminar_group;Kelompok", f"{MENTOR_LINE};;", f"{PARTICIPANT_LINE};1;1"
    )
    assert problem == RowProblem(1, "csv.error.duplicate_column", {"column": "Kelompok"})


def test_an_unknown_column_lists_seminar_group_as_allowed() -> None:
    problem = only_problem(f"{HEADER};grup", f"{MENTOR_LINE};")
    assert problem.code == "csv.error.unknown_column"
    assert "seminar_group" in str(problem.params["allowed"])


def test_a_too_long_seminar_group_is_reported_on_its_line() -> None:
    problem = only_problem(
        f"{HEADER};kelompok",
        f"{MENTOR_LINE};",
        f"{COACH_LINE};",
        f"{PARTICIPANT_LINE};{'x' * 41}",
    )
    assert problem == RowProblem(
        4, "csv.error.too_long", {"column": "seminar_group", "limit": 40, "length": 41}
    )
    t = translator("id")
    assert describe_problem(problem, t) == (
        'Baris 4: Isian kolom "seminar_group" terlalu panjang: 41 karakter, '
        "paling banyak 40 karakter."
    )
    # Exactly at the limit is fine, and inner runs of spaces count once.
    rows = parse(
        csv_bytes(
            f"{HEADER};kelompok",
            f"{MENTOR_LINE};",
            f"{COACH_LINE};",
            f"{PARTICIPANT_LINE};{'x' * 20}     {'y' * 19}",
        )
    )
    assert rows[-1].seminar_group == f"{'x' * 20} {'y' * 19}"


def test_too_long_names_and_titles_are_reported_before_they_reach_the_database() -> None:
    problems = problems_of(
        "role;name;nip;mentor_nip;project_title",
        f"mentor;{'N' * 201};{MENTOR};;",
        f"peserta;Sri Wahyuni;{PARTICIPANT};{MENTOR};{'P' * 501}",
    )
    assert [(p.line, p.params["column"]) for p in problems] == [(2, "name"), (3, "project_title")]
