"""kill -9 during a burst of relays: nothing is lost; a relay in flight is repeated at most
once, and the repeat is logged.

A real `properbot run` talks to the fake Bot API through a small proxy that can hold the
mentor's incoming messages, so a relay is certainly in flight (claimed, on its way, not yet
recorded as sent) when the process is killed. The held request then reaches "Telegram"
anyway, as a send cut by a crash may have; the restarted process must send it once more,
say so in its log, and send every relay still waiting exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.enums import Channel, OutboxStatus
from fakegram import TINY_JPEG, FakeTelegram
from models import ChannelAccount, OutboxMessage, Person, ProgressUpdate, RelayedMessage
from models.db import session_factory
from services.outbox import RELAY
from tests.factories import HEADER, add_milestones, import_roster, telegram_account

TOKEN = "424242424:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
STEP = 60.0  # seconds any one bot answer may take on a busy machine
MENTOR_CHAT, COACH_CHAT = 7700550, 7700660
PARTICIPANTS = {
    # handle: (telegram id, NIP, name)
    "budi": (7701001, "198001152005011001", "Budi Santoso"),
    "nurhayati": (7701002, "198203102006042002", "Nurhayati Umasugi"),
    "rahmat": (7701003, "198104202006041007", "Rahmat Hidayat"),
    "dewi": (7701004, "198309092008012008", "Dewi Lestari"),
}
ROSTER = "\n".join(
    [
        HEADER,
        "mentor,Dr. Ir. Bambang Wijaya,197005051995031003,Pemprov Sumsel,Sekretaris Daerah,WIB,,,",
        "coach,Dr. Lina Marliani,197209092000122004,BPSDM Sumsel,Widyaiswara,WIB,,,",
        *(
            f"peserta,{name},{nip},Dinas Kominfo,Kepala Bidang,WIB,"
            "197005051995031003,197209092000122004,Layanan Aduan Warga"
            for _, nip, name in PARTICIPANTS.values()
        ),
    ]
)
ADVISORS = {"197005051995031003": MENTOR_CHAT, "197209092000122004": COACH_CHAT}


class HoldingProxy:
    """Forwards every Bot API call to the fake server. With `hold` on, the next text sent to
    the mentor waits until released, and then reaches the server even if its caller has gone
    (only that one: a retry of it goes straight through)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.hold = False
        self.held = 0
        self.held_forwarded = 0
        self._released = asyncio.Event()
        self._client: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.root = ""
        self._forwards: set[asyncio.Task[tuple[int, bytes, str]]] = set()

    async def start(self) -> HoldingProxy:
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.root = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self.release()
        if self._forwards:
            await asyncio.gather(*self._forwards, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    def release(self) -> None:
        self._released.set()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        method = request.path.rsplit("/", 1)[-1]
        held = self.hold and method == "sendMessage" and str(MENTOR_CHAT).encode() in body
        if held:
            self.hold = False
        # Shielded: a caller killed meanwhile does not stop the call reaching the server.
        forward = asyncio.ensure_future(self._forward(request, body, held))
        self._forwards.add(forward)
        forward.add_done_callback(self._forwards.discard)
        status, payload, content_type = await asyncio.shield(forward)
        return web.Response(body=payload, status=status, headers={"Content-Type": content_type})

    async def _forward(
        self, request: web.Request, body: bytes, held: bool
    ) -> tuple[int, bytes, str]:
        if held:
            self.held += 1
            await self._released.wait()
        assert self._client is not None
        headers = {"Content-Type": request.headers.get("Content-Type", "")}
        async with self._client.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as answer:
            self.held_forwarded += held
            return (
                answer.status,
                await answer.read(),
                answer.headers.get("Content-Type", "application/json"),
            )


@contextlib.asynccontextmanager
async def holding_proxy(upstream: str) -> AsyncIterator[HoldingProxy]:
    proxy = await HoldingProxy(upstream).start()
    try:
        yield proxy
    finally:
        await proxy.stop()


async def start_bot(database_url: str, api_root: str, cwd: Path, log: Path) -> Any:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_ROOT": api_root,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "WEB_PORT": "0",  # any free port: tests run side by side
    }
    # The log goes to a file: a pipe nobody reads while the bot works would fill and stall it.
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            cwd=cwd, env=env, stdout=sink, stderr=sink,
        )  # fmt: skip


async def bind_everyone(engine: AsyncEngine, now: datetime) -> None:
    """Everyone has joined the bot from their Telegram account (as /start with the code does)."""
    chats = {nip: chat for chat, nip, _ in PARTICIPANTS.values()} | ADVISORS
    async with session_factory(engine)() as session, session.begin():
        for nip, chat in chats.items():
            person = await session.scalar(select(Person).where(Person.nip == nip))
            assert person is not None
            person.joined_at = person.consent_at = now
            person.accounts.append(telegram_account(chat))


async def until(server: FakeTelegram, what: str, predicate: Callable[[], Any]) -> Any:
    return await server.wait_for(predicate, timeout=STEP, description=what)


async def typed(server: FakeTelegram, user: Any, words: str) -> Any:
    """The user sends text; returns the bot's next new message."""
    seen = len(user.inbox)
    user.send(words)
    return await until(
        server,
        f"an answer to {words!r}",
        lambda: user.inbox[seen] if len(user.inbox) > seen else None,
    )


async def pressed(server: FakeTelegram, user: Any, message: Any, label: str) -> None:
    """The user presses a button of a form; the pressed message turns into the next step."""
    edits = len(message.edits)
    user.press(message, label)
    await until(server, f"{label!r} answered", lambda: len(message.edits) > edits)


async def up_to_the_summary(server: FakeTelegram, user: Any, words: str, photos: int) -> Any:
    """/lapor to the summary with its "Kirim" button; returns that summary."""
    chooser = await typed(server, user, "/lapor")
    await pressed(server, user, chooser, chooser.button_texts[0])
    prompt = await typed(server, user, words)
    await pressed(server, user, prompt, "Lewati")  # kendala
    await pressed(server, user, prompt, "Lewati")  # rencana berikutnya
    if photos:
        seen = len(user.inbox)
        user.send_album([("photo", TINY_JPEG, f"Foto {i + 1}") for i in range(photos)])
        prompt = await until(
            server,
            "the album acknowledged",
            lambda: next((m for m in user.inbox[seen:] if "Selesai" in m.button_texts), None),
        )
        await pressed(server, user, prompt, "Selesai")
    else:
        await pressed(server, user, prompt, "Lewati")  # bukti dukung
    await pressed(server, user, prompt, "60%")
    assert "Kirim" in prompt.button_texts
    return prompt


def arrived(advisor: Any, words: str) -> int:
    """How many times the relay's text reached the advisor."""
    return sum(1 for m in advisor.inbox if m.kind == "text" and words in (m.plain or ""))


async def relay_rows(engine: AsyncEngine) -> list[OutboxMessage]:
    async with session_factory(engine)() as session:
        return list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == RELAY).order_by(OutboxMessage.id)
            )
        )


async def test_kill_9_during_a_burst_of_relays_loses_none_and_repeats_only_what_was_in_flight(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    team = await import_roster(engine, now, ROSTER)
    for handle in PARTICIPANTS:
        await add_milestones(engine, team[handle].nip, now)
    await bind_everyone(engine, now - timedelta(minutes=5))
    words = {handle: f"Laporan {name} tentang rapat koordinasi." for handle, (_, _, name) in
             PARTICIPANTS.items()}  # fmt: skip
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"

    async with FakeTelegram(token=TOKEN, bot_username="properbot_crash_bot") as server:
        mentor = server.user(MENTOR_CHAT, "Bambang")
        coach = server.user(COACH_CHAT, "Lina")
        people = {h: server.user(chat, name) for h, (chat, _, name) in PARTICIPANTS.items()}
        async with holding_proxy(server.api_root) as proxy:
            first = await start_bot(database_url, proxy.root, tmp_path, first_log)
            try:
                # One report before the burst: the sender, woken by the commit, relays it at
                # once (with nothing else to do it would look at the queue again in a minute).
                lead, *burst = PARTICIPANTS
                summary = await up_to_the_summary(server, people[lead], words[lead], photos=0)
                started = time.monotonic()
                await pressed(server, people[lead], summary, "Kirim")
                await until(
                    server,
                    "the first report relayed to both advisors",
                    lambda: arrived(mentor, words[lead]) and arrived(coach, words[lead]),
                )
                assert time.monotonic() - started < 20

                summaries = {
                    handle: await up_to_the_summary(
                        server, people[handle], words[handle], photos=2 if handle == "rahmat" else 0
                    )
                    for handle in burst
                }
                # The burst: the mentor's first relay of it is held on its way, the rest queue.
                proxy.hold = True
                for handle, message in summaries.items():
                    people[handle].press(message, "Kirim")
                await until(
                    server,
                    "every receipt",
                    lambda: all("Diteruskan kepada" in (m.plain or "") for m in summaries.values()),
                )
                await until(server, "a relay to the mentor held", lambda: proxy.held == 1)
                # Confirmed, so the restarted bot is not handed the presses again.
                await until(
                    server,
                    "every update confirmed",
                    lambda: server.confirmed_update_id >= server.last_update_id,
                )
            finally:
                first.send_signal(signal.SIGKILL)
                await asyncio.wait_for(first.wait(), STEP)
            assert first.returncode == -signal.SIGKILL
            # In flight when it died: claimed and not finished, or back in the queue after a
            # send that may have arrived (a timeout: the held one, if the kill came late).
            rows = await relay_rows(engine)
            claimed = {m.id for m in rows if m.status is OutboxStatus.SENDING}
            in_flight = claimed | {m.id for m in rows if m.maybe_repeated}
            assert in_flight, "nothing was in flight"

            # The held send reaches Telegram after all: the mentor has it, the dead process
            # never learned so.
            proxy.release()
            await until(
                server, "the held send forwarded", lambda: proxy.held_forwarded == proxy.held
            )
            waiting = [m.id for m in await relay_rows(engine) if m.status is OutboxStatus.PENDING]
            assert waiting, "the kill came after the burst, not during it"

            polls = len(server.calls_to("getUpdates"))
            second = await start_bot(database_url, proxy.root, tmp_path, second_log)
            try:
                await until_sent(server, engine)
                # Stopped once it runs (polling), not while it is still starting.
                await until(
                    server, "the bot polling", lambda: len(server.calls_to("getUpdates")) > polls
                )
            finally:
                second.send_signal(signal.SIGINT)
                await asyncio.wait_for(second.wait(), STEP)
            assert second.returncode == 0, second_log.read_text()

        # Every relay arrived at least once and at most twice; twice only what was in flight.
        rows = await relay_rows(engine)
        repeated = set()
        for handle, text in words.items():
            for advisor in (mentor, coach):
                times = arrived(advisor, text)
                assert 1 <= times <= 2, (handle, advisor.id, times)
                if times == 2:
                    repeated.add((people[handle].id, advisor.id))
        assert repeated <= await who_to_whom(engine, in_flight)
        assert (people["budi"].id, MENTOR_CHAT) not in repeated  # sent before the burst
        # The held one reached the mentor twice: before the kill and after the restart.
        assert any(advisor == MENTOR_CHAT for _, advisor in repeated)
        assert all(row.status is OutboxStatus.SENT for row in rows)
        # The album went with its report, both times it went: photos stay with their text.
        assert sum(1 for m in mentor.inbox if m.kind == "photo") in (2, 4)

    log = second_log.read_text()
    for row_id in claimed:
        assert re.search(rf"may be repeated once: ids \[[^\]]*\b{row_id}\b", log), log
    for row_id in in_flight:
        assert f"sending outbox message {row_id} again" in log, log
    assert TOKEN not in first_log.read_text() + log
    # Every relay's text is remembered where it was recorded sent (the copy the restarted
    # process sent, for a repeat), so a reply to it threads and its buttons work.
    async with session_factory(engine)() as session:
        recorded = set(
            (int(chat), int(message))
            for chat, message in (
                await session.execute(select(RelayedMessage.chat_ref, RelayedMessage.message_ref))
            ).tuples()
        )
    for advisor in (mentor, coach):
        for text in words.values():
            copies = [m for m in advisor.inbox if m.kind == "text" and text in (m.plain or "")]
            assert (advisor.id, copies[-1].message_id) in recorded


async def until_sent(server: FakeTelegram, engine: AsyncEngine) -> None:
    deadline = time.monotonic() + 3 * STEP
    while time.monotonic() < deadline:
        rows = await relay_rows(engine)
        if rows and all(m.status is OutboxStatus.SENT for m in rows):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"relays left: {[(m.id, m.status) for m in await relay_rows(engine)]}")


async def who_to_whom(engine: AsyncEngine, row_ids: set[int]) -> set[tuple[int, int]]:
    """(the report author's chat, the recipient's chat) of these relays."""
    async with session_factory(engine)() as session:
        people = await session.execute(
            select(ChannelAccount.person_id, ChannelAccount.chat_ref).where(
                ChannelAccount.channel == Channel.TELEGRAM
            )
        )
        chats = {pid: int(chat) for pid, chat in people.tuples() if chat is not None}
        reports = await session.execute(select(ProgressUpdate.id, ProgressUpdate.author_id))
        authors = {update_id: author for update_id, author in reports.tuples()}
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(row_ids)))
        return {(chats[authors[row.payload["thread"]]], chats[row.recipient_id]) for row in rows}
