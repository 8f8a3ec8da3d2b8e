"""The project term of cohorts (proyek perubahan or aksi perubahan), read from the database."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.project_term import InvalidProjectTerm, ProjectTerm, project_term, term_for_programme
from domain.roles import Role
from models import Cohort, Membership

log = logging.getLogger(__name__)


async def cohort_terms(session: AsyncSession, cohort_ids: Iterable[int]) -> dict[int, ProjectTerm]:
    """Each cohort's term by id; unknown ids are left out."""
    ids = set(cohort_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Cohort.id, Cohort.programme, Cohort.settings).where(Cohort.id.in_(ids))
    )
    return {
        cohort_id: _term(cohort_id, programme, settings)
        for cohort_id, programme, settings in rows.tuples()
    }


async def cohort_term(session: AsyncSession, cohort_id: int) -> ProjectTerm:
    """The cohort's term; proyek perubahan, the general word, for a cohort that is gone."""
    return (await cohort_terms(session, [cohort_id])).get(cohort_id, ProjectTerm.PROYEK_PERUBAHAN)


async def participant_term(session: AsyncSession, participant_id: int) -> ProjectTerm:
    """The term of the participant's current cohort (their newest active membership)."""
    cohort_id = await session.scalar(
        select(Membership.cohort_id)
        .where(
            Membership.person_id == participant_id,
            Membership.role == Role.PARTICIPANT,
            Membership.active.is_(True),
        )
        .order_by(Membership.id.desc())
        .limit(1)
    )
    if cohort_id is None:
        return ProjectTerm.PROYEK_PERUBAHAN
    return await cohort_term(session, cohort_id)


def term_of(cohort: Cohort) -> ProjectTerm:
    """The term of a cohort already loaded."""
    return _term(cohort.id, cohort.programme, cohort.settings)


def _term(cohort_id: int, programme: str | None, settings: dict[str, Any] | None) -> ProjectTerm:
    try:
        return project_term(programme, settings)
    except InvalidProjectTerm as exc:
        # A typo in one cohort's settings must not break its messages: the programme's.
        log.error("cohort %s: %s; using the programme's term", cohort_id, exc)
        return term_for_programme(programme)
