"""Examiners score presenters in the chat, criterion by criterion, with drafts kept in the
database; organizers see who has scored, release the scores and print the berita acara; a
presenter sees their own scores after the release and nobody else's, ever."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.cli_seminar import add_parser, run
from bot.harness import RunningBot, running_bot
from bot.settings import Settings
from domain.clock import ManualClock
from domain.enums import SeminarKind
from domain.i18n import translator
from domain.scoring import ScoreSheetStatus
from domain.timezones import WIB
from fakegram import FakeTelegram
from models import AuditEntry, Cohort, CriterionScore, OutboxMessage, Person, ScoreSheet, Seminar
from models.db import create_engine, session_factory
from services import scoring
from services.errors import UserFacingError
from services.exports import cohort_export
from services.seminars import NewSeminar, Organizer, schedule_seminar
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, SMALL_ROSTER, add_milestones, import_roster
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import join

STARTS = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # Thursday 10 December 2026, 09.00 WIB
HELD = STARTS + timedelta(hours=3)  # the seminar has taken place: scores can be sent
CLI = Organizer(person_id=None, label="test", every_cohort=True)
# A second examiner, of another seminar only.
ROSTER = SMALL_ROSTER + "\npenguji,Dr. Rahmat Hidayat,197101011996031001,LAN,Analis,WIB,,,"
# Weights 30, 25, 15, 15, 15: 24 + 22.5 + 10.5 + 12.75 + 11.25 = 81.
BUDI_SCORES = ("80", "90", "70", "85", "75")


async def ids_by_handle(engine: AsyncEngine, team: dict[str, Any]) -> dict[str, int]:
    async with session_factory(engine)() as session:
        by_nip = dict((await session.execute(select(Person.nip, Person.id))).tuples().all())
    return {handle: by_nip[member.nip] for handle, member in team.items()}


async def schedule(
    engine: AsyncEngine,
    ids: dict[str, int],
    now: datetime,
    *,
    presenters: tuple[str, ...] = ("budi", "nurhayati"),
    examiner: str = "teguh",
    starts: datetime = STARTS,
) -> int:
    async with session_factory(engine)() as session, session.begin():
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
        assert cohort_id is not None
        planned = await schedule_seminar(
            session,
            NewSeminar(
                cohort_id=cohort_id,
                kind=SeminarKind.DESIGN,
                starts_at=starts,
                zone=WIB,
                presenter_ids=[ids[p] for p in presenters],
                examiner_id=ids[examiner],
                place="Aula BPSDM Lantai 2",
            ),
            by=CLI,
            now=now,
        )
    return planned.seminar_id


async def setting(engine: AsyncEngine, now: datetime) -> tuple[dict[str, Any], dict[str, int], int]:
    team = await import_roster(engine, now, ROSTER)
    await add_milestones(engine, team["budi"].nip, now)
    ids = await ids_by_handle(engine, team)
    return team, ids, await schedule(engine, ids, now)


async def open_sheet(bot: RunningBot, examiner: Any, name: str) -> Any:
    """/penguji, then the presenter's button: returns the score sheet message."""
    listing = await say(bot, examiner, "/penguji")
    await press(bot, examiner, listing, next(b for b in listing.button_texts if name in b))
    return examiner.last


async def score(bot: RunningBot, examiner: Any, sheet: Any, number: int, value: str) -> Any:
    """Press a criterion's button and type its score; returns the bot's answer."""
    button = next(b for b in sheet.button_texts if b.startswith(f"✏️ {number}."))
    await press(bot, examiner, sheet, button)
    return await say(bot, examiner, value)


async def sheets(engine: AsyncEngine) -> list[ScoreSheet]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(ScoreSheet).order_by(ScoreSheet.id)))


async def scores_of(engine: AsyncEngine, sheet_id: int) -> list[int | None]:
    async with session_factory(engine)() as session:
        return list(
            await session.scalars(
                select(CriterionScore.score)
                .where(CriterionScore.sheet_id == sheet_id)
                .order_by(CriterionScore.position)
            )
        )


async def audits(engine: AsyncEngine, action: str) -> list[AuditEntry]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def fill_by_service(
    engine: AsyncEngine, seminar_id: int, presenter: int, examiner: int, now: datetime
) -> None:
    """An examiner who scored in another session: every criterion 70, submitted."""
    async with session_factory(engine)() as session, session.begin():
        for position in range(1, 6):
            await scoring.set_score(session, seminar_id, presenter, examiner, position, 70, now=now)
        await scoring.submit_sheet(session, seminar_id, presenter, examiner, now=now)


# --- the examiner scores ------------------------------------------------------------------------


async def test_the_examiner_scores_a_presenter_criterion_by_criterion_and_submits(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team, ids, seminar_id = await setting(engine, now)
    teguh = await join(bot, telegram, 1003, team["teguh"].code)

    listing = await say(bot, teguh, "/penguji")
    assert "Seminar yang Bapak/Ibu uji" in listing.plain
    assert "⬜ Budi Santoso: belum dinilai" in listing.plain
    assert "⬜ Nurhayati Umasugi: belum dinilai" in listing.plain
    assert "Kamis, 10 Desember 2026, 09.00 WIB" in listing.plain
    await press(bot, teguh, listing, f"👤 Budi Santoso (#{seminar_id})")
    brief, sheet = teguh.inbox[-2], teguh.inbox[-1]
    assert "Layanan Aduan Warga Terpadu" in brief.plain  # the project title
    assert "Rapat koordinasi tim efektif" in brief.plain  # a milestone
    assert "Belum ada laporan kemajuan." in brief.plain
    assert "1. Substansi dan kualitas aksi perubahan (bobot 30%): -" in sheet.plain
    assert "📨 Kirim nilai" not in sheet.button_texts  # nothing scored yet
    assert await sheets(engine) == []  # looking begins nothing

    # A wrong answer is explained and asked again; the right one is saved at once.
    button = next(b for b in sheet.button_texts if b.startswith("✏️ 1."))
    await press(bot, teguh, sheet, button)
    assert "Kriteria: Substansi dan kualitas aksi perubahan (bobot 30%)" in teguh.last.plain
    wrong = await say(bot, teguh, "delapan puluh")
    assert wrong.plain == text("scores.error.not_a_number", value="delapan puluh")
    assert (await say(bot, teguh, "101")).plain == text("scores.error.range", min=0, max=100)
    assert (await say(bot, teguh, "85,5")).plain == text("scores.error.not_a_number", value="85,5")
    sheet = await say(bot, teguh, "80")
    assert "(bobot 30%): 80" in sheet.plain
    (draft,) = await sheets(engine)
    assert draft.status is ScoreSheetStatus.DRAFT
    assert await scores_of(engine, draft.id) == [80, None, None, None, None]

    for number, value in enumerate(BUDI_SCORES[1:], start=2):
        sheet = await score(bot, teguh, sheet, number, value)
    assert "Nilai akhir (tertimbang): 81,00" in sheet.plain
    await press(bot, teguh, sheet, "💬 Catatan penguji")
    sheet = await say(bot, teguh, "Perluas replikasi ke kabupaten lain.")
    assert "Catatan penguji: Perluas replikasi ke kabupaten lain." in sheet.plain

    # Before the seminar the sheet is a draft the examiner prepares; it cannot be sent yet.
    await press(bot, teguh, sheet, "📨 Kirim nilai")
    toast = await press(bot, teguh, teguh.last, "✅ Ya, kirim nilai")
    assert toast.text == text("scores.error.not_held_yet", id=seminar_id)
    (draft,) = await sheets(engine)
    assert draft.status is ScoreSheetStatus.DRAFT

    clock.set(HELD)
    await press(bot, teguh, sheet, "📨 Kirim nilai")
    confirm = teguh.last
    assert "tidak dapat diubah lagi" in confirm.plain
    await press(bot, teguh, confirm, "✅ Ya, kirim nilai")
    assert "Nilai untuk Budi Santoso telah dikirim. Nilai akhir: 81,00" in teguh.last.plain
    (sent,) = await sheets(engine)
    assert sent.status is ScoreSheetStatus.SUBMITTED and sent.submitted_at == HELD
    assert sent.comment == "Perluas replikasi ke kabupaten lain."
    (entry,) = await audits(engine, "seminar.scores.submit")
    assert entry.actor_id == ids["teguh"] and entry.details["total"] == "81.00"

    # Submitted is final: the old buttons, the confirmation again, the service itself.
    toast = await press(bot, teguh, sheet, next(b for b in sheet.button_texts if "✏️ 2." in b))
    assert toast.text == text("scores.error.submitted")
    toast = await press_data(bot, teguh, confirm, f"pg1:y:{seminar_id}:{ids['budi']}")
    assert toast.text == text("scores.error.submitted")
    with pytest.raises(UserFacingError) as refused:
        async with session_factory(engine)() as session, session.begin():
            await scoring.set_score(session, seminar_id, ids["budi"], ids["teguh"], 1, 10, now=now)
    assert refused.value.key == "scores.error.submitted"
    assert await scores_of(engine, sent.id) == [80, 90, 70, 85, 75]
    listing = await say(bot, teguh, "/penguji")
    assert "✅ Budi Santoso: terkirim, nilai akhir 81,00" in listing.plain


async def test_a_draft_and_a_question_waiting_for_its_score_survive_a_restart(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    team, ids, seminar_id = await setting(engine, now)
    clock = ManualClock(now)
    async with running_bot(telegram, settings, clock=clock, engine=engine) as bot:
        teguh = await join(bot, telegram, 1003, team["teguh"].code)
        sheet = await open_sheet(bot, teguh, "Nurhayati")
        sheet = await score(bot, teguh, sheet, 1, "88")
        button = next(b for b in sheet.button_texts if b.startswith("✏️ 2."))
        await press(bot, teguh, sheet, button)  # asked for criterion 2, not answered yet
    # A new process, as after a deploy: the answer lands on the question asked before.
    async with running_bot(telegram, settings, clock=clock, engine=engine) as bot:
        sheet = await say(bot, teguh, "77")
        assert "1. Substansi dan kualitas aksi perubahan (bobot 30%): 88" in sheet.plain
        assert "2. Capaian milestone jangka pendek (bobot 25%): 77" in sheet.plain
        listing = await say(bot, teguh, "/penguji")
        assert "✏️ Nurhayati Umasugi: draf (belum dikirim)" in listing.plain
    (draft,) = await sheets(engine)
    assert draft.presenter_id == ids["nurhayati"] and draft.seminar_id == seminar_id
    assert await scores_of(engine, draft.id) == [88, 77, None, None, None]


async def test_a_cancel_leaves_the_draft_and_an_incomplete_sheet_cannot_be_sent(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team, ids, seminar_id = await setting(engine, now)
    teguh = await join(bot, telegram, 1003, team["teguh"].code)
    sheet = await open_sheet(bot, teguh, "Budi")
    sheet = await score(bot, teguh, sheet, 3, "60")
    await press(bot, teguh, sheet, next(b for b in sheet.button_texts if b.startswith("✏️ 4.")))
    assert (await say(bot, teguh, "/batal")).plain == text("conversation.cancelled")
    assert (await say(bot, teguh, "90")).plain != text("scores.sheet.title", name="Budi Santoso")
    (draft,) = await sheets(engine)
    assert await scores_of(engine, draft.id) == [None, None, 60, None, None]
    # A forged "Kirim nilai" on an incomplete sheet names what is missing.
    toast = await press_data(bot, teguh, sheet, f"pg1:f:{seminar_id}:{ids['budi']}")
    assert toast.text.startswith("Nilai belum dapat dikirim")
    assert toast.text == text("scores.error.incomplete", numbers="1, 2, 4, 5")


# --- who may see and do what --------------------------------------------------------------------


async def test_examiners_participants_and_forged_buttons_reach_only_what_is_theirs(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team, ids, seminar_id = await setting(engine, now)
    other_seminar = await schedule(
        engine,
        ids,
        now,
        presenters=("budi",),
        examiner="rahmat",
        starts=STARTS + timedelta(days=30),
    )
    teguh = await join(bot, telegram, 1003, team["teguh"].code)
    rahmat = await join(bot, telegram, 1007, team["rahmat"].code)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    not_yours = text("scores.error.not_yours")

    # Rahmat examines Budi at the other seminar only: he sees that one, not Teguh's.
    listing = await say(bot, rahmat, "/penguji")
    assert f"(#{other_seminar})" in listing.plain and f"(#{seminar_id})" not in listing.plain
    assert "Nurhayati" not in listing.plain
    for data in (
        f"pg1:p:{seminar_id}:{ids['budi']}",
        f"pg1:c:{seminar_id}:{ids['nurhayati']}:1",
        f"pg1:m:{seminar_id}:{ids['budi']}",
        f"pg1:f:{seminar_id}:{ids['budi']}",
        f"pg1:y:{seminar_id}:{ids['budi']}",
    ):
        before = len(rahmat.inbox)
        assert (await press_data(bot, rahmat, listing, data)).text == not_yours, data
        assert len(rahmat.inbox) == before  # no project, no sheet, nothing about anyone
    # Teguh with someone who does not present at his seminar, or a seminar that does not exist.
    listing = await say(bot, teguh, "/penguji")
    for data in (
        f"pg1:p:{seminar_id}:{ids['bambang']}",
        f"pg1:p:{other_seminar}:{ids['budi']}",
        f"pg1:p:999999:{ids['budi']}",
        f"pg1:c:{seminar_id}:{ids['budi']}:99",
    ):
        answer = await press_data(bot, teguh, listing, data)
        assert answer.text in (not_yours, text("button.stale")), data
    assert (await press_data(bot, teguh, listing, "pg1:p:abc:1")).text == text("button.stale")
    assert await sheets(engine) == []

    # A participant is no examiner, whatever the button says; nor an organizer.
    refusal = text("access.role_required", roles=text("role.examiner"))
    assert (await say(bot, budi, "/penguji")).plain == refusal
    assert (await press_data(bot, budi, budi.last, f"pg1:p:{seminar_id}:{ids['budi']}")).text == (
        refusal
    )
    admin_only = text("access.role_required", roles=text("role.admin"))
    assert (await press_data(bot, budi, budi.last, f"nl1:d:{seminar_id}")).text == admin_only
    assert (await press_data(bot, budi, budi.last, f"nl1:k:{seminar_id}")).text == admin_only
    assert (await press_data(bot, budi, budi.last, f"nl1:b:{seminar_id}")).text == admin_only


async def test_presenters_see_only_their_own_scores_and_only_after_the_release(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team, ids, seminar_id = await setting(engine, now)
    teguh = await join(bot, telegram, 1003, team["teguh"].code)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    admin = telegram.user(ADMIN_ID, "Admin")
    clock.set(HELD)
    sheet = await open_sheet(bot, teguh, "Budi")
    for number, value in enumerate(BUDI_SCORES, start=1):
        sheet = await score(bot, teguh, sheet, number, value)
    await press(bot, teguh, sheet, "💬 Catatan penguji")
    await say(bot, teguh, "Perluas replikasi ke kabupaten lain.")
    await press(bot, teguh, teguh.last, "📨 Kirim nilai")
    await press(bot, teguh, teguh.last, "✅ Ya, kirim nilai")

    # Submitted, not released: Budi learns only that.
    own = await say(bot, budi, "/nilai")
    assert "Nilai belum diumumkan oleh penyelenggara." in own.plain
    assert "81,00" not in own.plain and "80" not in own.plain and "Perluas" not in own.plain

    # The organizer sees who has scored; releasing waits for every sheet.
    overview = await say(bot, admin, "/nilai")
    assert "Lembar nilai terkirim: 1 dari 2 · belum diumumkan" in overview.plain
    await press(bot, admin, overview, f"🔎 Rincian nilai seminar #{seminar_id}")
    detail = admin.last
    assert "✅ Prof. Teguh Santoso: terkirim, nilai akhir 81,00" in detail.plain
    assert "⬜ Prof. Teguh Santoso: belum dinilai" in detail.plain  # Nurhayati's
    await press(bot, admin, detail, "🔓 Umumkan nilai")
    toast = await press(bot, admin, admin.last, "✅ Ya, umumkan nilai")
    assert toast.text.startswith("Nilai belum dapat diumumkan") and "Nurhayati" in toast.text
    async with session_factory(engine)() as session:
        seminar = await session.get_one(Seminar, seminar_id)
        assert seminar.scores_released_at is None

    await fill_by_service(engine, seminar_id, ids["nurhayati"], ids["teguh"], HELD)
    await press(bot, admin, detail, "🔓 Umumkan nilai")
    await press(bot, admin, admin.last, "✅ Ya, umumkan nilai")
    assert admin.last.plain == text("scores.released.other", id=seminar_id, n=2)
    (entry,) = await audits(engine, "seminar.scores.release")
    assert entry.details["seminar_id"] == seminar_id
    async with session_factory(engine)() as session:
        told = list(
            await session.scalars(
                select(OutboxMessage.recipient_id).where(OutboxMessage.kind == "seminar_scores")
            )
        )
    assert sorted(told) == sorted([ids["budi"], ids["nurhayati"]])
    for _ in range(4):  # the seminar notice waited for Budi to join too; one a second per chat
        await bot.deliver()
        clock.advance(timedelta(seconds=2))
    assert any("Nilai seminar rancangan Bapak/Ibu" in m.plain for m in budi.inbox)

    own = await say(bot, budi, "/nilai")
    assert "Penguji: Prof. Teguh Santoso" in own.plain
    assert "Substansi dan kualitas aksi perubahan (30%): 80" in own.plain
    assert "Nilai akhir (tertimbang): 81,00" in own.plain
    assert "Catatan penguji: Perluas replikasi ke kabupaten lain." in own.plain
    hers = await say(bot, nurhayati, "/nilai")
    assert "Nilai akhir (tertimbang): 70,00" in hers.plain
    assert "81,00" not in hers.plain and "Perluas" not in hers.plain and "Budi" not in hers.plain

    # Released is final, for the organizer and the examiner alike.
    toast = await press_data(bot, admin, detail, f"nl1:k:{seminar_id}")
    assert toast.text == text("scores.error.already_released", id=seminar_id)
    with pytest.raises(UserFacingError) as refused:
        async with session_factory(engine)() as session, session.begin():
            await scoring.set_comment(
                session, seminar_id, ids["budi"], ids["teguh"], "Ubah", now=now
            )
    assert refused.value.key == "scores.error.released"


async def test_the_berita_acara_pdf_names_everyone_and_every_score(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team, _, seminar_id = await setting(engine, now)
    teguh = await join(bot, telegram, 1003, team["teguh"].code)
    clock.set(HELD)
    sheet = await open_sheet(bot, teguh, "Budi")
    for number, value in enumerate(BUDI_SCORES, start=1):
        sheet = await score(bot, teguh, sheet, number, value)
    await press(bot, teguh, sheet, "💬 Catatan penguji")
    await say(bot, teguh, "Perluas replikasi ke kabupaten lain.")
    await press(bot, teguh, teguh.last, "📨 Kirim nilai")
    await press(bot, teguh, teguh.last, "✅ Ya, kirim nilai")
    admin = telegram.user(ADMIN_ID, "Admin")

    overview = await say(bot, admin, "/nilai")
    await press(bot, admin, overview, f"🔎 Rincian nilai seminar #{seminar_id}")
    await press(bot, admin, admin.last, "📄 Berita acara (PDF)")
    document = admin.last
    assert document.kind == "document"
    stored = telegram.file(document.file_id)
    assert stored is not None and stored.file_name == f"berita-acara-seminar-{seminar_id}.pdf"
    reader = PdfReader(io.BytesIO(stored.data))
    assert 1 <= len(reader.pages) <= 3
    words = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in (
        "BERITA ACARA SEMINAR",
        "Seminar rancangan",
        COHORT,
        "Kamis, 10 Desember 2026, 09.00 WIB",
        "Aula BPSDM Lantai 2",
        "Budi Santoso",
        "Layanan Aduan Warga Terpadu",
        "Nurhayati Umasugi",
        "Prof. Teguh Santoso",
        "Capaian milestone jangka pendek",
        "81,00",
        "belum dikirim",  # Nurhayati's sheet
        "Perluas replikasi ke kabupaten lain.",
        "Penyelenggara",
        "Nilai belum diumumkan kepada peserta.",
    ):
        assert expected in words, expected
    (entry,) = await audits(engine, "seminar.berita_acara")
    assert entry.details == {"seminar_id": seminar_id, "released": False}


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_ROOT", "ADMIN_TELEGRAM_IDS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "properbot_test_bot")
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert main(["cohort", "import", str(roster), "--cohort", COHORT]) == 0
    return tmp_path


def seminar_cli(args: list[str], now: datetime) -> int:
    parser = argparse.ArgumentParser(prog="properbot")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return asyncio.run(
        run(
            parser.parse_args(["seminar", *args]),
            Settings.load(),
            translator("id"),
            clock=ManualClock(now),
        )
    )


def in_database(database_url: str, work: Any) -> Any:
    async def go() -> Any:
        engine = create_engine(database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_the_organizer_sets_criteria_reads_scores_releases_and_prints_from_the_cli(
    cli_env: Path, database_url: str, capsys: pytest.CaptureFixture[str], now: datetime
) -> None:
    async def prepare(engine: AsyncEngine) -> tuple[dict[str, int], int]:
        async with session_factory(engine)() as session:
            by_nip = dict((await session.execute(select(Person.nip, Person.id))).tuples().all())
        ids = {
            "budi": by_nip["198001152005011001"],
            "nurhayati": by_nip["198203102006042002"],
            "teguh": by_nip["196808081994031005"],
        }
        return ids, await schedule(engine, ids, now, presenters=("budi",))

    assert seminar_cli(["criteria", "--cohort", COHORT], now) == 0
    shown = capsys.readouterr().out
    assert "1. Substansi dan kualitas aksi perubahan: 30%" in shown
    assert "(kriteria bawaan;" in shown

    bad = cli_env / "bad.json"
    bad.write_text(
        json.dumps([{"name": "Presentasi", "weight": 60}, {"name": "Isi", "weight": 30}])
    )
    assert seminar_cli(["criteria", "--cohort", COHORT, "--set", str(bad)], now) == 2
    assert capsys.readouterr().err.strip() == text("scores.criteria.error.sum", total=90)
    broken = cli_env / "broken.json"
    broken.write_text("[{")
    assert seminar_cli(["criteria", "--cohort", COHORT, "--set", str(broken)], now) == 2
    assert "bukan JSON yang sah" in capsys.readouterr().err

    good = cli_env / "criteria.json"
    good.write_text(
        json.dumps(
            {
                "criteria": [
                    {"name": "Substansi", "weight": 60},
                    {"name": "Presentasi", "weight": 40},
                ]
            }
        )
    )
    assert seminar_cli(["criteria", "--cohort", COHORT, "--set", str(good)], now) == 0
    out = capsys.readouterr().out
    assert "disimpan (2 kriteria)" in out and "2. Presentasi: 40%" in out
    assert "bawaan" not in out

    ids, seminar_id = in_database(database_url, prepare)

    async def score(engine: AsyncEngine) -> None:
        async with session_factory(engine)() as session, session.begin():
            await scoring.set_score(session, seminar_id, ids["budi"], ids["teguh"], 1, 90, now=now)
            await scoring.set_score(session, seminar_id, ids["budi"], ids["teguh"], 2, 75, now=now)

    in_database(database_url, score)
    assert seminar_cli(["scores", str(seminar_id)], now) == 0
    out = capsys.readouterr().out
    assert "lembar nilai terkirim 0 dari 1, belum diumumkan" in out
    assert "Budi Santoso / Prof. Teguh Santoso: draf (belum dikirim)" in out
    assert seminar_cli(["release", str(seminar_id)], HELD) == 2
    assert "Budi Santoso (Prof. Teguh Santoso)" in capsys.readouterr().err

    async def submit(engine: AsyncEngine) -> None:
        async with session_factory(engine)() as session, session.begin():
            await scoring.submit_sheet(session, seminar_id, ids["budi"], ids["teguh"], now=HELD)

    in_database(database_url, submit)
    assert seminar_cli(["release", str(seminar_id)], now) == 2  # before the seminar took place
    assert capsys.readouterr().err.strip() == text(
        "scores.error.release_not_held_yet", id=seminar_id
    )
    assert seminar_cli(["release", str(seminar_id)], HELD) == 0
    assert capsys.readouterr().out.strip() == text("scores.cli.released.one", id=seminar_id, n=1)
    assert seminar_cli(["scores", str(seminar_id)], now) == 0
    # 90 x 60% + 75 x 40% = 84
    assert "terkirim, nilai akhir 84,00" in capsys.readouterr().out

    pdf = cli_env / "ba.pdf"
    assert seminar_cli(["berita-acara", str(seminar_id), "--out", str(pdf)], now) == 0
    assert capsys.readouterr().out.strip() == text(
        "scores.cli.written", id=seminar_id, path=str(pdf)
    )
    words = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(pdf).pages)
    assert "Substansi" in words and "84,00" in words and "Nilai diumumkan kepada peserta" in words
    assert seminar_cli(["scores", "424242"], now) == 2
    assert capsys.readouterr().err.strip() == text("seminar.error.unknown", id=424242)

    async def logged(engine: AsyncEngine) -> list[str]:
        async with session_factory(engine)() as session:
            return list(
                await session.scalars(
                    select(AuditEntry.action)
                    .where(AuditEntry.action.startswith("seminar."))
                    .order_by(AuditEntry.id)
                )
            )

    actions = in_database(database_url, logged)
    assert actions.count("seminar.criteria") == 1
    assert actions[-2:] == ["seminar.scores.release", "seminar.berita_acara"]


async def test_the_cohort_export_lists_submitted_sheets_only(
    engine: AsyncEngine, now: datetime
) -> None:
    _, ids, seminar_id = await setting(engine, now)
    await fill_by_service(engine, seminar_id, ids["nurhayati"], ids["teguh"], HELD)
    async with session_factory(engine)() as session, session.begin():
        await scoring.set_score(session, seminar_id, ids["budi"], ids["teguh"], 1, 99, now=now)
        export = await cohort_export(session, COHORT, now)
    (row,) = export.seminar_scores  # Budi's draft stays the examiner's
    assert (row.presenter, row.examiner, row.total) == (
        "Nurhayati Umasugi",
        "Prof. Teguh Santoso",
        Decimal("70.00"),
    )
    assert [i.score for i in row.items] == [70] * 5 and row.released_at is None
    assert export.counts()["seminar_scores"] == 1
