"""Dates as people type them in chat, in Indonesian and English: "25 Des", "25/12", "besok"."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from domain.i18n import format_date
from domain.text import shorten

MIN_YEAR = 2000
MAX_YEAR = 2100

# Each row is one month, in order; Indonesian spellings first (with the older "Pebruari" and
# "Nopember" still common in government letters), then English.
_MONTH_NAMES: tuple[tuple[str, ...], ...] = (
    ("januari", "jan", "january"),
    ("februari", "pebruari", "feb", "peb", "february"),
    ("maret", "mar", "mrt", "march"),
    ("april", "apr"),
    ("mei", "may"),
    ("juni", "jun", "june"),
    ("juli", "jul", "july"),
    ("agustus", "agu", "agt", "ags", "agus", "aug", "august"),
    ("september", "sep", "sept"),
    ("oktober", "okt", "oct", "october"),
    ("november", "nopember", "nov", "nop"),
    ("desember", "des", "dec", "december"),
)
MONTHS: dict[str, int] = {
    name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names
}

# Monday first, as date.weekday() counts. "Ahad" is the Islamic name for Sunday.
_WEEKDAY_NAMES: tuple[tuple[str, ...], ...] = (
    ("senin", "monday", "mon"),
    ("selasa", "tuesday", "tue", "tues"),
    ("rabu", "wednesday", "wed"),
    ("kamis", "thursday", "thu", "thur", "thurs"),
    ("jumat", "friday", "fri"),
    ("sabtu", "saturday", "sat"),
    ("minggu", "ahad", "sunday", "sun"),
)
WEEKDAYS: dict[str, int] = {
    name: number for number, names in enumerate(_WEEKDAY_NAMES) for name in names
}

_DAYS_FROM_TODAY: dict[str, int] = {
    "hari ini": 0,
    "today": 0,
    "besok": 1,
    "tomorrow": 1,
    "lusa": 2,
    "day after tomorrow": 2,
    "minggu depan": 7,
    "pekan depan": 7,
    "next week": 7,
}
_NEXT_MONTH = frozenset({"bulan depan", "next month"})

_YEAR = r"(?P<year>\d{4}|\d{2})"
_ORDINAL = r"(?:st|nd|rd|th)?"
# The separator must repeat: "25/12/2026" and "25.12.2026", not "25/12.2026".
_ISO = re.compile(r"^(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})$")
_NUMERIC = re.compile(
    rf"^(?P<day>\d{{1,2}})(?P<sep>[-/.])(?P<month>\d{{1,2}})(?:(?P=sep){_YEAR})?$"
)
_DAY_NAME = re.compile(
    rf"^(?P<day>\d{{1,2}}){_ORDINAL}[\s-]*(?P<name>[a-z]+)\.?(?:[\s,-]+{_YEAR})?$"
)
_NAME_DAY = re.compile(
    rf"^(?P<name>[a-z]+)\.?[\s-]*(?P<day>\d{{1,2}}){_ORDINAL}(?:[\s,]+{_YEAR})?$"
)
_WEEKDAY_PHRASE = re.compile(
    r"^(?:hari\s+)?(?P<name>[a-z]+)(?:\s+depan)?$|^next\s+(?P<next>[a-z]+)$"
)
# "Kamis, 19 Desember 2024": the way the bot itself prints dates, so people paste it back.
_WITH_WEEKDAY = re.compile(r"^(?P<name>[a-z]+),?\s+(?P<rest>.*\d.*)$")
_APOSTROPHES = re.compile(r"['’‘`]")  # "Jum'at"
# "24/12 - 2/1", "24 Des sampai 2 Jan", "24 Dec to 2 Jan", "24/12 s.d. 2/1", "24/12 – 2/1".
_RANGE_WORDS = re.compile(
    r"\s+(?:-|–|—|s\.?\s?d\.?|s/d|sampai(?:\s+dengan)?|hingga|to|until|till)\s+",
    re.IGNORECASE,
)
_RANGE_DASH = re.compile(r"\s*[-–—]\s*")


class InvalidDate(ValueError):
    """A date we cannot take; `code` is a message-catalog key, `params` its placeholders.

    Date values in `params` print as ISO dates; `params_for` writes them out for a language.
    """

    def __init__(self, code: str, params: dict[str, object]) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params

    def params_for(self, language: str | None) -> dict[str, object]:
        """`params` with dates written for `language`, "Jumat, 25 Desember 2026"."""
        return {
            key: format_date(value, None, language) if isinstance(value, date) else value
            for key, value in self.params.items()
        }


def parse_user_date(text: str, *, today: date) -> date:
    """The date meant by `text`, relative to `today` where needed, or `InvalidDate`.

    Day-first numbers ("25/12/2026"), month names in Indonesian or English ("25 Des",
    "Dec 25"), ISO ("2026-12-25"), relative words ("besok", "minggu depan", "next month") and
    weekdays ("Jumat", "next friday": the first such day after today). Without a year, the
    next such date from today on: people plan forward, so "5 Jan" typed in December is next
    January. Two-digit years are 20xx.
    """
    original = text.strip()
    words = _normalize(text)
    if not words:
        raise InvalidDate("date.error.empty", {})
    relative = _relative(words, today)
    if relative is not None:
        return relative
    explicit = _explicit(words, today, original)
    if explicit is not None:
        return explicit
    with_weekday = _WITH_WEEKDAY.match(words)
    if with_weekday and with_weekday["name"] in WEEKDAYS:
        found = _explicit(with_weekday["rest"], today, original)
        if found is not None:
            if found.weekday() != WEEKDAYS[with_weekday["name"]]:
                raise InvalidDate("date.error.weekday_mismatch", {"value": shorten(original)})
            return found
    raise InvalidDate("date.error.not_understood", {"value": shorten(original)})


def parse_user_range(text: str, *, today: date) -> tuple[date, date]:
    """The first and last day of a span (leave, a stage) typed as one date or "start - end",
    each end read like `parse_user_date`; `InvalidDate`."""
    raw = text.strip()
    try:
        single = parse_user_date(raw, today=today)  # "24-12" and "2026-12-24" hold dashes too
    except InvalidDate as first_error:
        parts = _RANGE_WORDS.split(raw, maxsplit=1)
        if len(parts) != 2:
            parts = _RANGE_DASH.split(raw)
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise first_error from None
        start = parse_user_date(parts[0], today=today)
        end = parse_user_date(parts[1], today=today)
        if end < start:
            # "24/12 - 2/1": a date written without a year is the next one after the start.
            later = parse_user_date(parts[1], today=start)
            end = later if later >= start else end
        return start, end
    return single, single


def check_not_past(d: date, today: date) -> None:
    """Refuse a date before `today`; today itself is fine (a milestone due today is real)."""
    if d < today:
        raise InvalidDate("date.error.past", {"date": d, "today": today})


def add_month(d: date) -> date:
    """The same day next month, or that month's last day: 31 January -> 28 or 29 February."""
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def next_weekday(weekday: int, today: date) -> date:
    """The first day after `today` (never today) falling on `weekday` (Monday is 0)."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _normalize(text: str) -> str:
    words = " ".join(_APOSTROPHES.sub("", text).casefold().split())
    return words.rstrip(".").strip()


def _relative(words: str, today: date) -> date | None:
    if words in _DAYS_FROM_TODAY:
        return today + timedelta(days=_DAYS_FROM_TODAY[words])
    if words in _NEXT_MONTH:
        return add_month(today)
    phrase = _WEEKDAY_PHRASE.match(words)
    if phrase:
        # "Jumat depan" colloquially can mean Friday of next week; we read it as the coming
        # Friday, like "Jumat", and the bot echoes the full date back for the user to confirm.
        name = phrase["name"] or phrase["next"]
        if name in WEEKDAYS:
            return next_weekday(WEEKDAYS[name], today)
    return None


def _explicit(words: str, today: date, original: str) -> date | None:
    match = _ISO.match(words) or _NUMERIC.match(words)
    if match:
        month = int(match["month"])
    else:
        match = _DAY_NAME.match(words) or _NAME_DAY.match(words)
        if not match or match["name"] not in MONTHS:
            return None
        month = MONTHS[match["name"]]
    day = int(match["day"])
    if match["year"] is None:
        return _next_occurrence(month, day, today, original)
    return _build(_year(match["year"]), month, day, original)


def _year(digits: str) -> int:
    year = 2000 + int(digits) if len(digits) == 2 else int(digits)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidDate("date.error.year_range", {"year": year, "min": MIN_YEAR, "max": MAX_YEAR})
    return year


def _next_occurrence(month: int, day: int, today: date, original: str) -> date:
    year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
    return _build(year, month, day, original)


def _build(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidDate("date.error.impossible", {"value": shorten(original)}) from None
