"""Reports, corrections and notes reach the other side through the delivery queue: one queued
message per recipient, every message it took remembered for threading, and a relay that
cannot arrive is told to its author under their receipt, with the sender's unreachable policy.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.enums import DeliveryFailure, FeedbackKind, OutboxStatus
from domain.ratelimit import RetryPolicy
from fakegram import FakeTelegram
from models import FeedbackNote, OutboxMessage, Person, ProgressUpdate, RelayedMessage
from models.db import session_factory
from services import delivery
from services.outbox import RELAY, MessageRef, Outgoing, Undelivered, enqueue
from tests.conftest import ADMIN_ID
from tests.factories import telegram_account
from tests.integration.helpers import say, text
from tests.integration.stories import cast, report

MENTOR = "Dr. Ir. Bambang Wijaya"
COACH = "Dr. Lina Marliani"
WORDS = "Rapat perdana tim efektif sudah terlaksana."


async def relays(engine: AsyncEngine) -> list[OutboxMessage]:
    async with session_factory(engine)() as session:
        found = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == RELAY).order_by(OutboxMessage.id)
        )
        return list(found)


async def person_id(engine: AsyncEngine, name: str) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Person.id).where(Person.full_name == name))
        assert found is not None
        return found


async def test_a_report_with_an_album_goes_through_the_queue_and_every_message_threads(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, lina, _ = await cast(bot, telegram, engine, now)

    await report(bot, budi, "Rapat koordinasi", WORDS, "60%", photos=2)

    receipt = budi.last
    assert f"Diteruskan kepada: Mentor {MENTOR}, Coach {COACH}" in receipt.plain
    for advisor in (bambang, lina):
        first, second, relay = advisor.inbox[-3:]
        assert (first.kind, second.kind) == ("photo", "photo")
        assert first.media_group_id is not None and first.media_group_id == second.media_group_id
        assert WORDS in relay.plain and relay.button_texts[0] == "💬 Beri umpan balik"
    # One queued message per advisor, sent; once sent it keeps no copy of the words.
    queued = await relays(engine)
    async with session_factory(engine)() as session:
        update_id = await session.scalar(select(ProgressUpdate.id))
        recorded = (
            await session.execute(
                select(RelayedMessage.chat_ref, RelayedMessage.message_ref).where(
                    RelayedMessage.update_id == update_id, RelayedMessage.note_id.is_(None)
                )
            )
        ).all()
    assert [(m.recipient_id, m.status) for m in queued] == [
        (await person_id(engine, MENTOR), OutboxStatus.SENT),
        (await person_id(engine, COACH), OutboxStatus.SENT),
    ]
    assert all(m.payload == {"key": "report.relay", "thread": update_id} for m in queued)
    assert sorted(recorded) == sorted(
        (str(m.chat_id), str(m.message_id))
        for advisor in (bambang, lina)
        for m in advisor.inbox[-3:]
    )

    # A reply to one of the photos is feedback on the report, like a reply to its text.
    bambang.send("Fotonya jelas, terima kasih.", reply_to=bambang.inbox[-3])
    await bot.settle()
    assert bambang.last.plain == text("note.sent", relation="Peserta", name="Budi Santoso")
    assert "Umpan balik dari Mentor" in budi.last.plain
    assert "Fotonya jelas, terima kasih." in budi.last.plain
    # The note went through the queue too, and the participant's answer to it threads back.
    budi.send("Baik, Pak.", reply_to=budi.last)
    await bot.settle()
    assert "Baik, Pak." in bambang.last.plain
    async with session_factory(engine)() as session:
        kinds = list(await session.scalars(select(FeedbackNote.kind).order_by(FeedbackNote.id)))
    assert kinds == [FeedbackKind.FEEDBACK, FeedbackKind.REPLY]
    assert [m.payload["key"] for m in await relays(engine)][2:] == [
        "note.relay.feedback",
        "note.relay.reply",
    ]


async def test_a_mentor_who_blocked_the_bot_is_marked_once_and_the_participant_is_told(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, lina, _ = await cast(bot, telegram, engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")
    await say(bot, admin, "/bantuan")  # the organizer has a chat with the bot
    # He blocked the bot, and the bot has not heard of it yet: its next message meets a 403.
    bambang.chat.blocked = True

    await report(bot, budi, "Rapat koordinasi", WORDS, "60%")

    # The receipt said where the report went; the word that it did not reach the mentor
    # answers it, in the participant's language, with the reason.
    receipt, told = budi.inbox[-2:]
    assert f"Diteruskan kepada: Mentor {MENTOR}, Coach {COACH}" in receipt.plain
    assert told.reply_to_message_id == receipt.message_id
    assert told.plain == text(
        "relay.undelivered.report",
        milestone="Rapat koordinasi tim efektif",
        relation="Mentor",
        name=MENTOR,
        reason=text("delivery.reason.blocked"),
    )
    assert WORDS in lina.last.plain  # the coach has it
    # The sender's policy: he is unreachable now, and the organizer is told once.
    async with session_factory(engine)() as session:
        mentor = await session.get_one(Person, await person_id(engine, MENTOR))
        assert mentor.reachable is False
        failed = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.kind == RELAY, OutboxMessage.recipient_id == mentor.id
            )
        )
        assert failed is not None and failed.status is OutboxStatus.FAILED
        assert failed.error_reason == DeliveryFailure.BLOCKED.value
        assert "params" not in failed.payload  # given up: no copy of the words either
    await bot.deliver()
    assert "Penerima pesan tidak dapat dihubungi" in admin.last.plain
    assert MENTOR in admin.last.plain
    notices = len(admin.inbox)

    # The next report goes to the coach only, and says so; nobody is told anything again.
    await report(bot, budi, "Uji coba aplikasi", "Uji coba di dua kelurahan.", "20%")
    assert budi.last.plain.startswith("✅ Laporan tersimpan")
    assert f"Diteruskan kepada: Coach {COACH}" in budi.last.plain
    assert MENTOR not in budi.last.plain
    await bot.deliver()
    assert len(admin.inbox) == notices
    assert len([m for m in bambang.inbox if "Uji coba di dua kelurahan." in (m.plain or "")]) == 0


async def test_feedback_that_cannot_reach_the_participant_is_told_to_the_mentor(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _, _ = await cast(bot, telegram, engine, now)
    await report(bot, budi, "Rapat koordinasi", WORDS, "60%")
    budi.chat.blocked = True

    bambang.send("Mohon lampirkan notulen.", reply_to=bambang.last)
    await bot.settle()

    confirmation, told = bambang.inbox[-2:]
    assert confirmation.plain == text("note.sent", relation="Peserta", name="Budi Santoso")
    assert told.reply_to_message_id == confirmation.message_id
    assert told.plain == text(
        "relay.undelivered.note",
        milestone="Rapat koordinasi tim efektif",
        relation="Peserta",
        name="Budi Santoso",
        reason=text("delivery.reason.blocked"),
    )
    async with session_factory(engine)() as session:
        kept = await session.scalar(select(func.count()).select_from(FeedbackNote))
    assert kept == 1  # the feedback itself is kept


async def test_a_relay_given_up_after_its_last_attempt_tells_its_author_once(
    engine: AsyncEngine, now: datetime
) -> None:
    async with session_factory(engine)() as session, session.begin():
        author = Person(full_name="Budi Santoso", language="id", timezone="Asia/Jakarta")
        advisor = Person(
            full_name=MENTOR,
            language="id",
            timezone="Asia/Jakarta",
            accounts=[telegram_account(7002)],
        )
        session.add_all([author, advisor])
        await session.flush()
        word = Undelivered(
            author.id,
            "relay.undelivered.report",
            {"milestone": "Rapat", "name": MENTOR, "relation": {"key": "role.mentor"}},
            MessageRef("7001", "42"),
        )
        await enqueue(
            session,
            dedup_key="relay:test",
            message=Outgoing("report.relay", {"participant": "Budi"}, undelivered=word),
            not_before=now,
            now=now,
            kind=RELAY,
            recipient_id=advisor.id,
        )
        (claimed,) = await delivery.claim_due(session, now, limit=10)
        retrying = await delivery.mark_retry(
            session,
            claimed.id,
            now=now,
            error="NetworkError: down",
            policy=RetryPolicy(max_attempts=1),
        )
        assert retrying is False
        # Failing it again (a second sender's late word) tells nobody twice.
        assert await delivery.mark_failed(session, claimed.id, "again", now=now) is False
    async with session_factory(engine)() as session:
        rows = {m.dedup_key: m for m in await session.scalars(select(OutboxMessage))}
    assert rows["relay:test"].status is OutboxStatus.FAILED
    assert rows["relay:test"].payload == {"key": "report.relay"}
    notice = rows[f"undelivered:{claimed.id}"]
    assert (notice.recipient_id, notice.kind, notice.status) == (
        author.id,
        RELAY,
        OutboxStatus.PENDING,
    )
    assert notice.payload["key"] == "relay.undelivered.report"
    assert notice.payload["params"]["reason"] == {"key": DeliveryFailure.NETWORK.message_key}
    assert notice.payload["reply_to"] == {"chat": "7001", "message": "42"}
    assert len(rows) == 2
