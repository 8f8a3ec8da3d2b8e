"""Nudges: a participant silent for N days since their last report (or since joining) is
reminded once per silence (the key names the last report)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from domain.project_term import ProjectTerm, term_param
from domain.schedule import local_day
from models import Milestone, Person, ProgressUpdate, Project
from services.outbox import Outgoing
from services.reminders.core import OPEN, ReminderKind, SweepState, report_now
from services.reminders.queries import (
    BOUND,
    OLDEST,
    enrolled,
    enrolled_in,
    not_planned,
    participant,
    reachable,
)
from services.terms import cohort_terms

KIND_NUDGE = "nudge"

# Who has been silent long enough, by their last report (or, never reported, since joining):
# narrowed first, so the per-person checks below run for a few people, not everyone.
_last_report = func.max(ProgressUpdate.submitted_at)
_silent = union_all(
    select(
        ProgressUpdate.author_id.label("person_id"),
        _last_report.label("since"),
        func.max(ProgressUpdate.id).label("last_id"),
    )
    .group_by(ProgressUpdate.author_id)
    .having(and_(_last_report <= BOUND, _last_report >= OLDEST)),
    select(
        Person.id.label("person_id"),
        Person.joined_at.label("since"),
        literal(0).label("last_id"),
    ).where(
        Person.joined_at <= BOUND,
        Person.joined_at >= OLDEST,
        ~exists().where(ProgressUpdate.author_id == Person.id),
    ),
).subquery("silent")
_NUDGES = (
    select(
        participant.id,
        participant.timezone,
        enrolled.cohort_id,
        _silent.c.since,
        _silent.c.last_id,
    )
    .join_from(_silent, participant, participant.id == _silent.c.person_id)
    .join(enrolled, enrolled_in())
    .where(
        reachable(participant),
        # Nothing to report on without an open milestone.
        exists()
        .where(
            Project.participant_id == participant.id,
            Project.cohort_id == enrolled.cohort_id,
            Milestone.project_id == Project.id,
            Milestone.removed_at.is_(None),
            Milestone.status.in_(OPEN),
        )
        .correlate(participant, enrolled),
        not_planned("nudge:", participant.id, ":", _silent.c.last_id),
    )
)


async def find(session: AsyncSession, state: SweepState) -> None:
    """Participants silent for N days since their last report (or since joining)."""
    waits = [s.nudge_after_days for s in state.all_settings() if s.nudge_after_days]
    if not waits:
        return
    rows = (await session.execute(_NUDGES, state.window(min(waits), max(waits)))).tuples().all()
    terms = await cohort_terms(session, {row[2] for row in rows})
    for person_id, zone_name, cohort_id, silent_since, last_id in rows:
        wait = state.settings(cohort_id).nudge_after_days
        if not wait:
            continue
        due = local_day(silent_since, state.zone(zone_name)) + timedelta(days=wait)
        day = max(due, state.today(zone_name))  # still worth sending a little late
        timing = state.timing(cohort_id, zone_name, day, known_since=state.now)
        if timing is None:
            continue
        key = "reminder.nudge" if last_id else "reminder.nudge.never"
        state.add(
            timing,
            key=f"nudge:{person_id}:{last_id or 0}",
            kind=KIND_NUDGE,
            recipient_id=person_id,
            cohort_id=cohort_id,
            day=day,
            build=_nudge(key, silent_since, terms.get(cohort_id, ProjectTerm.PROYEK_PERUBAHAN)),
        )


def _nudge(key: str, since: datetime, term: ProjectTerm) -> Callable[[], Outgoing]:
    return lambda: Outgoing(
        key, {"since": since, "term": term_param(term)}, buttons=report_now(None)
    )


# Its query leaves out the nudges planned already.
REMINDER_KIND = ReminderKind(KIND_NUDGE, find, filtered_in_sql=True)
