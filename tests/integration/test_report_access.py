"""Every access rule of reports, tried the way someone would try to break it; nothing changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.enums import MilestoneStatus
from fakegram import FakeTelegram
from models import FeedbackNote, Milestone, Person, ProgressUpdate
from models.db import session_factory
from tests.factories import add_milestones, import_roster, on_telegram
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import join, report


async def notes(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(FeedbackNote)) or 0)


async def world(bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime):  # type: ignore[no-untyped-def]
    """Budi reported 100 % on his first milestone; Nurhayati has milestones of her own."""
    team = await import_roster(engine, now)
    budi_milestones = await add_milestones(engine, team["budi"].nip, now)
    nur_milestones = await add_milestones(engine, team["nurhayati"].nip, now, [("Posyandu", 5)])
    people = {
        "budi": await join(bot, telegram, 1001, team["budi"].code),
        "nur": await join(bot, telegram, 1002, team["nurhayati"].code),
        "bambang": await join(bot, telegram, 1005, team["bambang"].code),
        "lina": await join(bot, telegram, 1006, team["lina"].code),
        "hasan": await join(bot, telegram, 1007, team["hasan"].code),  # a mentor of nobody
    }
    await report(bot, people["budi"], "Rapat koordinasi", "Semua rapat selesai.", "100%")
    async with session_factory(engine)() as session:
        update_id = await session.scalar(select(ProgressUpdate.id))
    assert update_id is not None
    return people, budi_milestones, nur_milestones, update_id


async def test_forged_and_misdirected_report_buttons_are_refused(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, _, _, uid = await world(bot, telegram, engine, now)
    budi, hasan, lina = people["budi"], people["hasan"], people["lina"]
    refused = text("access.not_yours")

    # The participant forges the approval of his own report on a message of his chat.
    answer = await press_data(bot, budi, budi.last, f"fb1:a:{uid}")
    assert answer is not None and answer.text == refused
    # A mentor of somebody else guesses the report id.
    menu = await say(bot, hasan, "/bantuan")
    for action in ("a", "f", "r"):
        answer = await press_data(bot, hasan, menu, f"fb1:{action}:{uid}")
        assert answer is not None and answer.text == refused
    # The coach got the report but no approval button; forging one is refused.
    answer = await press_data(bot, lina, lina.last, f"fb1:a:{uid}")
    assert answer is not None and answer.text == text("feedback.error.mentor_only")
    # The right button on the right message, but for another report id.
    answer = await press_data(bot, lina, lina.last, f"fb1:f:{uid + 1}")
    assert answer is not None and answer.text == refused
    # Garbage of the right prefix.
    answer = await press_data(bot, lina, lina.last, "fb1:zz:1")
    assert answer is not None and answer.text == text("button.stale")

    assert await notes(engine) == 0
    async with session_factory(engine)() as session:
        statuses = set(await session.scalars(select(Milestone.status)))
        assert MilestoneStatus.APPROVED not in statuses


async def test_guessed_ids_of_another_participants_data_are_refused(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, _, nur_milestones, _ = await world(bot, telegram, engine, now)
    budi, hasan = people["budi"], people["hasan"]
    other = nur_milestones[0]

    chooser = await say(bot, budi, "/lapor")
    # The chooser's own button (its step token) with another participant's milestone id.
    token_part = chooser.buttons[0][0].callback_data.rsplit(":", 1)[0]
    answer = await press_data(bot, budi, chooser, f"{token_part}:{other}")
    assert answer is not None and answer.text == text("access.not_yours")
    await say(bot, budi, "/batal")

    overview = await say(bot, budi, "/proyek")
    for data in (f"pj1:m:{other}", f"pj1:d:{other}", f"pj1:x:{other}", f"pj1:e:{other}:title"):
        answer = await press_data(bot, budi, overview, data)
        assert answer is not None and answer.text == text("access.not_yours"), (data, answer)

    # Timelines: a mentor of nobody guesses participant ids.
    menu = await say(bot, hasan, "/bantuan")
    async with session_factory(engine)() as session:
        hasan_id = await session.scalar(select(Person.id).where(on_telegram(1007)))
    for participant_id in set(range(1, 8)) - {hasan_id}:  # his own (empty) timeline is his
        answer = await press_data(bot, hasan, menu, f"pp1:{participant_id}:0:o")
        assert answer is not None and answer.text == text("access.not_yours")
    async with session_factory(engine)() as session:
        milestone = await session.get_one(Milestone, other)
        assert milestone.removed_at is None and milestone.title == "Posyandu"


async def test_replies_outside_a_thread_record_no_note(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, _, _, _ = await world(bot, telegram, engine, now)
    budi = people["budi"]
    help_message = await say(bot, budi, "/bantuan")
    budi.send("Ini balasan untuk pesan bantuan.", reply_to=help_message)
    await bot.settle()
    assert budi.last.plain == text("report.offer_save")  # treated as a new message
    assert await notes(engine) == 0


async def test_buttons_left_over_after_the_data_changed(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, budi_milestones, _, _ = await world(bot, telegram, engine, now)
    budi, bambang = people["budi"], people["bambang"]

    # A milestone menu opened, then the milestone removed from another menu.
    overview = await say(bot, budi, "/proyek")
    await press(bot, budi, overview, "✏️ Uji coba aplikasi")
    stale_menu = budi.last
    await press(bot, budi, overview, "✏️ Uji coba aplikasi")
    await press(bot, budi, budi.last, "🗑 Hapus tahapan")
    await press(bot, budi, budi.last, "Ya, hapus")
    answer = await press(bot, budi, stale_menu, "Tanggal target")
    assert answer is not None and answer.text == text("access.not_yours")

    # A milestone chooser from a finished conversation.
    chooser = await say(bot, budi, "/lapor")
    await say(bot, budi, "/batal")
    answer = await press(bot, budi, chooser, chooser.button_texts[0])
    assert answer is not None and answer.text == text("button.stale")

    # The mentor approves; a newer report cannot be approved through the old message.
    await press(bot, bambang, bambang.last, "✅ Setujui")
    answer = await press_data(bot, bambang, bambang.inbox[-2], f"fb1:a:{budi_milestones[0]}")
    assert answer is not None and answer.text in (text("access.not_yours"), text("button.stale"))
