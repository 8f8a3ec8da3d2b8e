"""Cohort groups: organizers link a Telegram group to a cohort from inside it; in a group the bot
shows nobody's data and points private commands to the private chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.enums import Channel
from fakegram import FakeTelegram
from models import AuditEntry, ChannelAccount, CohortGroup, Person
from models.db import session_factory
from services import broadcasts, groups
from services.broadcasts import AUDIENCE_ROLES, Audience
from services.groups import GroupChat
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, add_milestones, import_roster, on_telegram
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import (
    OTHER_COHORT,
    OTHER_ROSTER,
    cohort_id,
    join,
    registered,  # noqa: F401 - fixtures
    siti_code,
)

GROUP = -100123


def tg(chat_id: int) -> GroupChat:
    return GroupChat(Channel.TELEGRAM, str(chat_id))


BOT_LINK = "https://t.me/properbot_test_bot"


async def links(engine: AsyncEngine) -> list[tuple[int, int, str | None, bool]]:
    """(cohort, Telegram chat id, title, active) of every group link."""
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(
                CohortGroup.cohort_id,
                CohortGroup.channel,
                CohortGroup.chat_ref,
                CohortGroup.title,
                CohortGroup.active,
            ).order_by(CohortGroup.id)
        )
        found = []
        for cohort, channel, chat_ref, title, active in rows.tuples():
            assert channel is Channel.TELEGRAM
            found.append((cohort, int(chat_ref), title, active))
        return found


async def test_an_organizer_links_the_group_by_name_and_announcements_can_go_there(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    group = telegram.group(GROUP, "Angkatan XXXVII")
    admin = telegram.user(ADMIN_ID, "Rina")

    admin.send("/hubungkan pkp angkatan iv", chat=group)
    await bot.settle()
    assert group.last.plain == text("group.linked", cohort=COHORT)
    cid = await cohort_id(engine)
    assert await links(engine) == [(cid, GROUP, "Angkatan XXXVII", True)]
    admin.send("/hubungkan PKP Angkatan IV", chat=group)
    await bot.settle()
    assert group.last.plain == text("group.already_linked", cohort=COHORT)

    async with session_factory(engine)() as session:
        entries = list(await session.scalars(select(AuditEntry.action)))
        assert entries.count("group.link") == 1
        # The admin spoke only in the group: the group was not taken for their private chat.
        assert await session.scalar(select(Person).where(on_telegram(GROUP))) is None
        assert (
            await session.scalar(
                select(ChannelAccount).where(ChannelAccount.chat_ref == str(GROUP))
            )
            is None
        )

    # An announcement "juga ke grup" is queued for the group too.
    async with session_factory(engine)() as session, session.begin():
        queued = await broadcasts.create_broadcast(
            session,
            cohort_id=cid,
            author_id=None,
            text="Selamat datang.",
            audience=Audience(roles=frozenset(AUDIENCE_ROLES), groups=True),
            now=now,
        )
    assert (queued.recipients, queued.groups) == (1, 1)
    assert budi.last is not None and "Selamat datang" not in (budi.last.plain or "")

    # /putuskan: a participant may not; the organizer may; afterwards nothing goes there.
    budi.send("/putuskan", chat=group)
    await bot.settle()
    assert group.last.plain == text("group.admin_only")
    admin.send("/putuskan", chat=group)
    await bot.settle()
    assert group.last.plain == text("group.unlinked", cohort=COHORT)
    assert await links(engine) == [(cid, GROUP, "Angkatan XXXVII", False)]
    admin.send("/putuskan", chat=group)
    await bot.settle()
    assert group.last.plain == text("group.not_linked")
    async with session_factory(engine)() as session:
        plan = await broadcasts.resolve_audience(
            session, cid, Audience(roles=frozenset(AUDIENCE_ROLES), groups=True)
        )
        assert plan.groups == []


async def test_without_a_name_the_organizer_chooses_and_only_an_organizer_may_press(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await import_roster(engine, now, roster=OTHER_ROSTER, cohort=OTHER_COHORT)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    group = telegram.group(GROUP, "Angkatan XXXVII")
    admin = telegram.user(ADMIN_ID, "Rina")

    admin.send("/hubungkan", chat=group)
    await bot.settle()
    chooser = group.last
    assert chooser.plain == text("group.choose_cohort")
    assert chooser.button_texts == [OTHER_COHORT, COHORT]

    # Anyone in the group sees the buttons; a participant's press changes nothing.
    answer = await press(bot, budi, chooser, COHORT)
    assert answer is not None and answer.text == text("group.admin_only")
    answer = await press_data(bot, admin, chooser, "gr1:l:99999")
    assert answer is not None and answer.text == text("broadcast.error.not_allowed")
    answer = await press_data(bot, admin, chooser, "gr1:x:1")
    assert answer is not None and answer.text == text("button.stale")
    assert await links(engine) == []

    await press(bot, admin, chooser, OTHER_COHORT)
    assert chooser.plain == text("group.linked", cohort=OTHER_COHORT)
    # Linked elsewhere later: the group moves, one cohort at a time.
    admin.send("/hubungkan Angkatan IV", chat=group)
    await bot.settle()
    assert group.last.plain == text("group.moved", cohort=COHORT, previous=OTHER_COHORT)
    assert await links(engine) == [(await cohort_id(engine), GROUP, "Angkatan XXXVII", True)]

    # A cohort's own organizer may link only their cohort: a name they do not run is unknown.
    siti = await join(bot, telegram, 2001, await siti_code(engine))
    other = telegram.group(-100456, "Kelas F")
    siti.send(f"/hubungkan {COHORT}", chat=other)
    await bot.settle()
    assert other.last.plain.startswith(text("group.cohort_not_found", name=COHORT))
    assert other.last.button_texts == [OTHER_COHORT]
    # Nor may she unlink a group of a cohort she does not run.
    siti.send("/putuskan", chat=group)
    await bot.settle()
    assert group.last.plain == text("broadcast.error.not_allowed")
    assert await links(engine) == [(await cohort_id(engine), GROUP, "Angkatan XXXVII", True)]


async def test_a_participant_or_a_stranger_cannot_link_a_group(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    stranger = telegram.user(3003, "Tamu")
    group = telegram.group(GROUP, "Angkatan XXXVII")
    for who in (budi, stranger):
        who.send(f"/hubungkan {COHORT}", chat=group)
        await bot.settle()
        assert group.last.plain == text("group.admin_only")
    assert await links(engine) == []


async def test_private_commands_in_a_group_get_a_button_to_the_private_chat_and_no_data(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    group = telegram.group(GROUP, "Angkatan XXXVII")
    private_before = len(budi.inbox)

    for command in ("/status", "/profil@properbot_test_bot", "/lapor", "/proyek", "/start"):
        budi.send(command, chat=group)
        await bot.settle()
        reply = group.last
        assert reply.plain == text("group.private_only"), command
        (button,) = [b for row in reply.buttons for b in row]
        assert button.text == text("group.button.open_private")
        assert button.url == BOT_LINK
        for personal in ("Budi", "Santoso", "198001152005011001", "Layanan Aduan", "Rapat"):
            assert personal not in (reply.text or ""), (command, personal)
    assert len(group.inbox) == 5  # one short answer each, nothing else
    assert len(budi.inbox) == private_before  # nor did anything go to his private chat
    # A command for another bot is not ours to answer.
    budi.send("/status@other_bot", chat=group)
    await bot.settle()
    assert len(group.inbox) == 5


async def test_group_commands_sent_privately_are_explained_and_removal_unlinks(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Rina")
    reply = await say(bot, admin, "/hubungkan PKP Angkatan IV")
    assert reply.plain == text("group.in_private", command="hubungkan")
    assert await links(engine) == []

    group = telegram.group(GROUP, "Angkatan XXXVII")
    admin.send(f"/hubungkan {COHORT}", chat=group)
    await bot.settle()
    # Removed from the group: announcements stop going there.
    group.remove_bot(by=admin)
    await bot.settle()
    assert await links(engine) == [(await cohort_id(engine), GROUP, "Angkatan XXXVII", False)]
    async with session_factory(engine)() as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions[-2:] == ["group.link", "group.unlink"]


async def test_a_group_that_becomes_a_supergroup_keeps_its_link(
    engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    cid = await cohort_id(engine)
    async with session_factory(engine)() as session, session.begin():
        await groups.link_group(
            session, cohort_id=cid, chat=tg(-4001), title="Grup", by_person_id=None, now=now
        )
    async with session_factory(engine)() as session, session.begin():
        assert await groups.move_chat(session, tg(-4001), "-1004001")
        assert not await groups.move_chat(session, tg(-4001), "-1004001")  # the second notice
    assert await links(engine) == [(cid, -1004001, "Grup", True)]
