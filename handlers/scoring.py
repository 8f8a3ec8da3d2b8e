"""/penguji: an examiner scores presenters, on the form engine (services/scoring_form.py);
/nilai: a presenter's own released scores, and the organizer's view of who has scored, the
release and the berita acara PDF."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CallbackQueryHandler

from domain import actions
from domain.i18n import format_datetime
from domain.roles import Role
from domain.scoring import format_score
from handlers import callbacks
from handlers.delivery import send_html
from handlers.forms import enter
from handlers.runtime import Context
from handlers.turn import Safe, Turn, tell, turn
from services import scoring, scoring_form
from services.errors import UserFacingError
from services.forms import FormContext
from services.scoring import SeminarHeader, SeminarScores

EXAMINER = callbacks.EXAMINER
SCORES = callbacks.SCORES
EXAMINERS = frozenset({Role.EXAMINER})
ADMINS = frozenset({Role.ADMIN})
LIST_LIMIT = 20
_MARKS = {None: "⬜", "draft": "✏️", "submitted": "✅"}

Begin = Callable[[FormContext], Coroutine[Any, Any, None]]


def _button(prefix: str, text: str, *fields: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(prefix, *fields))


def _kind(current: Turn, seminar: SeminarHeader) -> str:
    return current.t(f"seminar.kind.{seminar.kind.value}")


def _when(current: Turn, seminar: SeminarHeader) -> str:
    return format_datetime(seminar.starts_at, current.actor.timezone, current.actor.language)


def _score(current: Turn, value: Any) -> str:
    return format_score(value, current.actor.language)


def _state(current: Turn, status: Any, total: Any) -> str:
    if status is None:
        return current.t("scores.state.none")
    if status.value == "draft":
        return current.t("scores.state.draft")
    return current.t("scores.state.submitted", total=_score(current, total))


async def _stale(update: Update, current: Turn) -> None:
    await tell(update, current.t("button.stale"))


async def _refuse(update: Update, current: Turn, error: UserFacingError) -> None:
    await tell(update, current.t(error.key, **error.params))


# --- /penguji and the examiner's buttons ---------------------------------------------------------


async def examiner_command(update: Update, context: Context, current: Turn) -> None:
    """/penguji: the seminars this person examines, each presenter with their sheet's state."""
    await enter(update, context, current, scoring_form.listing)


def _number(field: str) -> int | None:
    return int(field) if field.isdigit() and len(field) <= 12 else None


def opened_by(data: str | None) -> Begin | None:
    """What an examiner's button opens, or None for data that is none of them (forged,
    stale). The ids are only read here; the form checks the presser examines them."""
    fields = callbacks.unpack(data, EXAMINER, len((data or "").split(":")) - 1)
    if fields is None:
        return None
    action, numbers = fields[0], [_number(f) for f in fields[1:]]
    if None in numbers:
        return None
    ids = [n for n in numbers if n is not None]
    match action, ids:
        case actions.EXAMINER_LIST, []:
            return scoring_form.listing
        case actions.PRESENTER, [seminar_id, presenter_id]:
            return lambda c: scoring_form.presenter(c, seminar_id, presenter_id)
        case actions.CRITERION, [seminar_id, presenter_id, position]:
            return lambda c: scoring_form.ask_score(c, seminar_id, presenter_id, position)
        case actions.COMMENT, [seminar_id, presenter_id]:
            return lambda c: scoring_form.ask_comment(c, seminar_id, presenter_id)
        case actions.SUBMIT, [seminar_id, presenter_id]:
            return lambda c: scoring_form.ask_submit(c, seminar_id, presenter_id)
        case actions.CONFIRM_SUBMIT, [seminar_id, presenter_id]:
            return lambda c: scoring_form.submit(c, seminar_id, presenter_id)
    return None


@turn(roles=EXAMINERS)
async def pressed(update: Update, context: Context, current: Turn) -> None:
    """An examiner's button: the list, a presenter, a criterion, the comment, "Kirim nilai"."""
    query = update.callback_query
    assert query is not None
    begin = opened_by(query.data)
    if begin is None:
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    await enter(update, context, current, begin)


# --- /nilai: a presenter's own scores, an organizer's overview ----------------------------------


async def results_command(update: Update, context: Context, current: Turn) -> None:
    """/nilai: for a participant their own seminars' scores once released; for an organizer
    each seminar's scoring state with a button to its detail."""
    assert update.effective_chat is not None and current.actor.person_id is not None
    if Role.PARTICIPANT in current.actor.roles:
        await send_html(context.bot, update.effective_chat.id, await _own_text(current))
    if Role.ADMIN in current.actor.roles:
        await _send_overview(update, context, current)


async def _own_text(current: Turn) -> str:
    assert current.actor.person_id is not None
    results = await scoring.own_results(current.session, current.actor.person_id)
    if not results:
        return current.t("scores.own.none")
    parts = [current.t("scores.own.title")]
    for r in results:
        lines = [
            current.t(
                "scores.own.seminar", kind=_kind(current, r.seminar), at=_when(current, r.seminar)
            )
        ]
        if not r.released:
            lines.append(current.t("scores.own.not_released"))
        for sheet in r.sheets:
            lines.append(current.t("scores.own.examiner", name=sheet.examiner_name))
            lines += [
                current.t(
                    "scores.own.line",
                    criterion=i.criterion,
                    weight=i.weight,
                    score=i.score if i.score is not None else "-",
                )
                for i in sheet.items
            ]
            lines.append(current.t("scores.own.total", total=_score(current, sheet.total)))
            if sheet.comment:
                lines.append(current.t("scores.own.comment", text=sheet.comment))
        if r.released and len(r.sheets) > 1:
            lines.append(current.t("scores.own.final", total=_score(current, r.final)))
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


async def _send_overview(update: Update, context: Context, current: Turn) -> None:
    assert update.effective_chat is not None
    found = await scoring.scoring_seminars(current.session, current.organizer)
    if not found:
        await context.bot.send_message(update.effective_chat.id, current.t("scores.admin.none"))
        return
    lines = [current.t("scores.admin.title")]
    buttons = []
    for s in found[:LIST_LIMIT]:
        lines.append(_overview_line(current, s))
        buttons.append(
            [
                _button(
                    SCORES,
                    current.translator("scores.button.detail", id=s.seminar.id),
                    "d",
                    str(s.seminar.id),
                )
            ]
        )
    await send_html(
        context.bot, update.effective_chat.id, "\n\n".join(lines), InlineKeyboardMarkup(buttons)
    )


def _overview_line(current: Turn, s: SeminarScores) -> str:
    released = (
        current.t(
            "scores.admin.released",
            at=format_datetime(
                s.seminar.released_at, current.actor.timezone, current.actor.language
            ),
        )
        if s.seminar.released_at is not None
        else current.t("scores.admin.not_released")
    )
    return current.t(
        "scores.admin.seminar",
        id=s.seminar.id,
        kind=_kind(current, s.seminar),
        at=_when(current, s.seminar),
        cohort=s.seminar.cohort_name,
        submitted=s.submitted,
        expected=s.expected,
        released=Safe(released),
    )


def _admin_id(update: Update) -> int | None:
    assert update.callback_query is not None
    fields = callbacks.unpack(update.callback_query.data, SCORES, 2)
    if fields is None or not fields[1].isdigit() or len(fields[1]) > 12:
        return None
    return int(fields[1])


def _detail_text(current: Turn, s: SeminarScores) -> str:
    lines = [_overview_line(current, s)]
    for p in s.presenters:
        lines.append("")
        lines.append(
            current.t("scores.admin.presenter", name=p.name, final=_score(current, p.final))
        )
        for sheet in p.sheets:
            lines.append(
                current.t(
                    "scores.admin.sheet",
                    mark=_MARKS[sheet.status.value if sheet.status else None],
                    examiner=sheet.examiner_name,
                    state=Safe(_state(current, sheet.status, sheet.total)),
                )
            )
    return "\n".join(lines)


def _detail_markup(current: Turn, s: SeminarScores) -> InlineKeyboardMarkup:
    seminar_id = str(s.seminar.id)
    rows = []
    if s.seminar.released_at is None:
        rows.append([_button(SCORES, current.translator("scores.button.release"), "r", seminar_id)])
    rows.append(
        [_button(SCORES, current.translator("scores.button.berita_acara"), "b", seminar_id)]
    )
    return InlineKeyboardMarkup(rows)


@turn(roles=ADMINS)
async def detail_pressed(update: Update, context: Context, current: Turn) -> None:
    """A seminar's detail: each presenter, each examiner's sheet state; release, berita acara."""
    seminar_id = _admin_id(update)
    if seminar_id is None:
        await _stale(update, current)
        return
    try:
        found = await scoring.seminar_scores(current.session, seminar_id, current.organizer)
    except UserFacingError as exc:
        await _refuse(update, current, exc)
        return
    assert update.callback_query is not None and update.effective_chat is not None
    await update.callback_query.answer()
    await send_html(
        context.bot,
        update.effective_chat.id,
        _detail_text(current, found),
        _detail_markup(current, found),
    )


@turn(roles=ADMINS)
async def release_pressed(update: Update, context: Context, current: Turn) -> None:
    """ "Rilis nilai": ask to confirm, naming how many presenters will see their scores."""
    seminar_id = _admin_id(update)
    if seminar_id is None:
        await _stale(update, current)
        return
    try:
        found = await scoring.seminar_scores(current.session, seminar_id, current.organizer)
    except UserFacingError as exc:
        await _refuse(update, current, exc)
        return
    assert update.callback_query is not None and update.effective_chat is not None
    await update.callback_query.answer()
    await context.bot.send_message(
        update.effective_chat.id,
        current.translator.plural(
            "scores.confirm.release",
            len(found.presenters),
            id=seminar_id,
            submitted=found.submitted,
            expected=found.expected,
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    _button(
                        SCORES,
                        current.translator("scores.button.confirm_release"),
                        "k",
                        str(seminar_id),
                    )
                ]
            ]
        ),
    )


@turn(roles=ADMINS)
async def release_confirmed(update: Update, context: Context, current: Turn) -> None:
    """Confirmed: the presenters may see their scores now, and are told."""
    seminar_id = _admin_id(update)
    if seminar_id is None:
        await _stale(update, current)
        return
    try:
        found = await scoring.release_scores(
            current.session, seminar_id, by=current.organizer, now=current.now()
        )
    except UserFacingError as exc:
        await _refuse(update, current, exc)
        return
    assert update.callback_query is not None
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        current.translator.plural("scores.released", len(found.presenters), id=seminar_id)
    )
    current.on_commit(current.runtime.wake)


@turn(roles=ADMINS)
async def berita_acara_pressed(update: Update, context: Context, current: Turn) -> None:
    """ "Berita acara": the seminar's minutes as a PDF, rendered once the data is read."""
    seminar_id = _admin_id(update)
    if seminar_id is None:
        await _stale(update, current)
        return
    try:
        found = await scoring.berita_acara(current.session, seminar_id, current.organizer)
    except UserFacingError as exc:
        await _refuse(update, current, exc)
        return
    scoring.record_berita_acara(
        current.session,
        found,
        at=current.now(),
        actor_id=current.actor.person_id,
    )
    assert update.callback_query is not None and update.effective_chat is not None
    await update.callback_query.answer()
    current.after_commit(
        functools.partial(_send_pdf, context.bot, current, update.effective_chat.id, found)
    )


async def _send_pdf(bot: Bot, current: Turn, chat_id: int, found: SeminarScores) -> None:
    # Heavy (fpdf): loaded on first use, so an idle bot stays small.
    from documents.berita_acara_pdf import file_name, render_berita_acara

    await bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    data = await asyncio.to_thread(
        render_berita_acara, found, language=current.actor.language, generated_at=current.now()
    )
    await bot.send_document(
        chat_id,
        document=data,
        filename=file_name(found, current.actor.language),
        caption=current.t(
            "scores.ba.caption",
            id=found.seminar.id,
            kind=current.t(f"seminar.kind.inline.{found.seminar.kind.value}"),
        ),
    )


# --- registration -------------------------------------------------------------------------------


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The examiner's buttons under /penguji and the organizers' under /nilai (the commands
    are rows of the command table)."""
    return [
        CallbackQueryHandler(pressed, pattern=callbacks.pattern(EXAMINER)),
        CallbackQueryHandler(detail_pressed, pattern=callbacks.pattern(SCORES, "d")),
        CallbackQueryHandler(release_pressed, pattern=callbacks.pattern(SCORES, "r")),
        CallbackQueryHandler(release_confirmed, pattern=callbacks.pattern(SCORES, "k")),
        CallbackQueryHandler(berita_acara_pressed, pattern=callbacks.pattern(SCORES, "b")),
    ]
