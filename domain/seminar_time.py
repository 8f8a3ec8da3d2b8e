"""Seminar times and places as organizers type them, and when a seminar's messages go out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from domain.dates import parse_user_date
from domain.schedule import ReminderSettings, next_allowed
from domain.text import shorten

# Reminders before a seminar (DOMAIN.md: mentors must be reminded); each tag ends a dedup key.
REMINDERS: tuple[tuple[str, timedelta], ...] = (
    ("d7", timedelta(days=7)),
    ("d1", timedelta(days=1)),
    ("h2", timedelta(hours=2)),
)
MAX_PLACE_LENGTH = 300  # the column's size
MAX_LINK_LENGTH = 1000

# "09.00", "9:00", "14.30", "0900", "9", with an optional "pukul"/"jam"/"at" in front.
_TIME = re.compile(r"^(?:(?:pukul|pkl|jam|at)\.?\s*)?(?P<hour>\d{1,2})(?:[.:]?(?P<minute>\d{2}))?$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


class InvalidSeminarInput(ValueError):
    """A time, moment or link we cannot take; `code` is a catalog key, `params` its values."""

    def __init__(self, code: str, params: dict[str, object]) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def parse_user_time(text: str) -> time:
    """The clock time in `text`: "09.00", "9:00", "14.30", "0900", "pukul 9"."""
    original = text.strip()
    words = " ".join(original.casefold().split())
    if not words:
        raise InvalidSeminarInput("seminar.time.error.empty", {})
    match = _TIME.match(words)
    if match is None:
        raise InvalidSeminarInput("seminar.time.error.not_understood", {"value": shorten(original)})
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    if hour > 23 or minute > 59:
        raise InvalidSeminarInput("seminar.time.error.out_of_range", {"value": shorten(original)})
    return time(hour, minute)


def local_to_utc(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The instant `day` `clock` in `zone`, as an aware UTC datetime (what we store)."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def parse_moment(text: str, *, zone: ZoneInfo, now: datetime) -> datetime:
    """ "2026-12-10 09:00" or "10 Des 2026 9.00" in `zone`, as UTC: the last word is the time."""
    words = text.strip().rsplit(maxsplit=1)
    if len(words) != 2:
        raise InvalidSeminarInput("seminar.moment.error.shape", {"value": shorten(text.strip())})
    day = parse_user_date(words[0], today=now.astimezone(zone).date())
    return local_to_utc(day, parse_user_time(words[1]), zone)


@dataclass(frozen=True)
class Venue:
    """Where a seminar happens: a place, an online link, or both."""

    place: str | None
    link: str | None


def parse_link(text: str) -> str:
    """An http(s) link with a host, or `InvalidSeminarInput` saying what is wrong with it."""
    link = text.strip()
    if len(link) > MAX_LINK_LENGTH:
        raise InvalidSeminarInput("seminar.link.error.too_long", {"limit": MAX_LINK_LENGTH})
    parts = urlsplit(link)
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidSeminarInput("seminar.link.error.scheme", {"value": shorten(link)})
    host = parts.hostname or ""
    if any(ch.isspace() for ch in link) or not host or ("." not in host and host != "localhost"):
        raise InvalidSeminarInput("seminar.link.error.host", {"value": shorten(link)})
    return link


def parse_venue(text: str) -> Venue:
    """A typed place or link: anything starting with "scheme://" must be a valid web link."""
    value = " ".join(text.split()) if not _SCHEME.match(text.strip()) else text.strip()
    if not value:
        raise InvalidSeminarInput("seminar.place.error.empty", {})
    if _SCHEME.match(value):
        return Venue(place=None, link=parse_link(value))
    if len(value) > MAX_PLACE_LENGTH:
        raise InvalidSeminarInput(
            "seminar.place.error.too_long", {"limit": MAX_PLACE_LENGTH, "length": len(value)}
        )
    return Venue(place=value, link=None)


@dataclass(frozen=True)
class PlannedSend:
    """One message about a seminar: its tag, earliest send time and when it becomes stale."""

    tag: str
    not_before: datetime
    expires_at: datetime


def plan_sends(
    starts_at: datetime,
    now: datetime,
    *,
    first: str,
    zone: ZoneInfo | None = None,
    settings: ReminderSettings | None = None,
) -> list[PlannedSend]:
    """The notice (`first`, e.g. "notice" or "change") now, then each reminder still ahead.

    A reminder is stale once the next one is due, and everything is stale when the seminar
    starts, so a sender back from downtime never sends two at once or one too late. With the
    recipient's `zone` and cohort `settings`, nothing is planned in their quiet hours: it waits
    for the hours' end, unless something newer would be due by then (a reminder is then left
    out, the previous one having said it; the notice itself goes at once, since it is news).
    """
    moments = [(first, now, starts_at)]
    nominal = [(tag, starts_at - before) for tag, before in REMINDERS]
    for index, (tag, moment) in enumerate(nominal):
        if moment <= now:
            continue  # already past when planned: the notice covers it
        stale = nominal[index + 1][1] if index + 1 < len(nominal) else starts_at
        moments.append((tag, moment, stale))
    sends = []
    for tag, moment, stale in moments:
        if zone is not None and settings is not None:
            allowed = next_allowed(moment, zone, settings)
            if allowed < stale:
                moment = allowed
            elif tag != first:
                continue
        sends.append(PlannedSend(tag, moment, stale))
    return sends
