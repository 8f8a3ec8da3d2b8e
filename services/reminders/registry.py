"""Every reminder kind the sweep runs, in order: a new kind is its module plus one line here."""

from __future__ import annotations

from services.reminders import (
    digests,
    escalations,
    feedback_waits,
    milestones,
    nudges,
    seminar_materials,
)
from services.reminders.core import ReminderKind

KINDS: tuple[ReminderKind, ...] = (
    milestones.REMINDER_KIND,
    nudges.REMINDER_KIND,
    feedback_waits.REMINDER_KIND,
    escalations.REMINDER_KIND,
    digests.REMINDER_KIND,
    seminar_materials.REMINDER_KIND,
)
