"""/seminar as a form: the coming seminars with their move and cancel buttons, then a new one
step by step (cohort, kind, date, time, zone, place, presenters, examiner, the read-back); and
the forms those buttons open: a seminar moved (new date and time, read back) or cancelled
(asked once more, since everyone concerned is told).

Channel-neutral: it asks through FormContext.show and takes domain.forms inputs; its buttons
outside the form are the actions of domain/actions.py, checked again here on every press."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from domain import actions
from domain.dates import InvalidDate, check_not_past, parse_user_date
from domain.enums import SeminarKind, SeminarStatus
from domain.forms import Choice, ChoiceInput, Input, Prompt, PromptKind, TextInput
from domain.i18n import format_date, format_datetime, format_time
from domain.roles import Role
from domain.seminar_time import InvalidSeminarInput, local_to_utc, parse_user_time, parse_venue
from domain.timezones import ZONES_BY_LABEL, zone_label
from models import Person
from services import seminars
from services.errors import UserFacingError
from services.forms import Form, FormContext
from services.seminars import NewSeminar, Organizer, Planned, Roster, SeminarView

NAME = "seminar"
# Three buttons per seminar; Telegram allows 100 per message, so the soonest 20 get them.
LIST_LIMIT = 20


class Step(StrEnum):
    COHORT = "cohort"
    KIND = "kind"
    DATE = "date"
    TIME = "time"
    ZONE = "zone"
    PLACE = "place"
    PRESENTERS = "presenters"
    EXAMINER = "examiner"
    CONFIRM = "confirm"
    NEW_DATE = "new_date"
    NEW_TIME = "new_time"
    NEW_CONFIRM = "new_confirm"
    CANCEL_CONFIRM = "cancel_confirm"


class Mode(StrEnum):
    NEW = "new"
    MOVE = "move"
    CANCEL = "cancel"


# The answers of the buttons inside the form (besides ids, kinds and zone labels).
YES, NO, DONE = "yes", "no", "done"
PERSON, GROUP = "p", "g"


@dataclass
class SeminarDraft:
    """The answers so far: a new seminar's parts, or the seminar (`seminar_id`) being moved to
    a new `day` and `clock` in its own `zone`, or cancelled. `every_cohort`: the organizer runs
    every cohort (an admin from the settings), as when the form was opened; the services check
    the cohort against it again at every step that touches one."""

    mode: Mode
    every_cohort: bool
    cohort_id: int | None = None
    kind: SeminarKind | None = None
    day: date | None = None
    clock: time | None = None
    zone: str | None = None
    place: str | None = None
    link: str | None = None
    presenters: list[int] = field(default_factory=list)
    examiner_id: int | None = None
    seminar_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "every_cohort": self.every_cohort,
            "cohort_id": self.cohort_id,
            "kind": self.kind.value if self.kind else None,
            "day": self.day.isoformat() if self.day else None,
            "clock": self.clock.isoformat(timespec="minutes") if self.clock else None,
            "zone": self.zone,
            "place": self.place,
            "link": self.link,
            "presenters": list(self.presenters),
            "examiner_id": self.examiner_id,
            "seminar_id": self.seminar_id,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> SeminarDraft:
        kind, day, clock = data.get("kind"), data.get("day"), data.get("clock")
        return cls(
            mode=Mode(data["mode"]),
            every_cohort=bool(data.get("every_cohort")),
            cohort_id=data.get("cohort_id"),
            kind=SeminarKind(kind) if kind else None,
            day=date.fromisoformat(day) if day else None,
            clock=time.fromisoformat(clock) if clock else None,
            zone=data.get("zone"),
            place=data.get("place"),
            link=data.get("link"),
            presenters=[int(i) for i in data.get("presenters") or []],
            examiner_id=data.get("examiner_id"),
            seminar_id=data.get("seminar_id"),
        )

    def organizer(self, person_id: int) -> Organizer:
        return Organizer(person_id=person_id, every_cohort=self.every_cohort)

    @property
    def starts_at(self) -> datetime:
        assert self.day is not None and self.clock is not None and self.zone is not None
        return local_to_utc(self.day, self.clock, ZoneInfo(self.zone))


def _draft(ctx: FormContext) -> SeminarDraft:
    assert ctx.state is not None
    return SeminarDraft.of(ctx.state.draft)


def _keep(ctx: FormContext, draft: SeminarDraft) -> None:
    assert ctx.state is not None
    ctx.state.draft = draft.to_json()


def _by(ctx: FormContext, draft: SeminarDraft) -> Organizer:
    return draft.organizer(ctx.person_id)


async def _zone(ctx: FormContext) -> ZoneInfo:
    """The organizer's own zone: dates are typed in their days, times shown in it."""
    person = await ctx.session.get(Person, ctx.person_id)
    assert person is not None
    return ZoneInfo(person.timezone)


def _kind(ctx: FormContext, kind: SeminarKind) -> str:
    return ctx.t(f"seminar.kind.{kind.value}")


async def _when(ctx: FormContext, moment: datetime, zone: ZoneInfo | None = None) -> str:
    return format_datetime(moment, zone or await _zone(ctx), ctx.language)


async def _say(ctx: FormContext, key: str, **params: object) -> None:
    """A catalog text below the last message."""
    await ctx.show(Prompt(ctx.t(key, **params)), in_place=False)


async def _stale(ctx: FormContext) -> None:
    await ctx.screen.alert(ctx.t("button.stale"))


async def _chosen(ctx: FormContext, value: str) -> None:
    """The pressed question turns into the answer, so it is not pressed again."""
    await ctx.show(Prompt(ctx.t("seminar.chosen", value=value)))


def _with_groups(ctx: FormContext, text: str, planned: Planned) -> str:
    """The organizer's confirmation, plus how many linked groups hear of it too."""
    if not planned.groups:
        return text
    return text + "\n" + ctx.t("seminar.groups_told", groups=planned.groups)


def _yes_no(ctx: FormContext, text: str, yes_key: str, no_key: str) -> Prompt:
    choices = (Choice(ctx.t(yes_key), YES), Choice(ctx.t(no_key), NO))
    return Prompt(text, PromptKind.CONFIRM, choices, columns=2)


# --- the coming seminars, and the buttons beside each -----------------------------------------


# Move, cancel and detail: one row per seminar.
MANAGE_LAYOUT = (3,)


def manage_choices(t: Callable[..., str], items: list[SeminarView]) -> tuple[Choice, ...]:
    """Move, cancel and detail buttons, three per seminar, for the soonest ones."""
    return tuple(
        choice
        for s in items[:LIST_LIMIT]
        for choice in (
            Choice(t("seminar.button.reschedule", id=s.id), action=actions.move_seminar(s.id)),
            Choice(t("seminar.button.cancel", id=s.id), action=actions.cancel_seminar(s.id)),
            Choice(t("materials.button.detail", id=s.id), action=actions.seminar_detail(s.id)),
        )
    )


async def begin(ctx: FormContext, by: Organizer) -> None:
    """/seminar: coming seminars with buttons to move or cancel them, then plan a new one."""
    cohorts = await seminars.managed_cohorts(ctx.session, by)
    if not cohorts:
        await _say(ctx, "seminar.error.no_cohort")
        return
    coming = await seminars.list_seminars(ctx.session, by=by, now=ctx.now)
    if coming:
        own = await _zone(ctx)
        lines = [ctx.t("seminar.list.title")]
        lines += [
            ctx.t(
                "seminar.list.line",
                id=s.id,
                kind=_kind(ctx, s.kind),
                at=await _when(ctx, s.starts_at, own),
                cohort=s.cohort_name,
                where=s.where,
                presenters=", ".join(s.presenters),
            )
            for s in coming[:LIST_LIMIT]
        ]
        choices = manage_choices(ctx.t, coming)
        prompt = Prompt("\n\n".join(lines), PromptKind.MESSAGE, choices, layout=MANAGE_LAYOUT)
        await ctx.show(prompt, in_place=False)
    draft = SeminarDraft(Mode.NEW, by.every_cohort)
    if len(cohorts) == 1:
        draft.cohort_id = cohorts[0].id
        ctx.open(NAME, Step.KIND, draft.to_json())
        await _ask_kind(ctx, cohorts[0].name)
        return
    ctx.open(NAME, Step.COHORT, draft.to_json())
    choices = tuple(Choice(c.name, str(c.id)) for c in cohorts)
    await ctx.show(Prompt(ctx.t("seminar.ask.cohort"), PromptKind.LIST, choices), in_place=False)


async def _changeable(ctx: FormContext, by: Organizer, seminar_id: int) -> SeminarView | None:
    """The seminar a move/cancel button names, if this organizer may still change it; None
    after telling them why not."""
    try:
        view = await seminars.managed_seminar(ctx.session, seminar_id, by)
        if view.status is not SeminarStatus.SCHEDULED:
            raise UserFacingError("seminar.error.cancelled", id=view.id)
        if view.starts_at <= ctx.now:
            raise UserFacingError("seminar.error.held", id=view.id)
    except UserFacingError as exc:
        await ctx.screen.alert(ctx.t(exc.key, **exc.params))
        return None
    return view


async def move(ctx: FormContext, by: Organizer, seminar_id: int) -> None:
    """ "Ubah jadwal #id": a new date, then a new time in the seminar's own zone."""
    view = await _changeable(ctx, by, seminar_id)
    if view is None:
        return
    draft = SeminarDraft(Mode.MOVE, by.every_cohort, seminar_id=view.id, zone=view.zone.key)
    ctx.open(NAME, Step.NEW_DATE, draft.to_json())
    await _say(
        ctx,
        "seminar.ask.new_date",
        id=view.id,
        kind=_kind(ctx, view.kind),
        at=await _when(ctx, view.starts_at, view.zone),
    )


async def cancel(ctx: FormContext, by: Organizer, seminar_id: int) -> None:
    """ "Batalkan #id": asked once more, since everyone concerned will be told."""
    view = await _changeable(ctx, by, seminar_id)
    if view is None:
        return
    draft = SeminarDraft(Mode.CANCEL, by.every_cohort, seminar_id=view.id)
    ctx.open(NAME, Step.CANCEL_CONFIRM, draft.to_json())
    await ctx.show(await _cancel_question(ctx, view), in_place=False)


# --- the steps --------------------------------------------------------------------------------


# A new seminar.


async def _ask_kind(ctx: FormContext, cohort_name: str) -> None:
    choices = tuple(Choice(_kind(ctx, k), k.value) for k in SeminarKind)
    prompt = Prompt(ctx.t("seminar.ask.kind", cohort=cohort_name), PromptKind.CHOICE, choices)
    await ctx.show(prompt, in_place=False)


async def _goto(ctx: FormContext, step: Step, draft: SeminarDraft) -> None:
    """Keep the draft and move on: the previous step's buttons read as stale."""
    _keep(ctx, draft)
    assert ctx.state is not None
    ctx.state.goto(step)


async def _cohort_chosen(ctx: FormContext, value: str) -> None:
    draft = _draft(ctx)
    cohorts = await seminars.managed_cohorts(ctx.session, _by(ctx, draft))
    chosen = next((c for c in cohorts if str(c.id) == value), None)
    if chosen is None:
        return await _stale(ctx)
    draft.cohort_id = chosen.id
    await _goto(ctx, Step.KIND, draft)
    await _chosen(ctx, chosen.name)
    return await _ask_kind(ctx, chosen.name)


async def _kind_chosen(ctx: FormContext, value: str) -> None:
    if value not in {k.value for k in SeminarKind}:
        return await _stale(ctx)
    draft = _draft(ctx)
    draft.kind = SeminarKind(value)
    await _goto(ctx, Step.DATE, draft)
    await _chosen(ctx, _kind(ctx, draft.kind))
    return await _say(ctx, "seminar.ask.date")


async def _typed_date(ctx: FormContext, raw: str, zone: ZoneInfo) -> date | None:
    """The typed date, not before today in `zone`; or None after telling why not."""
    today = ctx.now.astimezone(zone).date()
    try:
        day = parse_user_date(raw, today=today)
        check_not_past(day, today)
    except InvalidDate as exc:
        await ctx.show(Prompt(ctx.t(exc.code, **exc.params_for(ctx.language))), in_place=False)
        return None
    return day


async def _typed_time(ctx: FormContext, raw: str) -> time | None:
    try:
        return parse_user_time(raw)
    except InvalidSeminarInput as exc:
        await _say(ctx, exc.code, **exc.params)
        return None


async def _date_typed(ctx: FormContext, raw: str) -> None:
    day = await _typed_date(ctx, raw, await _zone(ctx))
    if day is None:
        return
    draft = _draft(ctx)
    draft.day = day
    await _goto(ctx, Step.TIME, draft)
    await _say(ctx, "seminar.ask.time", date=format_date(day, None, ctx.language))


async def _time_typed(ctx: FormContext, raw: str) -> None:
    clock = await _typed_time(ctx, raw)
    if clock is None:
        return
    draft = _draft(ctx)
    draft.clock = clock
    await _goto(ctx, Step.ZONE, draft)
    own = (await _zone(ctx)).key
    choices = tuple(
        Choice(ctx.t("seminar.zone.default", label=label) if zone.key == own else label, label)
        for label, zone in ZONES_BY_LABEL.items()
    )
    text = ctx.t("seminar.ask.zone", time=clock.strftime("%H.%M"))
    await ctx.show(Prompt(text, PromptKind.CHOICE, choices, columns=3), in_place=False)


async def _zone_chosen(ctx: FormContext, value: str) -> None:
    zone = ZONES_BY_LABEL.get(value)
    if zone is None:
        return await _stale(ctx)
    draft = _draft(ctx)
    draft.zone = zone.key
    starts_at = draft.starts_at
    await _chosen(ctx, format_time(starts_at, zone, ctx.language))
    try:
        seminars.check_future(starts_at, ctx.now)
    except UserFacingError as exc:
        # Today's date with an hour already gone: ask for the date again.
        await _goto(ctx, Step.DATE, draft)
        await _say(ctx, exc.key, **exc.params)
        return await _say(ctx, "seminar.ask.date")
    await _goto(ctx, Step.PLACE, draft)
    return await _say(ctx, "seminar.ask.place")


async def _place_typed(ctx: FormContext, raw: str) -> None:
    try:
        venue = parse_venue(raw)
    except InvalidSeminarInput as exc:
        return await _say(ctx, exc.code, **exc.params)
    draft = _draft(ctx)
    draft.place, draft.link, draft.presenters = venue.place, venue.link, []
    assert draft.cohort_id is not None
    try:
        roster = await seminars.cohort_roster(ctx.session, draft.cohort_id, _by(ctx, draft))
    except UserFacingError as exc:
        ctx.close()
        return await _say(ctx, exc.key, **exc.params)
    if not roster.participants:
        cohort = await _cohort_name(ctx, draft)
        ctx.close()
        return await _say(ctx, "seminar.error.no_participants", cohort=cohort)
    await _goto(ctx, Step.PRESENTERS, draft)
    await ctx.show(_presenters_question(ctx, roster, []), in_place=False)


async def _cohort_name(ctx: FormContext, draft: SeminarDraft) -> str:
    cohorts = await seminars.managed_cohorts(ctx.session, _by(ctx, draft))
    return next((c.name for c in cohorts if c.id == draft.cohort_id), "-")


def _groups(roster: Roster) -> list[str]:
    return sorted({p.group for p in roster.participants if p.group})


def _presenters_question(ctx: FormContext, roster: Roster, selected: list[int]) -> Prompt:
    """A seminar group toggles all its members (three to a row); a name toggles one person
    (two to a row); then "Selesai" with the count."""
    groups = [
        Choice(ctx.t("seminar.button.group", group=g), f"{GROUP}{i}")
        for i, g in enumerate(_groups(roster))
    ]
    names = [
        Choice(("☑️ " if p.id in selected else "▫️ ") + p.name, f"{PERSON}{p.id}")
        for p in roster.participants
    ]
    done = Choice(ctx.t("seminar.button.done", count=len(selected)), DONE)
    layout = [3] * (len(groups) // 3) + ([len(groups) % 3] if len(groups) % 3 else [])
    layout += [2] * (len(names) // 2) + ([1] if len(names) % 2 else [])
    layout.append(1)
    return Prompt(
        ctx.t("seminar.ask.presenters"),
        PromptKind.LIST,
        (*groups, *names, done),
        layout=tuple(layout),
    )


async def _presenter_pressed(ctx: FormContext, value: str) -> None:
    draft = _draft(ctx)
    assert draft.cohort_id is not None
    if value == DONE:
        return await _presenters_done(ctx, draft)
    roster = await seminars.cohort_roster(ctx.session, draft.cohort_id, _by(ctx, draft))
    selected = list(draft.presenters)
    number = value[1:]
    if value.startswith(PERSON) and number.isdigit():
        person = next((p for p in roster.participants if p.id == int(number)), None)
        if person is None:
            return await _stale(ctx)
        selected = [i for i in selected if i != person.id] + (
            [] if person.id in selected else [person.id]
        )
    elif value.startswith(GROUP) and number.isdigit():
        groups = _groups(roster)
        if int(number) >= len(groups):
            return await _stale(ctx)
        members = [p.id for p in roster.participants if p.group == groups[int(number)]]
        if all(i in selected for i in members):
            selected = [i for i in selected if i not in members]
        else:
            selected += [i for i in members if i not in selected]
    else:
        return await _stale(ctx)
    draft.presenters = selected
    # The same step, the same buttons: only the marks and the count change.
    _keep(ctx, draft)
    await ctx.show(_presenters_question(ctx, roster, selected))


async def _presenters_done(ctx: FormContext, draft: SeminarDraft) -> None:
    assert draft.cohort_id is not None
    try:
        if not draft.presenters:
            raise UserFacingError("seminar.error.no_presenters")
        await seminars.check_presenters_free(ctx.session, draft.presenters, draft.starts_at)
    except UserFacingError as exc:
        return await ctx.screen.alert(ctx.t(exc.key, **exc.params))
    roster = await seminars.cohort_roster(ctx.session, draft.cohort_id, _by(ctx, draft))
    names = [p.name for p in roster.participants if p.id in draft.presenters]
    await _chosen(ctx, ", ".join(names))
    if not roster.examiners:
        cohort = await _cohort_name(ctx, draft)
        ctx.close()
        return await _say(ctx, "seminar.error.no_examiner_in_cohort", cohort=cohort)
    await _goto(ctx, Step.EXAMINER, draft)
    choices = tuple(Choice(e.name, str(e.id)) for e in roster.examiners)
    prompt = Prompt(ctx.t("seminar.ask.examiner"), PromptKind.LIST, choices)
    await ctx.show(prompt, in_place=False)


async def _examiner_chosen(ctx: FormContext, value: str) -> None:
    draft = _draft(ctx)
    assert draft.cohort_id is not None
    roster = await seminars.cohort_roster(ctx.session, draft.cohort_id, _by(ctx, draft))
    examiner = next((e for e in roster.examiners if str(e.id) == value), None)
    if examiner is None:
        return await _stale(ctx)
    draft.examiner_id = examiner.id
    await _goto(ctx, Step.CONFIRM, draft)
    await _chosen(ctx, examiner.name)
    await ctx.show(await _summary(ctx, draft, roster), in_place=False)


async def _summary(ctx: FormContext, draft: SeminarDraft, roster: Roster) -> Prompt:
    """The new seminar read back in full, with Simpan / Batal."""
    assert draft.kind is not None and draft.zone is not None
    examiner = next((e.name for e in roster.examiners if e.id == draft.examiner_id), "-")
    text = ctx.t(
        "seminar.summary",
        kind=_kind(ctx, draft.kind),
        cohort=await _cohort_name(ctx, draft),
        at=await _when(ctx, draft.starts_at, ZoneInfo(draft.zone)),
        where=" · ".join(x for x in (draft.place, draft.link) if x),
        presenters=", ".join(p.name for p in roster.participants if p.id in draft.presenters),
        examiner=examiner,
    )
    return _yes_no(ctx, text, "common.save", "common.cancel")


async def _confirmed(ctx: FormContext, value: str) -> None:
    """Simpan / Batal under a new seminar's read-back."""
    if value not in (YES, NO):
        return await _stale(ctx)
    draft = _draft(ctx)
    assert draft.cohort_id is not None and draft.kind is not None and draft.zone is not None
    assert draft.examiner_id is not None
    by = _by(ctx, draft)
    roster = await seminars.cohort_roster(ctx.session, draft.cohort_id, by)
    await _answered(ctx, await _summary(ctx, draft, roster))
    ctx.close()
    if value == NO:
        return await _say(ctx, "conversation.cancelled")
    new = NewSeminar(
        cohort_id=draft.cohort_id,
        kind=draft.kind,
        starts_at=draft.starts_at,
        zone=ZoneInfo(draft.zone),
        presenter_ids=list(draft.presenters),
        examiner_id=draft.examiner_id,
        place=draft.place,
        link=draft.link,
    )
    try:
        ctx.on_commit(ctx.wake)
        planned = await seminars.schedule_seminar(ctx.session, new, by=by, now=ctx.now)
    except UserFacingError as exc:
        return await _say(ctx, exc.key, **exc.params)
    text = ctx.t(
        "seminar.saved",
        id=planned.seminar_id,
        recipients=planned.recipients,
        reminders=planned.reminders,
    )
    await ctx.show(Prompt(_with_groups(ctx, text, planned)), in_place=False)


async def _answered(ctx: FormContext, question: Prompt) -> None:
    """The pressed read-back stays as it read, without its buttons."""
    await ctx.settle(question)


# A seminar moved.


async def _new_date_typed(ctx: FormContext, raw: str) -> None:
    draft = _draft(ctx)
    assert draft.zone is not None
    zone = ZoneInfo(draft.zone)
    day = await _typed_date(ctx, raw, zone)
    if day is None:
        return
    draft.day = day
    await _goto(ctx, Step.NEW_TIME, draft)
    await _say(
        ctx,
        "seminar.ask.new_time",
        date=format_date(day, None, ctx.language),
        zone=zone_label(zone, ctx.now),
    )


async def _new_time_typed(ctx: FormContext, raw: str) -> None:
    clock = await _typed_time(ctx, raw)
    if clock is None:
        return
    draft = _draft(ctx)
    draft.clock = clock
    try:
        view = await _moved(ctx, draft)
        seminars.check_future(draft.starts_at, ctx.now)
        if draft.starts_at == view.starts_at:
            raise UserFacingError("seminar.error.same_time")
    except UserFacingError as exc:
        await _goto(ctx, Step.NEW_DATE, draft)
        await _say(ctx, exc.key, **exc.params)
        return await _say(ctx, "seminar.ask.date")
    await _goto(ctx, Step.NEW_CONFIRM, draft)
    await ctx.show(await _move_question(ctx, draft, view), in_place=False)


async def _moved(ctx: FormContext, draft: SeminarDraft) -> SeminarView:
    assert draft.seminar_id is not None
    return await seminars.managed_seminar(ctx.session, draft.seminar_id, _by(ctx, draft))


async def _move_question(ctx: FormContext, draft: SeminarDraft, view: SeminarView) -> Prompt:
    text = ctx.t(
        "seminar.confirm.reschedule",
        id=view.id,
        kind=_kind(ctx, view.kind),
        old_at=await _when(ctx, view.starts_at, view.zone),
        at=await _when(ctx, draft.starts_at, view.zone),
    )
    return _yes_no(ctx, text, "common.save", "common.cancel")


async def _cancel_question(ctx: FormContext, view: SeminarView) -> Prompt:
    text = ctx.t(
        "seminar.confirm.cancel",
        id=view.id,
        kind=_kind(ctx, view.kind),
        at=await _when(ctx, view.starts_at),
        presenters=", ".join(view.presenters),
    )
    return _yes_no(ctx, text, "seminar.button.cancel_yes", "seminar.button.keep")


async def _decided(
    ctx: FormContext,
    value: str,
    question: Callable[[SeminarDraft, SeminarView], Awaitable[Prompt]],
    change: Callable[[SeminarDraft, Organizer], Awaitable[Planned]],
    done: Callable[[Planned], str],
) -> None:
    """Yes/no under a move's or a cancellation's read-back: on yes, `change` the seminar, wake
    the sender once that is committed and say `done`; on no, the seminar is kept."""
    if value not in (YES, NO):
        return await _stale(ctx)
    draft = _draft(ctx)
    by = _by(ctx, draft)
    ctx.close()
    try:
        view = await _moved(ctx, draft)
    except UserFacingError as exc:
        return await _say(ctx, exc.key, **exc.params)
    await _answered(ctx, await question(draft, view))
    if value == NO:
        return await _say(ctx, "seminar.kept", id=view.id)
    try:
        ctx.on_commit(ctx.wake)
        planned = await change(draft, by)
    except UserFacingError as exc:
        return await _say(ctx, exc.key, **exc.params)
    await ctx.show(Prompt(done(planned)), in_place=False)


async def _move_decided(ctx: FormContext, value: str) -> None:
    async def question(draft: SeminarDraft, view: SeminarView) -> Prompt:
        return await _move_question(ctx, draft, view)

    async def change(draft: SeminarDraft, by: Organizer) -> Planned:
        assert draft.seminar_id is not None
        return await seminars.reschedule_seminar(
            ctx.session, draft.seminar_id, draft.starts_at, by=by, now=ctx.now
        )

    def moved(planned: Planned) -> str:
        text = ctx.t(
            "seminar.rescheduled",
            id=planned.seminar_id,
            recipients=planned.recipients,
            reminders=planned.reminders,
        )
        return _with_groups(ctx, text, planned)

    await _decided(ctx, value, question, change, moved)


async def _cancel_decided(ctx: FormContext, value: str) -> None:
    async def question(draft: SeminarDraft, view: SeminarView) -> Prompt:
        return await _cancel_question(ctx, view)

    async def change(draft: SeminarDraft, by: Organizer) -> Planned:
        assert draft.seminar_id is not None
        return await seminars.cancel_seminar(ctx.session, draft.seminar_id, by=by, now=ctx.now)

    def cancelled(planned: Planned) -> str:
        text = ctx.t("seminar.cancelled", id=planned.seminar_id, recipients=planned.recipients)
        return _with_groups(ctx, text, planned)

    await _decided(ctx, value, question, change, cancelled)


# --- the form ---------------------------------------------------------------------------------

Handler = Callable[[FormContext, str], Awaitable[None]]


class SeminarForm(Form):
    """The step machine behind /seminar and its move and cancel buttons."""

    name = NAME
    roles = frozenset({Role.ADMIN})

    _TYPED: ClassVar[dict[str, Handler]] = {
        Step.DATE: _date_typed,
        Step.TIME: _time_typed,
        Step.PLACE: _place_typed,
        Step.NEW_DATE: _new_date_typed,
        Step.NEW_TIME: _new_time_typed,
    }
    _PRESSED: ClassVar[dict[str, Handler]] = {
        Step.COHORT: _cohort_chosen,
        Step.KIND: _kind_chosen,
        Step.ZONE: _zone_chosen,
        Step.PRESENTERS: _presenter_pressed,
        Step.EXAMINER: _examiner_chosen,
        Step.CONFIRM: _confirmed,
        Step.NEW_CONFIRM: _move_decided,
        Step.CANCEL_CONFIRM: _cancel_decided,
    }

    def takes(self, step: str, answer: Input) -> bool:
        if isinstance(answer, TextInput):
            # Words where a button is awaited are told to use the buttons.
            return step in self._TYPED or step in self._PRESSED
        return isinstance(answer, ChoiceInput) and step in self._PRESSED

    async def handle(self, ctx: FormContext, answer: Input) -> None:
        assert ctx.state is not None
        step = ctx.state.step
        if isinstance(answer, ChoiceInput):
            await self._PRESSED[step](ctx, answer.value)
        elif isinstance(answer, TextInput):
            typed = self._TYPED.get(step)
            if typed is None:
                await _say(ctx, "seminar.use_buttons")
            else:
                await typed(ctx, answer.text)


SEMINAR_FORM = SeminarForm()
