"""What a cohort calls the participant's project: proyek perubahan or aksi perubahan.

PKN Tingkat II (and PKN Tingkat I) participants lead a *proyek perubahan*; PKA and PKP
participants lead an *aksi perubahan* (DOMAIN.md). The term follows the cohort's programme;
`Cohort.settings["project_term"]` overrides it for an organizer who words it otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from domain.i18n import Translator

SETTINGS_KEY = "project_term"

# Programme names after upper-casing and dropping everything but letters and digits:
# "PKA", "PKP", "Pelatihan Kepemimpinan Administrator", "Pelatihan Kepemimpinan Pengawas".
_ACTION_PROGRAMME = re.compile(r"^(PKA|PKP)|ADMINISTRATOR|PENGAWAS")
_NOT_WORD = re.compile(r"[^0-9A-Z]+")


class InvalidProjectTerm(ValueError):
    """A cohort's `project_term` setting names no known term; the message says what is known."""


class ProjectTerm(StrEnum):
    PROYEK_PERUBAHAN = "proyek_perubahan"
    AKSI_PERUBAHAN = "aksi_perubahan"

    @property
    def message_key(self) -> str:
        """The catalog key of the term as it reads inside a sentence ("aksi perubahan")."""
        return f"term.{self.value}"


def term_for_programme(programme: str | None) -> ProjectTerm:
    """The term a programme uses: aksi perubahan for PKA and PKP, else proyek perubahan."""
    normalized = _NOT_WORD.sub("", (programme or "").upper())
    if _ACTION_PROGRAMME.search(normalized):
        return ProjectTerm.AKSI_PERUBAHAN
    return ProjectTerm.PROYEK_PERUBAHAN


# A cohort name that starts with its programme: "PKA Angkatan III", "PKN Tingkat II Angkatan
# XXXVII", "PKP Angkatan IV Kelas B".
_PROGRAMME_IN_NAME = re.compile(
    r"^\s*(?:(?P<short>PKA|PKP)\b|PKN\s*(?:(?:Tingkat|Tk\.?)\s*)?(?P<level>II|I|2|1)\b)",
    re.IGNORECASE,
)


def programme_from_name(cohort_name: str) -> str | None:
    """The programme a cohort's name starts with ("PKA", "PKP", "PKN II", "PKN I"), if any."""
    found = _PROGRAMME_IN_NAME.match(cohort_name)
    if found is None:
        return None
    if found["short"]:
        return found["short"].upper()
    return "PKN II" if found["level"].upper() in ("II", "2") else "PKN I"


def parse_term(value: object) -> ProjectTerm:
    """A `project_term` setting: "aksi perubahan", "aksi_perubahan", "proyek perubahan", ..."""
    if isinstance(value, str):
        normalized = re.sub(r"[\s_-]+", "_", value.strip().lower())
        try:
            return ProjectTerm(normalized)
        except ValueError:
            pass
    known = ", ".join(term.value for term in ProjectTerm)
    raise InvalidProjectTerm(f"{SETTINGS_KEY} must be one of {known}, not {value!r}")


def project_term(programme: str | None, settings: Mapping[str, Any] | None = None) -> ProjectTerm:
    """The cohort's term: its `project_term` setting if set, else derived from the programme."""
    chosen = (settings or {}).get(SETTINGS_KEY)
    if chosen is not None:
        return parse_term(chosen)
    return term_for_programme(programme)


def term_params(t: Translator, term: ProjectTerm) -> dict[str, str]:
    """The term for a message's placeholders: `{term}` inside a sentence, `{Term}` where it
    starts one, `{term_title}` in a document title ("Portofolio Aksi Perubahan")."""
    words = t(term.message_key)
    return {"term": words, "Term": words[:1].upper() + words[1:], "term_title": words.title()}


def term_param(term: ProjectTerm) -> dict[str, Any]:
    """`{term}` for a queued message, rendered later in the recipient's language."""
    return {"key": term.message_key, "params": {}}


def with_term(t: Translator, term: ProjectTerm) -> Translator:
    """`t` with the term's placeholders filled in every message (for a whole document)."""
    return t.with_defaults(**term_params(t, term))
