"""/proyek as screens and a form: the overview of the project and its milestones, a milestone's
menu and its removal (screens, opened by their buttons), and the form that takes one of the
project's texts, a new milestone (title, horizon, date read back, output) or one part of a
milestone.

Channel-neutral: it asks through FormContext.show and takes domain.forms inputs; its buttons
outside the form are the actions of domain/actions.py, checked again here on every press."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from domain import actions
from domain.dates import InvalidDate, check_not_past, parse_user_date
from domain.enums import Horizon, MilestoneStatus
from domain.forms import Choice, ChoiceInput, Input, Prompt, PromptKind, TextInput
from domain.i18n import format_date, translator
from domain.project_term import ProjectTerm, term_params
from domain.roles import Role
from domain.text import InvalidText, clean_user_text
from domain.timezones import zone_label
from models import Milestone, Person
from services import projects, terms
from services.errors import UserFacingError
from services.forms import Form, FormContext

NAME = "project"

# How long each typed text may be; the columns allow this much.
LIMITS = {"title": 500, "problem": 2000, "goal": 2000, "m_title": 300, "output": 1000}


class Step(StrEnum):
    PROJECT_TEXT = "project_text"
    TITLE = "title"
    HORIZON = "horizon"
    DATE = "date"
    DATE_OK = "date_ok"
    OUTPUT = "output"


class Mode(StrEnum):
    PROJECT = "project"  # one of the project's texts
    ADD = "add"  # a new milestone, part by part
    EDIT = "edit"  # one part of a milestone


class Part(StrEnum):
    """The parts of a milestone its menu offers to change."""

    TITLE = "title"
    HORIZON = "horizon"
    DATE = "date"
    OUTPUT = "output"

    @property
    def field(self) -> str:
        """The milestone's column (services.projects.MILESTONE_FIELDS)."""
        return {"date": "due_on", "output": "expected_output"}.get(self.value, self.value)

    @property
    def step(self) -> Step:
        return {
            Part.TITLE: Step.TITLE,
            Part.HORIZON: Step.HORIZON,
            Part.DATE: Step.DATE,
            Part.OUTPUT: Step.OUTPUT,
        }[self]


# The answers of the buttons inside the form.
YES, OTHER_DATE, SKIP = "yes", "other", "skip"


@dataclass
class ProjectDraft:
    """The answers so far: the project text being changed (`field`), or the milestone being
    added (title, horizon, date), or the one (`milestone_id`) whose `part` is changed."""

    mode: Mode
    field: str | None = None
    milestone_id: int | None = None
    part: Part | None = None
    title: str | None = None
    horizon: Horizon | None = None
    due_on: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "field": self.field,
            "milestone_id": self.milestone_id,
            "part": self.part.value if self.part else None,
            "title": self.title,
            "horizon": self.horizon.value if self.horizon else None,
            "due_on": self.due_on.isoformat() if self.due_on else None,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> ProjectDraft:
        part, horizon, due_on = data.get("part"), data.get("horizon"), data.get("due_on")
        return cls(
            mode=Mode(data["mode"]),
            field=data.get("field"),
            milestone_id=data.get("milestone_id"),
            part=Part(part) if part else None,
            title=data.get("title"),
            horizon=Horizon(horizon) if horizon else None,
            due_on=date.fromisoformat(due_on) if due_on else None,
        )


def _draft(ctx: FormContext) -> ProjectDraft:
    assert ctx.state is not None
    return ProjectDraft.of(ctx.state.draft)


def _keep(ctx: FormContext, draft: ProjectDraft) -> None:
    assert ctx.state is not None
    ctx.state.draft = draft.to_json()


async def _zone(ctx: FormContext) -> ZoneInfo:
    """The person's zone: dates are typed and read back in their own days."""
    person = await ctx.session.get(Person, ctx.person_id)
    assert person is not None
    return ZoneInfo(person.timezone)


async def _today(ctx: FormContext) -> date:
    return ctx.now.astimezone(await _zone(ctx)).date()


def _term(ctx: FormContext, term: ProjectTerm) -> dict[str, str]:
    return term_params(translator(ctx.language), term)


async def _stale(ctx: FormContext) -> None:
    await ctx.screen.alert(ctx.t("button.stale"))


async def _own(ctx: FormContext, milestone_id: int) -> Milestone | None:
    """The participant's own milestone, or None after telling them it is not (or is gone)."""
    try:
        return await projects.own_milestone(ctx.session, ctx.person_id, milestone_id)
    except UserFacingError as exc:
        await ctx.screen.alert(ctx.t(exc.key, **exc.params))
        return None


# --- screens outside the form ---------------------------------------------------------------


async def overview_prompt(ctx: FormContext) -> Prompt:
    """The project and its milestones, with the buttons to change them."""
    t, lang = ctx.t, ctx.language
    view = await projects.project_view(ctx.session, ctx.person_id)
    term = _term(ctx, await terms.cohort_term(ctx.session, view.cohort_id))
    lines = [
        t("project.view.title", title=view.title or t("project.none"), **term),
        t("project.view.problem", text=view.problem or t("project.empty")),
        t("project.view.goal", text=view.goal or t("project.empty")),
        "",
        t("project.view.milestones", count=len(view.milestones)),
    ]
    for m in view.milestones:
        lines.append(
            t(
                "project.view.milestone",
                title=m.title,
                horizon=t(f"horizon.{m.horizon.value}"),
                date=format_date(m.due_on, None, lang),
                output=m.expected_output or "-",
                state=t(f"milestone.status.{m.status.value}"),
            )
        )
    choices = [
        *(
            Choice(t(f"project.button.{field}"), action=actions.edit_project(field))
            for field in projects.PROJECT_FIELDS
        ),
        Choice(t("project.button.add"), action=actions.add_milestone()),
        *(
            Choice(f"✏️ {m.title}", action=actions.milestone_menu(m.id))
            for m in view.milestones
            if m.status is not MilestoneStatus.APPROVED
        ),
    ]
    # The project's three texts on one row, then one row each.
    return Prompt("\n".join(lines), PromptKind.MESSAGE, tuple(choices), layout=(3, 1))


async def overview(ctx: FormContext) -> None:
    """/proyek: the project at hand, ready to edit."""
    await ctx.show(await overview_prompt(ctx), in_place=False)


async def milestone_menu(ctx: FormContext, milestone_id: int) -> None:
    """A milestone's button: what can be changed about it."""
    m = await _own(ctx, milestone_id)
    if m is None:
        return
    text = ctx.t(
        "project.milestone_menu", title=m.title, date=format_date(m.due_on, None, ctx.language)
    )
    choices = (
        *(
            Choice(ctx.t(f"milestone.part.{p.value}"), action=actions.edit_milestone(m.id, p))
            for p in Part
        ),
        Choice(ctx.t("milestone.button.remove"), action=actions.ask_remove(m.id)),
    )
    await ctx.show(Prompt(text, PromptKind.MESSAGE, choices, columns=2), in_place=False)


async def ask_remove(ctx: FormContext, milestone_id: int) -> None:
    """ "Hapus tahapan": ask before removing, in place of the menu."""
    m = await _own(ctx, milestone_id)
    if m is None:
        return
    choices = (
        Choice(ctx.t("milestone.button.remove_yes"), action=actions.remove_milestone(m.id)),
        Choice(ctx.t("common.cancel"), action=actions.remove_milestone(None)),
    )
    text = ctx.t("milestone.confirm_remove", title=m.title)
    await ctx.show(Prompt(text, PromptKind.MESSAGE, choices, columns=2))


async def remove(ctx: FormContext, milestone_id: int | None) -> None:
    """The removal confirmed (or, None, called off); then the project as it is now."""
    if milestone_id is None:
        await ctx.show(Prompt(ctx.t("milestone.remove_cancelled")))
        return
    try:
        await projects.remove_milestone(ctx.session, ctx.person_id, milestone_id, ctx.now)
    except UserFacingError as exc:
        await ctx.screen.alert(ctx.t(exc.key, **exc.params))
        return
    await ctx.show(Prompt(ctx.t("milestone.removed")))
    await overview(ctx)


# --- entries into the form --------------------------------------------------------------------


async def edit_project(ctx: FormContext, field: str) -> None:
    """ "Judul", "Rumusan masalah" or "Tujuan" under the overview: the text typed anew."""
    if field not in projects.PROJECT_FIELDS:
        return await _stale(ctx)
    ctx.open(NAME, Step.PROJECT_TEXT, ProjectDraft(Mode.PROJECT, field=field).to_json())
    return await _ask(ctx, Step.PROJECT_TEXT)


async def add_milestone(ctx: FormContext) -> None:
    """ "Tambah tahapan": its title, horizon, date and output, one after the other."""
    ctx.open(NAME, Step.TITLE, ProjectDraft(Mode.ADD).to_json())
    await _ask(ctx, Step.TITLE)


async def edit_milestone(ctx: FormContext, milestone_id: int, part: str) -> None:
    """One part of a milestone, from its menu."""
    try:
        chosen = Part(part)
    except ValueError:
        return await _stale(ctx)
    m = await _own(ctx, milestone_id)
    if m is None:
        return None
    draft = ProjectDraft(Mode.EDIT, milestone_id=m.id, part=chosen)
    ctx.open(NAME, chosen.step, draft.to_json())
    return await _ask(ctx, chosen.step)


Begin = Callable[[FormContext], Coroutine[Any, Any, None]]
# A field of a project button: letters, digits, "_" or "-" (the layout of domain/actions.py).
_FIELD = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def opened_by(data: str | None) -> Begin | None:
    """What a project button opens (on any channel), or None for data that is none of them
    (forged, stale). The ids are only read here; the screens check that they are the
    presser's."""
    kind, *fields = (data or "").split(":")
    if kind != actions.PROJECT or not 2 <= len(fields) <= 3:
        return None
    if not all(_FIELD.match(f) for f in fields):
        return None
    if any(f.isdigit() and int(f) > actions.ID_MAX for f in fields):
        return None  # a number no database id can be
    match fields:
        case [actions.EDIT_PROJECT, field]:
            return lambda c: edit_project(c, field)
        case [actions.ADD_MILESTONE, "new"]:
            return add_milestone
        case [actions.MILESTONE_MENU, number] if number.isdigit():
            return lambda c: milestone_menu(c, int(number))
        case [actions.EDIT_MILESTONE, number, part] if number.isdigit():
            return lambda c: edit_milestone(c, int(number), part)
        case [actions.ASK_REMOVE, number] if number.isdigit():
            return lambda c: ask_remove(c, int(number))
        case [actions.REMOVE, number] if number.isdigit():
            return lambda c: remove(c, int(number) or None)
    return None


# --- the steps --------------------------------------------------------------------------------


class ProjectForm(Form):
    """The step machine behind the /proyek buttons that ask for an answer."""

    name = NAME
    roles = frozenset({Role.PARTICIPANT})

    _TAKES: ClassVar[dict[str, tuple[type, ...]]] = {
        Step.PROJECT_TEXT: (TextInput,),
        Step.TITLE: (TextInput,),
        Step.HORIZON: (ChoiceInput,),
        Step.DATE: (TextInput,),
        Step.DATE_OK: (ChoiceInput,),
        Step.OUTPUT: (TextInput, ChoiceInput),
    }

    def takes(self, step: str, answer: Input) -> bool:
        return isinstance(answer, self._TAKES.get(step, ()))

    async def handle(self, ctx: FormContext, answer: Input) -> None:
        assert ctx.state is not None
        step = Step(ctx.state.step)
        if isinstance(answer, TextInput):
            await _typed(ctx, step, answer.text)
        elif isinstance(answer, ChoiceInput):
            await _pressed(ctx, step, answer.value)


PROJECT_FORM = ProjectForm()


async def _typed(ctx: FormContext, step: Step, raw: str) -> None:
    draft = _draft(ctx)
    if step is Step.DATE:
        return await _take_date(ctx, draft, raw)
    if step is Step.PROJECT_TEXT:
        assert draft.field is not None
        value = await _clean(ctx, raw, LIMITS[draft.field])
        if value is None:
            return None
        await projects.set_project_field(ctx.session, ctx.person_id, draft.field, value, ctx.now)
        ctx.close()
        await ctx.show(Prompt(ctx.t("project.saved")), in_place=False)
        return await overview(ctx)
    if step is Step.TITLE:
        value = await _clean(ctx, raw, LIMITS["m_title"])
        if value is None:
            return None
        if draft.mode is Mode.EDIT:
            return await _save_edit(ctx, draft, value)
        draft.title = value
        _keep(ctx, draft)
        return await _ask(ctx, Step.HORIZON)
    # The expected output.
    value = await _clean(ctx, raw, LIMITS["output"])
    if value is None:
        return None
    return await _finish_output(ctx, draft, value)


async def _pressed(ctx: FormContext, step: Step, value: str) -> None:
    draft = _draft(ctx)
    if step is Step.HORIZON:
        if value not in {h.value for h in Horizon}:
            return await _stale(ctx)
        horizon = Horizon(value)
        text = ctx.t("milestone.horizon_chosen", horizon=ctx.t(f"horizon.{horizon.value}"))
        await ctx.show(Prompt(text))  # the question turns into the answer
        if draft.mode is Mode.EDIT:
            return await _save_edit(ctx, draft, horizon)
        draft.horizon = horizon
        _keep(ctx, draft)
        return await _ask(ctx, Step.DATE)
    if step is Step.DATE_OK:
        if value not in (YES, OTHER_DATE) or draft.due_on is None:
            return await _stale(ctx)
        await _answered(ctx, step, draft)
        if value == OTHER_DATE:
            return await _ask(ctx, Step.DATE)
        if draft.mode is Mode.EDIT:
            return await _save_edit(ctx, draft, draft.due_on)
        return await _ask(ctx, Step.OUTPUT)
    if step is Step.OUTPUT and value == SKIP:
        await _answered(ctx, step, draft)
        return await _finish_output(ctx, draft, None)
    return await _stale(ctx)


async def _clean(ctx: FormContext, raw: str, limit: int) -> str | None:
    """The person's words within the limit, or None after telling them what is wrong."""
    try:
        return clean_user_text(raw, limit=limit)
    except InvalidText as exc:
        await ctx.screen.alert(ctx.t(exc.code, **exc.params))
        return None


async def _take_date(ctx: FormContext, draft: ProjectDraft, raw: str) -> None:
    """A date as people type it, read back in full before it is taken."""
    today = await _today(ctx)
    try:
        due = parse_user_date(raw, today=today)
        check_not_past(due, today)
    except InvalidDate as exc:
        return await ctx.screen.alert(ctx.t(exc.code, **exc.params_for(ctx.language)))
    draft.due_on = due
    _keep(ctx, draft)
    return await _ask(ctx, Step.DATE_OK)


async def _finish_output(ctx: FormContext, draft: ProjectDraft, output: str | None) -> None:
    if draft.mode is Mode.EDIT:
        return await _save_edit(ctx, draft, output)
    assert draft.title is not None and draft.horizon is not None and draft.due_on is not None
    try:
        await projects.add_milestone(
            ctx.session,
            ctx.person_id,
            title=draft.title,
            horizon=draft.horizon,
            due_on=draft.due_on,
            expected_output=output,
            today=await _today(ctx),
            now=ctx.now,
        )
    except InvalidDate as exc:
        # The date passed while the output was typed: it is asked again.
        await ctx.show(Prompt(ctx.t(exc.code, **exc.params_for(ctx.language))), in_place=False)
        return await _ask(ctx, Step.DATE)
    except UserFacingError as exc:
        ctx.close()
        await ctx.show(Prompt(ctx.t(exc.key, **exc.params)), in_place=False)
        return None
    ctx.close()
    await ctx.show(Prompt(ctx.t("milestone.added", title=draft.title)), in_place=False)
    return await overview(ctx)


async def _save_edit(
    ctx: FormContext, draft: ProjectDraft, value: str | date | Horizon | None
) -> None:
    """The changed part saved; the form is over either way."""
    assert draft.milestone_id is not None and draft.part is not None
    ctx.close()
    try:
        await projects.edit_milestone(
            ctx.session,
            ctx.person_id,
            draft.milestone_id,
            draft.part.field,
            value,
            today=await _today(ctx),
            now=ctx.now,
        )
    except InvalidDate as exc:
        await ctx.show(Prompt(ctx.t(exc.code, **exc.params_for(ctx.language))), in_place=False)
        return
    except UserFacingError as exc:
        await ctx.show(Prompt(ctx.t(exc.key, **exc.params)), in_place=False)
        return
    await ctx.show(Prompt(ctx.t("project.saved")), in_place=False)
    await overview(ctx)


async def _ask(ctx: FormContext, step: Step) -> None:
    """Go to `step` and ask its question, below the last message."""
    assert ctx.state is not None
    ctx.state.goto(step)
    await ctx.show(await _question(ctx, step, _draft(ctx)), in_place=False)


async def _answered(ctx: FormContext, step: Step, draft: ProjectDraft) -> None:
    """The pressed question stays as it read, without its buttons."""
    question = await _question(ctx, step, draft)
    await ctx.settle(question)


async def _question(ctx: FormContext, step: Step, draft: ProjectDraft) -> Prompt:
    t = ctx.t
    if step is Step.PROJECT_TEXT:
        assert draft.field is not None
        term = _term(ctx, await terms.participant_term(ctx.session, ctx.person_id))
        text = t(f"project.ask.{draft.field}", limit=LIMITS[draft.field], **term)
        return Prompt(text, PromptKind.FREE_TEXT)
    if step is Step.TITLE:
        return Prompt(t("milestone.ask.title", limit=LIMITS["m_title"]), PromptKind.FREE_TEXT)
    if step is Step.HORIZON:
        choices = tuple(Choice(t(f"horizon.{h.value}"), h.value) for h in Horizon)
        return Prompt(t("milestone.ask.horizon"), PromptKind.CHOICE, choices)
    if step is Step.DATE:
        return Prompt(t("milestone.ask.date"), PromptKind.FREE_TEXT)
    if step is Step.DATE_OK:
        assert draft.due_on is not None
        text = t(
            "milestone.confirm_date",
            date=format_date(draft.due_on, None, ctx.language),
            zone=zone_label(await _zone(ctx), ctx.now),
        )
        choices = (
            Choice(t("common.yes"), YES),
            Choice(t("milestone.button.other_date"), OTHER_DATE),
        )
        return Prompt(text, PromptKind.CONFIRM, choices, columns=2)
    text = t("milestone.ask.output", limit=LIMITS["output"])
    return Prompt(text, PromptKind.FREE_TEXT, (Choice(t("report.button.skip"), SKIP),))
