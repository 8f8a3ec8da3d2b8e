"""End to end: a real PTB Application long-polls fakegram while the test acts as users."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from fakegram import TINY_JPEG, FakeTelegram, FakeUser
from tests.fakegram.testkit import polling_app

Context = ContextTypes.DEFAULT_TYPE


async def start(update: Update, context: Context) -> None:
    assert update.message is not None and update.effective_user is not None
    code = context.args[0] if context.args else "-"
    await update.message.reply_html(
        f"Halo <b>{update.effective_user.first_name}</b>, kode undangan {code}.",
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Setuju", callback_data="consent:yes"),
                    InlineKeyboardButton("Tidak setuju", callback_data="consent:no"),
                ]
            ]
        ),
    )


async def consent(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Tercatat")
    await query.edit_message_text("Terima kasih, persetujuan tercatat.")


async def photo_size(update: Update, context: Context) -> None:
    assert update.message is not None
    file = await update.message.photo[-1].get_file()
    data = await file.download_as_bytearray()
    await update.message.reply_text(f"Foto diterima: {len(data)} byte")


async def test_start_command_round_trip(server: FakeTelegram, alice: FakeUser) -> None:
    async with polling_app(server, CommandHandler("start", start)):
        alice.send("/start ABC123")
        reply = await alice.next_reply()
        assert reply.plain == "Halo Alice, kode undangan ABC123."
        assert reply.button_texts == ["Setuju", "Tidak setuju"]
        assert reply.reply_to_message_id is None
        assert server.errors == []


async def test_button_press_is_answered_and_edits_the_message(
    server: FakeTelegram, alice: FakeUser
) -> None:
    async with polling_app(
        server, CommandHandler("start", start), CallbackQueryHandler(consent, pattern="^consent:")
    ):
        alice.send("/start")
        offer = await alice.next_reply()
        press = alice.press(offer, "Setuju")
        answer = await press.wait_answer()
        assert answer.text == "Tercatat" and not answer.show_alert
        await server.wait_for(lambda: offer.edited)
        assert offer.plain == "Terima kasih, persetujuan tercatat."
        assert offer.button_texts == []  # the edit dropped the keyboard
        assert alice.inbox == [offer]


async def test_bot_downloads_a_user_photo(server: FakeTelegram, alice: FakeUser) -> None:
    async with polling_app(server, MessageHandler(filters.PHOTO, photo_size)):
        alice.send_photo(TINY_JPEG, caption="kegiatan hari ini")
        reply = await alice.next_reply()
        assert reply.plain == f"Foto diterima: {len(TINY_JPEG)} byte"
        assert [c.method for c in server.calls if c.method in ("getFile",)] == ["getFile"]


async def test_wait_idle_covers_updates_the_bot_ignores(
    server: FakeTelegram, alice: FakeUser
) -> None:
    seen: list[str] = []

    async def remember(update: Update, context: CallbackContext) -> None:  # type: ignore[type-arg]
        assert update.message is not None and update.message.text is not None
        seen.append(update.message.text)

    async with polling_app(server, MessageHandler(filters.TEXT, remember)) as app:
        for text in ("satu", "dua", "tiga"):
            alice.send(text)
        await server.wait_idle(app.update_queue)
        assert seen == ["satu", "dua", "tiga"]
        assert server.confirmed_update_id == server.last_update_id == 3
        assert server.delivered_update_id == 3
        assert alice.inbox == []


async def test_stopping_the_application_leaves_no_errors(
    server: FakeTelegram, alice: FakeUser
) -> None:
    async with polling_app(server, CommandHandler("start", start)):
        alice.send("/start")
        await alice.next_reply()
    # PTB's cleanup poll supersedes its own abandoned long poll; that is not the bot's mistake.
    assert server.errors == []
    assert {c.method for c in server.calls} >= {"getMe", "deleteWebhook", "getUpdates"}
