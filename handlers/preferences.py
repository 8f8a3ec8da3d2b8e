"""/bahasa and /zona: each person's language and time zone."""

from __future__ import annotations

from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from domain.i18n import SUPPORTED_LANGUAGES, format_datetime, format_time
from domain.timezones import ZONES_BY_LABEL, zone_label
from handlers import callbacks
from handlers.edits import edit_text
from handlers.menu import publish_menu
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import people


async def choose_language(update: Update, context: Context, current: Turn) -> None:
    """/bahasa: offer the languages as buttons."""
    assert update.effective_message is not None
    buttons = [
        InlineKeyboardButton(
            ("✓ " if lang == current.actor.language else "") + current.t(f"language.name.{lang}"),
            callback_data=callbacks.pack(callbacks.LANGUAGE, lang),
        )
        for lang in SUPPORTED_LANGUAGES
    ]
    await update.effective_message.reply_text(
        current.t("language.choose"), reply_markup=InlineKeyboardMarkup([buttons])
    )


@turn()
async def language_chosen(update: Update, context: Context, current: Turn) -> None:
    """A language button: store it, answer in the new language, redo the menu."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    fields = callbacks.unpack(query.data, callbacks.LANGUAGE, 1)
    if fields is None or fields[0] not in SUPPORTED_LANGUAGES:
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    await people.set_language(current.session, current.actor.person_id, fields[0], current.now())
    current.actor = replace(current.actor, language=fields[0])
    await query.answer()
    await edit_text(query, current.t("language.changed"))
    assert update.effective_chat is not None
    await publish_menu(context.bot, update.effective_chat.id, current.actor)


async def choose_zone(update: Update, context: Context, current: Turn) -> None:
    """/zona: the three Indonesian zones as buttons, each with its current local time."""
    assert update.effective_message is not None
    now = current.now()
    buttons = []
    for label, zone in ZONES_BY_LABEL.items():
        mark = "✓ " if zone.key == current.actor.timezone.key else ""
        buttons.append(
            InlineKeyboardButton(
                f"{mark}{format_time(now, zone, current.actor.language)}",
                callback_data=callbacks.pack(callbacks.ZONE, label),
            )
        )
    await update.effective_message.reply_text(
        current.t(
            "zone.choose",
            current=format_datetime(now, current.actor.timezone, current.actor.language),
        ),
        reply_markup=InlineKeyboardMarkup([buttons]),
    )


@turn()
async def zone_chosen(update: Update, context: Context, current: Turn) -> None:
    """A zone button: store it and confirm with the local time."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    fields = callbacks.unpack(query.data, callbacks.ZONE, 1)
    if fields is None or fields[0] not in ZONES_BY_LABEL:
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    zone = ZONES_BY_LABEL[fields[0]]
    await people.set_timezone(current.session, current.actor.person_id, zone, current.now())
    await query.answer()
    await edit_text(
        query,
        current.t(
            "zone.changed",
            zone=zone_label(zone, current.now()),
            now=format_datetime(current.now(), zone, current.actor.language),
        ),
    )
