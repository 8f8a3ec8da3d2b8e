"""The sweep's shared statements and their parts, built once: a sweep runs every minute and
only binds new values. Each kind's own query lives in its module."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    cast,
    exists,
    literal,
    select,
)
from sqlalchemy.orm import aliased

from domain.enums import UpdateStatus
from domain.roles import Role
from models import (
    Cohort,
    Membership,
    Milestone,
    OutboxMessage,
    Person,
    ProgressUpdate,
    Project,
    Vacation,
)
from models.accounts import has_joined, is_reachable
from models.base import UtcDateTime

participant = aliased(Person, name="participant")
mentor = aliased(Person, name="mentor")
advisor = aliased(Person, name="advisor")
admin = aliased(Person, name="admin")
enrolled = aliased(Membership, name="enrolled")
mentoring = aliased(Membership, name="mentoring")
advising = aliased(Membership, name="advising")
organizing = aliased(Membership, name="organizing")
mentee = aliased(Membership, name="mentee")
# The window of SweepState.window(): when a silence or wait began.
BOUND = bindparam("bound", type_=UtcDateTime())
OLDEST = bindparam("oldest", type_=UtcDateTime())


def reachable(person: Any) -> Any:
    """Joined the bot and has an account that has not blocked it."""
    return is_reachable(person)


def enrolled_in(cohort_id: Any = None) -> Any:
    """The participant's membership (in that cohort, if given), still active."""
    return and_(
        enrolled.person_id == participant.id,
        enrolled.role == Role.PARTICIPANT,
        enrolled.active.is_(True),
        *([] if cohort_id is None else [enrolled.cohort_id == cohort_id]),
    )


def not_planned(*parts: Any) -> Any:
    """No outbox row has the dedup key made of `parts` (literals and integer columns): the
    unique key index answers it per row, so what is already planned costs no round trip."""
    key: Any = literal(parts[0])
    for part in parts[1:]:
        key = key + (part if isinstance(part, str) else cast(part, String))
    return ~exists().where(OutboxMessage.dedup_key == key)


def waiting_reports() -> Any:
    """Reports still waiting for feedback, with their participant, milestone and cohort."""
    return (
        select(
            ProgressUpdate.id,
            ProgressUpdate.author_id,
            ProgressUpdate.submitted_at,
            participant.full_name.label("participant"),
            Milestone.title,
            Project.cohort_id,
        )
        .join(Milestone, Milestone.id == ProgressUpdate.milestone_id)
        .join(Project, Project.id == Milestone.project_id)
        .join(participant, participant.id == ProgressUpdate.author_id)
        .join(enrolled, enrolled_in(Project.cohort_id))
        .where(
            ProgressUpdate.status == UpdateStatus.SUBMITTED,
            Milestone.removed_at.is_(None),
            ProgressUpdate.submitted_at <= BOUND,
            ProgressUpdate.submitted_at >= OLDEST,
        )
    )


COHORTS = select(Cohort.id, Cohort.name, Cohort.settings)

ZONES = select(Person.timezone).where(has_joined(Person)).distinct()

VACATIONS = select(Vacation.person_id, Vacation.starts_on, Vacation.ends_on).where(
    Vacation.ends_on >= bindparam("first"), Vacation.starts_on <= bindparam("last")
)
