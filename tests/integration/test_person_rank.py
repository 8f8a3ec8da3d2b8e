"""Pangkat/golongan comes from the roster: an organizer imports it, a later file without the
column keeps it, an empty cell clears it; it shows in /profil, in the export and in /dataku,
and goes when a person is erased."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from documents.xlsx_export import render_xlsx
from domain.timezones import WIB
from fakegram import FakeTelegram
from models import Person
from models.db import session_factory
from services.exports import cohort_export
from services.personal_data import erase_person, personal_data
from tests.factories import COHORT, HEADER, SMALL_ROSTER, import_roster
from tests.integration.helpers import say, text
from tests.integration.stories import join

BUDI = "198001152005011001"
NURHAYATI = "198203102006042002"
BAMBANG = "197005051995031003"
BUDI_RANK = "Pembina (IV/a)"
BAMBANG_RANK = "Pembina Utama Madya (IV/d)"


def with_ranks(ranks: dict[str, str], column: str = "pangkat/gol.") -> str:
    """SMALL_ROSTER with a rank column; people not in `ranks` get an empty cell."""
    lines = SMALL_ROSTER.splitlines()
    assert lines[0] == HEADER
    out = [f"{HEADER},{column}"]
    for line in lines[1:]:
        nip = line.split(",")[2]
        out.append(f"{line},{ranks.get(nip, '')}")
    return "\n".join(out)


async def ranks_by_nip(engine: AsyncEngine) -> dict[str, str | None]:
    async with session_factory(engine)() as session:
        result = await session.execute(select(Person.nip, Person.rank))
        return {nip: rank for nip, rank in result.tuples() if nip}


async def test_the_roster_fills_ranks_a_file_without_them_keeps_them_an_empty_cell_clears(
    engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now, with_ranks({BUDI: BUDI_RANK, BAMBANG: BAMBANG_RANK}))
    ranks = await ranks_by_nip(engine)
    assert ranks[BUDI] == BUDI_RANK and ranks[BAMBANG] == BAMBANG_RANK
    assert ranks[NURHAYATI] is None

    # The same people again from a file without the column: nobody's rank changes.
    await import_roster(engine, now, SMALL_ROSTER)
    assert await ranks_by_nip(engine) == ranks

    # A corrected file (another header name for the column): one rank changes, one clears.
    await import_roster(
        engine, now, with_ranks({BUDI: "Pembina Tingkat I (IV/b)"}, column="Pangkat/Golongan")
    )
    ranks = await ranks_by_nip(engine)
    assert ranks[BUDI] == "Pembina Tingkat I (IV/b)" and ranks[BAMBANG] is None


async def test_the_rank_shows_in_profil_the_export_and_the_persons_own_data(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now, with_ranks({BUDI: BUDI_RANK}))

    budi = await join(bot, telegram, 1001, team["budi"].code)
    reply = await say(bot, budi, "/profil")
    assert text("profile.rank", rank=BUDI_RANK) in reply.plain
    # No line for someone without a rank.
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    reply = await say(bot, nurhayati, "/profil")
    assert "Pangkat" not in reply.plain

    async with session_factory(engine)() as session:
        export = await cohort_export(session, COHORT, now)
    assert {p.nip: p.rank for p in export.participants} == {BUDI: BUDI_RANK, NURHAYATI: None}
    sheet = load_workbook(io.BytesIO(render_xlsx(export, "id", WIB))).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header.index("Pangkat/Golongan") == header.index("Jabatan") + 1
    rows = {
        row[header.index("NIP")]: row[header.index("Pangkat/Golongan")]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert rows == {BUDI: BUDI_RANK, NURHAYATI: None}

    async with session_factory(engine)() as session:
        budi_id = await session.scalar(select(Person.id).where(Person.nip == BUDI))
        assert budi_id is not None
        assert (await personal_data(session, budi_id))["profile"]["rank"] == BUDI_RANK

    # Erased on request: the rank is personal data too.
    async with session_factory(engine)() as session, session.begin():
        await erase_person(session, BUDI, now, actor_label="test")
    async with session_factory(engine)() as session:
        erased = await session.get_one(Person, budi_id)
        assert erased.rank is None and erased.erased_at is not None
