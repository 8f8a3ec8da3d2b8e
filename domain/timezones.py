"""Indonesian time zones (WIB, WITA, WIT): parsing, labels and storage codes."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WIB = ZoneInfo("Asia/Jakarta")  # UTC+7
WITA = ZoneInfo("Asia/Makassar")  # UTC+8
WIT = ZoneInfo("Asia/Jayapura")  # UTC+9

# Labels people type and read; the zones have no daylight saving, so they never change.
ZONES_BY_LABEL: dict[str, ZoneInfo] = {"WIB": WIB, "WITA": WITA, "WIT": WIT}

# Every IANA zone in Indonesia, by label. Asia/Ujung_Pandang is the old name of Makassar.
_INDONESIAN_LABELS: dict[str, str] = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Ujung_Pandang": "WITA",
    "Asia/Jayapura": "WIT",
}


class UnknownZone(ValueError):
    """A time zone we cannot resolve; `code` is a message-catalog key, `params` its values."""

    def __init__(self, code: str, params: dict[str, object]) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@cache
def _iana_keys_by_folded_name() -> dict[str, str]:
    # People type "asia/jakarta"; the tz database is case-sensitive.
    return {key.casefold(): key for key in available_timezones()}


def parse_zone(raw: str) -> ZoneInfo:
    """Resolve "WIB"/"WITA"/"WIT" (any case) or an IANA name such as "Europe/Amsterdam"."""
    text = raw.strip()
    if not text:
        raise UnknownZone("zone.error.empty", {})
    by_label = ZONES_BY_LABEL.get(text.upper())
    if by_label is not None:
        return by_label
    key = _iana_keys_by_folded_name().get(text.casefold())
    if key is None:
        raise UnknownZone("zone.error.unknown", {"value": text})
    return ZoneInfo(key)


def zone_code(tz: ZoneInfo) -> str:
    """The string to store for `tz`: its IANA key (parse_zone reads it back)."""
    if tz.key is None:
        raise ValueError("a ZoneInfo without an IANA key cannot be stored")
    return tz.key


def stored_zone(key: str | None) -> ZoneInfo:
    """The zone stored as `key` (zone_code's output); WIB when it is missing or unknown here,
    so a record written on another system still renders instead of failing."""
    try:
        return ZoneInfo(key) if key else WIB
    except (ZoneInfoNotFoundError, ValueError):
        return WIB


def zone_label(tz: ZoneInfo, at: datetime) -> str:
    """The label to print after a time in `tz` at instant `at`: "WIB", "CET", "UTC+5:30"."""
    label = _INDONESIAN_LABELS.get(tz.key or "")
    if label is not None:
        return label
    local = at.astimezone(tz) if at.tzinfo is not None else at.replace(tzinfo=tz)
    abbreviation = local.tzname() or ""
    if abbreviation.isalpha() and abbreviation.isascii():
        return abbreviation
    return _utc_offset_label(local.utcoffset() or timedelta(0))


def _utc_offset_label(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
