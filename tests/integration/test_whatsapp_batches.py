"""Meta's batched webhooks and the media types the adapter does not take, over real HTTP: fakewa
posts one signed webhook carrying several messages, the inbox keeps each, the adapter answers
each; audio and video get the clear "cannot be processed" answer and nothing is lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import ManualClock
from domain.enums import Channel
from fakegram import TINY_JPEG
from fakewa import FakePerson, IncomingMessage
from models import FormState, ProgressUpdate
from models.inbox import InboxUpdate
from tests.factories import add_milestones, import_roster
from tests.integration.test_whatsapp_flows import PARTICIPANT_MENU
from tests.integration.whatsapp_harness import WhatsAppBot, join, running_whatsapp, text

BUDI = "6281234567890"
NUR = "6282199998888"


@pytest.fixture
async def bot(engine: AsyncEngine, clock: ManualClock) -> AsyncIterator[WhatsAppBot]:
    async with running_whatsapp(engine, clock) as running:
        yield running


async def _joined(bot: WhatsAppBot, engine: AsyncEngine, now: datetime) -> FakePerson:
    """Budi, a participant with two milestones, joined on WhatsApp."""
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = bot.wa.person(BUDI, "Budi")
    await join(bot, budi, team["budi"].code)
    return budi


async def _rows(bot: WhatsAppBot, sent: list[IncomingMessage]) -> list[InboxUpdate]:
    """The inbox rows of these messages, in the order they were stored."""
    async with bot.sessions() as session:
        return list(
            await session.scalars(
                select(InboxUpdate)
                .where(
                    InboxUpdate.channel == Channel.WHATSAPP.value,
                    InboxUpdate.external_id.in_([m.wamid for m in sent]),
                )
                .order_by(InboxUpdate.id)
            )
        )


async def test_three_messages_in_one_post_are_three_rows_each_answered_once(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    budi = await _joined(bot, engine, now)
    posts_before = len(bot.wa.webhook_posts)

    sent = budi.send_batch(["bantuan", "status", "menu"])
    help_ = await budi.next_reply()
    status = await budi.next_reply()
    menu = await budi.next_reply()
    await bot.settle()

    batch = [p for p in bot.wa.webhook_posts[posts_before:] if p.kind == "messages"]
    assert len(batch) == 1 and batch[0].ok and batch[0].status == 200  # one POST, accepted
    rows = await _rows(bot, sent)
    assert [r.external_id for r in rows] == [m.wamid for m in sent]  # each stored, in order
    assert all(r.status == "done" and r.lane == f"wa:{BUDI}" for r in rows)
    assert [r.payload["message"]["text"]["body"] for r in rows] == ["bantuan", "status", "menu"]
    # Each answered, in the order they were sent.
    assert "LAPOR" in (help_.text or "")
    assert "Layanan Aduan Warga Terpadu" in (status.text or "")
    assert menu.row_titles == PARTICIPANT_MENU

    # Meta posts the same batch again: nothing new is stored, nothing answered twice.
    answered, posted = len(budi.inbox), len(bot.wa.webhook_posts)
    bot.wa.repeat_webhook(batch[0])
    await bot.wa.wait_delivered()
    await bot.settle()
    assert [p.ok for p in bot.wa.webhook_posts[posted:] if p.body == batch[0].body] == [True]
    again = await _rows(bot, sent)
    assert [r.id for r in again] == [r.id for r in rows]
    assert len(budi.inbox) == answered


async def test_a_batch_of_report_answers_walks_the_form_step_by_step(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    """The words of three questions typed in a burst: each row is the next step's answer."""
    budi = await _joined(bot, engine, now)
    budi.send("LAPOR")
    chooser = await budi.next_reply()
    budi.choose(chooser, chooser.row_titles[0])
    await budi.next_reply()  # what was done?

    sent = budi.send_batch(["Rapat dengan 12 OPD.", "Jadwal bentrok.", "Uji coba."])
    obstacles = await budi.next_reply()
    next_steps = await budi.next_reply()
    evidence = await budi.next_reply()
    await bot.settle()

    assert obstacles.button_titles == ["Lewati"]
    assert "rencana" in (next_steps.text or "").lower()
    assert evidence.button_titles == ["Lewati"]  # the evidence question, no file yet
    assert len(await _rows(bot, sent)) == 3
    async with bot.sessions() as session:
        state = await session.scalar(select(FormState))
        assert state is not None and state.step == "evidence"
        assert (state.draft["text"], state.draft["obstacles"], state.draft["next_steps"]) == (
            "Rapat dengan 12 OPD.",
            "Jadwal bentrok.",
            "Uji coba.",
        )


async def test_two_people_in_one_post_each_get_their_own_answer(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    budi = await _joined(bot, engine, now)
    stranger = bot.wa.person(NUR, "Nur")
    with bot.wa.batch():
        first = stranger.send("Halo")
        second = budi.send("bantuan")
    assert (await stranger.next_reply()).text == text("wa.not_registered")
    assert "LAPOR" in ((await budi.next_reply()).text or "")
    await bot.settle()
    rows = await _rows(bot, [first, second])
    assert [(r.external_id, r.lane) for r in rows] == [
        (first.wamid, f"wa:{NUR}"),
        (second.wamid, f"wa:{BUDI}"),
    ]
    assert rows[0].payload["contact"]["name"] == "Nur"
    assert rows[1].payload["contact"]["name"] == "Budi"


async def test_audio_and_video_outside_a_form_get_the_unsupported_answer(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    budi = await _joined(bot, engine, now)
    sent = [budi.send_audio(), budi.send_video(caption="Video sosialisasi")]
    for _ in sent:
        assert (await budi.next_reply()).text == text("text.unsupported")
    # In a batch too, after words: each message its own answer.
    sent += budi.send_batch(["bantuan"])
    assert "LAPOR" in ((await budi.next_reply()).text or "")
    with bot.wa.batch():
        sent += [budi.send_video(), budi.send_audio()]
    for _ in range(2):
        assert (await budi.next_reply()).text == text("text.unsupported")
    await bot.settle()

    rows = await _rows(bot, sent)
    # Nothing lost: every message stored as Meta sent it, and handled.
    assert [r.payload["message"]["type"] for r in rows] == [
        "audio",
        "video",
        "text",
        "video",
        "audio",
    ]
    assert rows[0].payload["message"]["audio"]["voice"] is False
    assert all(r.status == "done" for r in rows)
    async with bot.sessions() as session:
        # Not taken for a report offer either: no form opened, no report made.
        assert await session.scalar(select(FormState)) is None
        assert await session.scalar(select(func.count()).select_from(ProgressUpdate)) == 0


async def test_audio_and_video_at_the_evidence_step_change_nothing(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    budi = await _joined(bot, engine, now)
    budi.send("LAPOR")
    chooser = await budi.next_reply()
    budi.choose(chooser, chooser.row_titles[0])
    await budi.next_reply()
    budi.send("Rapat koordinasi.")
    budi.press(await budi.next_reply(), "Lewati")
    budi.press(await budi.next_reply(), "Lewati")
    await budi.next_reply()  # the evidence question
    budi.send_image(TINY_JPEG, "Rapat")
    first = await budi.next_reply()
    assert "1 berkas" in (first.text or "")

    budi.send_video(caption="Video rapat")
    assert (await budi.next_reply()).text == text("text.unsupported")
    budi.send_audio()
    assert (await budi.next_reply()).text == text("text.unsupported")
    await bot.settle()
    async with bot.sessions() as session:
        state = await session.scalar(select(FormState))
        assert state is not None and state.step == "evidence"
        assert len(state.draft["evidence"]) == 1  # the photo kept, nothing added
    # The form goes on: "Selesai" still finishes the evidence.
    budi.press(first, "Selesai")
    percent = await budi.next_reply()
    assert percent.row_titles[:2] == ["0%", "10%"]
