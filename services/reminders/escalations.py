"""Escalations: the cohort's admins are told of a report nobody answered in N + M days (the
feedback reminder's wait, then the escalation's), with who has not answered."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.roles import Role
from domain.schedule import ReminderSettings, local_day
from models import Assignment, FeedbackNote, Person, ProgressUpdate, Project
from services.reminders.core import ReminderKind, SweepState, message
from services.reminders.queries import (
    admin,
    not_planned,
    organizing,
    reachable,
    waiting_reports,
)

KIND_ESCALATION = "escalation"

# Each admin of the cohort of a report nobody has answered, who has not been told of it.
_ESCALATIONS = (
    waiting_reports()
    .add_columns(admin.id.label("admin_id"), admin.timezone.label("admin_timezone"))
    .join(
        organizing,
        and_(
            organizing.cohort_id == Project.cohort_id,
            organizing.role == Role.ADMIN,
            organizing.active.is_(True),
        ),
    )
    .join(admin, and_(admin.id == organizing.person_id, reachable(admin)))
    .where(
        ~exists()
        .where(
            FeedbackNote.update_id == ProgressUpdate.id,
            FeedbackNote.author_id != ProgressUpdate.author_id,
        )
        .correlate(ProgressUpdate),
        not_planned("fbesc:", ProgressUpdate.id, ":", admin.id),
    )
)

_ADVISOR_NAMES = (
    select(Assignment.participant_id, Assignment.cohort_id, Person.full_name)
    .join(Person, Person.id == Assignment.advisor_id)
    .where(Assignment.participant_id.in_(bindparam("participant_ids", expanding=True)))
    .order_by(Assignment.kind.desc(), Person.full_name)  # mentors first
)


def escalation_key(update_id: int) -> str:
    """The prefix of the organizers' "nobody has answered" messages about a report."""
    return f"fbesc:{update_id}:"


def _escalation_days(settings: ReminderSettings) -> int | None:
    if not settings.feedback_after_days or not settings.escalate_after_days:
        return None
    return settings.feedback_after_days + settings.escalate_after_days


async def find(session: AsyncSession, state: SweepState) -> None:
    """The cohort's admins, of a report nobody answered in N + M days."""
    waits = [d for s in state.all_settings() if (d := _escalation_days(s))]
    if not waits:
        return
    found = []
    for row in (await session.execute(_ESCALATIONS, state.window(min(waits), max(waits)))).all():
        wait = _escalation_days(state.settings(row.cohort_id))
        if not wait:
            continue
        zone_name = row.admin_timezone
        due = local_day(row.submitted_at, state.zone(zone_name)) + timedelta(days=wait)
        day = max(due, state.today(zone_name))
        timing = state.timing(row.cohort_id, zone_name, day, known_since=state.now)
        if timing is not None:
            found.append((row, day, timing))
    if not found:
        return
    # Who has not answered: every advisor of the participant, since nobody has.
    names: dict[tuple[int, int], list[str]] = defaultdict(list)
    participants = sorted({row.author_id for row, _, _ in found})
    for participant_id, cohort_id, name in (
        await session.execute(_ADVISOR_NAMES, {"participant_ids": participants})
    ).tuples():
        names[(participant_id, cohort_id)].append(name)
    for row, day, timing in found:
        state.add(
            timing,
            key=f"{escalation_key(row.id)}{row.admin_id}",
            kind=KIND_ESCALATION,
            recipient_id=row.admin_id,
            cohort_id=row.cohort_id,
            day=day,
            build=message(
                "reminder.feedback_escalation",
                participant=row.participant,
                cohort=state.cohorts[row.cohort_id][0],
                milestone=row.title,
                submitted=row.submitted_at,
                advisors=", ".join(names[(row.author_id, row.cohort_id)]),
            ),
        )


# Its query leaves out the escalations planned already.
REMINDER_KIND = ReminderKind(KIND_ESCALATION, find, filtered_in_sql=True)
