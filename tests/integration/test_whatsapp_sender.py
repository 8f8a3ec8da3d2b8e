"""The delivery queue on WhatsApp, over real HTTP against fakewa on a real database: free form
inside the 24-hour window, the kind's template outside it, files uploaded from the evidence
store, the wamid recorded, Meta's refusals and limits mapped onto the queue's outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot

from bot.sender import Sender
from bot.settings import WhatsAppSettings
from domain import actions
from domain.clock import ManualClock
from domain.enums import Channel, DeliveryFailure, OutboxStatus
from fakegram import TINY_JPEG, FakeTelegram
from fakewa import FakeWhatsApp, Limits
from fakewa import errors as fakewa_errors
from fakewa.records import OutgoingMessage
from models import ChannelAccount, OutboxMessage, Person, ProgressUpdate, RelayedMessage
from models.db import session_factory
from services import coordination
from services.outbox import RELAY, Button, Outgoing, enqueue, file_item
from storage.evidence_store import MemoryStore
from tests.factories import add_milestones, import_roster, telegram_account
from whatsapp.client import create_client
from whatsapp.sender import WhatsAppDelivery
from whatsapp.statuses import retry_as_template
from whatsapp.templates import definitions

BUDI = "6281234567890"
SITI = "6285711112222"
RINA = "6281399998888"


@pytest.fixture
async def wa(clock: ManualClock) -> AsyncIterator[FakeWhatsApp]:
    async with FakeWhatsApp(clock=clock, limits=None) as fake:
        for template in definitions():
            body, *rest = template["components"]
            buttons = [b["text"] for c in rest for b in c["buttons"]]
            fake.add_template(
                template["name"], body["text"], language=template["language"], buttons=buttons
            )
        yield fake


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(clock=lambda: clock.now().timestamp()) as fake:
        yield fake


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as ptb:
        yield ptb


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


class Harness:
    """The sender with its WhatsApp delivery, as bot/app.py builds it."""

    def __init__(
        self,
        engine: AsyncEngine,
        bot: Bot,
        wa: FakeWhatsApp,
        clock: ManualClock,
        store: MemoryStore,
    ) -> None:
        self.engine, self.bot, self.wa, self.clock, self.store = engine, bot, wa, clock, store
        self.sessions = session_factory(engine)
        self._http = wa.httpx_client()
        self.client = create_client(
            WhatsAppSettings(
                phone_number_id=wa.phone_number_id,
                access_token=wa.access_token,
                app_secret=wa.app_secret,
                verify_token="verify-me",
                business_account_id=wa.waba_id,
                api_root=wa.api_root,
            ),
            self._http,
        )

    def sender(self, *, tier_limit: int = 250) -> Sender:
        whatsapp = WhatsAppDelivery(
            self.client,
            self.sessions,
            self.clock,
            tier_limit=tier_limit,
            evidence_store=self.store,
        )
        return Sender(
            self.bot, self.sessions, self.clock, evidence_store=self.store, channels=[whatsapp]
        )

    async def person(self, wa_id: str, name: str, *, wrote: datetime | None = None) -> int:
        """Someone joined on WhatsApp; `wrote`: when they last wrote (the window)."""
        async with self.sessions() as session, session.begin():
            person = Person(
                full_name=name,
                accounts=[
                    ChannelAccount(
                        channel=Channel.WHATSAPP,
                        external_user_id=wa_id,
                        chat_ref=wa_id,
                        last_inbound_at=wrote,
                    )
                ],
                joined_at=self.clock.now(),
                language="id",
                timezone="Asia/Jakarta",
            )
            session.add(person)
            await session.flush()
            return person.id

    async def queue(
        self, person_id: int, message: Outgoing, *, key: str, kind: str = "reminder"
    ) -> None:
        async with self.sessions() as session, session.begin():
            assert await enqueue(
                session,
                dedup_key=key,
                message=message,
                not_before=self.clock.now(),
                now=self.clock.now(),
                kind=kind,
                recipient_id=person_id,
            )

    async def row(self, key: str) -> OutboxMessage:
        async with self.sessions() as session:
            found = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.dedup_key == key)
            )
            assert found is not None
            return found

    async def account(self, wa_id: str) -> ChannelAccount:
        async with self.sessions() as session:
            found = await session.scalar(
                select(ChannelAccount).where(ChannelAccount.external_user_id == wa_id)
            )
            assert found is not None
            return found

    async def close(self) -> None:
        await self._http.aclose()


@pytest.fixture
async def harness(
    engine: AsyncEngine, bot: Bot, wa: FakeWhatsApp, clock: ManualClock, store: MemoryStore
) -> AsyncIterator[Harness]:
    found = Harness(engine, bot, wa, clock, store)
    yield found
    await found.close()


def reminder(title: str = "Survei kepuasan layanan") -> Outgoing:
    due = datetime(2026, 11, 3, 1, 0).date()
    return Outgoing(
        "reminder.milestone.tomorrow",
        {"title": title, "due_date": due, "days": 1},
        buttons=[[Button("report.button.report_now", callback_data=actions.report_now(17))]],
    )


async def a_report(engine: AsyncEngine, now: datetime) -> int:
    """Budi's report on his first milestone, through the roster and milestone services."""
    team = await import_roster(engine, now)
    [milestone, _] = await add_milestones(engine, team["budi"].nip, now)
    async with session_factory(engine)() as session, session.begin():
        author = await session.scalar(select(Person.id).where(Person.nip == team["budi"].nip))
        assert author is not None
        update = ProgressUpdate(
            milestone_id=milestone,
            author_id=author,
            text="Survei sudah disebar ke 120 responden.",
            progress_percent=60,
            submitted_at=now,
        )
        session.add(update)
        await session.flush()
        return update.id


async def threads(engine: AsyncEngine) -> dict[str, int]:
    """Each WhatsApp message recorded as carrying a report: its wamid and the report."""
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(RelayedMessage.message_ref, RelayedMessage.update_id).where(
                RelayedMessage.channel == Channel.WHATSAPP
            )
        )
        return dict(rows.tuples().all())


def report(media: list[dict[str, str]], thread: int | None = None) -> Outgoing:
    return Outgoing(
        "report.relay",
        {
            "participant": "Budi Santoso",
            "milestone": "Survei kepuasan layanan",
            "bar": "▓▓▓░░ 60%",
            "at": datetime(2026, 11, 1, 3, 0).astimezone(),
            "evidence": len(media),
            "body": "Survei sudah disebar ke 120 responden.",
        },
        media=media,
        thread=thread,
    )


async def test_a_reminder_inside_the_window_goes_free_form_with_its_button(
    harness: Harness, wa: FakeWhatsApp, clock: ManualClock
) -> None:
    budi = wa.person(BUDI, "Budi Santoso")
    budi.send("Halo")  # the window opens at Meta, and the adapter records it:
    person = await harness.person(BUDI, "Budi Santoso", wrote=clock.now())
    await harness.queue(person, reminder(), key="r:1")

    result = await harness.sender().drain_once()

    assert result.sent == 1
    sent = budi.last
    assert sent is not None and sent.type == "interactive" and sent.template is None
    assert "Survei kepuasan layanan" in (sent.text or "") and "*besok*" in (sent.text or "")
    assert sent.buttons == [(actions.report_now(17), "📝 Lapor sekarang")]
    row, account = await harness.row("r:1"), await harness.account(BUDI)
    assert row.status is OutboxStatus.SENT
    assert (row.message_ref, row.account_id) == (sent.wamid, account.id)
    assert "template" not in row.payload


async def test_four_buttons_go_as_a_list_never_as_a_fourth_button(
    harness: Harness, wa: FakeWhatsApp, clock: ManualClock
) -> None:
    siti = wa.person(SITI, "Siti Rahma")
    siti.send("Halo")
    mentor = await harness.person(SITI, "Siti Rahma", wrote=clock.now())
    labels = [
        "report.button.approve",
        "report.button.feedback",
        "report.button.acknowledge",
        "report.button.revision",
    ]
    buttons = [[Button(label, callback_data=f"ad1:{i}:55")] for i, label in enumerate(labels)]
    message = Outgoing("reminder.milestone.tomorrow", reminder().params, buttons=buttons)
    await harness.queue(mentor, message, key="fw:1", kind="feedback_wait")

    assert (await harness.sender().drain_once()).sent == 1

    [sent] = siti.inbox
    assert sent.buttons == [] and sent.list_button == "Pilih"
    assert [r["id"] for r in sent.rows] == ["ad1:0:55", "ad1:1:55", "ad1:2:55", "ad1:3:55"]
    assert all(len(r["title"]) <= 24 for r in sent.rows) and wa.errors == []


async def test_after_25_hours_the_reminder_goes_as_its_template(
    harness: Harness, wa: FakeWhatsApp, clock: ManualClock
) -> None:
    budi = wa.person(BUDI, "Budi Santoso")
    budi.send("Halo")
    person = await harness.person(BUDI, "Budi Santoso", wrote=clock.now())
    clock.advance(timedelta(hours=25))
    await harness.queue(person, reminder(), key="r:1")

    result = await harness.sender().drain_once()

    assert result.sent == 1
    sent = budi.last
    assert sent is not None and not sent.failed
    assert (sent.template, sent.template_language) == ("properbot_reminder", "id")
    # The message itself is the parameter, on one line, in the recipient's language.
    assert sent.text is not None and sent.text.startswith("Pengingat tahapan proyek perubahan")
    param = sent.payload["template"]["components"][0]["parameters"][0]["text"]
    assert "Survei kepuasan layanan" in param and "besok" in param and "\n" not in param
    row = await harness.row("r:1")
    assert row.message_ref == sent.wamid and row.payload["template"] == "properbot_reminder"


async def test_a_relay_with_a_photo_inside_the_window_uploads_the_stored_bytes(
    harness: Harness, wa: FakeWhatsApp, clock: ManualClock, store: MemoryStore
) -> None:
    siti = wa.person(SITI, "Siti Rahma")
    siti.send("Selamat pagi")
    mentor = await harness.person(SITI, "Siti Rahma", wrote=clock.now())
    thread = await a_report(harness.engine, clock.now())
    photo = await store.put(TINY_JPEG)
    item = file_item(
        "photo", sha256=photo.sha256, channel="telegram", ref="AgADBAAD", caption="Rapat *tim*"
    )
    await harness.queue(mentor, report([item], thread), key="relay:1", kind=RELAY)

    result = await harness.sender().drain_once()

    assert result.sent == 1
    image, text = siti.inbox
    assert image.type == "image" and image.media_id is not None
    uploaded = wa.media_by_id(image.media_id)
    assert (
        uploaded is not None and uploaded.data == TINY_JPEG and uploaded.mime_type == "image/jpeg"
    )
    assert image.text is not None and image.text.replace("\u200b", "") == "Rapat *tim*"
    assert text.type == "text" and "Budi Santoso" in (text.text or "")
    row = await harness.row("relay:1")
    assert row.status is OutboxStatus.SENT and row.message_ref == text.wamid
    # A relay keeps no copy of the words it carried once sent.
    assert "params" not in row.payload and row.payload["key"] == "report.relay"
    # A reply to either message (its context.id) threads under the report.
    assert await threads(harness.engine) == {image.wamid: thread, text.wamid: thread}


async def test_a_relay_outside_the_window_goes_as_the_template_with_its_button(
    harness: Harness, wa: FakeWhatsApp, store: MemoryStore, clock: ManualClock
) -> None:
    siti = wa.person(SITI, "Siti Rahma")
    mentor = await harness.person(SITI, "Siti Rahma", wrote=None)  # never wrote
    thread = await a_report(harness.engine, clock.now())
    photo = await store.put(TINY_JPEG)
    item = file_item("photo", sha256=photo.sha256)
    await harness.queue(mentor, report([item], thread), key="relay:1", kind=RELAY)

    result = await harness.sender().drain_once()

    assert result.sent == 1
    [sent] = siti.inbox  # no photo: a template carries the words, the tap brings the rest
    row = await harness.row("relay:1")
    assert sent.template == "properbot_relay"
    assert sent.template_buttons == [("Lihat laporan", f"view:{row.id}")]
    assert "Budi Santoso" in (sent.text or "") and wa.media == {}
    assert row.message_ref == sent.wamid and row.payload["template"] == "properbot_relay"
    assert row.payload["thread"] == thread and await threads(harness.engine) == {sent.wamid: thread}


async def test_a_relay_without_a_report_to_show_goes_as_a_notice(
    harness: Harness, wa: FakeWhatsApp
) -> None:
    siti = wa.person(SITI, "Siti Rahma")
    mentor = await harness.person(SITI, "Siti Rahma", wrote=None)
    await harness.queue(mentor, report([]), key="relay:1", kind=RELAY)

    assert (await harness.sender().drain_once()).sent == 1

    [sent] = siti.inbox
    assert sent.template == "properbot_notice" and sent.template_buttons == []


async def test_a_number_not_on_whatsapp_is_unreachable_as_a_blocked_telegram_user(
    harness: Harness, wa: FakeWhatsApp, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    accept = wa._accept

    def refuse_unknown(msg: OutgoingMessage) -> dict[str, object]:
        # Meta may refuse at once what it otherwise reports in a failed status.
        if msg.to not in wa.people:
            raise fakewa_errors.undeliverable()
        return accept(msg)

    monkeypatch.setattr(wa, "_accept", refuse_unknown)
    person = await harness.person(RINA, "Rina Wati", wrote=clock.now())
    await harness.queue(person, reminder(), key="r:1")

    first = await harness.sender().drain_once()

    assert first.unreachable == 1 and wa.error_codes() == [131026]
    row, account = await harness.row("r:1"), await harness.account(RINA)
    assert row.status is OutboxStatus.FAILED
    assert row.error_reason == DeliveryFailure.NOT_ON_WHATSAPP.value
    assert not account.reachable and account.blocked_since == clock.now()
    # What comes after it is not even tried, as for a blocked Telegram user.
    await harness.queue(person, reminder("Rapat koordinasi"), key="r:2")
    assert (await harness.sender().drain_once()).failed == 1
    second = await harness.row("r:2")
    assert second.status is OutboxStatus.FAILED
    assert second.error_reason == DeliveryFailure.UNREACHABLE.value
    assert wa.error_codes() == [131026]


async def test_over_the_messaging_tier_a_template_waits_and_goes_later(
    harness: Harness, wa: FakeWhatsApp, clock: ManualClock
) -> None:
    people = {}
    for index, wa_id in enumerate((BUDI, SITI, RINA)):
        wa.person(wa_id, f"Orang {index}")
        people[wa_id] = await harness.person(wa_id, f"Orang {index}")
        await harness.queue(people[wa_id], reminder(), key=f"r:{wa_id}")
    started = clock.now()

    result = await harness.sender(tier_limit=2).drain_once(paced=False)

    assert result.sent == 2 and result.retried == 1
    reached = [m.to for m in wa.outgoing]
    [left] = {BUDI, SITI, RINA} - set(reached)  # the three went at once: any one may wait
    waiting = await harness.row(f"r:{left}")
    assert waiting.status is OutboxStatus.PENDING and waiting.attempts == 0
    assert waiting.not_before == started + timedelta(hours=24)
    # Someone reached already counts once: a second template to them still goes.
    await harness.queue(people[reached[0]], reminder("Rapat koordinasi"), key="r:again")
    clock.advance(timedelta(minutes=1))
    # A new instance counts from the outbox, so the tier holds across restarts.
    again = await harness.sender(tier_limit=2).drain_once(paced=False)
    assert again.sent == 1 and [m.to for m in wa.outgoing] == [*reached, reached[0]]
    clock.advance(timedelta(hours=24))
    later = await harness.sender(tier_limit=2).drain_once(paced=False)
    assert later.sent == 1 and wa.outgoing[-1].to == left


async def test_a_closed_window_meta_reports_at_once_sends_the_template_instead(
    harness: Harness, wa: FakeWhatsApp, clock: ManualClock
) -> None:
    wa.window_errors = "response"
    budi = wa.person(BUDI, "Budi Santoso")  # he never wrote to Meta's number...
    person = await harness.person(BUDI, "Budi Santoso", wrote=clock.now())  # ...we think he did
    await harness.queue(person, reminder(), key="r:1")

    result = await harness.sender().drain_once()

    assert result.sent == 1 and wa.error_codes() == [131047]
    [sent] = budi.inbox
    assert sent.template == "properbot_reminder"
    assert (await harness.row("r:1")).message_ref == sent.wamid


async def test_a_window_closed_reported_later_sends_the_template_then(
    harness: Harness, wa: FakeWhatsApp, clock: ManualClock
) -> None:
    budi = wa.person(BUDI, "Budi Santoso")  # he never wrote to Meta's number...
    person = await harness.person(BUDI, "Budi Santoso", wrote=clock.now())  # ...we think he did
    await harness.queue(person, reminder(), key="r:1")
    assert (await harness.sender().drain_once()).sent == 1
    [refused] = wa.outgoing
    assert refused.failed and refused.error is not None and refused.error.code == 131047
    row = await harness.row("r:1")
    assert row.message_ref == refused.wamid

    # What the failed status (whatsapp/statuses.py) asks for: the same message, as a template.
    async with harness.sessions() as session, session.begin():
        assert await retry_as_template(session, row.id, clock.now())
        assert not await retry_as_template(session, row.id, clock.now())  # once

    assert (await harness.sender().drain_once()).sent == 1
    [sent] = budi.inbox
    assert sent.template == "properbot_reminder" and "Survei" in (sent.text or "")
    assert (await harness.row("r:1")).message_ref == sent.wamid


async def test_the_pair_rate_retries_that_person_later_without_loss(
    harness: Harness, wa: FakeWhatsApp, clock: ManualClock
) -> None:
    budi = wa.person(BUDI, "Budi")
    budi.send("Halo")
    person = await harness.person(BUDI, "Budi", wrote=clock.now())
    await harness.queue(person, reminder("Satu"), key="a:1")
    await harness.queue(person, reminder("Dua"), key="a:2")
    wa.limits = Limits(pair_burst=1)
    sender = harness.sender()

    first = await sender.drain_once(paced=False)  # unpaced, so Meta's limit is met

    assert (first.sent, first.retried, first.rate_limited) == (1, 1, 1)
    assert wa.error_codes() == [131056]
    waiting = await harness.row("a:2")
    assert waiting.status is OutboxStatus.PENDING and waiting.attempts == 0
    assert waiting.not_before == clock.now() + timedelta(seconds=6)
    async with harness.sessions() as session:
        assert await coordination.send_pause(session, Channel.WHATSAPP) is None
    clock.advance(timedelta(seconds=6))
    assert (await sender.drain_once()).sent == 1
    assert ["Dua" in (m.text or "") for m in budi.inbox] == [False, True]


async def test_the_throughput_limit_pauses_the_channel_then_sends_everything(
    harness: Harness, wa: FakeWhatsApp, clock: ManualClock
) -> None:
    for wa_id in (BUDI, SITI):
        wa.person(wa_id, "Orang").send("Halo")
        person = await harness.person(wa_id, "Orang", wrote=clock.now())
        await harness.queue(person, reminder(), key=f"a:{wa_id}")
    wa.limits = Limits(throughput_per_second=1)
    sender = harness.sender()

    first = await sender.drain_once(paced=False)

    assert (first.sent, first.retried, first.rate_limited) == (1, 1, 1)
    assert wa.error_codes() == [130429]
    async with harness.sessions() as session:
        pause = await coordination.send_pause(session, Channel.WHATSAPP)
    assert pause == clock.now() + timedelta(seconds=1)
    assert first.next_at == pause
    # Paused, on every instance: a new sender sends nothing before the pause ends.
    assert (await harness.sender().drain_once(paced=False)).sent == 0
    clock.advance(timedelta(seconds=1))
    assert (await sender.drain_once()).sent == 1
    rows = [await harness.row(f"a:{wa_id}") for wa_id in (BUDI, SITI)]
    assert all(r.status is OutboxStatus.SENT for r in rows)
    assert len({m.to for m in wa.outgoing if m.wamid in {r.message_ref for r in rows}}) == 2


async def test_one_drain_serves_both_channels_each_by_its_own(
    harness: Harness, wa: FakeWhatsApp, server: FakeTelegram, clock: ManualClock
) -> None:
    telegram_user = server.user(4242, "Bambang")
    async with harness.sessions() as session, session.begin():
        mentor = Person(
            full_name="Bambang Sutrisno",
            accounts=[telegram_account(4242)],
            joined_at=clock.now(),
            language="id",
        )
        session.add(mentor)
        await session.flush()
        mentor_id = mentor.id
    budi = wa.person(BUDI, "Budi Santoso")
    budi.send("Halo")
    participant = await harness.person(BUDI, "Budi Santoso", wrote=clock.now())
    await harness.queue(mentor_id, reminder(), key="t:1")
    await harness.queue(participant, reminder(), key="w:1")

    result = await harness.sender().drain_once()

    assert result.sent == 2
    assert "Survei kepuasan layanan" in str(telegram_user.inbox[-1].plain)
    assert len(budi.inbox) == 1 and budi.inbox[0].template is None
    telegram_row, whatsapp_row = await harness.row("t:1"), await harness.row("w:1")
    assert telegram_row.message_ref is not None and telegram_row.message_ref.isdigit()
    assert whatsapp_row.message_ref == budi.inbox[0].wamid


async def test_someone_on_both_channels_gets_messages_where_they_last_wrote(
    harness: Harness, wa: FakeWhatsApp, server: FakeTelegram, clock: ManualClock
) -> None:
    telegram_user = server.user(4242, "Budi")
    budi = wa.person(BUDI, "Budi Santoso")
    budi.send("Halo")
    person = await harness.person(BUDI, "Budi Santoso", wrote=clock.now())
    async with harness.sessions() as session, session.begin():
        account = telegram_account(4242)
        account.person_id, account.last_inbound_at = person, clock.now() - timedelta(days=3)
        session.add(account)
    await harness.queue(person, reminder("Satu"), key="b:1")

    assert (await harness.sender().drain_once()).sent == 1
    assert len(budi.inbox) == 1 and telegram_user.inbox == []

    # He writes on Telegram now: what follows goes there.
    clock.advance(timedelta(hours=1))
    async with harness.sessions() as session, session.begin():
        (await session.get_one(ChannelAccount, account.id)).last_inbound_at = clock.now()
    await harness.queue(person, reminder("Dua"), key="b:2")
    assert (await harness.sender().drain_once()).sent == 1
    assert "Dua" in str(telegram_user.inbox[-1].plain) and len(budi.inbox) == 1

    # Unreachable on Telegram: WhatsApp again, though he wrote there earlier.
    async with harness.sessions() as session, session.begin():
        (await session.get_one(ChannelAccount, account.id)).reachable = False
    await harness.queue(person, reminder("Tiga"), key="b:3")
    assert (await harness.sender().drain_once()).sent == 1
    assert "Tiga" in (budi.inbox[-1].text or "")
    rows = [await harness.row(key) for key in ("b:1", "b:2", "b:3")]
    assert [r.account_id for r in rows] == [rows[0].account_id, account.id, rows[0].account_id]
