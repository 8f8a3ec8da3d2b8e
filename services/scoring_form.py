"""/penguji as screens and a form: the seminars an examiner examines, a presenter's brief and
score sheet, "Kirim nilai" and its confirmation (screens, opened by their buttons), and the
form that takes one typed answer: a criterion's score, or the comment.

Channel-neutral: it asks through FormContext.show and takes domain.forms inputs; its buttons
are the actions of domain/actions.py, checked again here on every press (the services refuse
a seminar the presser does not examine, a presenter not of it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain import actions
from domain.forms import Choice, Input, Prompt, PromptKind, TextInput
from domain.i18n import format_date, format_datetime, translator
from domain.roles import Role
from domain.scoring import (
    MAX_COMMENT,
    MAX_SCORE,
    MIN_SCORE,
    InvalidScoring,
    ScoreSheetStatus,
    format_score,
)
from domain.scoring import parse_score as parse_typed_score
from domain.text import shorten
from models import Person
from services import scoring
from services.errors import UserFacingError
from services.forms import Form, FormContext
from services.relays import excerpt
from services.scoring import SeminarHeader, SheetView

NAME = "scoring"
# Telegram allows 100 buttons under a message; leave room and keep the list readable.
MAX_BUTTONS = 90
BUTTON_TEXT = 60
_MARKS = {None: "⬜", "draft": "✏️", "submitted": "✅"}


class Step(StrEnum):
    SCORE = "score"
    COMMENT = "comment"


@dataclass
class ScoreDraft:
    """Whose sheet the typed answer goes to, and (a score) for which criterion."""

    seminar_id: int
    presenter_id: int
    position: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "seminar_id": self.seminar_id,
            "presenter_id": self.presenter_id,
            "position": self.position,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> ScoreDraft:
        position = data.get("position")
        return cls(
            seminar_id=int(data["seminar_id"]),
            presenter_id=int(data["presenter_id"]),
            position=int(position) if position is not None else None,
        )


def _draft(ctx: FormContext) -> ScoreDraft:
    assert ctx.state is not None
    return ScoreDraft.of(ctx.state.draft)


def _leave(ctx: FormContext) -> None:
    """Close a score or comment still awaited: another of the examiner's buttons starts afresh."""
    if ctx.state is not None and ctx.state.form == NAME:
        ctx.close()


async def _zone(ctx: FormContext) -> ZoneInfo:
    person = await ctx.session.get(Person, ctx.person_id)
    assert person is not None
    return ZoneInfo(person.timezone)


def _label(ctx: FormContext, key: str, **params: object) -> str:
    """A button's words: plain text, not markup."""
    return shorten(translator(ctx.language)(key, **params), BUTTON_TEXT)


def _kind(ctx: FormContext, seminar: SeminarHeader) -> str:
    return ctx.t(f"seminar.kind.{seminar.kind.value}")


async def _when(ctx: FormContext, moment: datetime) -> str:
    return format_datetime(moment, await _zone(ctx), ctx.language)


def _score(ctx: FormContext, value: Any) -> str:
    return format_score(value, ctx.language)


def _state(ctx: FormContext, status: ScoreSheetStatus | None, total: Any) -> str:
    if status is None:
        return ctx.t.nested("scores.state.none")
    if status is ScoreSheetStatus.DRAFT:
        return ctx.t.nested("scores.state.draft")
    return ctx.t.nested("scores.state.submitted", total=_score(ctx, total))


async def _say(ctx: FormContext, key: str, **params: object) -> None:
    await ctx.show(Prompt(ctx.t(key, **params)), in_place=False)


async def _refuse(ctx: FormContext, error: UserFacingError) -> None:
    await ctx.screen.alert(ctx.t(error.key, **error.params))


async def _stale(ctx: FormContext) -> None:
    await ctx.screen.alert(ctx.t("button.stale"))


# --- the sheet ----------------------------------------------------------------------------------


async def sheet_text(ctx: FormContext, view: SheetView) -> str:
    """The examiner's sheet: every criterion with its weight and score, the total, the comment."""
    lines = [ctx.t("scores.sheet.title", name=view.presenter_name)]
    lines += [
        ctx.t(
            "scores.sheet.line",
            number=item.position,
            criterion=item.criterion,
            weight=item.weight,
            score=item.score if item.score is not None else "-",
        )
        for item in view.items
    ]
    if view.complete:
        lines.append(ctx.t("scores.sheet.total", total=_score(ctx, view.total)))
    else:
        lines.append(ctx.t("scores.sheet.total_incomplete"))
    lines.append(
        ctx.t("scores.sheet.comment", text=view.comment)
        if view.comment
        else ctx.t("scores.sheet.no_comment")
    )
    if view.submitted and view.submitted_at is not None:
        lines.append(ctx.t("scores.sheet.submitted", at=await _when(ctx, view.submitted_at)))
    else:
        lines.append(ctx.t("scores.sheet.draft_note"))
    return "\n".join(lines)


def _sheet_choices(ctx: FormContext, view: SheetView) -> tuple[Choice, ...]:
    """A button per criterion, the comment and, once every criterion is scored, "Kirim nilai";
    nothing once the sheet is submitted."""
    if view.submitted:
        return ()
    ids = (view.seminar_id, view.presenter_id)
    choices = [
        Choice(
            _label(
                ctx,
                "scores.button.criterion",
                number=item.position,
                criterion=item.criterion,
                score=item.score if item.score is not None else "-",
            ),
            action=actions.score_criterion(*ids, item.position),
        )
        for item in view.items
    ]
    choices.append(
        Choice(_label(ctx, "scores.button.comment"), action=actions.examiner_comment(*ids))
    )
    if view.complete:
        choices.append(
            Choice(_label(ctx, "scores.button.submit"), action=actions.submit_scores(*ids))
        )
    choices.append(Choice(_label(ctx, "scores.button.back"), action=actions.examiner_list()))
    return tuple(choices)


async def _show_sheet(ctx: FormContext, view: SheetView) -> None:
    prompt = Prompt(await sheet_text(ctx, view), PromptKind.MESSAGE, _sheet_choices(ctx, view))
    await ctx.show(prompt, in_place=False)


# --- /penguji: the examiner's seminars and presenters -------------------------------------------


async def listing(ctx: FormContext) -> None:
    """/penguji and "Daftar seminar": the seminars this person examines, each presenter with
    their sheet's state and a button."""
    _leave(ctx)
    found = await scoring.examiner_seminars(ctx.session, ctx.person_id)
    if not found:
        await _say(ctx, "scores.examiner.none")
        return
    parts = [ctx.t("scores.examiner.title")]
    choices: list[Choice] = []
    for item in found:
        s = item.seminar
        lines = [
            ctx.t(
                "scores.examiner.seminar",
                id=s.id,
                kind=_kind(ctx, s),
                at=await _when(ctx, s.starts_at),
                cohort=s.cohort_name,
                where=s.where or "-",
            )
        ]
        for p in item.presenters:
            lines.append(
                ctx.t(
                    "scores.examiner.presenter",
                    mark=_MARKS[p.status.value if p.status else None],
                    name=p.name,
                    state=_state(ctx, p.status, p.total),
                )
            )
            if len(choices) < MAX_BUTTONS:
                label = _label(ctx, "scores.button.presenter", name=p.name, id=s.id)
                choices.append(Choice(label, action=actions.examiner_presenter(s.id, p.id)))
        if s.released_at is not None:
            lines.append(ctx.t("scores.examiner.released"))
        parts.append("\n".join(lines))
    await ctx.show(Prompt("\n\n".join(parts), PromptKind.MESSAGE, tuple(choices)), in_place=False)


async def presenter(ctx: FormContext, seminar_id: int, presenter_id: int) -> None:
    """A presenter: their project, milestones and newest reports, then the score sheet."""
    try:
        brief = await scoring.presenter_brief(ctx.session, seminar_id, presenter_id, ctx.person_id)
        view = await scoring.examiner_sheet(ctx.session, seminar_id, presenter_id, ctx.person_id)
    except UserFacingError as exc:
        _leave(ctx)
        return await _refuse(ctx, exc)
    _leave(ctx)
    await ctx.show(Prompt(await _brief_text(ctx, brief)), in_place=False)
    await _show_sheet(ctx, view)


async def _brief_text(ctx: FormContext, brief: scoring.PresenterBrief) -> str:
    zone = await _zone(ctx)
    lines = [
        ctx.t(
            "scores.brief.title",
            name=brief.name,
            kind=_kind(ctx, brief.seminar),
            at=format_datetime(brief.seminar.starts_at, zone, ctx.language),
        ),
        ctx.t("scores.brief.agency", agency=brief.agency or "-"),
        ctx.t(
            "scores.brief.project",
            term=ctx.t(brief.term.message_key),
            title=brief.project_title or ctx.t("project.none"),
        ),
        "",
        ctx.t("scores.brief.milestones"),
    ]
    if not brief.milestones:
        lines.append(ctx.t("scores.brief.no_milestones"))
    lines += [
        ctx.t(
            "scores.brief.milestone",
            title=m.title,
            horizon=ctx.t(f"horizon.{m.horizon.value}"),
            status=ctx.t(f"milestone.status.{m.status.value}"),
            progress=m.progress,
            due=format_date(m.due_on, None, ctx.language),
        )
        for m in brief.milestones
    ]
    lines += ["", ctx.t("scores.brief.reports")]
    if not brief.recent:
        lines.append(ctx.t("scores.brief.no_reports"))
    lines += [
        ctx.t(
            "scores.brief.report",
            at=format_datetime(r.submitted_at, zone, ctx.language),
            milestone=r.milestone,
            percent=r.percent,
            text=excerpt(r.text),
        )
        for r in brief.recent
    ]
    return "\n".join(lines)


async def _editable(ctx: FormContext, seminar_id: int, presenter_id: int) -> SheetView | None:
    """The sheet, if the presser examines this presenter and has not submitted it yet; None
    after telling them why not."""
    try:
        view = await scoring.examiner_sheet(ctx.session, seminar_id, presenter_id, ctx.person_id)
        if view.submitted:
            raise UserFacingError("scores.error.submitted")
    except UserFacingError as exc:
        _leave(ctx)
        await _refuse(ctx, exc)
        return None
    return view


# --- entries into the form: a criterion's score, the comment ------------------------------------


async def ask_score(ctx: FormContext, seminar_id: int, presenter_id: int, position: int) -> None:
    """A criterion's button: ask for its score (0-100)."""
    view = await _editable(ctx, seminar_id, presenter_id)
    if view is None:
        return
    item = next((i for i in view.items if i.position == position), None)
    if item is None:
        return await _stale(ctx)
    ctx.open(NAME, Step.SCORE, ScoreDraft(seminar_id, presenter_id, position).to_json())
    await _say(
        ctx,
        "scores.ask.score",
        name=view.presenter_name,
        criterion=item.criterion,
        weight=item.weight,
        min=MIN_SCORE,
        max=MAX_SCORE,
    )


async def ask_comment(ctx: FormContext, seminar_id: int, presenter_id: int) -> None:
    """ "Catatan penguji": ask for the examiner's comment on the presenter."""
    view = await _editable(ctx, seminar_id, presenter_id)
    if view is None:
        return
    ctx.open(NAME, Step.COMMENT, ScoreDraft(seminar_id, presenter_id).to_json())
    await _say(ctx, "scores.ask.comment", name=view.presenter_name, limit=MAX_COMMENT)


# --- "Kirim nilai" ------------------------------------------------------------------------------


async def ask_submit(ctx: FormContext, seminar_id: int, presenter_id: int) -> None:
    """ "Kirim nilai": the sheet with its weighted total, to confirm."""
    view = await _editable(ctx, seminar_id, presenter_id)
    if view is None:
        return
    if not view.complete:
        missing = ", ".join(str(i.position) for i in view.items if i.score is None)
        _leave(ctx)
        return await _refuse(ctx, UserFacingError("scores.error.incomplete", numbers=missing))
    _leave(ctx)
    text = (
        await sheet_text(ctx, view)
        + "\n\n"
        + ctx.t("scores.confirm.submit", name=view.presenter_name)
    )
    choices = (
        Choice(
            _label(ctx, "scores.button.confirm_submit"),
            action=actions.confirm_scores(seminar_id, presenter_id),
        ),
        Choice(
            _label(ctx, "scores.button.keep_editing"),
            action=actions.examiner_presenter(seminar_id, presenter_id),
        ),
    )
    await ctx.show(Prompt(text, PromptKind.MESSAGE, choices, columns=2), in_place=False)


async def submit(ctx: FormContext, seminar_id: int, presenter_id: int) -> None:
    """Confirmed: the sheet is submitted and can no longer be changed; the confirmation turns
    into the final sheet."""
    try:
        view = await scoring.submit_sheet(
            ctx.session, seminar_id, presenter_id, ctx.person_id, now=ctx.now
        )
    except UserFacingError as exc:
        _leave(ctx)
        return await _refuse(ctx, exc)
    _leave(ctx)
    text = (
        await sheet_text(ctx, view)
        + "\n\n"
        + ctx.t("scores.submitted", name=view.presenter_name, total=_score(ctx, view.total))
    )
    await ctx.show(Prompt(text))


# --- the form -----------------------------------------------------------------------------------


async def _score_typed(ctx: FormContext, raw: str) -> None:
    """The typed score: checked, saved on the sheet, and the sheet shown again."""
    draft = _draft(ctx)
    assert draft.position is not None
    try:
        value = parse_typed_score(raw)
    except InvalidScoring as exc:
        return await _say(ctx, exc.code, **exc.params)
    ctx.close()
    try:
        view = await scoring.set_score(
            ctx.session,
            draft.seminar_id,
            draft.presenter_id,
            ctx.person_id,
            draft.position,
            value,
            now=ctx.now,
        )
    except UserFacingError as exc:
        return await _say(ctx, exc.key, **exc.params)
    await _show_sheet(ctx, view)


async def _comment_typed(ctx: FormContext, raw: str) -> None:
    draft = _draft(ctx)
    try:
        view = await scoring.set_comment(
            ctx.session, draft.seminar_id, draft.presenter_id, ctx.person_id, raw, now=ctx.now
        )
    except UserFacingError as exc:
        if not exc.key.startswith("text.error."):
            ctx.close()
        # Too long or empty: type it again.
        return await _say(ctx, exc.key, **exc.params)
    ctx.close()
    await _show_sheet(ctx, view)


class ScoringForm(Form):
    """The one typed answer behind a criterion's button or "Catatan penguji"."""

    name = NAME
    roles = frozenset({Role.EXAMINER})

    def takes(self, step: str, answer: Input) -> bool:
        return isinstance(answer, TextInput) and step in {s.value for s in Step}

    async def handle(self, ctx: FormContext, answer: Input) -> None:
        assert ctx.state is not None and isinstance(answer, TextInput)
        if ctx.state.step == Step.SCORE:
            await _score_typed(ctx, answer.text)
        else:
            await _comment_typed(ctx, answer.text)


SCORING_FORM = ScoringForm()
