"""Migration 0011 on a database the previous release filled: nobody and nothing is lost.

The database is built at revision 0010 with Alembic and filled with raw SQL in the old
shape (Telegram ids on the person, relays keyed by chat and message id), then upgraded.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.migrating import empty_engine, fill, migrate, rows

__all__ = ["empty_engine"]  # the fixture, used by name

AT = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)


# The previous release's rows. Ids are given, so the checks below can name them.
PREVIOUS_RELEASE = [
    "INSERT INTO cohort (id, name, programme, settings, created_at)"
    " VALUES (1, 'PKN II Angkatan 1', 'PKN II', '{}', :at)",
    # A joined participant, a mentor who blocked the bot, an invited coach who never joined,
    # an admin from the settings, and an erased person.
    "INSERT INTO person (id, full_name, nip, timezone, language, telegram_user_id,"
    " telegram_chat_id, reachable, consent_at, joined_at, created_at, updated_at) VALUES"
    " (1, 'Siti Rahma', '198703152010012001', 'Asia/Jakarta', 'id', 7001, 7001, true, :at,"
    " :at, :at, :at),"
    " (2, 'Budi Santoso', '197501011999031002', 'Asia/Makassar', 'en', 9007199254740993,"
    " 9007199254740993, false, :at, :at, :at, :at),"
    " (3, 'Dewi Lestari', NULL, 'Asia/Jakarta', 'id', NULL, NULL, true, NULL, NULL, :at, NULL),"
    " (4, 'Admin Pusat', NULL, 'Asia/Jakarta', 'id', 555000111, 555000111, true, NULL, :at,"
    " :at, NULL),"
    " (5, 'Dihapus', NULL, 'Asia/Jakarta', 'id', NULL, NULL, false, NULL, NULL, :at, :at)",
    "UPDATE person SET erased_at = :at WHERE id = 5",
    "INSERT INTO membership (id, cohort_id, person_id, role, active, created_at) VALUES"
    " (1, 1, 1, 'participant', true, :at), (2, 1, 2, 'mentor', true, :at),"
    " (3, 1, 3, 'coach', true, :at), (4, 1, 5, 'participant', false, :at)",
    "INSERT INTO invite (id, person_id, code, used_at, used_by_telegram_id, created_at) VALUES"
    " (1, 1, 'AAAA1111', :at, 7001, :at), (2, 2, 'BBBB2222', :at, 9007199254740993, :at),"
    " (3, 3, 'CCCC3333', NULL, NULL, :at)",
    "INSERT INTO code_attempt (telegram_user_id, failures, window_started_at, locked_until)"
    " VALUES (8008, 3, :at, :at)",
    "INSERT INTO project (id, cohort_id, participant_id, title, created_at)"
    " VALUES (1, 1, 1, 'Layanan Perizinan Daring', :at)",
    "INSERT INTO milestone (id, project_id, title, horizon, due_on, status,"
    " progress_percent, created_at) VALUES (1, 1, 'Sosialisasi', 'short', '2026-11-01',"
    " 'in_progress', 60, :at)",
    "INSERT INTO progress_update (id, milestone_id, author_id, text, progress_percent, status,"
    " submitted_at) VALUES (1, 1, 1, 'Sosialisasi ke 3 kecamatan', 60, 'submitted', :at)",
    "INSERT INTO evidence (id, update_id, kind, telegram_file_id, telegram_file_unique_id,"
    " file_name, mime_type, file_size, sha256, created_at) VALUES"
    " (1, 1, 'photo', 'AgACAgIAAxk-photo', 'AQADuniq1', NULL, 'image/jpeg', 2048,"
    " 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', :at),"
    " (2, 1, 'document', 'BQACAgIAAxk-doc', 'AgADuniq2', 'notulen.pdf', 'application/pdf',"
    " 4096, NULL, :at)",
    "INSERT INTO evidence (id, update_id, kind, url, created_at)"
    " VALUES (3, 1, 'link', 'https://example.go.id/berita', :at)",
    "INSERT INTO feedback_note (id, update_id, author_id, kind, text, created_at)"
    " VALUES (1, 1, 2, 'feedback', 'Bagus, lanjutkan', :at)",
    "INSERT INTO relayed_message (id, chat_id, message_id, recipient_id, update_id, note_id,"
    " created_at) VALUES (1, 9007199254740993, 41, 2, 1, NULL, :at),"
    " (2, 9007199254740993, 42, 2, 1, NULL, :at), (3, 7001, 43, 1, 1, 1, :at)",
    "INSERT INTO outbox_message (id, dedup_key, recipient_id, chat_id, payload, not_before,"
    " status, attempts, sent_at, telegram_message_id, kind, cohort_id, maybe_repeated,"
    " created_at) VALUES"
    " (1, 'relay:report:1:2', 2, NULL, '{}', :at, 'sent', 1, :at, 41, 'relay', 1, false, :at),"
    " (2, 'reminder:x', 3, NULL, '{\"key\": \"x\"}', :at, 'pending', 0, NULL, NULL, 'reminder',"
    " 1, false, :at),"
    " (3, 'bc:1:group:-100500', NULL, -100500, '{}', :at, 'sent', 1, :at, 77, 'broadcast', 1,"
    " false, :at)",
    "INSERT INTO cohort_group (id, cohort_id, chat_id, title, active, created_at)"
    " VALUES (1, 1, -100500, 'Grup Angkatan 1', true, :at)",
]


async def _fill_previous_release(engine: AsyncEngine) -> None:
    await fill(engine, PREVIOUS_RELEASE, at=AT)


async def test_the_previous_release_keeps_everyone_and_every_thread(
    empty_engine: AsyncEngine,
) -> None:
    await migrate(empty_engine, "0010")
    await _fill_previous_release(empty_engine)

    # Up to the release before group posts point at their group (0019 has its own test).
    await migrate(empty_engine, "0018")

    # Every person, and the two joined ones plus the admin as Telegram accounts.
    assert await rows(empty_engine, "SELECT id, full_name FROM person ORDER BY id") == [
        (1, "Siti Rahma"),
        (2, "Budi Santoso"),
        (3, "Dewi Lestari"),
        (4, "Admin Pusat"),
        (5, "Dihapus"),
    ]
    accounts = await rows(
        empty_engine,
        "SELECT person_id, channel, external_user_id, chat_ref, reachable,"
        " blocked_since IS NOT NULL FROM channel_account ORDER BY person_id",
    )
    assert accounts == [
        (1, "telegram", "7001", "7001", True, False),
        (2, "telegram", "9007199254740993", "9007199254740993", False, True),
        (4, "telegram", "555000111", "555000111", True, False),
    ]
    account_of = {
        person: account
        for account, person in await rows(empty_engine, "SELECT id, person_id FROM channel_account")
    }
    # Memberships and invites, the used ones pointing at the account that used them.
    assert await rows(
        empty_engine, "SELECT person_id, role, active FROM membership ORDER BY id"
    ) == [
        (1, "participant", True),
        (2, "mentor", True),
        (3, "coach", True),
        (5, "participant", False),
    ]
    assert await rows(empty_engine, "SELECT code, used_by_account_id FROM invite ORDER BY id") == [
        ("AAAA1111", account_of[1]),
        ("BBBB2222", account_of[2]),
        ("CCCC3333", None),
    ]
    assert await rows(
        empty_engine, "SELECT channel, external_user_id, failures FROM code_attempt"
    ) == [("telegram", "8008", 3)]

    # The report, its evidence with Telegram's file references, and its feedback.
    assert await rows(
        empty_engine, "SELECT id, author_id, text, progress_percent FROM progress_update"
    ) == [(1, 1, "Sosialisasi ke 3 kecamatan", 60)]
    assert await rows(
        empty_engine,
        "SELECT kind, channel, channel_file_ref, channel_file_unique_ref, sha256 IS NOT NULL,"
        " url FROM evidence ORDER BY id",
    ) == [
        ("photo", "telegram", "AgACAgIAAxk-photo", "AQADuniq1", True, None),
        ("document", "telegram", "BQACAgIAAxk-doc", "AgADuniq2", False, None),
        ("link", None, None, None, False, "https://example.go.id/berita"),
    ]
    assert await rows(empty_engine, "SELECT update_id, author_id, text FROM feedback_note") == [
        (1, 2, "Bagus, lanjutkan")
    ]

    # Relay threads: a reply to any of those messages still finds its report and note.
    assert await rows(
        empty_engine,
        "SELECT channel, chat_ref, message_ref, recipient_id, update_id, note_id"
        " FROM relayed_message ORDER BY id",
    ) == [
        ("telegram", "9007199254740993", "41", 2, 1, None),
        ("telegram", "9007199254740993", "42", 2, 1, None),
        ("telegram", "7001", "43", 1, 1, 1),
    ]

    # The queue: what was sent keeps the channel's reference and the account it went to.
    assert await rows(
        empty_engine,
        "SELECT id, recipient_id, chat_id, status, account_id, message_ref"
        " FROM outbox_message ORDER BY id",
    ) == [
        (1, 2, None, "sent", account_of[2], "41"),
        (2, 3, None, "pending", None, None),
        (3, None, -100500, "sent", None, "77"),
    ]
    assert await rows(empty_engine, "SELECT chat_id, title FROM cohort_group") == [
        (-100500, "Grup Angkatan 1")
    ]


async def test_downgrade_restores_the_previous_shape(empty_engine: AsyncEngine) -> None:
    await migrate(empty_engine, "0010")
    await _fill_previous_release(empty_engine)
    await migrate(empty_engine, "0011")

    await migrate(empty_engine, "0010", down=True)

    assert await rows(
        empty_engine,
        "SELECT id, telegram_user_id, telegram_chat_id, reachable FROM person ORDER BY id",
    ) == [
        (1, 7001, 7001, True),
        (2, 9007199254740993, 9007199254740993, False),
        (3, None, None, True),
        (4, 555000111, 555000111, True),
        (5, None, None, False),
    ]
    assert await rows(empty_engine, "SELECT code, used_by_telegram_id FROM invite ORDER BY id") == [
        ("AAAA1111", 7001),
        ("BBBB2222", 9007199254740993),
        ("CCCC3333", None),
    ]
    assert await rows(
        empty_engine, "SELECT chat_id, message_id, note_id FROM relayed_message ORDER BY id"
    ) == [(9007199254740993, 41, None), (9007199254740993, 42, None), (7001, 43, 1)]
    assert await rows(
        empty_engine, "SELECT id, telegram_message_id FROM outbox_message ORDER BY id"
    ) == [(1, 41), (2, None), (3, 77)]
    assert await rows(empty_engine, "SELECT telegram_user_id, failures FROM code_attempt") == [
        (8008, 3)
    ]
