"""The active worker: one instance at a time handles the inbox, sends and sweeps.

Every instance stores incoming updates in the inbox (services/inbox.py) and serves the web
app. On PostgreSQL the instance that holds a session advisory lock on a dedicated connection
is the active worker; the others wait to take it. SQLite serves one instance only (its lock
file, bot/single_instance.py), which is always the worker.

Why stopping comes before starting: the holder checks its lock connection every
`check_every` seconds, each check given as long to answer, and stops everything the moment a
check fails. A standby that gets the lock waits `grace` (more than a check and its timeout)
before it acts, so a holder whose connection the server dropped has stopped by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application, Updater

from bot.app import RUNNER, SENDER, SWEEPER
from bot.processor import Lane, PerUserUpdateProcessor
from domain import forms as form_tokens
from domain.clock import Clock, SystemClock
from domain.enums import Channel
from services import coordination, inbox
from web import metrics
from web.health import NotReady

log = logging.getLogger(__name__)

# The advisory lock key of the active worker (any fixed 64-bit number; migrations use another).
WORKER_LOCK_KEY = 0x70726F7065720002
# Rows fetched per look at the inbox, and how many may wait in lanes before the next look.
FETCH_BATCH = 200
MAX_IN_FLIGHT = 1000
# With nothing arriving at this instance, other instances' webhook posts are looked for this
# often (an arrival at this instance wakes the worker at once).
INBOX_LOOK_S = 0.2

# Heartbeats older than these make the active worker not ready: the sweep runs every minute,
# the sender comes round at least every minute (bot/sender.py IDLE_LOOK).
SWEEP_STALE = timedelta(minutes=2, seconds=30)
SENDER_STALE = timedelta(minutes=2, seconds=30)


def instance_name() -> str:
    """host:pid, for logs, metrics and the active_worker flag."""
    return f"{socket.gethostname()}:{os.getpid()}"


class WorkerLock(Protocol):
    async def try_acquire(self) -> bool: ...

    async def check(self) -> None: ...

    async def release(self) -> None: ...


class PostgresAdvisoryLock:
    """pg_try_advisory_lock on a connection of its own, in autocommit: held while it lives.

    TCP keepalives on the server side make PostgreSQL notice a holder that vanished without
    closing its connection (a machine gone, a network cut) and free the lock."""

    def __init__(self, engine: AsyncEngine, *, timeout: float, keepalive_s: int) -> None:
        self._engine = engine
        self._timeout = timeout
        self._keepalive_s = keepalive_s
        self._connection: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                if self._connection is None:
                    connection = await self._engine.connect()
                    connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                    self._connection = connection
                    for name in ("tcp_keepalives_idle", "tcp_keepalives_interval"):
                        await connection.execute(text(f"SET {name} = {self._keepalive_s}"))
                    await connection.execute(text("SET tcp_keepalives_count = 3"))
                got = await self._connection.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": WORKER_LOCK_KEY}
                )
        except Exception as exc:
            log.warning("worker lock: the database did not answer (%s)", type(exc).__name__)
            await self._drop()
            return False
        return bool(got)

    async def check(self) -> None:
        """Raise unless the lock connection answers within the timeout."""
        connection = self._connection
        if connection is None:
            raise ConnectionError("no lock connection")
        async with asyncio.timeout(self._timeout):
            await connection.scalar(text("SELECT 1"))

    async def release(self) -> None:
        connection = self._connection
        if connection is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self._timeout):
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": WORKER_LOCK_KEY}
                    )
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # A connection that timed out mid-query cannot go back to the pool as it is.
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()


class SingleInstance:
    """SQLite: the lock file already made this the only instance, so it is always the worker."""

    async def try_acquire(self) -> bool:
        return True

    async def check(self) -> None:
        return None

    async def release(self) -> None:
        return None


@dataclass
class WorkerStatus:
    """What readiness and the metrics need to know of this instance's worker."""

    instance: str
    check_every: float
    active: bool = False
    # time.monotonic() of the last lock check that answered.
    lock_checked_at: float | None = None
    active_since: float | None = None
    # Read from the running application: when its sweep and its sender last came round.
    heartbeats: Callable[[], tuple[datetime | None, datetime | None]] = field(
        default=lambda: (None, None)
    )
    clock: Clock = field(default_factory=SystemClock)

    def set_active(self, active: bool) -> None:
        self.active = active
        self.active_since = time.monotonic() if active else None
        if not active:
            self.heartbeats = lambda: (None, None)
        metrics.ACTIVE_WORKER.set(1 if active else 0)

    def problem(self) -> NotReady | None:
        """Why the active worker is not doing its work; None for a standby (it serves the web
        app and the webhook, which need only the database)."""
        if not self.active or self.active_since is None:
            return None
        checked = self.lock_checked_at or self.active_since
        if time.monotonic() - checked > 3 * self.check_every:
            return NotReady("worker_lock_lost", {"instance": self.instance})
        now = self.clock.now()
        started = now - timedelta(seconds=time.monotonic() - self.active_since)
        sweep, sender = self.heartbeats()
        if now - (sweep or started) > SWEEP_STALE:
            return NotReady("sweep_stale", {"instance": self.instance, "last": _iso(sweep)})
        if now - (sender or started) > SENDER_STALE:
            return NotReady("sender_stale", {"instance": self.instance, "last": _iso(sender)})
        return None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


class WorkerApp(Protocol):
    """What the active worker runs: the shared services in `bot_data` (bot/app.py's
    shared_services: sender, sweep, scheduler, runtimes) and Telegram's application when a
    Telegram bot is set up."""

    @property
    def bot_data(self) -> MutableMapping[str, Any]: ...

    @property
    def telegram(self) -> Application | None: ...  # type: ignore[type-arg]

    async def start(self) -> None: ...

    async def stop(self) -> None:
        """After start, or after a start that failed half-way."""


class TelegramWorkerApp:
    """Telegram's application (with WhatsApp's adapter in its bot_data when set up)."""

    def __init__(self, app: Application) -> None:  # type: ignore[type-arg]
        self.telegram = app
        self.bot_data = app.bot_data
        self._started = False

    async def start(self) -> None:
        app = self.telegram
        await app.initialize()  # now that no one else acts
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        self._started = True

    async def stop(self) -> None:
        await _stop_application(self.telegram, self._started)


BuildApplication = Callable[[], WorkerApp]


class Receiving(Protocol):
    """How updates reach the inbox while this instance is the worker: polling or webhook."""

    async def start(self, app: Application) -> None: ...  # type: ignore[type-arg]

    async def stop(self) -> None: ...


class InboxReceiver:
    """Stores updates in the inbox (webhook posts, polled updates) and wakes the worker."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self.arrived = asyncio.Event()

    async def accept(self, data: dict[str, Any], channel: str = Channel.TELEGRAM.value) -> None:
        """Committed before it returns: the webhook answers 200 only after this."""
        async with self._sessions() as session, session.begin():
            new = await inbox.store(session, channel, data, self._clock.now())
        if new:
            self.arrived.set()
        else:
            log.info("update %s already in the inbox: a retried post, ignored", data["update_id"])


class ActiveWorker:
    """Waits for the lock, then handles the inbox and runs the sender and the scheduler
    (the application's post_init starts them) until stopped or the lock is lost."""

    def __init__(
        self,
        *,
        build: BuildApplication,
        lock: WorkerLock,
        sessions: async_sessionmaker[AsyncSession],
        receiver: InboxReceiver,
        status: WorkerStatus,
        concurrency: int,
        grace: float,
        receiving: Receiving,
        clock: Clock | None = None,
    ) -> None:
        self._build = build
        self._lock = lock
        self._sessions = sessions
        self._receiver = receiver
        self._status = status
        self._concurrency = concurrency
        self._grace = grace
        self._receiving = receiving
        self._clock = clock or SystemClock()
        # The running application's sender, while this instance is the active worker.
        self._wake: Callable[[], None] | None = None
        inbox.mark_rows_with_later_commits()

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: take the lock when free, act while holding it, wait again if lost."""
        try:
            await self._run(stop)
        finally:
            await self._lock.release()  # a standby's lock connection too

    async def _run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if not await self._lock.try_acquire():
                await _wait(stop, self._status.check_every)
                continue
            try:
                log.info(
                    "worker lock taken by %s; starting in %.0f s",
                    self._status.instance,
                    self._grace,
                )
                await _wait(stop, self._grace)
                if stop.is_set():
                    break
                await self._act(stop)
            except Exception:
                # The database went away while starting or acting: let go, then try again.
                log.exception("the active worker failed; it lets go of the lock")
                await _wait(stop, self._status.check_every)
            finally:
                self._status.set_active(False)
                await self._lock.release()

    def wake_sender(self) -> None:
        """Messages were queued outside an update (the web desk): send them now if this
        instance is the active worker; otherwise the active one finds them on its next pass."""
        if self._wake is not None:
            self._wake()

    async def _act(self, stop: asyncio.Event) -> None:
        lost = asyncio.Event()
        watchdog = asyncio.create_task(self._watch(lost), name="properbot-lock-watch")
        app = self._build()
        processor = PerUserUpdateProcessor(self._concurrency)
        handling: set[asyncio.Task[None]] = set()
        try:
            await app.start()
            async with self._sessions() as session, session.begin():
                await coordination.set_flag(
                    session,
                    coordination.ACTIVE_WORKER,
                    now=self._clock.now(),
                    holder=self._status.instance,
                )
            self._status.set_active(True)
            self._status.heartbeats = _heartbeats_of(app)
            self._wake = app.bot_data[SENDER].wake
            if app.telegram is not None:
                await self._receiving.start(app.telegram)
            log.info("%s is the active worker", self._status.instance)
            await self._dispatch(app, processor, handling, stop, lost)
        finally:
            self._wake = None
            try:
                await self._receiving.stop()
            except Exception:
                log.exception("receiving updates did not stop cleanly")
            if lost.is_set():
                await self._halt(app, handling)
            else:
                # A clean stop: the updates already started finish and their rows are done.
                if handling:
                    await asyncio.gather(*handling, return_exceptions=True)
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
            await app.stop()

    async def _watch(self, lost: asyncio.Event) -> None:
        while True:
            try:
                await self._lock.check()
            except Exception as exc:
                log.error(
                    "worker lock connection lost (%s): stopping all work at once",
                    type(exc).__name__,
                )
                lost.set()
                return
            self._status.lock_checked_at = time.monotonic()
            await asyncio.sleep(self._status.check_every)

    async def _halt(self, app: WorkerApp, handling: set[asyncio.Task[None]]) -> None:
        """Lock lost: nothing more may reach Telegram or the database from here."""
        runner = app.bot_data.get(RUNNER)
        if runner is not None:
            runner.abort()
        for task in handling:
            task.cancel()
        await asyncio.gather(*handling, return_exceptions=True)

    async def _dispatch(
        self,
        app: WorkerApp,
        processor: PerUserUpdateProcessor,
        handling: set[asyncio.Task[None]],
        stop: asyncio.Event,
        lost: asyncio.Event,
    ) -> None:
        """Start each pending row's task in arrival order; each waits for its lane."""
        last_id = 0
        while not stop.is_set() and not lost.is_set():
            rows: list[inbox.InboxRow] = []
            if len(handling) < MAX_IN_FLIGHT:
                self._receiver.arrived.clear()
                async with self._sessions() as session:
                    rows = await inbox.pending(session, after_id=last_id, limit=FETCH_BATCH)
            for row in rows:
                last_id = row.id
                lane: object
                if row.channel == Channel.WHATSAPP.value:
                    # Not a Telegram update: the WhatsApp adapter handles it, in its lane.
                    # Imported here: a bot without WhatsApp never loads pywa (bench/memory.py).
                    from whatsapp.dispatch import whatsapp_work

                    lane = Lane(row.lane)
                    work = handle_row(
                        self._sessions, self._clock, row, whatsapp_work(app.bot_data, row)
                    )
                elif app.telegram is None:
                    # Stored while Telegram was set up; nothing here can answer it now.
                    lane = Lane(row.lane)
                    work = handle_row(self._sessions, self._clock, row, _no_telegram(row))
                else:
                    telegram = app.telegram
                    lane = update = Update.de_json(row.payload, telegram.bot)
                    process = functools.partial(telegram.process_update, update)
                    work = handle_row(self._sessions, self._clock, row, process)
                # Created in order; each joins its lane before its first await (processor.py).
                task = asyncio.create_task(processor.do_process_update(lane, work))
                handling.add(task)
                task.add_done_callback(handling.discard)
            if len(rows) < FETCH_BATCH:
                await _wait_any(self._receiver.arrived, stop, lost, seconds=INBOX_LOOK_S)
            else:
                await asyncio.sleep(0)


async def handle_row(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    row: inbox.InboxRow,
    process: Callable[[], Awaitable[object]],
) -> None:
    """Handle one inbox row with `process` (its channel's handling), then mark it done."""
    row_id = row.id
    name = row.key or row.update_id
    # Counted when it starts, not when fetched: an update still waiting in its lane when
    # a worker died had done nothing yet.
    try:
        async with sessions() as session, session.begin():
            before = await inbox.start_attempt(session, row_id)
    except Exception:
        # The database is away: the row stays pending for the next worker.
        log.exception("update %s could not be started", name)
        return
    if before:
        log.warning(
            "update %s is handled again after an interrupted attempt; "
            "replies it sent before may repeat",
            name,
            extra={"update_id": name, "attempt": before + 1},
        )
    token = inbox.current_row.set(row_id)
    again = inbox.rerun.set(before > 0)
    # Its replies go out before its commit: an attempt cut by a kill may have shown a
    # prompt the person already answered. Handled again, it draws the same step tokens,
    # so that answer still counts instead of reading as stale.
    tokens = form_tokens.token_source.set(form_tokens.tokens_from(row.token_seed))
    try:
        # Handler errors go to the error handler; the row is done all the same, since an
        # update that fails every time must not be tried for ever.
        await process()
    finally:
        form_tokens.token_source.reset(tokens)
        inbox.rerun.reset(again)
        inbox.current_row.reset(token)
    try:
        async with sessions() as session, session.begin():
            await inbox.mark_done(session, row_id, clock.now())
    except Exception:
        # The database is away: the row stays pending and the next worker handles it again
        # (its replies may repeat; the attempt count says so).
        log.exception("update %s could not be marked handled", name)


def _no_telegram(row: inbox.InboxRow) -> Callable[[], Awaitable[None]]:
    async def skip() -> None:
        log.warning(
            "update %s came by Telegram, which is not set up (TELEGRAM_BOT_TOKEN): skipped",
            row.key or row.update_id,
        )

    return skip


def _heartbeats_of(
    app: WorkerApp,
) -> Callable[[], tuple[datetime | None, datetime | None]]:
    sweeper, sender = app.bot_data[SWEEPER], app.bot_data[SENDER]
    return lambda: (sweeper.last, sender.heartbeat)


async def _stop_application(app: Application, started: bool) -> None:  # type: ignore[type-arg]
    try:
        if started and app.running:
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
        if app._initialized:  # PTB has no public flag for it
            await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
    except Exception:
        log.exception("the worker's application did not stop cleanly")


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _wait_any(*events: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class PollingFeed:
    """Polling mode: updates fetched by getUpdates go into the inbox, the one path.

    PTB's Updater confirms a batch with its next getUpdates call, right after handing the batch
    over; a kill between those two moments can lose that batch (the webhook has no such gap)."""

    def __init__(self, receiver: InboxReceiver, allowed_updates: list[str]) -> None:
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._receiver = receiver
        self._allowed = allowed_updates
        self.updater: Updater | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, app: Application) -> None:  # type: ignore[type-arg]
        self.updater = Updater(app.bot, self._queue)
        await self.updater.initialize()
        await self.updater.start_polling(allowed_updates=self._allowed)
        self._task = asyncio.create_task(self._store(), name="properbot-polling-feed")
        log.info("receiving updates by long polling")

    async def _store(self) -> None:
        while True:
            update = await self._queue.get()
            if not isinstance(update, Update):
                continue
            while True:
                try:
                    await self._receiver.accept(update.to_dict())
                    break
                except Exception:
                    log.exception("a polled update could not be stored; trying again")
                    await asyncio.sleep(1)

    async def stop(self) -> None:
        updater, self.updater = self.updater, None
        if updater is None:
            return
        if updater.running:
            await updater.stop()
        task, self._task = self._task, None
        if task is not None:
            # What was fetched is stored before stopping (for a few seconds at most).
            for _ in range(500):
                if self._queue.empty():
                    break
                await asyncio.sleep(0.01)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await updater.shutdown()
