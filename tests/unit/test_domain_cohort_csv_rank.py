"""The roster's optional pangkat/golongan column: its names, its limit, empty and absent."""

from __future__ import annotations

from datetime import date

import pytest

from domain.cohort_csv import (
    CohortFileError,
    CohortRow,
    RowProblem,
    describe_problem,
    parse_cohort_csv,
)
from domain.i18n import translator
from domain.roles import Role
from domain.timezones import WIB

TODAY = date(2025, 3, 1)
MENTOR = "19660812 199203 1 004"
PARTICIPANT = "19720318 199803 2 005"
HEADER = "role;name;nip;mentor_nip"
MENTOR_LINE = f"mentor;Dr. Bambang Wijaya, M.M.;{MENTOR};"
PARTICIPANT_LINE = f"peserta;Sri Wahyuni, M.Si.;{PARTICIPANT};{MENTOR}"


def parse(*lines: str) -> list[CohortRow]:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    return parse_cohort_csv(data, default_zone=WIB, today=TODAY)


def ranks(rows: list[CohortRow]) -> dict[Role, str | None]:
    return {row.role: row.rank for row in rows}


@pytest.mark.parametrize(
    "column",
    [
        "rank",
        "Rank",
        "pangkat",
        "Pangkat",
        "golongan",
        "pangkat_golongan",
        "Pangkat Golongan",
        "Pangkat/Golongan",
        "pangkat/gol.",
        "PANGKAT/GOL.",
        "Pangkat/Gol",
    ],
)
def test_the_rank_column_goes_by_the_names_rosters_use(column: str) -> None:
    rows = parse(
        f"{HEADER};{column}",
        f"{MENTOR_LINE};Pembina Utama Muda (IV/c)",
        f"{PARTICIPANT_LINE};Penata  Tingkat I (III/d)",
    )
    assert ranks(rows) == {
        Role.MENTOR: "Pembina Utama Muda (IV/c)",
        Role.PARTICIPANT: "Penata Tingkat I (III/d)",  # inner spaces collapse
    }
    assert all(row.rank_listed for row in rows)


def test_an_empty_cell_is_no_rank_but_the_column_is_listed() -> None:
    rows = parse(f"{HEADER};pangkat", f"{MENTOR_LINE};", f"{PARTICIPANT_LINE};  ")
    assert ranks(rows) == {Role.MENTOR: None, Role.PARTICIPANT: None}
    assert all(row.rank_listed for row in rows)


def test_without_the_column_ranks_are_not_listed() -> None:
    rows = parse(HEADER, MENTOR_LINE, PARTICIPANT_LINE)
    assert all(row.rank is None and not row.rank_listed for row in rows)


def test_two_names_for_the_rank_column_are_a_duplicate() -> None:
    with pytest.raises(CohortFileError) as caught:
        parse(f"{HEADER};rank;Golongan", f"{MENTOR_LINE};;", f"{PARTICIPANT_LINE};IV/a;IV/a")
    assert caught.value.problems == [
        RowProblem(1, "csv.error.duplicate_column", {"column": "Golongan"})
    ]


def test_an_unknown_column_lists_rank_as_allowed() -> None:
    with pytest.raises(CohortFileError) as caught:
        parse(f"{HEADER};eselon", f"{MENTOR_LINE};II.b")
    [problem] = caught.value.problems
    assert problem.code == "csv.error.unknown_column"
    assert "rank" in str(problem.params["allowed"])


def test_a_rank_longer_than_its_column_is_reported_on_its_line() -> None:
    with pytest.raises(CohortFileError) as caught:
        parse(f"{HEADER};pangkat", f"{MENTOR_LINE};{'P' * 101}", f"{PARTICIPANT_LINE};III/d")
    [problem] = caught.value.problems
    assert problem == RowProblem(
        2, "csv.error.too_long", {"column": "rank", "limit": 100, "length": 101}
    )
    assert describe_problem(problem, translator("id")).startswith('Baris 2: Isian kolom "rank"')
    # Exactly 100 characters fit.
    rows = parse(f"{HEADER};pangkat", f"{MENTOR_LINE};{'P' * 100}", f"{PARTICIPANT_LINE};")
    assert rows[0].rank == "P" * 100


def test_any_role_may_have_a_rank() -> None:
    rows = parse(
        "role;name;nip;mentor_nip;pangkat/gol.",
        f"mentor;Dr. Bambang Wijaya;{MENTOR};;Pembina Utama (IV/e)",
        "penguji;Prof. Teguh Santoso;19680808 199403 1 005;;Pembina Utama Madya (IV/d)",
        f"peserta;Sri Wahyuni;{PARTICIPANT};{MENTOR};Penata (III/c)",
    )
    assert ranks(rows) == {
        Role.MENTOR: "Pembina Utama (IV/e)",
        Role.EXAMINER: "Pembina Utama Madya (IV/d)",
        Role.PARTICIPANT: "Penata (III/c)",
    }
