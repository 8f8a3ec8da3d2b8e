"""Mentors, coaches and examiners answer a seminar notice with "Hadir" or "Berhalangan" (with a
reason), and may change their mind; the organizer sees the answers and prints the daftar hadir
for the whole seminar or one seminar group, in the chat or from the command line."""

from __future__ import annotations

import argparse
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli_seminar import add_parser, run
from bot.harness import RunningBot
from bot.settings import Settings
from documents.attendance_pdf import render_attendance
from domain.clock import ManualClock
from domain.enums import SeminarKind
from domain.i18n import translator
from domain.materials import MAX_ABSENCE_REASON, AttendanceAnswer
from domain.timezones import WIB
from fakegram import FakeTelegram
from models import AuditEntry, Cohort, Person, SeminarAttendance
from models.db import session_factory
from services.seminar_materials import attendance_sheet
from services.seminars import NewSeminar, Organizer, reschedule_seminar, schedule_seminar
from tests.conftest import ADMIN_ID
from tests.factories import HEADER, import_roster
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import STARTS, deliver, join, person_ids, plan

# The small cohort with seminar groups: Budi in group 1, Nurhayati and Rahmat in group 2.
GROUPED = "\n".join(
    [
        HEADER + ",seminar_group",
        "mentor,Dr. Ir. Bambang Wijaya,197005051995031003,Pemprov Sumsel,Sekretaris Daerah,WIB,,,,",
        "coach,Dr. Lina Marliani,197209092000122004,BPSDM Sumsel,Widyaiswara,WIB,,,,",
        "penguji,Prof. Teguh Santoso,196808081994031005,LAN,Analis Kebijakan,WIB,,,,",
        "mentor,Ir. Hasan Basri,198512122010011006,Pemprov Sumsel,Kepala Dinas,WIB,,,,",
        "peserta,Budi Santoso,198001152005011001,Dinas Kominfo,Kepala Bidang,WIB,"
        "197005051995031003,197209092000122004,Layanan Aduan Warga Terpadu,1",
        "peserta,Nurhayati Umasugi,198203102006042002,Dinkes Malut,Kepala Seksi,WIT,"
        "198512122010011006,197209092000122004,Posyandu Digital,2",
    ]
)


async def cast(bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime) -> Any:
    team = await import_roster(engine, now, GROUPED)
    people = {
        handle: await join(bot, telegram, user_id, team[handle].code)
        for handle, user_id in (
            ("budi", 1001),
            ("nurhayati", 1002),
            ("bambang", 1005),
            ("lina", 1006),
            ("teguh", 1007),
            ("hasan", 1008),
        )
    }
    ids = await person_ids(engine, team)
    seminar_id = await plan(engine, ids, now)
    await deliver(bot)
    return people, ids, seminar_id


def notice(user: Any) -> Any:
    return next(m for m in user.inbox if m.plain.startswith("📅 Undangan"))


async def answers(engine: AsyncEngine) -> dict[int, tuple[AttendanceAnswer, str | None]]:
    async with session_factory(engine)() as session:
        return {
            a.person_id: (a.answer, a.reason)
            for a in await session.scalars(select(SeminarAttendance))
        }


async def test_advisors_answer_the_notice_and_may_change_their_answer(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, ids, seminar_id = await cast(bot, telegram, engine, now)
    bambang, lina = people["bambang"], people["lina"]
    for handle in ("bambang", "lina", "teguh", "hasan"):
        assert notice(people[handle]).button_texts == ["✅ Hadir", "🚫 Berhalangan"], handle
    # The presenters present; they are not asked.
    assert notice(people["budi"]).button_texts == []

    toast = await press(bot, bambang, notice(bambang), "✅ Hadir")
    # Within a sentence the seminar's kind is written in lower case.
    assert toast.text == text("attendance.saved.present", kind="seminar rancangan")
    assert bambang.last.plain.startswith("✅ Tercatat: Bapak/Ibu akan hadir pada seminar rancangan")

    await press(bot, lina, notice(lina), "🚫 Berhalangan")
    assert lina.last.plain.startswith("Tercatat: Bapak/Ibu berhalangan hadir")
    assert await answers(engine) == {
        ids["bambang"]: (AttendanceAnswer.PRESENT, None),
        ids["lina"]: (AttendanceAnswer.ABSENT, None),
    }
    too_long = await say(bot, lina, "x" * (MAX_ABSENCE_REASON + 1))
    assert too_long.plain == text(
        "text.error.too_long", limit=MAX_ABSENCE_REASON, length=MAX_ABSENCE_REASON + 1
    )
    confirmed = await say(bot, lina, "Mendampingi visitasi akreditasi di Jakarta")
    assert "Alasan: Mendampingi visitasi akreditasi di Jakarta" in confirmed.plain
    assert (await answers(engine))[ids["lina"]] == (
        AttendanceAnswer.ABSENT,
        "Mendampingi visitasi akreditasi di Jakarta",
    )

    # The visit moved: Lina comes after all; her old reason goes with the old answer.
    await press(bot, lina, notice(lina), "✅ Hadir")
    assert (await answers(engine))[ids["lina"]] == (AttendanceAnswer.PRESENT, None)
    # And a later "Berhalangan" skipped with /batal keeps the answer without a reason.
    await press(bot, bambang, notice(bambang), "🚫 Berhalangan")
    skipped = await say(bot, bambang, "/batal")
    assert skipped.plain == text("attendance.reason_skipped")
    assert (await answers(engine))[ids["bambang"]] == (AttendanceAnswer.ABSENT, None)
    # A text after that is no reason: it is not taken as one.
    await say(bot, bambang, "Rapat")
    assert (await answers(engine))[ids["bambang"]] == (AttendanceAnswer.ABSENT, None)

    # The organizer's detail lists every advisor's answer.
    admin = telegram.user(ADMIN_ID, "Siti")
    await say(bot, admin, "/seminar")
    await press(bot, admin, admin.inbox[-2], f"📋 Rincian #{seminar_id}")
    detail = admin.last.plain
    assert "• Dr. Ir. Bambang Wijaya (Mentor): Berhalangan" in detail
    assert "• Dr. Lina Marliani (Coach): Hadir" in detail
    assert "• Ir. Hasan Basri (Mentor): belum menjawab" in detail
    assert "• Prof. Teguh Santoso (Penguji): belum menjawab" in detail


async def test_only_the_advisors_of_the_seminar_answer_for_themselves(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, _, seminar_id = await cast(bot, telegram, engine, now)
    budi, bambang = people["budi"], people["bambang"]
    stranger = telegram.user(4242, "Orang")
    # A presenter, and someone not in the cohort, replaying the button data.
    answer = await press_data(bot, budi, budi.last, f"ha1:{seminar_id}:h")
    assert answer.text == text("attendance.error.not_yours")
    answer = await press_data(bot, stranger, notice(bambang), f"ha1:{seminar_id}:h")
    assert answer is not None and answer.text == text("access.not_registered")
    # Forged seminars and answers.
    for forged in (f"ha1:{seminar_id}:x", f"ha1:{2**31}:h", f"ha1:{2**63}:h", "ha1:0:h"):
        answer = await press_data(bot, bambang, notice(bambang), forged)
        assert answer.text == text("button.stale"), forged
    answer = await press_data(bot, bambang, notice(bambang), "ha1:99999:h")
    assert answer.text == text("attendance.error.not_yours")
    assert await answers(engine) == {}
    # A reason typed without a "Berhalangan" first is nobody's answer.
    await say(bot, bambang, "Sedang dinas luar")
    assert await answers(engine) == {}


async def test_the_daftar_hadir_for_the_seminar_and_for_one_group(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    clock: ManualClock,
    now: datetime,
) -> None:
    people, _, seminar_id = await cast(bot, telegram, engine, now)
    admin = telegram.user(ADMIN_ID, "Siti")
    await say(bot, admin, "/seminar")
    await press(bot, admin, admin.inbox[-2], f"📋 Rincian #{seminar_id}")
    assert admin.last.button_texts == [
        "🖨 Daftar hadir (PDF)",
        "🖨 Daftar hadir kelompok 1",
        "🖨 Daftar hadir kelompok 2",
    ]
    detail = admin.last

    await press(bot, admin, detail, "🖨 Daftar hadir (PDF)")
    sent = admin.last
    assert sent.kind == "document"
    stored = telegram.files.get(sent.file_id or "")
    assert stored is not None and stored.file_name == f"daftar-hadir-seminar-{seminar_id}.pdf"
    page = pdf_text(telegram, sent.file_id)
    for expected in (
        "DAFTAR HADIR",
        "Seminar rancangan",
        "Kamis, 10 Desember 2026, 09.00 WIB",
        "Tanda tangan",
        "Budi Santoso",
        "19800115 200501 1 001",
        "Nurhayati Umasugi",
        "Dr. Ir. Bambang Wijaya",
        "Ir. Hasan Basri",
        "Dr. Lina Marliani",
        "Prof. Teguh Santoso",
        "Dinas Kominfo",
    ):
        assert expected in page, expected
    # Presenters first, then mentors, coaches and the examiner.
    assert page.index("Budi Santoso") < page.index("Dr. Ir. Bambang") < page.index("Dr. Lina")
    assert page.index("Dr. Lina") < page.index("Prof. Teguh")

    await press(bot, admin, detail, "🖨 Daftar hadir kelompok 2")
    group = pdf_text(telegram, admin.last.file_id)
    assert "Kelompok seminar: 2" in group
    assert "Nurhayati Umasugi" in group and "Ir. Hasan Basri" in group
    assert "Prof. Teguh Santoso" in group and "Dr. Lina Marliani" in group
    assert "Budi Santoso" not in group and "Bambang" not in group

    # Nobody else prints it; a forged group index is stale.
    answer = await press_data(
        bot, people["bambang"], notice(people["bambang"]), f"sd1:p:{seminar_id}"
    )
    assert answer.text == text("access.role_required", roles="Penyelenggara")
    answer = await press_data(bot, admin, detail, f"sd1:g:{seminar_id}:7")
    assert answer.text == text("button.stale")
    async with session_factory(engine)() as session:
        printed = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "seminar.attendance_sheet")
            )
        )
    assert [(e.details["group"], e.details["rows"]) for e in printed] == [(None, 6), ("2", 4)]


def pdf_text(telegram: FakeTelegram, file_id: str | None) -> str:
    assert file_id is not None
    stored = telegram.files.get(file_id)
    assert stored is not None
    reader = PdfReader(io.BytesIO(stored.data))
    assert len(reader.pages) == 1
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_the_command_line_writes_the_list_and_refuses_an_unknown_group(
    engine: AsyncEngine, database_url: str, tmp_path: Path, now: datetime
) -> None:
    team = await import_roster(engine, now, GROUPED)
    ids = await person_ids(engine, team)
    seminar_id = await plan(engine, ids, now)
    settings = Settings(database_url=database_url)

    async def cli(*args: str) -> int:
        parser = argparse.ArgumentParser(prog="properbot")
        add_parser(parser.add_subparsers(dest="command", required=True))
        return await run(
            parser.parse_args(["seminar", "attendance", *args]),
            settings,
            translator("id"),
            clock=ManualClock(now),
        )

    out = tmp_path / "hadir.pdf"
    assert await cli(str(seminar_id), "--out", str(out), "--group", " 1 ") == 0
    reader = PdfReader(out)
    page = "\n".join(p.extract_text() for p in reader.pages)
    assert "Budi Santoso" in page and "Dr. Ir. Bambang Wijaya" in page
    assert "Nurhayati" not in page and "Hasan" not in page
    assert "Kamis, 10 Desember 2026" in page and STARTS.year == 2026

    missing = tmp_path / "tidak.pdf"
    assert await cli(str(seminar_id), "--out", str(missing), "--group", "9") == 2
    assert await cli("99999", "--out", str(missing)) == 2
    assert not missing.exists()


async def test_many_people_run_over_several_pages(engine: AsyncEngine, now: datetime) -> None:
    """Twenty-two presenters with their mentor and the examiner: the heading repeats on every
    page and nobody is lost."""
    rows = [
        HEADER,
        "mentor,Dr. Ir. Bambang Wijaya,197005051995031003,Pemprov,Sekda,WIB,,,",
        "penguji,Prof. Teguh Santoso,196808081994031005,LAN,Analis,WIB,,,",
    ]
    rows += [
        f"peserta,Peserta Nomor {n:02d},198001152005011{n:03d},Dinas {n},Kabid,WIB,"
        f"197005051995031003,,Proyek {n}"
        for n in range(1, 23)
    ]
    team = await import_roster(engine, now, "\n".join(rows))
    async with session_factory(engine)() as session:
        presenters = list(
            await session.scalars(
                select(Person.id).where(Person.full_name.startswith("Peserta Nomor"))
            )
        )
        examiner = await session.scalar(select(Person.id).where(Person.nip == team["teguh"].nip))
        cohort = await session.scalar(select(Cohort.id))
    assert len(presenters) == 22 and examiner is not None and cohort is not None
    everyone = Organizer(person_id=None, label="test", every_cohort=True)
    async with session_factory(engine)() as session, session.begin():
        planned = await schedule_seminar(
            session,
            NewSeminar(
                cohort_id=cohort,
                kind=SeminarKind.RESULTS,
                starts_at=STARTS,
                zone=WIB,
                presenter_ids=presenters,
                examiner_id=examiner,
                place="Aula",
            ),
            by=everyone,
            now=now,
        )
        sheet = await attendance_sheet(session, planned.seminar_id, everyone)
    assert len(sheet.rows) == 24
    reader = PdfReader(io.BytesIO(render_attendance(sheet, language="en", generated_at=now)))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == 2
    assert all("Signature" in page for page in pages)  # the heading on every page
    whole = "\n".join(pages)
    assert all(f"Peserta Nomor {n:02d}" in whole for n in range(1, 23))
    assert "ATTENDANCE LIST" in pages[0] and "Page 2 of 2" in pages[1]


async def test_a_moved_seminar_asks_again_and_forgets_answers_for_the_old_time(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, ids, seminar_id = await cast(bot, telegram, engine, now)
    bambang, lina = people["bambang"], people["lina"]
    await press(bot, bambang, notice(bambang), "✅ Hadir")
    await press(bot, lina, notice(lina), "🚫 Berhalangan")
    await say(bot, lina, "Visitasi akreditasi pada tanggal itu")
    assert set(await answers(engine)) == {ids["bambang"], ids["lina"]}

    # The seminar moves a week: "Hadir" on the 10th says nothing of the 17th.
    everyone = Organizer(person_id=None, label="test", every_cohort=True)
    async with session_factory(engine)() as session, session.begin():
        await reschedule_seminar(
            session, seminar_id, STARTS + timedelta(days=7), by=everyone, now=now
        )
    await deliver(bot)
    assert await answers(engine) == {}
    change = next(m for m in lina.inbox if m.plain.startswith("🔄"))
    assert change.button_texts == ["✅ Hadir", "🚫 Berhalangan"]
    await press(bot, lina, change, "✅ Hadir")
    assert await answers(engine) == {ids["lina"]: (AttendanceAnswer.PRESENT, None)}

    admin = telegram.user(ADMIN_ID, "Siti")
    await say(bot, admin, "/seminar")
    await press(bot, admin, admin.inbox[-2], f"📋 Rincian #{seminar_id}")
    assert "• Dr. Ir. Bambang Wijaya (Mentor): belum menjawab" in admin.last.plain
    assert "• Dr. Lina Marliani (Coach): Hadir" in admin.last.plain
    async with session_factory(engine)() as session:
        moved = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "seminar.reschedule")
        )
    assert moved is not None and moved.details["answers_cleared"] == 2
