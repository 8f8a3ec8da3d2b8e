"""WhatsApp's status webhooks on the delivery queue: a message to Budi on WhatsApp is
delivered and read, or fails outside the window, or fails because his number is not on
WhatsApp (he is then unreachable there and the organizer is told, once); each status counts
once, and a status names only WhatsApp messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.enums import Channel, DeliveryFailure, OutboxStatus
from models import ChannelAccount, OutboxMessage, Person
from models.db import session_factory
from services import inbox
from services.outbox import RELAY, Outgoing, Undelivered, enqueue
from tests.factories import SMALL_ROSTER, import_roster, telegram_account
from whatsapp.inbound import status_entry
from whatsapp.statuses import apply_early_statuses, apply_status

ROSTER = (
    SMALL_ROSTER
    + "\npenyelenggara,Siti Rahmawati,198807072012122007,BPSDM Sumsel,Analis Kepegawaian,WITA,,,"
)
BUDI_NIP, BAMBANG_NIP = "198001152005011001", "197005051995031003"
BUDI_WA = "6281234567890"
SENT_AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


class Queue:
    """Budi on WhatsApp, Bambang on Telegram, messages the sender has sent them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        self.budi = self.bambang = self.wa_account = self.tg_account = 0

    async def load(self, now: datetime) -> Queue:
        await import_roster(self.engine, now, ROSTER)
        async with self.sessions() as session, session.begin():
            self.budi = await self._person(session, BUDI_NIP)
            self.bambang = await self._person(session, BAMBANG_NIP)
            wa = ChannelAccount(
                person_id=self.budi,
                channel=Channel.WHATSAPP,
                external_user_id=BUDI_WA,
                chat_ref=BUDI_WA,
                reachable=True,
            )
            tg = telegram_account(5002)
            tg.person_id = self.bambang
            session.add_all([wa, tg])
            await session.flush()
            self.wa_account, self.tg_account = wa.id, tg.id
        return self

    @staticmethod
    async def _person(session: Any, nip: str) -> int:
        person_id = await session.scalar(select(Person.id).where(Person.nip == nip))
        assert person_id is not None
        return int(person_id)

    async def sent(self, wamid: str, *, relay: bool = False, telegram: bool = False) -> int:
        """A message the sender delivered (to Budi on WhatsApp, or Bambang on Telegram)."""
        undelivered = Undelivered(self.bambang, "relays.undelivered") if relay else None
        key = f"test:{wamid}:{telegram}"
        async with self.sessions() as session, session.begin():
            await enqueue(
                session,
                dedup_key=key,
                message=Outgoing("relays.report", {"name": "Budi"}, undelivered=undelivered),
                not_before=SENT_AT,
                now=SENT_AT,
                kind=RELAY if relay else "notice",
                recipient_id=self.bambang if telegram else self.budi,
            )
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.dedup_key == key)
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=SENT_AT,
                    attempts=1,
                    message_ref=wamid,
                    account_id=self.tg_account if telegram else self.wa_account,
                )
            )
            row_id = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)
            )
        assert row_id is not None
        return int(row_id)

    async def apply(self, status: dict[str, Any], now: datetime) -> bool:
        async with self.sessions() as session, session.begin():
            return await apply_status(session, status, now)

    async def row(self, row_id: int) -> OutboxMessage:
        async with self.sessions() as session:
            return await session.get_one(OutboxMessage, row_id)

    async def keys(self) -> list[str]:
        async with self.sessions() as session:
            return list(await session.scalars(select(OutboxMessage.dedup_key)))

    async def reachable(self) -> bool:
        async with self.sessions() as session:
            account = await session.get_one(ChannelAccount, self.wa_account)
            return account.reachable


def status(wamid: str, name: str, at: datetime, code: int | None = None) -> dict[str, Any]:
    """A status object as Meta posts it."""
    item: dict[str, Any] = {
        "id": wamid,
        "status": name,
        "timestamp": str(int(at.timestamp())),
        "recipient_id": BUDI_WA,
    }
    if code is not None:
        item["errors"] = [
            {
                "code": code,
                "title": "Re-engagement message" if code == 131047 else "Message undeliverable",
                "error_data": {"details": "Message failed to send."},
            }
        ]
    return item


async def test_delivered_and_read_are_recorded_once(engine: AsyncEngine, now: datetime) -> None:
    queue = await Queue(engine).load(now)
    first = await queue.sent("wamid.ONE")
    delivered_at, read_at = SENT_AT + timedelta(seconds=2), SENT_AT + timedelta(minutes=5)

    assert await queue.apply(status("wamid.ONE", "sent", SENT_AT), now)
    assert await queue.apply(status("wamid.ONE", "delivered", delivered_at), now)
    assert await queue.apply(status("wamid.ONE", "read", read_at), now)
    # Meta repeats itself: the first moments stay.
    await queue.apply(status("wamid.ONE", "delivered", read_at + timedelta(hours=1)), now)
    await queue.apply(status("wamid.ONE", "read", read_at + timedelta(hours=1)), now)

    row = await queue.row(first)
    assert (row.status, row.sent_at) == (OutboxStatus.SENT, SENT_AT)
    assert (row.delivered_at, row.read_at) == (delivered_at, read_at)

    # Read before delivered (or delivered never posted): it was delivered by then.
    second = await queue.sent("wamid.TWO")
    await queue.apply(status("wamid.TWO", "read", read_at), now)
    await queue.apply(status("wamid.TWO", "delivered", delivered_at), now)
    row = await queue.row(second)
    assert (row.delivered_at, row.read_at) == (read_at, read_at)


async def test_outside_the_window_the_message_fails_with_its_reason_and_the_author_hears(
    engine: AsyncEngine, now: datetime
) -> None:
    queue = await Queue(engine).load(now)
    relay = await queue.sent("wamid.LATE", relay=True)
    failed = status("wamid.LATE", "failed", SENT_AT + timedelta(seconds=1), code=131047)

    assert await queue.apply(failed, now)
    await queue.apply(failed, now)  # posted again

    row = await queue.row(relay)
    assert row.status is OutboxStatus.FAILED
    assert row.error_reason == DeliveryFailure.OUTSIDE_WINDOW.value
    assert row.last_error is not None and row.last_error.startswith("131047: Re-engagement")
    assert "name" not in row.payload.get("params", {})  # a failed relay keeps no words
    # Bambang, whose relay it was, is told once; Budi stays reachable (he may write again).
    assert [k for k in await queue.keys() if k.startswith("undelivered:")] == [
        f"undelivered:{relay}"
    ]
    assert await queue.reachable()


async def test_a_number_not_on_whatsapp_is_unreachable_and_the_organizer_told_once(
    engine: AsyncEngine, now: datetime
) -> None:
    queue = await Queue(engine).load(now)
    first, second = await queue.sent("wamid.A"), await queue.sent("wamid.B")

    await queue.apply(status("wamid.A", "failed", SENT_AT, code=131026), now)
    await queue.apply(status("wamid.B", "failed", SENT_AT, code=131026), now)
    await queue.apply(status("wamid.A", "failed", SENT_AT, code=131026), now)

    for row_id in (first, second):
        row = await queue.row(row_id)
        assert (row.status, row.error_reason) == (
            OutboxStatus.FAILED,
            DeliveryFailure.NOT_ON_WHATSAPP.value,
        )
    assert not await queue.reachable()
    notices = [k for k in await queue.keys() if k.startswith(f"unreachable:{queue.budi}:")]
    assert len(notices) == 1  # the organizer (Siti), once


async def test_a_status_names_only_a_whatsapp_message(engine: AsyncEngine, now: datetime) -> None:
    queue = await Queue(engine).load(now)
    on_telegram = await queue.sent("4242", telegram=True)
    assert not await queue.apply(status("4242", "failed", SENT_AT, code=131026), now)
    assert not await queue.apply(status("wamid.UNKNOWN", "delivered", SENT_AT), now)
    assert not await queue.apply({"status": "read"}, now)
    row = await queue.row(on_telegram)
    assert (row.status, row.delivered_at) == (OutboxStatus.SENT, None)


async def test_a_failure_with_an_unknown_code_is_a_rejection_in_words(
    engine: AsyncEngine, now: datetime
) -> None:
    queue = await Queue(engine).load(now)
    sent = await queue.sent("wamid.ODD")
    odd = status("wamid.ODD", "failed", SENT_AT, code=131053)
    odd["errors"][0]["title"] = "Media upload error"
    await queue.apply(odd, now)
    row = await queue.row(sent)
    assert row.error_reason == DeliveryFailure.WHATSAPP_REJECTED.value
    assert row.last_error == "131053: Media upload error (Message failed to send.)"
    assert await queue.reachable()


async def test_outside_the_window_a_notice_goes_again_as_its_template(
    engine: AsyncEngine, now: datetime
) -> None:
    queue = await Queue(engine).load(now)
    notice = await queue.sent("wamid.NOTICE")
    failed = status("wamid.NOTICE", "failed", SENT_AT + timedelta(seconds=1), code=131047)

    assert await queue.apply(failed, now)
    await queue.apply(failed, now)  # posted again: still queued once, not failed

    row = await queue.row(notice)
    assert row.status is OutboxStatus.PENDING and row.payload["as_template"] is True
    assert row.message_ref is None and row.error_reason is None
    assert not [k for k in await queue.keys() if k.startswith("undelivered:")]


async def test_statuses_posted_before_the_wamid_was_recorded_are_applied_with_it(
    engine: AsyncEngine, now: datetime
) -> None:
    queue = await Queue(engine).load(now)
    delivered_at = SENT_AT + timedelta(seconds=2)
    early = [status("wamid.EARLY", "delivered", delivered_at)]
    early.append(status("wamid.EARLY", "failed", delivered_at, code=131026))
    async with queue.sessions() as session, session.begin():
        entries = [e for e in (status_entry(s) for s in early) if e is not None]
        await inbox.store_entries(session, Channel.WHATSAPP.value, entries, now)
    # The worker got to them first: no message has that wamid yet.
    for item in early:
        assert not await queue.apply(item, now)

    row_id = await queue.sent("wamid.EARLY")  # the sender records it now...
    async with queue.sessions() as session, session.begin():
        assert await apply_early_statuses(session, "wamid.EARLY", now) == 2  # ...and these

    row = await queue.row(row_id)
    assert row.delivered_at == delivered_at and row.status is OutboxStatus.FAILED
    assert row.error_reason == DeliveryFailure.NOT_ON_WHATSAPP.value
    assert not await queue.reachable()
