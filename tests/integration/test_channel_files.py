"""Files passed on through the queue: by the channel's own reference when the recipient is on
the channel the file came by, otherwise uploaded from the evidence store."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot

from bot.sender import Sender
from domain.clock import ManualClock
from domain.enums import Channel, OutboxStatus
from fakegram import TINY_JPEG, FakeTelegram
from models import OutboxMessage, Person
from models.db import session_factory
from services.outbox import Outgoing, enqueue, file_item
from storage.evidence_store import MemoryStore
from tests.factories import telegram_account

NOTICE = "delivery.unreachable.admin"
CHAT = 4242
MINUTES = b"%PDF-1.4 notulen rapat koordinasi"
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # the clock fixture's start


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(clock=lambda: clock.now().timestamp()) as fake:
        yield fake


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as ptb:
        yield ptb


async def recipient(engine: AsyncEngine) -> int:
    """Someone joined on Telegram."""
    async with session_factory(engine)() as session, session.begin():
        person = Person(
            full_name="Bambang Sutrisno",
            accounts=[telegram_account(CHAT)],
            joined_at=datetime(2026, 10, 1, tzinfo=UTC),
            language="id",
            timezone="Asia/Jakarta",
        )
        session.add(person)
        await session.flush()
        return person.id


async def queue(engine: AsyncEngine, person_id: int, media: list[dict[str, str]]) -> None:
    message = Outgoing(NOTICE, {"name": "Budi", "cohort": "PKP IV", "at": NOW}, media=media)
    async with session_factory(engine)() as session, session.begin():
        assert await enqueue(
            session,
            dedup_key="files:1",
            message=message,
            not_before=NOW,
            kind="notice",
            recipient_id=person_id,
        )


async def status(engine: AsyncEngine) -> OutboxStatus:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(OutboxMessage.status))
        assert found is not None
        return found


async def test_a_telegram_file_goes_by_its_file_id_and_another_channels_by_its_bytes(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    person_id = await recipient(engine)
    user = server.user(CHAT, "Bambang")
    from_telegram = server.files.add("document", MINUTES, file_name="notulen.pdf")
    store = MemoryStore()
    photo = await store.put(TINY_JPEG)
    await queue(
        engine,
        person_id,
        [
            file_item(
                "document",
                sha256=hashlib.sha256(MINUTES).hexdigest(),  # not in this store: not needed
                channel=Channel.TELEGRAM.value,
                ref=from_telegram.file_id,
                file_name="notulen.pdf",
            ),
            file_item(
                "photo",
                sha256=photo.sha256,
                channel=Channel.WHATSAPP.value,
                ref="wamid.HBgLNjI4MTIzNDU2Nzg5FQIAEhgg",
                caption="Rapat di aula",
            ),
        ],
    )

    result = await Sender(bot, session_factory(engine), clock, evidence_store=store).drain_once()

    assert result.sent == 1 and await status(engine) is OutboxStatus.SENT
    uploaded, document = user.inbox[0], user.inbox[1]  # photos go before documents
    # Re-sent by Telegram's own reference: the very same file, nothing uploaded.
    assert document.kind == "document" and document.file_id == from_telegram.file_id
    # Uploaded from the store: Telegram now has the photo's bytes under a new file_id.
    assert uploaded.kind == "photo" and uploaded.plain == "Rapat di aula"
    assert uploaded.file_id is not None and uploaded.file_id != from_telegram.file_id
    stored = server.file(uploaded.file_id)
    assert stored is not None and stored.data == TINY_JPEG


async def test_a_file_neither_on_this_channel_nor_in_the_store_is_not_sent(
    engine: AsyncEngine, server: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    person_id = await recipient(engine)
    user = server.user(CHAT, "Bambang")
    await queue(
        engine,
        person_id,
        [file_item("photo", sha256="ab" * 32, channel=Channel.WHATSAPP.value, ref="wamid.x")],
    )

    result = await Sender(
        bot, session_factory(engine), clock, evidence_store=MemoryStore()
    ).drain_once()

    assert result.sent == 0 and user.inbox == []
    assert await status(engine) is not OutboxStatus.SENT


def test_a_file_item_needs_bytes_or_a_channel_reference() -> None:
    with pytest.raises(ValueError):
        file_item("photo", sha256=None, ref="AgAD")  # a reference without its channel
    with pytest.raises(ValueError):
        file_item("sticker", sha256="ab" * 32)
    assert file_item("photo", sha256=None, channel="telegram", ref="AgAD") == {
        "kind": "photo",
        "channel": "telegram",
        "ref": "AgAD",
    }
