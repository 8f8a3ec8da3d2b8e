"""Response times: from a report to the first answer, per advisor and per participant."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.enums import AdvisorKind, FeedbackKind, UpdateStatus
from models import Cohort, FeedbackNote, Person, ProgressUpdate
from models.db import session_factory
from services.response_times import advisor_response_times, participant_response_medians
from tests.factories import add_milestones, import_roster


async def _setup(engine: AsyncEngine, now: datetime) -> dict[str, int]:
    """Budi sends three reports, Nurhayati one; Bambang (mentor) and Lina (coach) answer some.

    Budi's reports at now-48h, now-24h, now-2h:
    - r1: Bambang revision request after 2 h (and a feedback later), Lina feedback after 10 h;
      Budi's own reply does not count.
    - r2: Bambang feedback after 6 h; Lina never.
    - r3: nobody yet.
    Nurhayati's report at now-30h: Bambang approves after 1 h (status approved), Lina never.
    """
    team = await import_roster(engine, now)
    budi_ms = await add_milestones(engine, team["budi"].nip, now)
    nur_ms = await add_milestones(engine, team["nurhayati"].nip, now)
    async with session_factory(engine)() as session, session.begin():
        ids: dict[str, int] = {}
        for handle in ("budi", "nurhayati", "bambang", "lina", "hasan"):
            person_id = await session.scalar(
                select(Person.id).where(Person.nip == team[handle].nip)
            )
            assert person_id is not None
            ids[handle] = person_id
        cohort_id = await session.scalar(select(Cohort.id))
        assert cohort_id is not None
        ids["cohort"] = cohort_id

        updates = []
        for author, milestone, hours_ago, status in (
            (ids["budi"], budi_ms[0], 48, UpdateStatus.REVISION_REQUESTED),
            (ids["budi"], budi_ms[0], 24, UpdateStatus.SUBMITTED),
            (ids["budi"], budi_ms[1], 2, UpdateStatus.SUBMITTED),
            (ids["nurhayati"], nur_ms[0], 30, UpdateStatus.APPROVED),
        ):
            update = ProgressUpdate(
                milestone_id=milestone,
                author_id=author,
                text="laporan",
                progress_percent=50,
                status=status,
                submitted_at=now - timedelta(hours=hours_ago),
            )
            session.add(update)
            updates.append(update)
        await session.flush()
        r1, r2, _r3, n1 = updates

        def note(update: ProgressUpdate, author: int, kind: FeedbackKind, after_h: int) -> None:
            session.add(
                FeedbackNote(
                    update_id=update.id,
                    author_id=author,
                    kind=kind,
                    text="catatan",
                    created_at=update.submitted_at + timedelta(hours=after_h),
                )
            )

        note(r1, ids["budi"], FeedbackKind.REPLY, 1)
        note(r1, ids["bambang"], FeedbackKind.REVISION_REQUEST, 2)
        note(r1, ids["bambang"], FeedbackKind.FEEDBACK, 20)
        note(r1, ids["lina"], FeedbackKind.FEEDBACK, 10)
        note(r2, ids["bambang"], FeedbackKind.FEEDBACK, 6)
        note(n1, ids["bambang"], FeedbackKind.APPROVAL, 1)
    return ids


async def test_each_advisor_gets_reports_answers_median_and_what_still_waits(
    engine: AsyncEngine, now: datetime
) -> None:
    ids = await _setup(engine, now)
    async with session_factory(engine)() as session:
        lines = await advisor_response_times(session, ids["cohort"], now)

    # Hasan is a mentor with nobody assigned: not listed. Mentors before coaches.
    assert [(a.name, a.kind) for a in lines] == [
        ("Dr. Ir. Bambang Wijaya", AdvisorKind.MENTOR),
        ("Dr. Lina Marliani", AdvisorKind.COACH),
    ]
    bambang, lina = lines
    assert bambang.advisor_id == ids["bambang"]
    assert bambang.participants == lina.participants == 2  # Budi and Nurhayati
    assert (bambang.reports, bambang.answered, bambang.waiting) == (4, 3, 1)
    # First answers after 2 h (not the later 20 h), 6 h and 1 h: median 2 h.
    assert bambang.median == timedelta(hours=2)
    assert bambang.oldest_waiting == timedelta(hours=2)
    # Lina answered r1 only; r2 and r3 still wait for her, r1's revision and n1's approval do not.
    assert (lina.reports, lina.answered, lina.waiting) == (4, 1, 2)
    assert lina.median == timedelta(hours=10)
    assert lina.oldest_waiting == timedelta(hours=24)


async def test_narrowed_to_some_participants(engine: AsyncEngine, now: datetime) -> None:
    ids = await _setup(engine, now)
    async with session_factory(engine)() as session:
        lines = await advisor_response_times(
            session, ids["cohort"], now, participant_ids=[ids["nurhayati"]]
        )
        nobody = await advisor_response_times(session, ids["cohort"], now, participant_ids=[])
    bambang, lina = lines
    assert (bambang.participants, lina.participants) == (1, 1)
    assert (bambang.reports, bambang.answered, bambang.median) == (1, 1, timedelta(hours=1))
    assert (lina.reports, lina.answered, lina.median, lina.waiting) == (1, 0, None, 0)
    assert lina.oldest_waiting is None
    assert nobody == []


async def test_participant_medians_take_the_first_answer_by_anyone(
    engine: AsyncEngine, now: datetime
) -> None:
    ids = await _setup(engine, now)
    async with session_factory(engine)() as session:
        medians = await participant_response_medians(session, ids["cohort"])
    # Budi: r1 first answered after 2 h (Bambang), r2 after 6 h, r3 not yet: median 4 h.
    assert medians == {ids["budi"]: timedelta(hours=4), ids["nurhayati"]: timedelta(hours=1)}


async def test_a_cohort_without_reports(engine: AsyncEngine, now: datetime) -> None:
    await import_roster(engine, now)
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id))
        assert cohort_id is not None
        lines = await advisor_response_times(session, cohort_id, now)
        medians = await participant_response_medians(session, cohort_id)
    assert [(a.reports, a.answered, a.median, a.waiting) for a in lines] == [(0, 0, None, 0)] * 2
    assert set(medians.values()) == {None} and len(medians) == 2
