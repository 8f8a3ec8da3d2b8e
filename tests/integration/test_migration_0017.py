"""Migration 0017 on a database the previous release filled: PTB's conversation_state goes,
an announcement's status message is named by the organizer's account, and no queued message
of an announcement is lost to SQLite's table rebuild."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.migrating import empty_engine, fill, migrate, rows

__all__ = ["empty_engine"]  # the fixture, used by name

AT = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)

PREVIOUS_RELEASE = [
    "INSERT INTO cohort (id, name, programme, settings, created_at)"
    " VALUES (1, 'PKN II Angkatan 3', 'PKN II', '{}', :at)",
    "INSERT INTO person (id, full_name, nip, timezone, language, joined_at, created_at)"
    " VALUES (1, 'Siti Rahma', '198703152010012001', 'Asia/Jakarta', 'id', :at, :at),"
    " (2, 'Budi Santoso', '197501011999031002', 'Asia/Makassar', 'en', :at, :at)",
    "INSERT INTO channel_account"
    " (id, person_id, channel, external_user_id, chat_ref, reachable, created_at)"
    " VALUES (7, 1, 'telegram', '5001', '5001', true, :at),"
    " (8, 2, 'telegram', '5002', '5002', true, :at)",
    # Siti's announcement shows its status in her chat; one from an organizer since erased
    # points at a chat nobody's account names.
    "INSERT INTO broadcast"
    " (id, cohort_id, author_id, text, audience, status_chat_id, status_message_id, created_at)"
    " VALUES (1, 1, 1, 'Rapat besok', '{}', 5001, 42, :at),"
    " (2, 1, NULL, 'Lama', '{}', 9999, 43, :at),"
    " (3, 1, 1, 'Tanpa status', '{}', NULL, NULL, :at)",
    "INSERT INTO outbox_message"
    " (id, dedup_key, recipient_id, payload, not_before, status, attempts, kind, cohort_id,"
    "  broadcast_id, maybe_repeated, created_at)"
    " VALUES (1, 'bc:1:2', 2, '{}', :at, 'pending', 0, 'broadcast', 1, 1, false, :at),"
    " (2, 'bc:2:2', 2, '{}', :at, 'sent', 1, 'broadcast', 1, 2, false, :at)",
    "INSERT INTO conversation_state (kind, key, value, updated_at)"
    " VALUES ('conv:report', '[5002, 5002]', '1', :at)",
]
STATUS = "SELECT id, status_account_id, status_message_ref FROM broadcast ORDER BY id"


async def test_status_messages_are_named_by_account_and_nothing_queued_is_lost(
    empty_engine: AsyncEngine,
) -> None:
    await migrate(empty_engine, "0016")
    await fill(empty_engine, PREVIOUS_RELEASE, at=AT)

    await migrate(empty_engine, "0017")

    assert await rows(empty_engine, STATUS) == [(1, 7, "42"), (2, None, None), (3, None, None)]
    # SQLite rebuilt `broadcast`: the messages queued for its announcements are all there.
    assert await rows(
        empty_engine, "SELECT id, broadcast_id, status FROM outbox_message ORDER BY id"
    ) == [(1, 1, "pending"), (2, 2, "sent")]
    with pytest.raises(Exception, match="conversation_state"):
        await rows(empty_engine, "SELECT kind FROM conversation_state")
    with pytest.raises(Exception, match="status_chat_id"):
        await rows(empty_engine, "SELECT status_chat_id FROM broadcast")
    # Erasing the organizer's account lets go of the status message, not the announcement.
    await fill(empty_engine, ["DELETE FROM channel_account WHERE id = 7"])
    assert (await rows(empty_engine, STATUS))[0][:2] == (1, None)


async def test_downgrade_gives_back_telegram_ids_and_an_empty_table(
    empty_engine: AsyncEngine,
) -> None:
    await migrate(empty_engine, "0016")
    await fill(empty_engine, PREVIOUS_RELEASE, at=AT)
    await migrate(empty_engine, "0017")

    await migrate(empty_engine, "0016", down=True)

    assert await rows(
        empty_engine, "SELECT id, status_chat_id, status_message_id FROM broadcast ORDER BY id"
    ) == [(1, 5001, 42), (2, None, None), (3, None, None)]
    assert await rows(empty_engine, "SELECT COUNT(*) FROM outbox_message") == [(2,)]
    assert await rows(empty_engine, "SELECT COUNT(*) FROM conversation_state") == [(0,)]
