"""Migration 0018 on a database the previous release filled: the inbox's Telegram rows keep
their keys (a retried post is still recognized) and WhatsApp's string keys fit beside them;
the outbox gains delivery receipts and keeps every message."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import session_factory
from services import inbox
from services.inbox import InboxEntry
from tests.integration.migrating import empty_engine, fill, migrate, rows

__all__ = ["empty_engine"]  # the fixture, used by name

AT = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 2, 4, 0, tzinfo=UTC)

PREVIOUS_RELEASE = [
    # Ids drawn by the database: the rows stored after the upgrade draw theirs after them.
    "INSERT INTO inbox_update (channel, update_id, lane, payload, status, attempts,"
    " received_at, done_at)"
    " VALUES ('telegram', 900001, 'user:5001', :first, 'done', 1, :at, :at),"
    " ('telegram', 900002, 'user:5002', :second, 'pending', 0, :at, NULL)",
    "INSERT INTO cohort (id, name, programme, settings, created_at)"
    " VALUES (1, 'PKN II Angkatan 3', 'PKN II', '{}', :at)",
    "INSERT INTO person (id, full_name, nip, timezone, language, joined_at, created_at)"
    " VALUES (1, 'Siti Rahma', '198703152010012001', 'Asia/Jakarta', 'id', :at, :at)",
    "INSERT INTO channel_account"
    " (id, person_id, channel, external_user_id, chat_ref, reachable, created_at)"
    " VALUES (7, 1, 'telegram', '5001', '5001', true, :at)",
    "INSERT INTO outbox_message"
    " (id, dedup_key, recipient_id, payload, not_before, status, attempts, kind, cohort_id,"
    "  account_id, message_ref, sent_at, maybe_repeated, created_at)"
    " VALUES (1, 'n:1', 1, '{}', :at, 'sent', 1, 'notice', 1, 7, '77', :at, false, :at),"
    " (2, 'n:2', 1, '{}', :at, 'pending', 0, 'notice', 1, NULL, NULL, NULL, false, :at)",
]
FIRST = {"update_id": 900001, "message": {"from": {"id": 5001}, "text": "/start"}}
SECOND = {"update_id": 900002, "message": {"from": {"id": 5002}, "text": "/status"}}
INBOX = "SELECT id, channel, external_id, update_id, lane, status FROM inbox_update ORDER BY id"


async def _filled_at_0017(engine: AsyncEngine) -> None:
    await migrate(engine, "0017")
    await fill(engine, PREVIOUS_RELEASE, at=AT, first=json.dumps(FIRST), second=json.dumps(SECOND))


async def test_telegram_rows_keep_their_keys_and_whatsapp_keys_fit_beside_them(
    empty_engine: AsyncEngine,
) -> None:
    await _filled_at_0017(empty_engine)

    await migrate(empty_engine, "0018")

    assert await rows(empty_engine, INBOX) == [
        (1, "telegram", "900001", 900001, "user:5001", "done"),
        (2, "telegram", "900002", 900002, "user:5002", "pending"),
    ]
    sessions = session_factory(empty_engine)
    async with sessions() as session, session.begin():
        # Telegram posts the second update again after the upgrade: still known.
        assert not await inbox.store(session, "telegram", SECOND, LATER)
        assert await inbox.store(session, "telegram", {**SECOND, "update_id": 900003}, LATER)
    async with sessions() as session, session.begin():
        wamid = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBDMEE0NkI2MzVGMDkyMzQ4AA=="
        entries = [
            InboxEntry(wamid, "wa:6281234567890", {"kind": "message"}),
            InboxEntry(f"status:{wamid}:read", "wa:6281234567890", {"kind": "status"}),
        ]
        assert await inbox.store_entries(session, "whatsapp", entries, LATER) == 2
        assert await inbox.store_entries(session, "whatsapp", entries, LATER) == 0
    async with sessions() as session:
        pending = await inbox.pending(session, after_id=0, limit=10)
    assert [(r.channel, r.key, r.update_id) for r in pending] == [
        ("telegram", "900002", 900002),
        ("telegram", "900003", 900003),
        ("whatsapp", wamid, None),
        ("whatsapp", f"status:{wamid}:read", None),
    ]
    # The key is required and unique per channel, as the update id was.
    with pytest.raises(IntegrityError):
        await fill(
            empty_engine,
            [
                "INSERT INTO inbox_update (channel, external_id, lane, payload, status,"
                " attempts, received_at) VALUES ('whatsapp', :key, 'x', '{}', 'pending', 0, :at)"
            ],
            key=wamid,
            at=LATER,
        )

    outbox = "SELECT id, status, message_ref, delivered_at, read_at FROM outbox_message"
    assert await rows(empty_engine, outbox + " ORDER BY id") == [
        (1, "sent", "77", None, None),
        (2, "pending", None, None, None),
    ]


async def test_downgrade_keeps_the_telegram_rows_and_drops_the_others(
    empty_engine: AsyncEngine,
) -> None:
    await _filled_at_0017(empty_engine)
    await migrate(empty_engine, "0018")
    sessions = session_factory(empty_engine)
    async with sessions() as session, session.begin():
        await inbox.store_entries(
            session, "whatsapp", [InboxEntry("wamid.X", "wa:62811", {"kind": "message"})], LATER
        )
    await fill(empty_engine, ["UPDATE outbox_message SET delivered_at = :at"], at=LATER)

    await migrate(empty_engine, "0017", down=True)

    assert await rows(
        empty_engine, "SELECT id, channel, update_id, status FROM inbox_update ORDER BY id"
    ) == [(1, "telegram", 900001, "done"), (2, "telegram", 900002, "pending")]
    with pytest.raises(Exception, match="external_id"):
        await rows(empty_engine, "SELECT external_id FROM inbox_update")
    # The old unique key is back.
    with pytest.raises(IntegrityError):
        await fill(
            empty_engine,
            [
                "INSERT INTO inbox_update (channel, update_id, lane, payload, status, attempts,"
                " received_at) VALUES ('telegram', 900001, 'x', '{}', 'pending', 0, :at)"
            ],
            at=LATER,
        )
    assert await rows(empty_engine, "SELECT id, status FROM outbox_message ORDER BY id") == [
        (1, "sent"),
        (2, "pending"),
    ]
    with pytest.raises(Exception, match="delivered_at"):
        await rows(empty_engine, "SELECT delivered_at FROM outbox_message")
    # And up again: the same rows, the same keys.
    await migrate(empty_engine, "0018")
    assert [r[2] for r in await rows(empty_engine, INBOX)] == ["900001", "900002"]
