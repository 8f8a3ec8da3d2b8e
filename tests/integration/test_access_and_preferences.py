"""Who may do what, help per role, language and zone; strangers and forged buttons do nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from fakegram import FakeTelegram
from models import Person
from models.db import session_factory
from tests.conftest import ADMIN_ID
from tests.factories import import_roster, on_telegram
from tests.integration.helpers import press, press_data, say, text


async def join(bot: RunningBot, telegram: FakeTelegram, user_id: int, code: str, lang: str = "id"):  # type: ignore[no-untyped-def]
    user = telegram.user(user_id, f"User{user_id}", language_code=lang)
    consent = await say(bot, user, f"/start {code}")
    await press(bot, user, consent, "Setuju" if lang == "id" else "I agree")
    return user


@pytest.mark.parametrize(
    "command", ["/proyek", "/peserta", "/angkatan", "/profil", "/bahasa", "/zona", "/lapor"]
)
async def test_a_stranger_can_use_only_start_and_help(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, command: str
) -> None:
    await import_roster(engine, now)
    stranger = telegram.user(4004, "Asing")
    reply = await say(bot, stranger, command)
    assert reply.plain == text("access.not_registered")


async def test_a_stranger_sending_a_photo_or_forging_buttons_changes_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    stranger = telegram.user(4004, "Asing")
    stranger.send_photo(b"\xff\xd8\xff\xe0fake-jpeg", caption="laporan")
    await bot.settle()
    assert stranger.last.plain == text("access.not_registered")

    for forged in ("lg1:en", "tz1:WIT", "ob1:y:AAAAAAAA", "xx9:whatever"):
        answer = await press_data(bot, stranger, stranger.last, forged)
        assert answer is not None and answer.show_alert
    async with session_factory(engine)() as session:
        assert await session.scalar(select(Person).where(on_telegram(4004))) is None


async def test_help_lists_exactly_the_commands_of_each_role(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    stranger = telegram.user(4004, "Asing")
    participant = await join(bot, telegram, 1001, team["budi"].code)
    mentor = await join(bot, telegram, 1005, team["bambang"].code)
    examiner = await join(bot, telegram, 1006, team["teguh"].code)

    def commands(message: object) -> set[str]:
        return {line.split()[0] for line in message.plain.splitlines() if line.startswith("/")}  # type: ignore[attr-defined]

    assert commands(await say(bot, stranger, "/bantuan")) == {"/start", "/bantuan"}
    everyone = {
        "/start",
        "/bantuan",
        "/jadwal",
        "/dasbor",
        "/profil",
        "/dataku",
        "/bahasa",
        "/zona",
        "/batal",
    }
    participant_help = commands(await say(bot, participant, "/bantuan"))
    assert participant_help == everyone | {
        "/lapor",
        "/status",
        "/proyek",
        "/portofolio",
        "/bahan",
        "/jeda",
        "/nilai",
    }
    assert commands(await say(bot, mentor, "/bantuan")) == everyone | {
        "/peserta",
        "/rekap",
        "/jeda",
    }
    assert commands(await say(bot, examiner, "/bantuan")) == everyone | {"/penguji"}
    menu = {command for command, _ in telegram.menu_for(1005)}
    assert menu == {c.lstrip("/") for c in everyone | {"/peserta", "/rekap", "/jeda"}}


async def test_role_commands_refuse_other_roles(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    participant = await join(bot, telegram, 1001, team["budi"].code)
    mentor = await join(bot, telegram, 1005, team["bambang"].code)

    reply = await say(bot, participant, "/angkatan")
    assert reply.plain == text("access.role_required", roles="Penyelenggara")
    reply = await say(bot, participant, "/peserta")
    assert reply.plain == text("access.role_required", roles="Mentor, Coach")
    reply = await say(bot, mentor, "/proyek")
    assert reply.plain == text("access.role_required", roles="Peserta")


async def test_mentor_sees_only_assigned_participants(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await join(bot, telegram, 1001, team["budi"].code)
    mentor = await join(bot, telegram, 1005, team["bambang"].code)
    other_mentor = await join(bot, telegram, 1007, team["hasan"].code)

    listing = await say(bot, mentor, "/peserta")
    assert "Budi Santoso" in listing.plain and "sudah bergabung" in listing.plain
    assert "Nurhayati Umasugi" in listing.plain and "belum bergabung" in listing.plain
    assert "Layanan Aduan Warga Terpadu" in listing.plain
    assert listing.button_texts == ["Budi Santoso · 0%", "Nurhayati Umasugi · 0%"]

    assert (await say(bot, other_mentor, "/peserta")).plain == text("advisees.none")


async def test_participant_sees_own_project_and_profile_with_masked_nip(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    project = (await say(bot, budi, "/proyek")).plain
    assert "Layanan Aduan Warga Terpadu" in project

    profile = (await say(bot, budi, "/profil")).plain
    assert "Mentor: Dr. Ir. Bambang Wijaya" in profile
    assert "Coach: Dr. Lina Marliani" in profile
    assert "198001152005011001" not in profile and "19800115" not in profile
    assert "Senin, 2 November 2026, 08.00 WIB" in profile  # consent time


async def test_admin_from_settings_needs_no_code(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await join(bot, telegram, 1001, team["budi"].code)
    admin = telegram.user(ADMIN_ID, "Yulia")

    greeting = await say(bot, admin, "/start")
    assert "Penyelenggara" in greeting.plain
    overview = (await say(bot, admin, "/angkatan")).plain
    assert "PKP Angkatan IV" in overview and "Bergabung 1 dari 6" in overview
    menu = {command for command, _ in telegram.menu_for(ADMIN_ID)}
    assert "angkatan" in menu


async def test_switching_language_changes_replies_and_the_menu(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    chooser = await say(bot, budi, "/bahasa")
    assert chooser.button_texts == ["✓ Bahasa Indonesia", "English"]

    await press(bot, budi, chooser, "English")

    assert budi.inbox[-1].plain == text("language.changed", "en")  # the chooser, edited
    assert (await say(bot, budi, "/bantuan")).plain.startswith("Commands available to you:")
    menu = dict(telegram.menu_for(1001))
    assert menu["lapor"] == text("command.lapor", "en")
    assert (await say(bot, budi, "/nonsense")).plain == text("command.unknown", "en")


async def test_switching_zone_prints_local_time_with_the_label(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    chooser = await say(bot, budi, "/zona")
    assert chooser.button_texts == ["✓ 08.00 WIB", "09.00 WITA", "10.00 WIT"]

    await press(bot, budi, chooser, "09.00 WITA")

    assert budi.inbox[-1].plain == text(
        "zone.changed", zone="WITA", now="Senin, 2 November 2026, 09.00 WITA"
    )
    async with session_factory(engine)() as session:
        person = await session.scalar(select(Person).where(on_telegram(1001)))
        assert person is not None and person.timezone == "Asia/Makassar"
    # A stale or forged zone button is refused and changes nothing.
    answer = await press_data(bot, budi, chooser, "tz1:MARS")
    assert answer is not None and answer.text == text("button.stale")


async def test_someone_who_blocked_the_bot_is_reachable_again_once_they_come_back(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)

    async def reachable(telegram_user_id: int) -> bool:
        async with session_factory(engine)() as session:
            person = await session.scalar(select(Person).where(on_telegram(telegram_user_id)))
            assert person is not None
            return person.reachable

    async def blocked_and_found_out(user: object, telegram_user_id: int) -> None:
        # What the sender does on the 403 that follows a block.
        user.block()  # type: ignore[attr-defined]
        await bot.settle()
        async with session_factory(engine)() as session, session.begin():
            person = await session.scalar(select(Person).where(on_telegram(telegram_user_id)))
            assert person is not None
            person.accounts[0].reachable = False

    # Budi unblocks the bot (the client's "Restart"): reachable before he writes anything.
    await blocked_and_found_out(budi, 1001)
    assert not await reachable(1001)
    budi.unblock()
    await bot.settle()
    assert await reachable(1001)

    # Nurhayati's unblock is not seen (say, the bot was down); her next message is enough.
    await blocked_and_found_out(nurhayati, 1002)
    nurhayati.chat.blocked = False
    reply = await say(bot, nurhayati, "/profil")
    assert "Nurhayati" in reply.plain
    assert await reachable(1002)
