"""Callback data: short, versioned strings; anything that does not parse is refused."""

from __future__ import annotations

import re

# "<kind><version>:<field>:<field>", e.g. "ob1:y:K7PMQ2XD". A new layout gets a new version,
# so buttons left in old chats fail to parse instead of being misread.
_SHAPE = re.compile(r"^([a-z]{2}\d):([A-Za-z0-9_:-]{1,56})$")

CONSENT = "ob1"
LANGUAGE = "lg1"
ZONE = "tz1"


def pack(kind: str, *fields: str) -> str:
    data = ":".join((kind, *fields))
    if len(data.encode()) > 64 or not _SHAPE.match(data):
        raise ValueError(f"bad callback data {data!r}")
    return data


def unpack(data: str | None, kind: str, arity: int) -> list[str] | None:
    """The fields of a button of this kind, or None if it is not one (forged, stale, other)."""
    if not data:
        return None
    match = _SHAPE.match(data)
    if match is None or match.group(1) != kind:
        return None
    fields = match.group(2).split(":")
    return fields if len(fields) == arity else None


def pattern(kind: str) -> re.Pattern[str]:
    """What a CallbackQueryHandler matches for this kind; unpack() still validates fields."""
    return re.compile(rf"^{kind}:")


REPORT = "rp1"
FEEDBACK = "fb1"
PROJECT = "pj1"
ADVISEES = "pp1"
COHORT_ADMIN = "ak1"  # /angkatan: a cohort, a stage to change, a stage to add, the read-back
INVITES = "ud1"  # /undang: a cohort, everyone not yet joined, one person
RECAP = "rk1"  # /rekap: a cohort to summarise
PORTFOLIO = "pf1"  # the portfolio PDF of one participant (id re-checked on press)
EXPORT = "ex1"  # /ekspor: a cohort to export (re-checked against the organizer's cohorts)
