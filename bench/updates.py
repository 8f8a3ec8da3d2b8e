"""Benchmark: complete /lapor reports through the real bot over HTTP, against two bare bots.

Baselines, each a bare python-telegram-bot bot polling its own fake server with the same users:
- the echo bot answers every text with one sendMessage;
- the like-for-like bot (bench/likeforlike.py) answers every step of the same /lapor flow with
  the very Bot API calls properbot made for it, recorded from one calibration report.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import io
import json
import logging
import math
import os
import pstats
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import _bench_path  # noqa: F401 (first: the project's packages before bench/)
from likeforlike import Recording, like_for_like_application
from scratch import scratch_database
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.harness import running_bot
from bot.settings import Settings
from domain.clock import SystemClock
from domain.cohort_csv import parse_cohort_csv
from domain.enums import Horizon
from domain.timezones import WIB
from fakegram import TINY_JPEG, BotMessage, FakeTelegram, FakeUser
from fakegram.actors import CallbackPress
from fakegram.records import UserMessage
from models import ChannelAccount, Evidence, Person, ProgressUpdate, RelayedMessage
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services.cohorts import import_cohort, invites_for
from services.projects import add_milestone

# Polling exactly as bot/harness.py running_bot() does, for the bot and for the baseline.
POLL_INTERVAL = 0.0
POLL_TIMEOUT = 5
# Issue 3 asked 0.8 of the echo bot (shown to be out of reach: docs/PERFORMANCE.md); issue 12
# asks 0.5 of the like-for-like bot, which makes the same Bot API calls.
TARGET_RATIO = 0.8
TARGET_LIKE_FOR_LIKE = 0.5
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "properbot_bench"
COHORT = "PKP Angkatan Benchmark"
MENTOR_NIP, COACH_NIP = "197005051995031003", "197209092000122004"
MENTOR_NAME, COACH_NAME = "Bambang Wijaya", "Lina Marliani"
MENTOR_ID, COACH_ID, FIRST_PARTICIPANT_ID = 90_001, 90_002, 100_000
MILESTONE_TITLE = "Rapat koordinasi tim efektif"
REPORT_TEXT = "Rapat perdana tim efektif sudah terlaksana; notulen dan daftar hadir terlampir."
PERCENT = "60%"
MAX_N = 5000
HEADER = "role,name,nip,agency,position,timezone,mentor_nip,coach_nip,project_title"


class BenchError(Exception):
    """The run could not be completed or measured."""


# --- roster -------------------------------------------------------------------------------


def participant_nip(i: int) -> str:
    """A valid, unique NIP: birth date 1975-01-01 + i days, appointed at 24, sequence 001-999."""
    birth = date(1975, 1, 1) + timedelta(days=i)
    return f"{birth:%Y%m%d}{birth.year + 24:04d}{birth.month:02d}{1 + i % 2}{1 + i % 999:03d}"


def roster_csv(n: int) -> str:
    lines = [
        HEADER,
        f"mentor,Dr. Ir. {MENTOR_NAME},{MENTOR_NIP},Pemprov Sumsel,Sekretaris Daerah,WIB,,,",
        f"coach,Dr. {COACH_NAME},{COACH_NIP},BPSDM Sumsel,Widyaiswara,WIB,,,",
    ]
    for i in range(n):
        lines.append(
            f"peserta,Peserta Nomor {i + 1},{participant_nip(i)},Dinas {i + 1},Kepala Bidang,WIB,"
            f"{MENTOR_NIP},{COACH_NIP},Proyek Perubahan {i + 1}"
        )
    return "\n".join(lines)


async def seed(engine: AsyncEngine, n: int, now: datetime) -> dict[str, str]:
    """Import the cohort and one milestone per participant; returns invite codes by NIP."""
    rows = parse_cohort_csv(roster_csv(n).encode(), default_zone=WIB, today=now.date())
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await import_cohort(session, COHORT, rows, now=now, actor_label="bench", organizer="BPSDM")
        codes = {line.nip: line.code for line in await invites_for(session, COHORT)}
    async with sessions() as session, session.begin():
        people = await session.scalars(select(Person).where(Person.nip.is_not(None)))
        for person in people:
            if person.nip in (MENTOR_NIP, COACH_NIP):
                continue
            await add_milestone(
                session,
                person.id,
                title=MILESTONE_TITLE,
                horizon=Horizon.SHORT,
                due_on=now.date() + timedelta(days=30),
                expected_output="Notulen rapat",
                today=now.date(),
                now=now,
            )
    return codes


# --- databases ----------------------------------------------------------------------------


def database(kind: str, server_url: str) -> AbstractAsyncContextManager[str]:
    """A fresh, empty database URL for this benchmark; removed afterwards."""
    return scratch_database(kind, server_url, BENCH_DATABASE)


# --- simulated users ----------------------------------------------------------------------

Reply = tuple[float, BotMessage]


# Edits that change what the user reads. After a button press the bot turns the pressed prompt
# into the next question (editMessageText) instead of sending a new message; that edit is the
# reply. An edit that only takes buttons away (editMessageReplyMarkup) is not.
TEXT_EDITS = frozenset({"editMessageText", "editMessageCaption"})


class Replies:
    """Every reply the bot gives, queued per chat and time-stamped when the server stores it:
    a new message, or an edit that changes a message's text.

    A listener instead of FakeUser.next_reply(): next_reply() wakes every waiting user on every
    API call (O(users) per call), load-generator work that would be charged to the bot under
    test, which makes more API calls per update than the echo baseline.
    """

    def __init__(self, server: FakeTelegram) -> None:
        self._queues: dict[int, asyncio.Queue[Reply]] = {}
        server.add_listener(self._on_event)

    def queue(self, chat_id: int) -> asyncio.Queue[Reply]:
        return self._queues.setdefault(chat_id, asyncio.Queue())

    def _on_event(self, kind: str, message: BotMessage) -> None:
        if kind == "sent" or (
            kind == "edited" and message.edits and message.edits[-1].edited_by in TEXT_EDITS
        ):
            self.queue(message.chat_id).put_nowait((time.perf_counter(), message))


@dataclass
class Actor:
    """One simulated user who acts, then waits for the bot's next message in its chat."""

    user: FakeUser
    replies: asyncio.Queue[Reply]
    step_timeout: float
    samples: list[tuple[str, float]] = field(default_factory=list)

    async def act(self, step: str, action: Callable[[], object]) -> BotMessage:
        if not self.replies.empty():
            _, stray = self.replies.get_nowait()
            raise BenchError(f"user {self.user.id}: unexpected message before {step}: {stray}")
        started = time.perf_counter()
        action()
        try:
            arrived, message = await asyncio.wait_for(self.replies.get(), self.step_timeout)
        except TimeoutError:
            raise BenchError(f"user {self.user.id}: no reply to {step} in time") from None
        self.samples.append((step, arrived - started))
        return message

    async def then(self, step: str) -> BotMessage:
        """The next reply to the same action (not timed)."""
        try:
            _, message = await asyncio.wait_for(self.replies.get(), self.step_timeout)
        except TimeoutError:
            raise BenchError(f"user {self.user.id}: no second reply to {step} in time") from None
        return message


def actor(server: FakeTelegram, replies: Replies, user_id: int, timeout: float) -> Actor:
    user = server.user(user_id, f"User{user_id}")
    return Actor(user, replies.queue(user_id), timeout)


@dataclass
class CalibratingActor(Actor):
    """Acts alone and waits until the bot is idle after each step, recording every call the bot
    made for it: the script the like-for-like bot replays."""

    server: FakeTelegram | None = None
    settle: Callable[[], Any] | None = None
    recording: Recording = field(default_factory=Recording)

    async def act(self, step: str, action: Callable[[], object]) -> BotMessage:
        assert self.server is not None and self.settle is not None
        done: list[object] = []
        before = len(self.server.calls)
        message = await super().act(step, lambda: done.append(action()))
        await self.settle()
        sent = done[0]
        self.recording.record_step(
            self.server.calls[before:],
            user_chat=self.user.id,
            pressed_message=sent.message_id if isinstance(sent, CallbackPress) else None,
            user_file_id=sent.file_id if isinstance(sent, UserMessage) else None,
        )
        return message


async def onboard(person: Actor, code: str) -> None:
    consent = await person.act("start", lambda: person.user.send(f"/start {code}"))
    await person.act("consent", lambda: person.user.press(consent, "Setuju"))
    await person.then("consent")  # the consent text records the consent; then the welcome


async def report(person: Actor, photos: int) -> BotMessage:
    """The whole /lapor flow, as tests/integration/test_reports.py report() does it."""
    user = person.user
    chooser = await person.act("/lapor", lambda: user.send("/lapor"))
    buttons = [b for b in chooser.button_texts if b.startswith(MILESTONE_TITLE)]
    if not buttons:
        raise BenchError(f"user {user.id}: no milestone button in {chooser.button_texts}")
    button = buttons[0]
    await person.act("milestone", lambda: user.press(chooser, button))
    prompt = await person.act("text", lambda: user.send(REPORT_TEXT))
    if not photos:  # kendala and rencana berikutnya: skipped (a photo moves past them too)
        for step in ("obstacles", "next steps"):
            prompt = await person.act(step, lambda asked=prompt: user.press(asked, "Lewati"))
    for _ in range(photos):
        prompt = await person.act("photo", lambda: user.send_photo(TINY_JPEG))
    done = "Selesai" if photos else "Lewati"
    percent = await person.act("evidence", lambda: user.press(prompt, done))
    summary = await person.act("percent", lambda: user.press(percent, PERCENT))
    return await person.act("send", lambda: user.press(summary, "Kirim"))


def updates_per_report(photos: int) -> int:
    return 6 + photos + (0 if photos else 2)


# --- measuring ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, q in 0..100."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Phase:
    """One timed batch: wall time and per-update latencies (seconds)."""

    updates: int
    wall: float
    cpu: float  # CPU seconds of this whole process (bot, fake server, users, driver threads)
    samples: list[tuple[str, float]]

    @property
    def latencies(self) -> list[float]:
        return [s for _, s in self.samples]

    @property
    def updates_per_s(self) -> float:
        return self.updates / self.wall

    def ms(self, q: float, step: str | None = None) -> float:
        values = [s for k, s in self.samples if step is None or k == step]
        return percentile(values, q) * 1000


class Profile:
    """Optional profiler around the timed phase only: pyinstrument (sampling) or cProfile."""

    def __init__(self, path: Path | None, kind: str) -> None:
        self.path, self.kind = path, kind
        self._cprofile: cProfile.Profile | None = None
        self._pyinstrument: Any = None

    def start(self) -> None:
        if self.path is None:
            return
        if self.kind == "pyinstrument":
            from pyinstrument import Profiler

            self._pyinstrument = Profiler(interval=0.001, async_mode="disabled")
            self._pyinstrument.start()
        else:
            self._cprofile = cProfile.Profile()
            self._cprofile.enable()

    def stop(self) -> None:
        if self.path is None:
            return
        if self._pyinstrument is not None:
            self._pyinstrument.stop()
            session = self._pyinstrument.last_session
            own: Counter[str] = Counter()
            frames = [session.root_frame()] if session is not None else []
            while frames:
                frame = frames.pop()
                if frame is None:
                    continue
                if not frame.is_synthetic:  # "[self]"/"[await]" leaves are in total_self_time
                    own[package_of(frame.file_path or "")] += frame.total_self_time
                frames.extend(frame.children)
            tree = self._pyinstrument.output_text(unicode=True, show_all=False)
            self.path.write_text(own_time_table(own, "pyinstrument samples") + tree)
            if session is not None:
                # The whole session too, for other views: `pyinstrument --load FILE -r html`.
                session.save(self.path.with_suffix(".pyisession"))
        elif self._cprofile is not None:
            self._cprofile.disable()
            out = io.StringIO()
            stats = pstats.Stats(self._cprofile, stream=out)
            out.write(self.by_package(stats))
            stats.sort_stats("tottime").print_stats(60)
            stats.sort_stats("cumulative").print_stats(80)
            self.path.write_text(out.getvalue())

    @staticmethod
    def by_package(stats: pstats.Stats) -> str:
        """Own time (tottime) summed per top-level package, the first thing to look at."""
        raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
        own: Counter[str] = Counter()
        for (filename, _, _), (_, _, tottime, _, _) in raw.items():
            own[package_of(filename)] += tottime
        return own_time_table(own, "cProfile tottime")


def own_time_table(own: Counter[str], source: str) -> str:
    total = sum(own.values()) or 1.0
    rows = [
        f"{name:28}{seconds:9.3f} s {100 * seconds / total:6.1f} %"
        for name, seconds in own.most_common()
        if seconds >= 0.0005
    ]
    return f"own time by package ({source})\n" + "\n".join(rows) + "\n\n"


APP_PACKAGES = ("bot", "handlers", "services", "domain", "models", "scheduler")


def package_of(filename: str) -> str:
    """'sqlalchemy', 'telegram', 'app:handlers', 'fakegram', 'stdlib:asyncio', ... for a path."""
    if filename.startswith("<frozen"):
        return "stdlib:importlib (frozen)"
    if not filename or filename.startswith(("<", "~")):
        return "builtins/C"
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    root = Path(__file__).resolve().parents[1]
    try:
        relative = Path(filename).resolve().relative_to(root).parts
    except ValueError:
        stdlib = [p for p in parts if p.startswith("python3")]
        if stdlib:
            rest = parts[parts.index(stdlib[-1]) + 1 :]
            return "stdlib:" + (rest[0].removesuffix(".py") if rest else "?")
        return "other"
    top = relative[0].removesuffix(".py")
    return f"app:{top}" if top in APP_PACKAGES else top


@dataclass
class BotRun:
    phase: Phase
    problems: list[str]
    calls: Counter[str]
    statements: int
    recording: Recording


async def count(engine: AsyncEngine, model: type, *where: Any) -> int:
    async with session_factory(engine)() as session:
        query = select(func.count()).select_from(model)
        if where:
            query = query.where(*where)
        return int(await session.scalar(query) or 0)


def bench_settings() -> Settings:
    """Defaults, except UPDATE_CONCURRENCY from the environment (1 = sequential, as before)."""
    return Settings.from_mapping({"UPDATE_CONCURRENCY": os.environ.get("UPDATE_CONCURRENCY", "")})


async def run_bot(url: str, n: int, photos: int, step_timeout: float, profile: Profile) -> BotRun:
    """The real Application on a fresh database: onboard everyone, record one calibration
    report for the like-for-like bot, then time n reports."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        now = datetime.now(UTC)
        codes = await seed(engine, n + 1, now)  # the last participant is the calibration one
        statements = 0

        def count_statement(*_: object) -> None:
            nonlocal statements
            statements += 1

        async with (
            FakeTelegram(bot_username="properbot_bench_bot") as server,
            running_bot(server, bench_settings(), clock=SystemClock(), engine=engine) as bot,
        ):
            replies = Replies(server)
            mentor = actor(server, replies, MENTOR_ID, step_timeout)
            coach = actor(server, replies, COACH_ID, step_timeout)
            people = [
                actor(server, replies, FIRST_PARTICIPANT_ID + i, step_timeout) for i in range(n)
            ]
            calibration_user = actor(server, replies, FIRST_PARTICIPANT_ID + n, step_timeout)
            everyone = [mentor, coach, *people, calibration_user]
            nips = [MENTOR_NIP, COACH_NIP] + [participant_nip(i) for i in range(n + 1)]
            async with asyncio.TaskGroup() as group:
                for person, nip in zip(everyone, nips, strict=True):
                    group.create_task(onboard(person, codes[nip]))
            await bot.settle(timeout=step_timeout)
            joined = await count(engine, ChannelAccount)
            if joined != n + 3:
                raise BenchError(f"{joined} people joined, expected {n + 3}")
            calibration = CalibratingActor(
                calibration_user.user,
                calibration_user.replies,
                step_timeout,
                server=server,
                settle=functools.partial(bot.settle, timeout=step_timeout),
            )
            await report(calibration, photos)
            await bot.settle(timeout=step_timeout)
            for person in people:
                person.samples.clear()
            calls_before = len(server.calls)
            event.listen(engine.sync_engine, "before_cursor_execute", count_statement)

            profile.start()
            started, cpu_started = time.perf_counter(), time.process_time()
            async with asyncio.TaskGroup() as group:
                finals = [group.create_task(report(p, photos)) for p in people]
            # Relays leave through the delivery queue once each report commits; the baselines
            # make the same calls inline, so the timed phase ends when the advisors have them.
            await bot.settle(timeout=step_timeout)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            profile.stop()

            event.remove(engine.sync_engine, "before_cursor_execute", count_statement)
            calls = Counter(c.method for c in server.calls[calls_before:])
            problems = [f"refused API call: {c.method} {c.description}" for c in server.errors]
            # Wording-independent: the confirmation names both advisors, and each relay
            # carries the participant's own text.
            lost = [
                p.user.id
                for p, final in zip(people, finals, strict=True)
                if not all(
                    name in (final.result().plain or "") for name in (MENTOR_NAME, COACH_NAME)
                )
            ]
            if lost:
                problems.append(f"{len(lost)} reports not confirmed as relayed, e.g. {lost[:5]}")
            relays = sum(
                1
                for advisor in (mentor, coach)
                for m in advisor.user.inbox
                if REPORT_TEXT in (m.plain or "")
            )
            if relays != 2 * (n + 1):
                problems.append(
                    f"{relays} relayed reports in advisors' chats, expected {2 * (n + 1)}"
                )
        # Every count includes the calibration report.
        reports = n + 1
        saved = await count(engine, ProgressUpdate)
        if saved != reports:
            problems.append(f"{saved} progress_update rows, expected {reports}")
        relayed = await count(engine, RelayedMessage, RelayedMessage.note_id.is_(None))
        if relayed != 2 * reports * (1 + photos):
            problems.append(
                f"{relayed} relayed_message rows, expected {2 * reports * (1 + photos)}"
            )
        evidence = await count(engine, Evidence)
        if evidence != reports * photos:
            problems.append(f"{evidence} evidence rows, expected {reports * photos}")
        samples = [s for p in people for s in p.samples]
        phase = Phase(n * updates_per_report(photos), wall, cpu, samples)
        return BotRun(phase, problems, calls, statements, calibration.recording)
    finally:
        await engine.dispose()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


async def run_baseline(users: int, per_user: int, step_timeout: float) -> tuple[Phase, list[str]]:
    """A bare PTB echo bot polling a fresh fake server: users x per_user texts, each echoed."""
    async with FakeTelegram(bot_username="echo_bench_bot") as server:
        app = (
            Application.builder()
            .token(server.token)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
        app.add_handler(MessageHandler(filters.TEXT, echo))
        replies = Replies(server)
        people = [
            actor(server, replies, FIRST_PARTICIPANT_ID + i, step_timeout) for i in range(users)
        ]

        async def chat(person: Actor, texts: Iterable[str]) -> list[str]:
            wrong = []
            for text in texts:
                answer = await person.act("echo", functools.partial(person.user.send, text))
                if answer.text != text:
                    wrong.append(f"user {person.user.id}: echo {answer.text!r} for {text!r}")
            return wrong

        async with app:
            assert app.updater is not None
            await app.start()
            await app.updater.start_polling(
                poll_interval=POLL_INTERVAL, timeout=POLL_TIMEOUT, drop_pending_updates=False
            )
            try:
                async with asyncio.TaskGroup() as group:  # warm-up, like onboarding for the bot
                    for person in people:
                        group.create_task(chat(person, ["/start"]))
                for person in people:
                    person.samples.clear()
                started, cpu_started = time.perf_counter(), time.process_time()
                async with asyncio.TaskGroup() as group:
                    tasks = [
                        group.create_task(
                            chat(p, [f"Pesan {k + 1}: {REPORT_TEXT}" for k in range(per_user)])
                        )
                        for p in people
                    ]
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            finally:
                await app.updater.stop()
                await app.stop()
        problems = [w for t in tasks for w in t.result()]
        problems += [f"refused API call: {c.method} {c.description}" for c in server.errors]
    samples = [s for p in people for s in p.samples]
    return Phase(users * per_user, wall, cpu, samples), problems


def api_calls(server: FakeTelegram) -> int:
    """Bot API calls the server has answered, polling left out."""
    return sum(1 for c in server.calls if c.method != "getUpdates")


async def run_like_for_like(
    recording: Recording, n: int, photos: int, step_timeout: float
) -> tuple[Phase, list[str]]:
    """The bare bot replaying properbot's recorded calls: the same users, the same /lapor flow
    driven by the same report(), the same per-user update processor."""
    async with FakeTelegram(bot_username="likeforlike_bench_bot") as server:
        app = like_for_like_application(
            server.token,
            server.base_url,
            server.base_file_url,
            recording,
            bench_settings().update_concurrency,
        )
        replies = Replies(server)
        mentor = actor(server, replies, MENTOR_ID, step_timeout)
        coach = actor(server, replies, COACH_ID, step_timeout)
        people = [actor(server, replies, FIRST_PARTICIPANT_ID + i, step_timeout) for i in range(n)]
        async with app:
            assert app.updater is not None
            await app.start()
            await app.updater.start_polling(
                poll_interval=POLL_INTERVAL, timeout=POLL_TIMEOUT, drop_pending_updates=False
            )
            try:
                async with asyncio.TaskGroup() as group:  # opens every chat, like onboarding
                    for person in [mentor, coach, *people]:
                        group.create_task(
                            person.act("start", functools.partial(person.user.send, "/start"))
                        )
                for person in people:
                    person.samples.clear()
                calls_before = api_calls(server)
                started, cpu_started = time.perf_counter(), time.process_time()
                async with asyncio.TaskGroup() as group:
                    for person in people:
                        group.create_task(report(person, photos))
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
                # The last replies may arrive before the step's last calls (as in properbot):
                # wait for them, outside the timed phase, before checking the count.
                expected = calls_before + len(people) * recording.calls
                await server.wait_for(lambda: api_calls(server) >= expected, timeout=step_timeout)
            finally:
                await app.updater.stop()
                await app.stop()
        made = api_calls(server) - calls_before
        problems = [f"refused API call: {c.method} {c.description}" for c in server.errors]
        if made < n * recording.calls:
            problems.append(f"{made} Bot API calls, expected {n * recording.calls}")
    samples = [s for p in people for s in p.samples]
    return Phase(n * updates_per_report(photos), wall, cpu, samples), problems


# --- report -------------------------------------------------------------------------------


def table(args: argparse.Namespace, bot: BotRun, baseline: Phase, like: Phase) -> str:
    b, n = bot.phase, args.n
    per_report = updates_per_report(args.photos)
    ratio = b.updates_per_s / baseline.updates_per_s
    like_ratio = b.updates_per_s / like.updates_per_s
    lines = [
        f"properbot /lapor benchmark: db={args.db} n={n} photos={args.photos} "
        f"({per_report} updates per report, {b.updates} updates; {n} concurrent users; "
        f"UPDATE_CONCURRENCY={bench_settings().update_concurrency}; "
        f"load average at start {args.load:.2f} on {os.cpu_count()} CPUs)",
        "",
        f"{'':22}{'wall s':>8}{'CPU %':>7}{'reports/s':>11}{'updates/s':>11}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}",
        f"{'properbot reports':22}{b.wall:8.2f}{100 * b.cpu / b.wall:7.0f}{n / b.wall:11.2f}"
        f"{b.updates_per_s:11.1f}{b.ms(50):9.1f}{b.ms(95):9.1f}{b.ms(100):9.1f}",
        f"{'echo bot (baseline)':22}{baseline.wall:8.2f}{100 * baseline.cpu / baseline.wall:7.0f}"
        f"{'-':>11}{baseline.updates_per_s:11.1f}"
        f"{baseline.ms(50):9.1f}{baseline.ms(95):9.1f}{baseline.ms(100):9.1f}",
        f"{'like-for-like bot':22}{like.wall:8.2f}{100 * like.cpu / like.wall:7.0f}"
        f"{n / like.wall:11.2f}{like.updates_per_s:11.1f}"
        f"{like.ms(50):9.1f}{like.ms(95):9.1f}{like.ms(100):9.1f}",
        "",
        f"ratio updates/s properbot / echo: {ratio:.3f} "
        f"(issue 3's target >= {TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'NOT met'})",
        f"ratio updates/s properbot / like-for-like: {like_ratio:.3f} (target >= "
        f"{TARGET_LIKE_FOR_LIKE}: {'met' if like_ratio >= TARGET_LIKE_FOR_LIKE else 'NOT met'})",
        f"CPU per update (ms): properbot {1000 * b.cpu / b.updates:.2f}, "
        f"like-for-like {1000 * like.cpu / like.updates:.2f}, "
        f"echo {1000 * baseline.cpu / baseline.updates:.2f}",
        "",
        "latency per step (ms):  "
        + "  ".join(
            f"{step} p50 {b.ms(50, step):.0f} / p95 {b.ms(95, step):.0f}"
            for step in dict.fromkeys(k for k, _ in b.samples)
        ),
        "per update: "
        f"{sum(bot.calls.values()) / b.updates:.2f} Bot API calls "
        f"({', '.join(f'{m} {c / b.updates:.2f}' for m, c in bot.calls.most_common())}), "
        f"{bot.statements / b.updates:.1f} SQL statements",
    ]
    return "\n".join(lines)


def summary(args: argparse.Namespace, bot: BotRun, baseline: Phase, like: Phase) -> dict[str, Any]:
    b = bot.phase
    ratio = b.updates_per_s / baseline.updates_per_s
    like_ratio = b.updates_per_s / like.updates_per_s
    return {
        "db": args.db,
        "n": args.n,
        "photos": args.photos,
        "updates": b.updates,
        "wall_s": round(b.wall, 3),
        "cpu_s": round(b.cpu, 3),
        "reports_per_s": round(args.n / b.wall, 2),
        "updates_per_s": round(b.updates_per_s, 1),
        "p50_ms": round(b.ms(50), 1),
        "p95_ms": round(b.ms(95), 1),
        "baseline_wall_s": round(baseline.wall, 3),
        "baseline_cpu_s": round(baseline.cpu, 3),
        "baseline_updates_per_s": round(baseline.updates_per_s, 1),
        "baseline_p50_ms": round(baseline.ms(50), 1),
        "baseline_p95_ms": round(baseline.ms(95), 1),
        "ratio": round(ratio, 3),
        "like_wall_s": round(like.wall, 3),
        "like_cpu_s": round(like.cpu, 3),
        "like_updates_per_s": round(like.updates_per_s, 1),
        "like_p95_ms": round(like.ms(95), 1),
        "like_ratio": round(like_ratio, 3),
        "like_target": TARGET_LIKE_FOR_LIKE,
        "like_target_met": like_ratio >= TARGET_LIKE_FOR_LIKE,
        "cpu_ms_per_update": round(1000 * b.cpu / b.updates, 2),
        "like_cpu_ms_per_update": round(1000 * like.cpu / like.updates, 2),
        "baseline_cpu_ms_per_update": round(1000 * baseline.cpu / baseline.updates, 2),
        "load_avg_1m": round(args.load, 2),
        "update_concurrency": bench_settings().update_concurrency,
        "target_ratio": TARGET_RATIO,
        "target_met": ratio >= TARGET_RATIO,
        "api_calls_per_update": round(sum(bot.calls.values()) / b.updates, 2),
        "sql_per_update": round(bot.statements / b.updates, 1),
    }


async def main_async(args: argparse.Namespace) -> int:
    profile = Profile(args.profile, args.profiler)
    async with database(args.db, args.postgres) as url:
        async with asyncio.timeout(args.timeout):
            bot = await run_bot(url, args.n, args.photos, args.step_timeout, profile)
            per_user = updates_per_report(args.photos)
            baseline, baseline_problems = await run_baseline(args.n, per_user, args.step_timeout)
            like, like_problems = await run_like_for_like(
                bot.recording, args.n, args.photos, args.step_timeout
            )
    print(table(args, bot, baseline, like))
    problems = (
        bot.problems
        + [f"baseline: {p}" for p in baseline_problems]
        + [f"like-for-like: {p}" for p in like_problems]
    )
    for problem in problems:
        print(f"LOST/WRONG: {problem}")
    if args.profile is not None:
        print(f"profile of the timed report phase ({args.profiler}): {args.profile}")
    result = summary(args, bot, baseline, like)
    result["ok"] = not problems
    print(json.dumps(result), flush=True)
    return 0 if not problems else 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--n", type=int, default=50, help="participants, one report each")
    parser.add_argument("--photos", type=int, default=1, help="photos per report (default 1)")
    parser.add_argument(
        "--postgres",
        default=POSTGRES_SERVER,
        help=f"server to create/drop the {BENCH_DATABASE!r} database on",
    )
    parser.add_argument("--timeout", type=float, default=900, help="whole run, seconds")
    parser.add_argument("--step-timeout", type=float, default=120, help="one reply, seconds")
    parser.add_argument("--profile", type=Path, help="write a profile of the timed phase here")
    parser.add_argument("--profiler", choices=("pyinstrument", "cprofile"), default="cprofile")
    args = parser.parse_args(argv)
    if not 1 <= args.n <= MAX_N:
        parser.error(f"--n must be 1..{MAX_N}")
    if not 0 <= args.photos <= 10:
        parser.error("--photos must be 0..10")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.load = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(main_async(args))
    except (TimeoutError, BenchError, ExceptionGroup) as exc:
        reason = "overall timeout" if isinstance(exc, TimeoutError) else repr(exc)
        print(f"benchmark failed: {reason}", file=sys.stderr)
        print(json.dumps({"db": args.db, "n": args.n, "ok": False, "error": reason}))
        return 2


if __name__ == "__main__":
    sys.exit(main())
