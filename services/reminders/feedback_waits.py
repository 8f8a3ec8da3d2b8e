"""Feedback reminders: each mentor or coach whose feedback on a report has been waiting N days
gets the report itself, with its buttons; settled as soon as somebody answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain import actions
from domain.enums import AdvisorKind, OutboxStatus
from domain.progress import progress_bar
from domain.report_body import report_body
from domain.schedule import local_day
from models import Assignment, Evidence, FeedbackNote, OutboxMessage, ProgressUpdate, Project
from services import outbox
from services.outbox import Button, Outgoing
from services.reminders.core import CANCELLED, ReminderKind, SweepState
from services.reminders.escalations import escalation_key
from services.reminders.queries import (
    advising,
    advisor,
    not_planned,
    participant,
    reachable,
    waiting_reports,
)

KIND_FEEDBACK = "feedback_wait"

# Each advisor who has not answered a waiting report, and has not been reminded of it; with
# the report itself, which the reminder carries.
_FEEDBACK = (
    waiting_reports()
    .add_columns(
        advisor.id.label("advisor_id"),
        advisor.timezone.label("advisor_timezone"),
        Assignment.kind.label("relation"),
        ProgressUpdate.text,
        ProgressUpdate.progress_percent,
        ProgressUpdate.obstacles,
        ProgressUpdate.next_steps,
        select(func.count(Evidence.id))
        .where(Evidence.update_id == ProgressUpdate.id)
        .correlate(ProgressUpdate)
        .scalar_subquery()
        .label("evidence"),
    )
    .join(
        Assignment,
        and_(
            Assignment.participant_id == participant.id,
            Assignment.cohort_id == Project.cohort_id,
        ),
    )
    .join(advisor, and_(advisor.id == Assignment.advisor_id, reachable(advisor)))
    .join(
        advising,
        and_(
            advising.person_id == advisor.id,
            advising.cohort_id == Project.cohort_id,
            advising.active.is_(True),
        ),
    )
    .where(
        ~exists()
        .where(
            FeedbackNote.update_id == ProgressUpdate.id,
            FeedbackNote.author_id == Assignment.advisor_id,
        )
        .correlate(ProgressUpdate, Assignment),
        not_planned("fbwait:", ProgressUpdate.id, ":", advisor.id),
    )
)


def feedback_wait_key(update_id: int, advisor_id: int | None = None) -> str:
    """A feedback reminder's key; without an advisor, the prefix of every one about the report."""
    return f"fbwait:{update_id}:" if advisor_id is None else f"fbwait:{update_id}:{advisor_id}"


async def settle_feedback_reminders(
    session: AsyncSession, update_id: int, *, advisor_id: int | None
) -> None:
    """An advisor answered the report (`advisor_id`), or it was signed off or sent back for
    revision (None: it waits for nobody now). Reminders are queued minutes before they go and
    wait longer for a retry: those still unsent must not say it waits for an answer.

    Cancelled, their keys are not given back: the sweep never plans them again."""
    await outbox.cancel(session, escalation_key(update_id))  # somebody has answered
    if advisor_id is None:
        await outbox.cancel(session, feedback_wait_key(update_id))
        return
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedup_key == feedback_wait_key(update_id, advisor_id),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.DROPPED, last_error=CANCELLED)
        .execution_options(synchronize_session=False)
    )


async def refresh_feedback_reminders(
    session: AsyncSession,
    update_id: int,
    text: str,
    obstacles: str | None,
    next_steps: str | None,
) -> None:
    """A corrected report: the feedback reminders not yet sent carry its words as they are now."""
    messages = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.dedup_key.startswith(feedback_wait_key(update_id), autoescape=True),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    )
    for message in messages:
        payload = dict(message.payload)
        payload["params"] = {
            **payload.get("params", {}),
            "body": report_body(text, obstacles, next_steps),
        }
        message.payload = payload


async def find(session: AsyncSession, state: SweepState) -> None:
    """Each mentor or coach whose feedback on a report has been waiting N days."""
    waits = [s.feedback_after_days for s in state.all_settings() if s.feedback_after_days]
    if not waits:
        return
    rows = await session.execute(_FEEDBACK, state.window(min(waits), max(waits)))
    for row in rows.all():
        wait = state.settings(row.cohort_id).feedback_after_days
        if not wait:
            continue
        zone_name = row.advisor_timezone
        due = local_day(row.submitted_at, state.zone(zone_name)) + timedelta(days=wait)
        day = max(due, state.today(zone_name))
        timing = state.timing(row.cohort_id, zone_name, day, known_since=state.now)
        if timing is None:
            continue
        state.add(
            timing,
            key=feedback_wait_key(row.id, row.advisor_id),
            kind=KIND_FEEDBACK,
            recipient_id=row.advisor_id,
            cohort_id=row.cohort_id,
            day=day,
            build=_feedback_wait(row),
        )


def _feedback_wait(row: Any) -> Callable[[], Outgoing]:
    """The report itself, with the buttons of a relayed report, bound to the advisor once
    sent (`thread`), so they answer from the reminder instead of looking it up."""
    buttons = [
        Button("report.button.feedback", actions.advisor_action(actions.GIVE_FEEDBACK, row.id)),
        Button("report.button.acknowledge", actions.advisor_action(actions.ACKNOWLEDGE, row.id)),
        Button("report.button.revision", actions.advisor_action(actions.ASK_REVISION, row.id)),
    ]
    rows = [buttons[:2], buttons[2:]]
    if row.progress_percent == 100 and row.relation is AdvisorKind.MENTOR:
        approve = actions.advisor_action(actions.APPROVE, row.id)
        rows.insert(0, [Button("report.button.approve", approve)])
    return lambda: Outgoing(
        "reminder.feedback_wait.report",
        {
            "participant": row.participant,
            "milestone": row.title,
            "submitted": row.submitted_at,
            "bar": progress_bar(row.progress_percent),
            "evidence": row.evidence,
            "body": report_body(row.text, row.obstacles, row.next_steps),
        },
        buttons=rows,
        thread=row.id,
    )


# Its query leaves out the feedback reminders planned already.
REMINDER_KIND = ReminderKind(KIND_FEEDBACK, find, filtered_in_sql=True)
