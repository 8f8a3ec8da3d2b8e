"""Stories shared by the integration tests: people joining, reports, seminars, sweeps.

Tests import these from here, never from one another, so each test module stands alone.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from bot.app import build_application
from bot.cli import main
from bot.cli_broadcast import add_parser
from bot.harness import RunningBot, TrackingApplication, running_bot, settings_for
from bot.settings import Settings
from domain.clock import ManualClock
from domain.enums import Channel, FeedbackKind, Horizon, SeminarKind
from domain.i18n import format_datetime, translator
from domain.roles import Role
from domain.timezones import WIB
from fakegram import TINY_JPEG, BotMessage, FakeTelegram, StoredFile
from handlers import broadcast as broadcast_handlers
from handlers.runtime import Runtime
from handlers.telegram_text import telegram_html
from models import Cohort, FeedbackNote, OutboxMessage, Person, ProgressUpdate, SeminarMaterial
from models.db import session_factory
from services import groups, onboarding, projects
from services.onboarding import GuessLimits
from services.outbox import Outgoing
from services.people import AccountRef
from services.reminders import SweepResult, sweep
from services.seminars import NewSeminar, Organizer, schedule_seminar
from tests.factories import COHORT, HEADER, SMALL_ROSTER, Member, add_milestones, import_roster
from tests.integration.helpers import press, say

# --- joining, reports (from test_reports) ---------------------------------------------------------


async def join(bot: RunningBot, telegram: FakeTelegram, user_id: int, code: str) -> Any:
    user = telegram.user(user_id, f"User{user_id}")
    consent = await say(bot, user, f"/start {code}")
    await press(bot, user, consent, "Setuju")
    return user


async def cast(bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime) -> Any:
    """Budi (participant) with two milestones, his mentor Bambang and coach Lina, all joined."""
    team = await import_roster(engine, now)
    milestones = await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    lina = await join(bot, telegram, 1006, team["lina"].code)
    return budi, bambang, lina, milestones


async def report(
    bot: RunningBot, budi: Any, title: str, words: str, percent: str, photos: int = 0
) -> None:
    chooser = await say(bot, budi, "/lapor")
    await press(bot, budi, chooser, next(b for b in chooser.button_texts if b.startswith(title)))
    await say(bot, budi, words)
    await press(bot, budi, budi.last, "Lewati")  # kendala
    await press(bot, budi, budi.last, "Lewati")  # rencana berikutnya
    for _ in range(photos):
        budi.send_photo(TINY_JPEG)
        await bot.settle()
    evidence_prompt = budi.last
    await press(bot, budi, evidence_prompt, "Selesai" if photos else "Lewati")
    await press(bot, budi, budi.last, percent)
    await press(bot, budi, budi.last, "Kirim")


# --- seminar materials (from test_seminar_uploads) ------------------------------------------------


PDF = "application/pdf"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


async def seminar_cast(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> Any:
    """Budi and Nurhayati present; Bambang mentors, Lina coaches, Teguh examines; Hasan, a
    mentor of nobody here, is a stranger to the seminar. Everyone but Nurhayati has joined."""
    team = await import_roster(engine, now)
    people = {
        "budi": await join(bot, telegram, 1001, team["budi"].code),
        "bambang": await join(bot, telegram, 1005, team["bambang"].code),
        "lina": await join(bot, telegram, 1006, team["lina"].code),
        "teguh": await join(bot, telegram, 1007, team["teguh"].code),
        "hasan": await join(bot, telegram, 1008, team["hasan"].code),
    }
    ids = await person_ids(engine, team)
    seminar_id = await plan(engine, ids, now)
    await deliver(bot)  # the notices
    return people, ids, seminar_id


async def deliver(bot: RunningBot) -> None:
    """Everything due, sent over the next half minute within the sender's rate limits."""
    clock = Runtime.of(bot.app).clock
    assert isinstance(clock, ManualClock)
    for _ in range(6):  # a few messages at a time: the sender's burst is small
        clock.advance(timedelta(seconds=5))
        await bot.deliver()


async def upload(bot: RunningBot, user: Any, kind: str, data: bytes, name: str) -> Any:
    """/bahan, the kind, the file: returns the receipt."""
    asked = await say(bot, user, "/bahan")
    await press(bot, user, asked, kind)
    user.send_document(data, name, PDF if name.endswith(".pdf") else PPTX)
    await bot.settle()
    return user.last


async def materials(engine: AsyncEngine) -> list[SeminarMaterial]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(SeminarMaterial).order_by(SeminarMaterial.id)))


# --- two instances on one database (from test_forms_two_instances) -------------------------------


class Instance:
    """One started Application that polls the fake server only while it is its turn, as if
    the updates were handed to it and not to the other."""

    def __init__(self, app: TrackingApplication, server: FakeTelegram) -> None:
        self.app = app
        self.bot = RunningBot(app, server)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[RunningBot]:
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield self.bot
            await self.bot.settle()
        finally:
            await self.app.updater.stop()


@asynccontextmanager
async def instance(
    server: FakeTelegram, settings: Settings, clock: ManualClock, engine: AsyncEngine
) -> AsyncIterator[Instance]:
    app = build_application(
        settings_for(server, settings),
        clock=clock,
        engine=engine,
        application_class=TrackingApplication,
        background=False,
    )
    assert isinstance(app, TrackingApplication)
    async with app:
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        try:
            yield Instance(app, server)
        finally:
            await app.stop()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)


# --- seminars (from test_seminars) ----------------------------------------------------------------


# 09.00 WIB (11.00 WIT) on Thursday 10 December 2026; the tests' "now" is 2 November.
STARTS = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
CLI = Organizer(person_id=None, label="test", every_cohort=True)


@pytest.fixture
async def bot(
    telegram: FakeTelegram,
    settings: Settings,
    clock: ManualClock,
    engine: AsyncEngine,
) -> AsyncIterator[RunningBot]:
    async with running_bot(telegram, settings, clock=clock, engine=engine) as running:
        yield running


async def person_ids(engine: AsyncEngine, team: dict[str, Member]) -> dict[str, int]:
    async with session_factory(engine)() as session:
        by_nip = dict((await session.execute(select(Person.nip, Person.id))).tuples().all())
    return {handle: by_nip[member.nip] for handle, member in team.items()}


async def plan(
    engine: AsyncEngine,
    ids: dict[str, int],
    now: datetime,
    *,
    starts: datetime = STARTS,
    presenters: tuple[str, ...] = ("budi", "nurhayati"),
    examiner: str = "teguh",
    place: str | None = "Aula BPSDM Lantai 2",
    link: str | None = None,
    by: Organizer = CLI,
) -> int:
    async with session_factory(engine)() as session, session.begin():
        planned = await schedule_seminar(
            session,
            NewSeminar(
                cohort_id=await cohort_id(engine),
                kind=SeminarKind.DESIGN,
                starts_at=starts,
                zone=WIB,
                presenter_ids=[ids[p] for p in presenters],
                examiner_id=ids[examiner],
                place=place,
                link=link,
            ),
            by=by,
            now=now,
        )
    return planned.seminar_id


def rendered(message: OutboxMessage, language: str = "id", zone: Any = WIB) -> str:
    """The message as the sender will send it (Telegram HTML), datetimes in the recipient's
    zone."""
    t = translator(language)

    def param(value: Any) -> Any:
        if isinstance(value, datetime):
            return format_datetime(value, zone, language)
        if isinstance(value, dict):  # a catalog message of its own, such as the seminar kind
            return t(value["key"], **value["params"])
        return value

    outgoing = Outgoing.from_payload(message.payload)
    return telegram_html(t(outgoing.key, **{k: param(v) for k, v in outgoing.params.items()}))


# --- a second cohort, announcements (from test_broadcasts) ----------------------------------------


OTHER_COHORT = "PKN II Angkatan XXXVII"
OTHER_ROSTER = "\n".join(
    [
        HEADER,
        "penyelenggara,Siti Rahmawati,197107072000122008,BPSDM Sumsel,Analis SDM,WIB,,,",
        "mentor,Drs. Yusuf Hamid,196909091995031009,Pemprov Sumsel,Asisten II,WIB,,,",
    ]
)


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Broadcast stories: the status job must not fire on its own in the middle of a story;
    tests run it by hand."""
    monkeypatch.setattr(broadcast_handlers, "STATUS_INTERVAL", 3600.0)
    yield


async def cohort_id(engine: AsyncEngine, name: str = COHORT) -> int:
    async with session_factory(engine)() as session:
        cohort = await groups.administered_cohorts(session, None, global_admin=True)
        return next(c.id for c in cohort if c.name == name)


async def siti_code(engine: AsyncEngine) -> str:
    from services.cohorts import invites_for

    async with session_factory(engine)() as session:
        lines = await invites_for(session, OTHER_COHORT)
    return next(line.code for line in lines if line.role is Role.ADMIN)


def cli_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="properbot")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["broadcast", *argv])


# --- exports (from test_exports) ------------------------------------------------------------------


EXPORT_ROSTER = "\n".join(
    [
        HEADER,
        "penyelenggara,Rina Kartika,199001012015032001,BPSDM Sumsel,Analis,WIB,,,",
        "mentor,Drs. Agus Salim,196905051994031002,Pemprov Sumsel,Asisten,WIB,,,",
        "peserta,Siti Rahma,198807072010012003,Bappeda,Kepala Bidang,WIB,"
        "196905051994031002,,Satu Data Daerah",
    ]
)


def rows_of(sheet: Worksheet) -> list[dict[str, Any]]:
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2, values_only=True)]


def sent_file(telegram: FakeTelegram, user: Any) -> tuple[BotMessage, StoredFile]:
    """The document the bot last sent this user, and the file as the server keeps it."""
    message = user.last
    assert message is not None and message.kind == "document" and message.file_id is not None
    stored = telegram.file(message.file_id)
    assert stored is not None and stored.file_name is not None
    return message, stored


# --- reminders (from test_reminders) --------------------------------------------------------------


# The small cohort plus Andi (a participant in Makassar, WITA) and Siti, its organizer.
ROSTER = "\n".join(
    [
        SMALL_ROSTER,
        "peserta,Andi Makkasau,198305202008011003,Bappeda Sulsel,Kepala Bidang,WITA,"
        "197005051995031003,197209092000122004,Perencanaan Terpadu",
        "penyelenggara,Siti Rahmawati,197801012003122007,BPSDM Sumsel,Analis SDM,WIB,,,",
    ]
)


LIMITS = GuessLimits(max_failures=5, lockout=timedelta(minutes=15))


def at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock moment as UTC."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


@dataclass
class Cast:
    engine: AsyncEngine
    ids: dict[str, int]  # person ids by handle: budi, nurhayati, andi, bambang, lina, siti, ...

    def __getitem__(self, handle: str) -> int:
        return self.ids[handle]


async def reminder_cast(
    engine: AsyncEngine, now: datetime, *, absent: tuple[str, ...] = ("teguh",)
) -> Cast:
    """Import the roster through the real service and let everyone but `absent` join."""
    members = await import_roster(engine, now, ROSTER)
    ids: dict[str, int] = {}
    async with session_factory(engine)() as session, session.begin():
        for number, (handle, member) in enumerate(sorted(members.items()), start=1):
            person = await session.scalar(select(Person).where(Person.nip == member.nip))
            assert person is not None
            ids[handle] = person.id
            if handle not in absent:
                joined = await onboarding.join(
                    session, AccountRef(Channel.TELEGRAM, str(7000 + number)),
                    str(7000 + number), member.code,
                    language="id", now=now, limits=LIMITS,
                )  # fmt: skip
                assert getattr(joined, "person_id", None) == person.id
    return Cast(engine, ids)


async def milestone(cast: Cast, who: str, due: date, now: datetime, title: str = "") -> int:
    async with session_factory(cast.engine)() as session, session.begin():
        created = await projects.add_milestone(
            session,
            cast[who],
            title=title or f"Tahapan {due:%d/%m}",
            horizon=Horizon.SHORT,
            due_on=due,
            expected_output=None,
            today=now.date(),
            now=now,
        )
        return created.id


async def run_sweep(engine: AsyncEngine, moment: datetime) -> SweepResult:
    async with session_factory(engine)() as session, session.begin():
        return await sweep(session, moment)


async def rows(engine: AsyncEngine, prefix: str = "") -> list[OutboxMessage]:
    async with session_factory(engine)() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.dedup_key.startswith(prefix))
                .order_by(OutboxMessage.id)
            )
        )


async def set_reminder_settings(engine: AsyncEngine, reminders_settings: dict[str, Any]) -> None:
    async with session_factory(engine)() as session, session.begin():
        cohort = await session.scalar(select(Cohort).where(Cohort.name == COHORT))
        assert cohort is not None
        cohort.settings = {**(cohort.settings or {}), "reminders": reminders_settings}


# --- evidence store (from test_evidence_store) ----------------------------------------------------


def photo_bytes(colour: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    """A real 400x300 photo, so the PDF has something visible to embed."""
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_files(settings: Settings) -> set[str]:
    assert settings.evidence_dir is not None
    return {p.name for p in settings.evidence_dir.rglob("*") if p.is_file()}


async def start_report(bot: RunningBot, user: Any, words: str) -> None:
    chooser = await say(bot, user, "/lapor")
    await press(bot, user, chooser, chooser.button_texts[0])
    await say(bot, user, words)


async def finish_report(bot: RunningBot, user: Any, percent: str = "60%") -> None:
    """Past the evidence (and any optional question still open), the percent, then "Kirim"."""
    for _ in range(6):
        message = next(m for m in reversed(user.inbox) if m.button_texts)
        for choice in ("Kirim", percent, "Selesai", "Lewati"):
            if choice in message.button_texts:
                await press(bot, user, message, choice)
                break
        if choice == "Kirim":
            return
    raise AssertionError("the report never reached its summary")


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`properbot` on the test database, in the test's folder, with no token at all."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_ROOT",
        "ADMIN_TELEGRAM_IDS",
        "LOG_LEVEL",
        "EVIDENCE_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
    return tmp_path


async def cli(argv: list[str]) -> int:
    return await asyncio.to_thread(main, argv)


# --- report follow-up (from test_report_followup) -------------------------------------------------


ACK = "👍 Sudah dibaca"
CORRECT = "✏️ Koreksi laporan"


async def followup_cast(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> Any:
    """Budi (participant, two milestones), his mentor Bambang and coach Lina, all joined."""
    team = await import_roster(engine, now)
    milestones = await add_milestones(engine, team["budi"].nip, now)
    nur_milestones = await add_milestones(engine, team["nurhayati"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    lina = await join(bot, telegram, 1006, team["lina"].code)
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    return budi, bambang, lina, nurhayati, milestones, nur_milestones


async def lapor(
    bot: RunningBot,
    budi: Any,
    words: str,
    *,
    obstacles: str | None = None,
    next_steps: str | None = None,
    percent: str = "60%",
    milestone: int = 0,
) -> Any:
    """/lapor through every step; the optional parts typed or skipped. Returns the receipt."""
    chooser = await say(bot, budi, "/lapor")
    await press(bot, budi, chooser, chooser.button_texts[milestone])
    await say(bot, budi, words)
    for answer in (obstacles, next_steps):
        if answer is None:
            await press(bot, budi, budi.last, "Lewati")
        else:
            await say(bot, budi, answer)
    await press(bot, budi, budi.last, "Lewati")  # no evidence
    await press(bot, budi, budi.last, percent)
    receipt = budi.last
    await press(bot, budi, receipt, "Kirim")
    return receipt


async def newest_report(engine: AsyncEngine) -> ProgressUpdate:
    async with session_factory(engine)() as session:
        update = await session.scalar(select(ProgressUpdate).order_by(ProgressUpdate.id.desc()))
        assert update is not None
        return update


async def notes(engine: AsyncEngine, kind: FeedbackKind) -> list[FeedbackNote]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(FeedbackNote).where(FeedbackNote.kind == kind)))


async def person_id(engine: AsyncEngine, nip: str) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Person.id).where(Person.nip == nip))
        assert found is not None
        return found


# --- connections (from test_concurrent_updates) ---------------------------------------------------


def connections_in_use(engine: AsyncEngine) -> int:
    """Connections checked out of the engine's pool right now (both databases use a QueuePool)."""
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


# --- seminar material requests (from test_seminar_materials) --------------------------------------


MATERIALS_DAY = date(2026, 12, 7)
