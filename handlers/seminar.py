"""/seminar: admins schedule, move and cancel seminars step by step; /jadwal: anyone's dates."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from domain.dates import InvalidDate, check_not_past, parse_user_date
from domain.enums import SeminarKind, SeminarStatus
from domain.i18n import format_date, format_datetime, format_time
from domain.roles import Role
from domain.seminar_time import InvalidSeminarInput, local_to_utc, parse_user_time, parse_venue
from domain.timezones import ZONES_BY_LABEL, zone_label
from handlers import callbacks, seminar_materials, steps
from handlers.delivery import send_html
from handlers.edits import edit_buttons, edit_text
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import seminars
from services.errors import UserFacingError
from services.seminars import NewSeminar, Planned, Roster, SeminarView

PREFIX = callbacks.SEMINAR
ADMINS = frozenset({Role.ADMIN})
END = ConversationHandler.END
DRAFT = "seminar_draft"
# Telegram allows 100 buttons per message; two per seminar leaves room for the soonest 20.
LIST_LIMIT = 20


class Step(IntEnum):
    COHORT = 61
    KIND = 62
    DATE = 63
    TIME = 64
    ZONE = 65
    PLACE = 66
    PRESENTERS = 67
    EXAMINER = 68
    CONFIRM = 69
    NEW_DATE = 71
    NEW_TIME = 72
    NEW_CONFIRM = 73
    CANCEL_CONFIRM = 74


# --- small helpers ----------------------------------------------------------------------------


def _button(text: str, *fields: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(PREFIX, *fields))


def _yes_no(current: Turn, action: str, yes_key: str, no_key: str) -> InlineKeyboardMarkup:
    """One row: confirm (`y`) or not (`n`) the step `action`."""
    return InlineKeyboardMarkup(
        [[_button(current.t(yes_key), action, "y"), _button(current.t(no_key), action, "n")]]
    )


def _fields(update: Update, arity: int) -> list[str] | None:
    assert update.callback_query is not None
    return callbacks.unpack(update.callback_query.data, PREFIX, arity)


def _draft(context: Context) -> dict[str, Any]:
    return steps.draft(context, DRAFT)


def _clear(context: Context) -> None:
    steps.clear_draft(context, DRAFT)


def _kind(current: Turn, kind: SeminarKind | str) -> str:
    return current.t(f"seminar.kind.{SeminarKind(kind).value}")


def _when(current: Turn, moment: datetime, zone: ZoneInfo | None = None) -> str:
    return format_datetime(moment, zone or current.actor.timezone, current.actor.language)


def _message(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


async def _stale(update: Update, current: Turn) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(current.t("button.stale"), show_alert=True)


async def _refuse(update: Update, current: Turn, error: UserFacingError) -> None:
    """A toast for a button, a message for text: the reason in the user's language."""
    text = current.t(error.key, **error.params)
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200], show_alert=True)
    else:
        await _message(update).reply_text(text)


async def _close(update: Update, current: Turn, value: str) -> None:
    """Answer a button and put the choice in place of the question, so it is not pressed again."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await edit_text(query, current.t("seminar.chosen", value=value))


def _starts_at(draft: dict[str, Any]) -> datetime:
    return local_to_utc(
        date.fromisoformat(draft["date"]),
        time.fromisoformat(draft["time"]),
        ZoneInfo(draft["zone"]),
    )


# --- /seminar: the list of coming seminars, then a new one ------------------------------------


def manage_buttons(current: Turn, items: list[SeminarView]) -> list[list[InlineKeyboardButton]]:
    """Move and cancel buttons, one row per seminar; its detail (materials, attendance)."""
    return [
        [
            _button(current.t("seminar.button.reschedule", id=s.id), "r", str(s.id)),
            _button(current.t("seminar.button.cancel", id=s.id), "x", str(s.id)),
            seminar_materials.detail_button(current, s.id),
        ]
        for s in items[:LIST_LIMIT]
    ]


async def start(update: Update, context: Context, current: Turn) -> int | None:
    """/seminar: coming seminars with buttons to move or cancel them, then plan a new one."""
    message = _message(update)
    _clear(context)
    by = current.organizer
    cohorts = await seminars.managed_cohorts(current.session, by)
    if not cohorts:
        await message.reply_text(current.t("seminar.error.no_cohort"))
        return END
    coming = await seminars.list_seminars(current.session, by=by, now=current.now())
    if coming:
        lines = [current.t("seminar.list.title")]
        lines += [
            current.t(
                "seminar.list.line",
                id=s.id,
                kind=_kind(current, s.kind),
                at=_when(current, s.starts_at),
                cohort=s.cohort_name,
                where=s.where,
                presenters=", ".join(s.presenters),
            )
            for s in coming[:LIST_LIMIT]
        ]
        await send_html(
            context.bot,
            message.chat_id,
            "\n\n".join(lines),
            InlineKeyboardMarkup(manage_buttons(current, coming)),
        )
    if len(cohorts) == 1:
        _draft(context).update(mode="new", cohort_id=cohorts[0].id)
        return await _ask_kind(message, current, cohorts[0].name)
    await message.reply_text(
        current.t("seminar.ask.cohort"),
        reply_markup=InlineKeyboardMarkup([[_button(c.name, "c", str(c.id))] for c in cohorts]),
    )
    _draft(context).update(mode="new")
    return Step.COHORT


async def _ask_kind(message: Message, current: Turn, cohort_name: str) -> int:
    await message.reply_text(
        current.t("seminar.ask.kind", cohort=cohort_name),
        reply_markup=InlineKeyboardMarkup(
            [[_button(_kind(current, k), "k", k.value)] for k in SeminarKind]
        ),
    )
    return Step.KIND


@turn(roles=ADMINS)
async def cohort_chosen(update: Update, context: Context, current: Turn) -> int | None:
    fields = _fields(update, 2)
    cohorts = await seminars.managed_cohorts(current.session, current.organizer)
    chosen = next(
        (c for c in cohorts if fields and fields[0] == "c" and str(c.id) == fields[1]), None
    )
    if chosen is None:
        await _stale(update, current)
        return None
    _draft(context)["cohort_id"] = chosen.id
    await _close(update, current, chosen.name)
    return await _ask_kind(_message(update), current, chosen.name)


@turn(roles=ADMINS)
async def kind_chosen(update: Update, context: Context, current: Turn) -> int | None:
    fields = _fields(update, 2)
    if fields is None or fields[0] != "k" or fields[1] not in {k.value for k in SeminarKind}:
        await _stale(update, current)
        return None
    _draft(context)["kind"] = fields[1]
    await _close(update, current, _kind(current, fields[1]))
    await _message(update).reply_text(current.t("seminar.ask.date"))
    return Step.DATE


def _typed_date(message: Message, current: Turn, zone: ZoneInfo) -> date | str:
    """The typed date, not before today in `zone`; or the reason it cannot be taken."""
    today = current.now().astimezone(zone).date()
    try:
        day = parse_user_date(message.text or "", today=today)
        check_not_past(day, today)
    except InvalidDate as exc:
        return current.t(exc.code, **exc.params_for(current.actor.language))
    return day


@turn(roles=ADMINS)
async def date_typed(update: Update, context: Context, current: Turn) -> int | None:
    message = _message(update)
    day = _typed_date(message, current, current.actor.timezone)
    if isinstance(day, str):
        await message.reply_text(day)
        return None
    _draft(context)["date"] = day.isoformat()
    await message.reply_text(
        current.t("seminar.ask.time", date=format_date(day, None, current.actor.language))
    )
    return Step.TIME


def _typed_time(message: Message, current: Turn) -> time | str:
    try:
        return parse_user_time(message.text or "")
    except InvalidSeminarInput as exc:
        return current.t(exc.code, **exc.params)


@turn(roles=ADMINS)
async def time_typed(update: Update, context: Context, current: Turn) -> int | None:
    message = _message(update)
    clock = _typed_time(message, current)
    if isinstance(clock, str):
        await message.reply_text(clock)
        return None
    _draft(context)["time"] = clock.isoformat(timespec="minutes")
    own = current.actor.timezone.key
    buttons = [
        _button(
            current.t("seminar.zone.default", label=label) if zone.key == own else label,
            "z",
            label,
        )
        for label, zone in ZONES_BY_LABEL.items()
    ]
    await message.reply_text(
        current.t("seminar.ask.zone", time=clock.strftime("%H.%M")),
        reply_markup=InlineKeyboardMarkup([buttons]),
    )
    return Step.ZONE


@turn(roles=ADMINS)
async def zone_chosen(update: Update, context: Context, current: Turn) -> int | None:
    fields = _fields(update, 2)
    if fields is None or fields[0] != "z" or fields[1] not in ZONES_BY_LABEL:
        await _stale(update, current)
        return None
    draft = _draft(context)
    zone = ZONES_BY_LABEL[fields[1]]
    draft["zone"] = zone.key
    starts_at = _starts_at(draft)
    await _close(update, current, format_time(starts_at, zone, current.actor.language))
    message = _message(update)
    try:
        seminars.check_future(starts_at, current.now())
    except UserFacingError as exc:
        # Today's date with an hour already gone: ask for the date again.
        await message.reply_text(current.t(exc.key, **exc.params))
        await message.reply_text(current.t("seminar.ask.date"))
        return Step.DATE
    await message.reply_text(current.t("seminar.ask.place"))
    return Step.PLACE


@turn(roles=ADMINS)
async def place_typed(update: Update, context: Context, current: Turn) -> int | None:
    message = _message(update)
    try:
        venue = parse_venue(message.text or "")
    except InvalidSeminarInput as exc:
        await message.reply_text(current.t(exc.code, **exc.params))
        return None
    draft = _draft(context)
    draft.update(place=venue.place, link=venue.link, presenters=[])
    try:
        roster = await seminars.cohort_roster(
            current.session, draft["cohort_id"], current.organizer
        )
    except UserFacingError as exc:
        _clear(context)
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    if not roster.participants:
        cohort = await _cohort_name(current, draft["cohort_id"])
        _clear(context)
        await message.reply_text(current.t("seminar.error.no_participants", cohort=cohort))
        return END
    await message.reply_text(
        current.t("seminar.ask.presenters"),
        reply_markup=_presenter_markup(current, roster, []),
    )
    return Step.PRESENTERS


async def _cohort_name(current: Turn, cohort_id: int) -> str:
    cohorts = await seminars.managed_cohorts(current.session, current.organizer)
    return next((c.name for c in cohorts if c.id == cohort_id), "-")


def _groups(roster: Roster) -> list[str]:
    return sorted({p.group for p in roster.participants if p.group})


def _presenter_markup(current: Turn, roster: Roster, selected: list[int]) -> InlineKeyboardMarkup:
    """A seminar group toggles all its members; a name toggles one person."""
    groups = [
        _button(current.t("seminar.button.group", group=g), "g", str(i))
        for i, g in enumerate(_groups(roster))
    ]
    names = [
        _button(("☑️ " if p.id in selected else "▫️ ") + p.name, "p", str(p.id))
        for p in roster.participants
    ]
    rows = [groups[i : i + 3] for i in range(0, len(groups), 3)]
    rows += [names[i : i + 2] for i in range(0, len(names), 2)]
    rows.append([_button(current.t("seminar.button.done", count=len(selected)), "d", "0")])
    return InlineKeyboardMarkup(rows)


async def _roster(current: Turn, context: Context) -> Roster:
    return await seminars.cohort_roster(
        current.session, _draft(context)["cohort_id"], current.organizer
    )


@turn(roles=ADMINS)
async def presenter_toggled(update: Update, context: Context, current: Turn) -> int | None:
    query = update.callback_query
    assert query is not None
    fields = _fields(update, 2)
    roster = await _roster(current, context)
    draft = _draft(context)
    selected: list[int] = list(draft.get("presenters", []))
    if fields is not None and fields[0] == "p":
        person = next((p for p in roster.participants if str(p.id) == fields[1]), None)
        if person is None:
            await _stale(update, current)
            return None
        selected = [i for i in selected if i != person.id] + (
            [] if person.id in selected else [person.id]
        )
    elif fields is not None and fields[0] == "g" and fields[1].isdigit():
        groups = _groups(roster)
        if int(fields[1]) >= len(groups):
            await _stale(update, current)
            return None
        members = [p.id for p in roster.participants if p.group == groups[int(fields[1])]]
        if all(i in selected for i in members):
            selected = [i for i in selected if i not in members]
        else:
            selected += [i for i in members if i not in selected]
    else:
        await _stale(update, current)
        return None
    draft["presenters"] = selected
    await query.answer()
    await edit_buttons(query, _presenter_markup(current, roster, selected))
    return None


@turn(roles=ADMINS)
async def presenters_done(update: Update, context: Context, current: Turn) -> int | None:
    draft = _draft(context)
    selected: list[int] = list(draft.get("presenters", []))
    try:
        if not selected:
            raise UserFacingError("seminar.error.no_presenters")
        await seminars.check_presenters_free(current.session, selected, _starts_at(draft))
    except UserFacingError as exc:
        await _refuse(update, current, exc)
        return None
    roster = await _roster(current, context)
    names = [p.name for p in roster.participants if p.id in selected]
    await _close(update, current, ", ".join(names))
    message = _message(update)
    if not roster.examiners:
        cohort = await _cohort_name(current, draft["cohort_id"])
        _clear(context)
        await message.reply_text(current.t("seminar.error.no_examiner_in_cohort", cohort=cohort))
        return END
    await message.reply_text(
        current.t("seminar.ask.examiner"),
        reply_markup=InlineKeyboardMarkup(
            [[_button(e.name, "e", str(e.id))] for e in roster.examiners]
        ),
    )
    return Step.EXAMINER


@turn(roles=ADMINS)
async def examiner_chosen(update: Update, context: Context, current: Turn) -> int | None:
    fields = _fields(update, 2)
    roster = await _roster(current, context)
    examiner = next(
        (e for e in roster.examiners if fields and fields[0] == "e" and str(e.id) == fields[1]),
        None,
    )
    if examiner is None:
        await _stale(update, current)
        return None
    draft = _draft(context)
    draft["examiner_id"] = examiner.id
    await _close(update, current, examiner.name)
    zone = ZoneInfo(draft["zone"])
    names = [p.name for p in roster.participants if p.id in draft["presenters"]]
    await _message(update).reply_text(
        current.t(
            "seminar.summary",
            kind=_kind(current, draft["kind"]),
            cohort=await _cohort_name(current, draft["cohort_id"]),
            at=_when(current, _starts_at(draft), zone),
            where=" · ".join(x for x in (draft["place"], draft["link"]) if x),
            presenters=", ".join(names),
            examiner=examiner.name,
        ),
        reply_markup=_yes_no(current, "s", "common.save", "common.cancel"),
    )
    return Step.CONFIRM


@turn(roles=ADMINS)
async def confirmed(update: Update, context: Context, current: Turn) -> int | None:
    query = update.callback_query
    assert query is not None
    fields = _fields(update, 2)
    draft = _draft(context)
    if fields is None or fields[0] != "s" or "examiner_id" not in draft:
        await _stale(update, current)
        return None
    await query.answer()
    await edit_buttons(query, None)
    message = _message(update)
    _clear(context)
    if fields[1] != "y":
        await message.reply_text(current.t("conversation.cancelled"))
        return END
    new = NewSeminar(
        cohort_id=draft["cohort_id"],
        kind=SeminarKind(draft["kind"]),
        starts_at=_starts_at(draft),
        zone=ZoneInfo(draft["zone"]),
        presenter_ids=list(draft["presenters"]),
        examiner_id=draft["examiner_id"],
        place=draft["place"],
        link=draft["link"],
    )
    try:
        current.on_commit(current.runtime.wake)
        planned = await seminars.schedule_seminar(
            current.session, new, by=current.organizer, now=current.now()
        )
    except UserFacingError as exc:
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    await message.reply_text(
        _with_groups(
            current,
            current.t(
                "seminar.saved",
                id=planned.seminar_id,
                recipients=planned.recipients,
                reminders=planned.reminders,
            ),
            planned,
        )
    )
    return END


def _with_groups(current: Turn, text: str, planned: Planned) -> str:
    """The organizer's confirmation, plus how many linked groups hear of it too."""
    if not planned.groups:
        return text
    return text + "\n" + current.t("seminar.groups_told", groups=planned.groups)


# --- moving and cancelling ---------------------------------------------------------------------


async def _changeable(update: Update, current: Turn) -> SeminarView | None:
    """The seminar a move/cancel button names, if this admin may still change it."""
    fields = _fields(update, 2)
    if fields is None or not fields[1].isdigit():
        await _stale(update, current)
        return None
    try:
        view = await seminars.managed_seminar(current.session, int(fields[1]), current.organizer)
        if view.status is not SeminarStatus.SCHEDULED:
            raise UserFacingError("seminar.error.cancelled", id=view.id)
        if view.starts_at <= current.now():
            raise UserFacingError("seminar.error.held", id=view.id)
    except UserFacingError as exc:
        await _refuse(update, current, exc)
        return None
    return view


@turn(roles=ADMINS)
async def reschedule_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """ "Ubah jadwal #id": a new date, then a new time in the seminar's own zone."""
    _clear(context)
    view = await _changeable(update, current)
    if view is None:
        return END
    assert update.callback_query is not None
    await update.callback_query.answer()
    _draft(context).update(mode="move", seminar_id=view.id, zone=view.zone.key)
    await _message(update).reply_text(
        current.t(
            "seminar.ask.new_date",
            id=view.id,
            kind=_kind(current, view.kind),
            at=_when(current, view.starts_at, view.zone),
        )
    )
    return Step.NEW_DATE


@turn(roles=ADMINS)
async def new_date_typed(update: Update, context: Context, current: Turn) -> int | None:
    message = _message(update)
    draft = _draft(context)
    zone = ZoneInfo(draft["zone"])
    day = _typed_date(message, current, zone)
    if isinstance(day, str):
        await message.reply_text(day)
        return None
    draft["date"] = day.isoformat()
    await message.reply_text(
        current.t(
            "seminar.ask.new_time",
            date=format_date(day, None, current.actor.language),
            zone=zone_label(zone, current.now()),
        )
    )
    return Step.NEW_TIME


@turn(roles=ADMINS)
async def new_time_typed(update: Update, context: Context, current: Turn) -> int | None:
    message = _message(update)
    clock = _typed_time(message, current)
    if isinstance(clock, str):
        await message.reply_text(clock)
        return None
    draft = _draft(context)
    draft["time"] = clock.isoformat(timespec="minutes")
    starts_at = _starts_at(draft)
    try:
        view = await seminars.managed_seminar(
            current.session, draft["seminar_id"], current.organizer
        )
        seminars.check_future(starts_at, current.now())
        if starts_at == view.starts_at:
            raise UserFacingError("seminar.error.same_time")
    except UserFacingError as exc:
        await message.reply_text(current.t(exc.key, **exc.params))
        await message.reply_text(current.t("seminar.ask.date"))
        return Step.NEW_DATE
    await message.reply_text(
        current.t(
            "seminar.confirm.reschedule",
            id=view.id,
            kind=_kind(current, view.kind),
            old_at=_when(current, view.starts_at, view.zone),
            at=_when(current, starts_at, view.zone),
        ),
        reply_markup=_yes_no(current, "q", "common.save", "common.cancel"),
    )
    return Step.NEW_CONFIRM


async def _decided(
    update: Update,
    context: Context,
    current: Turn,
    *,
    action: str,
    needs: str,
    change: Callable[[dict[str, Any]], Awaitable[Planned]],
    done: Callable[[Planned], str],
) -> int | None:
    """Yes/no under a move's or a cancellation's read-back (button `action`, valid while the
    draft holds `needs`): on yes, `change` the seminar, wake the sender once that is committed
    and reply `done`; on no, the seminar is kept."""
    query = update.callback_query
    assert query is not None
    fields = _fields(update, 2)
    draft = _draft(context)
    if fields is None or fields[0] != action or needs not in draft:
        await _stale(update, current)
        return None
    await query.answer()
    await edit_buttons(query, None)
    message = _message(update)
    _clear(context)
    if fields[1] != "y":
        await message.reply_text(current.t("seminar.kept", id=draft["seminar_id"]))
        return END
    try:
        current.on_commit(current.runtime.wake)
        planned = await change(draft)
    except UserFacingError as exc:
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    await message.reply_text(done(planned))
    return END


@turn(roles=ADMINS)
async def new_confirmed(update: Update, context: Context, current: Turn) -> int | None:
    async def move(draft: dict[str, Any]) -> Planned:
        return await seminars.reschedule_seminar(
            current.session,
            draft["seminar_id"],
            _starts_at(draft),
            by=current.organizer,
            now=current.now(),
        )

    def moved(planned: Planned) -> str:
        text = current.t(
            "seminar.rescheduled",
            id=planned.seminar_id,
            recipients=planned.recipients,
            reminders=planned.reminders,
        )
        return _with_groups(current, text, planned)

    return await _decided(
        update, context, current, action="q", needs="time", change=move, done=moved
    )


@turn(roles=ADMINS)
async def cancel_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """ "Batalkan #id": ask once more, since everyone concerned will be told."""
    _clear(context)
    view = await _changeable(update, current)
    if view is None:
        return END
    assert update.callback_query is not None
    await update.callback_query.answer()
    _draft(context).update(mode="cancel", seminar_id=view.id)
    await _message(update).reply_text(
        current.t(
            "seminar.confirm.cancel",
            id=view.id,
            kind=_kind(current, view.kind),
            at=_when(current, view.starts_at),
            presenters=", ".join(view.presenters),
        ),
        reply_markup=_yes_no(current, "a", "seminar.button.cancel_yes", "seminar.button.keep"),
    )
    return Step.CANCEL_CONFIRM


@turn(roles=ADMINS)
async def cancel_confirmed(update: Update, context: Context, current: Turn) -> int | None:
    async def drop(draft: dict[str, Any]) -> Planned:
        return await seminars.cancel_seminar(
            current.session, draft["seminar_id"], by=current.organizer, now=current.now()
        )

    def dropped(planned: Planned) -> str:
        text = current.t("seminar.cancelled", id=planned.seminar_id, recipients=planned.recipients)
        return _with_groups(current, text, planned)

    return await _decided(
        update, context, current, action="a", needs="seminar_id", change=drop, done=dropped
    )


# --- leaving the conversation -------------------------------------------------------------------


# /batal drops the half-typed seminar; text where a button is expected.
cancel = steps.cancel_handler(DRAFT)
use_buttons = steps.reply_handler("seminar.use_buttons")


# --- /jadwal -------------------------------------------------------------------------------------


async def agenda_command(update: Update, context: Context, current: Turn) -> None:
    """/jadwal: coming seminars and milestone target dates, in the user's own zone."""
    assert current.actor.person_id is not None
    message = _message(update)
    view = await seminars.agenda(
        current.session,
        current.actor.person_id,
        current.now(),
        every_cohort=current.actor.global_admin,
    )
    lines = [current.t("seminar.agenda.title")]
    if not view.seminars and not view.milestones:
        lines += ["", current.t("seminar.agenda.empty")]
    if view.seminars:
        lines += ["", current.t("seminar.agenda.seminars")]
    for item in view.seminars:
        s = item.seminar
        lines += [
            "",
            current.t(
                "seminar.agenda.seminar",
                kind=_kind(current, s.kind),
                cohort=s.cohort_name,
                at=_when(current, s.starts_at),
                where=s.where,
                presenters=", ".join(s.presenters),
                examiner=s.examiner or "-",
                roles=", ".join(current.t(role.message_key) for role in item.roles),
            ),
        ]
        if Role.MENTOR in item.roles:
            lines.append(current.t("seminar.agenda.mentor_note"))
    if view.milestones:
        lines += ["", current.t("seminar.agenda.milestones")]
        lines += [
            current.t(
                "seminar.agenda.milestone",
                date=format_date(m.due_on, None, current.actor.language),
                title=m.title,
            )
            for m in view.milestones
        ]
    manageable = [item.seminar for item in view.seminars if item.manageable]
    markup = None
    if manageable:
        lines += ["", current.t("seminar.agenda.manage")]
        markup = InlineKeyboardMarkup(manage_buttons(current, manageable))
    await send_html(context.bot, message.chat_id, "\n".join(lines), markup)


# --- registration --------------------------------------------------------------------------------


def _pattern(actions: str) -> re.Pattern[str]:
    return callbacks.pattern(PREFIX, actions)


def conversation(entry: steps.Handlers) -> ConversationHandler:  # type: ignore[type-arg]
    """/seminar (`entry`, from the command table) and the move/cancel buttons (also under
    /jadwal); persisted across restarts."""
    text = filters.TEXT & ~filters.COMMAND
    buttons_expected = [MessageHandler(text, use_buttons)]
    entry_points: list[BaseHandler[Any, Any, Any]] = [
        *entry,
        CallbackQueryHandler(reschedule_pressed, pattern=_pattern("r")),
        CallbackQueryHandler(cancel_pressed, pattern=_pattern("x")),
    ]
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        Step.COHORT: [
            CallbackQueryHandler(cohort_chosen, pattern=_pattern("c")),
            *buttons_expected,
        ],
        Step.KIND: [CallbackQueryHandler(kind_chosen, pattern=_pattern("k")), *buttons_expected],
        Step.DATE: [MessageHandler(text, date_typed)],
        Step.TIME: [MessageHandler(text, time_typed)],
        Step.ZONE: [CallbackQueryHandler(zone_chosen, pattern=_pattern("z")), *buttons_expected],
        Step.PLACE: [MessageHandler(text, place_typed)],
        Step.PRESENTERS: [
            CallbackQueryHandler(presenter_toggled, pattern=_pattern("pg")),
            CallbackQueryHandler(presenters_done, pattern=_pattern("d")),
            *buttons_expected,
        ],
        Step.EXAMINER: [
            CallbackQueryHandler(examiner_chosen, pattern=_pattern("e")),
            *buttons_expected,
        ],
        Step.CONFIRM: [CallbackQueryHandler(confirmed, pattern=_pattern("s")), *buttons_expected],
        Step.NEW_DATE: [MessageHandler(text, new_date_typed)],
        Step.NEW_TIME: [MessageHandler(text, new_time_typed)],
        Step.NEW_CONFIRM: [
            CallbackQueryHandler(new_confirmed, pattern=_pattern("q")),
            *buttons_expected,
        ],
        Step.CANCEL_CONFIRM: [
            CallbackQueryHandler(cancel_confirmed, pattern=_pattern("a")),
            *buttons_expected,
        ],
    }
    return steps.conversation(
        "seminar",
        entry_points=entry_points,
        states=states,
        cancel=cancel,
        # /seminar again, or a move/cancel button, starts over from the current state.
        allow_reentry=True,
    )
