"""/angkatan and /undang: an organizer sets a cohort's stage dates and hands out invite links;
nobody else reaches either, by command or by a forged button."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot, running_bot
from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import AuditEntry, Cohort, CohortStage, Person
from models.db import session_factory
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, HEADER, import_roster, on_telegram
from tests.integration.helpers import press, press_data, say, text

LINK = re.compile(r"https://t\.me/properbot_test_bot\?start=([A-Z0-9]+)")
BUDI_NIP = "198001152005011001"

# A second cohort run by an organizer who is admin by membership, not from the settings.
OTHER_COHORT = "PKN II Angkatan XXXVII"
OTHER_ROSTER = "\n".join(
    [
        HEADER,
        "penyelenggara,Yulia Rahmawati,198806062012122008,BPSDM Sumsel,Analis SDM,WIB,,,",
        "mentor,Dr. Rahmat Hidayat,197503032000031007,Pemprov Sumsel,Asisten II,WIB,,,",
        "peserta,Siti Aminah,198402022008012003,Bappeda,Kepala Bidang,WIB,"
        "197503032000031007,,Perencanaan Terpadu",
    ]
)


async def join(bot: RunningBot, telegram: FakeTelegram, user_id: int, code: str) -> Any:
    user = telegram.user(user_id, f"User{user_id}")
    consent = await say(bot, user, f"/start {code}")
    await press(bot, user, consent, "Setuju")
    return user


async def stages(engine: AsyncEngine) -> list[tuple[str, date, date]]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(select(CohortStage).order_by(CohortStage.id))
        return [(s.name, s.starts_on, s.ends_on) for s in rows]


async def audits(engine: AsyncEngine, action: str) -> list[AuditEntry]:
    async with session_factory(engine)() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


async def cohort_id(engine: AsyncEngine, name: str = COHORT) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Cohort.id).where(Cohort.name == name))
        assert found is not None
        return found


async def add_stage_in_chat(
    bot: RunningBot, admin: Any, name: str, dates: str, *, cohort: str = COHORT
) -> Any:
    """/angkatan -> the cohort -> "Tambah tahap" -> name -> dates -> the read-back."""
    await say(bot, admin, "/angkatan")
    await press(bot, admin, admin.last, cohort)
    await press(bot, admin, admin.last, "Tambah tahap")
    await say(bot, admin, name)
    return await say(bot, admin, dates)


async def test_an_organizer_adds_a_stage_and_moves_its_dates(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")

    listing = await say(bot, admin, "/angkatan")
    assert "PKP Angkatan IV" in listing.plain and "Bergabung 0 dari 6" in listing.plain
    assert text("cohorts.no_stages").strip() in listing.plain
    assert listing.button_texts == [COHORT]

    await press(bot, admin, listing, COHORT)
    assert admin.last.button_texts == ["Tambah tahap"]
    await press(bot, admin, admin.last, "Tambah tahap")
    assert admin.last.plain.startswith("Silakan ketik nama tahap baru untuk PKP Angkatan IV")
    asked = await say(bot, admin, "Belajar mandiri")
    assert "Belajar mandiri" in asked.plain and "1 Feb 2027 - 21 Feb 2027" in asked.plain
    readback = await say(bot, admin, "2 Nov 2026 - 22 Nov 2026")
    assert "Mulai: Senin, 2 November 2026" in readback.plain
    assert "Selesai: Minggu, 22 November 2026" in readback.plain
    assert "(21 hari)" in readback.plain
    assert readback.button_texts == ["Simpan", "Ubah", "Batal"]
    assert await stages(engine) == []  # nothing before "Simpan"

    await press(bot, admin, readback, "Simpan")
    assert await stages(engine) == [("Belajar mandiri", date(2026, 11, 2), date(2026, 11, 22))]
    saved = admin.inbox[-2]
    assert saved.plain.startswith("Tersimpan: tahap Belajar mandiri")
    detail = admin.last
    assert "Belajar mandiri: Senin, 2 November 2026 s.d. Minggu, 22 November 2026" in detail.plain
    assert detail.button_texts == ["Ubah Belajar mandiri", "Tambah tahap"]

    # Move it, the way people type ranges: month names, then slashes with an en dash.
    await press(bot, admin, detail, "Ubah Belajar mandiri")
    assert "Senin, 2 November 2026 s.d. Minggu, 22 November 2026" in admin.inbox[-2].plain
    readback = await say(bot, admin, "1 Feb 2027 - 21 Feb 2027")
    assert "Mulai: Senin, 1 Februari 2027" in readback.plain
    assert "Selesai: Minggu, 21 Februari 2027" in readback.plain
    await press(bot, admin, readback, "Ubah")  # typed it wrong after all: ask again
    assert "1 Feb 2027 - 21 Feb 2027" in admin.last.plain
    readback = await say(bot, admin, "1/2/2027 – 28/2/2027")
    assert "Selesai: Minggu, 28 Februari 2027" in readback.plain
    await press(bot, admin, readback, "Simpan")
    assert await stages(engine) == [("Belajar mandiri", date(2027, 2, 1), date(2027, 2, 28))]

    entries = await audits(engine, "cohort.stage")
    assert [e.details["change"] for e in entries] == ["added", "dates"]
    assert entries[1].details["before"] == ["2026-11-02", "2026-11-22"]
    assert entries[1].details["after"] == ["2027-02-01", "2027-02-28"]
    cid = await cohort_id(engine)
    assert all(e.cohort_id == cid for e in entries)
    async with session_factory(engine)() as session:
        admin_person = await session.scalar(select(Person.id).where(on_telegram(ADMIN_ID)))
    assert entries[1].actor_id == admin_person

    listing = await say(bot, admin, "/angkatan")
    assert "Belajar mandiri: Senin, 1 Februari 2027 s.d. Minggu, 28 Februari 2027" in listing.plain


async def test_overlapping_stages_are_saved_with_a_warning(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")
    readback = await add_stage_in_chat(bot, admin, "Belajar mandiri", "2 Nov 2026 - 22 Nov 2026")
    assert text("stage.overlap") not in readback.plain
    await press(bot, admin, readback, "Simpan")

    readback = await add_stage_in_chat(bot, admin, "Orientasi", "20/11/2026 - 24/11/2026")
    assert text("stage.overlap") in readback.plain
    assert "Belajar mandiri: Senin, 2 November 2026 s.d. Minggu, 22 November 2026" in readback.plain
    await press(bot, admin, readback, "Simpan")
    assert [s[0] for s in await stages(engine)] == ["Belajar mandiri", "Orientasi"]


async def test_wrong_dates_and_names_are_explained_and_change_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")
    readback = await add_stage_in_chat(bot, admin, "Belajar mandiri", "2 Nov 2026 - 22 Nov 2026")
    await press(bot, admin, readback, "Simpan")
    before = await stages(engine)

    await press(bot, admin, admin.last, "Ubah Belajar mandiri")
    reply = await say(bot, admin, "awal Februari")
    assert reply.plain.startswith(text("date.error.not_understood", value="awal Februari"))
    assert text("stage.example") in reply.plain
    reply = await say(bot, admin, "31/2/2027 - 5/3/2027")
    assert reply.plain.startswith(text("date.error.impossible", value="31/2/2027"))
    reply = await say(bot, admin, "21 Feb 2027 - 1 Feb 2027")
    assert reply.plain.startswith(
        text("stage.error.order", start="Minggu, 21 Februari 2027", end="Senin, 1 Februari 2027")
    )
    # The conversation still waits for dates; /batal leaves it.
    assert (await say(bot, admin, "/batal")).plain == text("conversation.cancelled")
    assert (await say(bot, admin, "/batal")).plain == text("conversation.nothing_to_cancel")
    assert await stages(engine) == before

    # "Batal" on the read-back saves nothing either.
    await say(bot, admin, "/angkatan")
    await press(bot, admin, admin.last, COHORT)
    await press(bot, admin, admin.last, "Ubah Belajar mandiri")
    readback = await say(bot, admin, "1 Feb 2027 - 21 Feb 2027")
    await press(bot, admin, readback, "Batal")
    assert admin.last.plain == text("conversation.cancelled")
    assert await stages(engine) == before

    # Names: too long, then one the cohort already has.
    await say(bot, admin, "/angkatan")
    await press(bot, admin, admin.last, COHORT)
    await press(bot, admin, admin.last, "Tambah tahap")
    reply = await say(bot, admin, "x" * 61)
    assert reply.plain == text("text.error.too_long", limit=60, length=61)
    reply = await say(bot, admin, "belajar  MANDIRI")
    assert reply.plain == text("stage.error.duplicate", name="Belajar mandiri")
    assert (await say(bot, admin, "/batal")).plain == text("conversation.cancelled")

    assert await stages(engine) == before
    assert len(await audits(engine, "cohort.stage")) == 1


async def test_undang_lists_only_who_has_not_joined_with_links_that_work(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await join(bot, telegram, 1001, team["budi"].code)
    admin = telegram.user(ADMIN_ID, "Yulia")

    offer = await say(bot, admin, "/undang")
    assert "PKP Angkatan IV: 5 dari 6 orang belum bergabung" in offer.plain
    await press(bot, admin, offer, "Semua yang belum bergabung")
    intro = next(m for m in admin.inbox if m.plain and m.plain.startswith("Berikut tautan"))
    listing = admin.inbox[admin.inbox.index(intro) + 1 :]
    body = "\n".join(m.plain for m in listing)
    codes = LINK.findall(body)
    assert sorted(codes) == sorted(m.code for name, m in team.items() if name != "budi")
    assert "Budi Santoso" not in body
    assert "Nurhayati Umasugi (Peserta)" in body and "Prof. Teguh Santoso (Penguji)" in body
    assert all(m.reply_markup is None for m in listing)  # plain text, ready to forward

    entries = await audits(engine, "invite.list")
    assert [(e.details["scope"], e.details["count"]) for e in entries] == [("pending", 5)]

    # A link from the list joins its person.
    code = re.search(r"Nurhayati Umasugi \(Peserta\)\n" + LINK.pattern, body)
    assert code is not None and code.group(1) == team["nurhayati"].code
    await join(bot, telegram, 1002, code.group(1))
    async with session_factory(engine)() as session:
        nur = await session.scalar(select(Person).where(Person.nip == team["nurhayati"].nip))
        assert nur is not None and [a.external_user_id for a in nur.accounts] == ["1002"]

    offer = await say(bot, admin, "/undang")
    assert "4 dari 6 orang belum bergabung" in offer.plain


async def test_a_long_invite_list_is_split_under_telegrams_limit(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    rows = [HEADER, "mentor,Dr. Ir. Bambang Wijaya,197005051995031003,Pemprov,Sekda,WIB,,,"]
    for i in range(80):
        nip = f"19800115200501{1 if i % 2 else 2}{i + 100:03d}"
        rows.append(
            f"peserta,Peserta Dengan Nama Cukup Panjang Nomor {i:02d},{nip},Dinas,Kabid,WIB,"
            "197005051995031003,,"
        )
    await import_roster(engine, now, "\n".join(rows))
    admin = telegram.user(ADMIN_ID, "Yulia")
    await press(bot, admin, await say(bot, admin, "/undang"), "Semua yang belum bergabung")
    intro = next(m for m in admin.inbox if m.plain and m.plain.startswith("Berikut tautan"))
    parts = admin.inbox[admin.inbox.index(intro) + 1 :]
    assert len(parts) >= 2
    assert all(len(m.plain) <= 4096 for m in parts)
    codes = [c for m in parts for c in LINK.findall(m.plain)]
    assert len(codes) == 81 and len(set(codes)) == 81
    # No entry is torn between two messages: every part starts with a name or the header.
    assert all(not LINK.match(m.plain.lstrip()) for m in parts)


async def test_undang_for_one_person_by_nip_or_name(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")

    await say(bot, admin, "/undang 19800115 200501 1 001")
    intro, invitation = admin.inbox[-2:]
    assert intro.plain.startswith("Undangan untuk Budi Santoso (Peserta, PKP Angkatan IV)")
    assert invitation.plain.startswith("Yth. Bapak Budi Santoso,")
    assert LINK.findall(invitation.plain) == [team["budi"].code]
    assert (await audits(engine, "invite.list"))[0].details == {
        "scope": "person",
        "person_id": (await person_id(engine, BUDI_NIP)),
    }

    await say(bot, admin, "/undang nurhayati")
    invitation = admin.last
    assert invitation.plain.startswith("Yth. Ibu Nurhayati Umasugi,")
    assert LINK.findall(invitation.plain) == [team["nurhayati"].code]

    # Two Santosos: buttons to choose from.
    choice = await say(bot, admin, "/undang santoso")
    assert choice.plain == text("invite.many", count=2)
    assert choice.button_texts == [
        "Budi Santoso · Peserta · PKP Angkatan IV",
        "Prof. Teguh Santoso · Penguji · PKP Angkatan IV",
    ]
    await press(bot, admin, choice, "Prof. Teguh Santoso · Penguji · PKP Angkatan IV")
    assert LINK.findall(admin.last.plain) == [team["teguh"].code]

    assert (await say(bot, admin, "/undang Siti")).plain == text("invite.no_match", query="Siti")

    # Once joined, the organizer is told since when instead of getting a link.
    await join(bot, telegram, 1001, team["budi"].code)
    reply = await say(bot, admin, "/undang 198001152005011001")
    assert reply.plain == text(
        "invite.joined",
        name="Budi Santoso",
        role="Peserta",
        cohort=COHORT,
        at="Senin, 2 November 2026, 08.00 WIB",
    )
    assert len(await audits(engine, "invite.list")) == 3


async def person_id(engine: AsyncEngine, nip: str) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Person.id).where(Person.nip == nip))
        assert found is not None
        return found


@pytest.mark.parametrize("command", ["/angkatan", "/undang", "/undang budi"])
async def test_non_admins_are_refused_both_commands(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, command: str
) -> None:
    team = await import_roster(engine, now)
    participant = await join(bot, telegram, 1001, team["budi"].code)
    mentor = await join(bot, telegram, 1005, team["bambang"].code)
    stranger = telegram.user(4004, "Asing")

    refusal = text("access.role_required", roles="Penyelenggara")
    assert (await say(bot, participant, command)).plain == refusal
    assert (await say(bot, mentor, command)).plain == refusal
    assert (await say(bot, stranger, command)).plain == text("access.not_registered")
    for user in (participant, mentor, stranger):
        assert not any(m.plain and LINK.search(m.plain) for m in user.inbox)
    assert await audits(engine, "invite.list") == []


async def test_forged_buttons_from_non_admins_change_and_reveal_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")
    readback = await add_stage_in_chat(bot, admin, "Belajar mandiri", "2 Nov 2026 - 22 Nov 2026")
    await press(bot, admin, readback, "Simpan")
    before = await stages(engine)
    cid = await cohort_id(engine)
    async with session_factory(engine)() as session:
        sid = await session.scalar(select(CohortStage.id))
    budi = await person_id(engine, BUDI_NIP)

    participant = await join(bot, telegram, 1001, team["budi"].code)
    mentor = await join(bot, telegram, 1005, team["bambang"].code)
    stranger = telegram.user(4004, "Asing")
    await say(bot, stranger, "/start")
    forged = [
        f"ak1:c:{cid}",
        f"ak1:e:{sid}",
        f"ak1:a:{cid}",
        "ak1:s:y",
        f"ud1:c:{cid}",
        f"ud1:a:{cid}",
        f"ud1:p:{budi}",
    ]
    for user, refusal in (
        (participant, text("access.role_required", roles="Penyelenggara")),
        (mentor, text("access.role_required", roles="Penyelenggara")),
        (stranger, text("access.not_registered")),
    ):
        for data in forged:
            seen = len(user.inbox)
            answer = await press_data(bot, user, user.last, data)
            assert answer is not None and answer.show_alert, data
            # A read-back button outside the conversation matches nothing: a stale button.
            assert answer.text == (text("button.stale") if data == "ak1:s:y" else refusal), data
            assert len(user.inbox) == seen, data  # no stage list, no link, no question
        # A date typed afterwards is not taken as a stage's new dates.
        await say(bot, user, "1 Feb 2027 - 21 Feb 2027")

    assert await stages(engine) == before
    assert await audits(engine, "invite.list") == []
    assert len(await audits(engine, "cohort.stage")) == 1


async def test_buttons_for_cohorts_stages_or_people_that_do_not_exist_are_refused(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")
    listing = await say(bot, admin, "/angkatan")
    for data in ("ak1:c:999", "ak1:e:999", "ak1:a:999", "ud1:c:999", "ud1:a:999", "ud1:p:999"):
        answer = await press_data(bot, admin, listing, data)
        assert answer is not None and answer.show_alert, data
        assert answer.text == text("cohort_admin.error.not_found"), data
    for data in ("ak1:c:x", "ak1:e:", "ud1:p:1:2", "ak1:s:y"):
        answer = await press_data(bot, admin, listing, data)
        assert answer is not None and answer.text == text("button.stale"), data
    assert await stages(engine) == []
    assert await audits(engine, "invite.list") == []


async def test_an_admin_by_membership_runs_only_their_own_cohort(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    other = await import_roster(engine, now, OTHER_ROSTER, OTHER_COHORT)
    yulia = await join(bot, telegram, 2001, other["yulia"].code)
    theirs, mine = await cohort_id(engine), await cohort_id(engine, OTHER_COHORT)

    listing = await say(bot, yulia, "/angkatan")
    assert OTHER_COHORT in listing.plain and COHORT not in listing.plain
    assert listing.button_texts == [OTHER_COHORT]
    for data in (f"ak1:c:{theirs}", f"ak1:a:{theirs}", f"ud1:a:{theirs}"):
        answer = await press_data(bot, yulia, listing, data)
        assert answer is not None and answer.text == text("cohort_admin.error.not_found"), data
    assert (await say(bot, yulia, "/undang budi")).plain == text("invite.no_match", query="budi")

    # The admin from the settings runs both, so /undang asks which one first.
    admin = telegram.user(ADMIN_ID, "Admin")
    choice = await say(bot, admin, "/undang")
    assert choice.plain == text("invite.ask.cohort")
    assert sorted(choice.button_texts) == sorted([COHORT, OTHER_COHORT])
    await press(bot, admin, choice, OTHER_COHORT)
    assert admin.last.plain.startswith(f"{OTHER_COHORT}: 2 dari 3 orang belum bergabung")
    assert admin.last.button_texts == ["Semua yang belum bergabung"]

    # Her own cohort works: one cohort, so /undang goes straight to it.
    offer = await say(bot, yulia, "/undang")
    assert offer.plain.startswith(f"{OTHER_COHORT}: 2 dari 3 orang belum bergabung")
    await press_data(bot, yulia, offer, f"ud1:a:{mine}")
    assert len(LINK.findall(yulia.last.plain)) == 2
    readback = await add_stage_in_chat(
        bot, yulia, "Seminar laporan", "10 Feb 2027 - 12 Feb 2027", cohort=OTHER_COHORT
    )
    await press(bot, yulia, readback, "Simpan")
    async with session_factory(engine)() as session:
        count = await session.scalar(
            select(func.count()).select_from(CohortStage).where(CohortStage.cohort_id == mine)
        )
    assert count == 1


async def test_a_half_done_stage_survives_a_restart_and_reads_back_in_english(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    await import_roster(engine, now)
    # An English-speaking organizer in WIT: dates are dates, the same in every zone.
    admin = telegram.user(ADMIN_ID, "Yulia", language_code="en")
    clock = ManualClock(now)
    async with running_bot(telegram, settings, clock=clock, engine=engine) as bot:
        await say(bot, admin, "/zona")
        await press(bot, admin, admin.last, admin.last.button_texts[-1])  # WIT
        await say(bot, admin, "/angkatan")
        await press(bot, admin, admin.last, COHORT)
        await press(bot, admin, admin.last, text("cohort.button.add", "en"))
        asked = await say(bot, admin, "On campus")
        assert "On campus" in asked.plain
    # A new Application, as after a deploy: the organizer answers the question already asked.
    async with running_bot(telegram, settings, clock=clock, engine=engine) as bot:
        readback = await say(bot, admin, "1 Feb 2027 - 10 Feb 2027")
        assert "Monday, 1 February 2027" in readback.plain
        assert "Wednesday, 10 February 2027" in readback.plain
        assert await stages(engine) == []
        await press(bot, admin, readback, text("stage.button.save", "en"))
    assert await stages(engine) == [("On campus", date(2027, 2, 1), date(2027, 2, 10))]
    assert len(await audits(engine, "cohort.stage")) == 1
