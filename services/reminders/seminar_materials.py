"""The request for a seminar's report and slides: N days before a seminar each presenter is
asked for their laporan and bahan tayang, and the cohort's admins get the list of presenters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import SeminarStatus
from domain.materials import materials_button_data
from domain.project_term import ProjectTerm, term_param
from domain.roles import Role
from domain.schedule import local_day
from models import Membership, Person, Seminar, SeminarPresenter
from models.base import UtcDateTime
from services.outbox import Button, Outgoing
from services.reminders.core import DEFAULTS, ReminderKind, SweepState, message
from services.reminders.queries import enrolled, enrolled_in, participant, reachable
from services.terms import cohort_terms

KIND_SEMINAR_MATERIALS = "seminar_materials"

# Scheduled seminars still ahead, one row per presenter still enrolled (the admins' summary
# names them all; only those who joined and can be reached are reminded themselves).
_SEMINAR_PRESENTERS = (
    select(
        Seminar.id,
        Seminar.cohort_id,
        Seminar.kind,
        Seminar.starts_at,
        Seminar.place,
        Seminar.online_link,
        func.coalesce(Seminar.updated_at, Seminar.created_at).label("known_since"),
        participant.id.label("presenter_id"),
        participant.full_name,
        participant.timezone,
        reachable(participant).label("reachable"),
    )
    .join(SeminarPresenter, SeminarPresenter.seminar_id == Seminar.id)
    .join(participant, participant.id == SeminarPresenter.participant_id)
    .join(enrolled, enrolled_in(Seminar.cohort_id))
    .where(
        Seminar.status == SeminarStatus.SCHEDULED,
        Seminar.starts_at > bindparam("now", type_=UtcDateTime()),
        Seminar.starts_at <= bindparam("until", type_=UtcDateTime()),
    )
    .order_by(Seminar.starts_at, Seminar.id, participant.full_name, participant.id)
)

_COHORT_ADMINS = (
    select(Membership.cohort_id, Person.id, Person.timezone)
    .join(Person, Person.id == Membership.person_id)
    .where(
        Membership.cohort_id.in_(bindparam("cohort_ids", expanding=True)),
        Membership.role == Role.ADMIN,
        Membership.active.is_(True),
        reachable(Person),
    )
    .order_by(Membership.cohort_id, Person.id)
)


def seminar_materials_key(seminar_id: int) -> str:
    """The prefix of a seminar's materials reminders: inside the seminar's own prefix, so
    moving or cancelling the seminar (which cancels everything under it) cancels them too."""
    return f"seminar:{seminar_id}:materials:"


def materials_stamp(starts_at: datetime) -> str:
    """The seminar's start in its materials keys: a move is a new reminder, the same start
    after a move back is the same one."""
    return starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M")


@dataclass
class _Materials:
    """One seminar whose presenters send their report and slides ahead of it."""

    cohort_id: int
    kind: str
    starts_at: datetime
    where: str
    known_since: datetime | None
    presenters: list[tuple[int, str, str, bool]] = field(default_factory=list)


async def find(session: AsyncSession, state: SweepState) -> None:
    """N days before a seminar (local day, at the send time): each presenter is asked for
    their report (laporan) and slides (bahan tayang); the cohort's admins get the list."""
    offsets = [
        s.seminar_materials_days
        for s in [*state.all_settings(), DEFAULTS]
        if s.seminar_materials_days
    ]
    if not offsets:
        return
    # A day of slack each side covers every zone from UTC-12 to UTC+14.
    until = state.now + timedelta(days=max(offsets) + 2)
    seminars: dict[int, _Materials] = {}
    for row in (
        await session.execute(_SEMINAR_PRESENTERS, {"now": state.now, "until": until})
    ).all():
        entry = seminars.get(row.id)
        if entry is None:
            where = " · ".join(part for part in (row.place, row.online_link) if part)
            entry = seminars[row.id] = _Materials(
                row.cohort_id, row.kind.value, row.starts_at, where, row.known_since
            )
        entry.presenters.append((row.presenter_id, row.full_name, row.timezone, row.reachable))
    if not seminars:
        return
    admins: dict[int, list[tuple[int, str]]] = defaultdict(list)
    cohort_ids = sorted({entry.cohort_id for entry in seminars.values()})
    for cohort_id, admin_id, zone_name in (
        await session.execute(_COHORT_ADMINS, {"cohort_ids": cohort_ids})
    ).tuples():
        admins[cohort_id].append((admin_id, zone_name))
    terms = await cohort_terms(session, cohort_ids)
    for seminar_id, entry in seminars.items():
        days = state.settings(entry.cohort_id).seminar_materials_days
        if not days:
            continue
        prefix = f"{seminar_materials_key(seminar_id)}{materials_stamp(entry.starts_at)}:"
        params: dict[str, Any] = {
            # The kind is a catalog message of its own, rendered in the recipient's language.
            "kind": {"key": f"seminar.kind.inline.{entry.kind}", "params": {}},
            "cohort": state.cohorts[entry.cohort_id][0],
            "at": entry.starts_at,
            "where": entry.where or "-",
            "term": term_param(terms.get(entry.cohort_id, ProjectTerm.PROYEK_PERUBAHAN)),
        }

        for person_id, _, zone_name, can_reach in entry.presenters:
            if not can_reach:
                continue
            day = local_day(entry.starts_at, state.zone(zone_name)) - timedelta(days=days)
            timing = state.timing(entry.cohort_id, zone_name, day, entry.known_since)
            if timing is not None:
                state.add(
                    timing,
                    key=f"{prefix}{person_id}",
                    kind=KIND_SEMINAR_MATERIALS,
                    recipient_id=person_id,
                    cohort_id=entry.cohort_id,
                    day=day,
                    build=_materials_request(seminar_id, params),
                )
        names = [name for _, name, _, _ in entry.presenters]
        for admin_id, zone_name in admins.get(entry.cohort_id, []):
            day = local_day(entry.starts_at, state.zone(zone_name)) - timedelta(days=days)
            timing = state.timing(entry.cohort_id, zone_name, day, entry.known_since)
            if timing is not None:
                state.add(
                    timing,
                    key=f"{prefix}admin:{admin_id}",
                    kind=KIND_SEMINAR_MATERIALS,
                    recipient_id=admin_id,
                    cohort_id=entry.cohort_id,
                    day=day,
                    build=message(
                        "seminar.materials.admin",
                        **params,
                        presenters="\n".join(f"• {name}" for name in names),
                        count=len(names),
                    ),
                )


def _materials_request(seminar_id: int, params: dict[str, Any]) -> Callable[[], Outgoing]:
    """The presenter's request for laporan and bahan tayang, with "Kirim bahan" under it."""
    send = Button("materials.button.send", materials_button_data(seminar_id))
    return lambda: Outgoing("seminar.materials.presenter", params, buttons=[[send]])


REMINDER_KIND = ReminderKind(KIND_SEMINAR_MATERIALS, find)
