"""The sender drains the delivery queue to the fake Bot API: once each, at the limits, in time.

Time is a ManualClock shared by the sender and the fake server's flood control; the sender's
sleep moves that clock instead of waiting, so a minute of sending takes milliseconds.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.sender import Sender
from domain.clock import ManualClock
from domain.enums import Channel, DeliveryFailure, OutboxStatus
from domain.ratelimit import RetryPolicy
from fakegram import TINY_JPEG, FakeTelegram, RateLimits
from models import ChannelAccount, Cohort, OutboxMessage, Person
from models.db import session_factory
from scheduler.runner import SWEEP_JOB_ID, Runner
from services import delivery, groups
from services.groups import GroupChat
from services.outbox import Button, Outgoing, enqueue
from services.people import AccountRef, ensure_admin_person
from services.reminders import ReminderSweep
from tests.factories import SMALL_ROSTER, import_roster, telegram_account
from tests.integration.helpers import text

# The small roster plus an organizer in WITA, who hears about unreachable people.
ROSTER = (
    SMALL_ROSTER
    + "\npenyelenggara,Siti Rahmawati,198807072012122007,BPSDM Sumsel,Analis Kepegawaian,WITA,,,"
)
NIPS = {
    "budi": "198001152005011001",
    "nurhayati": "198203102006042002",
    "bambang": "197005051995031003",
    "hasan": "198512122010011006",
    "siti": "198807072012122007",
}
NOTICE = "delivery.unreachable.admin"
GROUP_ID = -100777


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[FakeTelegram]:
    """The fake Bot API, its flood control on the test's clock."""
    async with FakeTelegram(clock=lambda: clock.now().timestamp()) as fake:
        yield fake


def ptb_bot(server: FakeTelegram, request: HTTPXRequest | None = None) -> Bot:
    return Bot(
        server.token,
        base_url=server.base_url,
        base_file_url=server.base_file_url,
        request=request,
    )


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    async with ptb_bot(server) as ptb:
        yield ptb


class Cast:
    """The roster, some of them joined (bound to fake Telegram users)."""

    def __init__(self, engine: AsyncEngine, server: FakeTelegram) -> None:
        self.engine = engine
        self.server = server
        self.ids: dict[str, int] = {}

    async def load(self, now: datetime) -> Cast:
        await import_roster(self.engine, now, ROSTER)
        async with session_factory(self.engine)() as session:
            for handle, nip in NIPS.items():
                person_id = await session.scalar(select(Person.id).where(Person.nip == nip))
                assert person_id is not None
                self.ids[handle] = person_id
        return self

    async def join(self, handle: str, chat_id: int, language: str = "id") -> Any:
        """The person joined the bot from this Telegram account; returns the fake user."""
        async with session_factory(self.engine)() as session, session.begin():
            await session.execute(
                update(Person)
                .where(Person.id == self.ids[handle])
                .values(joined_at=datetime(2026, 10, 1, tzinfo=UTC), language=language)
            )
            account = telegram_account(chat_id)
            account.person_id = self.ids[handle]
            session.add(account)
        return self.server.user(chat_id, handle.title(), language_code=language)


async def crowd(engine: AsyncEngine, server: FakeTelegram, n: int, first: int = 3000) -> list[int]:
    """`n` joined people (chat ids first, first + 1, ...) outside any cohort; their ids."""
    async with session_factory(engine)() as session, session.begin():
        people = [
            Person(
                full_name=f"Peserta {i}",
                accounts=[telegram_account(first + i)],
                joined_at=datetime(2026, 10, 1, tzinfo=UTC),
                language="id",
                timezone="Asia/Jakarta",
            )
            for i in range(n)
        ]
        session.add_all(people)
        await session.flush()
        ids = [p.id for p in people]
    for i in range(n):
        server.user(first + i, f"Peserta {i}")
    return ids


def greeting(name: str, at: datetime, cohort: str = "PKP Angkatan IV") -> Outgoing:
    return Outgoing(NOTICE, {"name": name, "cohort": cohort, "at": at})


async def queue(
    engine: AsyncEngine, key: str, message: Outgoing, not_before: datetime, **target: Any
) -> None:
    async with session_factory(engine)() as session, session.begin():
        queued = await enqueue(
            session, dedup_key=key, message=message, not_before=not_before, kind="notice", **target
        )
        assert queued


async def linked_group(engine: AsyncEngine, chat_id: int, cohort_id: int, now: datetime) -> int:
    """A Telegram group linked to the cohort; its cohort_group id."""
    async with session_factory(engine)() as session, session.begin():
        linked = await groups.link_group(
            session,
            cohort_id=cohort_id,
            chat=GroupChat(Channel.TELEGRAM, str(chat_id)),
            title=None,
            by_person_id=None,
            now=now,
        )
    return linked.group_id


async def rows(engine: AsyncEngine) -> dict[str, OutboxMessage]:
    async with session_factory(engine)() as session:
        found = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return {row.dedup_key: row for row in found}


async def queue_empty(engine: AsyncEngine) -> bool:
    async with session_factory(engine)() as session:
        counts = await delivery.status_counts(session)
    return not counts.get(OutboxStatus.PENDING) and not counts.get(OutboxStatus.SENDING)


def moving_sleep(
    clock: ManualClock, stop: asyncio.Event, done: Callable[[], Awaitable[bool]]
) -> Callable[[float], Awaitable[None]]:
    """A sleep that moves the clock instead of waiting, and stops the sender when done."""
    start = clock.now()

    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)
        if await done() or clock.now() - start > timedelta(hours=3):
            stop.set()

    return sleep


async def run_until_empty(
    engine: AsyncEngine, bot: Bot, clock: ManualClock, **limits: Any
) -> Sender:
    """Run the sender's loop (recovery first) until nothing is pending or in flight."""
    stop = asyncio.Event()
    sender = Sender(
        bot,
        session_factory(engine),
        clock,
        sleep=moving_sleep(clock, stop, lambda: queue_empty(engine)),
        **limits,
    )
    await asyncio.wait_for(sender.run(stop), timeout=60)
    return sender


def sends(server: FakeTelegram) -> list[tuple[float, int]]:
    """(moment, chat) of every message the server accepted, in order."""
    accepted = [c for c in server.calls if c.ok and c.method.startswith("send")]
    return [(c.at, int(c.params["chat_id"])) for c in accepted]


class FlakyRequest(HTTPXRequest):
    """A connection to Telegram that fails the next sendMessage calls in the given ways."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__()
        self.failures = failures

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        if url.endswith("/sendMessage") and self.failures:
            failure = self.failures.pop(0)
            if failure == "502":
                body = b'{"ok": false, "error_code": 502, "description": "Bad Gateway"}'
                return 502, body
            if failure == "timeout":
                raise TimedOut("read timed out")
            raise NetworkError("connection reset by peer")
        return await super().do_request(url, method, *args, **kwargs)


# --- stories ----------------------------------------------------------------------------------


async def test_each_person_reads_the_message_in_their_own_language_and_zone(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock, now: datetime
) -> None:
    cast = await Cast(engine, server).load(now)
    budi = await cast.join("budi", 1001)  # WIB, Indonesian
    nurhayati = await cast.join("nurhayati", 1002, language="en")  # WIT, English
    photos = [server.files.add("photo", TINY_JPEG).file_id for _ in range(2)]
    seminar = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
    message = Outgoing(
        NOTICE,
        {"name": "Ir. Hasan <Basri>", "cohort": "PKP Angkatan IV", "at": seminar},
        buttons=[[Button("report.button.feedback", callback_data="zz1:x")]],
    )
    await queue(engine, "k:budi", message, now, recipient_id=cast.ids["budi"])
    with_album = Outgoing(
        message.key,
        message.params,
        message.buttons,
        media=[{"kind": "photo", "file_id": f} for f in photos],
    )
    await queue(engine, "k:nur", with_album, now, recipient_id=cast.ids["nurhayati"])

    await run_until_empty(engine, bot, clock)

    assert "Senin, 9 November 2026, 09.00 WIB" in budi.last.plain
    assert "Ir. Hasan <Basri>" in budi.last.plain  # a name is text, never markup
    assert budi.last.button_texts == [text("report.button.feedback")]
    assert "Monday, 9 November 2026, 11.00 WIT" in nurhayati.last.plain
    assert nurhayati.last.button_texts == [text("report.button.feedback", "en")]
    album, note = nurhayati.inbox[:2], nurhayati.inbox[2]
    assert [m.file_id for m in album] == photos and album[0].media_group_id
    assert note is nurhayati.last
    stored = await rows(engine)
    assert {row.status for row in stored.values()} == {OutboxStatus.SENT}
    assert stored["k:budi"].sent_at == now  # the album costs three: it waited for the rate
    assert stored["k:nur"].sent_at and stored["k:nur"].sent_at > now
    assert stored["k:budi"].message_ref == str(budi.last.message_id)
    assert stored["k:nur"].message_ref == str(nurhayati.last.message_id)


async def test_a_storm_of_429s_pauses_everything_and_delivers_each_message_once(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock, now: datetime
) -> None:
    # Telegram allows far less than the sender is told to use: 429s will rain.
    server.rate_limits = RateLimits(per_second=4, per_chat_per_second=1)
    people = await crowd(engine, server, 20)
    for i, person_id in enumerate(people):
        await queue(engine, f"m:{i}", greeting(f"P{i}", now), now, recipient_id=person_id)
    for extra in range(3):  # one chat gets several, which its own 1/s also limits
        await queue(engine, f"m:0:{extra}", greeting("X", now), now, recipient_id=people[0])

    await run_until_empty(engine, bot, clock, rate_per_s=10)

    assert server.rate_limited >= 3
    per_chat = Counter(chat for _, chat in sends(server))
    assert per_chat == {3000: 4, **{3000 + i: 1 for i in range(1, 20)}}  # none lost, none twice
    stored = await rows(engine)
    assert {row.status for row in stored.values()} == {OutboxStatus.SENT}
    # A 429 says nothing about the message: it does not use up its attempts.
    assert {row.attempts for row in stored.values()} == {1}
    assert any((row.last_error or "").startswith("429") for row in stored.values())
    # After each 429, nothing at all was sent until its retry_after had passed.
    for refused in (c for c in server.calls if c.status == 429):
        match = re.search(r"retry after (\d+)", refused.description or "")
        assert match is not None
        resume = refused.at + int(match.group(1))
        assert not [at for at, _ in sends(server) if refused.at < at < resume - 1e-6]


async def test_the_overall_per_chat_and_group_rates_are_kept(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock, now: datetime
) -> None:
    await Cast(engine, server).load(now)
    async with session_factory(engine)() as session, session.begin():
        cohort = await session.scalar(select(Cohort))
        assert cohort is not None
        cohort.settings = {"language": "en", "timezone": "Asia/Makassar"}
        cohort_id = cohort.id
    group = server.group(GROUP_ID, "PKP Angkatan IV")
    group_id = await linked_group(engine, GROUP_ID, cohort_id, now)
    people = await crowd(engine, server, 8)
    for i, person_id in enumerate(people):
        await queue(engine, f"m:{i}", greeting(f"P{i}", now), now, recipient_id=person_id)
    for extra in range(3):
        await queue(engine, f"one:{extra}", greeting("X", now), now, recipient_id=people[0])
        await queue(
            engine, f"g:{extra}", greeting("G", now), now, group_id=group_id, cohort_id=cohort_id
        )

    await run_until_empty(engine, bot, clock, rate_per_s=4, chat_rate_per_s=1)

    log = sends(server)
    assert len(log) == 8 + 3 + 3
    moments = [at for at, _ in log]
    busiest = max(sum(1 for t in moments if start <= t < start + 1 - 1e-6) for start in moments)
    assert busiest <= 4
    for chat, count, spacing in ((3000, 4, 1.0), (GROUP_ID, 3, 3.0)):
        times = [at for at, c in log if c == chat]
        assert len(times) == count
        assert all(b - a >= spacing - 1e-6 for a, b in itertools.pairwise(times))
    # A group reads its cohort's language and zone: 01.00 UTC is 09.00 WITA.
    assert "Monday, 2 November 2026, 09.00 WITA" in group.last.plain


async def test_a_blocked_person_is_marked_unreachable_and_the_organizer_told_once(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock, now: datetime
) -> None:
    cast = await Cast(engine, server).load(now)
    budi = await cast.join("budi", 1001)
    siti = await cast.join("siti", 1009, language="en")
    budi.block()
    for n in range(3):  # a reminder and two announcements, say
        await queue(engine, f"b:{n}", greeting("X", now), now, recipient_id=cast.ids["budi"])

    sender = await run_until_empty(engine, bot, clock)

    async with session_factory(engine)() as session:
        person = await session.get_one(Person, cast.ids["budi"])
        assert person.reachable is False
    stored = await rows(engine)
    assert [stored[f"b:{n}"].status for n in range(3)] == [OutboxStatus.FAILED] * 3
    assert "blocked" in (stored["b:0"].last_error or "")  # Telegram's words, for operators
    assert stored["b:0"].error_reason == DeliveryFailure.BLOCKED  # what organizers read
    assert stored["b:1"].last_error == delivery.UNREACHABLE  # not even tried
    assert stored["b:1"].error_reason == DeliveryFailure.UNREACHABLE
    assert len(server.calls_to("sendMessage")) == 2  # the one refused, the organizer's notice
    notices = [k for k in stored if k.startswith(f"unreachable:{cast.ids['budi']}:")]
    assert len(notices) == 1 and stored[notices[0]].status == OutboxStatus.SENT
    assert len(siti.inbox) == 1
    assert "Budi Santoso" in siti.last.plain and "PKP Angkatan IV" in siti.last.plain
    assert "WITA" in siti.last.plain and "cannot be reached" in siti.last.plain
    assert "Reason: they blocked the bot." in siti.last.plain
    assert "Forbidden" not in siti.last.plain

    # Two senders meeting the same 403 at once: only the one that marks them unreachable tells.
    await queue(engine, "b:race", greeting("X", now), clock.now(), recipient_id=cast.ids["budi"])
    race = (await rows(engine))["b:race"].id
    async with session_factory(engine)() as session, session.begin():
        told = await delivery.mark_unreachable(session, race, cast.ids["budi"], "403", clock.now())
    assert told == 0

    # Budi comes back (joins again) and later blocks the bot again: the organizer hears once
    # more, and what follows is failed without trying.
    async with session_factory(engine)() as session, session.begin():
        await session.execute(
            update(ChannelAccount)
            .where(ChannelAccount.person_id == cast.ids["budi"])
            .values(reachable=True, blocked_since=None)
        )
    await queue(engine, "b:late", greeting("X", now), clock.now(), recipient_id=cast.ids["budi"])
    first_again = await sender.drain_once()
    assert (first_again.unreachable, first_again.notices) == (1, 1)
    await queue(engine, "b:later", greeting("X", now), clock.now(), recipient_id=cast.ids["budi"])
    clock.advance(timedelta(seconds=5))
    again = await sender.drain_once()
    assert (again.unreachable, again.failed, again.sent) == (0, 1, 1)  # the notice went out
    notices = [k for k in await rows(engine) if k.startswith("unreachable:")]
    assert len(notices) == 2  # one per time the person became unreachable, not per message
    assert len(siti.inbox) == 2


async def test_admins_from_the_settings_who_talked_to_the_bot_hear_of_it_once_too(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock, now: datetime
) -> None:
    cast = await Cast(engine, server).load(now)
    budi = await cast.join("budi", 1001)
    siti = await cast.join("siti", 1009, language="en")  # cohort admin and in the settings
    # Yulia is only in ADMIN_TELEGRAM_IDS and has talked to the bot (so she has a person row);
    # 4242 is in the settings too but never opened the bot: there is no chat to tell them in.
    async with session_factory(engine)() as session, session.begin():
        await ensure_admin_person(
            session,
            AccountRef(Channel.TELEGRAM, "1500"),
            "1500",
            name="Yulia",
            language="id",
            zone=ZoneInfo("Asia/Jakarta"),
            now=now,
        )
    yulia = server.user(1500, "Yulia", language_code="id")
    budi.block()
    await queue(engine, "b:0", greeting("X", now), now, recipient_id=cast.ids["budi"])

    stop = asyncio.Event()
    sender = Sender(
        bot,
        session_factory(engine),
        clock,
        sleep=moving_sleep(clock, stop, lambda: queue_empty(engine)),
        admin_telegram_ids={1009, 1500, 4242},
    )
    await asyncio.wait_for(sender.run(stop), timeout=60)

    assert len(siti.inbox) == 1  # a cohort admin also in the settings: told once, not twice
    assert len(yulia.inbox) == 1
    told = yulia.last.plain
    assert "Budi Santoso" in told and "PKP Angkatan IV" in told  # the person's cohorts
    assert "Sebab: yang bersangkutan memblokir bot." in told
    assert "WIB" in told  # in her own zone
    notices = [k for k in await rows(engine) if k.startswith("unreachable:")]
    assert len(notices) == 2
    assert budi.inbox == []


async def test_an_unreachable_person_in_no_cohort_is_reported_to_settings_admins(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock, now: datetime
) -> None:
    (loner,) = await crowd(engine, server, 1)
    async with session_factory(engine)() as session, session.begin():
        await ensure_admin_person(
            session,
            AccountRef(Channel.TELEGRAM, "1500"),
            "1500",
            name="Yulia",
            language="en",
            zone=ZoneInfo("UTC"),
            now=now,
        )
    yulia = server.user(1500, "Yulia", language_code="en")
    server.user(3000, "Peserta 0").block()
    await queue(engine, "x", greeting("X", now), now, recipient_id=loner)

    sender = Sender(bot, session_factory(engine), clock, admin_telegram_ids=frozenset({1500}))
    first = await sender.drain_once()
    assert (first.unreachable, first.notices) == (1, 1)
    assert (await sender.drain_once()).sent == 1
    assert "Peserta 0 (no cohort)" in yulia.last.plain
    assert "Reason: they blocked the bot." in yulia.last.plain


async def test_a_bad_request_is_recorded_with_its_reason_and_never_retried(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock, now: datetime
) -> None:
    cast = await Cast(engine, server).load(now)
    budi = await cast.join("budi", 1001)
    gone = Outgoing(NOTICE, greeting("X", now).params, media=[{"kind": "photo", "file_id": "x"}])
    await queue(engine, "bad:file", gone, now, recipient_id=cast.ids["budi"])
    # A group linked once that the bot is not in (Telegram: "chat not found").
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id))
    assert cohort_id is not None
    unknown_group = await linked_group(engine, -100999, cohort_id, now)
    await queue(engine, "bad:chat", greeting("X", now), now, group_id=unknown_group)

    sender = Sender(bot, session_factory(engine), clock)
    first = await sender.drain_once()
    clock.advance(timedelta(hours=1))
    later = await sender.drain_once()

    assert (first.failed, later.failed, later.sent) == (2, 0, 0)
    stored = await rows(engine)
    assert stored["bad:file"].status == OutboxStatus.FAILED
    assert stored["bad:file"].last_error == "400: Wrong file identifier/http url specified"
    assert stored["bad:chat"].last_error == "400: Chat not found"
    assert stored["bad:file"].error_reason == DeliveryFailure.REJECTED
    assert stored["bad:chat"].error_reason == DeliveryFailure.REMOVED  # a group it is not in
    assert stored["bad:file"].attempts == 1
    assert budi.inbox == []
    assert later.next_at is None


async def test_network_errors_and_5xx_are_retried_with_backoff_up_to_a_limit(
    engine: AsyncEngine, server: FakeTelegram, clock: ManualClock, now: datetime
) -> None:
    cast = await Cast(engine, server).load(now)
    budi = await cast.join("budi", 1001)
    flaky = FlakyRequest(["reset", "502", "timeout"])
    await queue(engine, "net", greeting("X", now), now, recipient_id=cast.ids["budi"])
    async with ptb_bot(server, flaky) as bot:
        sender = Sender(bot, session_factory(engine), clock)
        waits = []
        for expected_error in ("connection reset", "Bad Gateway", "read timed out"):
            result = await sender.drain_once()
            row = (await rows(engine))["net"]
            assert (result.retried, row.status) == (1, OutboxStatus.PENDING)
            assert expected_error in (row.last_error or "")
            assert result.next_at == row.not_before
            waits.append(row.not_before - clock.now())
            assert (await sender.drain_once()).sent == 0  # not before its time
            clock.set(row.not_before)
        assert waits == [timedelta(seconds=s) for s in (15, 30, 60)]
        assert (await sender.drain_once()).sent == 1
    row = (await rows(engine))["net"]
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 4)
    assert row.maybe_repeated  # the timeout may have reached Telegram
    assert len(budi.inbox) == 1

    # A message that never gets through is failed after the last attempt, with the reason.
    await queue(engine, "net:dead", greeting("X", now), clock.now(), recipient_id=cast.ids["budi"])
    async with ptb_bot(server, FlakyRequest(["reset"] * 10)) as bot:
        sender = Sender(bot, session_factory(engine), clock, retry=RetryPolicy(max_attempts=2))
        assert (await sender.drain_once()).retried == 1
        clock.advance(timedelta(seconds=15))
        assert (await sender.drain_once()).failed == 1
    dead = (await rows(engine))["net:dead"]
    assert (dead.status, dead.attempts) == (OutboxStatus.FAILED, 2)
    assert "connection reset" in (dead.last_error or "")
    assert dead.error_reason == DeliveryFailure.NETWORK


async def test_after_a_crash_in_flight_messages_go_once_more_flagged_and_logged(
    engine: AsyncEngine,
    server: FakeTelegram,
    bot: Bot,
    clock: ManualClock,
    now: datetime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    people = await crowd(engine, server, 4)
    for i, person_id in enumerate(people):
        await queue(engine, f"r:{i}", greeting(f"P{i}", now), now, recipient_id=person_id)
    # The first process claims three, sends the first of them, and is killed (kill -9).
    async with session_factory(engine)() as session, session.begin():
        claimed = await delivery.claim_due(session, now, limit=3)
    first = claimed[0]
    crashed = Sender(bot, session_factory(engine), clock)
    assert first.chat_ref is not None
    await bot.send_message(int(first.chat_ref), crashed.render(first).parts[0])
    clock.advance(timedelta(seconds=30))

    with caplog.at_level(logging.WARNING, logger="services.delivery"):
        await run_until_empty(engine, bot, clock)

    stored = await rows(engine)
    assert {row.status for row in stored.values()} == {OutboxStatus.SENT}
    repeated = sorted(row.id for row in stored.values() if row.maybe_repeated)
    assert repeated == sorted(m.id for m in claimed)
    warning = next(r for r in caplog.records if "may be repeated once" in r.getMessage())
    assert warning.levelno == logging.WARNING and str(repeated) in warning.getMessage()
    per_chat = Counter(chat for _, chat in sends(server))
    assert per_chat[int(first.chat_ref)] == 2  # the one in flight: at most once more
    assert sorted(per_chat.values()) == [1, 1, 1, 2]
    async with session_factory(engine)() as session, session.begin():
        assert await delivery.recover_interrupted(session, clock.now()) == []


async def test_two_senders_never_claim_the_same_message(
    engine: AsyncEngine, server: FakeTelegram, now: datetime
) -> None:
    people = await crowd(engine, server, 6)
    for i, person_id in enumerate(people):
        await queue(engine, f"c:{i}", greeting("X", now), now, recipient_id=person_id)
    sessions = session_factory(engine)
    # Both look at once; the first claims and commits, then the second claims what it saw.
    async with sessions() as first, sessions() as second, first.begin(), second.begin():
        mine = await delivery.due_messages(first, now, limit=4)
        theirs = await delivery.due_messages(second, now, limit=10)
        got_mine = await delivery.claim(first, [m.id for m in mine], now)
        await first.commit()
        got_theirs = await delivery.claim(second, [m.id for m in theirs], now)
    assert len(got_mine) == 4 and len(got_theirs) == 2
    assert not got_mine & got_theirs
    assert got_mine | got_theirs == {r.id for r in (await rows(engine)).values()}


async def test_messages_to_people_not_joined_wait_and_stale_messages_are_dropped(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock, now: datetime
) -> None:
    cast = await Cast(engine, server).load(now)
    await cast.join("budi", 1001)
    await queue(engine, "hasan", greeting("X", now), now, recipient_id=cast.ids["hasan"])
    await queue(
        engine,
        "old",
        greeting("X", now),
        now - timedelta(days=2),
        recipient_id=cast.ids["budi"],
        expires_at=now - timedelta(days=1),
    )
    await queue(
        engine,
        "later",
        greeting("X", now),
        now + timedelta(hours=2),
        recipient_id=cast.ids["budi"],
        expires_at=now + timedelta(hours=3),
    )

    result = await Sender(bot, session_factory(engine), clock).drain_once()

    # Hasan has not joined: his message waits for him, neither tried nor failed.
    assert (result.sent, result.failed, result.dropped) == (0, 0, 1)
    assert result.next_at == now + timedelta(hours=2)
    stored = await rows(engine)
    assert (stored["hasan"].status, stored["hasan"].attempts) == (OutboxStatus.PENDING, 0)
    assert stored["hasan"].last_error is None and stored["hasan"].error_reason is None
    assert (stored["old"].status, stored["old"].last_error) == (OutboxStatus.DROPPED, "stale")
    assert stored["old"].error_reason == DeliveryFailure.STALE
    assert stored["later"].status == OutboxStatus.PENDING
    assert server.calls_to("sendMessage") == []


async def test_the_sender_does_not_spin_on_messages_waiting_for_a_join(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock, now: datetime
) -> None:
    cast = await Cast(engine, server).load(now)
    await cast.join("budi", 1001)
    for n in range(60):  # more than a batch, all for Hasan, who has not joined
        await queue(engine, f"h:{n}", greeting("X", now), now, recipient_id=cast.ids["hasan"])
    await queue(engine, "h:soon", greeting("X", now), now + timedelta(minutes=3),
                recipient_id=cast.ids["hasan"])  # fmt: skip
    await queue(engine, "budi", greeting("X", now), now, recipient_id=cast.ids["budi"])

    # The database hands the sender none of them: only Budi's is picked, and nothing more
    # is announced as coming (Hasan's later one waits too).
    async with session_factory(engine)() as session:
        due = await delivery.due_messages(session, now, limit=50)
        assert [m.dedup_key for m in due] == ["budi"]
        assert await delivery.next_due(session, now) is None

    # Ten minutes of the sender's loop: it wakes once a minute (its idle look), never more.
    stop = asyncio.Event()
    naps: list[float] = []

    async def sleep(seconds: float) -> None:
        naps.append(seconds)
        clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)
        if clock.now() - now >= timedelta(minutes=10):
            stop.set()

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]).split(None, 1)[0].upper())

    sync_engine = engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        sender = Sender(bot, session_factory(engine), clock, sleep=sleep)
        await asyncio.wait_for(sender.run(stop), timeout=30)
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    assert naps and all(nap == 60 for nap in naps[1:]) and len(naps) <= 11
    assert len(statements) < 12 * len(naps)  # a handful per look, not a loop
    stored = await rows(engine)
    assert stored["budi"].status == OutboxStatus.SENT
    waiting = [row for key, row in stored.items() if key.startswith("h:")]
    assert {(row.status, row.attempts, row.claimed_at) for row in waiting} == {
        (OutboxStatus.PENDING, 0, None)
    }
    assert len(server.calls_to("sendMessage")) == 1

    # Messages with no expiry of their own stop waiting after JOIN_WAIT_LIMIT, as not joined.
    clock.advance(delivery.JOIN_WAIT_LIMIT)
    late = await sender.drain_once()
    assert late.dropped == 61 and late.failed == 0
    stored = await rows(engine)
    assert {
        (row.status, row.error_reason) for key, row in stored.items() if key.startswith("h:")
    } == {(OutboxStatus.DROPPED, DeliveryFailure.NOT_JOINED)}


async def test_chat_not_found_for_a_person_marks_them_unreachable_like_a_block(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock, now: datetime
) -> None:
    cast = await Cast(engine, server).load(now)
    siti = await cast.join("siti", 1009, language="en")
    # Budi's stored chat is one Telegram does not know (his account is gone, say).
    async with session_factory(engine)() as session, session.begin():
        account = telegram_account(4242)
        account.person_id = cast.ids["budi"]
        session.add(account)
    for n in range(2):
        await queue(engine, f"b:{n}", greeting("X", now), now, recipient_id=cast.ids["budi"])

    await run_until_empty(engine, bot, clock, admin_telegram_ids=[1009])

    stored = await rows(engine)
    assert stored["b:0"].last_error == "400: Chat not found"
    assert stored["b:0"].error_reason == DeliveryFailure.NOT_STARTED
    assert stored["b:1"].last_error == delivery.UNREACHABLE  # not even tried
    async with session_factory(engine)() as session:
        assert (await session.get_one(Person, cast.ids["budi"])).reachable is False
    assert len(siti.inbox) == 1  # told once, in her language, with the reason
    assert "Budi Santoso" in siti.last.plain and "cannot be reached" in siti.last.plain
    assert "Reason: they have never started a chat with the bot." in siti.last.plain


async def test_the_scheduler_sweeps_at_once_wakes_the_sender_and_never_doubles_its_job(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock, now: datetime
) -> None:
    cast = await Cast(engine, server).load(now)
    budi = await cast.join("budi", 1001)
    sweeps: list[datetime] = []
    swept = asyncio.Event()

    async def sweep(session: AsyncSession, at: datetime, *, since: datetime | None = None) -> int:
        sweeps.append(at)
        swept.set()
        return int(
            await enqueue(
                session,
                dedup_key="sweep:budi",
                message=greeting("X", at),
                not_before=at,
                kind="reminder",
                recipient_id=cast.ids["budi"],
            )
        )

    sessions = session_factory(engine)
    for _restart in range(2):
        sender = Sender(bot, sessions, clock)  # real sleep: it idles until woken
        sweeper = ReminderSweep(sessions, clock, wake=sender.wake, plan=sweep)
        runner = Runner(sweep=sweeper, sender=sender)
        runner.start()
        assert runner.scheduler is not None
        assert [job.id for job in runner.scheduler.get_jobs()] == [SWEEP_JOB_ID]
        await asyncio.wait_for(swept.wait(), timeout=10)
        swept.clear()
        await server.wait_for(lambda: budi.inbox, timeout=10)
        await runner.shutdown()
        assert runner.scheduler is None

    assert sweeps == [now, now]
    assert len(budi.inbox) == 1  # the second sweep planned nothing new
    assert (await rows(engine))["sweep:budi"].status == OutboxStatus.SENT
