"""What a real cohort tripped over in chat: labels, unforwarded text, double taps, a decline
pressed on a photo."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from fakegram import FakeTelegram
from tests.conftest import ADMIN_ID
from tests.factories import import_roster
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import cast, join, report


def _no_error(*chats: list[str]) -> None:
    generic = text("error.generic")
    for shown in chats:
        assert generic not in shown


async def test_peserta_describes_each_participant_not_the_advisor_viewing_it(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    _, bambang, lina, _ = await cast(bot, telegram, engine, now)
    for advisor in (bambang, lina):
        listing = await say(bot, advisor, "/peserta")
        assert "Budi Santoso" in listing.plain and "Nurhayati Umasugi" in listing.plain
        for own_role in ("role.mentor", "role.coach"):
            assert f"({text(own_role)})" not in listing.plain


async def test_a_mentor_typing_without_reply_is_told_it_was_not_forwarded_and_how(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _, _ = await cast(bot, telegram, engine, now)
    await report(bot, budi, "Rapat koordinasi", "Rapat perdana sudah terlaksana.", "60%")
    budi_inbox = len(budi.inbox)

    answer = await say(bot, bambang, "Bagus, lanjutkan.")

    assert answer.plain == text("feedback.not_forwarded")
    assert answer.plain != text("text.no_conversation")
    assert len(budi.inbox) == budi_inbox  # indeed nothing reached the participant
    # A reply to the relayed report still goes through.
    bambang.send("Bagus, lanjutkan.", reply_to=bambang.inbox[-2])
    await bot.settle()
    assert "Bagus, lanjutkan." in budi.last.plain


async def test_double_taps_on_language_zone_and_decline_are_saved_without_an_error(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)

    menu = await say(bot, budi, "/bahasa")
    budi.press(menu, "English")
    budi.press(menu, "English")  # the second tap of a quick double tap
    await bot.settle()
    assert menu.plain == text("language.changed", "en")
    assert budi.last is menu

    menu = await say(bot, budi, "/zona")
    label = menu.button_texts[1]  # WITA
    budi.press(menu, label)
    budi.press(menu, label)
    await bot.settle()
    assert menu.plain.startswith(text("zone.changed", "en", zone="WITA", now="|").split("|")[0])
    assert budi.last is menu

    stranger = telegram.user(1002, "Nur")
    consent = await say(bot, stranger, f"/start {team['nurhayati'].code}")
    decline = next(b for b in consent.button_texts if b != text("consent.agree"))
    stranger.press(consent, decline)
    stranger.press(consent, decline)
    await bot.settle()
    assert consent.plain == text("consent.declined")
    assert stranger.last is consent
    _no_error([m.plain for m in budi.inbox], [m.plain for m in stranger.inbox])


async def test_choosing_everyone_again_in_an_announcement_is_no_error(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Rina")
    await say(bot, admin, "/umumkan")
    await say(bot, admin, "Libur nasional: kelas ditiadakan.")
    await press(bot, admin, admin.last, text("broadcast.button.skip"))
    picker = admin.last
    everyone = picker.button_texts[0]
    assert everyone.startswith("✅")  # everyone is chosen already

    answer = await press(bot, admin, picker, everyone)

    assert answer is not None and answer.text in (None, "")
    assert admin.last is picker
    _no_error([m.plain for m in admin.inbox])


async def test_a_decline_pressed_on_a_photo_or_another_message_leaves_it_alone(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _, _ = await cast(bot, telegram, engine, now)
    await report(bot, budi, "Rapat koordinasi", "Rapat perdana sudah terlaksana.", "60%", photos=1)
    await bot.deliver()
    photo, relay = bambang.inbox[-2], bambang.inbox[-1]
    assert photo.kind == "photo", [(m.kind, m.plain) for m in budi.inbox]

    for pressed in (photo, relay):
        before = (pressed.plain, pressed.button_texts)
        await press_data(bot, bambang, pressed, "ob1:n:K7PMQ2XD")
        assert (pressed.plain, pressed.button_texts) == before  # not rewritten
        assert bambang.last.plain == text("consent.declined")  # said in a new message
    _no_error([m.plain for m in bambang.inbox])
