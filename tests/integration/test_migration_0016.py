"""Migration 0016 on a database the previous release filled: people gain a phone and a
preferred channel, both empty, and everything pointing at them stays where it was."""

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
    " VALUES (1, 'Siti Rahma', '198703152010012001', 'Asia/Jakarta', 'id', :at, :at),"
    " (2, 'Budi Santoso', '197501011999031002', 'Asia/Makassar', 'en', NULL, :at)",
    "INSERT INTO membership (id, cohort_id, person_id, role, active)"
    " VALUES (1, 1, 1, 'participant', true), (2, 1, 2, 'mentor', true)",
    "INSERT INTO invite (id, person_id, code, created_at) VALUES (1, 2, 'AB23CD45', :at)",
]
PEOPLE = "SELECT id, full_name, nip, timezone, phone, preferred_channel FROM person ORDER BY id"


async def test_people_gain_an_empty_phone_and_channel_and_keep_the_rest(
    empty_engine: AsyncEngine,
) -> None:
    await migrate(empty_engine, "0015")
    await fill(empty_engine, PREVIOUS_RELEASE, at=AT)

    await migrate(empty_engine, "0016")

    assert await rows(empty_engine, PEOPLE) == [
        (1, "Siti Rahma", "198703152010012001", "Asia/Jakarta", None, None),
        (2, "Budi Santoso", "197501011999031002", "Asia/Makassar", None, None),
    ]
    # Nothing pointing at a person was lost (SQLite would cascade on a rebuilt table).
    assert await rows(empty_engine, "SELECT id, person_id FROM membership ORDER BY id") == [
        (1, 1),
        (2, 2),
    ]
    assert await rows(empty_engine, "SELECT person_id, code FROM invite") == [(2, "AB23CD45")]

    await fill(
        empty_engine,
        ["UPDATE person SET phone = '+6281234567890', preferred_channel = 'whatsapp' WHERE id = 1"],
    )
    assert (await rows(empty_engine, PEOPLE))[0][4:] == ("+6281234567890", "whatsapp")
    # The channel is checked like every other enum column.
    with pytest.raises(IntegrityError):
        await fill(empty_engine, ["UPDATE person SET preferred_channel = 'sms' WHERE id = 2"])


async def test_downgrade_drops_the_columns_and_keeps_the_people(empty_engine: AsyncEngine) -> None:
    await migrate(empty_engine, "0015")
    await fill(empty_engine, PREVIOUS_RELEASE, at=AT)
    await migrate(empty_engine, "0016")
    await fill(
        empty_engine,
        ["UPDATE person SET phone = '+6281234567890', preferred_channel = 'telegram'"],
    )

    await migrate(empty_engine, "0015", down=True)

    assert await rows(empty_engine, "SELECT id, full_name, nip FROM person ORDER BY id") == [
        (1, "Siti Rahma", "198703152010012001"),
        (2, "Budi Santoso", "197501011999031002"),
    ]
    assert await rows(empty_engine, "SELECT COUNT(*) FROM membership") == [(2,)]
    with pytest.raises(Exception, match="phone"):
        await rows(empty_engine, "SELECT phone FROM person")
