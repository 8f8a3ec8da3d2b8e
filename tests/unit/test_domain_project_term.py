"""Unit tests for the project term: proyek perubahan (PKN II) or aksi perubahan (PKA, PKP)."""

import pytest

from domain.i18n import translator
from domain.project_term import (
    InvalidProjectTerm,
    ProjectTerm,
    programme_from_name,
    project_term,
    term_for_programme,
    term_param,
    term_params,
    with_term,
)

PROYEK, AKSI = ProjectTerm.PROYEK_PERUBAHAN, ProjectTerm.AKSI_PERUBAHAN


@pytest.mark.parametrize(
    ("programme", "term"),
    [
        ("PKN II", PROYEK),
        ("PKN Tingkat II", PROYEK),
        ("pkn tk. ii", PROYEK),
        ("PKN I", PROYEK),
        ("PKA", AKSI),
        ("pka", AKSI),
        ("PKP", AKSI),
        ("P.K.P.", AKSI),
        ("Pelatihan Kepemimpinan Administrator", AKSI),
        ("Pelatihan Kepemimpinan Pengawas", AKSI),
        ("", PROYEK),
        (None, PROYEK),
        ("Latsar CPNS", PROYEK),
    ],
)
def test_the_programme_decides_the_term(programme: str | None, term: ProjectTerm) -> None:
    assert term_for_programme(programme) is term
    assert project_term(programme, {}) is term
    assert project_term(programme, None) is term


@pytest.mark.parametrize(
    "setting", ["aksi perubahan", "aksi_perubahan", "Aksi Perubahan", " AKSI-PERUBAHAN "]
)
def test_the_cohort_setting_overrides_the_programme(setting: str) -> None:
    assert project_term("PKN II", {"project_term": setting}) is AKSI
    assert project_term("PKA", {"project_term": "proyek perubahan"}) is PROYEK


def test_other_settings_leave_the_programme_in_charge() -> None:
    assert project_term("PKP", {"reminders": {"nudge_after_days": 5}}) is AKSI


@pytest.mark.parametrize("setting", ["proyek", "change project", 3, True, ["aksi perubahan"]])
def test_an_unknown_setting_is_refused_with_the_known_values(setting: object) -> None:
    with pytest.raises(InvalidProjectTerm, match="proyek_perubahan, aksi_perubahan"):
        project_term("PKA", {"project_term": setting})


@pytest.mark.parametrize(
    ("name", "programme"),
    [
        ("PKA Angkatan III", "PKA"),
        ("pkp angkatan iv kelas b", "PKP"),
        ("PKN II Angkatan XXXVII", "PKN II"),
        ("PKN Tingkat II Angkatan 1", "PKN II"),
        ("PKN Tk. II Angkatan 3", "PKN II"),
        ("PKN2 Angkatan 5", "PKN II"),
        ("PKN I Angkatan 2", "PKN I"),
        ("PKN Angkatan 2", None),
        ("PKAX Angkatan 1", None),
        ("Angkatan PKA", None),
        ("Latsar CPNS 2026", None),
    ],
)
def test_a_cohort_name_names_its_programme(name: str, programme: str | None) -> None:
    assert programme_from_name(name) == programme


def test_placeholders_in_both_languages() -> None:
    assert term_params(translator("id"), AKSI) == {
        "term": "aksi perubahan",
        "Term": "Aksi perubahan",
        "term_title": "Aksi Perubahan",
    }
    assert term_params(translator("id"), PROYEK)["Term"] == "Proyek perubahan"
    assert term_params(translator("en"), PROYEK)["term"] == "change project"
    assert term_params(translator("en"), AKSI)["term_title"] == "Change Action"


def test_a_queued_message_carries_the_term_as_a_catalog_message() -> None:
    assert term_param(AKSI) == {"key": "term.aksi_perubahan", "params": {}}
    assert translator("en")(term_param(AKSI)["key"]) == "change action"


def test_a_document_translator_fills_the_term_everywhere() -> None:
    t = with_term(translator("id"), AKSI)
    assert t("portfolio.pdf.title") == "Portofolio Aksi Perubahan"
    assert t("status.header", title="Sekolah Sehat", bar="▓") == (
        "**Aksi perubahan:** Sekolah Sehat\nKemajuan keseluruhan: ▓"
    )
    # A caller's own parameter still wins over the default.
    assert t("project.ask.title", limit=5, term="proyek") == (
        "Silakan tuliskan **judul proyek** (paling banyak 5 karakter)."
    )
