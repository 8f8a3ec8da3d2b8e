"""Announcements: who they reach, queued once each, the /umumkan conversation with its live status,
and `properbot broadcast`. The sender is someone else's: tests settle queue rows themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli_broadcast import broadcast
from bot.harness import RunningBot
from bot.settings import Settings
from domain.clock import ManualClock
from domain.enums import Channel, DeliveryFailure, OutboxStatus
from domain.i18n import translator
from domain.roles import Role
from fakegram import TINY_JPEG, FakeTelegram
from handlers import broadcast as broadcast_handlers
from models import AuditEntry, Broadcast, CohortGroup, Membership, OutboxMessage, Person
from models.db import session_factory
from services import broadcasts, groups
from services.broadcasts import AUDIENCE_ROLES, Audience
from services.errors import UnknownCohort, UserFacingError
from services.groups import GroupChat
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, import_roster, telegram_account
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import (
    OTHER_COHORT,
    OTHER_ROSTER,
    cli_args,
    cohort_id,
    join,
    registered,  # noqa: F401 - fixtures
    siti_code,
)

GROUP_CHAT = -100123


# --- data helpers ----------------------------------------------------------------------------


async def chat_of(engine: AsyncEngine, row: OutboxMessage) -> int:
    """The Telegram chat a group post goes to."""
    async with session_factory(engine)() as session:
        group = await session.get_one(CohortGroup, row.group_id)
    assert group.channel is Channel.TELEGRAM
    return int(group.chat_ref)


async def person_id(engine: AsyncEngine, nip: str) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Person.id).where(Person.nip == nip))
        assert found is not None
        return found


async def mark_joined(engine: AsyncEngine, now: datetime, *nips: str) -> None:
    """As if they had redeemed their invites (the onboarding itself is tested elsewhere)."""
    async with session_factory(engine)() as session, session.begin():
        for index, nip in enumerate(nips, start=1):
            person = await session.scalar(select(Person).where(Person.nip == nip))
            assert person is not None
            # Joining again (a later call) keeps their one account, as onboarding would.
            if not person.accounts:
                person.accounts.append(telegram_account(7000 + index))
            person.joined_at = now


async def set_seminar_group(engine: AsyncEngine, nip: str, group: str | None) -> None:
    async with session_factory(engine)() as session, session.begin():
        pid = await session.scalar(select(Person.id).where(Person.nip == nip))
        await session.execute(
            update(Membership).where(Membership.person_id == pid).values(seminar_group=group)
        )


async def rows(engine: AsyncEngine, broadcast_id: int | None = None) -> list[OutboxMessage]:
    async with session_factory(engine)() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if broadcast_id is not None:
            query = query.where(OutboxMessage.broadcast_id == broadcast_id)
        return list(await session.scalars(query))


Settled = tuple[OutboxStatus, str | None] | tuple[OutboxStatus, str | None, DeliveryFailure]


async def settle_rows(engine: AsyncEngine, outcome: dict[str, Settled]) -> None:
    """Play the sender: mark rows by dedup key as sent or failed, with the error it would log
    and, as a third item, the reason it would store (rows without one stand for older rows or
    drops that other services record)."""
    async with session_factory(engine)() as session, session.begin():
        for key, (status, error, *reason) in outcome.items():
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.dedup_key == key)
                .values(
                    status=status,
                    last_error=error,
                    error_reason=reason[0].value if reason else None,
                )
            )
            assert result.rowcount == 1, key  # type: ignore[attr-defined]


def everyone() -> Audience:
    return Audience(roles=frozenset(AUDIENCE_ROLES))


# --- audience ----------------------------------------------------------------------------


async def test_the_audience_is_filtered_by_role_and_seminar_group(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await mark_joined(engine, now, *(m.nip for h, m in team.items() if h != "nurhayati"))
    await set_seminar_group(engine, team["budi"].nip, "A")
    await set_seminar_group(engine, team["nurhayati"].nip, "B")
    cid = await cohort_id(engine)

    async with session_factory(engine)() as session:
        participants = await broadcasts.resolve_audience(
            session, cid, Audience(roles=frozenset({Role.PARTICIPANT}))
        )
        assert [r.name for r in participants.recipients] == ["Budi Santoso"]
        assert [r.name for r in participants.not_joined] == ["Nurhayati Umasugi"]

        advisors = await broadcasts.resolve_audience(
            session, cid, Audience(roles=frozenset({Role.MENTOR, Role.COACH}))
        )
        assert {r.name for r in advisors.recipients} == {
            "Dr. Ir. Bambang Wijaya",
            "Dr. Lina Marliani",
            "Ir. Hasan Basri",
        }

        # Group A: its participant and that participant's mentor and coach; not Hasan (mentor
        # of nobody), not the examiner, not group B's participant.
        group_a = await broadcasts.resolve_audience(
            session, cid, Audience(roles=frozenset(AUDIENCE_ROLES), seminar_group="A")
        )
        assert [r.name for r in group_a.recipients] == [
            "Budi Santoso",
            "Dr. Ir. Bambang Wijaya",
            "Dr. Lina Marliani",
        ]
        assert group_a.not_joined == []
        assert await broadcasts.seminar_groups(session, cid) == ["A", "B"]

        mentors_of_b = await broadcasts.resolve_audience(
            session, cid, Audience(roles=frozenset({Role.MENTOR}), seminar_group="B")
        )
        assert [r.name for r in mentors_of_b.recipients] == ["Dr. Ir. Bambang Wijaya"]

    # An examiner filed in group A belongs to it.
    await set_seminar_group(engine, team["teguh"].nip, "A")
    async with session_factory(engine)() as session:
        group_a = await broadcasts.resolve_audience(
            session, cid, Audience(roles=frozenset({Role.EXAMINER}), seminar_group="A")
        )
        assert [r.name for r in group_a.recipients] == ["Prof. Teguh Santoso"]


# --- queueing and progress -----------------------------------------------------------------


async def test_one_message_per_recipient_and_group_once_with_progress_and_summary(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await mark_joined(engine, now, team["budi"].nip, team["bambang"].nip, team["lina"].nip)
    cid = await cohort_id(engine)
    async with session_factory(engine)() as session, session.begin():
        await groups.link_group(
            session,
            cohort_id=cid,
            chat=GroupChat(Channel.TELEGRAM, str(GROUP_CHAT)),
            title="Grup PKP IV",
            by_person_id=None,
            now=now,
        )
        queued = await broadcasts.create_broadcast(
            session,
            cohort_id=cid,
            author_id=None,
            text="Rapat pleno Senin pukul 09.00 WIB.",
            audience=Audience(roles=frozenset(AUDIENCE_ROLES), groups=True),
            now=now,
            actor_label="test",
        )
    assert (queued.recipients, queued.groups, queued.not_joined) == (3, 1, 3)
    bid = queued.broadcast_id
    budi, bambang, lina, hasan, nurhayati, teguh = [
        await person_id(engine, team[h].nip)
        for h in ("budi", "bambang", "lina", "hasan", "nurhayati", "teguh")
    ]
    queued_rows = await rows(engine, bid)
    # Those who have not joined get theirs too: it waits for them to join.
    assert sorted(r.dedup_key for r in queued_rows) == sorted(
        [
            f"bc:{bid}:{budi}",
            f"bc:{bid}:{bambang}",
            f"bc:{bid}:{lina}",
            f"bc:{bid}:{hasan}",
            f"bc:{bid}:{nurhayati}",
            f"bc:{bid}:{teguh}",
            f"bc:{bid}:group:{GROUP_CHAT}",
        ]
    )
    # An announcement is worth delivering for two weeks, to those who join late too.
    assert {r.expires_at for r in queued_rows} == {now + broadcasts.RELEVANT_FOR}
    group_row = next(r for r in queued_rows if r.group_id is not None)
    assert group_row.recipient_id is None and await chat_of(engine, group_row) == GROUP_CHAT
    assert all(r.kind == "broadcast" and r.cohort_id == cid for r in queued_rows)
    # No person signs from outside the bot: the cohort's organizer does.
    assert queued_rows[0].payload["key"] == "broadcast.message"
    assert queued_rows[0].payload["params"] == {
        "cohort": COHORT,
        "author": "BPSDM",
        "text": "Rapat pleno Senin pukul 09.00 WIB.",
    }

    # Queueing the same announcement again (a retry, a restart) repeats nothing.
    async with session_factory(engine)() as session, session.begin():
        again = await broadcasts.enqueue_broadcast(session, bid, now=now)
    assert again.new_messages == 0 and len(await rows(engine, bid)) == 7

    # The same text sent twice is two announcements, each queued once.
    async with session_factory(engine)() as session, session.begin():
        second = await broadcasts.create_broadcast(
            session,
            cohort_id=cid,
            author_id=None,
            text="Rapat pleno Senin pukul 09.00 WIB.",
            audience=everyone(),
            now=now,
        )
    assert second.broadcast_id != bid and second.new_messages == 6
    assert len(await rows(engine)) == 13

    async with session_factory(engine)() as session:
        assert await broadcasts.progress(session, bid) == broadcasts.Progress(
            sent=0, failed=0, pending=4, not_joined=3
        )
    await settle_rows(
        engine,
        {
            f"bc:{bid}:{budi}": (OutboxStatus.SENT, None),
            f"bc:{bid}:{bambang}": (
                OutboxStatus.FAILED,
                "403: Forbidden: bot was blocked by the user",
                DeliveryFailure.BLOCKED,
            ),
        },
    )
    async with session_factory(engine)() as session:
        counted = await broadcasts.progress(session, bid)
        assert counted == broadcasts.Progress(sent=1, failed=1, pending=2, not_joined=3)
        assert not counted.done
    await settle_rows(
        engine,
        {
            f"bc:{bid}:{lina}": (OutboxStatus.DROPPED, "cancelled"),
            f"bc:{bid}:group:{GROUP_CHAT}": (
                OutboxStatus.FAILED,
                "403: Forbidden: bot was kicked from the group chat",
                DeliveryFailure.REMOVED,
            ),
        },
    )
    async with session_factory(engine)() as session:
        result = await broadcasts.summary(session, bid)
        assert result.progress == broadcasts.Progress(sent=1, failed=3, pending=0, not_joined=3)
        assert result.not_joined == ["Ir. Hasan Basri", "Nurhayati Umasugi", "Prof. Teguh Santoso"]
        # The reason is what organizers read; the raw text stays alongside for operators.
        assert [(u.name, u.reason, u.detail) for u in result.failed] == [
            (
                "Dr. Ir. Bambang Wijaya",
                DeliveryFailure.BLOCKED,
                "403: Forbidden: bot was blocked by the user",
            ),
            ("Dr. Lina Marliani", DeliveryFailure.CANCELLED, "cancelled"),  # outbox.cancel's word
        ]
        assert [(u.name, u.reason) for u in result.failed_groups] == [
            ("Grup PKP IV", DeliveryFailure.REMOVED)
        ]
        entries = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "broadcast.create"))
        )
        assert len(entries) == 2
        assert entries[0].details["broadcast_id"] == bid
        assert entries[0].details["recipients"] == 3 and entries[0].details["not_joined"] == 3
        assert entries[0].actor_label == "test"


async def test_people_who_join_later_are_added_by_a_repeat_without_duplicates(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await mark_joined(engine, now, team["budi"].nip)
    cid = await cohort_id(engine)
    participants = Audience(roles=frozenset({Role.PARTICIPANT}))
    async with session_factory(engine)() as session, session.begin():
        queued = await broadcasts.create_broadcast(
            session,
            cohort_id=cid,
            author_id=None,
            text="Tugas baca modul 3.",
            audience=participants,
            now=now,
        )
    assert (queued.recipients, queued.not_joined) == (1, 1)
    assert len(await rows(engine)) == 2  # Nurhayati's waits for her
    await mark_joined(engine, now, team["budi"].nip, team["nurhayati"].nip)
    async with session_factory(engine)() as session, session.begin():
        again = await broadcasts.enqueue_broadcast(session, queued.broadcast_id, now=now)
    assert (again.recipients, again.not_joined, again.new_messages) == (2, 0, 0)
    assert len(await rows(engine)) == 2


async def test_text_must_fit_one_message_with_its_header_and_a_caption_with_a_file(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await mark_joined(engine, now, team["budi"].nip)
    cid = await cohort_id(engine)
    limit = broadcasts.text_limit(COHORT, "BPSDM", with_file=False)
    caption = broadcasts.text_limit(COHORT, "BPSDM", with_file=True)
    assert 3900 < limit < 4096 and 900 < caption < 1024
    # The longest header (either language) plus the longest text is exactly Telegram's limit.
    for language in ("id", "en"):
        longest = translator(language)(
            "broadcast.message", cohort=COHORT, author="BPSDM", text="x" * limit
        )
        assert broadcasts.visible_length(longest) <= 4096

    photo = {"kind": "photo", "channel": "telegram", "ref": "AgACAgIAAx"}
    async with session_factory(engine)() as session, session.begin():
        with pytest.raises(UserFacingError) as too_long:
            await broadcasts.create_broadcast(
                session,
                cohort_id=cid,
                author_id=None,
                text="y" * (caption + 1),
                audience=everyone(),
                attachment=photo,
                now=now,
            )
        assert too_long.value.key == "text.error.too_long"
        assert too_long.value.params == {"limit": caption, "length": caption + 1}
        with pytest.raises(UserFacingError) as empty:
            await broadcasts.create_broadcast(
                session, cohort_id=cid, author_id=None, text="   ", audience=everyone(), now=now
            )
        assert empty.value.key == "text.error.empty"
        with pytest.raises(UserFacingError) as nobody:
            await broadcasts.create_broadcast(
                session,
                cohort_id=cid,
                author_id=None,
                text="Halo",
                audience=Audience(roles=frozenset({Role.ADMIN})),  # the roster has none
                now=now,
            )
        assert nobody.value.key == "broadcast.error.no_recipients"
        queued = await broadcasts.create_broadcast(
            session,
            cohort_id=cid,
            author_id=None,
            text="y" * caption,
            audience=everyone(),
            attachment=photo,
            now=now,
        )
    queued_rows = await rows(engine, queued.broadcast_id)
    assert len(queued_rows) == 6  # Budi's, and five waiting for their people to join
    assert all(row.payload["media"] == [photo] for row in queued_rows)
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 1


# --- /umumkan through the bot --------------------------------------------------------------


async def test_an_organizer_announces_with_a_photo_to_a_seminar_group_and_its_telegram_group(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team = await import_roster(engine, now)
    await import_roster(engine, now, roster=OTHER_ROSTER, cohort=OTHER_COHORT)
    await set_seminar_group(engine, team["budi"].nip, "A")
    await set_seminar_group(engine, team["nurhayati"].nip, "B")
    cid = await cohort_id(engine)
    async with session_factory(engine)() as session, session.begin():
        await groups.link_group(
            session,
            cohort_id=cid,
            chat=GroupChat(Channel.TELEGRAM, str(GROUP_CHAT)),
            title="Grup PKP IV",
            by_person_id=None,
            now=now,
        )
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    admin = telegram.user(ADMIN_ID, "Rina", last_name="Panitia")

    chooser = await say(bot, admin, "/umumkan")
    assert chooser.button_texts == [OTHER_COHORT, COHORT]  # by name
    await press(bot, admin, chooser, COHORT)
    assert admin.inbox[-2].plain == f"Angkatan: {COHORT}"  # the chooser, edited
    assert "Silakan tulis teks pengumuman" in admin.last.plain

    ask_file = await say(bot, admin, "Mohon unggah rancangan proyek perubahan paling lambat Jumat.")
    assert ask_file.button_texts == ["Lewati"]
    admin.send_photo(TINY_JPEG)
    await bot.settle()
    assert admin.inbox[-2].plain == text("broadcast.file_attached")
    picker = admin.last
    assert picker.button_texts == [
        "✅ Semua",
        "✅ Peserta",
        "✅ Mentor",
        "✅ Coach",
        "✅ Penguji",
        "✅ Penyelenggara",
        "✅ Semua kelompok seminar",
        "▫️ Kelompok A",
        "▫️ Kelompok B",
        "▫️ Juga ke grup Telegram (1)",
        "Lanjut ➡️",
        "Batal",
    ]
    for button in ("✅ Penguji", "✅ Penyelenggara", "▫️ Kelompok A", "▫️ Juga ke grup Telegram (1)"):
        await press(bot, admin, picker, button)
    assert picker.button_texts == [
        "▫️ Semua",
        "✅ Peserta",
        "✅ Mentor",
        "✅ Coach",
        "▫️ Penguji",
        "▫️ Penyelenggara",
        "▫️ Semua kelompok seminar",
        "✅ Kelompok A",
        "▫️ Kelompok B",
        "✅ Juga ke grup Telegram (1)",
        "Lanjut ➡️",
        "Batal",
    ]

    await press(bot, admin, picker, "Lanjut ➡️")
    title, preview, footer = admin.inbox[-3:]
    assert title.plain == text("broadcast.preview.title")
    assert preview.kind == "photo"
    assert preview.plain == (
        f"📢 Pengumuman — {COHORT}\n\n"
        "Mohon unggah rancangan proyek perubahan paling lambat Jumat.\n\nRina Panitia"
    )
    # Budi and his mentor Bambang joined; his coach Lina has not.
    assert "Penerima: 2 orang (Peserta 1, Mentor 1)" in footer.plain
    assert "Kelompok seminar: A" in footer.plain
    assert "Grup Telegram: 1" in footer.plain
    assert "Belum bergabung, akan menerimanya saat bergabung: 1" in footer.plain
    assert footer.button_texts == ["📤 Kirim", "✏️ Ubah penerima", "Batal"]

    await press(bot, admin, footer, "📤 Kirim")
    async with session_factory(engine)() as session:
        made = await session.scalar(select(Broadcast))
        assert made is not None
        bid = made.id
        assert made.attachment is not None and made.attachment["kind"] == "photo"
        assert made.audience["seminar_group"] == "A" and made.audience["groups"] is True
        status_ref = made.status_message_ref
    assert admin.inbox[-2].plain == text("broadcast.queued", id=bid)
    status = admin.last
    assert str(status.message_id) == status_ref
    assert "Terkirim: 0 · Gagal: 0 · Menunggu: 3" in status.plain
    assert "Menunggu bergabung: 1" in status.plain
    budi_id, bambang_id, lina_id = [
        await person_id(engine, team[h].nip) for h in ("budi", "bambang", "lina")
    ]
    keys = {r.dedup_key for r in await rows(engine, bid)}
    assert keys == {
        f"bc:{bid}:{budi_id}",
        f"bc:{bid}:{bambang_id}",
        f"bc:{bid}:{lina_id}",  # waits for Lina to join
        f"bc:{bid}:group:{GROUP_CHAT}",
    }
    # Nothing reached anyone yet: the queue is the sender's to drain.
    assert "Pengumuman" not in (budi.last.plain or "") and "Pengumuman" not in (
        bambang.last.plain or ""
    )

    # The sender delivers two; the status follows.
    await settle_rows(
        engine,
        {
            f"bc:{bid}:{budi_id}": (OutboxStatus.SENT, None),
            f"bc:{bid}:group:{GROUP_CHAT}": (OutboxStatus.SENT, None),
        },
    )
    runtime_sessions = session_factory(engine)
    assert await broadcast_handlers.refresh_status(
        bot.app.bot, runtime_sessions, bid, clock=clock
    )  # still running
    assert "Terkirim: 2 · Gagal: 0 · Menunggu: 1" in admin.last.plain
    assert str(admin.last.message_id) == status_ref  # the same message, edited

    # Bambang blocked the bot; the job's next tick shows the summary and stops itself.
    await settle_rows(
        engine,
        {
            f"bc:{bid}:{bambang_id}": (
                OutboxStatus.FAILED,
                "403: Forbidden: bot was blocked by the user",
                DeliveryFailure.BLOCKED,
            )
        },
    )
    job_queue = bot.app.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name(broadcast_handlers.job_name(bid))
    await job.run(bot.app)
    assert job.removed
    final = admin.last
    assert str(final.message_id) == status_ref
    assert final.plain.startswith(f"✅ Pengumuman #{bid} selesai — {COHORT}")
    assert "Terkirim: 2 · Gagal: 1 · Menunggu bergabung: 1" in final.plain
    # In the organizer's words; Telegram's own text is not shown.
    assert (
        "Dr. Ir. Bambang Wijaya — gagal terkirim (yang bersangkutan memblokir bot)" in final.plain
    )
    assert "Forbidden" not in final.plain
    assert "Dr. Lina Marliani — belum bergabung; akan menerimanya saat bergabung" in final.plain
    async with session_factory(engine)() as session:
        done = await session.get_one(Broadcast, bid)
        assert done.finished_at == clock.now()
        assert await broadcasts.unfinished_with_status(session) == []
    # A late call changes nothing and fails nothing.
    assert not await broadcast_handlers.refresh_status(
        bot.app.bot, runtime_sessions, bid, clock=clock
    )
    assert admin.last.plain == final.plain
    assert [
        c.description for c in telegram.errors if "not modified" not in (c.description or "")
    ] == []


async def test_with_one_cohort_the_choice_is_skipped_and_cancel_leaves_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await join(bot, telegram, 1001, team["budi"].code)
    admin = telegram.user(ADMIN_ID, "Rina")
    asked = await say(bot, admin, "/umumkan")
    assert asked.plain.startswith(f"Silakan tulis teks pengumuman untuk {COHORT}")
    # A file first is refused; text is asked for.
    admin.send_photo(TINY_JPEG)
    await bot.settle()
    assert admin.last.plain == text("broadcast.text_expected")
    await say(bot, admin, "Libur nasional: kelas ditiadakan.")
    await press(bot, admin, admin.last, "Lewati")
    picker = admin.last
    assert "▫️ Juga ke grup Telegram (1)" not in picker.button_texts  # no group linked
    assert not any("Kelompok" in b for b in picker.button_texts)  # no seminar groups
    # Another command mid-way is not lost in silence.
    assert (await say(bot, admin, "/angkatan")).plain == text("conversation.busy")
    await press(bot, admin, picker, "Lanjut ➡️")
    await press(bot, admin, admin.last, "Batal")
    assert admin.last.plain == text("broadcast.cancelled")
    assert await rows(engine) == []
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_an_announcement_before_anyone_joined_waits_for_them(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)  # nobody has joined yet
    admin = telegram.user(ADMIN_ID, "Rina")
    await say(bot, admin, "/umumkan")
    await say(bot, admin, "Pembukaan kelas Senin pukul 08.00 WIB.")
    await press(bot, admin, admin.last, "Lewati")
    await press(bot, admin, admin.last, "Lanjut ➡️")
    footer = admin.last
    assert footer.button_texts == ["📤 Kirim", "✏️ Ubah penerima", "Batal"]
    assert "Belum bergabung, akan menerimanya saat bergabung:" in footer.plain
    await press(bot, admin, footer, "📤 Kirim")

    queued = await rows(engine)
    assert queued and all(row.status is OutboxStatus.PENDING for row in queued)
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 1


async def test_a_non_admin_is_refused(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    refused = await say(bot, budi, "/umumkan")
    assert refused.plain == text("access.role_required", roles="Penyelenggara")
    # Not in a conversation: a text afterwards is no announcement.
    await say(bot, budi, "Halo semua")
    assert await rows(engine) == []


async def test_forged_buttons_are_refused(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await import_roster(engine, now, roster=OTHER_ROSTER, cohort=OTHER_COHORT)
    await join(bot, telegram, 1001, team["budi"].code)
    admin = telegram.user(ADMIN_ID, "Rina")
    chooser = await say(bot, admin, "/umumkan")
    # The chooser's own button (its step's token) naming a cohort that is not the organizer's.
    token = chooser.button(COHORT).callback_data.rsplit(":", 1)[0]
    answer = await press_data(bot, admin, chooser, f"{token}:c-99999")
    assert answer is not None and answer.text == text("broadcast.error.not_allowed")
    await press(bot, admin, chooser, COHORT)
    await say(bot, admin, "Pengumuman penting.")
    await press(bot, admin, admin.last, "Lewati")
    picker = admin.last
    for forged in ("bc1:r:superuser", "bc1:s:7", "bc1:t:groups", "bc1:k:send"):
        answer = await press_data(bot, admin, picker, forged)
        assert answer is not None and answer.text == text("button.stale"), forged
    await press(bot, admin, picker, "Lanjut ➡️")
    footer = admin.last
    answer = await press_data(bot, admin, footer, "bc1:k:everyone")
    assert answer is not None and answer.text == text("button.stale")
    assert await rows(engine) == []

    # An organizer from a cohort's roster runs only that cohort: no choice, and no way in.
    siti = await join(bot, telegram, 2001, (await siti_code(engine)))
    asked = await say(bot, siti, "/umumkan")
    assert asked.plain.startswith(f"Silakan tulis teks pengumuman untuk {OTHER_COHORT}")
    answer = await press_data(bot, siti, asked, f"bc1:c:{await cohort_id(engine)}")
    assert answer is not None and answer.text == text("button.stale")


# --- properbot broadcast -------------------------------------------------------------------


async def test_the_command_line_previews_then_queues(
    engine: AsyncEngine,
    database_url: str,
    now: datetime,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Any,
) -> None:
    team = await import_roster(engine, now)
    await mark_joined(engine, now, team["budi"].nip, team["bambang"].nip)
    settings = Settings(database_url=database_url)
    t = translator("id")

    preview = cli_args(
        "--cohort", COHORT, "--text", "Ujian <b>tertulis</b> Senin.", "--role", "peserta,mentor"
    )
    assert await broadcast(preview, settings, t, clock=clock) == 0
    out = capsys.readouterr().out
    assert f"📢 Pengumuman — {COHORT}\n\nUjian <b>tertulis</b> Senin.\n\nBPSDM" in out  # as typed
    assert "Penerima: 2 orang (Peserta 1, Mentor 1); grup Telegram: 0." in out
    assert (
        "Belum bergabung, akan menerimanya saat bergabung (2): Ir. Hasan Basri, Nurhayati Umasugi"
        in out
    )
    assert out.rstrip().endswith(text("cli.broadcast.dry_run"))
    assert await rows(engine) == []

    letter = tmp_path / "pengumuman.txt"
    letter.write_text("Ujian tertulis Senin.\n", encoding="utf-8")
    send = cli_args("--cohort", COHORT, "--text-file", str(letter), "--role", "peserta", "--yes")
    assert await broadcast(send, settings, t, clock=clock) == 0
    out = capsys.readouterr().out
    assert "masuk antrean: 1 orang, 0 grup" in out and "properbot run" in out
    sent, waiting = await rows(engine)  # Nurhayati's waits for her to join
    assert sent.payload["params"]["text"] == "Ujian tertulis Senin."
    assert waiting.recipient_id == await person_id(engine, team["nurhayati"].nip)
    async with session_factory(engine)() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "broadcast.create")
        )
        assert entry is not None and entry.actor_label is not None
        assert entry.actor_label.startswith("cli:") and entry.at == now


@pytest.mark.parametrize(
    ("argv", "key"),
    [
        (["--cohort", "Tidak Ada", "--text", "Halo"], "error.cohort.unknown_list"),
        (["--cohort", COHORT, "--text", "Halo", "--role", "dosen"], "role.error.unknown"),
        (["--cohort", COHORT, "--text-file", "/no/such/file.txt"], "cli.error.file_not_found"),
        (["--cohort", COHORT, "--text", "  "], "text.error.empty"),
        (
            ["--cohort", COHORT, "--text", "Halo", "--seminar-group", "Z"],
            "cli.broadcast.error.seminar_group",
        ),
        (
            ["--cohort", COHORT, "--text", "Halo", "--role", "penyelenggara"],
            "broadcast.error.no_recipients",
        ),
    ],
)
async def test_command_line_mistakes_are_one_catalog_line(
    engine: AsyncEngine,
    database_url: str,
    now: datetime,
    clock: ManualClock,
    argv: list[str],
    key: str,
) -> None:
    team = await import_roster(engine, now)
    await mark_joined(engine, now, team["budi"].nip)
    with pytest.raises(UserFacingError) as caught:
        await broadcast(
            cli_args(*argv), Settings(database_url=database_url), translator("id"), clock=clock
        )
    assert caught.value.key == key
    if key == "error.cohort.unknown_list":
        assert isinstance(caught.value, UnknownCohort)
    assert translator("id")(caught.value.key, **caught.value.params)  # renders
    assert await rows(engine) == []
