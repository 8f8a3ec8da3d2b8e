"""Two participants with the same name (common enough in a cohort of sixty) keep their
milestones apart in the export's milestone table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import session_factory
from services.exports import cohort_export
from tests.factories import COHORT, HEADER, add_milestones, import_roster

FIRST_NIP = "198001152005011001"
SECOND_NIP = "198203102006041002"
NAMESAKES = "\n".join(
    [
        HEADER,
        "mentor,Dr. Ir. Bambang Wijaya,197005051995031003,Pemprov Sumsel,Sekretaris Daerah,WIB,,,",
        f"peserta,Ahmad Fauzi,{FIRST_NIP},Dinas Kominfo,Kepala Bidang,WIB,"
        "197005051995031003,,Layanan Aduan",
        f"peserta,Ahmad Fauzi,{SECOND_NIP},Dinas Kesehatan,Kepala Seksi,WIT,"
        "197005051995031003,,Posyandu Digital",
    ]
)


async def test_namesakes_milestones_are_not_interleaved(engine: AsyncEngine, now: datetime) -> None:
    await import_roster(engine, now, NAMESAKES)
    await add_milestones(engine, FIRST_NIP, now, [("Satu-A", 10), ("Satu-B", 30)])
    await add_milestones(engine, SECOND_NIP, now, [("Dua-A", 20)])
    async with session_factory(engine)() as session:
        export = await cohort_export(session, COHORT, now)

    titles = [m.title for m in export.milestones]
    # Each participant's milestones together, by target date, in participant order.
    assert titles in (["Satu-A", "Satu-B", "Dua-A"], ["Dua-A", "Satu-A", "Satu-B"])
