"""The participant flows on WhatsApp, over real HTTP: fakewa posts signed webhooks to the web
app, the inbox keeps them, the WhatsApp adapter answers through pywa on the real database."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from pywa_async import types
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import actions
from domain.clock import ManualClock
from domain.enums import Channel, FeedbackKind, OutboxStatus
from domain.markup import to_whatsapp
from fakegram import TINY_JPEG
from fakewa import FakePerson, OutgoingMessage
from models import Evidence, FeedbackNote, FormState, OutboxMessage, Person, ProgressUpdate
from services import reports
from tests.factories import add_milestones, import_roster, telegram_account
from tests.integration.whatsapp_harness import (
    WhatsAppBot,
    join,
    person_id,
    running_whatsapp,
    text,
    whatsapp_account,
)
from whatsapp.keywords import whatsapp_translator

BUDI = "6281234567890"
BAMBANG = "6281122223333"
T = whatsapp_translator("id")
# What a participant may do on WhatsApp, in the Menu's order.
PARTICIPANT_MENU = [
    "Lapor kemajuan",
    "Status proyek",
    "Proyek & tahapan",
    "Jeda pengingat",
    "Kirim bahan seminar",
    "Jadwal seminar",
    "Bantuan",
]


@pytest.fixture
async def bot(engine: AsyncEngine, clock: ManualClock) -> AsyncIterator[WhatsAppBot]:
    async with running_whatsapp(engine, clock) as running:
        yield running


async def test_a_stranger_joins_by_the_invitation_text_and_consent(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = bot.wa.person(BUDI, "Budi")

    budi.send("Halo, selamat pagi")
    assert (await budi.next_reply()).text == text("wa.not_registered")

    budi.send(f"daftar {team['budi'].code.lower()}")  # as typed, in any letter case
    consent = await budi.next_reply()
    assert consent.type == "interactive"
    assert consent.button_titles == ["Setuju", "Tidak setuju"]
    assert "WhatsApp" in (consent.text or "") and "Budi Santoso" in (consent.text or "")
    assert await whatsapp_account(bot, BUDI) is None  # nothing bound before consent

    budi.press(consent, "Setuju")
    recorded = await budi.next_reply()
    assert (recorded.text or "").startswith("✅")
    joined = await budi.next_reply()
    assert "PKP Angkatan IV" in (joined.text or "")
    menu = await budi.next_reply()
    assert menu.list_button == "Menu"
    assert menu.row_titles == PARTICIPANT_MENU
    await bot.settle()

    account = await whatsapp_account(bot, BUDI)
    assert account is not None and account.chat_ref == BUDI and account.reachable
    async with bot.sessions() as session:
        person = await session.get_one(Person, account.person_id)
        assert person.nip == team["budi"].nip and person.consent_at is not None

    # The consent again (an old message's button): already joined, nothing changes.
    budi.press(consent, "Setuju")
    assert (await budi.next_reply()).text == text("code.already_joined")


async def test_a_wrong_code_counts_and_declining_binds_nothing(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = bot.wa.person(BUDI, "Budi")
    budi.send("DAFTAR ZZZZ9999")
    assert (await budi.next_reply()).text == text("code.unknown", left=4)
    budi.send("DAFTAR")
    assert (await budi.next_reply()).text == text("wa.code_missing")
    budi.send(f"DAFTAR {team['budi'].code}")
    consent = await budi.next_reply()
    budi.press(consent, "Tidak setuju")
    assert (await budi.next_reply()).text == text("consent.declined")
    await bot.settle()
    assert await whatsapp_account(bot, BUDI) is None


async def _participant(bot: WhatsAppBot, engine: AsyncEngine, now: datetime) -> dict[str, object]:
    """Budi joined on WhatsApp with two milestones; his mentor Bambang joined on Telegram."""
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    bambang = await person_id(bot, team["bambang"].nip)
    async with bot.sessions() as session, session.begin():
        person = await session.get_one(Person, bambang)
        person.accounts.append(telegram_account(7001))
        person.joined_at = person.consent_at = now
    await join(bot, bot.wa.person(BUDI, "Budi"), team["budi"].code)
    return {"team": team, "bambang": bambang}


async def test_lapor_with_two_photos_selesai_and_confirm_saves_and_relays(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    known = await _participant(bot, engine, now)
    budi = bot.wa.person(BUDI, "Budi")

    budi.send("lapor")
    chooser = await budi.next_reply()
    assert chooser.text == text("report.choose_milestone")
    assert chooser.rows and all(len(title) <= 24 for title in chooser.row_titles)
    first = chooser.rows[0]
    # The label is longer than a row title: shortened, the whole of it in the description.
    assert first["title"].endswith("…") and first["description"].startswith(
        "Rapat koordinasi tim efektif"
    )
    budi.choose(chooser, first["title"])
    ask_text = await budi.next_reply()
    assert "kegiatan yang telah dilakukan" in (ask_text.text or "")
    budi.send("Sosialisasi aplikasi ke 12 OPD.")
    obstacles = await budi.next_reply()
    assert obstacles.button_titles == ["Lewati"]
    budi.press(obstacles, "Lewati")
    await budi.next_reply()  # rencana berikutnya
    budi.send("Uji coba di dua kelurahan.")
    evidence = await budi.next_reply()
    assert evidence.button_titles == ["Lewati"]

    budi.send_image(TINY_JPEG, "Rapat")
    assert "1 berkas" in (await budi.next_reply()).text  # type: ignore[operator]
    budi.send_image(TINY_JPEG + b"\x00", "Sosialisasi")
    second = await budi.next_reply()
    assert "2 berkas" in (second.text or "") and second.button_titles == ["Selesai"]
    budi.send("Selesai")
    percent = await budi.next_reply()
    # Eleven choices: a first page of nine and a row for the rest.
    assert percent.row_titles[:2] == ["0%", "10%"] and percent.row_titles[-1] == "Lainnya ›"
    assert len(percent.rows) == 10
    budi.choose(percent, "Lainnya ›")
    rest = await budi.next_reply()
    assert rest.row_titles == ["90%", "100%"]
    budi.choose(percent, "60%")
    summary = await budi.next_reply()
    assert "Sosialisasi aplikasi ke 12 OPD." in (summary.text or "")
    assert summary.button_titles == ["Kirim", "Ubah", "Batal"]
    budi.press(summary, "Kirim")
    receipt = await budi.next_reply()
    assert "Laporan tersimpan" in (receipt.text or "")
    assert receipt.button_titles == ["✏️ Koreksi laporan"]
    await bot.settle()

    async with bot.sessions() as session:
        report = await session.scalar(select(ProgressUpdate))
        assert report is not None and report.progress_percent == 60
        files = list(await session.scalars(select(Evidence).order_by(Evidence.id)))
        assert len(files) == 2
        assert all(f.channel is Channel.WHATSAPP and f.sha256 for f in files)
        assert {bot.store.blobs[f.sha256 or ""] for f in files} == {TINY_JPEG, TINY_JPEG + b"\x00"}
        relays = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.recipient_id == known["bambang"])
        )
        assert relays == 1
        assert await session.scalar(select(FormState)) is None
    assert bot.woken  # the sender was told to look at the queue

    # Within 24 hours the receipt's button opens the correction of the words.
    budi.press(receipt, "✏️ Koreksi laporan")
    correction = await budi.next_reply()
    assert "Koreksi laporan" in (correction.text or "")
    assert "Sosialisasi aplikasi ke 12 OPD." in (correction.text or "")
    budi.send("/batal")  # the catalog's words for Telegram work here too
    assert (await budi.next_reply()).text == text("conversation.cancelled")


async def test_a_stale_tap_gets_the_passed_text_and_changes_nothing(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    await _participant(bot, engine, now)
    budi = bot.wa.person(BUDI, "Budi")
    budi.send("LAPOR")
    chooser = await budi.next_reply()
    budi.choose(chooser, chooser.row_titles[0])
    await budi.next_reply()
    budi.send("Rapat pertama tim efektif.")
    obstacles = await budi.next_reply()
    await bot.settle()
    async with bot.sessions() as session:
        before = await session.scalar(select(FormState))
        assert before is not None
        step, token, draft = before.step, before.token, dict(before.draft)

    # The milestone list's row, tapped again now that the form has moved on.
    budi.choose(chooser, chooser.row_titles[1])
    assert (await budi.next_reply()).text == text("wa.stale")
    await bot.settle()
    async with bot.sessions() as session:
        after = await session.scalar(select(FormState))
        assert after is not None
        assert (after.step, after.token, dict(after.draft)) == (step, token, draft)
    # The current question's button still works.
    budi.press(obstacles, "Lewati")
    assert "rencana" in ((await budi.next_reply()).text or "").lower()

    # A reminder's "Lapor sekarang" (as the sender shows it) starts the report anew there.
    milestone = int(chooser.rows[1]["id"].rsplit(":", 1)[1])
    reminder = await bot.runtime.client.send_message(
        to=BUDI,
        text="Pengingat: laporan tahapan Uji coba aplikasi.",
        buttons=[types.Button(title="Lapor sekarang", callback_data=actions.report_now(milestone))],
    )
    shown = await budi.next_reply()
    assert shown.wamid == reminder.id
    budi.press(shown, "Lapor sekarang")
    started = await budi.next_reply()
    assert "Uji coba aplikasi" in (started.text or "")
    assert "kegiatan yang telah dilakukan" in (started.text or "")


async def test_batal_cancels_the_open_report(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    await _participant(bot, engine, now)
    budi = bot.wa.person(BUDI, "Budi")
    budi.send("LAPOR")
    chooser = await budi.next_reply()
    budi.send("STATUS")  # another keyword while the form waits
    assert (await budi.next_reply()).text == text("wa.busy")
    budi.send("Batal")
    assert (await budi.next_reply()).text == text("conversation.cancelled")
    await bot.settle()
    async with bot.sessions() as session:
        assert await session.scalar(select(FormState)) is None
    budi.choose(chooser, chooser.row_titles[0])
    assert (await budi.next_reply()).text == text("wa.stale")
    budi.send("BATAL")
    assert (await budi.next_reply()).text == text("wa.nothing_to_cancel")


async def test_a_member_s_unknown_text_gets_the_menu_and_status_answers(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    await _participant(bot, engine, now)
    budi = bot.wa.person(BUDI, "Budi")
    budi.send("Selamat pagi, Pak.")
    assert (await budi.next_reply()).text == text("wa.unknown")
    menu = await budi.next_reply()
    assert menu.row_titles == PARTICIPANT_MENU
    budi.choose(menu, "Status proyek")
    status = await budi.next_reply()
    assert "Layanan Aduan Warga Terpadu" in (status.text or "")
    assert "Rapat koordinasi tim efektif" in (status.text or "")
    budi.send("bantuan")
    assert "LAPOR" in ((await budi.next_reply()).text or "")
    budi.send_sticker()
    assert (await budi.next_reply()).text == text("text.unsupported")

    budi.send("Language")
    languages = await budi.next_reply()
    assert languages.button_titles == ["✓ Bahasa Indonesia", "English"]
    budi.press(languages, "English")
    assert (await budi.next_reply()).text == to_whatsapp(
        whatsapp_translator("en")("language.changed")
    )
    budi.send("MENU")
    assert (await budi.next_reply()).row_titles == [
        "Report progress",
        "Project status",
        "Project & milestones",
        "Pause reminders",
        "Send seminar files",
        "Seminar schedule",
        "Help",
    ]


async def _relayed_report(bot: WhatsAppBot, engine: AsyncEngine, now: datetime) -> dict[str, Any]:
    """Budi (WhatsApp) reported; the report reached his mentor Bambang on WhatsApp with its
    buttons, as the sender relays it (the relay recorded under the message's wamid)."""
    team = await import_roster(engine, now)
    milestones = await add_milestones(engine, team["budi"].nip, now)
    await join(bot, bot.wa.person(BUDI, "Budi"), team["budi"].code)
    bambang = bot.wa.person(BAMBANG, "Bambang")
    await join(bot, bambang, team["bambang"].code)
    budi_id = await person_id(bot, team["budi"].nip)
    bambang_id = await person_id(bot, team["bambang"].nip)
    async with bot.sessions() as session, session.begin():
        report, _ = await reports.submit_report(
            session, budi_id, milestones[0], text="Rapat tim.", percent=100, evidence=[], now=now
        )
    sent = await bot.runtime.client.send_message(
        to=BAMBANG,
        text="Laporan Budi Santoso: Rapat tim.",
        buttons=[
            types.Button(
                title="Beri umpan balik",
                callback_data=actions.advisor_action("f", report.update_id),
            ),
            types.Button(
                title="Setujui", callback_data=actions.advisor_action("a", report.update_id)
            ),
        ],
    )
    async with bot.sessions() as session, session.begin():
        await reports.record_relay(
            session,
            channel=Channel.WHATSAPP,
            chat_ref=BAMBANG,
            message_ref=sent.id,
            recipient_id=bambang_id,
            update_id=report.update_id,
            note_id=None,
            now=now,
        )
    relayed = await bambang.next_reply()
    assert relayed.wamid == sent.id
    return {"update_id": report.update_id, "bambang": bambang, "relayed": relayed, "budi": budi_id}


async def test_a_mentor_replies_to_a_relayed_report_and_approves_it(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    found = await _relayed_report(bot, engine, now)
    bambang: FakePerson = found["bambang"]
    relayed: OutgoingMessage = found["relayed"]

    bambang.send("peserta")
    advisees = await bambang.next_reply()
    assert "Peserta dampingan" in (advisees.text or "") and "Budi Santoso" in (advisees.text or "")
    bambang.press(relayed, "Setujui")
    assert (await bambang.next_reply()).text == text("feedback.approved_toast")
    await bambang.next_reply()  # the approval's own confirmation
    bambang.send("Bagus, lanjutkan dengan uji coba.", reply_to=relayed)
    confirmed = await bambang.next_reply()
    assert confirmed.text == text("note.sent", relation="Peserta", name="Budi Santoso")
    # A reply quoting any other message is no feedback: the menu answers.
    bambang.send("Terima kasih.", reply_to=confirmed)
    assert (await bambang.next_reply()).text == text("wa.unknown")
    await bot.settle()

    async with bot.sessions() as session:
        notes = list(
            await session.scalars(
                select(FeedbackNote).where(FeedbackNote.update_id == found["update_id"])
            )
        )
        assert [n.text for n in notes if n.text] == ["Bagus, lanjutkan dengan uji coba."]
        assert any(n.kind is FeedbackKind.APPROVAL for n in notes)
        to_budi = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.recipient_id == found["budi"])
        )
        assert to_budi == 2  # the note and the approval, queued for Budi's WhatsApp
        note = next(n for n in notes if n.text)

    # The note reaches Budi on WhatsApp (as the sender relays it), and he answers it by reply:
    # his answer goes back to his mentor, in the same thread.
    budi = bot.wa.person(BUDI, "Budi")
    sent = await bot.runtime.client.send_message(to=BUDI, text="Umpan balik: Bagus, lanjutkan.")
    async with bot.sessions() as session, session.begin():
        await reports.record_relay(
            session,
            channel=Channel.WHATSAPP,
            chat_ref=BUDI,
            message_ref=sent.id,
            recipient_id=found["budi"],
            update_id=found["update_id"],
            note_id=note.id,
            now=now,
        )
    budi.send("Siap, Pak. Terima kasih.", reply_to=sent.id)
    await bot.settle()
    answer = budi.inbox[-1]
    assert answer.text == text("note.sent", relation="Mentor", name="Dr. Ir. Bambang Wijaya")
    async with bot.sessions() as session:
        reply = await session.scalar(
            select(FeedbackNote).where(FeedbackNote.text == "Siap, Pak. Terima kasih.")
        )
        assert reply is not None and reply.kind is FeedbackKind.REPLY


async def test_a_report_button_works_only_for_its_recipient(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    found = await _relayed_report(bot, engine, now)
    budi = bot.wa.person(BUDI, "Budi")
    # A tap naming the mentor's message (WhatsApp never lets Budi quote it: forged).
    budi.press(found["relayed"], "Setujui")
    assert (await budi.next_reply()).text == text("access.not_yours")
    await bot.settle()
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(FeedbackNote)) == 0


async def test_files_outside_a_form_are_offered_as_a_report_and_bad_ones_refused(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    await _participant(bot, engine, now)
    budi = bot.wa.person(BUDI, "Budi")
    budi.send_document(b"MZ\x90\x00", "setup.exe", "application/x-msdownload")
    assert (await budi.next_reply()).text == text("evidence.error.unsupported", name="setup.exe")

    budi.send_image(TINY_JPEG, "Foto rapat koordinasi")
    offer = await budi.next_reply()
    assert offer.text == text("report.offer_save")
    assert offer.row_titles[-1] == T("report.button.not_now")
    budi.choose(offer, offer.row_titles[0])
    # The caption is the report's text and the photo its first evidence: next, the kendala.
    obstacles = await budi.next_reply()
    assert obstacles.button_titles == ["Lewati"]
    await bot.settle()
    async with bot.sessions() as session:
        state = await session.scalar(select(FormState))
        assert state is not None and state.form == "report"
        assert state.draft["text"] == "Foto rapat koordinasi"
        assert len(state.draft["evidence"]) == 1

    budi.press(obstacles, "Lewati")
    await budi.next_reply()
    budi.send("Rapat berikutnya pekan depan.")
    await budi.next_reply()  # the evidence question, one file so far
    bot.runtime = dataclasses.replace(bot.runtime, max_evidence_bytes=100)
    budi.send_image(TINY_JPEG * 10, "Terlalu besar")
    again = await budi.next_reply()
    assert "1 berkas" in (again.text or "") and "MB" in (again.text or "")
    for unsupported in (
        lambda: budi.send_voice(),
        lambda: budi.send_location(-2.99, 104.75, "Kantor Gubernur"),
        lambda: budi.react(again, "👍"),
    ):
        unsupported()
        assert (await budi.next_reply()).text == text("text.unsupported")
    await bot.settle()
    async with bot.sessions() as session:
        state = await session.scalar(select(FormState))
        assert (
            state is not None and len(state.draft["evidence"]) == 1
        )  # nothing lost, nothing added


async def test_status_webhooks_reach_the_queued_message_through_the_worker(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = bot.wa.person(BUDI, "Budi")
    await join(bot, budi, team["budi"].code)
    account = await whatsapp_account(bot, BUDI)
    assert account is not None
    # What the sender does: send, and keep the wamid with the queued message.
    async with bot.sessions() as session, session.begin():
        queued = OutboxMessage(
            dedup_key="test:status",
            recipient_id=account.person_id,
            payload={},
            not_before=now,
            status=OutboxStatus.SENT,
            sent_at=now,
            account_id=account.id,
            created_at=now,
        )
        session.add(queued)
    sent = await bot.runtime.client.send_message(to=BUDI, text="Pengingat laporan.")
    async with bot.sessions() as session, session.begin():
        row = await session.get_one(OutboxMessage, queued.id)
        row.message_ref = sent.id
    budi.read(await budi.next_reply())
    await bot.settle()
    async with bot.sessions() as session:
        row = await session.get_one(OutboxMessage, queued.id)
        assert row.delivered_at is not None and row.read_at is not None


async def test_lihat_laporan_under_a_template_queues_the_full_report_again(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    found = await _relayed_report(bot, engine, now)
    bambang: FakePerson = found["bambang"]
    account = await whatsapp_account(bot, BAMBANG)
    assert account is not None
    # The relay as the sender left it after sending its template: the words gone, the thread kept.
    async with bot.sessions() as session, session.begin():
        relay = OutboxMessage(
            dedup_key=f"relay:report:{found['update_id']}:{account.person_id}",
            recipient_id=account.person_id,
            payload={"key": "report.relay", "thread": found["update_id"]},
            not_before=now,
            status=OutboxStatus.SENT,
            sent_at=now,
            account_id=account.id,
            kind="relay",
            created_at=now,
        )
        session.add(relay)
    tap = {"button": {"payload": f"view:{relay.id}", "text": "Lihat laporan"}}
    bambang._post("button", tap, None)  # the template's quick-reply button
    await bot.settle()
    async with bot.sessions() as session:
        again = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedup_key == f"relay:view:{relay.id}")
        )
        assert again is not None and again.status is OutboxStatus.PENDING
        assert again.recipient_id == account.person_id
        assert (
            again.payload["key"] == "report.relay" and again.payload["thread"] == found["update_id"]
        )
    assert bot.woken

    bambang._post("button", tap, None)
    assert (await bambang.next_reply()).text == text("wa.view.again")
    budi = bot.wa.person(BUDI, "Budi")
    budi._post("button", tap, None)  # not his message
    assert (await budi.next_reply()).text == text("access.not_yours")
