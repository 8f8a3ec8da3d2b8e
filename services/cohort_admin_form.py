"""/angkatan as screens and a form: the cohorts an organizer runs and one cohort's stages
(screens, opened by their buttons), and the form that changes a stage's dates or adds a stage
(its name, its dates, then the read-back with Simpan / Ubah / Batal).

Channel-neutral: it asks through FormContext.show and takes domain.forms inputs; its buttons
outside the form are the actions of domain/actions.py, checked again here on every press."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from domain import actions
from domain.dates import InvalidDate, parse_user_range
from domain.forms import Choice, ChoiceInput, Input, Prompt, PromptKind, TextInput
from domain.i18n import format_date
from domain.roles import Role
from domain.text import InvalidText
from models import Person
from services import cohort_admin
from services.cohort_admin import STAGE_NAME_LIMIT, CohortView, StageView
from services.errors import UserFacingError
from services.forms import Form, FormContext
from services.seminars import Organizer

NAME = "cohort_stage"
# Telegram allows 100 buttons per message; no organizer runs nearly this many cohorts.
COHORT_BUTTONS = 50


class Step(StrEnum):
    NAME = "name"
    DATES = "dates"
    CONFIRM = "confirm"


class Mode(StrEnum):
    EDIT = "edit"  # a stage's dates
    ADD = "add"  # a new stage: its name, then its dates


class Answer(StrEnum):
    """The buttons under the read-back."""

    SAVE = "save"
    CHANGE = "change"
    CANCEL = "cancel"


@dataclass
class StageDraft:
    """The stage being changed (`stage_id`) or added to `cohort_id`, and the answers so far.
    `every_cohort`: the organizer runs every cohort (an admin from the settings), as they did
    when the form was opened; the services check the cohort against it again on save."""

    mode: Mode
    cohort_id: int
    every_cohort: bool
    stage_id: int | None = None
    name: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "cohort_id": self.cohort_id,
            "every_cohort": self.every_cohort,
            "stage_id": self.stage_id,
            "name": self.name,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> StageDraft:
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        return cls(
            mode=Mode(data["mode"]),
            cohort_id=int(data["cohort_id"]),
            every_cohort=bool(data.get("every_cohort")),
            stage_id=data.get("stage_id"),
            name=data.get("name"),
            starts_on=date.fromisoformat(starts_on) if starts_on else None,
            ends_on=date.fromisoformat(ends_on) if ends_on else None,
        )

    def organizer(self, person_id: int) -> Organizer:
        return Organizer(person_id=person_id, every_cohort=self.every_cohort)


def _draft(ctx: FormContext) -> StageDraft:
    assert ctx.state is not None
    return StageDraft.of(ctx.state.draft)


def _keep(ctx: FormContext, draft: StageDraft) -> None:
    assert ctx.state is not None
    ctx.state.draft = draft.to_json()


async def _today(ctx: FormContext) -> date:
    """Today in the organizer's own zone: ranges are typed in their days."""
    person = await ctx.session.get(Person, ctx.person_id)
    assert person is not None
    return ctx.now.astimezone(ZoneInfo(person.timezone)).date()


def _day(ctx: FormContext, d: date) -> str:
    return format_date(d, None, ctx.language)


def _stage_line(ctx: FormContext, stage: StageView) -> str:
    return ctx.t(
        "cohorts.stage",
        name=stage.name,
        start=_day(ctx, stage.starts_on),
        end=_day(ctx, stage.ends_on),
    )


def _cohort_block(ctx: FormContext, c: CohortView) -> str:
    roles = ", ".join(
        f"{ctx.t(role.message_key)} {count}" for role in Role if (count := c.members.get(role, 0))
    )
    lines = [
        ctx.t(
            "cohorts.line",
            name=c.name,
            organizer=c.organizer or "-",
            year=c.year or "-",
            joined=c.joined,
            total=c.total,
            roles=roles or "-",
        )
    ]
    lines += [_stage_line(ctx, s) for s in c.stages] or [ctx.t("cohorts.no_stages")]
    return "\n".join(lines)


async def _say(ctx: FormContext, key: str, **params: object) -> None:
    """A catalog text below the last message."""
    await _tell(ctx, ctx.t(key, **params))


async def _tell(ctx: FormContext, text: str) -> None:
    await ctx.show(Prompt(text), in_place=False)


# --- screens outside the form ---------------------------------------------------------------


async def overview(ctx: FormContext, by: Organizer) -> None:
    """/angkatan: the cohorts this organizer runs, who has joined, their stages; a button each."""
    views = await cohort_admin.list_cohorts(ctx.session, by)
    if not views:
        await _tell(ctx, ctx.t("cohorts.title") + "\n" + ctx.t("cohorts.none"))
        return
    blocks = [
        ctx.t("cohorts.title"),
        *(_cohort_block(ctx, c) for c in views),
        ctx.t("cohorts.hint"),
    ]
    choices = tuple(
        Choice(c.name, action=actions.cohort_stages(c.id)) for c in views[:COHORT_BUTTONS]
    )
    await ctx.show(Prompt("\n\n".join(blocks), PromptKind.MESSAGE, choices), in_place=False)


async def cohort_stages(ctx: FormContext, by: Organizer, cohort_id: int) -> None:
    """A cohort's button under /angkatan: its stages, a button to change each, one to add."""
    try:
        cohort = await cohort_admin.managed_cohort(ctx.session, cohort_id, by)
    except UserFacingError as exc:
        await ctx.screen.alert(ctx.t(exc.key, **exc.params))
        return
    await _show_cohort(ctx, by, cohort.id)


async def _show_cohort(ctx: FormContext, by: Organizer, cohort_id: int) -> None:
    view = await cohort_admin.cohort_detail(ctx.session, cohort_id, by)
    lines = [ctx.t("cohort.title", name=view.name)]
    lines += [_stage_line(ctx, s) for s in view.stages] or [ctx.t("cohorts.no_stages")]
    choices = (
        *(
            Choice(ctx.t("cohort.button.edit", name=s.name), action=actions.edit_stage(s.id))
            for s in view.stages
        ),
        Choice(ctx.t("cohort.button.add"), action=actions.add_stage(view.id)),
    )
    await ctx.show(Prompt("\n".join(lines), PromptKind.MESSAGE, choices), in_place=False)


# --- entries into the form --------------------------------------------------------------------


async def edit_stage(ctx: FormContext, by: Organizer, stage_id: int) -> None:
    """ "Ubah <tahap>": the stage's dates now, and the question for the new ones."""
    try:
        stage = await cohort_admin.managed_stage(ctx.session, stage_id, by)
    except UserFacingError as exc:
        await ctx.screen.alert(ctx.t(exc.key, **exc.params))
        return
    draft = StageDraft(
        Mode.EDIT, stage.cohort_id, by.every_cohort, stage_id=stage.id, name=stage.name
    )
    ctx.open(NAME, Step.DATES, draft.to_json())
    await _say(
        ctx,
        "stage.current",
        name=stage.name,
        start=_day(ctx, stage.starts_on),
        end=_day(ctx, stage.ends_on),
    )
    await _ask_dates(ctx, draft)


async def add_stage(ctx: FormContext, by: Organizer, cohort_id: int) -> None:
    """ "Tambah tahap": the new stage's name first."""
    try:
        cohort = await cohort_admin.managed_cohort(ctx.session, cohort_id, by)
    except UserFacingError as exc:
        await ctx.screen.alert(ctx.t(exc.key, **exc.params))
        return
    ctx.open(NAME, Step.NAME, StageDraft(Mode.ADD, cohort.id, by.every_cohort).to_json())
    await _say(ctx, "stage.ask.name", cohort=cohort.name, limit=STAGE_NAME_LIMIT)


# --- the steps --------------------------------------------------------------------------------


class CohortStageForm(Form):
    """The step machine behind "Ubah <tahap>" and "Tambah tahap"."""

    name = NAME
    roles = frozenset({Role.ADMIN})

    _TAKES: ClassVar[dict[str, tuple[type, ...]]] = {
        Step.NAME: (TextInput,),
        Step.DATES: (TextInput,),
        # Words under the read-back are told to use its buttons.
        Step.CONFIRM: (ChoiceInput, TextInput),
    }

    def takes(self, step: str, answer: Input) -> bool:
        return isinstance(answer, self._TAKES.get(step, ()))

    async def handle(self, ctx: FormContext, answer: Input) -> None:
        assert ctx.state is not None
        step = Step(ctx.state.step)
        if isinstance(answer, ChoiceInput):
            await _confirmed(ctx, answer.value)
        elif isinstance(answer, TextInput):
            if step is Step.NAME:
                await _name_typed(ctx, answer.text)
            elif step is Step.DATES:
                await _dates_typed(ctx, answer.text)
            else:
                await _say(ctx, "stage.use_buttons")


COHORT_STAGE_FORM = CohortStageForm()


async def _name_typed(ctx: FormContext, raw: str) -> None:
    draft = _draft(ctx)
    try:
        name = await cohort_admin.check_stage_name(ctx.session, draft.cohort_id, raw)
    except InvalidText as exc:
        return await _say(ctx, exc.code, **exc.params)
    except UserFacingError as exc:
        return await _say(ctx, exc.key, **exc.params)
    draft.name = name
    _keep(ctx, draft)
    return await _ask_dates(ctx, draft)


async def _dates_typed(ctx: FormContext, raw: str) -> None:
    """The range as people type it, read back in full (with any overlap) before it is saved."""
    draft = _draft(ctx)
    try:
        starts_on, ends_on = parse_user_range(raw, today=await _today(ctx))
        cohort_admin.check_range(starts_on, ends_on)
    except InvalidDate as exc:
        problem = ctx.t(exc.code, **exc.params_for(ctx.language))
        return await _tell(ctx, problem + "\n\n" + ctx.t("stage.example"))
    draft.starts_on, draft.ends_on = starts_on, ends_on
    _keep(ctx, draft)
    assert ctx.state is not None
    ctx.state.goto(Step.CONFIRM)
    await ctx.show(await _read_back(ctx, draft), in_place=False)


async def _confirmed(ctx: FormContext, value: str) -> None:
    """Simpan / Ubah / Batal under the read-back."""
    draft = _draft(ctx)
    if value not in {a.value for a in Answer}:
        await ctx.screen.alert(ctx.t("button.stale"))
        return
    # The read-back stays as it read, without its buttons.
    read_back = await _read_back(ctx, draft)
    await ctx.settle(read_back)
    if value == Answer.CHANGE:
        return await _ask_dates(ctx, draft)
    ctx.close()
    if value == Answer.CANCEL:
        return await _say(ctx, "conversation.cancelled")
    return await _save(ctx, draft)


async def _save(ctx: FormContext, draft: StageDraft) -> None:
    assert draft.name is not None and draft.starts_on is not None and draft.ends_on is not None
    try:
        if draft.mode is Mode.EDIT:
            assert draft.stage_id is not None
            change = await cohort_admin.set_stage_dates(
                ctx.session,
                draft.cohort_id,
                draft.stage_id,
                draft.starts_on,
                draft.ends_on,
                ctx.now,
                ctx.person_id,
                every_cohort=draft.every_cohort,
            )
        else:
            change = await cohort_admin.add_stage(
                ctx.session,
                draft.cohort_id,
                draft.name,
                draft.starts_on,
                draft.ends_on,
                ctx.now,
                ctx.person_id,
                every_cohort=draft.every_cohort,
            )
    except InvalidDate as exc:
        return await _say(ctx, exc.code, **exc.params_for(ctx.language))
    except InvalidText as exc:
        return await _say(ctx, exc.code, **exc.params)
    except UserFacingError as exc:
        # Another organizer added a stage by that name meanwhile, or the cohort is gone.
        return await _say(ctx, exc.key, **exc.params)
    stage = change.stage
    await _say(
        ctx,
        "stage.saved",
        name=stage.name,
        start=_day(ctx, stage.starts_on),
        end=_day(ctx, stage.ends_on),
    )
    return await _show_cohort(ctx, draft.organizer(ctx.person_id), stage.cohort_id)


async def _ask_dates(ctx: FormContext, draft: StageDraft) -> None:
    """Go to the dates and ask for them, below the last message."""
    assert ctx.state is not None
    ctx.state.goto(Step.DATES)
    await ctx.show(
        Prompt(ctx.t("stage.ask.dates", name=draft.name), PromptKind.FREE_TEXT), in_place=False
    )


async def _read_back(ctx: FormContext, draft: StageDraft) -> Prompt:
    """The range in full, with the stages it overlaps, and Simpan / Ubah / Batal."""
    t = ctx.t
    assert draft.starts_on is not None and draft.ends_on is not None
    overlaps = await cohort_admin.overlapping(
        ctx.session,
        draft.cohort_id,
        draft.starts_on,
        draft.ends_on,
        except_stage_id=draft.stage_id,
    )
    lines = [
        t(
            "stage.confirm",
            name=draft.name,
            start=_day(ctx, draft.starts_on),
            end=_day(ctx, draft.ends_on),
            days=(draft.ends_on - draft.starts_on).days + 1,
        )
    ]
    if overlaps:
        lines += ["", t("stage.overlap")]
        lines += [_stage_line(ctx, s) for s in overlaps]
    choices = (
        Choice(t("stage.button.save"), Answer.SAVE.value),
        Choice(t("stage.button.change"), Answer.CHANGE.value),
        Choice(t("stage.button.cancel"), Answer.CANCEL.value),
    )
    return Prompt("\n".join(lines), PromptKind.CONFIRM, choices, columns=3)
