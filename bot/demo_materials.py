"""The demo's seminar steps: the presenter sends her laporan, the mentor answers "Hadir", and
the organizer reads both in the seminar's detail."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.demo import Actor, Transcript

# A tiny stand-in for the presenter's report: the bot checks the type, not the content.
LAPORAN = b"%PDF-1.4\n% Laporan proyek perubahan SIPANDU\n"
LAPORAN_NAME = "laporan-sipandu.pdf"


async def materials_story(tr: Transcript, presenter: Actor, mentor: Actor, admin: Actor) -> None:
    """Appended to the story once the seminar is scheduled (and moved)."""
    t = tr.t
    tr.step("Bahan seminar dari penyaji / the presenter sends her report")
    asked = await tr.say(presenter, "/bahan")
    tr.expect(asked is not None and bool(asked.button_texts), "the presenter picks a kind")
    await tr.press(presenter, tr.t_for(presenter)("materials.kind.laporan"))
    tr.line(presenter, t("demo.user_document", who=presenter.label, name=LAPORAN_NAME))
    presenter.user.send_document(LAPORAN, LAPORAN_NAME, "application/pdf")
    await tr.bot.settle()
    receipt = tr.catch_up(presenter)
    tr.expect(
        receipt is not None and LAPORAN_NAME in (receipt.plain or ""), "the presenter's receipt"
    )
    await tr.deliver()
    forwarded = tr.catch_up(mentor)
    tr.expect(
        forwarded is not None and forwarded.kind == "document", "the mentor receives the file"
    )

    tr.step("Mentor menjawab undangan seminar / the mentor answers the seminar notice")
    present = tr.t_for(mentor)("attendance.button.hadir")
    invitation = next((m for m in reversed(mentor.user.inbox) if present in m.button_texts), None)
    tr.expect(invitation is not None, "the notice carries the attendance buttons")
    await tr.press(mentor, present, invitation)
    listing = await tr.say(admin, "/seminar")
    detail_button = next(
        ((m, b) for m in reversed(admin.user.inbox) for b in m.button_texts if b.startswith("📋")),
        None,
    )
    tr.expect(listing is not None and detail_button is not None, "the organizer's seminar list")
    assert detail_button is not None
    detail = await tr.press(admin, detail_button[1], detail_button[0])
    text = detail.plain if detail is not None else ""
    seen = tr.t_for(admin)  # the detail is in the organizer's language
    tr.expect(
        f"{seen('materials.kind.laporan')}: versi 1" in text or "version 1" in text,
        "the organizer sees the laporan",
    )
    tr.expect(seen("attendance.answer.hadir") in text, "the organizer sees the mentor's answer")
    await tr.say(admin, "/batal")  # /seminar also offered to plan a new one
