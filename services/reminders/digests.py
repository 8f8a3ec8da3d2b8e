"""The weekly digest: each mentor, on the digest day at the digest time in their own zone, gets
their mentees' progress and how many of their reports wait for the mentor."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import AdvisorKind, UpdateStatus
from domain.progress import progress_bar
from domain.roles import Role
from domain.schedule import iso_week, week_start
from models import Assignment, FeedbackNote, Membership, Milestone, Person, ProgressUpdate, Project
from services.outbox import Outgoing
from services.reminders.core import Candidate, ReminderKind, SweepState, message
from services.reminders.queries import enrolled, enrolled_in, mentee, participant, reachable

KIND_DIGEST = "digest"

# Mentors with at least one active mentee, once per cohort they mentor in.
_MENTORS = (
    select(Person.id, Person.timezone, Person.joined_at, Membership.cohort_id)
    .join(Membership, Membership.person_id == Person.id)
    .where(
        Membership.role == Role.MENTOR,
        Membership.active.is_(True),
        reachable(Person),
        exists()
        .where(
            Assignment.advisor_id == Person.id,
            Assignment.cohort_id == Membership.cohort_id,
            Assignment.kind == AdvisorKind.MENTOR,
            mentee.person_id == Assignment.participant_id,
            mentee.cohort_id == Assignment.cohort_id,
            mentee.role == Role.PARTICIPANT,
            mentee.active.is_(True),
        )
        .correlate(Person, Membership),
    )
    .order_by(Person.id, Membership.cohort_id)
)

_MENTEES = (
    select(Assignment.advisor_id, participant.full_name, Project.id.label("project_id"))
    .join(participant, participant.id == Assignment.participant_id)
    .join(enrolled, enrolled_in(Assignment.cohort_id))
    .outerjoin(
        Project,
        and_(
            Project.participant_id == participant.id,
            Project.cohort_id == Assignment.cohort_id,
        ),
    )
    .where(
        Assignment.advisor_id.in_(bindparam("mentor_ids", expanding=True)),
        Assignment.kind == AdvisorKind.MENTOR,
    )
    .order_by(participant.full_name, participant.id)
)

_PROGRESS = (
    select(Milestone.project_id, func.avg(Milestone.progress_percent))
    .where(
        Milestone.project_id.in_(bindparam("project_ids", expanding=True)),
        Milestone.removed_at.is_(None),
    )
    .group_by(Milestone.project_id)
)

_SUBMITTED = (
    select(ProgressUpdate.id, Milestone.project_id)
    .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
    .where(
        Milestone.project_id.in_(bindparam("project_ids", expanding=True)),
        ProgressUpdate.status == UpdateStatus.SUBMITTED,
    )
)

_ANSWERED = select(FeedbackNote.update_id, FeedbackNote.author_id).where(
    FeedbackNote.update_id.in_(bindparam("update_ids", expanding=True)),
    FeedbackNote.author_id.in_(bindparam("mentor_ids", expanding=True)),
)


async def find(session: AsyncSession, state: SweepState) -> None:
    """Each mentor's weekly digest, on the digest day at the digest time in their own zone."""
    weekdays = {s.digest_weekday for s in state.all_settings()} - {None}
    if not weekdays & {day.weekday() for day in state.days()}:
        return  # no digest day since the last sweep, anywhere
    mentors: dict[int, tuple[str, datetime | None, int]] = {}
    for person_id, zone_name, joined_at, cohort_id in (await session.execute(_MENTORS)).tuples():
        # A mentor in several cohorts gets one digest, timed by the newest cohort's settings.
        mentors[person_id] = (zone_name, joined_at, cohort_id)
    for mentor_id, (zone_name, joined_at, cohort_id) in mentors.items():
        settings = state.settings(cohort_id)
        if settings.digest_weekday is None:
            continue
        day = week_start(state.today(zone_name), settings.digest_weekday)
        timing = state.timing(cohort_id, zone_name, day, joined_at, settings.digest_at)
        if timing is None:
            continue
        state.add(
            timing,
            key=f"digest:{mentor_id}:{iso_week(day)}",
            kind=KIND_DIGEST,
            recipient_id=mentor_id,
            cohort_id=cohort_id,
            day=day,
            # The lines are added by finish(), and only for digests that are actually new.
            build=message("reminder.digest", week_date=day),
        )


async def finish(
    session: AsyncSession, candidates: Sequence[Candidate]
) -> Mapping[str, Outgoing | None]:
    """The lines of the digests about to be planned (a missed one is only recorded, as is);
    a mentor left without an active mentee since the sweep began gets none."""
    fresh = [c for c in candidates if not c.timing.stale]
    if not fresh:
        return {}
    lines = await _digest_lines(session, sorted({c.recipient_id for c in fresh}))
    finished: dict[str, Outgoing | None] = {}
    for candidate in fresh:
        entries = lines.get(candidate.recipient_id)
        if not entries:
            finished[candidate.key] = None  # no active participant left: nothing to say
            continue
        found = candidate.build()
        finished[candidate.key] = Outgoing(
            found.key,
            {**found.params, "lines": _digest_text(entries), "count": len(entries)},
        )
    return finished


async def _digest_lines(
    session: AsyncSession, mentor_ids: Sequence[int]
) -> dict[int, list[tuple[str, int, int]]]:
    """Per mentor: (participant, progress %, reports waiting for this mentor), by name."""
    rows = (await session.execute(_MENTEES, {"mentor_ids": list(mentor_ids)})).all()
    mentors_of: dict[int, set[int]] = defaultdict(set)
    for mentor_id, _, project_id in rows:
        if project_id is not None:
            mentors_of[project_id].add(mentor_id)
    progress: dict[int, int] = {}
    waiting: Counter[tuple[int, int]] = Counter()  # (mentor, project)
    if mentors_of:
        project_ids = sorted(mentors_of)
        for project_id, mean in (
            await session.execute(_PROGRESS, {"project_ids": project_ids})
        ).tuples():
            progress[project_id] = round(float(mean or 0))
        submitted = (await session.execute(_SUBMITTED, {"project_ids": project_ids})).all()
        answered: set[tuple[int, int]] = set()
        if submitted:
            answered = set(
                (
                    await session.execute(
                        _ANSWERED,
                        {"update_ids": [u for u, _ in submitted], "mentor_ids": list(mentor_ids)},
                    )
                ).tuples()
            )
        for update_id, project_id in submitted:
            for mentor_id in mentors_of[project_id]:
                if (update_id, mentor_id) not in answered:
                    waiting[(mentor_id, project_id)] += 1
    lines: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for mentor_id, name, project_id in rows:
        if project_id is None:
            lines[mentor_id].append((name, 0, 0))
        else:
            lines[mentor_id].append(
                (name, progress.get(project_id, 0), waiting[(mentor_id, project_id)])
            )
    return lines


def _digest_text(lines: Iterable[tuple[str, int, int]]) -> str:
    # Names, bars and numbers only, so the text is the same in every language; the catalog
    # message around it explains the hourglass.
    return "\n".join(
        f"• {name}\n   {progress_bar(percent)} · ⏳ {count}" for name, percent, count in lines
    )


REMINDER_KIND = ReminderKind(KIND_DIGEST, find, finish=finish)
