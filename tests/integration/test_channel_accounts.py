"""Channel accounts: one per person and channel; a fresh code binds a second channel."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.enums import Channel
from fakegram import FakeTelegram
from models import Invite
from models.db import session_factory
from services import delivery
from services.onboarding import (
    AlreadyJoined,
    GuessLimits,
    Joined,
    issue_code_for_member,
    join,
)
from services.people import AccountRef, load_actor
from tests.factories import COHORT, import_roster, person_on_telegram
from tests.integration.helpers import press, say, text

LIMITS = GuessLimits(max_failures=5, lockout=timedelta(minutes=15))
WHATSAPP_BUDI = AccountRef(Channel.WHATSAPP, "6281234567890")


async def fresh_code(engine: AsyncEngine, nip: str, now: datetime) -> str:
    async with session_factory(engine)() as session, session.begin():
        issued = await issue_code_for_member(session, COHORT, nip, now)
    assert issued is not None
    return issued[1]


async def test_a_fresh_code_binds_a_second_channel_to_the_same_person(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = telegram.user(1001, "Budi")
    await press(bot, budi, await say(bot, budi, f"/start {team['budi'].code}"), "Setuju")
    code = await fresh_code(engine, team["budi"].nip, now + timedelta(days=3))

    later = now + timedelta(days=3)
    async with session_factory(engine)() as session, session.begin():
        joined = await join(
            session, WHATSAPP_BUDI, "6281234567890", code, language="en", now=later, limits=LIMITS
        )
    assert isinstance(joined, Joined)

    async with session_factory(engine)() as session:
        person = await person_on_telegram(session, 1001)
        assert person is not None and joined.person_id == person.id
        assert [(a.channel, a.external_user_id) for a in person.accounts] == [
            (Channel.TELEGRAM, "1001"),
            (Channel.WHATSAPP, "6281234567890"),
        ]
        # A second channel changes neither when they joined nor the language they chose.
        assert (person.joined_at, person.language) == (now, "id")
        invite = await session.scalar(select(Invite).where(Invite.code == code))
        assert invite is not None and invite.used_by_account_id == person.accounts[1].id
        # The same person behind either account.
        actor = await load_actor(
            session,
            Channel.WHATSAPP,
            "6281234567890",
            global_admin=False,
            default_language="id",
            default_zone=ZoneInfo("Asia/Jakarta"),
            language_hint=None,
            display_name="+62 812-3456-7890",
        )
    assert actor.person_id == person.id and actor.account == AccountRef(
        Channel.WHATSAPP, "6281234567890", person.accounts[1].id
    )
    # Their Telegram stays as it was: the bot still greets him there as who he is.
    reply = await say(bot, budi, "/start")
    assert "Budi Santoso" in reply.plain and reply.plain != text("start.ask_code")


async def test_the_same_channel_twice_is_refused_and_replaces_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = telegram.user(1001, "Budi")
    await press(bot, budi, await say(bot, budi, f"/start {team['budi'].code}"), "Setuju")
    code = await fresh_code(engine, team["budi"].nip, now)

    other_phone = telegram.user(1099, "Budi (HP kantor)")
    answer = await say(bot, other_phone, f"/start {code}")

    assert answer.plain == text("accounts.channel_taken")
    async with session_factory(engine)() as session:
        person = await person_on_telegram(session, 1001)
        assert person is not None
        assert [a.external_user_id for a in person.accounts] == ["1001"]
        assert await person_on_telegram(session, 1099) is None
        # The code is still unused: it can bind another channel.
        invite = await session.scalar(select(Invite).where(Invite.code == code))
        assert invite is not None and invite.used_at is None
    # From his own account the code only says he is already linked.
    async with session_factory(engine)() as session, session.begin():
        again = await join(
            session,
            AccountRef(Channel.TELEGRAM, "1001"),
            "1001",
            code,
            language="id",
            now=now,
            limits=LIMITS,
        )
    assert isinstance(again, AlreadyJoined)


async def test_blocked_on_one_channel_the_person_is_still_reachable_on_the_other(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = telegram.user(1001, "Budi")
    await press(bot, budi, await say(bot, budi, f"/start {team['budi'].code}"), "Setuju")
    code = await fresh_code(engine, team["budi"].nip, now)
    async with session_factory(engine)() as session, session.begin():
        await join(
            session, WHATSAPP_BUDI, "6281234567890", code, language="id", now=now, limits=LIMITS
        )
        person = await person_on_telegram(session, 1001)
        assert person is not None
        await delivery.mark_unreachable(
            session, 0, person.id, "403: Forbidden: bot was blocked by the user", now
        )

    async with session_factory(engine)() as session:
        person = await person_on_telegram(session, 1001)
        assert person is not None
        telegram_account, whatsapp_account = person.accounts
        assert (telegram_account.reachable, telegram_account.blocked_since) == (False, now)
        assert whatsapp_account.reachable and person.reachable


async def test_a_fresh_code_needs_an_active_member_of_the_cohort(
    engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    async with session_factory(engine)() as session, session.begin():
        assert await issue_code_for_member(session, COHORT, "199901012020011999", now) is None
