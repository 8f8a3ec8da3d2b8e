"""/rekap: the organizer sees the cohort's progress as a chart and a summary; advisors their own."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from documents.recap_chart import OVERDUE_COLOUR
from domain.clock import ManualClock
from domain.enums import Horizon
from fakegram import FakeTelegram
from models import Cohort, Person
from models.db import session_factory
from services.recap import cohort_recap
from tests.conftest import ADMIN_ID
from tests.factories import HEADER, SMALL_ROSTER, add_milestones, import_roster
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import join, report

RED = tuple(int(OVERDUE_COLOUR[i : i + 2], 16) for i in (1, 3, 5))

# A second cohort, for the organizer's choice: one mentor with one participant.
OTHER_COHORT = "PKA Angkatan II"
OTHER_ROSTER = "\n".join(
    [
        HEADER,
        "mentor,Drs. Sutrisno Hadi,196901011994031007,Pemkot Palembang,Asisten I,WIB,,,",
        "peserta,Rina Marlina,198807072012012008,Bappeda,Kepala Subbidang,WIB,"
        "196901011994031007,,Data Terpadu",
    ]
)


def png(telegram: FakeTelegram, message: Any) -> Image.Image:
    assert message.kind == "photo" and message.file_id
    stored = telegram.file(message.file_id)
    assert stored is not None
    return Image.open(io.BytesIO(stored.data)).convert("RGB")


def red_pixels(img: Image.Image) -> int:
    return sum(
        count
        for count, (r, g, b) in img.getcolors(maxcolors=1_000_000) or []
        if abs(r - RED[0]) < 30 and abs(g - RED[1]) < 30 and abs(b - RED[2]) < 30
    )


async def cohort_with_a_late_report(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> tuple[dict[str, Any], Any, Any]:
    """Budi: a milestone 20 days overdue and one ahead, a 40% report on the late one, not yet
    answered. Nurhayati: two milestones ahead, never reported. Bambang mentors both."""
    team = await import_roster(engine, now - timedelta(days=30))
    await add_milestones(
        engine,
        team["budi"].nip,
        now - timedelta(days=30),
        [("Rapat koordinasi tim efektif", 10), ("Uji coba aplikasi", 60)],
    )
    await add_milestones(engine, team["nurhayati"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    await report(bot, budi, "Rapat koordinasi", "Undangan rapat sudah dikirim.", "40%")
    return team, budi, bambang


async def test_the_organizer_gets_the_chart_and_a_summary_of_who_is_behind(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    await cohort_with_a_late_report(bot, telegram, engine, now)
    clock.advance(timedelta(hours=5))  # the report has waited five hours for Bambang
    admin = telegram.user(ADMIN_ID, "Admin")

    summary = await say(bot, admin, "/rekap")

    photo = admin.inbox[-2]
    assert photo.caption is not None and photo.caption.startswith("Rekap PKP Angkatan IV")
    img = png(telegram, photo)
    assert img.size[0] == 1080 and 300 < img.size[1] < 1280
    assert len(img.getcolors(maxcolors=1_000_000) or []) > 50
    assert red_pixels(img) > 200  # Budi's overdue milestone

    plain = summary.plain
    assert "Peserta: 2 (sudah bergabung: 1)" in plain
    assert "Laporan 7 hari terakhir: 1" in plain
    assert "Laporan menunggu umpan balik: 1" in plain
    assert "Tahapan terlambat: 1" in plain
    assert "Peserta tanpa laporan 14 hari terakhir: 1" in plain
    assert "• Budi Santoso (20%): 1 tahapan terlambat" in plain  # (40% + 0%) / 2
    assert "• Nurhayati Umasugi (0%): belum pernah melapor" in plain
    # Bambang leaves Budi waiting; Lina (coach) too. The admin sees both.
    assert (
        "• Dr. Ir. Bambang Wijaya (Mentor): median – · ditanggapi 0 dari 1 · menunggu 1, "
        "terlama 5 jam" in plain
    )
    assert "Dr. Lina Marliani (Coach)" in plain


async def test_an_organizer_of_two_cohorts_picks_one_and_forged_choices_are_refused(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    await import_roster(engine, now, OTHER_ROSTER, OTHER_COHORT)
    admin = telegram.user(ADMIN_ID, "Admin")

    chooser = await say(bot, admin, "/rekap")
    assert chooser.plain == text("recap.ask.cohort")
    assert chooser.button_texts == [OTHER_COHORT, "PKP Angkatan IV"]

    before = len(admin.inbox)
    answer = await press_data(bot, admin, chooser, "rk1:999")  # no such cohort
    assert answer.show_alert and answer.text == text("recap.error.not_yours")
    answer = await press_data(bot, admin, chooser, "rk1:abc")
    assert answer.show_alert and answer.text == text("recap.error.not_yours")
    assert len(admin.inbox) == before and not chooser.edited

    await press(bot, admin, chooser, OTHER_COHORT)
    photo, summary = admin.inbox[-2], admin.inbox[-1]
    assert png(telegram, photo).size[0] == 1080
    assert red_pixels(png(telegram, photo)) == 0  # nothing overdue here
    assert summary.plain.startswith(f"Rekap {OTHER_COHORT}")
    assert "Peserta: 1 (sudah bergabung: 0)" in summary.plain
    assert "• Rina Marlina (0%): belum pernah melapor" in summary.plain
    assert "Budi" not in summary.plain


async def test_a_mentor_sees_only_his_own_participants_and_his_own_response_times(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    # Budi and Nurhayati are Bambang's; a third participant has another mentor.
    roster = "\n".join(
        [
            HEADER,
            "mentor,Dr. Ir. Bambang Wijaya,197005051995031003,Pemprov Sumsel,Sekda,WIB,,,",
            "coach,Dr. Lina Marliani,197209092000122004,BPSDM Sumsel,Widyaiswara,WIB,,,",
            "mentor,Ir. Hasan Basri,198512122010011006,Pemprov Sumsel,Kepala Dinas,WIB,,,",
            "peserta,Budi Santoso,198001152005011001,Dinas Kominfo,Kabid,WIB,"
            "197005051995031003,197209092000122004,Aduan",
            "peserta,Nurhayati Umasugi,198203102006042002,Dinkes Malut,Kasi,WIT,"
            "197005051995031003,197209092000122004,Posyandu",
            "peserta,Siti Rahmawati,199001012015032001,Dispenda,Kasubbid,WIB,"
            "198512122010011006,197209092000122004,Pajak Daring",
        ]
    )
    team = await import_roster(engine, now, roster)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)

    summary = await say(bot, bambang, "/rekap")

    plain = summary.plain
    assert plain.startswith("Rekap PKP Angkatan IV") and text("recap.summary.own") in plain
    assert "Peserta: 2 (sudah bergabung: 0)" in plain
    assert "Budi Santoso" in plain and "Nurhayati Umasugi" in plain
    assert "Siti" not in plain
    assert text("recap.responses.title_own") in plain
    assert "Bambang Wijaya (Mentor)" in plain and "Lina" not in plain and "Hasan" not in plain
    assert png(telegram, bambang.inbox[-2]).size[0] == 1080


async def test_a_mentor_without_participants_is_told_so_politely(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    hasan = await join(bot, telegram, 1007, team["hasan"].code)
    before = len(hasan.inbox)

    reply = await say(bot, hasan, "/rekap")

    assert reply.plain == text("recap.none")
    assert len(hasan.inbox) == before + 1 and all(m.kind == "text" for m in hasan.inbox)
    # A cohort button forged by someone who may not see it sends nothing either.
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id))
    answer = await press_data(bot, hasan, reply, f"rk1:{cohort_id}")
    assert answer.show_alert and answer.text == text("recap.error.not_yours")
    assert len(hasan.inbox) == before + 1


async def test_participants_and_strangers_are_refused_in_chat_and_by_forged_buttons(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    stranger = telegram.user(4004, "Asing")
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id))

    reply = await say(bot, budi, "/rekap")
    roles = "Penyelenggara, Mentor, Coach"
    assert reply.plain == text("access.role_required", roles=roles)
    reply = await say(bot, stranger, "/rekap")
    assert reply.plain == text("access.not_registered")

    for user in (budi, stranger):
        before = len(user.inbox)
        answer = await press_data(bot, user, user.last, f"rk1:{cohort_id}")
        assert answer.show_alert
        assert len(user.inbox) == before
        assert all(m.kind == "text" for m in user.inbox)


async def test_an_empty_cohort_gets_a_message_instead_of_a_chart(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    roster = "\n".join(
        [HEADER, "penyelenggara,Andi Pratama,199105052018011001,BPSDM,Analis,WIB,,,"]
    )
    await import_roster(engine, now, roster)
    admin = telegram.user(ADMIN_ID, "Admin")

    reply = await say(bot, admin, "/rekap")

    assert reply.plain == text("recap.empty", cohort="PKP Angkatan IV")
    assert all(m.kind == "text" for m in admin.inbox)


async def test_overdue_follows_each_participants_own_midnight(engine: AsyncEngine) -> None:
    """At 23.30 WIB on 1 November it is already 2 November in Sofifi (WIT): a milestone due on
    1 November is overdue for Nurhayati but not yet for Budi in Palembang."""
    planned = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
    team = await import_roster(engine, planned)
    for handle in ("budi", "nurhayati"):
        await add_milestones(engine, team[handle].nip, planned, [("Peluncuran", 31)])
    late_evening = datetime(2026, 11, 1, 16, 30, tzinfo=UTC)

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with session_factory(engine)() as session:
            cohort_id = await session.scalar(select(Cohort.id))
            assert cohort_id is not None
            statements.clear()
            recap = await cohort_recap(session, cohort_id, late_evening)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)

    by_name = {p.name: p for p in recap.participants}
    assert by_name["Budi Santoso"].figures(Horizon.SHORT).overdue == 0
    assert by_name["Nurhayati Umasugi"].figures(Horizon.SHORT).overdue == 1
    assert by_name["Nurhayati Umasugi"].figures(Horizon.SHORT).milestones == 1
    assert recap.figures.overdue_milestones == 1
    assert len(statements) <= 8  # a fixed number of queries, not one per participant

    async with session_factory(engine)() as session:
        budi_id = await session.scalar(select(Person.id).where(Person.nip == team["budi"].nip))
        assert budi_id is not None
        only_budi = await cohort_recap(session, cohort_id, late_evening, [budi_id])
    assert [p.name for p in only_budi.participants] == ["Budi Santoso"] and only_budi.scoped


async def test_a_large_cohort_comes_as_an_album_of_pages_a_phone_can_read(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    rows = [HEADER, "mentor,Dr. Ir. Bambang Wijaya,197005051995031003,Pemprov,Sekda,WIB,,,"]
    rows += [
        f"peserta,Peserta Nomor {i},19800115200501{1 + i % 2}{100 + i:03d},Dinas,Kabid,WIB,"
        "197005051995031003,,Proyek"
        for i in range(1, 18)
    ]
    await import_roster(engine, now, "\n".join(rows))
    admin = telegram.user(ADMIN_ID, "Admin")

    summary = await say(bot, admin, "/rekap")

    pages = admin.inbox[-3:-1]
    assert [m.kind for m in pages] == ["photo", "photo"]
    assert pages[0].media_group_id is not None
    assert pages[0].media_group_id == pages[1].media_group_id
    assert pages[0].caption and pages[0].caption.startswith("Rekap PKP Angkatan IV")
    for page in pages:
        img = png(telegram, page)
        assert img.size[0] == 1080 and img.size[1] <= 1280
    assert "Peserta: 17 (sudah bergabung: 0)" in summary.plain


async def test_an_organizer_by_membership_sees_only_the_cohort_they_run(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    andi = "penyelenggara,Andi Pratama,199105052018011001,BPSDM,Analis,WIB,,,"
    team = await import_roster(engine, now, "\n".join([*SMALL_ROSTER.splitlines(), andi]))
    await import_roster(engine, now, OTHER_ROSTER, OTHER_COHORT)
    organizer = await join(bot, telegram, 1010, team["andi"].code)
    async with session_factory(engine)() as session:
        other_id = await session.scalar(select(Cohort.id).where(Cohort.name == OTHER_COHORT))

    summary = await say(bot, organizer, "/rekap")  # one cohort: no question first

    assert summary.plain.startswith("Rekap PKP Angkatan IV")
    assert "Peserta: 2" in summary.plain and "Rina" not in summary.plain
    before = len(organizer.inbox)
    answer = await press_data(bot, organizer, summary, f"rk1:{other_id}")
    assert answer.show_alert and answer.text == text("recap.error.not_yours")
    assert len(organizer.inbox) == before


async def test_a_mentor_in_two_cohorts_chooses_one_at_a_time(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    bambang_too = OTHER_ROSTER.replace("196901011994031007", "197005051995031003").replace(
        "Drs. Sutrisno Hadi", "Dr. Ir. Bambang Wijaya"
    )
    await import_roster(engine, now, bambang_too, OTHER_COHORT)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)

    chooser = await say(bot, bambang, "/rekap")
    assert chooser.button_texts == [
        f"{OTHER_COHORT} (peserta Bapak/Ibu)",
        "PKP Angkatan IV (peserta Bapak/Ibu)",
    ]
    await press(bot, bambang, chooser, f"{OTHER_COHORT} (peserta Bapak/Ibu)")

    summary = bambang.last
    assert summary.plain.startswith(f"Rekap {OTHER_COHORT}")
    assert "Rina Marlina" in summary.plain and "Budi" not in summary.plain
    assert bambang.inbox[-2].kind == "photo"
