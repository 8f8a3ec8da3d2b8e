"""Seminar scoring rules: criteria validation, typed scores, the weighted total and its format."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.project_term import ProjectTerm
from domain.scoring import (
    SETTINGS_KEY,
    Criterion,
    InvalidScoring,
    cohort_criteria,
    default_criteria,
    format_score,
    mean_total,
    parse_criteria,
    parse_score,
    weighted_total,
)


def test_the_default_criteria_weigh_100_and_follow_the_programme_term() -> None:
    for term in ProjectTerm:
        criteria = default_criteria(term)
        assert sum(c.weight for c in criteria) == 100
        assert parse_criteria([c.as_setting() for c in criteria]) == criteria
    assert default_criteria(ProjectTerm.AKSI_PERUBAHAN)[0].name.endswith("aksi perubahan")
    assert cohort_criteria({}) == default_criteria()


def test_weighted_total_is_exact_to_the_cent_and_waits_for_every_score() -> None:
    assert weighted_total([(30, 80), (25, 90), (15, 70), (15, 85), (15, 75)]) == Decimal("81.00")
    assert weighted_total([(33, 100), (33, 0), (34, 1)]) == Decimal("33.34")
    assert weighted_total([(50, 100), (50, 100)]) == Decimal("100.00")
    assert weighted_total([(50, 0), (50, 0)]) == Decimal("0.00")
    assert weighted_total([(50, 80), (50, None)]) is None
    assert weighted_total([(40, 80), (50, 90)]) is None  # weights that do not make 100
    assert weighted_total([]) is None
    assert mean_total([Decimal("81.00"), Decimal("70.00")]) == Decimal("75.50")
    assert mean_total([]) is None


def test_scores_print_as_people_write_them() -> None:
    assert format_score(Decimal("81.5"), "id") == "81,50"
    assert format_score(Decimal("81.5"), "en") == "81.50"
    assert format_score(None, "id") == "-"


@pytest.mark.parametrize(("typed", "expected"), [("0", 0), ("85", 85), (" 100 ", 100), ("007", 7)])
def test_a_typed_score_is_a_whole_number_from_0_to_100(typed: str, expected: int) -> None:
    assert parse_score(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "scores.error.not_a_number"),
        ("85,5", "scores.error.not_a_number"),
        ("85.5", "scores.error.not_a_number"),
        ("-5", "scores.error.not_a_number"),
        ("delapan", "scores.error.not_a_number"),
        ("٨٥", "scores.error.not_a_number"),  # Arabic-Indic digits are digits to Python only
        ("101", "scores.error.range"),
        (None, "scores.error.not_a_number"),
    ],
)
def test_anything_else_is_refused_with_a_reason(typed: str | None, code: str) -> None:
    with pytest.raises(InvalidScoring) as refused:
        parse_score(typed)
    assert refused.value.code == code


def test_criteria_accept_a_list_or_an_object_and_tidy_the_names() -> None:
    raw = [{"name": "  Substansi   proyek ", "weight": 70}, {"name": "Presentasi", "weight": 30}]
    expected = (Criterion("Substansi proyek", 70), Criterion("Presentasi", 30))
    assert parse_criteria(raw) == expected
    assert parse_criteria({"criteria": raw}) == expected
    assert cohort_criteria({SETTINGS_KEY: raw}) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("Substansi 100", "scores.criteria.error.shape"),
        ({"name": "Substansi", "weight": 100}, "scores.criteria.error.shape"),
        ([], "scores.criteria.error.count"),
        ([{"name": f"K{i}", "weight": 10} for i in range(9)] + [{"name": "K9", "weight": 5}] * 2,
         "scores.criteria.error.count"),
        (["Substansi"], "scores.criteria.error.item"),
        ([{"name": " ", "weight": 100}], "scores.criteria.error.no_name"),
        ([{"name": "x" * 121, "weight": 100}], "scores.criteria.error.long_name"),
        ([{"name": "Isi", "weight": 50}, {"name": "ISI", "weight": 50}],
         "scores.criteria.error.duplicate"),
        ([{"name": "Isi", "weight": 0}, {"name": "Lain", "weight": 100}],
         "scores.criteria.error.weight"),
        ([{"name": "Isi", "weight": 50.5}, {"name": "Lain", "weight": 49.5}],
         "scores.criteria.error.weight"),
        ([{"name": "Isi", "weight": True}], "scores.criteria.error.weight"),
        ([{"name": "Isi", "weight": "100"}], "scores.criteria.error.weight"),
        ([{"name": "Isi", "weight": 60}, {"name": "Lain", "weight": 30}],
         "scores.criteria.error.sum"),
    ],
)  # fmt: skip
def test_criteria_that_break_a_rule_are_refused_with_the_rule(raw: object, code: str) -> None:
    with pytest.raises(InvalidScoring) as refused:
        parse_criteria(raw)
    assert refused.value.code == code


def test_ten_criteria_are_allowed() -> None:
    assert len(parse_criteria([{"name": f"K{i}", "weight": 10} for i in range(10)])) == 10
