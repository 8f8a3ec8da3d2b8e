"""The demo's scoring steps: the examiner scores the presenter in the chat, the organizer
releases the scores and takes the berita acara, and the presenter reads her scores."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from domain.enums import SeminarStatus
from domain.i18n import format_datetime, translator
from domain.roles import Role
from domain.timezones import WIB
from models import Seminar

if TYPE_CHECKING:
    from bot.demo import Actor, Transcript

EXAMINER_TELEGRAM_ID = 100005
SCORES = ("85", "90", "80", "85", "88")  # weights 30, 25, 15, 15, 15: 85.95
COMMENT = "Replikasi SIPANDU ke kabupaten lain perlu dirancang sejak sekarang."


def _button(message: Any, prefix: str) -> str:
    found = next((b for b in (message.button_texts if message else []) if b.startswith(prefix)), "")
    return found


async def scores_story(
    tr: Transcript,
    server: Any,
    codes: dict[str, tuple[str, Role, str]],
    presenter: Actor,
    admin: Actor,
    folder: Path,
) -> None:
    """Appended to the story once the seminar is scheduled; the people use Indonesian."""
    from bot.demo import Actor

    ui = translator("id")
    name, (code, _role, _nip) = next(
        (n, entry) for n, entry in codes.items() if entry[1] is Role.EXAMINER
    )
    examiner = Actor(
        f"{name} ({tr.t(Role.EXAMINER.message_key)})",
        server.user(EXAMINER_TELEGRAM_ID, "Teguh", language_code="id"),
    )

    tr.step("Penguji menilai penyaji / the examiner scores the presenter")
    # Scores are sent once the presenter has presented: to the seminar's end, about two hours on.
    async with tr.sessions() as session:
        starts = await session.scalar(
            select(Seminar.starts_at).where(Seminar.status != SeminarStatus.CANCELLED)
        )
    assert starts is not None
    tr.clock.set(max(tr.clock.now(), starts + timedelta(hours=2)))
    print(tr.t("demo.clock", now=format_datetime(tr.clock.now(), WIB, tr.t.language)), file=tr.out)
    await tr.deliver()
    for someone in (presenter, admin):
        tr.catch_up(someone)
    consent = await tr.say(examiner, f"/start {code}")
    await tr.press(examiner, "Setuju", consent)
    listing = await tr.say(examiner, "/penguji")
    person = _button(listing, "👤 ")
    tr.expect(bool(person), "the examiner sees the presenter")
    sheet = await tr.press(examiner, person, listing)
    for number, value in enumerate(SCORES, start=1):
        await tr.press(examiner, _button(sheet, f"✏️ {number}."), sheet)
        sheet = await tr.say(examiner, value)
    await tr.press(examiner, ui("scores.button.comment"), sheet)
    sheet = await tr.say(examiner, COMMENT)
    tr.expect(sheet is not None and "85,95" in (sheet.plain or ""), "the weighted total")
    confirm = await tr.press(examiner, ui("scores.button.submit"), sheet)
    done = await tr.press(examiner, ui("scores.button.confirm_submit"), confirm)
    tr.expect(done is not None and "telah dikirim" in (done.plain or ""), "the scores are sent")

    tr.step("Penyelenggara meumumkan nilai dan berita acara / the organizer releases the scores")
    waiting = await tr.say(presenter, "/nilai")
    tr.expect(
        waiting is not None and ui("scores.own.not_released") in (waiting.plain or ""),
        "no scores before the release",
    )
    overview = await tr.say(admin, "/nilai")
    detail = await tr.press(admin, _button(overview, "🔎 "), overview)
    confirm = await tr.press(admin, ui("scores.button.release"), detail)
    await tr.press(admin, ui("scores.button.confirm_release"), confirm)
    await tr.press(admin, ui("scores.button.berita_acara"), detail)
    minutes = folder / "berita-acara"  # beside, not among, the story's other PDF
    minutes.mkdir(exist_ok=True)
    tr.save_file(admin, "document", minutes)
    await tr.deliver()
    tr.catch_up(presenter)
    own = await tr.say(presenter, "/nilai")
    tr.expect(own is not None and "85,95" in (own.plain or ""), "the presenter sees her scores")
