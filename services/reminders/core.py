"""What every reminder kind shares: one sweep's state (settings, zones, vacations, the messages
found due), its result, and the shape of a reminder kind."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain import actions
from domain.enums import MilestoneStatus
from domain.schedule import (
    InvalidReminderSettings,
    ReminderSettings,
    local_day,
    send_moment,
    stale_after,
)
from domain.timezones import WIB
from services.outbox import Button, Outgoing
from services.reminders.queries import COHORTS, VACATIONS

log = logging.getLogger(__name__)

# How far back a sweep looks for moments missed while nothing ran.
LOOKBACK = timedelta(days=3)
# Planned this much before its moment, so the sender has it in hand on the minute.
PLAN_AHEAD = timedelta(minutes=5)
# Milestones that still need work; one reported done waits for the mentor's sign-off, which
# the feedback reminder covers.
OPEN = (MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS)
# last_error of a reminder whose window passed unplanned (the sender uses the same word).
STALE = "stale"
# last_error of a message cancelled before it was sent (what services.outbox.cancel records).
CANCELLED = "cancelled"
# The settings of a cohort without any, and of one whose settings are unusable.
DEFAULTS = ReminderSettings()


@dataclass
class SweepResult:
    """What one sweep did, by outbox kind."""

    planned: Counter[str] = field(default_factory=Counter)
    # Moments that passed unplanned (downtime) and are no longer worth sending: recorded as
    # dropped, so each is counted once.
    stale: Counter[str] = field(default_factory=Counter)
    # Cohorts whose reminder settings are unusable: their reminders ran on the defaults.
    invalid_settings: list[str] = field(default_factory=list)

    @property
    def planned_total(self) -> int:
        return sum(self.planned.values())

    @property
    def stale_total(self) -> int:
        return sum(self.stale.values())


@dataclass(frozen=True)
class Timing:
    """When a message found due goes, when it expires, and whether its window already closed."""

    at: datetime
    expires: datetime
    stale: bool


@dataclass(frozen=True)
class Candidate:
    """A message found due: planned into the outbox unless its key is there already."""

    key: str
    kind: str
    recipient_id: int
    cohort_id: int
    timing: Timing
    build: Callable[[], Outgoing]


@dataclass
class SweepState:
    """One sweep's view: settings, zones and vacations, and the messages it found due."""

    now: datetime
    # A window that closed after this moment and before now, unplanned, was missed.
    missed_after: datetime
    cohorts: dict[int, tuple[str, ReminderSettings]]
    vacations: dict[int, list[tuple[date, date]]]
    zone_names: list[str]  # the zones of everyone who joined
    candidates: dict[str, Candidate] = field(default_factory=dict)
    _zones: dict[str, ZoneInfo] = field(default_factory=dict)
    # Thousands of rows share a handful of (cohort, zone, day): each moment is computed once.
    _moments: dict[tuple[int, str, date, time | None], tuple[datetime, datetime]] = field(
        default_factory=dict
    )

    def settings(self, cohort_id: int) -> ReminderSettings:
        entry = self.cohorts.get(cohort_id)
        return entry[1] if entry else DEFAULTS

    def all_settings(self) -> list[ReminderSettings]:
        """Every cohort's settings (each kind asks which of its offsets or waits are in use)."""
        return [settings for _, settings in self.cohorts.values()]

    def zone(self, name: str) -> ZoneInfo:
        zone = self._zones.get(name)
        if zone is None:
            try:
                zone = ZoneInfo(name)
            except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
                log.error("unknown time zone %r stored for a person; using WIB", name)
                zone = WIB
            self._zones[name] = zone
        return zone

    def today(self, zone_name: str) -> date:
        return local_day(self.now, self.zone(zone_name))

    def days(self) -> set[date]:
        """Every local date, in some zone in use, from the last sweep (or the lookback) on."""
        days: set[date] = set()
        for name in self.zone_names:
            zone = self.zone(name)
            day, last = local_day(self.missed_after, zone), local_day(self.now + PLAN_AHEAD, zone)
            while day <= last:
                days.add(day)
                day += timedelta(days=1)
        return days

    def window(self, shortest: int, longest: int) -> dict[str, datetime]:
        """Which silences or waits (by when they began) may have their message due now, or due
        since the last sweep (or within the lookback): their due day, `shortest` to `longest`
        days after the day they began, lies between those days and today, in some zone."""
        zones = [self.zone(name) for name in self.zone_names]
        ahead = self.now + PLAN_AHEAD

        def midnight(day: date, zone: ZoneInfo) -> datetime:
            return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

        return {
            "bound": max(
                midnight(local_day(ahead, z) - timedelta(days=shortest - 1), z) for z in zones
            ),
            "oldest": min(
                midnight(local_day(self.missed_after, z) - timedelta(days=longest), z)
                for z in zones
            ),
        }

    def timing(
        self,
        cohort_id: int,
        zone_name: str,
        day: date,
        known_since: datetime | None,
        clock: time | None = None,
    ) -> Timing | None:
        """When a message for the recipient's `day` goes, if it is due now or was missed;
        None if not yet, long gone, or missed but about something newer than its moment."""
        cached = self._moments.get((cohort_id, zone_name, day, clock))
        if cached is None:
            settings, zone = self.settings(cohort_id), self.zone(zone_name)
            at = send_moment(day, zone, settings, clock)
            cached = (at, stale_after(at, zone, settings))
            self._moments[(cohort_id, zone_name, day, clock)] = cached
        at, expires = cached
        if at > self.now + PLAN_AHEAD:
            return None
        if self.now < expires:
            return Timing(at, expires, stale=False)
        if expires > self.missed_after and (known_since is None or known_since < at):
            return Timing(at, expires, stale=True)
        return None

    def add(
        self,
        timing: Timing,
        *,
        key: str,
        kind: str,
        recipient_id: int,
        cohort_id: int,
        day: date,
        build: Callable[[], Outgoing],
    ) -> None:
        """Keep a message found due, unless its recipient is on leave that day."""
        if key in self.candidates:
            return
        ranges = self.vacations.get(recipient_id)
        if ranges and any(first <= day <= last for first, last in ranges):
            return
        self.candidates[key] = Candidate(key, kind, recipient_id, cohort_id, timing, build)


# What a kind does in a sweep: add the messages due now (or missed) to the state.
Find = Callable[[AsyncSession, SweepState], Awaitable[None]]
# Fills in what only messages about to be planned need (a digest's lines): the message per
# key, None to plan nothing under that key; keys left out are built as found.
Finish = Callable[[AsyncSession, Sequence[Candidate]], Awaitable[Mapping[str, Outgoing | None]]]


@dataclass(frozen=True)
class ReminderKind:
    """One kind of reminder, as the sweep runs it (see the package docstring)."""

    # The outbox `kind` of its messages, as counted in SweepResult.
    name: str
    find: Find
    # Its query already leaves out what is planned, so the sweep need not look its keys up.
    filtered_in_sql: bool = False
    finish: Finish | None = None


# --- read once per sweep ------------------------------------------------------------------


async def cohort_settings(
    session: AsyncSession, result: SweepResult
) -> dict[int, tuple[str, ReminderSettings]]:
    """Each cohort's name and reminder settings; unusable settings are reported and replaced."""
    cohorts: dict[int, tuple[str, ReminderSettings]] = {}
    for cohort_id, name, raw in (await session.execute(COHORTS)).tuples():
        try:
            settings = ReminderSettings.from_cohort_settings(raw)
        except InvalidReminderSettings as exc:
            # One organizer's typo must not stop everyone's reminders: defaults, and say so.
            log.error("cohort %r: %s; using the default reminder settings", name, exc)
            result.invalid_settings.append(name)
            settings = DEFAULTS
        cohorts[cohort_id] = (name, settings)
    return cohorts


async def vacations(session: AsyncSession, now: datetime) -> dict[int, list[tuple[date, date]]]:
    """Each person's vacations around today and over the lookback."""
    # Local days range over UTC-12..+14 around today, and back over the lookback.
    first = (now - LOOKBACK).date() - timedelta(days=1)
    last = now.date() + timedelta(days=2)
    ranges: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for person_id, starts_on, ends_on in (
        await session.execute(VACATIONS, {"first": first, "last": last})
    ).tuples():
        ranges[person_id].append((starts_on, ends_on))
    return ranges


# --- messages -----------------------------------------------------------------------------


def report_now(milestone_id: int | None) -> list[list[Button]]:
    """ "Lapor sekarang" under a reminder to a participant: /lapor at that milestone."""
    return [[Button("report.button.report_now", callback_data=actions.report_now(milestone_id))]]


def message(key: str, **params: Any) -> Callable[[], Outgoing]:
    """A message without buttons, built only if it is planned."""
    return lambda: Outgoing(key, params)
