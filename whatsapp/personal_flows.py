"""A member's own settings and plans on WhatsApp, as Telegram's /jeda, /proyek and /zona have
them: JEDA (a pause of reminders, listed with a button to cancel each), PROYEK (the project
form of services/project_form.py and its buttons) and ZONA (the time zone).

The services are Telegram's; only the words and buttons are WhatsApp's. Every button is read
again on press: a pause only its owner may cancel, a project button checked by the project
form, a zone only one of the three."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import TYPE_CHECKING

from domain import actions
from domain.dates import InvalidDate, parse_user_range
from domain.forms import Choice, Prompt, PromptKind
from domain.i18n import format_date, format_datetime, format_time
from domain.roles import Role
from domain.timezones import ZONES_BY_LABEL, zone_label
from services import forms, people, project_form, vacations
from services.errors import UserFacingError
from services.forms import FormContext
from services.people import Actor
from services.vacations import VacationView
from whatsapp.keywords import Keyword

if TYPE_CHECKING:
    from whatsapp.dispatch import Turn

PARTICIPANTS = frozenset({Role.PARTICIPANT})
# Who may pause their reminders (Telegram's /jeda).
PAUSE_ROLES = frozenset({Role.PARTICIPANT, Role.MENTOR, Role.COACH})
# The keywords this module answers (the word alone).
KEYWORDS = frozenset({Keyword.PAUSE, Keyword.PROJECT, Keyword.ZONE})

# The buttons read the same on both channels (domain/actions.py).
VACATION = actions.VACATION
ZONE = actions.ZONE
_CANCEL = re.compile(rf"^{VACATION}:{actions.CANCEL_VACATION}:(\d{{1,10}})$")
_ZONE = re.compile(rf"^{ZONE}:([A-Z]{{2,4}})$")


async def keyword(turn: Turn, ctx: FormContext, word: Keyword) -> None:
    """JEDA, PROYEK or ZONA typed alone (or its Menu row)."""
    if word is Keyword.PAUSE:
        return await pause(turn, "")
    if word is Keyword.PROJECT:
        if not turn.actor.has_any(PARTICIPANTS):
            return await turn.role_required(PARTICIPANTS)
        return await forms.enter(ctx, project_form.overview)
    return await _choose_zone(turn)


async def pressed(turn: Turn, ctx: FormContext, data: str) -> bool:
    """A tap on a button of these flows; False when the data is none of theirs."""
    cancel = _CANCEL.match(data)
    if cancel is not None:
        await _cancel_pause(turn, int(cancel.group(1)))
        return True
    if data.startswith(f"{ZONE}:"):
        await _zone_chosen(turn, data)
        return True
    if data.startswith(f"{actions.PROJECT}:"):
        await _project_pressed(turn, ctx, data)
        return True
    if data.startswith(f"{VACATION}:"):  # a cancel button no pause can have: forged
        await turn.say("button.stale")
        return True
    return False


# --- JEDA ----------------------------------------------------------------------------------------


def _today(turn: Turn) -> date:
    """Pauses are kept in the person's own days: today is where they are."""
    return turn.now.astimezone(turn.actor.timezone).date()


def _dates(turn: Turn, params: dict[str, object]) -> dict[str, object]:
    lang = turn.actor.language
    return {k: format_date(v, None, lang) if isinstance(v, date) else v for k, v in params.items()}


def _short(d: date, today: date) -> str:
    # Button titles must stay short: "24/12", with the year only when it is not this year's.
    return f"{d.day}/{d.month}" if d.year == today.year else f"{d.day}/{d.month}/{d.year}"


def _listing(turn: Turn, ranges: list[VacationView], today: date, head: str = "") -> Prompt:
    """The pauses with a cancel button each (a list when they do not fit three buttons)."""
    t = turn.t
    if not ranges:
        return Prompt(head + t("vacation.none"))
    lines = "\n".join(
        t("vacation.range", **_dates(turn, {"start": v.starts_on, "end": v.ends_on}))
        for v in ranges
    )
    choices = []
    for v in ranges:
        span = _short(v.starts_on, today)
        if v.ends_on != v.starts_on:
            span += "–" + _short(v.ends_on, today)
        label = t.translate("vacation.button.cancel", range=span)
        choices.append(Choice(label, action=f"{VACATION}:{actions.CANCEL_VACATION}:{v.id}"))
    text = head + t.translate("vacation.list", ranges=lines)
    return Prompt(text, PromptKind.MESSAGE, tuple(choices))


async def pause(turn: Turn, typed: str) -> None:
    """JEDA alone lists current and upcoming pauses; with dates ("JEDA 24/12 - 2/1") it
    records one."""
    if not turn.actor.has_any(PAUSE_ROLES):
        return await turn.role_required(PAUSE_ROLES)
    assert turn.actor.person_id is not None
    person_id, t = turn.actor.person_id, turn.t
    today = _today(turn)
    typed = typed.strip()
    if not typed:
        ranges = await vacations.list_vacations(turn.session, person_id, today=today)
        if not ranges:
            return await turn.screen.say(t("vacation.none") + "\n\n" + t("vacation.usage"))
        return await _show(turn, _listing(turn, ranges, today))
    try:
        start, end = parse_user_range(typed, today=today)
        added = await vacations.add_vacation(turn.session, person_id, start, end, today=today)
    except InvalidDate as exc:
        error = t(exc.code, **exc.params_for(turn.actor.language))
        return await turn.screen.say(error + "\n\n" + t("vacation.usage"))
    except UserFacingError as exc:
        return await turn.say(exc.key, **_dates(turn, exc.params))
    dates = _dates(turn, {"start": added.vacation.starts_on, "end": added.vacation.ends_on})
    parts = [t("vacation.merged" if added.merged else "vacation.added", **dates)]
    if added.from_today:
        parts.append(t("vacation.from_today"))
    ranges = await vacations.list_vacations(turn.session, person_id, today=today)
    return await _show(turn, _listing(turn, ranges, today, head="\n".join(parts) + "\n\n"))


async def _cancel_pause(turn: Turn, vacation_id: int) -> None:
    """A cancel button under the list: only the person whose pause it is may cancel it."""
    if not turn.actor.has_any(PAUSE_ROLES):
        return await turn.role_required(PAUSE_ROLES)
    assert turn.actor.person_id is not None
    if vacation_id > actions.ID_MAX:
        return await turn.say("button.stale")
    today = _today(turn)
    try:
        await vacations.cancel_vacation(
            turn.session, turn.actor.person_id, vacation_id, today=today
        )
    except UserFacingError as exc:
        return await turn.say(exc.key, **_dates(turn, exc.params))
    ranges = await vacations.list_vacations(turn.session, turn.actor.person_id, today=today)
    head = turn.t("vacation.cancelled") + "\n\n"
    return await _show(turn, _listing(turn, ranges, today, head=head))


# --- PROYEK --------------------------------------------------------------------------------------


async def _project_pressed(turn: Turn, ctx: FormContext, data: str) -> None:
    """A button under the project overview or a milestone's menu: a screen, or the form that
    asks for the change (the project form checks the ids are the presser's)."""
    if not turn.actor.has_any(PARTICIPANTS):
        return await turn.role_required(PARTICIPANTS)
    begin = project_form.opened_by(data)
    if begin is None:
        return await turn.say("button.stale")
    return await forms.enter(ctx, begin)


# --- ZONA ----------------------------------------------------------------------------------------


async def _choose_zone(turn: Turn) -> None:
    """ZONA: the three Indonesian zones as buttons with their local time, the current one
    marked."""
    actor, now = turn.actor, turn.now
    choices = tuple(
        Choice(
            ("✓ " if zone.key == actor.timezone.key else "")
            + format_time(now, zone, actor.language),
            action=f"{ZONE}:{label}",
        )
        for label, zone in ZONES_BY_LABEL.items()
    )
    current = format_datetime(now, actor.timezone, actor.language)
    prompt = Prompt(turn.t("zone.choose", current=current), PromptKind.CHOICE, choices)
    await _show(turn, prompt)


async def _zone_chosen(turn: Turn, data: str) -> None:
    """A zone button: stored, and confirmed with the local time there."""
    match = _ZONE.match(data)
    zone = ZONES_BY_LABEL.get(match.group(1)) if match is not None else None
    if zone is None or turn.actor.person_id is None:
        return await turn.say("button.stale")
    await people.set_timezone(turn.session, turn.actor.person_id, zone, turn.now)
    turn.actor = dataclasses.replace(turn.actor, timezone=zone)
    now = format_datetime(turn.now, zone, turn.actor.language)
    return await turn.say("zone.changed", zone=zone_label(zone, turn.now), now=now)


# --- shared --------------------------------------------------------------------------------------


async def _show(turn: Turn, prompt: Prompt) -> None:
    await turn.screen.show(prompt, token=None)


def menu_words(actor: Actor) -> list[Keyword]:
    """This module's rows of the Menu list for `actor`."""
    words = [Keyword.PROJECT] if actor.has_any(PARTICIPANTS) else []
    if actor.has_any(PAUSE_ROLES):
        words.append(Keyword.PAUSE)
    return words


def help_words(actor: Actor) -> list[Keyword]:
    """This module's lines of BANTUAN: the Menu's, and ZONA for every member (a setting, like
    BAHASA, so not a row of the Menu)."""
    return [*menu_words(actor), Keyword.ZONE]
