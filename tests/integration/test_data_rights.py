"""Data rights (UU 27/2022): /dataku, `properbot person export|erase`, `properbot audit`."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.harness import RunningBot
from domain.enums import OutboxStatus
from fakegram import FakeTelegram
from models import (
    AuditEntry,
    ChannelAccount,
    Evidence,
    FeedbackNote,
    Invite,
    Membership,
    OutboxMessage,
    Person,
    ProgressUpdate,
    Vacation,
)
from models.db import session_factory
from services import outbox
from tests.factories import COHORT, add_milestones, import_roster
from tests.integration.helpers import press, say, text
from tests.integration.stories import join, report

BUDI_REPORT = "Rapat perdana tim efektif di Dinas Kominfo sudah terlaksana."
FEEDBACK = "Bagus, lanjutkan dengan SK tim efektif."
NUR_REPORT = "Posyandu digital diuji di Sofifi."


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`properbot` on the test database, in a clean folder without a stray .env."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_ROOT", "ADMIN_TELEGRAM_IDS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
    monkeypatch.setenv("DEFAULT_TIMEZONE", "WIB")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "properbot_test_bot")
    return tmp_path


async def story(bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime):  # type: ignore[no-untyped-def]
    """Budi reports with a photo and gets feedback; Nurhayati, in the same cohort, reports too."""
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    await add_milestones(engine, team["nurhayati"].nip, now, [("Uji coba posyandu", 12)])
    budi = await join(bot, telegram, 1001, team["budi"].code)
    nur = await join(bot, telegram, 1002, team["nurhayati"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    await report(bot, budi, "Rapat koordinasi", BUDI_REPORT, "60%", photos=1)
    bambang.send(FEEDBACK, reply_to=bambang.inbox[-1])
    await bot.settle()
    await report(bot, nur, "Uji coba posyandu", NUR_REPORT, "30%")
    return team, budi, nur, bambang


async def cli(argv: list[str]) -> int:
    """`properbot ...` as the organizer types it; in a thread, since it runs its own loop."""
    return await asyncio.to_thread(main, argv)


def downloaded(telegram: FakeTelegram, message: Any) -> dict[str, Any]:
    assert message.kind == "document" and message.file_id is not None
    stored = telegram.file(message.file_id)
    assert stored is not None
    assert stored.file_name is not None and stored.file_name.startswith("data-saya-")
    data: dict[str, Any] = json.loads(stored.data.decode("utf-8"))
    return data


async def test_dataku_sends_the_members_own_data_and_nothing_of_another_participant(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team, budi, nur, bambang = await story(bot, telegram, engine, now)

    # A NIP after the command changes nothing: it is always the sender's own data.
    reply = await say(bot, budi, f"/dataku {team['nurhayati'].nip}")
    assert reply.plain == text("datarights.caption")
    assert telegram.file(reply.file_id).file_name == "data-saya-2026-11-02.json"  # type: ignore[union-attr]
    data = downloaded(telegram, reply)

    assert data["about"]["summary"] == text("datarights.about.summary")
    assert set(data["about"]["sections"]) == set(data) - {"about"}
    assert data["profile"]["full_name"] == "Budi Santoso"
    assert data["profile"]["nip"] == team["budi"].nip
    assert data["profile"]["consent_at"] is not None
    (sent,) = data["reports"]
    assert sent["text"] == BUDI_REPORT and sent["progress_percent"] == 60
    assert [e["kind"] for e in sent["evidence"]] == ["photo"]
    assert [f["text"] for f in data["feedback_received"]] == [FEEDBACK]
    assert data["feedback_received"][0]["author"] == "Dr. Ir. Bambang Wijaya"
    assert {a["name"] for a in data["advisors"]} == {"Dr. Ir. Bambang Wijaya", "Dr. Lina Marliani"}
    raw = json.dumps(data, ensure_ascii=False)
    for other in ("Nurhayati", team["nurhayati"].nip, NUR_REPORT, "Posyandu"):
        assert other not in raw

    # Nurhayati's file has none of Budi's; the mentor's has the feedback he wrote.
    assert downloaded(telegram, await say(bot, nur, "/dataku"))["reports"][0]["text"] == NUR_REPORT
    nur_raw = json.dumps(downloaded(telegram, nur.last), ensure_ascii=False)
    assert "Budi" not in nur_raw and BUDI_REPORT not in nur_raw
    mentor = downloaded(telegram, await say(bot, bambang, "/dataku"))
    assert [f["text"] for f in mentor["feedback_written"]] == [FEEDBACK]
    assert {a["name"] for a in mentor["advisees"]} == {"Budi Santoso", "Nurhayati Umasugi"}
    assert mentor["reports"] == [] and mentor["profile"]["nip"] == team["bambang"].nip

    async with session_factory(engine)() as session:
        exports = list(
            await session.scalars(
                select(AuditEntry.actor_id).where(AuditEntry.action == "personal_data.export")
            )
        )
    assert len(exports) == 3 and None not in exports  # one per download, with who asked


async def test_dataku_in_english_and_strangers_get_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    _, budi, _, _ = await story(bot, telegram, engine, now)
    await say(bot, budi, "/bahasa")
    budi.press(budi.last, "English")
    await bot.settle()
    reply = await say(bot, budi, "/dataku")
    assert reply.plain == text("datarights.caption", "en")
    assert downloaded(telegram, reply)["about"]["summary"] == text("datarights.about.summary", "en")

    stranger = telegram.user(4242, "Orang Asing")
    answer = await say(bot, stranger, "/dataku")
    assert answer.kind == "text" and answer.plain == text("access.not_registered")

    # In a group the file would reach everyone there: the bot sends nothing but a pointer.
    group = telegram.group(-100777, "Angkatan IV")
    files = len(telegram.files)
    budi.send("/dataku", chat=group)
    await bot.settle()
    assert group.last is not None and group.last.kind == "text"
    assert all(m.kind == "text" for m in group.inbox)
    assert len(telegram.files) == files


async def count(engine: AsyncEngine, model: Any, *where: Any) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_erase_asks_first_then_erases_and_the_person_becomes_a_stranger(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    team, budi, _, bambang = await story(bot, telegram, engine, now)
    nip = team["budi"].nip
    spaced = f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    async with session_factory(engine)() as session, session.begin():
        budi_id = await session.scalar(select(Person.id).where(Person.nip == nip))
        assert budi_id is not None
        session.add(Vacation(person_id=budi_id, starts_on=now.date(), ends_on=now.date()))
        await outbox.enqueue(
            session,
            dedup_key="test:budi:later",
            message=outbox.Outgoing("datarights.caption"),
            not_before=datetime(2027, 1, 1, tzinfo=now.tzinfo),
            kind="notice",
            recipient_id=budi_id,
        )
        # A reminder to the mentor that names him, waiting for 08.00.
        bambang_id = await session.scalar(
            select(Person.id).where(Person.nip == team["bambang"].nip)
        )
        cohort_id = await session.scalar(
            select(Membership.cohort_id).where(Membership.person_id == budi_id)
        )
        await outbox.enqueue(
            session,
            dedup_key="test:bambang:about-budi",
            message=outbox.Outgoing("datarights.caption", {"participant": "Budi Santoso", "n": 2}),
            not_before=datetime(2027, 1, 1, tzinfo=now.tzinfo),
            kind="reminder",
            recipient_id=bambang_id,
            cohort_id=cohort_id,
        )
    reports_before = await count(engine, ProgressUpdate)
    feedback_before = await count(engine, FeedbackNote)

    # Without --yes: a preview, exit 2, nothing changed.
    assert await cli(["person", "erase", spaced]) == 2
    out = capsys.readouterr().out
    assert "Budi Santoso" in out and "--yes" in out
    assert text("cli.person.erase.confirm") in out
    assert await count(engine, Person, Person.nip == nip) == 1
    assert await count(engine, Evidence) == 1

    # An export from the command line first: the same data as /dataku.
    target = cli_env / "budi.json"
    assert await cli(["person", "export", nip, "--out", str(target)]) == 0
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported["profile"]["nip"] == nip and exported["reports"][0]["text"] == BUDI_REPORT
    capsys.readouterr()

    assert await cli(["person", "erase", spaced, "--yes"]) == 0
    assert f"[erased #{budi_id}]" in capsys.readouterr().out

    async with session_factory(engine)() as session:
        person = await session.get_one(Person, budi_id)
        assert person.full_name == f"[erased #{budi_id}]"
        assert (person.nip, person.agency, person.position) == (None, None, None)
        assert (person.accounts, person.consent_at) == ([], None)
        assert await count(engine, ChannelAccount) == 0 or not await session.scalar(
            select(ChannelAccount.id).where(ChannelAccount.person_id == budi_id)
        )
        assert person.erased_at is not None
        texts = list(
            await session.scalars(
                select(ProgressUpdate.text).where(ProgressUpdate.author_id == budi_id)
            )
        )
        assert texts == [""]
        memberships = list(
            await session.scalars(select(Membership.active).where(Membership.person_id == budi_id))
        )
        assert memberships == [False]
        dropped = await session.scalar(
            select(OutboxMessage.status).where(OutboxMessage.dedup_key == "test:budi:later")
        )
        assert dropped is OutboxStatus.DROPPED
        reminder = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedup_key == "test:bambang:about-budi")
        )
        assert reminder is not None and reminder.status is OutboxStatus.PENDING
        assert reminder.payload["params"] == {"participant": f"[erased #{budi_id}]", "n": 2}
        (entry,) = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "person.erase")
        )
        assert entry.actor_label is not None and entry.actor_label.startswith("cli:")
        assert entry.details["evidence_deleted"] == 1 and entry.details["reports_kept"] == 1
        assert "Budi" not in json.dumps(entry.details)
        joined = await session.scalar(
            select(AuditEntry.details).where(
                AuditEntry.action == "person.joined", AuditEntry.actor_id == budi_id
            )
        )
        assert joined is not None and "external_user_id" not in joined
    assert await count(engine, Evidence) == 0
    assert await count(engine, ProgressUpdate) == reports_before  # anonymous counts stay
    assert await count(engine, FeedbackNote) == feedback_before
    assert await count(engine, Invite, Invite.person_id == budi_id) == 0
    assert await count(engine, Vacation) == 0
    # The mentor's feedback on the erased report is the mentor's own: kept.
    assert await count(engine, FeedbackNote, FeedbackNote.text == FEEDBACK) == 1

    # Budi's Telegram account is a stranger now; his old invite code is gone.
    assert (await say(bot, budi, "/dataku")).plain == text("access.not_registered")
    assert (await say(bot, budi, "/status")).plain == text("access.not_registered")
    answer = await say(bot, budi, f"/start {team['budi'].code}")
    assert "Setuju" not in (answer.button_texts or [])
    # The mentor's list no longer shows him.
    roster = await say(bot, bambang, "/peserta")
    assert "Budi" not in roster.plain and "erased" not in roster.plain

    # The mentor's old copy of the report cannot start a new thread with nobody.
    relay = next(m for m in bambang.inbox if m.plain and BUDI_REPORT in m.plain)
    assert await press(bot, bambang, relay, "💬 Beri umpan balik") is not None
    bambang.send("Masih ada?", reply_to=relay)
    await bot.settle()
    assert await count(engine, FeedbackNote) == feedback_before

    # Twice: a clear error, exit 2, nothing more written.
    assert await cli(["person", "erase", nip, "--yes"]) == 2
    assert capsys.readouterr().err.strip() == text("datarights.error.unknown_nip", nip=nip)
    assert await count(engine, AuditEntry, AuditEntry.action == "person.erase") == 1
    assert await cli(["person", "export", nip, "--out", str(target)]) == 2


async def test_audit_lists_import_broadcast_seminar_and_erase_with_who_did_it(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    team, _, nur, _ = await story(bot, telegram, engine, now)
    assert (
        await cli(["broadcast", "--cohort", COHORT, "--text", "Rapat daring besok.", "--yes"]) == 0
    )
    assert (
        await cli(
            [
                "seminar",
                "add",
                "--cohort",
                COHORT,
                "--kind",
                "rancangan",
                "--at",
                "2027-01-11 09:00",
                "--zone",
                "WIB",
                "--place",
                "Aula BPSDM",
                "--presenters",
                team["nurhayati"].nip,
                "--examiner",
                team["teguh"].nip,
            ]
        )
        == 0
    )
    await say(bot, nur, "/dataku")
    assert await cli(["person", "erase", team["budi"].nip, "--yes"]) == 0
    capsys.readouterr()

    assert await cli(["audit", "--cohort", COHORT]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"Log audit {COHORT}")
    body = lines[1:]

    def line_of(action_key: str) -> str:
        name = text(action_key)
        found = [line for line in body if f"| {name} |" in line]
        assert found, (action_key, body)
        return found[0]

    assert "| test |" in line_of("audit.action.cohort.import")
    assert "| cli:" in line_of("audit.action.broadcast.create")
    assert "| cli:" in line_of("audit.action.seminar.add")
    assert "| cli:" in line_of("audit.action.person.erase")
    assert "evidence_deleted=1" in line_of("audit.action.person.erase")
    assert "| Nurhayati Umasugi |" in line_of("audit.action.personal_data.export")
    assert all(" WIB |" in line for line in body)  # times in the default zone, with the label
    # Oldest first; --limit keeps the newest.
    assert text("audit.action.cohort.import") in body[0]
    assert await cli(["audit", "--cohort", COHORT, "--limit", "1"]) == 0
    (only,) = capsys.readouterr().out.splitlines()[1:]
    assert text("audit.action.person.erase") in only

    assert await cli(["audit", "--cohort", "Angkatan Tidak Ada"]) == 2
    assert capsys.readouterr().err.strip() == text(
        "error.cohort.unknown_suggest", name="Angkatan Tidak Ada", suggestion=COHORT, known=COHORT
    )
