"""Migration 0019 on a database the previous release filled: a cohort's Telegram group keeps
its link as channel and chat reference, and a queued post to it points at the group."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.migrating import empty_engine, fill, migrate, rows

__all__ = ["empty_engine"]  # the fixture, used by name

AT = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)

PREVIOUS_RELEASE = [
    "INSERT INTO cohort (id, name, programme, settings, created_at)"
    " VALUES (1, 'PKN II Angkatan 3', 'PKN II', '{}', :at)",
    "INSERT INTO person (id, full_name, nip, timezone, language, joined_at, created_at)"
    " VALUES (1, 'Siti Rahma', '198703152010012001', 'Asia/Jakarta', 'id', :at, :at)",
    "INSERT INTO cohort_group (id, cohort_id, chat_id, title, active, created_at)"
    " VALUES (4, 1, -1001234567890, 'Grup PKN', true, :at),"
    " (5, 1, -4001, 'Lama', false, :at)",
    "INSERT INTO outbox_message"
    " (id, dedup_key, recipient_id, chat_id, payload, not_before, status, attempts, kind,"
    "  cohort_id, maybe_repeated, created_at)"
    " VALUES (1, 'bc:1:group:-1001234567890', NULL, -1001234567890, '{}', :at, 'pending', 0,"
    "  'broadcast', 1, false, :at),"
    " (2, 'bc:1:1', 1, NULL, '{}', :at, 'sent', 1, 'broadcast', 1, false, :at),"
    # A post for a chat no group names (never sendable): it goes with the column.
    " (3, 'bc:1:group:-999', NULL, -999, '{}', :at, 'pending', 0, 'broadcast', 1, false, :at)",
]
GROUPS = "SELECT id, channel, chat_ref, title, active FROM cohort_group ORDER BY id"
POSTS = "SELECT id, recipient_id, group_id, status FROM outbox_message ORDER BY id"


async def test_groups_keep_their_links_and_posts_point_at_them(empty_engine: AsyncEngine) -> None:
    await migrate(empty_engine, "0018")
    await fill(empty_engine, PREVIOUS_RELEASE, at=AT)

    await migrate(empty_engine, "0019")

    assert await rows(empty_engine, GROUPS) == [
        (4, "telegram", "-1001234567890", "Grup PKN", True),
        (5, "telegram", "-4001", "Lama", False),
    ]
    assert await rows(empty_engine, POSTS) == [(1, None, 4, "pending"), (2, 1, None, "sent")]
    # One group per chat of a channel; the channel is checked like every enum column.
    with pytest.raises(IntegrityError):
        await fill(
            empty_engine,
            [
                "INSERT INTO cohort_group (cohort_id, channel, chat_ref, active, created_at)"
                " VALUES (1, 'telegram', '-4001', true, :at)"
            ],
            at=AT,
        )
    with pytest.raises(IntegrityError):
        await fill(empty_engine, ["UPDATE cohort_group SET channel = 'sms' WHERE id = 5"])


async def test_downgrade_gives_back_the_telegram_chat_ids(empty_engine: AsyncEngine) -> None:
    await migrate(empty_engine, "0018")
    await fill(empty_engine, PREVIOUS_RELEASE, at=AT)
    await migrate(empty_engine, "0019")
    await fill(
        empty_engine,
        [
            "INSERT INTO cohort_group (id, cohort_id, channel, chat_ref, active, created_at)"
            " VALUES (6, 1, 'whatsapp', '120363000000000000@g.us', true, :at)",
            "INSERT INTO outbox_message"
            " (id, dedup_key, group_id, payload, not_before, status, attempts, kind, cohort_id,"
            "  maybe_repeated, created_at)"
            " VALUES (9, 'bc:2:group:wa', 6, '{}', :at, 'pending', 0, 'broadcast', 1, false, :at)",
        ],
        at=AT,
    )

    await migrate(empty_engine, "0018", down=True)

    assert await rows(empty_engine, "SELECT id, chat_id FROM cohort_group ORDER BY id") == [
        (4, -1001234567890),
        (5, -4001),
    ]
    assert await rows(
        empty_engine, "SELECT id, recipient_id, chat_id FROM outbox_message ORDER BY id"
    ) == [(1, None, -1001234567890), (2, 1, None)]
