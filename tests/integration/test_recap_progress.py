"""/rekap's overall progress per participant is the mean /status prints, not a mean of
rounded horizon means."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.enums import Horizon
from models import Cohort, Milestone, Person
from models.db import session_factory
from services.recap import cohort_recap
from tests.factories import add_milestones, import_roster


async def test_overall_progress_is_the_mean_of_all_milestones_as_status_shows_it(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    ids = await add_milestones(
        engine, team["budi"].nip, now, [("Rapat", 10), ("Uji coba", 20), ("Perda", 300)]
    )
    # Short term: 0% and 1% (mean 0.5, rounds to 0); medium term: 1%. All three: 2/3 -> 1%.
    async with session_factory(engine)() as session, session.begin():
        for milestone_id, percent, horizon in zip(
            ids, (0, 1, 1), (Horizon.SHORT, Horizon.SHORT, Horizon.MEDIUM), strict=True
        ):
            await session.execute(
                update(Milestone)
                .where(Milestone.id == milestone_id)
                .values(progress_percent=percent, horizon=horizon)
            )
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id))
        budi_id = await session.scalar(select(Person.id).where(Person.nip == team["budi"].nip))
        assert cohort_id is not None and budi_id is not None
        recap = await cohort_recap(session, cohort_id, now, [budi_id])

    (budi,) = recap.participants
    assert budi.figures(Horizon.SHORT).progress == 0
    assert budi.figures(Horizon.MEDIUM).progress == 1
    status_mean = round((0 + 1 + 1) / 3)  # ProjectView.progress, what /status prints
    assert budi.progress == status_mean
