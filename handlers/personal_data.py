"""/dataku: a member gets everything the bot keeps about them as a JSON file (UU 27/2022)."""

from __future__ import annotations

from telegram import InputFile, Update

from documents.personal_data import file_name, render_personal_data
from handlers.runtime import Context
from handlers.turn import Turn
from services.personal_data import export_personal_data


async def my_data_command(update: Update, context: Context, current: Turn) -> None:
    """/dataku: the member's own data as `data-saya-<date>.json`, with how to ask for deletion."""
    assert update.effective_message is not None and current.actor.person_id is not None
    now = current.now()
    data = await export_personal_data(
        current.session, current.actor.person_id, now=now, actor_id=current.actor.person_id
    )
    content = render_personal_data(data, language=current.actor.language, generated_at=now)
    day = now.astimezone(current.actor.timezone).date()
    await update.effective_message.reply_document(
        InputFile(content, filename=file_name(day)), caption=current.t("datarights.caption")
    )
