"""Small statistics over durations: medians of response times and the like."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta


def median_duration(values: Iterable[timedelta]) -> timedelta | None:
    """The median of some durations, or None when there are none.

    With an even count it is the mean of the two middle values, so two answers after one and
    three hours give two hours, not one of them.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
