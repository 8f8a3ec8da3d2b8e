"""/proyek: view and edit the proyek perubahan and its milestones, guided by buttons."""

from __future__ import annotations

from datetime import date
from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from domain.dates import InvalidDate, check_not_past, parse_user_date
from domain.enums import Horizon, MilestoneStatus
from domain.i18n import format_date
from domain.project_term import term_params
from domain.roles import Role
from domain.text import InvalidText, clean_user_text
from domain.timezones import zone_label
from handlers import callbacks, steps
from handlers.delivery import send_html
from handlers.edits import edit_buttons, edit_text
from handlers.runtime import Context
from handlers.turn import Turn, turn
from models import Milestone
from services import projects, terms
from services.errors import UserFacingError

PARTICIPANTS = frozenset({Role.PARTICIPANT})
END = ConversationHandler.END
DRAFT = "milestone_draft"

# How long each typed field may be; the columns allow this much.
LIMITS = {"title": 500, "problem": 2000, "goal": 2000, "m_title": 300, "output": 1000}


class Step(IntEnum):
    PROJECT_TEXT = 11
    TITLE = 12
    HORIZON = 13
    DATE = 14
    DATE_OK = 15
    OUTPUT = 16


def _button(text: str, *fields: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(callbacks.PROJECT, *fields))


def _today(current: Turn) -> date:
    return current.now().astimezone(current.actor.timezone).date()


def _draft(context: Context) -> dict[str, Any]:
    return steps.draft(context, DRAFT)


def _clear(context: Context) -> None:
    steps.clear_draft(context, DRAFT)


async def show_project(chat_id: int, context: Context, current: Turn) -> None:
    """The project and its milestones, with the buttons to change them."""
    assert current.actor.person_id is not None
    view = await projects.project_view(current.session, current.actor.person_id)
    lang = current.actor.language
    term = term_params(current.translator, await terms.cohort_term(current.session, view.cohort_id))
    lines = [
        current.t("project.view.title", title=view.title or current.t("project.none"), **term),
        current.t("project.view.problem", text=view.problem or current.t("project.empty")),
        current.t("project.view.goal", text=view.goal or current.t("project.empty")),
        "",
        current.t("project.view.milestones", count=len(view.milestones)),
    ]
    for m in view.milestones:
        lines.append(
            current.t(
                "project.view.milestone",
                title=m.title,
                horizon=current.t(f"horizon.{m.horizon.value}"),
                date=format_date(m.due_on, None, lang),
                output=m.expected_output or "-",
                state=current.t(f"milestone.status.{m.status.value}"),
            )
        )
    rows = [
        [
            _button(current.t("project.button.title"), "f", "title"),
            _button(current.t("project.button.problem"), "f", "problem"),
            _button(current.t("project.button.goal"), "f", "goal"),
        ],
        [_button(current.t("project.button.add"), "a", "new")],
    ]
    rows += [
        [_button(f"✏️ {m.title}", "m", str(m.id))]
        for m in view.milestones
        if m.status is not MilestoneStatus.APPROVED
    ]
    await send_html(context.bot, chat_id, "\n".join(lines), InlineKeyboardMarkup(rows))


async def project_command(update: Update, context: Context, current: Turn) -> None:
    """/proyek: the project at hand, ready to edit."""
    assert update.effective_chat is not None
    await show_project(update.effective_chat.id, context, current)


async def _pressed_milestone(update: Update, current: Turn) -> Milestone | None:
    """The participant's own milestone named by a button; refusals are answered here."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    fields = callbacks.unpack(query.data, callbacks.PROJECT, 2)
    if fields is None or not fields[1].isdigit():
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    try:
        milestone = await projects.own_milestone(
            current.session, current.actor.person_id, int(fields[1])
        )
    except UserFacingError as exc:
        await query.answer(current.t(exc.key, **exc.params), show_alert=True)
        return None
    await query.answer()
    return milestone


@turn(roles=PARTICIPANTS)
async def milestone_menu(update: Update, context: Context, current: Turn) -> None:
    """A milestone's button: what can be changed about it."""
    m = await _pressed_milestone(update, current)
    if m is None:
        return
    mid = str(m.id)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        current.t(
            "project.milestone_menu",
            title=m.title,
            date=format_date(m.due_on, None, current.actor.language),
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    _button(current.t("milestone.part.title"), "e", mid, "title"),
                    _button(current.t("milestone.part.horizon"), "e", mid, "horizon"),
                ],
                [
                    _button(current.t("milestone.part.date"), "e", mid, "date"),
                    _button(current.t("milestone.part.output"), "e", mid, "output"),
                ],
                [_button(current.t("milestone.button.remove"), "d", mid)],
            ]
        ),
    )


@turn(roles=PARTICIPANTS)
async def ask_remove(update: Update, context: Context, current: Turn) -> None:
    """ "Hapus tahapan": ask before removing."""
    m = await _pressed_milestone(update, current)
    if m is None:
        return
    assert update.callback_query is not None
    await edit_text(
        update.callback_query,
        current.t("milestone.confirm_remove", title=m.title),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    _button(current.t("milestone.button.remove_yes"), "x", str(m.id)),
                    _button(current.t("common.cancel"), "x", "0"),
                ]
            ]
        ),
    )


@turn(roles=PARTICIPANTS)
async def removed(update: Update, context: Context, current: Turn) -> None:
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    fields = callbacks.unpack(query.data, callbacks.PROJECT, 2)
    if fields is None or not fields[1].isdigit():
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    if fields[1] == "0":
        await query.answer()
        await edit_text(query, current.t("milestone.remove_cancelled"))
        return
    try:
        await projects.remove_milestone(
            current.session, current.actor.person_id, int(fields[1]), current.now()
        )
    except UserFacingError as exc:
        await query.answer(current.t(exc.key, **exc.params), show_alert=True)
        return
    await query.answer()
    await edit_text(query, current.t("milestone.removed"))
    assert update.effective_chat is not None
    await show_project(update.effective_chat.id, context, current)


# --- conversation: project text, new milestone, milestone field --------------------------------


@turn(roles=PARTICIPANTS)
async def begin(update: Update, context: Context, current: Turn) -> int | None:
    """Entry from a /proyek button: a project field, a new milestone, or a milestone's field."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    data = query.data or ""
    message = update.effective_message
    assert message is not None
    _clear(context)
    draft = _draft(context)
    if (fields := callbacks.unpack(data, callbacks.PROJECT, 2)) and fields[0] == "f":
        if fields[1] not in projects.PROJECT_FIELDS:
            await query.answer(current.t("button.stale"), show_alert=True)
            return END
        draft.update(mode="project", field=fields[1])
        await query.answer()
        term = await terms.participant_term(current.session, current.actor.person_id)
        await message.reply_text(
            current.t(
                f"project.ask.{fields[1]}",
                limit=LIMITS[fields[1]],
                **term_params(current.translator, term),
            )
        )
        return Step.PROJECT_TEXT
    if fields and fields[0] == "a":
        draft.update(mode="add")
        await query.answer()
        await message.reply_text(current.t("milestone.ask.title", limit=LIMITS["m_title"]))
        return Step.TITLE
    fields = callbacks.unpack(data, callbacks.PROJECT, 3)
    if fields is None or fields[0] != "e" or not fields[1].isdigit():
        await query.answer(current.t("button.stale"), show_alert=True)
        return END
    try:
        await projects.own_milestone(current.session, current.actor.person_id, int(fields[1]))
    except UserFacingError as exc:
        await query.answer(current.t(exc.key, **exc.params), show_alert=True)
        return END
    await query.answer()
    draft.update(mode="edit", milestone_id=int(fields[1]), field=fields[2])
    if fields[2] == "title":
        await message.reply_text(current.t("milestone.ask.title", limit=LIMITS["m_title"]))
        return Step.TITLE
    if fields[2] == "horizon":
        return await _ask_horizon(message, current)
    if fields[2] == "date":
        return await _ask_date(message, current)
    if fields[2] == "output":
        return await _ask_output(message, current)
    return END


async def _ask_horizon(message: Message, current: Turn) -> int:
    await message.reply_text(
        current.t("milestone.ask.horizon"),
        reply_markup=InlineKeyboardMarkup(
            [[_button(current.t(f"horizon.{h.value}"), "h", h.value)] for h in Horizon]
        ),
    )
    return Step.HORIZON


async def _ask_date(message: Message, current: Turn) -> int:
    await message.reply_text(current.t("milestone.ask.date"))
    return Step.DATE


async def _ask_output(message: Message, current: Turn) -> int:
    await message.reply_text(
        current.t("milestone.ask.output", limit=LIMITS["output"]),
        reply_markup=InlineKeyboardMarkup(
            [[_button(current.t("report.button.skip"), "o", "skip")]]
        ),
    )
    return Step.OUTPUT


async def _typed(message: Message, current: Turn, limit: int) -> str | None:
    """The user's text within the limit, or None after telling them what is wrong."""
    try:
        return clean_user_text(message.text, limit=limit)
    except InvalidText as exc:
        await message.reply_text(current.t(exc.code, **exc.params))
        return None


@turn(roles=PARTICIPANTS)
async def project_text(update: Update, context: Context, current: Turn) -> int | None:
    message = update.effective_message
    assert message is not None and current.actor.person_id is not None
    field = _draft(context)["field"]
    value = await _typed(message, current, LIMITS[field])
    if value is None:
        return None
    await projects.set_project_field(
        current.session, current.actor.person_id, field, value, current.now()
    )
    _clear(context)
    await message.reply_text(current.t("project.saved"))
    await show_project(message.chat_id, context, current)
    return END


@turn(roles=PARTICIPANTS)
async def title_typed(update: Update, context: Context, current: Turn) -> int | None:
    message = update.effective_message
    assert message is not None
    value = await _typed(message, current, LIMITS["m_title"])
    if value is None:
        return None
    draft = _draft(context)
    if draft["mode"] == "edit":
        return await _save_edit(update, context, current, "title", value)
    draft["title"] = value
    return await _ask_horizon(message, current)


@turn(roles=PARTICIPANTS)
async def horizon_pressed(update: Update, context: Context, current: Turn) -> int | None:
    query = update.callback_query
    assert query is not None and update.effective_message is not None
    fields = callbacks.unpack(query.data, callbacks.PROJECT, 2)
    if fields is None or fields[0] != "h" or fields[1] not in {h.value for h in Horizon}:
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    await query.answer()
    await edit_text(
        query, current.t("milestone.horizon_chosen", horizon=current.t(f"horizon.{fields[1]}"))
    )
    draft = _draft(context)
    if draft["mode"] == "edit":
        return await _save_edit(update, context, current, "horizon", Horizon(fields[1]))
    draft["horizon"] = fields[1]
    return await _ask_date(update.effective_message, current)


@turn(roles=PARTICIPANTS)
async def date_typed(update: Update, context: Context, current: Turn) -> int | None:
    """A date as people type it, read back in full before it is taken."""
    message = update.effective_message
    assert message is not None
    today = _today(current)
    try:
        due = parse_user_date(message.text or "", today=today)
        check_not_past(due, today)
    except InvalidDate as exc:
        await message.reply_text(current.t(exc.code, **exc.params_for(current.actor.language)))
        return None
    _draft(context)["due_on"] = due.isoformat()
    await message.reply_text(
        current.t(
            "milestone.confirm_date",
            date=format_date(due, None, current.actor.language),
            zone=zone_label(current.actor.timezone, current.now()),
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    _button(current.t("common.yes"), "k", "y"),
                    _button(current.t("milestone.button.other_date"), "k", "n"),
                ]
            ]
        ),
    )
    return Step.DATE_OK


@turn(roles=PARTICIPANTS)
async def date_confirmed(update: Update, context: Context, current: Turn) -> int | None:
    query = update.callback_query
    assert query is not None and update.effective_message is not None
    fields = callbacks.unpack(query.data, callbacks.PROJECT, 2)
    draft = _draft(context)
    if fields is None or fields[0] != "k" or "due_on" not in draft:
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    await query.answer()
    await edit_buttons(query, None)
    if fields[1] != "y":
        return await _ask_date(update.effective_message, current)
    if draft["mode"] == "edit":
        return await _save_edit(
            update, context, current, "due_on", date.fromisoformat(draft["due_on"])
        )
    return await _ask_output(update.effective_message, current)


@turn(roles=PARTICIPANTS)
async def output_typed(update: Update, context: Context, current: Turn) -> int | None:
    message = update.effective_message
    assert message is not None
    value = await _typed(message, current, LIMITS["output"])
    if value is None:
        return None
    return await _finish_output(update, context, current, value)


@turn(roles=PARTICIPANTS)
async def output_skipped(update: Update, context: Context, current: Turn) -> int | None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await edit_buttons(query, None)
    return await _finish_output(update, context, current, None)


async def _finish_output(
    update: Update, context: Context, current: Turn, value: str | None
) -> int | None:
    draft = _draft(context)
    if draft["mode"] == "edit":
        return await _save_edit(update, context, current, "expected_output", value)
    message = update.effective_message
    assert message is not None and current.actor.person_id is not None
    try:
        await projects.add_milestone(
            current.session,
            current.actor.person_id,
            title=draft["title"],
            horizon=Horizon(draft["horizon"]),
            due_on=date.fromisoformat(draft["due_on"]),
            expected_output=value,
            today=_today(current),
            now=current.now(),
        )
    except InvalidDate as exc:
        await message.reply_text(current.t(exc.code, **exc.params_for(current.actor.language)))
        return await _ask_date(message, current)
    except UserFacingError as exc:
        _clear(context)
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    _clear(context)
    await message.reply_text(current.t("milestone.added", title=draft["title"]))
    await show_project(message.chat_id, context, current)
    return END


async def _save_edit(
    update: Update, context: Context, current: Turn, field: str, value: object
) -> int:
    message = update.effective_message
    assert message is not None and current.actor.person_id is not None
    draft = _draft(context)
    _clear(context)
    try:
        await projects.edit_milestone(
            current.session,
            current.actor.person_id,
            int(draft["milestone_id"]),
            field,
            value,  # type: ignore[arg-type]
            today=_today(current),
            now=current.now(),
        )
    except InvalidDate as exc:
        await message.reply_text(current.t(exc.code, **exc.params_for(current.actor.language)))
        return END
    except UserFacingError as exc:
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    await message.reply_text(current.t("project.saved"))
    await show_project(message.chat_id, context, current)
    return END


# /batal: drop the half-typed change.
cancel = steps.cancel_handler(DRAFT)


# --- registration -------------------------------------------------------------------------------


def conversation(entry: steps.Handlers = ()) -> ConversationHandler:  # type: ignore[type-arg]
    """Editing under /proyek: a project field, a new milestone, or one field of a milestone."""
    text = filters.TEXT & ~filters.COMMAND
    kind = callbacks.PROJECT
    return steps.conversation(
        "project",
        entry_points=[*entry, CallbackQueryHandler(begin, pattern=callbacks.pattern(kind, "fae"))],
        states={
            Step.PROJECT_TEXT: [MessageHandler(text, project_text)],
            Step.TITLE: [MessageHandler(text, title_typed)],
            Step.HORIZON: [
                CallbackQueryHandler(horizon_pressed, pattern=callbacks.pattern(kind, "h"))
            ],
            Step.DATE: [MessageHandler(text, date_typed)],
            Step.DATE_OK: [
                CallbackQueryHandler(date_confirmed, pattern=callbacks.pattern(kind, "k"))
            ],
            Step.OUTPUT: [
                MessageHandler(text, output_typed),
                CallbackQueryHandler(output_skipped, pattern=callbacks.pattern(kind, "o")),
            ],
        },
        cancel=cancel,
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The buttons under /proyek that need no answer typed: a milestone's menu, removing it."""
    kind = callbacks.PROJECT
    return [
        CallbackQueryHandler(milestone_menu, pattern=callbacks.pattern(kind, "m")),
        CallbackQueryHandler(ask_remove, pattern=callbacks.pattern(kind, "d")),
        CallbackQueryHandler(removed, pattern=callbacks.pattern(kind, "x")),
    ]
