"""A name full of markup characters reaches Telegram literally, from a handler and the sender."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from fakegram import FakeTelegram
from models.db import session_factory
from services import outbox
from services.outbox import Outgoing
from tests.factories import SMALL_ROSTER, import_roster
from tests.integration.helpers import press, say
from tests.integration.stories import person_id

HOSTILE = "A*B_<C>"
# Budi's roster row with a name and an agency that would be markup (or HTML) if not escaped.
ROSTER = SMALL_ROSTER.replace("Budi Santoso", HOSTILE).replace(
    "Dinas Kominfo", "Dinas **Kominfo** <i>_x_</i>"
)


def entity_texts(message: Any, kind: str) -> list[str]:
    """The text each entity of `kind` covers, as the user's app shows it."""
    text = message.plain.encode("utf-16-le")
    return [
        text[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.entities
        if e["type"] == kind
    ]


async def test_a_participant_named_with_markup_characters_is_shown_literally(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now, ROSTER)
    member = next(m for m in team.values() if m.name == HOSTILE)
    user = telegram.user(1001, "Peserta", language_code="id")

    # A handler's reply: the consent screen names the code's owner in bold.
    consent = await say(bot, user, f"/start {member.code}")
    assert consent.parse_mode == "HTML"
    assert HOSTILE in consent.plain
    assert HOSTILE in entity_texts(consent, "bold")
    assert "**" not in consent.plain

    # The welcome after consent addresses them by name.
    await press(bot, user, consent, "Setuju")
    welcome: Any = user.last
    assert HOSTILE in welcome.plain and "\\" not in welcome.plain

    # The sender: an announcement signed with that name, carrying text that looks like markup.
    words = "Rapat *penting* _besok_ `08.00` [tautan](https://x.id) >>>kutipan<<< <b>x</b>"
    async with session_factory(engine)() as session, session.begin():
        await outbox.enqueue(
            session,
            dedup_key="test:markup",
            message=Outgoing(
                "broadcast.message",
                {"cohort": "PKP Angkatan IV", "author": HOSTILE, "text": words},
            ),
            not_before=now,
            kind="broadcast",
            recipient_id=await person_id(engine, member.nip),
            now=now,
        )
    await bot.deliver()
    announcement: Any = user.last
    assert announcement.parse_mode == "HTML"
    assert f"\n\n{words}\n\n{HOSTILE}" in announcement.plain
    assert entity_texts(announcement, "italic") == [HOSTILE]  # only the signature, as written
    assert entity_texts(announcement, "bold") == ["Pengumuman — PKP Angkatan IV"]
