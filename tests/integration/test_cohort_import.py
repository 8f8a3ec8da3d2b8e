"""Importing a cohort roster: all or nothing, idempotent, updated in place; on both databases."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.cohort_csv import parse_cohort_csv
from domain.roles import Role
from domain.timezones import WIB
from models import Assignment, AuditEntry, Cohort, Invite, Membership, Person, Project
from models.db import session_factory
from services.cohorts import import_cohort, invites_for

SAMPLE = Path(__file__).parents[2] / "bot" / "samples" / "pkn2-sumsel-angkatan-xxxvii.csv"
COHORT = "PKN II Angkatan XXXVII"


def rows_of(data: bytes) -> list:  # type: ignore[type-arg]
    return parse_cohort_csv(data, default_zone=WIB, today=date(2026, 11, 2))


async def run_import(engine: AsyncEngine, data: bytes, now: datetime):  # type: ignore[no-untyped-def]
    async with session_factory(engine)() as session, session.begin():
        return await import_cohort(session, COHORT, rows_of(data), now=now, actor_label="test")


async def count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_sample_cohort_imports_everyone_with_roles_advisors_and_codes(
    engine: AsyncEngine, now: datetime
) -> None:
    summary = await run_import(engine, SAMPLE.read_bytes(), now)

    assert summary.cohort_created and summary.people_created == 17
    assert summary.by_role == {
        Role.ADMIN: 1,
        Role.MENTOR: 3,
        Role.COACH: 2,
        Role.EXAMINER: 1,
        Role.PARTICIPANT: 10,
    }
    async with session_factory(engine)() as session:
        assert await count(session, Person) == 17
        assert await count(session, Membership) == 17
        assert await count(session, Assignment) == 20  # a mentor and a coach for each of 10
        assert await count(session, Project) == 10
        codes = list(await session.scalars(select(Invite.code)))
        assert len(set(codes)) == 17 and all(len(c) == 8 for c in codes)
        wit = await session.scalar(select(func.count()).where(Person.timezone == "Asia/Jayapura"))
        assert wit == 5  # four participants and their mentor in Halmahera Barat
        lines = await invites_for(session, COHORT)
        assert [line.role for line in lines].count(Role.PARTICIPANT) == 10
        assert all(not line.joined for line in lines)


async def test_importing_the_same_file_again_changes_nothing(
    engine: AsyncEngine, now: datetime
) -> None:
    await run_import(engine, SAMPLE.read_bytes(), now)
    async with session_factory(engine)() as session:
        codes_before = sorted(await session.scalars(select(Invite.code)))

    again = await run_import(engine, SAMPLE.read_bytes(), now)

    assert not again.changed
    async with session_factory(engine)() as session:
        assert sorted(await session.scalars(select(Invite.code))) == codes_before
        assert await count(session, AuditEntry) == 1  # only the first import was a change


async def test_an_edited_file_updates_in_place_and_withdraws_who_left(
    engine: AsyncEngine, now: datetime
) -> None:
    original = SAMPLE.read_text(encoding="utf-8")
    await run_import(engine, original.encode(), now)
    async with session_factory(engine)() as session:
        sri = await session.scalar(select(Person).where(Person.nip == "197203181998032005"))
        assert sri is not None
        sri_id = sri.id

    lines = original.splitlines()
    # Rename a participant, move another to a different mentor, and drop the last one.
    edited = [
        line.replace(
            "Dra. Hj. Sri Wahyuni Lestari, M.Si.", "Dra. Hj. Sri Wahyuni Lestari, M.Si., Ph.D."
        )
        for line in lines
        if not line.startswith("peserta;Salmawati")
    ]
    edited = [
        line.replace(
            ";19660812 199203 1 004;19750607 200112 1 002;Optimalisasi Penatausahaan",
            ";19700415 199703 2 006;19750607 200112 1 002;Optimalisasi Penatausahaan",
        )
        for line in edited
    ]
    summary = await run_import(engine, ("\n".join(edited) + "\n").encode(), now)

    assert summary.people_updated == 1 and summary.withdrawn == 1
    assert summary.assignments_changed == 2 + 2  # Rina: one mentor out, one in; Salmawati: both out
    async with session_factory(engine)() as session:
        sri = await session.get_one(Person, sri_id)
        assert sri.full_name.endswith("Ph.D.")
        salma = await session.scalar(
            select(Membership).join(Person).where(Person.full_name.like("Salmawati%"))
        )
        assert salma is not None and salma.active is False
        assert await count(session, Person) == 17  # nobody deleted


@pytest.mark.parametrize("bad_line", ["peserta;Tanpa Mentor;19800101 200501 1 001;;;WIB;;;"])
async def test_a_bad_file_writes_nothing(engine: AsyncEngine, bad_line: str) -> None:
    from domain.cohort_csv import CohortFileError

    data = SAMPLE.read_text(encoding="utf-8") + bad_line + "\n"
    with pytest.raises(CohortFileError):
        rows_of(data.encode())
    async with session_factory(engine)() as session:
        assert await count(session, Cohort) == 0
