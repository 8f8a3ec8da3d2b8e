"""What is due, into the outbox: milestone reminders, nudges, feedback reminders, escalations,
digests, and the request for a seminar's report and slides; one module per kind.

The scheduler only triggers the sweep (every minute, through `ReminderSweep`, the one object
that tests and the demo drive too); what is due is derived from our tables each time, so a
restart loses nothing, and every message has a dedup key, so nothing is planned twice however
often, or however concurrently, the sweep runs. A message is planned when its moment has come
(`PLAN_AHEAD` early at most), so late changes (an approval, a new target date, a vacation)
count until the last moment; and it expires when the recipient's quiet hours begin that day,
so a late one never wakes anyone nor arrives on the wrong day.

After downtime (the first sweep after a restart looks back `LOOKBACK`; later ones look back to
the previous committed sweep): what is still useful goes out late, that is whatever is due
today, and a nudge, feedback reminder or escalation whose day fell in the gap; a milestone
reminder or digest whose window closed unplanned is recorded as dropped ("stale") and counted
once. A reminder suppressed by a vacation is not postponed.

Cost: a sweep reads the few target dates with a reminder day since the previous sweep (one
query on the (due_on, status) index, joined to the participant and mentor) and asks the
outbox's unique key index which of those exist; nudges and feedback reminders already planned
are left out inside their queries. bench/sweep.py measures it over 100,000 milestones.

The rooms:
    sweeper.py            `sweep` (one sweep in the caller's transaction) and `ReminderSweep`
    registry.py           `KINDS`: every kind, in the order the sweep runs them
    core.py               one sweep's state (`SweepState`), `SweepResult`, `ReminderKind`
    queries.py            statement parts the kinds share (who is enrolled, reachable, ...)
    planning.py           into the outbox: keys looked up, rows inserted in one executemany
    milestones.py         N days before a target date, and overdue (also to the mentor)
    nudges.py             a participant silent for N days
    feedback_waits.py     an advisor whose feedback on a report has waited N days
    escalations.py        the admins, of a report nobody answered in N + M days
    digests.py            each mentor's weekly digest
    seminar_materials.py  a presenter's laporan and bahan tayang, N days before the seminar

A new kind is one module and one line in registry.py. The module finds what is due and adds
it to the sweep's state; the core plans it, dedups it by key, skips vacations, expires it at
quiet hours and records it as stale when its window passed during downtime::

    # services/reminders/welcome_backs.py
    KIND_WELCOME_BACK = "welcome_back"

    async def find(session: AsyncSession, state: SweepState) -> None:
        for person_id, zone_name, cohort_id, last_day in await session.execute(_BACK):
            timing = state.timing(cohort_id, zone_name, last_day, known_since=None)
            if timing is not None:
                state.add(
                    timing,
                    key=f"back:{person_id}:{last_day}",
                    kind=KIND_WELCOME_BACK,
                    recipient_id=person_id,
                    cohort_id=cohort_id,
                    day=last_day,
                    build=message("reminder.welcome_back"),
                )

    REMINDER_KIND = ReminderKind(KIND_WELCOME_BACK, find)

    # services/reminders/registry.py, in KINDS:
    welcome_backs.REMINDER_KIND,

A kind whose query already leaves out what is planned says `filtered_in_sql=True` (the sweep
then skips the key lookup); one that fills in a message only once it is known to be new (the
digest's lines) gives a `finish`.
"""

from __future__ import annotations

from services.reminders.core import (
    CANCELLED,
    LOOKBACK,
    OPEN,
    PLAN_AHEAD,
    STALE,
    ReminderKind,
    SweepResult,
)
from services.reminders.digests import KIND_DIGEST
from services.reminders.escalations import KIND_ESCALATION, escalation_key
from services.reminders.feedback_waits import (
    KIND_FEEDBACK,
    feedback_wait_key,
    refresh_feedback_reminders,
    settle_feedback_reminders,
)
from services.reminders.milestones import KIND_MILESTONE, milestone_key, replan_milestone
from services.reminders.nudges import KIND_NUDGE
from services.reminders.planning import release_cancelled
from services.reminders.registry import KINDS
from services.reminders.seminar_materials import (
    KIND_SEMINAR_MATERIALS,
    materials_stamp,
    seminar_materials_key,
)
from services.reminders.sweeper import ReminderSweep, sweep

# The name the sweep's owner had before the package: callers that still use it keep working.
Sweeper = ReminderSweep

__all__ = [
    "CANCELLED",
    "KINDS",
    "KIND_DIGEST",
    "KIND_ESCALATION",
    "KIND_FEEDBACK",
    "KIND_MILESTONE",
    "KIND_NUDGE",
    "KIND_SEMINAR_MATERIALS",
    "LOOKBACK",
    "OPEN",
    "PLAN_AHEAD",
    "STALE",
    "ReminderKind",
    "ReminderSweep",
    "SweepResult",
    "Sweeper",
    "escalation_key",
    "feedback_wait_key",
    "materials_stamp",
    "milestone_key",
    "refresh_feedback_reminders",
    "release_cancelled",
    "replan_milestone",
    "seminar_materials_key",
    "settle_feedback_reminders",
    "sweep",
]
