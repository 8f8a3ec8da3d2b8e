"""/ekspor and `properbot export`: an organizer takes a cohort's records as XLSX or CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.harness import RunningBot
from domain.clock import ManualClock
from domain.enums import Channel, DeliveryFailure, OutboxStatus, SeminarKind
from fakegram import FakeTelegram
from models import (
    AuditEntry,
    Cohort,
    Milestone,
    OutboxMessage,
    Person,
    Seminar,
    SeminarPresenter,
)
from models.db import session_factory
from services import groups, outbox
from services.errors import UserFacingError
from services.exports import cohort_export
from services.groups import GroupChat
from services.outbox import Outgoing
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, add_milestones, import_roster, on_telegram
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import EXPORT_ROSTER as OTHER_ROSTER
from tests.integration.stories import OTHER_COHORT, cast, report, rows_of, sent_file

SHEETS = [
    "Peserta",
    "Tahapan",
    "Laporan",
    "Umpan balik",
    "Seminar",
    "Log pengiriman",
    "Waktu tanggapan",
    "Bahan seminar",
    "Nilai seminar",
]


def hidden_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


async def feedback_story(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> tuple[Any, Any, Any]:
    """Budi reports 60% with a photo; 90 minutes later his mentor answers by reply."""
    budi, bambang, lina, _ = await cast(bot, telegram, engine, now)
    await report(bot, budi, "Rapat koordinasi", "Rapat perdana tim efektif.", "60%", photos=1)
    clock.advance(timedelta(minutes=90))
    bambang.send("Bagus, lanjutkan dengan SK tim efektif.", reply_to=bambang.inbox[-1])
    await bot.settle()
    return budi, bambang, lina


async def export_audits(engine: AsyncEngine) -> list[AuditEntry]:
    async with session_factory(engine)() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
            )
        )


async def test_an_admin_gets_the_workbook_with_the_participants_figures(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    clock: ManualClock,
) -> None:
    await feedback_story(bot, telegram, engine, now, clock)
    admin = telegram.user(ADMIN_ID, "Yulia")

    await say(bot, admin, "/ekspor")  # one cohort: the file comes at once

    sent, stored = sent_file(telegram, admin)
    assert sent.caption is not None
    assert sent.caption.startswith("Rekap PKP Angkatan IV per Senin, 2 November 2026")
    assert "2 peserta, 1 laporan" in sent.caption
    assert stored.file_name == "rekap-PKP-Angkatan-IV-2026-11-02.xlsx"
    book = load_workbook(io.BytesIO(stored.data))
    assert book.sheetnames == SHEETS

    participants = rows_of(book["Peserta"])
    assert [p["Nama"] for p in participants] == ["Budi Santoso", "Nurhayati Umasugi"]
    budi, nurhayati = participants
    assert budi["Jumlah laporan"] == 1
    assert budi["Umpan balik diterima"] == 1
    assert budi["Median waktu tanggapan (jam)"] == 1.5
    assert budi["Kemajuan (%)"] == 30  # 60% and 0% on two milestones
    assert budi["Tahapan disetujui"] == 0 and budi["Jumlah tahapan"] == 2
    assert budi["Laporan terakhir (WIB)"] == datetime(2026, 11, 2, 8, 0)  # 01.00 UTC
    assert budi["Mentor"] == "Dr. Ir. Bambang Wijaya" and budi["Coach"] == "Dr. Lina Marliani"
    assert budi["Sudah bergabung"] == "Ya" and budi["Zona waktu"] == "WIB"
    assert nurhayati["Jumlah laporan"] == 0 and nurhayati["Sudah bergabung"] == "Tidak"
    assert nurhayati["Median waktu tanggapan (jam)"] is None
    assert nurhayati["Zona waktu"] == "WIT"

    milestones = rows_of(book["Tahapan"])
    assert [
        (m["Peserta"], m["Tahapan kegiatan"], m["Kemajuan terakhir (%)"]) for m in milestones
    ] == [
        ("Budi Santoso", "Rapat koordinasi tim efektif", 60),
        ("Budi Santoso", "Uji coba aplikasi", 0),
    ]
    assert milestones[0]["Tanggal target"] == datetime(2026, 11, 12)
    assert {m["Terlambat"] for m in milestones} == {"Tidak"}

    (report_row,) = rows_of(book["Laporan"])
    assert report_row["Uraian"] == "Rapat perdana tim efektif."
    assert report_row["Jumlah bukti dukung"] == 1 and report_row["Bukti dukung"] == "Foto"
    (note,) = rows_of(book["Umpan balik"])
    assert (note["Penulis"], note["Peran penulis"], note["Jenis"]) == (
        "Dr. Ir. Bambang Wijaya",
        "Mentor",
        "Umpan balik",
    )
    assert note["Waktu tanggapan (jam)"] == 1.5
    assert note["Waktu (WIB)"] == datetime(2026, 11, 2, 9, 30)

    # Per advisor: the coach who has not answered Budi's report comes first, waiting 1.5 h.
    advisors = rows_of(book["Waktu tanggapan"])
    assert [
        (
            a["Nama"],
            a["Peran"],
            a["Jumlah peserta"],
            a["Jumlah laporan"],
            a["Laporan ditanggapi"],
            a["Median waktu tanggapan (jam)"],
            a["Laporan menunggu"],
            a["Menunggu terlama (jam)"],
        )
        for a in advisors
    ] == [
        ("Dr. Lina Marliani", "Coach", 2, 1, 0, None, 1, 1.5),
        ("Dr. Ir. Bambang Wijaya", "Mentor", 2, 1, 1, 1.5, 0, None),
    ]

    (entry,) = await export_audits(engine)
    async with session_factory(engine)() as session:
        admin_person = await session.scalar(select(Person.id).where(on_telegram(ADMIN_ID)))
    assert entry.actor_id == admin_person and entry.cohort_id is not None
    assert entry.details["format"] == "xlsx"
    assert entry.details["rows"]["participants"] == 2 and entry.details["rows"]["reports"] == 1
    assert entry.details["tables"] == [
        "participants",
        "milestones",
        "reports",
        "feedback",
        "seminars",
        "deliveries",
        "response_times",
        "seminar_materials",
        "seminar_scores",
    ]
    assert entry.details["rows"]["response_times"] == 2


async def test_with_several_cohorts_the_admin_picks_one(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    await import_roster(engine, now, OTHER_ROSTER, OTHER_COHORT)
    admin = telegram.user(ADMIN_ID, "Yulia")

    chooser = await say(bot, admin, "/ekspor")
    assert chooser.plain == text("export.choose_cohort")
    assert chooser.button_texts == [OTHER_COHORT, COHORT]  # by name
    await press(bot, admin, chooser, OTHER_COHORT)
    assert chooser.button_texts == []
    assert chooser.plain == text("export.preparing", cohort=OTHER_COHORT)

    _, stored = sent_file(telegram, admin)
    assert stored.file_name == "rekap-PKN-II-Angkatan-XXXVII-2026-11-02.xlsx"
    book = load_workbook(io.BytesIO(stored.data))
    assert [p["Nama"] for p in rows_of(book["Peserta"])] == ["Siti Rahma"]
    assert [e.details["rows"]["participants"] for e in await export_audits(engine)] == [1]


async def test_participants_and_mentors_cannot_export_even_with_a_forged_button(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _, _ = await cast(bot, telegram, engine, now)
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id))

    for person in (budi, bambang):
        reply = await say(bot, person, "/ekspor")
        assert reply.kind == "text"
        assert "Penyelenggara" in reply.plain  # the polite "only for ..." answer
        answer = await press_data(bot, person, person.last, f"ex1:{cohort_id}")
        assert answer is not None and "Penyelenggara" in answer.text
        assert not [m for m in person.inbox if m.kind == "document"]
    assert await export_audits(engine) == []


async def test_an_organizer_cannot_export_a_cohort_they_do_not_run(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    other = await import_roster(engine, now, OTHER_ROSTER, OTHER_COHORT)
    rina = telegram.user(2001, "Rina")
    consent = await say(bot, rina, f"/start {other['rina'].code}")
    await press(bot, rina, consent, "Setuju")
    async with session_factory(engine)() as session:
        ids = dict((await session.execute(select(Cohort.name, Cohort.id))).tuples().all())

    # Rina runs one cohort: /ekspor sends hers straight away, and only hers.
    await say(bot, rina, "/ekspor")
    _, stored = sent_file(telegram, rina)
    assert stored.file_name is not None
    assert stored.file_name.startswith("rekap-PKN-II-Angkatan-XXXVII")
    before = len(rina.inbox)

    answer = await press_data(bot, rina, rina.last, f"ex1:{ids[COHORT]}")
    assert answer is not None and answer.text == text("export.error.not_yours")
    answer = await press_data(bot, rina, rina.last, "ex1:abc")
    assert answer is not None and answer.text == text("button.stale")
    assert len(rina.inbox) == before
    assert [e.cohort_id for e in await export_audits(engine)] == [ids[OTHER_COHORT]]


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_ROOT", "ADMIN_TELEGRAM_IDS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
    return tmp_path


async def test_cli_exports_xlsx_and_csv_atomically_with_audit(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    clock: ManualClock,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await feedback_story(bot, telegram, engine, now, clock)

    # main() runs its own event loop; the test's loop is busy, so run it in a thread.
    async def cli(*args: str) -> int:
        return await asyncio.to_thread(main, list(args))

    assert await cli("export", "--cohort", COHORT, "--format", "xlsx", "--out", "rekap.xlsx") == 0
    out = capsys.readouterr().out
    assert f"Rekap {COHORT} ditulis ke rekap.xlsx" in out
    assert "Peserta: 2 baris" in out and "Laporan: 1 baris" in out
    assert "Waktu tanggapan: 2 baris" in out
    book = load_workbook(cli_env / "rekap.xlsx")
    assert book.sheetnames == SHEETS
    assert rows_of(book["Peserta"])[0]["Median waktu tanggapan (jam)"] == 1.5
    coach, mentor = rows_of(book["Waktu tanggapan"])
    assert (coach["Nama"], coach["Laporan menunggu"]) == ("Dr. Lina Marliani", 1)
    assert (mentor["Nama"], mentor["Median waktu tanggapan (jam)"]) == (
        "Dr. Ir. Bambang Wijaya",
        1.5,
    )
    assert hidden_files(cli_env) == []  # no temporary file left behind

    assert await cli("export", "--cohort", COHORT, "--format", "csv", "--out", "rekap") == 0
    capsys.readouterr()
    folder = cli_env / "rekap"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [
            "peserta.csv",
            "tahapan.csv",
            "laporan.csv",
            "umpan-balik.csv",
            "seminar.csv",
            "log-pengiriman.csv",
            "waktu-tanggapan.csv",
            "bahan-seminar.csv",
            "nilai-seminar.csv",
        ]
    )
    participants = list(
        csv.DictReader(io.StringIO((folder / "peserta.csv").read_text("utf-8-sig")))
    )
    assert participants[0]["Nama"] == "Budi Santoso"
    assert participants[0]["Jumlah laporan"] == "1"
    assert participants[0]["Median waktu tanggapan (jam)"] == "1.5"
    assert (folder / "peserta.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    advisors = list(
        csv.DictReader(io.StringIO((folder / "waktu-tanggapan.csv").read_text("utf-8-sig")))
    )
    # The command line runs on the system clock: how long Lina's wait is depends on today.
    assert [(a["Nama"], a["Laporan menunggu"]) for a in advisors] == [
        ("Dr. Lina Marliani", "1"),
        ("Dr. Ir. Bambang Wijaya", "0"),
    ]
    assert float(advisors[0]["Menunggu terlama (jam)"]) >= 1.5
    assert advisors[1]["Menunggu terlama (jam)"] == ""
    assert advisors[1]["Median waktu tanggapan (jam)"] == "1.5"

    # A folder that already holds something is refused; a .zip is one file, in English here.
    assert await cli("export", "--cohort", COHORT, "--format", "csv", "--out", "rekap") == 2
    assert "rekap sudah ada dan tidak kosong" in capsys.readouterr().err
    code = await cli(
        "export", "--cohort", COHORT, "--format", "csv", "--out", "rekap.zip", "--language", "en"
    )
    assert code == 0
    capsys.readouterr()
    archive = zipfile.ZipFile(cli_env / "rekap.zip")
    assert "response-times.csv" in archive.namelist() and len(archive.namelist()) == 9

    entries = await export_audits(engine)
    assert [e.details["format"] for e in entries] == ["xlsx", "csv", "csv"]
    assert all(e.actor_label and e.actor_label.startswith("cli:") for e in entries)
    assert entries[0].details["rows"]["participants"] == 2


def test_cli_unknown_cohort_or_missing_folder_is_one_line_and_writes_nothing(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--cohort", "Tidak Ada", "--out", "x.xlsx"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == 'Angkatan "Tidak Ada" tidak ditemukan.'
    assert main(["export", "--cohort", "Tidak Ada", "--out", "nowhere/x.xlsx"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == text("cli.export.error.no_folder", path="nowhere")
    assert not (cli_env / "x.xlsx").exists() and hidden_files(cli_env) == []


def test_export_has_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "penggunaan: properbot export" in done.stdout
    assert "--format {xlsx,csv}" in done.stdout


async def test_the_service_gathers_seminars_deliveries_and_late_milestones(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await import_roster(engine, now, OTHER_ROSTER, OTHER_COHORT)
    kept, removed, _ = await add_milestones(
        engine, team["budi"].nip, now, [("Rapat", 10), ("Dihapus", 12), ("Uji coba", 30)]
    )
    later = now + timedelta(days=20)  # "Rapat" is then 10 days late; "Uji coba" is not yet due
    async with session_factory(engine)() as session, session.begin():
        people = dict((await session.execute(select(Person.nip, Person.id))).tuples().all())
        cohorts = dict((await session.execute(select(Cohort.name, Cohort.id))).tuples().all())
        budi, nurhayati = people[team["budi"].nip], people[team["nurhayati"].nip]
        milestone = await session.get_one(Milestone, removed)
        milestone.removed_at = now
        seminar = Seminar(
            cohort_id=cohorts[COHORT],
            kind=SeminarKind.DESIGN,
            starts_at=now + timedelta(days=8),
            timezone="Asia/Jayapura",
            place="Aula BPSDM",
            examiner_id=people[team["teguh"].nip],
        )
        session.add(seminar)
        await session.flush()
        session.add_all(
            [
                SeminarPresenter(seminar_id=seminar.id, participant_id=nurhayati),
                SeminarPresenter(seminar_id=seminar.id, participant_id=budi),
            ]
        )
        # A reminder naming no cohort, a group notice of the cohort, and one of the other cohort.
        await outbox.enqueue(
            session,
            dedup_key="t:reminder",
            message=Outgoing("reminder.milestone.overdue"),
            not_before=now,
            kind="reminder",
            recipient_id=budi,
        )
        await outbox.enqueue(
            session,
            dedup_key="t:group",
            message=Outgoing("seminar.notice"),
            not_before=now,
            kind="seminar",
            group_id=(
                await groups.link_group(
                    session,
                    cohort_id=cohorts[COHORT],
                    chat=GroupChat(Channel.TELEGRAM, "-100123"),
                    title=None,
                    by_person_id=None,
                    now=now,
                )
            ).group_id,
            cohort_id=cohorts[COHORT],
        )
        await outbox.enqueue(
            session,
            dedup_key="t:other",
            message=Outgoing("broadcast.message"),
            not_before=now,
            kind="broadcast",
            recipient_id=people["198807072010012003"],
            cohort_id=cohorts[OTHER_COHORT],
        )

        # The reminder met a blocked person: the export names the reason and keeps the raw text.
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedup_key == "t:reminder")
            .values(
                status=OutboxStatus.FAILED,
                last_error="403: Forbidden: bot was blocked by the user",
                error_reason=DeliveryFailure.BLOCKED.value,
            )
        )

    async with session_factory(engine)() as session:
        data = await cohort_export(session, COHORT, later)
        by_id = await cohort_export(session, cohorts[COHORT], later)
        with pytest.raises(UserFacingError):
            await cohort_export(session, "Tidak Ada", later)

    assert by_id == data
    assert [(m.title, m.overdue) for m in data.milestones] == [("Rapat", True), ("Uji coba", False)]
    assert kept == data.milestones[0].id
    budi_row = data.participants[0]
    assert (budi_row.milestones_total, budi_row.milestones_overdue) == (2, 1)
    (row,) = data.seminars
    assert row.presenters == ("Budi Santoso", "Nurhayati Umasugi")
    assert (row.zone, row.examiner, row.place) == ("WIT", "Prof. Teguh Santoso", "Aula BPSDM")
    assert [(d.recipient, d.kind, d.message_key) for d in data.deliveries] == [
        ("Budi Santoso", "reminder", "reminder.milestone.overdue"),
        ("-100123", "seminar", "seminar.notice"),
    ]
    assert [(d.reason, d.error) for d in data.deliveries] == [
        (DeliveryFailure.BLOCKED, "403: Forbidden: bot was blocked by the user"),
        (None, None),
    ]
    assert data.counts() == {
        "participants": 2,
        "milestones": 2,
        "reports": 0,
        "feedback": 0,
        "seminars": 1,
        "deliveries": 2,
        "response_times": 2,
        "seminar_materials": 0,
        "seminar_scores": 0,
    }
    # Nobody waits: mentors before coaches; Hasan, with nobody assigned, is not listed.
    assert [(a.name, a.participants, a.waiting) for a in data.response_times] == [
        ("Dr. Ir. Bambang Wijaya", 2, 0),
        ("Dr. Lina Marliani", 2, 0),
    ]
