"""Seminars on WhatsApp: "Hadir" / "Berhalangan" under a seminar notice, "Kirim bahan" under a
materials request, BAHAN (Telegram's /bahan) and JADWAL (/jadwal), on the same services as
Telegram's handlers/seminar_materials.py and handlers/seminar.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain import actions
from domain.i18n import format_date, format_datetime
from domain.roles import Role
from services import forms, materials_form, seminars
from services.forms import FormContext
from services.people import Actor
from whatsapp.keywords import Keyword

if TYPE_CHECKING:
    from whatsapp.dispatch import Turn

PARTICIPANTS = frozenset({Role.PARTICIPANT})
MEMBERS = frozenset(Role)
# The keywords this module answers, and who may use each (as Telegram's command table).
KEYWORDS: dict[Keyword, frozenset[Role]] = {
    Keyword.MATERIALS: PARTICIPANTS,
    Keyword.SCHEDULE: MEMBERS,
}


async def press(turn: Turn, ctx: FormContext) -> bool:
    """A seminar button outside a form: True when `turn`'s tap was one (and is answered).
    The ids are only read here; the services check the seminar concerns the presser."""
    data = turn.incoming.data
    attendance = actions.attendance_press(data)
    if attendance is not None:
        await _attendance(turn, ctx, attendance)
        return True
    seminar_id = actions.send_materials_press(data)
    if seminar_id is not None:
        await forms.enter(ctx, lambda c: materials_form.send_for(c, seminar_id))
        return True
    return False


async def keyword(turn: Turn, ctx: FormContext, word: Keyword) -> None:
    """BAHAN or JADWAL, for the roles that have them."""
    roles = KEYWORDS[word]
    if not turn.actor.has_any(roles):
        return await turn.role_required(roles)
    if word is Keyword.MATERIALS:
        return await forms.enter(ctx, materials_form.begin)
    return await _agenda(turn)


def menu_words(actor: Actor) -> list[Keyword]:
    """This module's keywords the person has (their Menu rows and help lines), in order."""
    return [word for word, roles in KEYWORDS.items() if actor.has_any(roles)]


async def _attendance(turn: Turn, ctx: FormContext, attendance: actions.AttendancePress) -> None:
    """ "Hadir" is recorded at once, its short note (a toast on Telegram) sent as a text;
    "Berhalangan" opens the question for the reason, answered by the next text."""
    note: str | None = None

    async def run(c: FormContext) -> None:
        nonlocal note
        note = await materials_form.answer(c, attendance)

    await forms.enter(ctx, run)
    if note is not None:
        await turn.screen.say(note)


async def _agenda(turn: Turn) -> None:
    """JADWAL: coming seminars and milestone target dates, in the person's language and zone.
    The move and cancel buttons of Telegram's /jadwal are not offered here."""
    actor = turn.actor
    assert actor.person_id is not None
    t, zone, language = turn.t, actor.timezone, actor.language
    view = await seminars.agenda(
        turn.session, actor.person_id, turn.now, every_cohort=actor.global_admin
    )
    lines = [t("seminar.agenda.title")]
    if not view.seminars and not view.milestones:
        lines += ["", t("seminar.agenda.empty")]
    if view.seminars:
        lines += ["", t("seminar.agenda.seminars")]
    for item in view.seminars:
        s = item.seminar
        lines += [
            "",
            t(
                "seminar.agenda.seminar",
                kind=t.nested(f"seminar.kind.{s.kind.value}"),
                cohort=s.cohort_name,
                at=format_datetime(s.starts_at, zone, language),
                where=s.where,
                presenters=", ".join(s.presenters),
                examiner=s.examiner or "-",
                roles=", ".join(t(role.message_key) for role in item.roles),
            ),
        ]
        if Role.MENTOR in item.roles:
            lines.append(t("seminar.agenda.mentor_note"))
    if view.milestones:
        lines += ["", t("seminar.agenda.milestones")]
        lines += [
            t(
                "seminar.agenda.milestone",
                date=format_date(m.due_on, None, language),
                title=m.title,
            )
            for m in view.milestones
        ]
    await turn.screen.say("\n".join(lines))
