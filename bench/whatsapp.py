"""Benchmark: an announcement to N WhatsApp recipients, half outside the 24-hour window.

A cohort of N participants (default 2,000), each joined on WhatsApp only: half wrote an hour
ago (inside the window: the announcement goes free form), half three days ago (outside it:
it goes as the approved `properbot_broadcast` template). Every fifth reads English, the rest
Indonesian. The announcement is created through `services.broadcasts.create_broadcast` and
drained by the real `bot/sender.Sender` with its `whatsapp/sender.WhatsAppDelivery` (as
bot/app.py builds them) running its own loop on the real clock (`Sender.run`, paced), against
the local fake WhatsApp Cloud API (`fakewa.FakeWhatsApp`) with every template of
`whatsapp.templates.definitions()` approved and Meta's limits on: throughput (130429), pair
rate (131056), the window (131047: a free-form message outside it is accepted, then failed).

Reported, from the fake server's log of accepted messages (a message Meta failed afterwards,
as 131047 does, counts as not delivered):

- sent: messages delivered; lost: recipients with none; duplicated: deliveries beyond one per
  recipient; wrong form: a template inside the window or free form outside it;
- templates (must equal the recipients outside the window) and free form (inside);
- rate: (delivered - 1) / (last - first delivery), against the configured cap
  (WHATSAPP_RATE_PER_S, `--rate`), the ratio ≥ 0.95 being the goal; the busiest one-second
  window; Graph API errors by code;
- wall time (announcement created → queue settled) and the process CPU over it.

To say why a rate falls short: the sender's drains (how many sent something, messages per
drain against the limiter's burst, a drain's duration), the time spent in the messaging tier's
count (`whatsapp.sender.templates_reached`, timed by a wrapper in this process) and the stalls
(gaps of over 0.25 s without a delivery, as a 130429 pause makes). `--calls FILE` writes every
Graph API call and drain; `--whatif window` and `--server-rate` try other limits in-process
(no file of the application changes). See docs/PERFORMANCE.md, "WhatsApp announcement".

Side by side, in the same process and run (`--no-baseline` leaves it out): the ceiling of the
client and the fake server on this machine. The same N sends (the same mix of template and
free form) made straight with pywa_async, one task started every 1/cap seconds, no database
(the fake server's limits off for it).

    .venv/bin/python bench/whatsapp.py --db sqlite
    .venv/bin/python bench/whatsapp.py --db postgresql   # creates/drops properbot_bench_whatsapp
    .venv/bin/python bench/whatsapp.py --db sqlite --rate 80    # Meta's limit itself: 130429s
    .venv/bin/python bench/whatsapp.py --db sqlite --profile /tmp/wa.txt   # pyinstrument

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import statistics
import sys
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import _bench_path  # noqa: F401 (first: the project's packages before bench/)
from pywa_async import WhatsApp
from pywa_async.types.templates import TemplateLanguage
from scratch import scratch_database
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from telegram import Bot

from bot.sender import Sender
from bot.settings import DEFAULT_WHATSAPP_RATE_PER_S, WHATSAPP_TIERS, WhatsAppSettings
from domain.clock import SystemClock
from domain.enums import Channel, OutboxStatus
from domain.ratelimit import DeliveryLimiter
from domain.roles import Role
from fakegram import FakeTelegram
from fakewa import FakeWhatsApp, Limits, OutgoingMessage
from models import ChannelAccount, Cohort, Membership, OutboxMessage, Person
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services import delivery
from services.broadcasts import KIND, Audience, create_broadcast
from whatsapp import sender as whatsapp_sender
from whatsapp.client import create_client
from whatsapp.sender import WhatsAppDelivery
from whatsapp.templates import TEMPLATE_MARK, definitions, meta_language, send_components, spec_for

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "properbot_bench_whatsapp"
COHORT = "PKN II Angkatan WhatsApp"
ORGANIZER = "BPSDM Benchmark"
ANNOUNCEMENT = (
    "Seminar rancangan proyek perubahan diundur ke Kamis, 10 Desember 2026, pukul 09.00 WIB "
    "di Aula Utama. Mohon hadir tepat waktu dan membawa bahan paparan."
)
FIRST_WA_ID = 6281200000000
INSIDE_AGE = timedelta(hours=1)  # wrote an hour ago: the window is open
OUTSIDE_AGE = timedelta(days=3)  # wrote three days ago: only templates
TARGET_FRACTION = 0.95
INSERT_CHUNK = 5_000

log = logging.getLogger("bench.whatsapp")


class BenchError(Exception):
    """The run could not be completed or measured."""


def database(kind: str, server_url: str) -> AbstractAsyncContextManager[str]:
    return scratch_database(kind, server_url, BENCH_DATABASE)


def wa_id(index: int) -> str:
    return str(FIRST_WA_ID + index)


def inside_window(index: int) -> bool:
    """Even-numbered recipients wrote lately; odd ones long ago: exactly half each way."""
    return index % 2 == 0


def language(index: int) -> str:
    return "en" if index % 5 == 4 else "id"


# --- pure figures (tests/bench could check them without a server) ---------------------------


@dataclass(frozen=True)
class Delivered:
    """One message the fake server accepted and did not fail afterwards."""

    to: str
    at: float
    template: bool


def rate_of(times: Sequence[float]) -> float:
    """Messages per second over the span of `times`: (n - 1) / (last - first)."""
    if len(times) < 2:
        return 0.0
    span = max(times) - min(times)
    return (len(times) - 1) / span if span > 0 else float("inf")


def stalls(times: Sequence[float], longer_than: float = 0.25) -> tuple[int, float]:
    """Gaps between consecutive deliveries longer than `longer_than` s: how many, seconds in all."""
    gaps = [b - a for a, b in itertools.pairwise(sorted(times)) if b - a > longer_than]
    return len(gaps), sum(gaps)


def busiest_second(times: Sequence[float]) -> int:
    """The most messages in any window [t, t + 1 s) starting at a message."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@dataclass
class Tally:
    """Who got what, against who should have got what."""

    sent: int
    lost: int
    duplicated: int
    templates: int
    free_form: int
    wrong_form: int
    failed_after_accept: int


def tally(
    delivered: Sequence[Delivered], inside: set[str], outside: set[str], failed: int
) -> Tally:
    per_recipient = Counter(d.to for d in delivered)
    expected = inside | outside
    wrong = sum(
        1
        for d in delivered
        if (d.to in inside and d.template) or (d.to in outside and not d.template)
    )
    return Tally(
        sent=len(delivered),
        lost=len(expected - set(per_recipient)),
        duplicated=sum(count - 1 for count in per_recipient.values() if count > 1),
        templates=sum(1 for d in delivered if d.template),
        free_form=sum(1 for d in delivered if not d.template),
        wrong_form=wrong,
        failed_after_accept=failed,
    )


def delivered_of(outgoing: Sequence[OutgoingMessage]) -> tuple[list[Delivered], int]:
    """The fake server's accepted messages that were not failed afterwards, and how many were."""
    ok = [Delivered(m.to, m.at, m.is_template) for m in outgoing if m.error is None]
    return ok, len(outgoing) - len(ok)


# --- the fake server ------------------------------------------------------------------------


@asynccontextmanager
async def fake_whatsapp(n: int, server_rate: int | None, now: float) -> AsyncIterator[FakeWhatsApp]:
    """fakewa with Meta's limits (throughput `server_rate`; None: no limits), every template
    approved and the N people, half of whom wrote within the last 24 hours (as their
    accounts in the database say)."""
    limits = Limits(throughput_per_second=server_rate) if server_rate else None
    async with FakeWhatsApp(limits=limits) as wa:
        for template in definitions():
            body, *rest = template["components"]
            buttons = [b["text"] for c in rest for b in c["buttons"]]
            wa.add_template(
                template["name"], body["text"], language=template["language"], buttons=buttons
            )
        for i in range(n):
            person = wa.person(wa_id(i), f"Peserta {i + 1}")
            age = INSIDE_AGE if inside_window(i) else OUTSIDE_AGE
            person.last_inbound_at = now - age.total_seconds()
        yield wa


def client_for(wa: FakeWhatsApp, http: Any) -> WhatsApp:
    return create_client(
        WhatsAppSettings(
            phone_number_id=wa.phone_number_id,
            access_token=wa.access_token,
            app_secret=wa.app_secret,
            verify_token="bench-verify",
            business_account_id=wa.waba_id,
            api_root=wa.api_root,
        ),
        http,
    )


# --- seeding --------------------------------------------------------------------------------


async def seed(engine: AsyncEngine, n: int, now: datetime) -> int:
    """The cohort, N participants joined on WhatsApp; the cohort's id."""
    joined = now - timedelta(days=30)
    async with session_factory(engine)() as session, session.begin():
        cohort = Cohort(name=COHORT, organizer=ORGANIZER, year=now.year, settings={})
        session.add(cohort)
        await session.flush()
        await _bulk(
            session,
            Person,
            [
                {
                    "full_name": f"Peserta Nomor {i + 1:04d}",
                    "timezone": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")[i % 3],
                    "language": language(i),
                    "joined_at": joined,
                    "consent_at": joined,
                }
                for i in range(n)
            ],
        )
        ids = list(await session.scalars(select(Person.id).order_by(Person.id)))
        if len(ids) != n:
            raise BenchError(f"seeded {len(ids)} people, not {n}")
        await _bulk(
            session,
            ChannelAccount,
            [
                {
                    "person_id": pid,
                    "channel": Channel.WHATSAPP,
                    "external_user_id": wa_id(i),
                    "chat_ref": wa_id(i),
                    "phone": f"+{wa_id(i)}",
                    "reachable": True,
                    "last_inbound_at": now - (INSIDE_AGE if inside_window(i) else OUTSIDE_AGE),
                }
                for i, pid in enumerate(ids)
            ],
        )
        await _bulk(
            session,
            Membership,
            [
                {"cohort_id": cohort.id, "person_id": pid, "role": Role.PARTICIPANT, "active": True}
                for pid in ids
            ],
        )
        return cohort.id


async def _bulk(session: AsyncSession, model: type, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        await session.execute(insert(model), rows[start : start + INSERT_CHUNK])


# --- a what-if: the limiter the sender might use for WhatsApp --------------------------------


class WindowLimiter(DeliveryLimiter):
    """What-if (`--whatif window`, this process only): the sender's limiter, plus Meta's own
    rule, at most `rate_per_s` sends in any one second, so the bucket's burst can never add
    to it (no file of the application changes)."""

    def __init__(self, *, rate_per_s: float, chat_rate_per_s: float, burst: float) -> None:
        super().__init__(rate_per_s=rate_per_s, chat_rate_per_s=chat_rate_per_s, burst=burst)
        self._limit = int(rate_per_s)
        self._log: deque[float] = deque()

    def _window_ready(self, now: float, cost: float) -> float:
        while self._log and self._log[0] <= now - 1.0:
            self._log.popleft()
        over = len(self._log) + int(cost) - self._limit
        return now if over <= 0 else self._log[over - 1] + 1.0

    def next_allowed(self, chat_id: int, is_group: bool, now: float, cost: float = 1.0) -> float:
        ready = super().next_allowed(chat_id, is_group, now, cost)
        return max(ready, self._window_ready(now, cost))

    def overall_ready_at(self, now: float) -> float:
        return max(super().overall_ready_at(now), self._window_ready(now, 1.0))

    def take(self, chat_id: int, is_group: bool, now: float, cost: float = 1.0) -> None:
        super().take(chat_id, is_group, now, cost)
        self._log.extend([now] * int(cost))


# --- the announcement through the sender ----------------------------------------------------


@dataclass(frozen=True)
class Drain:
    """One `Sender.drain_once` as the run loop called it: when, how long, how many sent."""

    at: float
    seconds: float
    sent: int


@dataclass(frozen=True)
class DrainStats:
    count: int  # drains that sent something
    sent_mean: float
    sent_max: int
    cycle_ms_median: float  # from one sending drain's start to the next one's
    seconds_ms_median: float  # one sending drain's own duration


def trace_drains(sender: Sender) -> list[Drain]:
    """Record each drain the run loop makes (a wrapper on this instance only: the sender's
    code is unchanged, its loop calls `self.drain_once()`)."""
    drains: list[Drain] = []
    inner = sender.drain_once

    async def traced(**kwargs: Any) -> Any:
        at = time.perf_counter()
        result = await inner(**kwargs)
        drains.append(Drain(at, time.perf_counter() - at, result.sent))
        return result

    sender.drain_once = traced  # type: ignore[method-assign]
    return drains


@dataclass
class TierCalls:
    """Timing of `whatsapp.sender.templates_reached`, the messaging tier's count that each
    template send reads from the outbox (wrapped in this process; behaviour unchanged)."""

    inner: Any
    calls: int = 0
    seconds: float = 0.0
    last_rows: int = 0


def time_tier_query() -> TierCalls:
    tier = TierCalls(whatsapp_sender.templates_reached)

    async def timed(session: AsyncSession, now: datetime) -> dict[int, datetime]:
        started = time.perf_counter()
        found: dict[int, datetime] = await tier.inner(session, now)
        tier.calls += 1
        tier.seconds += time.perf_counter() - started
        tier.last_rows = len(found)
        return found

    whatsapp_sender.templates_reached = timed  # type: ignore[assignment]
    return tier


def drain_stats(drains: Sequence[Drain]) -> DrainStats:
    sending = [d for d in drains if d.sent]
    if not sending:
        return DrainStats(0, 0.0, 0, 0.0, 0.0)
    cycles = [b.at - a.at for a, b in itertools.pairwise(sending)]
    return DrainStats(
        count=len(sending),
        sent_mean=sum(d.sent for d in sending) / len(sending),
        sent_max=max(d.sent for d in sending),
        cycle_ms_median=statistics.median(cycles) * 1000 if cycles else 0.0,
        seconds_ms_median=statistics.median(d.seconds for d in sending) * 1000,
    )


@dataclass
class Run:
    """What one drain did, measured."""

    queued: int
    tally: Tally
    achieved_per_s: float
    busiest_second: int
    wall_s: float
    drain_s: float
    cpu_s: float
    errors: dict[str, int]
    statuses: dict[str, int]
    template_rows: int
    timed_out: bool
    first_send_after_s: float
    drains: DrainStats
    burst: float
    stalls: tuple[int, float]
    tier: TierCalls


async def announce(engine: AsyncEngine, args: argparse.Namespace, profiler: Any) -> Run:
    sessions = session_factory(engine)
    clock = SystemClock()
    now = clock.now()
    cohort_id = await seed(engine, args.n, now)
    inside = {wa_id(i) for i in range(args.n) if inside_window(i)}
    outside = {wa_id(i) for i in range(args.n) if not inside_window(i)}
    async with (
        fake_whatsapp(args.n, args.server_rate, now.timestamp()) as wa,
        FakeTelegram() as telegram,
        Bot(telegram.token, base_url=telegram.base_url) as bot,
        wa.httpx_client() as http,
    ):
        whatsapp = WhatsAppDelivery(
            client_for(wa, http), sessions, clock, rate_per_s=args.rate, tier_limit=args.tier
        )
        if args.whatif == "window":
            old = whatsapp.limiter
            whatsapp.limiter = WindowLimiter(
                rate_per_s=old.rate_per_s, chat_rate_per_s=old.chat_rate_per_s, burst=old.burst
            )
        tier_calls = time_tier_query()
        sender = Sender(bot, sessions, clock, channels=[whatsapp])
        drains = trace_drains(sender)
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        await asyncio.sleep(0.2)  # the loop is up and idle, as in `properbot run`
        cpu0, started = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.start()
        async with sessions() as session, session.begin():
            queued = await create_broadcast(
                session,
                cohort_id=cohort_id,
                author_id=None,
                text=ANNOUNCEMENT,
                audience=Audience(roles=frozenset({Role.PARTICIPANT})),
                now=clock.now(),
                actor_label="bench",
            )
        created = time.time()
        sender.wake()  # as the organizer's command does after queueing
        timed_out = False
        try:
            await wa.wait_for(
                lambda: len(wa.outgoing) >= args.n or task.done(),
                timeout=args.timeout,
                description="one message accepted per recipient",
            )
            # The last outcomes are being recorded: wait until nothing is pending or in flight.
            deadline = time.perf_counter() + 30
            while not task.done() and time.perf_counter() < deadline:
                async with sessions() as session:
                    counts = await delivery.status_counts(session)
                if not counts.get(OutboxStatus.PENDING) and not counts.get(OutboxStatus.SENDING):
                    break
                await asyncio.sleep(0.05)
        except AssertionError as exc:  # fakewa's WaitTimeout: report what arrived
            log.warning("%s", exc)
            timed_out = True
        settled = time.perf_counter()
        cpu = time.process_time() - cpu0
        if profiler is not None:
            profiler.stop()
        # A moment more: anything sent twice late would show up now.
        await asyncio.sleep(args.linger)
        stop.set()
        await task
        whatsapp_sender.templates_reached = tier_calls.inner  # type: ignore[assignment]
        delivered, failed = delivered_of(wa.outgoing)
        times = [d.at for d in delivered]
        if args.calls:
            write_calls(args.calls, wa, drains)
        async with sessions() as session:
            statuses = await delivery.status_counts(session)
            template_rows = len(
                [
                    p
                    for p in await session.scalars(
                        select(OutboxMessage.payload).where(
                            OutboxMessage.kind == KIND,
                            OutboxMessage.status == OutboxStatus.SENT,
                        )
                    )
                    if TEMPLATE_MARK in p
                ]
            )
        codes = Counter(str(c.code) for c in wa.errors)
        return Run(
            queued=queued.new_messages,
            tally=tally(delivered, inside, outside, failed),
            achieved_per_s=rate_of(times),
            busiest_second=busiest_second(times),
            wall_s=settled - started,
            drain_s=(max(times) - min(times)) if times else 0.0,
            cpu_s=cpu,
            errors=dict(codes),
            statuses=statuses,
            template_rows=template_rows,
            timed_out=timed_out,
            first_send_after_s=min(times) - created if times else 0.0,
            drains=drain_stats(drains),
            burst=whatsapp.limiter.burst,
            stalls=stalls(times),
            tier=tier_calls,
        )


# --- the ceiling: the same sends straight through pywa_async --------------------------------


@dataclass
class Baseline:
    sent: int
    achieved_per_s: float
    busiest_second: int
    errors: dict[str, int]
    cpu_s: float
    late_ms_p95: float


async def baseline(args: argparse.Namespace) -> Baseline:
    """One send task started every 1/cap s (no database, no sender): what the client and the
    fake server manage together on this machine at the cap. The server's limits are off: a
    timer at exactly Meta's 80/s meets 130429 now and then from its own jitter, and how a
    sender copes with that is what the bot's run measures, not the ceiling."""
    now = time.time()
    spec = spec_for(KIND)
    async with fake_whatsapp(args.n, None, now) as wa, wa.httpx_client() as http:
        client = client_for(wa, http)
        lateness: list[float] = []

        async def one(i: int) -> None:
            to = wa_id(i)
            if inside_window(i):
                await client.send_message(to=to, text=f"*{COHORT}*\n\n{ANNOUNCEMENT}")
            else:
                await client.send_template(
                    to=to,
                    name=spec.name,
                    language=TemplateLanguage(meta_language(language(i))),
                    params=send_components(spec, {"summary": ANNOUNCEMENT}),
                )

        cpu0, start = time.process_time(), time.perf_counter()
        tasks = []
        for i in range(args.n):
            due = start + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            lateness.append(time.perf_counter() - due)
            tasks.append(asyncio.create_task(one(i)))
        results = await asyncio.gather(*tasks, return_exceptions=True)
        cpu = time.process_time() - cpu0
        problems = [r for r in results if isinstance(r, BaseException)]
        if problems:
            log.warning("baseline: %d sends raised, e.g. %r", len(problems), problems[0])
        delivered, _ = delivered_of(wa.outgoing)
        times = [d.at for d in delivered]
        lateness.sort()
        return Baseline(
            sent=len(delivered),
            achieved_per_s=rate_of(times),
            busiest_second=busiest_second(times),
            errors=dict(Counter(str(c.code) for c in wa.errors)),
            cpu_s=cpu,
            late_ms_p95=lateness[int(0.95 * (len(lateness) - 1))] * 1000 if lateness else 0.0,
        )


# --- main -----------------------------------------------------------------------------------


def make_profiler(path: str | None) -> Any:
    if not path:
        return None
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise BenchError(
            "--profile needs pyinstrument (.venv/bin/pip install pyinstrument)"
        ) from None
    return Profiler(async_mode="disabled", interval=0.001)


def write_calls(path: str, wa: FakeWhatsApp, drains: Sequence[Drain]) -> None:
    """Every Graph API call and every drain, one JSON object a line, in time order (the calls'
    `at` is epoch seconds, the drains' perf_counter: compare within each kind)."""
    with Path(path).open("w") as out:
        for call in wa.calls:
            to = call.body.get("to") if isinstance(call.body, dict) else None
            row = {"call": call.path, "at": call.at, "status": call.status, "code": call.code}
            out.write(json.dumps({**row, "to": to}) + "\n")
        for drain in drains:
            out.write(json.dumps({"drain": asdict(drain)}) + "\n")


def write_profile(path: str, profiler: Any) -> None:
    Path(path).write_text(profiler.output_text(unicode=True, show_all=False))


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    load = os.getloadavg()[0]
    print(
        f"announcement to {args.n} WhatsApp recipients ({args.n // 2 + args.n % 2} inside the "
        f"window, {args.n // 2} outside) on {args.db}; cap {args.rate:g}/s "
        f"(fakewa allows {args.server_rate}/s), tier {args.tier}; load {load:.2f}"
        + (f"; what-if: {args.whatif}" if args.whatif else "")
    )
    base: Baseline | None = None
    if args.baseline:
        base = await baseline(args)
        print(
            f"  ceiling (pywa_async straight, no db): {base.sent} sent, "
            f"{base.achieved_per_s:.2f}/s ({base.achieved_per_s / args.rate:.3f} of the cap), "
            f"busiest second {base.busiest_second}, errors {base.errors}, "
            f"CPU {base.cpu_s:.1f} s, start lateness p95 {base.late_ms_p95:.1f} ms"
        )
    profiler = make_profiler(args.profile)
    async with database(args.db, args.postgres) as url:
        engine = create_engine(url)
        try:
            await upgrade(engine)
            run = await announce(engine, args, profiler)
        finally:
            await engine.dispose()
    if profiler is not None:
        write_profile(args.profile, profiler)
        print(f"  profile written to {args.profile}")
    t = run.tally
    fraction = run.achieved_per_s / args.rate
    outside = args.n // 2
    inside = args.n - outside
    print(
        f"  {run.queued} queued; {t.sent} delivered in {run.drain_s:.1f} s = "
        f"{run.achieved_per_s:.2f}/s ({fraction:.3f} of the cap); busiest second "
        f"{run.busiest_second}; first send {run.first_send_after_s * 1000:.0f} ms after queueing"
    )
    print(
        f"  lost {t.lost}; duplicated {t.duplicated}; templates {t.templates} (expected "
        f"{outside}); free form {t.free_form} (expected {inside}); wrong form {t.wrong_form}; "
        f"failed after acceptance {t.failed_after_accept}"
    )
    print(
        f"  wall {run.wall_s:.1f} s; CPU {run.cpu_s:.1f} s ({run.cpu_s / run.wall_s:.0%} of a "
        f"core); Graph errors {run.errors}; outbox {run.statuses}; rows marked as template "
        f"{run.template_rows}{'; TIMED OUT' if run.timed_out else ''}"
    )
    d = run.drains
    print(
        f"  sender: {d.count} drains sent something, {d.sent_mean:.1f} messages each (most "
        f"{d.sent_max}; the limiter's burst {run.burst:g}); a drain took {d.seconds_ms_median:.0f}"
        f" ms, one every {d.cycle_ms_median:.0f} ms (medians): at most "
        f"{run.burst / (d.cycle_ms_median / 1000) if d.cycle_ms_median else 0:.1f}/s"
    )
    tier = run.tier
    print(
        f"  messaging-tier count (templates_reached): {tier.calls} calls, {tier.seconds:.1f} s "
        f"in all, {tier.seconds / tier.calls * 1000 if tier.calls else 0:.1f} ms each (wall), "
        f"the last one read {tier.last_rows} accounts"
    )
    print(f"  stalls (no delivery for over 0.25 s): {run.stalls[0]}, {run.stalls[1]:.1f} s in all")
    ok = (
        not run.timed_out
        and t.lost == 0
        and t.duplicated == 0
        and t.wrong_form == 0
        and t.templates == outside
        and t.free_form == inside
        and run.template_rows == outside
        and fraction >= TARGET_FRACTION
    )
    result: dict[str, Any] = {
        "db": args.db,
        "n": args.n,
        "inside_window": inside,
        "outside_window": outside,
        "rate_cap_per_s": args.rate,
        "server_limit_per_s": args.server_rate,
        "tier_limit": args.tier,
        "whatif": args.whatif,
        "queued": run.queued,
        "sent": t.sent,
        "lost": t.lost,
        "duplicated": t.duplicated,
        "templates": t.templates,
        "free_form": t.free_form,
        "wrong_form": t.wrong_form,
        "failed_after_accept": t.failed_after_accept,
        "template_rows": run.template_rows,
        "achieved_per_s": round(run.achieved_per_s, 2),
        "rate_fraction_of_cap": round(fraction, 3),
        "busiest_second": run.busiest_second,
        "graph_errors": run.errors,
        "drain_s": round(run.drain_s, 2),
        "wall_s": round(run.wall_s, 2),
        "cpu_s": round(run.cpu_s, 2),
        "cpu_fraction": round(run.cpu_s / run.wall_s, 3) if run.wall_s else None,
        "outbox": run.statuses,
        "limiter_burst": run.burst,
        "drains": {k: round(v, 1) for k, v in asdict(run.drains).items()},
        "tier_query": {
            "calls": tier.calls,
            "seconds": round(tier.seconds, 2),
            "last_rows": tier.last_rows,
        },
        "stalls": run.stalls[0],
        "stalled_s": round(run.stalls[1], 2),
        "timed_out": run.timed_out,
        "load_1m": round(load, 2),
        "baseline": (
            {
                **{k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(base).items()},
                "rate_fraction_of_cap": round(base.achieved_per_s / args.rate, 3),
            }
            if base
            else None
        ),
        "ratio_to_baseline": (
            round(run.achieved_per_s / base.achieved_per_s, 3)
            if base and base.achieved_per_s
            else None
        ),
        "target_fraction": TARGET_FRACTION,
        "targets_met": ok,
    }
    return result


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--n", type=int, default=2000, help="recipients (default 2000)")
    parser.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_WHATSAPP_RATE_PER_S,
        help="WHATSAPP_RATE_PER_S: the sender's cap",
    )
    parser.add_argument(
        "--server-rate", type=int, default=80, help="fakewa's throughput limit (Meta: 80/s)"
    )
    parser.add_argument(
        "--tier",
        type=int,
        default=WHATSAPP_TIERS[1],
        help="WHATSAPP_TIER_LIMIT (default 2000: room for the templates)",
    )
    parser.add_argument(
        "--postgres",
        default=POSTGRES_SERVER,
        help=f"server to create/drop the {BENCH_DATABASE!r} database on",
    )
    parser.add_argument("--timeout", type=float, default=300, help="drain, seconds")
    parser.add_argument("--linger", type=float, default=1.0, help="seconds watched after")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument("--profile", metavar="FILE", help="pyinstrument text profile of the drain")
    parser.add_argument(
        "--whatif",
        choices=("window",),
        help="window: the WhatsApp limiter also keeps Meta's 'rate per any one second' "
        "(an in-process patch of this run's sender; no file changes)",
    )
    parser.add_argument("--calls", metavar="FILE", help="write every API call and drain (JSONL)")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    if args.n < 2:
        parser.error("--n must be at least 2")
    if args.rate <= 0 or args.server_rate <= 0:
        parser.error("rates must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = asyncio.run(main_async(args))
    except (BenchError, OSError, TimeoutError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result), flush=True)
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
