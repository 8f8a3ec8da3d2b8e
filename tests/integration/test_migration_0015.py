"""Migration 0015 on a database the previous release filled: every file reference is kept.

The database is built at revision 0014 and filled with raw SQL in the old shape (Telegram's
file_id and file_unique_id in columns named for Telegram), then upgraded: the references are
the same, now with the channel they belong to, and the stored bytes' keys are untouched.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.migrating import empty_engine, fill, migrate, rows

__all__ = ["empty_engine"]  # the fixture, used by name

AT = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
PHOTO_KEY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SLIDES_KEY = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

PREVIOUS_RELEASE = [
    "INSERT INTO cohort (id, name, programme, settings, created_at)"
    " VALUES (1, 'PKN II Angkatan 3', 'PKN II', '{}', :at)",
    "INSERT INTO person (id, full_name, nip, timezone, language, joined_at, created_at)"
    " VALUES (1, 'Siti Rahma', '198703152010012001', 'Asia/Jakarta', 'id', :at, :at),"
    " (2, 'Budi Santoso', '197501011999031002', 'Asia/Makassar', 'en', :at, :at)",
    "INSERT INTO project (id, cohort_id, participant_id, title, created_at)"
    " VALUES (1, 1, 1, 'Layanan Perizinan Daring', :at)",
    "INSERT INTO milestone (id, project_id, title, horizon, due_on, status,"
    " progress_percent, created_at) VALUES (1, 1, 'Sosialisasi', 'short', '2026-11-01',"
    " 'in_progress', 60, :at)",
    "INSERT INTO progress_update (id, milestone_id, author_id, text, progress_percent, status,"
    " submitted_at) VALUES (1, 1, 1, 'Sosialisasi ke 3 kecamatan', 60, 'submitted', :at),"
    " (2, 1, 1, 'Rapat koordinasi', 70, 'submitted', :at)",
    # A stored photo, a document from before the store (only Telegram has its bytes), a link,
    # and a photo in an album of the second report.
    "INSERT INTO evidence (id, update_id, kind, telegram_file_id, telegram_file_unique_id,"
    " file_name, mime_type, file_size, caption, media_group_id, sha256, created_at) VALUES"
    f" (1, 1, 'photo', 'AgACAgIAAxk-photo', 'AQADuniq1', NULL, 'image/jpeg', 2048, 'Aula',"
    f" NULL, '{PHOTO_KEY}', :at),"
    " (2, 1, 'document', 'BQACAgIAAxk-doc', 'AgADuniq2', 'notulen.pdf', 'application/pdf',"
    " 4096, NULL, NULL, NULL, :at),"
    f" (4, 2, 'photo', 'AgACAgIAAxk-album', 'AQADuniq4', NULL, 'image/jpeg', 2048, NULL,"
    f" '13579', '{PHOTO_KEY}', :at)",
    "INSERT INTO evidence (id, update_id, kind, url, created_at)"
    " VALUES (3, 1, 'link', 'https://example.go.id/berita', :at)",
    "INSERT INTO seminar (id, cohort_id, kind, starts_at, timezone, status, created_at)"
    " VALUES (1, 1, 'rancangan', :at, 'Asia/Jakarta', 'scheduled', :at)",
    "INSERT INTO seminar_presenter (seminar_id, participant_id) VALUES (1, 1)",
    "INSERT INTO seminar_material (id, seminar_id, presenter_id, kind, version, sha256, size,"
    " file_name, mime_type, telegram_file_id, telegram_file_unique_id, uploaded_at) VALUES"
    f" (1, 1, 1, 'bahan_tayang', 1, '{SLIDES_KEY}', 5120, 'tayang.pdf', 'application/pdf',"
    " 'BQACAgIAAxk-slides', 'AgADslides', :at),"
    f" (2, 1, 1, 'bahan_tayang', 2, '{SLIDES_KEY}', 5120, 'tayang-2.pdf', 'application/pdf',"
    " NULL, NULL, :at)",
    # Announcements, one with a photo (Telegram's file_id) and one with only text.
    "INSERT INTO broadcast (id, cohort_id, author_id, text, attachment, audience, created_at)"
    ' VALUES (1, 1, NULL, \'Seminar besok\', \'{"kind": "photo", "file_id": "AgAC-bc"}\','
    " '{}', :at), (2, 1, NULL, 'Tanpa berkas', NULL, '{}', :at)",
]

EVIDENCE = (
    "SELECT id, update_id, kind, channel, channel_file_ref, channel_file_unique_ref, file_name,"
    " mime_type, file_size, caption, url, media_group_id, sha256 FROM evidence ORDER BY id"
)
MATERIALS = (
    "SELECT id, version, channel, channel_file_ref, channel_file_unique_ref, sha256, size,"
    " file_name FROM seminar_material ORDER BY id"
)


async def attachments(engine: AsyncEngine) -> list[tuple[int, Any]]:
    """Each announcement's attachment, decoded (the JSON column reads back as text on SQLite
    when selected raw)."""
    found = await rows(engine, "SELECT id, attachment FROM broadcast ORDER BY id")
    return [(i, json.loads(a) if isinstance(a, str) else a) for i, a in found]


async def test_every_file_reference_survives_with_its_channel(
    empty_engine: AsyncEngine,
) -> None:
    await migrate(empty_engine, "0014")
    await fill(empty_engine, PREVIOUS_RELEASE, at=AT)

    await migrate(empty_engine, "0015")

    assert await rows(empty_engine, EVIDENCE) == [
        (1, 1, "photo", "telegram", "AgACAgIAAxk-photo", "AQADuniq1", None, "image/jpeg", 2048,
         "Aula", None, None, PHOTO_KEY),
        (2, 1, "document", "telegram", "BQACAgIAAxk-doc", "AgADuniq2", "notulen.pdf",
         "application/pdf", 4096, None, None, None, None),
        (3, 1, "link", None, None, None, None, None, None, None, "https://example.go.id/berita",
         None, None),
        (4, 2, "photo", "telegram", "AgACAgIAAxk-album", "AQADuniq4", None, "image/jpeg", 2048,
         None, None, "13579", PHOTO_KEY),
    ]  # fmt: skip
    assert await rows(empty_engine, MATERIALS) == [
        (1, 1, "telegram", "BQACAgIAAxk-slides", "AgADslides", SLIDES_KEY, 5120, "tayang.pdf"),
        (2, 2, None, None, None, SLIDES_KEY, 5120, "tayang-2.pdf"),
    ]
    assert await attachments(empty_engine) == [
        (1, {"kind": "photo", "channel": "telegram", "ref": "AgAC-bc"}),
        (2, None),
    ]
    # The reports they belong to still hold.
    assert await rows(empty_engine, "SELECT id, text FROM progress_update ORDER BY id") == [
        (1, "Sosialisasi ke 3 kecamatan"),
        (2, "Rapat koordinasi"),
    ]
    assert await rows(
        empty_engine,
        "SELECT COUNT(*) FROM evidence e JOIN progress_update u ON u.id = e.update_id",
    ) == [(4,)]


async def test_downgrade_gives_telegram_references_back(empty_engine: AsyncEngine) -> None:
    await migrate(empty_engine, "0014")
    await fill(empty_engine, PREVIOUS_RELEASE, at=AT)
    await migrate(empty_engine, "0015")
    # A file that came by another channel after the upgrade: its reference means nothing to
    # the previous release, its bytes stay in the store.
    await fill(
        empty_engine,
        [
            "INSERT INTO evidence (id, update_id, kind, channel, channel_file_ref,"
            " channel_file_unique_ref, sha256, created_at) VALUES (5, 2, 'photo', 'whatsapp',"
            f" 'wamid.media.1', 'wa-uniq', '{PHOTO_KEY}', :at)"
        ],
        at=AT,
    )

    await migrate(empty_engine, "0014", down=True)

    assert await rows(
        empty_engine,
        "SELECT id, telegram_file_id, telegram_file_unique_id, sha256 IS NOT NULL"
        " FROM evidence ORDER BY id",
    ) == [
        (1, "AgACAgIAAxk-photo", "AQADuniq1", True),
        (2, "BQACAgIAAxk-doc", "AgADuniq2", False),
        (3, None, None, False),
        (4, "AgACAgIAAxk-album", "AQADuniq4", True),
        (5, None, None, True),
    ]
    assert await rows(
        empty_engine,
        "SELECT id, telegram_file_id, telegram_file_unique_id FROM seminar_material ORDER BY id",
    ) == [(1, "BQACAgIAAxk-slides", "AgADslides"), (2, None, None)]
    assert await attachments(empty_engine) == [
        (1, {"kind": "photo", "file_id": "AgAC-bc"}),
        (2, None),
    ]
