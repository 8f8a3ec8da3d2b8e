"""Joining by invite code with consent, through the real bot over HTTP, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.clock import ManualClock
from domain.enums import Channel
from fakegram import FakeTelegram
from models import AuditEntry, Invite, Person
from models.db import session_factory
from tests.factories import import_roster, person_on_telegram
from tests.integration.helpers import press, press_data, say, text


async def person_of(engine: AsyncEngine, telegram_user_id: int) -> Person | None:
    async with session_factory(engine)() as session:
        return await person_on_telegram(session, telegram_user_id)


async def test_participant_joins_through_the_deep_link_after_consent(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = telegram.user(1001, "Budi", language_code="id")

    consent = await say(bot, budi, f"/start {team['budi'].code}")

    assert "Undang-Undang Nomor 27 Tahun 2022" in consent.plain
    assert "di luar Indonesia" in consent.plain
    assert "Budi Santoso" in consent.plain
    assert consent.button_texts == ["Setuju", "Tidak setuju"]
    assert await person_of(engine, 1001) is None  # nothing bound before consent

    await press(bot, budi, consent, "Setuju")

    assert budi.inbox[-2].plain == text("consent.recorded", at="Senin, 2 November 2026, 08.00 WIB")
    assert budi.inbox[-2].button_texts == []  # the consent buttons are gone
    welcome = budi.last.plain
    assert "Bapak Budi Santoso" in welcome
    assert "Peserta pada PKP Angkatan IV" in welcome
    person = await person_of(engine, 1001)
    assert person is not None and person.consent_at == now
    [account] = person.accounts
    assert (account.channel, account.external_user_id, account.chat_ref) == (
        Channel.TELEGRAM,
        "1001",
        "1001",
    )
    async with session_factory(engine)() as session:
        invite = await session.scalar(select(Invite).where(Invite.person_id == person.id))
        assert invite is not None and invite.used_by_account_id == account.id
        actions = list(await session.scalars(select(AuditEntry.action)))
        assert "person.joined" in actions
    menu = [command for command, _ in telegram.menu_for(1001)]
    assert menu == [
        "start", "bantuan", "lapor", "status", "proyek", "portofolio", "bahan", "nilai", "jadwal",
        "jeda",
        "dasbor", "profil",
        "dataku", "bahasa", "zona", "batal"
    ]  # fmt: skip


async def test_start_without_code_then_the_code_as_text_in_english(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    lina = telegram.user(1002, "Lina", language_code="en")

    prompt = await say(bot, lina, "/start")
    assert prompt.plain == text("start.ask_code", "en")

    consent = await say(bot, lina, team["lina"].code.lower())  # typed in lower case
    assert "Personal Data Protection" in consent.plain
    assert consent.button_texts == ["I agree", "I do not agree"]

    await press(bot, lina, consent, "I agree")
    assert "Coach in PKP Angkatan IV" in lina.last.plain
    person = await person_of(engine, 1002)
    assert person is not None and person.language == "en"


async def test_a_participant_in_wit_is_greeted_with_wit_times(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    nur = telegram.user(1003, "Nur", language_code="id")
    consent = await say(bot, nur, f"/start {team['nurhayati'].code}")
    await press(bot, nur, consent, "Setuju")
    assert nur.inbox[-2].plain == text("consent.recorded", at="Senin, 2 November 2026, 10.00 WIT")
    assert "Ibu Nurhayati Umasugi" in nur.last.plain


async def test_declining_consent_binds_nothing_and_the_code_stays_usable(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = telegram.user(1001, "Budi")
    consent = await say(bot, budi, f"/start {team['budi'].code}")
    await press(bot, budi, consent, "Tidak setuju")
    assert budi.last.plain == text("consent.declined")
    assert await person_of(engine, 1001) is None

    consent = await say(bot, budi, f"/start {team['budi'].code}")
    await press(bot, budi, consent, "Setuju")
    assert await person_of(engine, 1001) is not None


async def test_a_used_code_never_binds_a_second_account(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    code = team["budi"].code
    budi = telegram.user(1001, "Budi")
    consent = await say(bot, budi, f"/start {code}")
    await press(bot, budi, consent, "Setuju")

    other = telegram.user(2002, "Orang Lain")
    reply = await say(bot, other, f"/start {code}")
    assert reply.plain == text("code.used")
    assert reply.button_texts == []

    # Replaying the consent button with the code, forged on the other account's own message.
    answer = await press_data(bot, other, reply, f"ob1:y:{code}")
    assert answer is not None and answer.text == text("code.used")
    assert await person_of(engine, 2002) is None
    bound = await person_of(engine, 1001)
    assert bound is not None and bound.full_name == "Budi Santoso"


async def test_of_two_accounts_holding_the_consent_screen_only_the_first_wins(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    first, second = telegram.user(1001, "A"), telegram.user(1009, "B")
    consent_first = await say(bot, first, f"/start {team['budi'].code}")
    consent_second = await say(bot, second, f"/start {team['budi'].code}")

    await press(bot, first, consent_first, "Setuju")
    answer = await press(bot, second, consent_second, "Setuju")

    assert answer is not None and answer.text == text("code.used")
    assert await person_of(engine, 1009) is None
    assert await person_of(engine, 1001) is not None


async def test_wrong_codes_lock_the_account_out_for_a_while(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team = await import_roster(engine, now)
    guesser = telegram.user(3003, "Penebak")
    for left in (4, 3, 2, 1):
        reply = await say(bot, guesser, "ZZZZ9999")
        assert reply.plain == text("code.unknown", left=left)
    reply = await say(bot, guesser, "ZZZZ9999")
    locked = text("code.locked", until="Senin, 2 November 2026, 08.15 WIB")
    assert reply.plain == locked

    # Even the right code is refused while locked.
    reply = await say(bot, guesser, team["budi"].code)
    assert reply.plain == locked

    clock.advance(timedelta(minutes=16))
    reply = await say(bot, guesser, team["budi"].code)
    assert reply.button_texts == ["Setuju", "Tidak setuju"]


async def test_a_joined_account_cannot_take_another_persons_code(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = telegram.user(1001, "Budi")
    consent = await say(bot, budi, f"/start {team['budi'].code}")
    await press(bot, budi, consent, "Setuju")

    reply = await say(bot, budi, f"/start {team['nurhayati'].code}")
    assert reply.plain == text("code.account_bound")
    reply = await say(bot, budi, f"/start {team['budi'].code}")
    assert reply.plain == text("start.welcome_back", person="Bapak Budi Santoso", role="Peserta")
