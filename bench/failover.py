"""Benchmark: `properbot run` instances on one PostgreSQL, the active worker killed mid-stream.

Two instances (a, b) behind a round-robin proxy receive the fake server's webhook posts; the
bench's 50 participants join, send /lapor reports with photos (two photos at once, a burst in
one lane), and their mentor and coach answer each relayed report. Meanwhile the active worker
is killed with SIGKILL three times and restarted as a standby. Afterwards it checks:

- lost: updates posted by the fake server with no inbox row handled (status done);
- recorded twice: reports, notes, and inbox rows beyond one per update;
- order: in each lane (person), rows finished in the order they arrived;
- relays lost: a report or note without its relay to each recipient;
- takeover: from each kill to the new worker being active, and to its first update handled;
- answers: `answers_skipped` counts answers a person did not wait for (an answer repeated by an
  update handled again, and a step's second answer such as the receipt's), `answers_missing`
  the evidence prompts lost to a kill after their commit (the person then read the chat);
- rate: the most sender deliveries in any one-second window, against DELIVERY_RATE_PER_S plus
  the limiter's burst (counted from the fake server's log: messages to the advisors while
  reports flow, and to the participants while the advisors answer).

The last line of the output is one JSON object with these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _bench_path  # noqa: F401 (first: the project's packages before bench/)
import aiohttp
from aiohttp import web
from scratch import scratch_database
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from updates import (
    COACH_ID,
    COACH_NIP,
    FIRST_PARTICIPANT_ID,
    MENTOR_ID,
    MENTOR_NIP,
    MILESTONE_TITLE,
    PERCENT,
    REPORT_TEXT,
    BenchError,
    Replies,
    participant_nip,
    seed,
)

from fakegram import TINY_JPEG, BotMessage, FakeTelegram, FakeUser
from models import (
    FeedbackNote,
    InboxUpdate,
    OutboxMessage,
    ProgressUpdate,
    RelayedMessage,
    WorkerFlag,
)
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services.coordination import ACTIVE_WORKER

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "properbot_failover"
URL = "https://bot.bpsdm.example.go.id/telegram/webhook"
SECRET = "rahasia_Failover-2026"
TOKEN = "424242424:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
PHOTOS = 2
FEEDBACK = "Baik, lanjutkan. Mohon lampirkan notulen berikutnya."


# --- the instances and the proxy in front of them -----------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    letter: str
    port: int
    generation: int = 0
    process: asyncio.subprocess.Process | None = None

    @property
    def name(self) -> str:
        return f"{self.letter}{self.generation}"


class Fleet:
    """`properbot run` processes, each on a fixed port, so a restart takes its old place."""

    def __init__(self, env: dict[str, str], letters: str, log_dir: Path) -> None:
        self.env = env
        self.instances = {letter: Instance(letter, free_port()) for letter in letters}
        self.log_dir = log_dir

    async def start(self, letter: str) -> None:
        instance = self.instances[letter]
        instance.generation += 1
        log = (self.log_dir / f"{instance.name}.log").open("wb")
        instance.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            cwd=self.log_dir,
            env={**self.env, "WEB_PORT": str(instance.port), "INSTANCE_NAME": instance.name},
            stdout=log, stderr=log,
        )  # fmt: skip
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(f"http://127.0.0.1:{instance.port}/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if instance.process.returncode is not None:
                    raise BenchError(f"instance {instance.name} ended at start; see its log")
                await asyncio.sleep(0.1)
        raise BenchError(f"instance {instance.name} did not start")

    def by_name(self, name: str) -> Instance:
        for instance in self.instances.values():
            if instance.name == name:
                return instance
        raise BenchError(f"no running instance is called {name}")

    async def stop_all(self) -> None:
        for instance in self.instances.values():
            process = instance.process
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for instance in self.instances.values():
            if instance.process is not None:
                await asyncio.wait_for(instance.process.wait(), 60)


class Proxy:
    """The TLS-terminating reverse proxy of a deployment: each post to the next instance that
    answers (round robin), so a killed instance costs a retry, never a lost post."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.next = 0
        self.failovers = 0
        self.runner: web.AppRunner | None = None
        self.http: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self.forward)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def forward(self, request: web.Request) -> web.Response:
        assert self.http is not None
        body = await request.read()
        ports = [i.port for i in self.fleet.instances.values()]
        for attempt in range(len(ports)):
            port = ports[(self.next + attempt) % len(ports)]
            try:
                async with self.http.post(
                    f"http://127.0.0.1:{port}{request.path}", data=body, headers=request.headers
                ) as answer:
                    payload = await answer.read()
                    self.next = (self.next + attempt + 1) % len(ports)
                    return web.Response(body=payload, status=answer.status)
            except (aiohttp.ClientError, TimeoutError):
                self.failovers += 1
        return web.Response(status=502)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.http is not None:
            await self.http.close()


# --- simulated people -------------------------------------------------------------------


Wanted = Any  # a predicate on the answer a step waits for


def anything(message: BotMessage) -> bool:
    return True


def with_button(prefix: str) -> Wanted:
    return lambda m: any(b.startswith(prefix) for b in m.button_texts)


def files_received(message: BotMessage) -> int:
    found = re.search(r"(\d+) berkas", message.plain or "")
    return int(found.group(1)) if found and "Selesai" in message.button_texts else 0


# How long an answer that may have been lost (sent after its update's last commit, when the
# worker was killed in between) is waited for before the person reads the chat instead.
LOST_ANSWER_S = 30.0


@dataclass
class Person:
    """Acts, then waits for the answer its step expects; other answers (an answer repeated by
    an update handled again after a kill) are counted and skipped."""

    user: FakeUser
    server: FakeTelegram
    replies: asyncio.Queue[tuple[float, BotMessage]]
    timeout: float
    repeated: list[int]
    missing: list[int]
    updates: int = 0

    async def _next(self, step: str, wanted: Wanted = anything) -> BotMessage:
        while True:
            try:
                _, message = await asyncio.wait_for(self.replies.get(), self.timeout)
            except TimeoutError:
                raise BenchError(f"user {self.user.id}: no answer to {step} in time") from None
            if wanted(message):
                return message
            self.repeated[0] += 1

    async def act(self, step: str, action: Any, wanted: Wanted = anything) -> BotMessage:
        self.updates += 1
        action()
        return await self._next(step, wanted)

    async def send_photos(self, n: int) -> BotMessage:
        """Several photos at once; the evidence prompt that counts them all, or, when its last
        answer was lost, the newest evidence prompt in the chat."""
        for _ in range(n):
            self.updates += 1
            self.user.send_photo(TINY_JPEG)
        deadline = time.monotonic() + self.timeout
        newest: BotMessage | None = None
        while time.monotonic() < deadline:
            try:
                _, message = await asyncio.wait_for(self.replies.get(), LOST_ANSWER_S)
            except TimeoutError:
                if newest is not None:
                    self.missing[0] += 1
                    return newest
                continue
            if files_received(message) >= n:
                return message
            if files_received(message):
                newest = message
            else:
                self.repeated[0] += 1
        raise BenchError(f"user {self.user.id}: no evidence prompt in time")

    def leftovers(self) -> int:
        """Answers nobody waited for: repeats that came after the person had moved on."""
        return self.replies.qsize()


async def onboard(person: Person, code: str) -> None:
    user = person.user
    consent = await person.act("start", lambda: user.send(f"/start {code}"), with_button("Setuju"))
    await person.act("consent", lambda: user.press(consent, "Setuju"))
    await person._next("welcome")


async def report(person: Person) -> None:
    user = person.user
    chooser = await person.act("/lapor", lambda: user.send("/lapor"), with_button(MILESTONE_TITLE))
    button = next(b for b in chooser.button_texts if b.startswith(MILESTONE_TITLE))
    await person.act("milestone", lambda: user.press(chooser, button))
    await person.act("text", lambda: user.send(REPORT_TEXT), with_button("Lewati"))
    prompt = await person.send_photos(PHOTOS)
    percent = await person.act(
        "evidence", lambda: user.press(prompt, "Selesai"), with_button(PERCENT)
    )
    summary = await person.act(
        "percent", lambda: user.press(percent, PERCENT), with_button("Kirim")
    )
    await person.act("send", lambda: user.press(summary, "Kirim"))


def relayed_reports(server: FakeTelegram, chat_id: int) -> list[BotMessage]:
    """The text part of each relayed report in an advisor's chat (it carries the buttons)."""
    return [m for m in server.sent_to(chat_id) if m.button_texts and REPORT_TEXT in (m.plain or "")]


# --- measuring ---------------------------------------------------------------------------


async def scalar(engine: AsyncEngine, query: Any) -> Any:
    async with session_factory(engine)() as session:
        return await session.scalar(query)


async def count(engine: AsyncEngine, model: type, *where: Any) -> int:
    return int(await scalar(engine, select(func.count()).select_from(model).where(*where)) or 0)


async def wait_until(check: Any, what: str, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not await check():
        if time.monotonic() > deadline:
            raise BenchError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


@dataclass
class Kill:
    killed: str
    at: float
    active_after_s: float | None = None
    first_update_after_s: float | None = None
    new_worker: str | None = None


@dataclass
class Killer:
    """Kills the active worker when the fake server has posted `at` updates, then restarts it."""

    fleet: Fleet
    engine: AsyncEngine
    server: FakeTelegram
    thresholds: list[int]
    kills: list[Kill] = field(default_factory=list)

    def posted(self) -> int:
        return sum(1 for post in self.server.webhook_posts if post.ok)

    async def run(self) -> None:
        for threshold in self.thresholds:
            while self.posted() < threshold:  # noqa: ASYNC110 - the fake server's log, no event
                await asyncio.sleep(0.05)
            holder = await scalar(
                self.engine, select(WorkerFlag.holder).where(WorkerFlag.name == ACTIVE_WORKER)
            )
            victim = self.fleet.by_name(holder)
            assert victim.process is not None
            victim.process.send_signal(signal.SIGKILL)
            kill = Kill(killed=holder, at=time.time())
            self.kills.append(kill)
            await victim.process.wait()
            print(f"killed the active worker {holder} after {self.posted()} posts", flush=True)
            await self.fleet.start(victim.letter)  # back as a standby
            await wait_until(lambda k=kill: self._taken(k), "a new active worker", 120)

    async def _taken(self, kill: Kill) -> bool:
        async with session_factory(self.engine)() as session:
            row = await session.get(WorkerFlag, ACTIVE_WORKER)
            if row is None or row.holder == kill.killed:
                return False
            kill.new_worker = row.holder
            # When the new worker wrote the flag, not when this loop saw it: the restart of
            # the killed instance (above) can take longer than the takeover itself.
            kill.active_after_s = round(row.updated_at.timestamp() - kill.at, 2)
            return row.updated_at.timestamp() > kill.at


async def lane_order_violations(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        rows = (
            await session.execute(
                select(InboxUpdate.lane, InboxUpdate.id, InboxUpdate.done_at).order_by(
                    InboxUpdate.id
                )
            )
        ).all()
    last: dict[str, datetime] = {}
    violations = 0
    for lane, _, done_at in rows:
        if done_at is None:
            continue
        if lane in last and done_at < last[lane]:
            violations += 1
        last[lane] = done_at
    return violations


def max_per_second(moments: list[float], weights: list[int]) -> int:
    """The most messages in any window of one second (two pointers over sorted moments)."""
    pairs = sorted(zip(moments, weights, strict=True))
    best = total = start = 0
    for end in range(len(pairs)):
        total += pairs[end][1]
        while pairs[end][0] - pairs[start][0] >= 1.0:
            total -= pairs[start][1]
            start += 1
        best = max(best, total)
    return best


SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup"}


def deliveries(server: FakeTelegram, chats: set[int], since: float, until: float) -> list[Any]:
    out = []
    for call in server.calls:
        if call.method not in SEND_METHODS or not call.ok or not since <= call.at <= until:
            continue
        if int(call.params.get("chat_id", 0)) in chats:
            out.append(call)
    return out


def weight(call: Any) -> int:
    if call.method == "sendMediaGroup":
        media = call.params.get("media")
        if isinstance(media, str):
            media = json.loads(media)
        return len(media or [])
    return 1


# --- the run ------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    async with scratch_database("postgresql", args.server, DATABASE) as url:
        engine = create_engine(url)
        try:
            await upgrade(engine)
            codes = await seed(engine, args.people, datetime.now(UTC))
            return await run(args, url, engine, codes)
        finally:
            await engine.dispose()


async def run(
    args: argparse.Namespace, url: str, engine: AsyncEngine, codes: dict[str, str]
) -> dict[str, Any]:
    log_dir = Path(args.logs).resolve()  # noqa: ASYNC240 - once, before anything runs
    log_dir.mkdir(parents=True, exist_ok=True)
    async with FakeTelegram(token=TOKEN, bot_username="properbot_failover_bot") as server:
        server.webhook_retry_delay = 0.2
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_ROOT": server.api_root,
            "DATABASE_URL": url,
            "TELEGRAM_WEBHOOK_URL": URL,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "DELIVERY_RATE_PER_S": str(args.rate),
            "DELIVERY_CHAT_RATE_PER_S": str(args.chat_rate),
            "LOG_LEVEL": args.log_level,
            "EVIDENCE_DIR": str(log_dir / "evidence"),
        }
        for name in ("LOG_FORMAT", "INSTANCE_NAME", "WEB_PORT"):
            env.pop(name, None)
        fleet = Fleet(env, "ab", log_dir)
        proxy = Proxy(fleet)
        await proxy.start()
        server.webhook_forward = proxy.url
        replies = Replies(server)
        repeated, missing = [0], [0]

        def person(user_id: int) -> Person:
            return Person(
                server.user(user_id, f"User{user_id}"), server, replies.queue(user_id),
                args.timeout, repeated, missing,
            )  # fmt: skip

        mentor, coach = person(MENTOR_ID), person(COACH_ID)
        people = [person(FIRST_PARTICIPANT_ID + i) for i in range(args.people)]
        started = time.time()
        try:
            for letter in "ab":
                await fleet.start(letter)
            await server.wait_for(lambda: server.webhook, timeout=60)
            # Updates: 50 x (3 + reports x (6 + photos)) + advisors' onboarding and answers.
            per_person = 2 + args.reports * (6 + PHOTOS)
            expected_total = args.people * per_person + 4 + args.people * args.reports * 2
            thresholds = [int(expected_total * f) for f in (0.2, 0.5, 0.9)]
            killer = Killer(fleet, engine, server, thresholds)
            killing = asyncio.create_task(killer.run())

            async def participant(p: Person, nip: str) -> None:
                try:
                    await onboard(p, codes[nip])
                    for _ in range(args.reports):
                        await report(p)
                except (BenchError, AssertionError):
                    print(server.transcript(p.user.id), file=sys.stderr)
                    raise

            await asyncio.gather(
                onboard(mentor, codes[MENTOR_NIP]), onboard(coach, codes[COACH_NIP])
            )
            phase1 = server.clock()
            await asyncio.gather(
                *(participant(p, participant_nip(i)) for i, p in enumerate(people))
            )
            reports = args.people * args.reports

            async def relayed() -> bool:
                pairs = select(func.count()).select_from(
                    select(RelayedMessage.update_id, RelayedMessage.recipient_id)
                    .where(RelayedMessage.note_id.is_(None))
                    .distinct()
                    .subquery()
                )
                return int(await scalar(engine, pairs) or 0) >= 2 * reports

            await wait_until(relayed, "every report relayed to both advisors", args.timeout * 4)
            phase2 = server.clock()
            notes = 0
            for advisor in (mentor, coach):
                for message in relayed_reports(server, advisor.user.id):
                    notes += 1
                    await advisor.act(
                        "feedback",
                        lambda m=message, a=advisor: a.user.send(FEEDBACK, reply_to=m),
                    )
            everyone = [mentor, coach, *people]

            async def settled() -> bool:
                stored = await count(engine, InboxUpdate)
                pending = await count(engine, InboxUpdate, InboxUpdate.status == "pending")
                noted = await count(engine, FeedbackNote)
                relayed = await count(engine, RelayedMessage, RelayedMessage.note_id.is_not(None))
                queued = await count(
                    engine, OutboxMessage, OutboxMessage.status.in_(("pending", "sending"))
                )
                sent = sum(p.updates for p in everyone)
                return (stored, pending, queued) == (sent, 0, 0) and min(noted, relayed) >= notes

            await wait_until(settled, "notes relayed and the queues empty", args.timeout * 4)
            end = server.clock()
            await killing
        except BaseException:
            # What an operator needs to see why: both advisors' chats and the inbox.
            for user_id in (MENTOR_ID, COACH_ID):
                print(server.transcript(user_id), file=sys.stderr)
            async with session_factory(engine)() as session:
                rows = await session.scalars(select(InboxUpdate).order_by(InboxUpdate.id))
                for row in rows:
                    print(row.update_id, row.lane, row.status, row.attempts, file=sys.stderr)
            print([(p.update_id, p.status, p.error) for p in server.webhook_posts], file=sys.stderr)
            raise
        finally:
            await fleet.stop_all()
            await proxy.stop()

        posted_ids = {p.update_id for p in server.webhook_posts if p.ok}
        async with session_factory(engine)() as session:
            rows = (await session.execute(select(InboxUpdate.update_id, InboxUpdate.status))).all()
            handled_again = int(
                await session.scalar(select(func.count()).where(InboxUpdate.attempts > 1)) or 0
            )
            first_done = [
                await session.scalar(
                    select(func.min(InboxUpdate.done_at)).where(
                        InboxUpdate.done_at > datetime.fromtimestamp(k.at, UTC)
                    )
                )
                for k in killer.kills
            ]
        done_ids = {u for u, s in rows if s == "done"}
        for kill, first in zip(killer.kills, first_done, strict=True):
            if first is not None:
                kill.first_update_after_s = round(first.timestamp() - kill.at, 2)
        sent_by_users = sum(p.updates for p in [mentor, coach, *people])
        progress = await count(engine, ProgressUpdate)
        relay_pairs = int(
            await scalar(
                engine,
                select(func.count()).select_from(
                    select(RelayedMessage.update_id, RelayedMessage.recipient_id)
                    .where(RelayedMessage.note_id.is_(None))
                    .distinct()
                    .subquery()
                ),
            )
            or 0
        )
        note_relays = int(
            await scalar(
                engine,
                select(func.count(func.distinct(RelayedMessage.note_id))).where(
                    RelayedMessage.note_id.is_not(None)
                ),
            )
            or 0
        )
        advisors = {MENTOR_ID, COACH_ID}
        participants = {p.user.id for p in people}
        sends = deliveries(server, advisors, phase1, phase2) + deliveries(
            server, participants, phase2, end
        )
        burst = max(1, math.ceil(args.rate / 10))
        peak = max_per_second([c.at for c in sends], [weight(c) for c in sends])
        takeovers = [k.first_update_after_s for k in killer.kills if k.first_update_after_s]
        return {
            "instances": len(fleet.instances),
            "people": args.people,
            "updates_sent": sent_by_users,
            "updates_posted": len(posted_ids),
            "inbox_rows": len(rows),
            "updates_lost": len(posted_ids - done_ids) + max(0, sent_by_users - len(posted_ids)),
            "updates_recorded_twice": len(rows) - len({u for u, _ in rows}),
            "reports": progress,
            "reports_expected": reports,
            "reports_recorded_twice": max(0, progress - reports),
            "notes": await count(engine, FeedbackNote),
            "notes_expected": notes,
            "notes_recorded_twice": max(0, await count(engine, FeedbackNote) - notes),
            "lane_order_violations": await lane_order_violations(engine),
            "relays_lost": (2 * reports - relay_pairs) + (notes - note_relays),
            "updates_handled_again": handled_again,
            "answers_missing": missing[0],
            "answers_skipped": repeated[0] + sum(p.leftovers() for p in [mentor, coach, *people]),
            "proxy_failovers": proxy.failovers,
            "kills": [k.__dict__ for k in killer.kills],
            "takeover_max_s": max(takeovers) if takeovers else None,
            "takeover_goal_s": 15,
            "delivery_rate_per_s": args.rate,
            "delivery_peak_per_s": peak,
            "delivery_limit_per_s": args.rate + burst,
            "wall_s": round(time.time() - started, 1),
        }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--reports", type=int, default=4, help="reports per participant")
    parser.add_argument("--rate", type=int, default=40, help="DELIVERY_RATE_PER_S")
    parser.add_argument("--chat-rate", type=int, default=20, help="DELIVERY_CHAT_RATE_PER_S")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per answer")
    parser.add_argument("--server", default=POSTGRES_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--log-level", default="WARNING", help="the instances' LOG_LEVEL")
    parser.add_argument("--logs", default="/tmp/properbot-failover", help="instances' logs")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = asyncio.run(main_async(args))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
