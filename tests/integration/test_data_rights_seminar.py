"""Data rights for what a person sends around a seminar: their laporan and bahan tayang (rows
and files in the evidence store) and their answers to seminar notices are in /dataku and
`properbot person export`, and erasure removes them, keeping bytes someone else sent too."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.settings import Settings
from domain.enums import OutboxStatus
from domain.materials import AttendanceAnswer, MaterialKind
from fakegram import FakeTelegram
from models import AuditEntry, OutboxMessage, SeminarAttendance, SeminarMaterial
from models.db import session_factory
from tests.integration.helpers import text
from tests.integration.stories import (
    cli,
    cli_env,
    materials,
    sha,
    stored_files,
    upload,
)
from tests.integration.stories import seminar_cast as cast

__all__ = ["cli_env"]  # the fixture, used by name

LAPORAN = b"%PDF-1.4 laporan seminar rancangan Budi"
SLIDES = b"PK\x03\x04 bahan tayang Budi"
NIP_BUDI = "198001152005011001"
NIP_BAMBANG = "197005051995031003"


async def test_seminar_materials_and_attendance_are_exported_and_erased(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    settings: Settings,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    people, ids, seminar_id = await cast(bot, telegram, engine, now)
    budi = people["budi"]
    await upload(bot, budi, "Laporan", LAPORAN, "laporan-budi.pdf")
    await upload(bot, budi, "Bahan tayang", SLIDES, "bahan-budi.pptx")
    # Nurhayati's laporan happens to be the very same file (a shared template, say).
    async with session_factory(engine)() as session, session.begin():
        session.add(
            SeminarMaterial(
                seminar_id=seminar_id,
                presenter_id=ids["nurhayati"],
                kind=MaterialKind.REPORT,
                version=1,
                sha256=sha(LAPORAN),
                size=len(LAPORAN),
                file_name="laporan-nurhayati.pdf",
                uploaded_at=now,
            )
        )
        session.add(
            SeminarAttendance(
                seminar_id=seminar_id,
                person_id=ids["bambang"],
                answer=AttendanceAnswer.ABSENT,
                reason="Dinas luar kota mendampingi gubernur.",
                answered_at=now,
            )
        )
    assert stored_files(settings) == {sha(LAPORAN), sha(SLIDES)}

    # His data export lists both files by their key; Bambang's lists his answer and reason.
    export = cli_env / "budi.json"
    assert await cli(["person", "export", NIP_BUDI, "--out", str(export)]) == 0
    data = json.loads(export.read_text("utf-8"))
    assert [(m["kind"], m["file_name"], m["sha256"]) for m in data["seminar_materials"]] == [
        ("laporan", "laporan-budi.pdf", sha(LAPORAN)),
        ("bahan_tayang", "bahan-budi.pptx", sha(SLIDES)),
    ]
    assert "bahan tayang" in data["about"]["sections"]["seminar_materials"]
    assert "Telegram" not in data["about"]["sections"]["reports"]  # the store keeps them now
    export = cli_env / "bambang.json"
    assert await cli(["person", "export", NIP_BAMBANG, "--out", str(export)]) == 0
    answers = json.loads(export.read_text("utf-8"))["seminar_attendance"]
    assert [(a["answer"], a["reason"]) for a in answers] == [
        ("berhalangan", "Dinas luar kota mendampingi gubernur.")
    ]
    capsys.readouterr()

    # Erased before the copies went out to the mentor, coach and examiner.
    assert await cli(["person", "erase", NIP_BUDI]) == 2
    preview = capsys.readouterr().out
    label = text("datarights.count.seminar_materials")
    assert text("cli.person.erase.count", label=label, n=2) in preview
    assert await cli(["person", "erase", NIP_BUDI, "--yes"]) == 0
    assert text("cli.person.erase.files", n=1) in capsys.readouterr().out

    # His rows and the file only he sent are gone; the shared one stays for Nurhayati.
    assert [(m.presenter_id, m.sha256) for m in await materials(engine)] == [
        (ids["nurhayati"], sha(LAPORAN))
    ]
    assert stored_files(settings) == {sha(LAPORAN)}
    async with session_factory(engine)() as session:
        forwards = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "material"))
        )
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "person.erase"))
    assert forwards and all(m.status is OutboxStatus.DROPPED for m in forwards)
    assert entry is not None and entry.details["seminar_materials_deleted"] == 2

    # Bambang's answer stays for the daftar hadir, without his reason.
    assert await cli(["person", "erase", NIP_BAMBANG, "--yes"]) == 0
    async with session_factory(engine)() as session:
        answer = await session.scalar(select(SeminarAttendance))
    assert answer is not None
    assert (answer.answer, answer.reason) == (AttendanceAnswer.ABSENT, None)
