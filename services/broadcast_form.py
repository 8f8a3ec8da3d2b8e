"""/umumkan as a form: an organizer's announcement in steps (cohort, text, file, audience,
the preview with Kirim / Ubah penerima / Batal), then one status message that is kept up to
date while the sender delivers it.

Channel-neutral: it asks through FormContext.show and takes domain.forms inputs. What a
channel does besides prompts (show the file under the preview, keep the status message up to
date) is its Desk, set by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from domain import markup
from domain.actions import BroadcastAction, BroadcastChoice
from domain.enums import DeliveryFailure
from domain.forms import Choice, ChoiceInput, Input, MediaInput, Prompt, PromptKind, TextInput
from domain.i18n import Translator, translator
from domain.roles import Role
from domain.text import InvalidText
from models import Person
from services import broadcasts, groups
from services.broadcasts import AUDIENCE_ROLES, Audience, AudiencePlan, Summary
from services.errors import UserFacingError
from services.forms import Form, FormContext, Screen

NAME = "broadcast"
# The status lists who was not reached; the list is cut well inside Telegram's 4096.
_STATUS_BUDGET = 3800


class Step(StrEnum):
    COHORT = "cohort"
    TEXT = "text"
    FILE = "file"
    AUDIENCE = "audience"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Attachment:
    """The one file that goes with the text, as its channel knows it."""

    kind: str  # "photo" or "document"
    channel: str
    ref: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "channel": self.channel, "ref": self.ref}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Attachment:
        return cls(kind=str(data["kind"]), channel=str(data["channel"]), ref=str(data["ref"]))


@dataclass
class BroadcastDraft:
    """The answers so far. `every_cohort`: the organizer runs every cohort (an admin from the
    settings), as when the form was opened; the cohort is checked against it again on send.
    `seminar_groups` and `group_count` are what the audience prompt offered, so a press reads
    the same list it was shown."""

    every_cohort: bool
    cohort_id: int | None = None
    cohort: str = ""
    text: str | None = None
    attachment: Attachment | None = None
    roles: list[Role] = field(default_factory=lambda: list(AUDIENCE_ROLES))
    seminar_group: str | None = None
    groups: bool = False
    seminar_groups: list[str] = field(default_factory=list)
    group_count: int = 0
    # The album whose extra files were already answered "only the first goes along".
    album_warned: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "every_cohort": self.every_cohort,
            "cohort_id": self.cohort_id,
            "cohort": self.cohort,
            "text": self.text,
            "attachment": self.attachment.to_json() if self.attachment else None,
            "roles": [r.value for r in self.roles],
            "seminar_group": self.seminar_group,
            "groups": self.groups,
            "seminar_groups": list(self.seminar_groups),
            "group_count": self.group_count,
            "album_warned": self.album_warned,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> BroadcastDraft:
        attachment = data.get("attachment")
        return cls(
            every_cohort=bool(data.get("every_cohort")),
            cohort_id=data.get("cohort_id"),
            cohort=str(data.get("cohort") or ""),
            text=data.get("text"),
            attachment=Attachment.of(attachment) if attachment else None,
            roles=[Role(r) for r in data.get("roles", [])],
            seminar_group=data.get("seminar_group"),
            groups=bool(data.get("groups")),
            seminar_groups=[str(g) for g in data.get("seminar_groups") or []],
            group_count=int(data.get("group_count") or 0),
            album_warned=data.get("album_warned"),
        )

    @property
    def audience(self) -> Audience:
        return Audience(
            roles=frozenset(self.roles), seminar_group=self.seminar_group, groups=self.groups
        )


class Desk(Protocol):
    """What a channel does for /umumkan besides its prompts."""

    async def show_file(self, screen: Screen, attachment: Attachment, caption: str) -> None:
        """Show the file with `caption` (catalog markup) below the last message."""

    def watch(self, screen: Screen, broadcast_id: int) -> None:
        """Keep the status message of the announcement up to date until nothing waits."""


def _draft(ctx: FormContext) -> BroadcastDraft:
    assert ctx.state is not None
    return BroadcastDraft.of(ctx.state.draft)


def _keep(ctx: FormContext, draft: BroadcastDraft) -> None:
    assert ctx.state is not None
    ctx.state.draft = draft.to_json()


def _goto(ctx: FormContext, step: str, draft: BroadcastDraft) -> None:
    """Keep the draft and move on: the previous step's buttons read as stale."""
    _keep(ctx, draft)
    assert ctx.state is not None
    ctx.state.goto(step)


async def _say(ctx: FormContext, key: str, **params: object) -> None:
    """A catalog text below the last message."""
    await ctx.show(Prompt(ctx.t(key, **params)), in_place=False)


async def _author(ctx: FormContext) -> str:
    person = await ctx.session.get(Person, ctx.person_id)
    assert person is not None
    return person.full_name


def _button(label: str, action: BroadcastAction, argument: str = "") -> Choice:
    return Choice(label, BroadcastChoice(action, argument).encode())


# --- entry and cohort -------------------------------------------------------------------------


async def begin(ctx: FormContext, *, every_cohort: bool) -> None:
    """/umumkan: choose the cohort, unless the organizer runs only one."""
    cohorts = await groups.administered_cohorts(
        ctx.session, ctx.person_id, global_admin=every_cohort
    )
    if not cohorts:
        await _say(ctx, "broadcast.no_cohorts")
        return
    draft = BroadcastDraft(every_cohort=every_cohort)
    if len(cohorts) == 1:
        ctx.open(NAME, Step.TEXT, draft.to_json())
        await _ask_text(ctx, draft, cohorts[0])
        return
    ctx.open(NAME, Step.COHORT, draft.to_json())
    choices = tuple(_button(c.name, BroadcastAction.COHORT, str(c.id)) for c in cohorts)
    await ctx.show(
        Prompt(ctx.t("broadcast.choose_cohort"), PromptKind.LIST, choices), in_place=False
    )


async def _cohort_chosen(ctx: FormContext, choice: BroadcastChoice) -> None:
    """A cohort button; the id is checked against the organizer's own cohorts."""
    draft = _draft(ctx)
    cohorts = await groups.administered_cohorts(
        ctx.session, ctx.person_id, global_admin=draft.every_cohort
    )
    chosen = next((c for c in cohorts if str(c.id) == choice.argument), None)
    if chosen is None:
        return await ctx.screen.alert(ctx.t("broadcast.error.not_allowed"))
    # The chooser turns into the answer, so it is not pressed again.
    await ctx.show(Prompt(ctx.t("broadcast.cohort_chosen", cohort=chosen.name)))
    return await _ask_text(ctx, draft, chosen)


async def _ask_text(ctx: FormContext, draft: BroadcastDraft, cohort: groups.CohortChoice) -> None:
    draft.cohort_id, draft.cohort = cohort.id, cohort.name
    _goto(ctx, Step.TEXT, draft)
    author = await _author(ctx)
    text = ctx.t(
        "broadcast.ask_text",
        cohort=cohort.name,
        limit=broadcasts.text_limit(cohort.name, author, with_file=False),
        caption_limit=broadcasts.text_limit(cohort.name, author, with_file=True),
    )
    await ctx.show(Prompt(text, PromptKind.FREE_TEXT), in_place=False)


# --- text and file ----------------------------------------------------------------------------


async def _text_typed(ctx: FormContext, raw: str) -> None:
    """The announcement's text, checked to fit one message with its header."""
    draft = _draft(ctx)
    try:
        text = broadcasts.check_text(raw, draft.cohort, await _author(ctx), with_file=False)
    except InvalidText as exc:
        return await _say(ctx, exc.code, **exc.params)
    draft.text, draft.attachment = text, None
    _goto(ctx, Step.FILE, draft)
    await ctx.show(_file_question(ctx), in_place=False)


def _file_question(ctx: FormContext) -> Prompt:
    skip = _button(ctx.t("broadcast.button.skip"), BroadcastAction.SKIP_FILE)
    return Prompt(ctx.t("broadcast.ask_file"), PromptKind.MEDIA, (skip,))


async def _file_sent(ctx: FormContext, media: MediaInput) -> None:
    """One photo or document to go with the text, as its caption."""
    draft = _draft(ctx)
    if media.kind not in broadcasts.ATTACHMENT_KINDS or media.channel is None:
        return await _say(ctx, "broadcast.file_expected")
    assert draft.text is not None
    try:
        broadcasts.check_text(draft.text, draft.cohort, await _author(ctx), with_file=True)
    except InvalidText as exc:
        return await _say(ctx, "broadcast.file_too_long", **exc.params)
    draft.attachment = Attachment(kind=media.kind, channel=media.channel, ref=media.ref)
    # Further files of the same album are the extra ones.
    draft.album_warned = None
    await _say(ctx, "broadcast.file_attached")
    return await _ask_audience(ctx, draft)


async def _file_skipped(ctx: FormContext, draft: BroadcastDraft) -> None:
    """ "Lewati" under the file prompt: the question stays, without its button."""
    await ctx.settle(_file_question(ctx))
    draft.attachment = None
    return await _ask_audience(ctx, draft)


# --- audience ---------------------------------------------------------------------------------


async def _ask_audience(ctx: FormContext, draft: BroadcastDraft) -> None:
    assert draft.cohort_id is not None
    draft.seminar_groups = await broadcasts.seminar_groups(ctx.session, draft.cohort_id)
    draft.group_count = len(await groups.active_groups(ctx.session, draft.cohort_id))
    _goto(ctx, Step.AUDIENCE, draft)
    await ctx.show(_audience_question(ctx, draft), in_place=False)


def _rows_of(count: int, width: int) -> list[int]:
    return [width] * (count // width) + ([count % width] if count % width else [])


def _audience_question(ctx: FormContext, draft: BroadcastDraft) -> Prompt:
    """Everyone, each role, the seminar groups, the Telegram groups: each a toggle marked on
    or off; then Lanjut and Batal."""

    def mark(on: bool, label: str) -> str:
        return ("✅ " if on else "▫️ ") + label

    everyone = set(draft.roles) == set(AUDIENCE_ROLES)
    choices = [
        _button(mark(everyone, ctx.t("broadcast.button.everyone")), BroadcastAction.EVERYONE)
    ]
    layout = [1]
    choices += [
        _button(mark(r in draft.roles, ctx.t(r.message_key)), BroadcastAction.ROLE, r.value)
        for r in AUDIENCE_ROLES
    ]
    layout += _rows_of(len(AUDIENCE_ROLES), 3)
    if draft.seminar_groups:
        picked = draft.seminar_group
        seminar = [
            _button(
                mark(picked is None, ctx.t("broadcast.button.all_seminar_groups")),
                BroadcastAction.ALL_SEMINAR_GROUPS,
            ),
            *(
                _button(
                    mark(picked == name, ctx.t("broadcast.button.seminar_group", name=name)),
                    BroadcastAction.SEMINAR_GROUP,
                    str(index),
                )
                for index, name in enumerate(draft.seminar_groups)
            ),
        ]
        choices += seminar
        layout += _rows_of(len(seminar), 3)
    if draft.group_count:
        label = ctx.t("broadcast.button.groups", count=draft.group_count)
        choices.append(_button(mark(draft.groups, label), BroadcastAction.GROUPS))
        layout.append(1)
    choices += [
        _button(ctx.t("broadcast.button.next"), BroadcastAction.NEXT),
        _button(ctx.t("broadcast.button.cancel"), BroadcastAction.CANCEL),
    ]
    layout.append(2)
    text = ctx.t("broadcast.ask_audience", cohort=draft.cohort)
    return Prompt(text, PromptKind.LIST, tuple(choices), layout=tuple(layout))


def _toggle(draft: BroadcastDraft, choice: BroadcastChoice) -> bool:
    """Apply one audience button to the draft; False for a value no button of ours carries."""
    action, argument = choice.action, choice.argument
    if action is BroadcastAction.EVERYONE and not argument:
        draft.roles = list(AUDIENCE_ROLES)
    elif action is BroadcastAction.ROLE and argument in {r.value for r in AUDIENCE_ROLES}:
        chosen = set(draft.roles) ^ {Role(argument)}
        draft.roles = [r for r in AUDIENCE_ROLES if r in chosen]
    elif action is BroadcastAction.ALL_SEMINAR_GROUPS and not argument:
        draft.seminar_group = None
    elif (
        action is BroadcastAction.SEMINAR_GROUP
        and argument.isdigit()
        and int(argument) < len(draft.seminar_groups)
    ):
        draft.seminar_group = draft.seminar_groups[int(argument)]
    elif action is BroadcastAction.GROUPS and not argument and draft.group_count:
        draft.groups = not draft.groups
    else:
        return False
    return True


async def _audience_pressed(ctx: FormContext, choice: BroadcastChoice) -> None:
    """A toggle (the same prompt shows the new choice), Lanjut or Batal."""
    draft = _draft(ctx)
    if choice.action is BroadcastAction.NEXT:
        return await _audience_done(ctx, draft)
    if choice.action is BroadcastAction.CANCEL:
        return await _cancelled(ctx, _audience_question(ctx, draft))
    if not _toggle(draft, choice):
        return await _stale(ctx)
    # The same step, the same buttons: only the marks change.
    _keep(ctx, draft)
    await ctx.show(_audience_question(ctx, draft))


async def _plan(ctx: FormContext, draft: BroadcastDraft) -> AudiencePlan:
    assert draft.cohort_id is not None
    return await broadcasts.resolve_audience(
        ctx.session, draft.cohort_id, draft.audience, exclude_person_id=ctx.person_id
    )


async def _audience_done(ctx: FormContext, draft: BroadcastDraft) -> None:
    """ "Lanjut": the preview, exactly as recipients will get it, and who they are."""
    if not draft.roles:
        return await ctx.screen.alert(ctx.t("broadcast.no_roles"))
    plan = await _plan(ctx, draft)
    # Those who have not joined count: the announcement waits for them (as from the CLI).
    if plan.reachable == 0 and not plan.not_joined:
        return await ctx.screen.alert(ctx.t("broadcast.nobody", not_joined=len(plan.not_joined)))
    await ctx.settle(_audience_question(ctx, draft))
    _goto(ctx, Step.CONFIRM, draft)
    await _say(ctx, "broadcast.preview.title")
    assert draft.text is not None
    key, params = broadcasts.compose(draft.cohort, await _author(ctx), draft.text)
    shown = ctx.t(key, **params)
    if draft.attachment is not None:
        await BROADCAST_FORM.desk.show_file(ctx.screen, draft.attachment, shown)
    else:
        await ctx.show(Prompt(shown), in_place=False)
    await ctx.show(_confirm_question(ctx, draft, plan), in_place=False)


def _confirm_question(ctx: FormContext, draft: BroadcastDraft, plan: AudiencePlan) -> Prompt:
    roles = ", ".join(
        f"{ctx.t(role.message_key)} {count}" for role, count in broadcasts.role_counts(plan)
    )
    lines = [ctx.t("broadcast.preview.recipients", count=len(plan.recipients), roles=roles)]
    if draft.seminar_group:
        lines.append(ctx.t("broadcast.preview.seminar_group", name=draft.seminar_group))
    if plan.groups:
        lines.append(ctx.t("broadcast.preview.groups", count=len(plan.groups)))
    lines.append(ctx.t("broadcast.preview.not_joined", count=len(plan.not_joined)))
    lines += ["", ctx.t("broadcast.preview.confirm")]
    choices = (
        _button(ctx.t("broadcast.button.send"), BroadcastAction.SEND),
        _button(ctx.t("broadcast.button.change"), BroadcastAction.CHANGE),
        _button(ctx.t("broadcast.button.cancel"), BroadcastAction.CANCEL),
    )
    return Prompt("\n".join(lines), PromptKind.CONFIRM, choices, layout=(1, 2))


# --- confirm, send, status --------------------------------------------------------------------


async def _confirmed(ctx: FormContext, choice: BroadcastChoice) -> None:
    """Kirim: create and queue it, then one status message; Ubah: back to the audience."""
    if choice.argument or choice.action not in (
        BroadcastAction.SEND,
        BroadcastAction.CHANGE,
        BroadcastAction.CANCEL,
    ):
        return await _stale(ctx)
    draft = _draft(ctx)
    # The preview's footer stays as it read, without its buttons.
    question = _confirm_question(ctx, draft, await _plan(ctx, draft))
    if choice.action is BroadcastAction.CANCEL:
        return await _cancelled(ctx, question)
    await ctx.settle(question)
    if choice.action is BroadcastAction.CHANGE:
        return await _ask_audience(ctx, draft)
    ctx.close()
    assert draft.cohort_id is not None and draft.text is not None
    try:
        queued = await broadcasts.create_broadcast(
            ctx.session,
            cohort_id=draft.cohort_id,
            author_id=ctx.person_id,
            text=draft.text,
            audience=draft.audience,
            attachment=draft.attachment.to_json() if draft.attachment else None,
            now=ctx.now,
        )
    except UserFacingError as exc:
        return await _say(ctx, exc.key, **exc.params)
    ctx.on_commit(ctx.wake)
    await _say(ctx, "broadcast.queued", id=queued.broadcast_id)
    counted = await broadcasts.summary(ctx.session, queued.broadcast_id)
    shown = await ctx.show(Prompt(status_text(translator(ctx.language), counted)), in_place=False)
    if shown is not None and ctx.account_id is not None:
        await broadcasts.set_status_message(
            ctx.session,
            queued.broadcast_id,
            account_id=ctx.account_id,
            message_ref=shown.message_ref,
        )
    desk, screen, broadcast_id = BROADCAST_FORM.desk, ctx.screen, queued.broadcast_id
    ctx.on_commit(lambda: desk.watch(screen, broadcast_id))


def status_text(t: Translator, summary: Summary) -> str:
    """The organizer's status: counts while it runs; at the end, also who was not reached."""
    counts = summary.progress

    def say(key: str, **params: object) -> str:
        return t(key, **markup.escape_params(params))

    common = {
        "id": summary.broadcast_id,
        "cohort": summary.cohort_name,
        "sent": counts.sent,
        "failed": counts.failed,
        "not_joined": counts.not_joined,
    }
    if not counts.done:
        return say("broadcast.status.running", pending=counts.pending, **common)
    head = say("broadcast.status.done", **common)
    lines = [say("broadcast.status.line.not_joined", name=name) for name in summary.not_joined]
    lines += [
        say("broadcast.status.line.failed", name=u.name, reason=_reason(t, u.reason))
        for u in summary.failed
    ]
    lines += [
        say("broadcast.status.line.group", name=u.name, reason=_reason(t, u.reason))
        for u in summary.failed_groups
    ]
    if not lines:
        return f"{head}\n\n{t('broadcast.status.all_reached')}"
    body = [head, "", t("broadcast.status.unreached")]
    used = broadcasts.visible_length("\n".join(body))
    for index, line in enumerate(lines):
        size = broadcasts.visible_length(line) + 1
        if used + size > _STATUS_BUDGET:
            body.append(say("broadcast.status.more", count=len(lines) - index))
            break
        body.append(line)
        used += size
    return "\n".join(body)


def _reason(t: Translator, reason: DeliveryFailure | None) -> str:
    """Why a message did not arrive, in the organizer's words; the channel's own text stays in
    the log and the export, never in the chat."""
    if reason is None:
        return t("broadcast.reason.unknown")
    return t(reason.message_key)


# --- leaving ----------------------------------------------------------------------------------


async def _cancelled(ctx: FormContext, question: Prompt) -> None:
    """ "Batal" under the audience or the preview: the question stays without its buttons."""
    await ctx.settle(question)
    ctx.close()
    await _say(ctx, "broadcast.cancelled")


async def _stale(ctx: FormContext) -> None:
    await ctx.screen.alert(ctx.t("button.stale"))


async def _extra_file(ctx: FormContext, media: MediaInput) -> None:
    """More files after the first (an album), or a file at the preview: only the first goes
    along; an album is told so once."""
    draft = _draft(ctx)
    if media.album is not None and draft.album_warned == media.album:
        return
    draft.album_warned = media.album
    _keep(ctx, draft)
    await _say(ctx, "broadcast.one_file_only")


# --- the form ---------------------------------------------------------------------------------


class _NoDesk:
    """Until the composition root sets the channel's desk (bot/app.py)."""

    async def show_file(self, screen: Screen, attachment: Attachment, caption: str) -> None:
        raise RuntimeError("no desk set for /umumkan")

    def watch(self, screen: Screen, broadcast_id: int) -> None:
        raise RuntimeError("no desk set for /umumkan")


class BroadcastForm(Form):
    """The step machine behind /umumkan."""

    name = NAME
    roles = frozenset({Role.ADMIN})
    # What /batal says here, as the Batal button does: nothing was sent.
    cancelled = "broadcast.cancelled"

    # Which inputs each step takes: words where a button or file is awaited, and files where
    # words or buttons are, are answered with a hint; a file at the cohort goes elsewhere.
    _TAKES: ClassVar[dict[str, tuple[type, ...]]] = {
        Step.COHORT: (ChoiceInput, TextInput),
        Step.TEXT: (TextInput, MediaInput),
        Step.FILE: (ChoiceInput, TextInput, MediaInput),
        Step.AUDIENCE: (ChoiceInput, TextInput, MediaInput),
        Step.CONFIRM: (ChoiceInput, TextInput, MediaInput),
    }

    def __init__(self) -> None:
        self.desk: Desk = _NoDesk()

    def takes(self, step: str, answer: Input) -> bool:
        return isinstance(answer, self._TAKES.get(step, ()))

    async def handle(self, ctx: FormContext, answer: Input) -> None:
        assert ctx.state is not None
        step = ctx.state.step
        if isinstance(answer, ChoiceInput):
            await self._pressed(ctx, step, answer.value)
        elif isinstance(answer, TextInput):
            if step == Step.TEXT:
                await _text_typed(ctx, answer.text)
            elif step == Step.FILE:
                await _say(ctx, "broadcast.file_expected")
            else:
                await _say(ctx, "broadcast.use_buttons")
        elif step == Step.TEXT:
            await _say(ctx, "broadcast.text_expected")
        elif step == Step.FILE:
            await _file_sent(ctx, answer)
        else:
            await _extra_file(ctx, answer)

    async def _pressed(self, ctx: FormContext, step: str, value: str) -> None:
        choice = BroadcastChoice.decode(value)
        if choice is None:
            return await _stale(ctx)
        if step == Step.COHORT and choice.action is BroadcastAction.COHORT:
            return await _cohort_chosen(ctx, choice)
        if step == Step.FILE and choice == BroadcastChoice(BroadcastAction.SKIP_FILE):
            return await _file_skipped(ctx, _draft(ctx))
        if step == Step.AUDIENCE:
            return await _audience_pressed(ctx, choice)
        if step == Step.CONFIRM:
            return await _confirmed(ctx, choice)
        return await _stale(ctx)


BROADCAST_FORM = BroadcastForm()
