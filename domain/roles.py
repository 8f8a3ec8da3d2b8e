"""The roles people play in a cohort, and parsing them from Indonesian or English words."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A person's role in one cohort; the value is what gets stored."""

    PARTICIPANT = "participant"
    MENTOR = "mentor"
    COACH = "coach"
    EXAMINER = "examiner"
    ADMIN = "admin"

    @property
    def message_key(self) -> str:
        """Catalog key of the role's display name, e.g. "role.examiner"."""
        return f"role.{self.value}"


# Organizers write Indonesian words in their spreadsheets; foreign staff write English ones.
# "narasumber" is what many schedules call the examiner (DOMAIN.md: "penguji / narasumber").
_ALIASES: dict[str, Role] = {
    "peserta": Role.PARTICIPANT,
    "participant": Role.PARTICIPANT,
    "mentor": Role.MENTOR,
    "coach": Role.COACH,
    "penguji": Role.EXAMINER,
    "narasumber": Role.EXAMINER,
    "examiner": Role.EXAMINER,
    "admin": Role.ADMIN,
    "penyelenggara": Role.ADMIN,
    "organizer": Role.ADMIN,
    "organiser": Role.ADMIN,
}


class UnknownRole(ValueError):
    """A role word we do not recognise; `code` is a message-catalog key."""

    def __init__(self, code: str, params: dict[str, object]) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def parse_role(raw: str) -> Role:
    """Return the role named by `raw` (Indonesian or English, any case, spaces trimmed)."""
    word = raw.strip().casefold()
    if not word:
        raise UnknownRole("role.error.empty", {})
    try:
        return _ALIASES[word]
    except KeyError:
        raise UnknownRole("role.error.unknown", {"value": raw.strip()}) from None
