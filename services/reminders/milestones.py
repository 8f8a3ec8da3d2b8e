"""Milestone reminders: N days before a target date and on the first day overdue (then also to
the participant's mentor); cancelled and planned anew when the date moves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import AdvisorKind
from domain.progress import progress_bar
from domain.schedule import Slot, milestone_slots, slot_offsets
from models import Assignment, Milestone, Project
from services import outbox
from services.outbox import Outgoing
from services.reminders.core import DEFAULTS, OPEN, ReminderKind, SweepState, report_now
from services.reminders.planning import release_cancelled
from services.reminders.queries import (
    enrolled,
    enrolled_in,
    mentor,
    mentoring,
    participant,
    reachable,
)

KIND_MILESTONE = "reminder"

# The (due_on, status) index picks the few target dates with a reminder day now; joins bring
# the participant and their mentor (one row per mentor).
_MILESTONES = (
    select(
        Milestone.id,
        Milestone.title,
        Milestone.due_on,
        Milestone.progress_percent,
        func.coalesce(Milestone.updated_at, Milestone.created_at).label("known_since"),
        Project.cohort_id,
        participant.id.label("participant_id"),
        participant.full_name,
        participant.timezone,
        mentor.id.label("mentor_id"),
        mentor.timezone.label("mentor_timezone"),
    )
    .join(Project, Project.id == Milestone.project_id)
    .join(participant, participant.id == Project.participant_id)
    .join(enrolled, enrolled_in(Project.cohort_id))
    .outerjoin(
        Assignment,
        and_(
            Assignment.participant_id == participant.id,
            Assignment.cohort_id == Project.cohort_id,
            Assignment.kind == AdvisorKind.MENTOR,
        ),
    )
    .outerjoin(
        mentoring,
        and_(
            mentoring.person_id == Assignment.advisor_id,
            mentoring.cohort_id == Project.cohort_id,
            mentoring.active.is_(True),
        ),
    )
    .outerjoin(mentor, and_(mentor.id == mentoring.person_id, reachable(mentor)))
    .where(
        Milestone.due_on.in_(bindparam("due_dates", expanding=True)),
        Milestone.status.in_(OPEN),
        Milestone.removed_at.is_(None),
        reachable(participant),
    )
)


def milestone_key(milestone_id: int) -> str:
    """The prefix of every reminder about a milestone, for cancelling them."""
    return f"ms:{milestone_id}:"


async def replan_milestone(session: AsyncSession, milestone_id: int) -> int:
    """Cancel the milestone's reminders not yet sent (its date changed, or it was removed);
    the next sweep plans what the milestone needs now. Returns how many were cancelled.

    A cancelled reminder was never sent, so it gives its key back: should the date return to
    the old one, that reminder can be planned again.
    """
    prefix = milestone_key(milestone_id)
    cancelled = await outbox.cancel(session, prefix)
    if cancelled:
        await release_cancelled(session, prefix)
    return cancelled


async def find(session: AsyncSession, state: SweepState) -> None:
    """One query over the due-date index for every milestone with a reminder day now."""
    offsets: set[int] = set()
    for settings in {*state.all_settings(), DEFAULTS}:
        offsets |= slot_offsets(settings)
    days = state.days()
    if not offsets or not days:
        return
    due_dates = sorted({day + timedelta(days=o) for day in days for o in offsets})
    slots: dict[tuple[int, date], list[Slot]] = {}
    for row in (await session.execute(_MILESTONES, {"due_dates": due_dates})).all():
        cohort_id = row.cohort_id
        plan = slots.get((cohort_id, row.due_on))
        if plan is None:
            plan = slots[(cohort_id, row.due_on)] = milestone_slots(
                row.due_on, state.settings(cohort_id)
            )
        for slot in plan:
            timing = state.timing(cohort_id, row.timezone, slot.day, row.known_since)
            if timing is not None:
                if slot.name == "overdue":
                    build = _overdue(row.id, row.title, row.due_on)
                else:
                    build = _before(row.id, row.title, row.due_on, slot.days_left)
                state.add(
                    timing,
                    key=f"{milestone_key(row.id)}{slot.name}:{row.due_on}",
                    kind=KIND_MILESTONE,
                    recipient_id=row.participant_id,
                    cohort_id=cohort_id,
                    day=slot.day,
                    build=build,
                )
            if slot.name != "overdue" or row.mentor_id is None:
                continue
            timing = state.timing(cohort_id, row.mentor_timezone, slot.day, row.known_since)
            if timing is not None:
                state.add(
                    timing,
                    key=f"{milestone_key(row.id)}overdue:{row.due_on}:mentor:{row.mentor_id}",
                    kind=KIND_MILESTONE,
                    recipient_id=row.mentor_id,
                    cohort_id=cohort_id,
                    day=slot.day,
                    build=_overdue_for_mentor(
                        row.full_name, row.title, row.due_on, row.progress_percent
                    ),
                )


def _before(milestone_id: int, title: str, due_on: date, days: int) -> Callable[[], Outgoing]:
    key = "reminder.milestone.tomorrow" if days == 1 else "reminder.milestone.before"
    return lambda: Outgoing(
        key,
        {"title": title, "due_date": due_on, "days": days},
        buttons=report_now(milestone_id),
    )


def _overdue(milestone_id: int, title: str, due_on: date) -> Callable[[], Outgoing]:
    return lambda: Outgoing(
        "reminder.milestone.overdue",
        {"title": title, "due_date": due_on},
        buttons=report_now(milestone_id),
    )


def _overdue_for_mentor(
    participant: str, title: str, due_on: date, percent: int
) -> Callable[[], Outgoing]:
    return lambda: Outgoing(
        "reminder.milestone.overdue_mentor",
        {
            "participant": participant,
            "title": title,
            "due_date": due_on,
            "bar": progress_bar(percent),
        },
    )


REMINDER_KIND = ReminderKind(KIND_MILESTONE, find)
