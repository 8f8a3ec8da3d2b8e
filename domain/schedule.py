"""When reminders are due: cohort reminder settings, send moments per zone, quiet hours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.dates import WEEKDAYS

# Cohort.settings["reminders"] holds the overrides; every key is optional.
SETTINGS_KEY = "reminders"
MAX_OFFSET_DAYS = 60
MAX_WAIT_DAYS = 90
_CLOCK = re.compile(r"^(?P<hour>\d{1,2})[.:](?P<minute>\d{2})$")


class InvalidReminderSettings(ValueError):
    """A cohort's reminder settings hold a value we cannot use; the message says which and why."""


@dataclass(frozen=True)
class ReminderSettings:
    """What a cohort's reminders do. None for a number switches that reminder off."""

    # Days before the target date on which the participant is reminded.
    before_days: tuple[int, ...] = (7, 3, 1)
    # On the first day overdue: the participant, and also their mentor.
    overdue: bool = True
    # A participant who has not reported for this many days gets a nudge.
    nudge_after_days: int | None = 7
    # A report without feedback for this many days: a reminder to the mentor or coach ...
    feedback_after_days: int | None = 3
    # ... and this many days later still nothing from anyone: the cohort's admins are told.
    escalate_after_days: int | None = 3
    send_at: time = time(8, 0)
    # Local hours in which nothing is sent; the range may wrap past midnight. Equal: none.
    quiet_start: time = time(21, 0)
    quiet_end: time = time(6, 0)
    # The mentors' weekly digest: weekday (Monday is 0) and local time; None switches it off.
    digest_weekday: int | None = 0
    digest_at: time = time(8, 0)
    # Days before a seminar on which each presenter is reminded to send the organizer their
    # report and slides (they go on to mentor, coach and examiner); None switches it off.
    seminar_materials_days: int | None = 3

    def __post_init__(self) -> None:
        for name, moment in (("send_at", self.send_at), ("digest_at", self.digest_at)):
            if self.is_quiet(moment):
                raise InvalidReminderSettings(
                    f"{SETTINGS_KEY}.{name} {_clock(moment)} falls in the quiet hours "
                    f"{_clock(self.quiet_start)}-{_clock(self.quiet_end)}"
                )

    @classmethod
    def from_cohort_settings(cls, settings: Mapping[str, Any] | None) -> ReminderSettings:
        """The settings in Cohort.settings (its "reminders" object), defaults for the rest."""
        raw = (settings or {}).get(SETTINGS_KEY)
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise InvalidReminderSettings(f"{SETTINGS_KEY} must be an object, not {raw!r}")
        unknown = sorted(set(raw) - _FIELDS)
        if unknown:
            raise InvalidReminderSettings(
                f"unknown {SETTINGS_KEY} setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_FIELDS))}"
            )
        values: dict[str, Any] = {}
        if "before_days" in raw:
            values["before_days"] = _offsets(raw["before_days"])
        if "overdue" in raw:
            if not isinstance(raw["overdue"], bool):
                raise InvalidReminderSettings(f"{SETTINGS_KEY}.overdue must be true or false")
            values["overdue"] = raw["overdue"]
        for name in ("nudge_after_days", "feedback_after_days", "escalate_after_days"):
            if name in raw:
                values[name] = _days_or_off(name, raw[name])
        if "seminar_materials_days" in raw:
            values["seminar_materials_days"] = _days_or_off(
                "seminar_materials_days", raw["seminar_materials_days"], MAX_OFFSET_DAYS
            )
        for name in ("send_at", "digest_at"):
            if name in raw:
                values[name] = _parse_clock(name, raw[name])
        if "quiet_hours" in raw:
            values["quiet_start"], values["quiet_end"] = _quiet_hours(raw["quiet_hours"])
        if "digest_weekday" in raw:
            values["digest_weekday"] = _weekday(raw["digest_weekday"])
        return cls(**values)

    def is_quiet(self, moment: time) -> bool:
        """Whether a local clock time falls in the quiet hours."""
        start, end = self.quiet_start, self.quiet_end
        if start == end:
            return False
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end


_FIELDS = frozenset(
    {
        "before_days",
        "overdue",
        "nudge_after_days",
        "feedback_after_days",
        "escalate_after_days",
        "send_at",
        "quiet_hours",
        "digest_weekday",
        "digest_at",
        "seminar_materials_days",
    }
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is not 1 day


def _offsets(value: object) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        raise InvalidReminderSettings(
            f"{SETTINGS_KEY}.before_days must be a list of whole days, e.g. [7, 3, 1]"
        )
    days: list[int] = list(value)  # type: ignore[arg-type]
    if any(not 1 <= d <= MAX_OFFSET_DAYS for d in days):
        raise InvalidReminderSettings(
            f"{SETTINGS_KEY}.before_days must lie between 1 and {MAX_OFFSET_DAYS}, got {days}"
        )
    if len(set(days)) != len(days):
        raise InvalidReminderSettings(f"{SETTINGS_KEY}.before_days repeats a day: {days}")
    return tuple(sorted(days, reverse=True))


def _days_or_off(name: str, value: object, limit: int = MAX_WAIT_DAYS) -> int | None:
    if value is None or value is False:
        return None
    if not _is_int(value) or not 1 <= value <= limit:  # type: ignore[operator]
        raise InvalidReminderSettings(
            f"{SETTINGS_KEY}.{name} must be a whole number of days from 1 to {limit}, "
            f"or null to switch it off; got {value!r}"
        )
    return int(value)  # type: ignore[call-overload]


def _parse_clock(name: str, value: object) -> time:
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if match is None or int(match["hour"]) > 23 or int(match["minute"]) > 59:
        raise InvalidReminderSettings(
            f'{SETTINGS_KEY}.{name} must be a local time like "08.00", got {value!r}'
        )
    return time(int(match["hour"]), int(match["minute"]))


def _quiet_hours(value: object) -> tuple[time, time]:
    if not isinstance(value, list) or len(value) != 2:
        raise InvalidReminderSettings(
            f'{SETTINGS_KEY}.quiet_hours must be [start, end], e.g. ["21.00", "06.00"]'
        )
    return _parse_clock("quiet_hours", value[0]), _parse_clock("quiet_hours", value[1])


def _weekday(value: object) -> int | None:
    if value is None or value is False:
        return None
    if _is_int(value) and 0 <= value <= 6:  # type: ignore[operator]
        return int(value)  # type: ignore[call-overload]
    if isinstance(value, str) and value.strip().casefold() in WEEKDAYS:
        return WEEKDAYS[value.strip().casefold()]
    raise InvalidReminderSettings(
        f'{SETTINGS_KEY}.digest_weekday must be 0-6 (Monday is 0) or a day name like "senin", '
        f"or null to switch the digest off; got {value!r}"
    )


def _clock(moment: time) -> str:
    return f"{moment.hour:02d}.{moment.minute:02d}"


# --- moments ------------------------------------------------------------------------------


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date at `moment` for someone living in `zone`."""
    return moment.astimezone(zone).date()


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)


def next_allowed(moment: datetime, zone: ZoneInfo, settings: ReminderSettings) -> datetime:
    """`moment`, or if it falls in the recipient's quiet hours the end of them (UTC)."""
    local = moment.astimezone(zone)
    if not settings.is_quiet(local.time()):
        return moment.astimezone(UTC)
    end_day = local.date()
    if settings.quiet_start > settings.quiet_end and local.time() >= settings.quiet_start:
        end_day += timedelta(days=1)  # evening part of a range that wraps past midnight
    return _at(end_day, settings.quiet_end, zone).astimezone(UTC)


def send_moment(
    day: date, zone: ZoneInfo, settings: ReminderSettings, clock: time | None = None
) -> datetime:
    """The UTC moment to send something meant for the recipient's `day`: the cohort's send
    time (or `clock`) that day in their zone, moved past the quiet hours if it falls in them.
    """
    return next_allowed(_at(day, clock or settings.send_at, zone), zone, settings)


def stale_after(moment: datetime, zone: ZoneInfo, settings: ReminderSettings) -> datetime:
    """When a message due at `moment` stops being worth sending (UTC): the next start of the
    quiet hours, and at the latest the end of that local day, so a reminder delayed by
    downtime neither wakes anyone at night nor arrives on the wrong day."""
    local = moment.astimezone(zone)
    day_end = _at(local.date() + timedelta(days=1), time(0, 0), zone)
    end = day_end
    if settings.quiet_start != settings.quiet_end:
        quiet = _at(local.date(), settings.quiet_start, zone)
        if local < quiet < day_end:
            end = quiet
    return end.astimezone(UTC)


def digest_moment(day: date, zone: ZoneInfo, settings: ReminderSettings) -> datetime:
    """The UTC moment of the weekly digest on `day` (the digest weekday) in the mentor's zone."""
    return send_moment(day, zone, settings, settings.digest_at)


def week_start(day: date, weekday: int) -> date:
    """The latest day on or before `day` that falls on `weekday`."""
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def iso_week(day: date) -> str:
    """ "2026-W46": the ISO week of `day`, part of a digest's dedup key."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def noon(day: date, zone: ZoneInfo) -> datetime:
    """A date as a moment (UTC) for a message parameter: noon in `zone` is the same calendar
    day anywhere from UTC-10 to UTC+12, so the recipient's own zone prints the right date."""
    return _at(day, time(12, 0), zone).astimezone(UTC)


@dataclass(frozen=True)
class Slot:
    """One planned reminder about a milestone: its name in the dedup key and its local day."""

    name: str  # "before7", "before3", "before1", "overdue"
    day: date
    days_left: int  # negative when overdue


def milestone_slots(due_on: date, settings: ReminderSettings) -> list[Slot]:
    """The days (in the participant's zone) on which a milestone due on `due_on` reminds."""
    slots = [Slot(f"before{d}", due_on - timedelta(days=d), d) for d in settings.before_days]
    if settings.overdue:
        slots.append(Slot("overdue", due_on + timedelta(days=1), -1))
    return slots


def slot_offsets(settings: ReminderSettings) -> set[int]:
    """Due date minus reminder day, for every slot: which due dates a day's sweep looks at."""
    offsets = set(settings.before_days)
    if settings.overdue:
        offsets.add(-1)
    return offsets
