"""/penguji: an examiner scores presenters; /nilai: a presenter's own released scores, and the
organizer's view of who has scored, the release and the berita acara PDF."""

from __future__ import annotations

import asyncio
import functools
from enum import IntEnum
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from domain.i18n import format_date, format_datetime
from domain.roles import Role
from domain.scoring import MAX_COMMENT, MAX_SCORE, MIN_SCORE, InvalidScoring, format_score
from domain.scoring import parse_score as parse_typed_score
from domain.text import shorten
from handlers import callbacks, steps
from handlers.delivery import excerpt, send_html
from handlers.runtime import Context
from handlers.turn import Safe, Turn, tell, turn
from services import scoring
from services.errors import UserFacingError
from services.scoring import SeminarHeader, SeminarScores, SheetView

EXAMINER = callbacks.EXAMINER
SCORES = callbacks.SCORES
EXAMINERS = frozenset({Role.EXAMINER})
ADMINS = frozenset({Role.ADMIN})
END = ConversationHandler.END
DRAFT = "scoring_draft"
# Telegram allows 100 buttons under a message; leave room and keep the list readable.
MAX_BUTTONS = 90
LIST_LIMIT = 20
BUTTON_TEXT = 60
_MARKS = {None: "⬜", "draft": "✏️", "submitted": "✅"}


class Step(IntEnum):
    SCORE = 91
    COMMENT = 92


# --- rendering ----------------------------------------------------------------------------------


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


def sheet_text(current: Turn, view: SheetView) -> str:
    """The examiner's sheet: every criterion with its weight and score, the total, the comment."""
    lines = [current.t("scores.sheet.title", name=view.presenter_name)]
    for item in view.items:
        lines.append(
            current.t(
                "scores.sheet.line",
                number=item.position,
                criterion=item.criterion,
                weight=item.weight,
                score=item.score if item.score is not None else "-",
            )
        )
    if view.complete:
        lines.append(current.t("scores.sheet.total", total=_score(current, view.total)))
    else:
        lines.append(current.t("scores.sheet.total_incomplete"))
    lines.append(
        current.t("scores.sheet.comment", text=view.comment)
        if view.comment
        else current.t("scores.sheet.no_comment")
    )
    if view.submitted and view.submitted_at is not None:
        lines.append(
            current.t(
                "scores.sheet.submitted",
                at=format_datetime(
                    view.submitted_at, current.actor.timezone, current.actor.language
                ),
            )
        )
    else:
        lines.append(current.t("scores.sheet.draft_note"))
    return "\n".join(lines)


def sheet_markup(current: Turn, view: SheetView) -> InlineKeyboardMarkup | None:
    """A button per criterion, the comment and, once every criterion is scored, "Kirim nilai";
    nothing once the sheet is submitted."""
    if view.submitted:
        return None
    ids = (str(view.seminar_id), str(view.presenter_id))
    rows = [
        [
            _button(
                EXAMINER,
                shorten(
                    current.translator(
                        "scores.button.criterion",
                        number=item.position,
                        criterion=item.criterion,
                        score=item.score if item.score is not None else "-",
                    ),
                    BUTTON_TEXT,
                ),
                "c",
                *ids,
                str(item.position),
            )
        ]
        for item in view.items
    ]
    rows.append([_button(EXAMINER, current.translator("scores.button.comment"), "m", *ids)])
    if view.complete:
        rows.append([_button(EXAMINER, current.translator("scores.button.submit"), "f", *ids)])
    rows.append([_button(EXAMINER, current.translator("scores.button.back"), "l")])
    return InlineKeyboardMarkup(rows)


async def _reply_sheet(update: Update, context: Context, current: Turn, view: SheetView) -> None:
    assert update.effective_chat is not None
    await send_html(
        context.bot,
        update.effective_chat.id,
        sheet_text(current, view),
        sheet_markup(current, view),
    )


def _ids(update: Update, arity: int) -> list[int] | None:
    """The numeric fields of an examiner's button after its action letter, or None if forged."""
    assert update.callback_query is not None
    fields = callbacks.unpack(update.callback_query.data, EXAMINER, arity + 1)
    if fields is None or not all(f.isdigit() and len(f) <= 12 for f in fields[1:]):
        return None
    return [int(f) for f in fields[1:]]


async def _stale(update: Update, current: Turn) -> None:
    await tell(update, current.t("button.stale"))


async def _refuse(update: Update, current: Turn, error: UserFacingError) -> None:
    await tell(update, current.t(error.key, **error.params))


def _draft(context: Context) -> dict[str, Any]:
    return steps.draft(context, DRAFT)


# --- /penguji: the examiner's seminars and presenters -------------------------------------------


async def examiner_command(update: Update, context: Context, current: Turn) -> int:
    """/penguji: the seminars this person examines, each presenter with their sheet's state."""
    steps.clear_draft(context, DRAFT)
    await _send_list(update, context, current)
    return END


async def _send_list(update: Update, context: Context, current: Turn) -> None:
    assert update.effective_chat is not None and current.actor.person_id is not None
    found = await scoring.examiner_seminars(current.session, current.actor.person_id)
    if not found:
        await context.bot.send_message(update.effective_chat.id, current.t("scores.examiner.none"))
        return
    parts = [current.t("scores.examiner.title")]
    buttons: list[list[InlineKeyboardButton]] = []
    for item in found:
        s = item.seminar
        lines = [
            current.t(
                "scores.examiner.seminar",
                id=s.id,
                kind=_kind(current, s),
                at=_when(current, s),
                cohort=s.cohort_name,
                where=s.where or "-",
            )
        ]
        for p in item.presenters:
            lines.append(
                current.t(
                    "scores.examiner.presenter",
                    mark=_MARKS[p.status.value if p.status else None],
                    name=p.name,
                    state=Safe(_state(current, p.status, p.total)),
                )
            )
            if len(buttons) < MAX_BUTTONS:
                label = current.translator("scores.button.presenter", name=p.name, id=s.id)
                buttons.append(
                    [_button(EXAMINER, shorten(label, BUTTON_TEXT), "p", str(s.id), str(p.id))]
                )
        if s.released_at is not None:
            lines.append(current.t("scores.examiner.released"))
        parts.append("\n".join(lines))
    await send_html(
        context.bot,
        update.effective_chat.id,
        "\n\n".join(parts),
        InlineKeyboardMarkup(buttons) if buttons else None,
    )


@turn(roles=EXAMINERS)
async def list_pressed(update: Update, context: Context, current: Turn) -> int:
    """ "Daftar seminar": the list again."""
    assert update.callback_query is not None
    steps.clear_draft(context, DRAFT)
    await update.callback_query.answer()
    await _send_list(update, context, current)
    return END


@turn(roles=EXAMINERS)
async def presenter_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """A presenter: their project, milestones and newest reports, then the score sheet."""
    ids = _ids(update, 2)
    if ids is None:
        await _stale(update, current)
        return None
    seminar_id, presenter_id = ids
    assert current.actor.person_id is not None and update.effective_chat is not None
    try:
        brief = await scoring.presenter_brief(
            current.session, seminar_id, presenter_id, current.actor.person_id
        )
        view = await scoring.examiner_sheet(
            current.session, seminar_id, presenter_id, current.actor.person_id
        )
    except UserFacingError as exc:
        await _refuse(update, current, exc)
        return END
    assert update.callback_query is not None
    await update.callback_query.answer()
    steps.clear_draft(context, DRAFT)
    await send_html(context.bot, update.effective_chat.id, _brief_text(current, brief))
    await _reply_sheet(update, context, current, view)
    return END


def _brief_text(current: Turn, brief: scoring.PresenterBrief) -> str:
    lang = current.actor.language
    lines = [
        current.t(
            "scores.brief.title",
            name=brief.name,
            kind=_kind(current, brief.seminar),
            at=_when(current, brief.seminar),
        ),
        current.t("scores.brief.agency", agency=brief.agency or "-"),
        current.t(
            "scores.brief.project",
            term=current.t(brief.term.message_key),
            title=brief.project_title or current.t("project.none"),
        ),
        "",
        current.t("scores.brief.milestones"),
    ]
    if not brief.milestones:
        lines.append(current.t("scores.brief.no_milestones"))
    for m in brief.milestones:
        lines.append(
            current.t(
                "scores.brief.milestone",
                title=m.title,
                horizon=current.t(f"horizon.{m.horizon.value}"),
                status=current.t(f"milestone.status.{m.status.value}"),
                progress=m.progress,
                due=format_date(m.due_on, None, lang),
            )
        )
    lines += ["", current.t("scores.brief.reports")]
    if not brief.recent:
        lines.append(current.t("scores.brief.no_reports"))
    for r in brief.recent:
        lines.append(
            current.t(
                "scores.brief.report",
                at=format_datetime(r.submitted_at, current.actor.timezone, lang),
                milestone=r.milestone,
                percent=r.percent,
                text=excerpt(r.text),
            )
        )
    return "\n".join(lines)


# --- the scoring form: one criterion's score, or the comment, typed -----------------------------


@turn(roles=EXAMINERS)
async def criterion_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """A criterion's button: ask for its score (0-100)."""
    ids = _ids(update, 3)
    if ids is None:
        await _stale(update, current)
        return None
    seminar_id, presenter_id, position = ids
    assert current.actor.person_id is not None and update.effective_chat is not None
    try:
        view = await scoring.examiner_sheet(
            current.session, seminar_id, presenter_id, current.actor.person_id
        )
        _check_editable(view)
    except UserFacingError as exc:
        await _refuse(update, current, exc)
        return END
    item = next((i for i in view.items if i.position == position), None)
    if item is None:
        await _stale(update, current)
        return None
    assert update.callback_query is not None
    await update.callback_query.answer()
    steps.clear_draft(context, DRAFT)
    _draft(context).update(seminar=seminar_id, presenter=presenter_id, position=position)
    await context.bot.send_message(
        update.effective_chat.id,
        current.t(
            "scores.ask.score",
            name=view.presenter_name,
            criterion=item.criterion,
            weight=item.weight,
            min=MIN_SCORE,
            max=MAX_SCORE,
        ),
    )
    return Step.SCORE


def _check_editable(view: SheetView) -> None:
    if view.submitted:
        raise UserFacingError("scores.error.submitted")


@turn(roles=EXAMINERS)
async def score_typed(update: Update, context: Context, current: Turn) -> int | None:
    """The typed score: checked, saved in the draft, and the sheet shown again."""
    message = update.effective_message
    assert message is not None and current.actor.person_id is not None
    draft = _draft(context)
    if not {"seminar", "presenter", "position"} <= draft.keys():
        steps.clear_draft(context, DRAFT)
        await message.reply_text(current.t("button.stale"))
        return END
    try:
        value = parse_typed_score(message.text)
    except InvalidScoring as exc:
        await message.reply_text(current.t(exc.code, **exc.params))
        return None
    try:
        view = await scoring.set_score(
            current.session,
            draft["seminar"],
            draft["presenter"],
            current.actor.person_id,
            draft["position"],
            value,
            now=current.now(),
        )
    except UserFacingError as exc:
        steps.clear_draft(context, DRAFT)
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    steps.clear_draft(context, DRAFT)
    await _reply_sheet(update, context, current, view)
    return END


@turn(roles=EXAMINERS)
async def comment_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """ "Komentar": ask for the examiner's comment on the presenter."""
    ids = _ids(update, 2)
    if ids is None:
        await _stale(update, current)
        return None
    seminar_id, presenter_id = ids
    assert current.actor.person_id is not None and update.effective_chat is not None
    try:
        view = await scoring.examiner_sheet(
            current.session, seminar_id, presenter_id, current.actor.person_id
        )
        _check_editable(view)
    except UserFacingError as exc:
        await _refuse(update, current, exc)
        return END
    assert update.callback_query is not None
    await update.callback_query.answer()
    steps.clear_draft(context, DRAFT)
    _draft(context).update(seminar=seminar_id, presenter=presenter_id)
    await context.bot.send_message(
        update.effective_chat.id,
        current.t("scores.ask.comment", name=view.presenter_name, limit=MAX_COMMENT),
    )
    return Step.COMMENT


@turn(roles=EXAMINERS)
async def comment_typed(update: Update, context: Context, current: Turn) -> int | None:
    message = update.effective_message
    assert message is not None and current.actor.person_id is not None
    draft = _draft(context)
    if not {"seminar", "presenter"} <= draft.keys():
        steps.clear_draft(context, DRAFT)
        await message.reply_text(current.t("button.stale"))
        return END
    try:
        view = await scoring.set_comment(
            current.session,
            draft["seminar"],
            draft["presenter"],
            current.actor.person_id,
            message.text or "",
            now=current.now(),
        )
    except UserFacingError as exc:
        if exc.key.startswith("text.error."):
            await message.reply_text(current.t(exc.key, **exc.params))
            return None  # too long or empty: type it again
        steps.clear_draft(context, DRAFT)
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    steps.clear_draft(context, DRAFT)
    await _reply_sheet(update, context, current, view)
    return END


# --- "Kirim nilai" --------------------------------------------------------------------------------


@turn(roles=EXAMINERS)
async def submit_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """ "Kirim nilai": the summary with the weighted total, to confirm."""
    ids = _ids(update, 2)
    if ids is None:
        await _stale(update, current)
        return None
    seminar_id, presenter_id = ids
    assert current.actor.person_id is not None and update.effective_chat is not None
    try:
        view = await scoring.examiner_sheet(
            current.session, seminar_id, presenter_id, current.actor.person_id
        )
        _check_editable(view)
        if not view.complete:
            missing = ", ".join(str(i.position) for i in view.items if i.score is None)
            raise UserFacingError("scores.error.incomplete", numbers=missing)
    except UserFacingError as exc:
        await _refuse(update, current, exc)
        return END
    assert update.callback_query is not None
    await update.callback_query.answer()
    steps.clear_draft(context, DRAFT)
    ids_ = (str(seminar_id), str(presenter_id))
    await send_html(
        context.bot,
        update.effective_chat.id,
        sheet_text(current, view)
        + "\n\n"
        + current.t("scores.confirm.submit", name=view.presenter_name),
        InlineKeyboardMarkup(
            [
                [
                    _button(
                        EXAMINER, current.translator("scores.button.confirm_submit"), "y", *ids_
                    ),
                    _button(EXAMINER, current.translator("scores.button.keep_editing"), "p", *ids_),
                ]
            ]
        ),
    )
    return END


@turn(roles=EXAMINERS)
async def submit_confirmed(update: Update, context: Context, current: Turn) -> int | None:
    """Confirmed: the sheet is submitted and can no longer be changed."""
    ids = _ids(update, 2)
    if ids is None:
        await _stale(update, current)
        return None
    seminar_id, presenter_id = ids
    assert current.actor.person_id is not None and update.callback_query is not None
    try:
        view = await scoring.submit_sheet(
            current.session, seminar_id, presenter_id, current.actor.person_id, now=current.now()
        )
    except UserFacingError as exc:
        await _refuse(update, current, exc)
        return END
    await update.callback_query.answer()
    steps.clear_draft(context, DRAFT)
    await update.callback_query.edit_message_text(
        sheet_text(current, view)
        + "\n\n"
        + current.t("scores.submitted", name=view.presenter_name, total=_score(current, view.total))
    )
    return END


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


def conversation(entry: steps.Handlers) -> ConversationHandler:  # type: ignore[type-arg]
    """/penguji (`entry`, from the command table), the examiner's buttons and the two typed
    answers (a score, a comment); persistent, so a restart between the button and the answer
    loses nothing (the sheet itself is in the database from the first score on)."""
    text = filters.TEXT & ~filters.COMMAND
    return steps.conversation(
        "scoring",
        entry_points=[
            *entry,
            CallbackQueryHandler(list_pressed, pattern=callbacks.pattern(EXAMINER, "l")),
            CallbackQueryHandler(presenter_pressed, pattern=callbacks.pattern(EXAMINER, "p")),
            CallbackQueryHandler(criterion_pressed, pattern=callbacks.pattern(EXAMINER, "c")),
            CallbackQueryHandler(comment_pressed, pattern=callbacks.pattern(EXAMINER, "m")),
            CallbackQueryHandler(submit_pressed, pattern=callbacks.pattern(EXAMINER, "f")),
            CallbackQueryHandler(submit_confirmed, pattern=callbacks.pattern(EXAMINER, "y")),
        ],
        states={
            Step.SCORE: [MessageHandler(text, score_typed)],
            Step.COMMENT: [MessageHandler(text, comment_typed)],
        },
        cancel=steps.cancel_handler(DRAFT),
        # Any of the examiner's buttons starts afresh, even while a score is awaited.
        allow_reentry=True,
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The organizers' buttons under /nilai (the commands are rows of the command table)."""
    return [
        CallbackQueryHandler(detail_pressed, pattern=callbacks.pattern(SCORES, "d")),
        CallbackQueryHandler(release_pressed, pattern=callbacks.pattern(SCORES, "r")),
        CallbackQueryHandler(release_confirmed, pattern=callbacks.pattern(SCORES, "k")),
        CallbackQueryHandler(berita_acara_pressed, pattern=callbacks.pattern(SCORES, "b")),
    ]
