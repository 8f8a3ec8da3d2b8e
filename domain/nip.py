"""Parsing and validating the NIP, the 18-digit Indonesian civil-servant number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

NIP_LENGTH = 18
# The youngest a civil servant can be appointed (CPNS applicants must be at least 18).
MIN_AGE_YEARS = 18
# Active officials retire at 58-65 (professors at 70). The extra slack keeps retired examiners
# and rows kept after a cohort ends valid, while still rejecting typos such as 1886 or 2086.
MAX_AGE_YEARS = 80

Gender = Literal["male", "female"]

# What people type between the groups: spaces (also non-breaking ones from Word/Excel), dots,
# dashes of any kind.
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")
_ASCII_DIGITS = frozenset("0123456789")


class InvalidNip(ValueError):
    """A NIP that cannot be right; `code` is a message-catalog key, `params` its placeholders."""

    def __init__(self, code: str, params: dict[str, object]) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True, repr=False)
class Nip:
    """A validated NIP. It reveals birth date and gender, so its repr shows only the mask."""

    digits: str
    birth_date: date
    appointment: tuple[int, int]  # (year, month) of appointment as a civil-servant candidate
    gender: Gender
    sequence: int

    @property
    def formatted(self) -> str:
        """The customary grouping, e.g. "19860926 201505 1 001"."""
        d = self.digits
        return f"{d[:8]} {d[8:14]} {d[14]} {d[15:]}"

    @property
    def masked(self) -> str:
        """Grouped NIP showing only birth year and last two digits, e.g. "1986**** ****** * *01".

        Enough for a person to recognise their own number or an organizer to tell two rows
        apart, while the birth date, appointment date and gender digit stay hidden (UU 27/2022).
        """
        d = self.digits
        return f"{d[:4]}**** ****** * *{d[16:]}"

    def __repr__(self) -> str:
        # Keeps personal data out of logs and tracebacks.
        return f"Nip({self.masked!r})"


def normalize_nip(raw: str) -> str:
    """Strip the separators people type (spaces, dots, dashes); no validation."""
    return _SEPARATORS.sub("", raw.strip())


def parse_nip(raw: str, *, today: date | None = None) -> Nip:
    """Validate `raw` (grouped or not) and return the NIP, or raise `InvalidNip`.

    `today` anchors the plausibility checks on age and appointment date; it defaults to the
    system date and should be injected by callers that have a clock.
    """
    today = today or date.today()
    digits = normalize_nip(raw)
    if not digits:
        raise InvalidNip("nip.error.empty", {})
    bad = [c for c in digits if c not in _ASCII_DIGITS]
    if bad:
        raise InvalidNip("nip.error.not_digits", {"char": bad[0]})
    if len(digits) != NIP_LENGTH:
        raise InvalidNip("nip.error.length", {"count": len(digits)})

    birth_date = _birth_date(digits[:8], today)
    appointment = _appointment(digits[8:14], birth_date, today)

    gender_digit = digits[14]
    if gender_digit not in ("1", "2"):
        raise InvalidNip("nip.error.gender", {"digit": gender_digit})
    gender: Gender = "male" if gender_digit == "1" else "female"

    sequence = int(digits[15:])
    if sequence == 0:
        raise InvalidNip("nip.error.sequence", {})
    return Nip(digits, birth_date, appointment, gender, sequence)


def _birth_date(part: str, today: date) -> date:
    try:
        birth = date(int(part[:4]), int(part[4:6]), int(part[6:]))
    except ValueError:
        raise InvalidNip("nip.error.birth_date", {"value": part}) from None
    age = _age_on(birth, today)
    if not MIN_AGE_YEARS <= age <= MAX_AGE_YEARS:
        raise InvalidNip(
            "nip.error.birth_year",
            {"year": birth.year, "min_age": MIN_AGE_YEARS, "max_age": MAX_AGE_YEARS},
        )
    return birth


def _appointment(part: str, birth: date, today: date) -> tuple[int, int]:
    year, month = int(part[:4]), int(part[4:])
    if not 1 <= month <= 12:
        raise InvalidNip("nip.error.appointment_month", {"month": part[4:]})
    if (year, month) > (today.year, today.month):
        raise InvalidNip("nip.error.appointment_future", {"value": f"{month:02d}/{year}"})
    # Month granularity: appointment dates only carry a month.
    if (year, month) < (birth.year + MIN_AGE_YEARS, birth.month):
        raise InvalidNip(
            "nip.error.appointment_too_early",
            {"value": f"{month:02d}/{year}", "min_age": MIN_AGE_YEARS},
        )
    return year, month


def _age_on(birth: date, day: date) -> int:
    """Completed years between `birth` and `day`; negative for a birth date in the future."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
