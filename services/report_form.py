"""/lapor as a form: milestone, text, kendala, rencana berikutnya, evidence, percent, then the
read-back with Kirim / Ubah / Batal; also opened from a reminder's "Lapor sekarang", from a
stray message offered as a report, and as the correction of a report within 24 hours.

Channel-neutral: it asks through FormContext.show and takes domain.forms inputs."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from domain import actions
from domain.enums import EvidenceKind, MilestoneStatus
from domain.evidence import EvidenceFile, EvidenceRejected, check_evidence
from domain.forms import (
    Choice,
    ChoiceInput,
    Input,
    MediaInput,
    Prompt,
    PromptKind,
    TextInput,
)
from domain.progress import PERCENT_STEPS, InvalidPercent, parse_percent, progress_bar
from domain.report_body import report_body
from domain.roles import Role
from domain.text import (
    MAX_REPORT_TEXT,
    InvalidText,
    clean_user_text,
)
from services import forms, projects, relays, reports
from services.errors import UserFacingError
from services.forms import Form, FormContext
from services.projects import NotYours
from services.relays import excerpt
from services.reports import EvidenceItem

NAME = "report"


class Step:
    MILESTONE = "milestone"
    TEXT = "text"
    OBSTACLES = "obstacles"
    NEXT_STEPS = "next_steps"
    EVIDENCE = "evidence"
    PERCENT = "percent"
    CONFIRM = "confirm"
    CHANGE = "change"


# The optional parts after the text: the question and, in a correction, their name.
OPTIONAL = {Step.OBSTACLES: "report.ask_obstacles", Step.NEXT_STEPS: "report.ask_next_steps"}
# What "Ubah" offers to change, with the part's name.
PARTS = ("milestone", "text", "obstacles", "next_steps", "evidence", "percent")


@dataclass
class ReportDraft:
    """The answers so far. `editing`: one part is being changed, then the read-back again;
    `correcting`: the id of a sent report whose words are being corrected."""

    milestone_id: int | None = None
    milestone_title: str | None = None
    text: str | None = None
    obstacles: str | None = None
    next_steps: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    album: str | None = None
    percent: int | None = None
    editing: bool = False
    correcting: int | None = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> ReportDraft:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def items(self) -> list[EvidenceItem]:
        return [EvidenceItem.from_json(e) for e in self.evidence]


def _draft(ctx: FormContext) -> ReportDraft:
    assert ctx.state is not None
    return ReportDraft.of(ctx.state.draft)


def _keep(ctx: FormContext, draft: ReportDraft) -> None:
    assert ctx.state is not None
    ctx.state.draft = asdict(draft)


def evidence_item(media: MediaInput) -> EvidenceItem:
    return EvidenceItem(
        kind=media.kind,
        ref=media.ref,
        unique_ref=media.unique_ref,
        file_name=media.file_name,
        mime_type=media.mime_type,
        size=media.size,
        caption=media.caption,
        media_group_id=media.album,
        channel=media.channel,
    )


def refusal(ctx: FormContext, item: EvidenceItem) -> str | None:
    """The refusal text for an unacceptable file, else None."""
    try:
        check_evidence(
            EvidenceFile(
                kind="photo" if item.kind == EvidenceKind.PHOTO.value else "document",
                file_name=item.file_name,
                mime_type=item.mime_type,
                size=item.size,
            ),
            max_bytes=ctx.max_evidence_bytes,
        )
    except EvidenceRejected as exc:
        return ctx.t(exc.code, **exc.params_for(ctx.language))
    return None


async def kept(ctx: FormContext, media: MediaInput) -> EvidenceItem | str:
    """The file fetched into the evidence store, or the text telling why not (it may be sent
    again). Only after the update's transaction: a download must not hold a connection."""
    item = evidence_item(media)
    data = await ctx.screen.fetch(media)
    if data is None:
        return ctx.t("report.evidence.download_failed")
    # The channel may not have said how big a document is: the real size is checked again.
    refused = refusal(ctx, dataclasses.replace(item, size=len(data)))
    if refused is not None:
        return refused
    blob = await ctx.evidence_store.put(data)
    return dataclasses.replace(item, sha256=blob.sha256, size=blob.size)


async def milestone_choices(ctx: FormContext) -> tuple[Choice, ...]:
    open_ones = await projects.reportable_milestones(ctx.session, ctx.person_id)
    return tuple(Choice(f"{m.title} · {m.progress_percent}%", str(m.id)) for m in open_ones)


def _with_lead(lead: str, text: str) -> str:
    return f"{lead}\n\n{text}" if lead else text


# --- entries ------------------------------------------------------------------------------


async def begin(ctx: FormContext) -> None:
    """/lapor: choose the milestone to report on."""
    choices = await milestone_choices(ctx)
    if not choices:
        await ctx.show(Prompt(ctx.t("report.no_open_milestones")), in_place=False)
        return
    ctx.open(NAME, Step.MILESTONE, asdict(ReportDraft()))
    await ctx.show(
        Prompt(ctx.t("report.choose_milestone"), PromptKind.LIST, choices), in_place=False
    )


async def report_now(ctx: FormContext, milestone_id: int) -> None:
    """ "Lapor sekarang" under a reminder: /lapor at that milestone, or the milestone choice
    (a nudge names none). Only the participant's own milestones still open; pressed during a
    report, it starts anew. The reminder stays as it was: the question is a new message."""
    open_ones = await projects.reportable_milestones(ctx.session, ctx.person_id)
    if not open_ones:
        await ctx.screen.alert(ctx.t("report.no_open_milestones"))
        ctx.close()
        return
    if milestone_id == 0:
        ctx.open(NAME, Step.MILESTONE, asdict(ReportDraft()))
        choices = tuple(Choice(f"{m.title} · {m.progress_percent}%", str(m.id)) for m in open_ones)
        prompt = Prompt(ctx.t("report.choose_milestone"), PromptKind.LIST, choices)
        await ctx.show(prompt, in_place=False)
        return
    milestone = next((m for m in open_ones if m.id == milestone_id), None)
    if milestone is None:
        key = "access.not_yours"
        try:
            found = await projects.own_milestone(ctx.session, ctx.person_id, milestone_id)
        except NotYours:
            pass
        else:
            if found.status is MilestoneStatus.APPROVED:
                key = "report.error.milestone_approved"
        await ctx.screen.alert(ctx.t(key))
        return
    draft = ReportDraft(milestone_id=milestone.id, milestone_title=milestone.title)
    ctx.open(NAME, Step.TEXT, asdict(draft))
    lead = ctx.t("report.milestone_chosen", title=milestone.title)
    question = ctx.t("report.ask_text", limit=MAX_REPORT_TEXT)
    await ctx.show(Prompt(_with_lead(lead, question), PromptKind.FREE_TEXT), in_place=False)


async def from_offer(ctx: FormContext, milestone_id: int, stray: dict[str, Any]) -> bool:
    """A milestone chosen under "Simpan sebagai laporan kemajuan?": the report continues with
    the stray text and files. False (nothing opened) when the milestone is not theirs."""
    try:
        milestone = await projects.own_milestone(ctx.session, ctx.person_id, milestone_id)
    except NotYours:
        await ctx.screen.alert(ctx.t("access.not_yours"))
        return False
    draft = ReportDraft(
        milestone_id=milestone.id,
        milestone_title=milestone.title,
        text=stray.get("text"),
        evidence=list(stray.get("evidence", [])),
        album=stray.get("album"),
    )
    ctx.open(NAME, Step.MILESTONE, asdict(draft))
    lead = ctx.t("report.milestone_chosen", title=milestone.title)
    await _next(ctx, after=Step.MILESTONE, lead=lead)
    return True


# --- the offer to save a stray message -------------------------------------------------------

# Words or files sent outside any form are kept as the draft of a small form of their own, the
# offer, until a milestone is chosen under it (the report form opens with them) or "Tidak
# sekarang". In the database like every form: a worker that takes over finds it.
OFFER = "report_offer"
OFFER_STEP = "choose"


def joins_offer(state: forms.OpenForm | None, media: MediaInput | None) -> bool:
    """Whether this file belongs to the album whose first file made the open offer."""
    return (
        media is not None
        and media.album is not None
        and state is not None
        and not state.closed
        and state.form == OFFER
        and state.draft.get("album") == media.album
    )


async def offer(ctx: FormContext, media: MediaInput | None, text: str | None) -> None:
    """A participant's words or file outside any form: offer to keep it as a report, so
    nothing they send is lost. A file is fetched into the evidence store after the commit,
    then offered; the album's later files join the same offer without a word."""
    same_album = joins_offer(ctx.state, media)
    if media is not None:
        refused = refusal(ctx, evidence_item(media))  # before downloading anything
        if refused is not None:
            return await ctx.screen.alert(refused)
    if not same_album and text is not None:
        try:
            text = clean_user_text(text, limit=MAX_REPORT_TEXT)
        except InvalidText as exc:
            return await ctx.screen.alert(ctx.t(exc.code, **exc.params))
    choices: tuple[Choice, ...] = ()
    if not same_album:
        choices = await milestone_choices(ctx)
        album = media.album if media is not None else None
        ctx.open(OFFER, OFFER_STEP, {"text": text, "evidence": [], "album": album})
    if media is None or not (same_album or choices):
        # Nothing to fetch (words; or a file with no milestone to report it on).
        return await _show_offer(ctx, choices)
    assert ctx.state is not None
    token = ctx.state.token

    async def take() -> None:
        await _keep_offered(ctx, media, token, choices, same_album=same_album)

    ctx.after_commit(take)
    return None


async def _keep_offered(
    ctx: FormContext,
    media: MediaInput,
    token: str,
    choices: tuple[Choice, ...],
    *,
    same_album: bool,
) -> None:
    """Fetch the file and add it to the offer in a transaction of its own, then show the
    offer (once per album). A file that cannot be kept is not offered: the reason is told."""
    got = await kept(ctx, media)
    async with ctx.sessions() as session, session.begin():
        state = await forms.load(session, ctx.person_id, ctx.now)
        if state is not None and state.token == token:
            if isinstance(got, str):
                state.closed = not same_album  # a new offer of nothing is no offer
            else:
                evidence = [*state.draft.get("evidence", []), got.to_json()]
                state.draft = {**state.draft, "evidence": evidence}
            await forms.save(session, ctx.person_id, state, ctx.now)
        else:
            state = None  # answered or replaced meanwhile: the file is not part of it
    if isinstance(got, str):
        return await ctx.screen.alert(got)
    if same_album or state is None:
        return None
    ctx.state = state
    return await _show_offer(ctx, choices)


async def _show_offer(ctx: FormContext, choices: tuple[Choice, ...]) -> None:
    if not choices:
        await ctx.show(Prompt(ctx.t("report.no_open_milestones")), in_place=False)
        return
    rows = (*choices, Choice(ctx.t("report.button.not_now"), "no"))
    await ctx.show(Prompt(ctx.t("report.offer_save"), PromptKind.LIST, rows), in_place=False)


class OfferForm(Form):
    """The offer's one step: a milestone (the report form opens with the kept draft) or
    "Tidak sekarang". It takes only its buttons; commands pass it by (`passive`)."""

    name = OFFER
    roles = frozenset({Role.PARTICIPANT})
    passive = True

    def takes(self, step: str, answer: Input) -> bool:
        return step == OFFER_STEP and isinstance(answer, ChoiceInput)

    async def handle(self, ctx: FormContext, answer: Input) -> None:
        assert ctx.state is not None and isinstance(answer, ChoiceInput)
        if answer.value == "no":
            ctx.close()
            await ctx.show(Prompt(ctx.t("report.offer_declined")))
            return
        if not answer.value.isdigit():
            return await _stale(ctx)
        await from_offer(ctx, int(answer.value), ctx.state.draft)
        return None


OFFER_FORM = OfferForm()


async def correct(ctx: FormContext, update_id: int) -> None:
    """ "Koreksi laporan" under a receipt: new words for the text and the two optional parts,
    within 24 hours of sending; the advisors then get the corrected version, marked so."""
    try:
        report = await reports.correctable_report(ctx.session, ctx.person_id, update_id, ctx.now)
    except UserFacingError as exc:
        await ctx.screen.alert(ctx.t(exc.key, **exc.params))
        return
    draft = ReportDraft(
        correcting=report.update_id,
        milestone_title=report.milestone_title,
        obstacles=report.obstacles,
        next_steps=report.next_steps,
    )
    ctx.open(NAME, Step.TEXT, asdict(draft))
    text = ctx.t(
        "correction.ask_text",
        milestone=report.milestone_title,
        text=excerpt(report.text),
        limit=MAX_REPORT_TEXT,
    )
    await ctx.show(Prompt(text, PromptKind.FREE_TEXT), in_place=False)


# --- the steps ----------------------------------------------------------------------------


class ReportForm(Form):
    """The step machine behind /lapor."""

    name = NAME
    roles = frozenset({Role.PARTICIPANT})

    _TAKES: ClassVar[dict[str, tuple[type, ...]]] = {
        Step.MILESTONE: (ChoiceInput,),
        Step.TEXT: (TextInput, MediaInput),
        Step.OBSTACLES: (TextInput, ChoiceInput, MediaInput),
        Step.NEXT_STEPS: (TextInput, ChoiceInput, MediaInput),
        Step.EVIDENCE: (MediaInput, ChoiceInput, TextInput),
        Step.PERCENT: (ChoiceInput, TextInput),
        Step.CONFIRM: (ChoiceInput,),
        Step.CHANGE: (ChoiceInput,),
    }

    def takes(self, step: str, answer: Input) -> bool:
        return isinstance(answer, self._TAKES.get(step, ()))

    async def handle(self, ctx: FormContext, answer: Input) -> None:
        assert ctx.state is not None
        step = ctx.state.step
        if isinstance(answer, ChoiceInput):
            await _pressed(ctx, step, answer.value)
        elif isinstance(answer, TextInput):
            await _typed(ctx, step, answer.text)
        else:
            await _file(ctx, step, answer)


REPORT_FORM = ReportForm()


async def _stale(ctx: FormContext) -> None:
    await ctx.screen.alert(ctx.t("button.stale"))


async def _pressed(ctx: FormContext, step: str, value: str) -> None:
    draft = _draft(ctx)
    if step == Step.MILESTONE:
        if not value.isdigit():
            return await _stale(ctx)
        try:
            milestone = await projects.own_milestone(ctx.session, ctx.person_id, int(value))
        except NotYours:
            return await ctx.screen.alert(ctx.t("access.not_yours"))
        draft.milestone_id, draft.milestone_title = milestone.id, milestone.title
        _keep(ctx, draft)
        lead = ctx.t("report.milestone_chosen", title=milestone.title)
        return await _next(ctx, after=Step.MILESTONE, lead=lead)
    if step in OPTIONAL:
        if value not in ("skip", "keep"):
            return await _stale(ctx)
        if value == "skip":
            setattr(draft, step, None)
            _keep(ctx, draft)
        return await _next(ctx, after=step)
    if step == Step.EVIDENCE:
        if value not in ("skip", "done"):
            return await _stale(ctx)
        return await _next(ctx, after=Step.EVIDENCE)
    if step == Step.PERCENT:
        return await _take_percent(ctx, value)
    if step == Step.CONFIRM:
        if value == "cancel":
            ctx.close()
            await ctx.show(Prompt(ctx.t("report.cancelled")))
            return None
        if value == "edit":
            assert ctx.state is not None
            ctx.state.goto(Step.CHANGE)
            choices = tuple(Choice(ctx.t(f"report.part.{part}"), part) for part in PARTS)
            await ctx.show(Prompt(ctx.t("report.change_what"), PromptKind.LIST, choices, 2))
            return None
        if value == "send":
            return await _submit(ctx)
        return await _stale(ctx)
    if step == Step.CHANGE:
        if value not in PARTS:
            return await _stale(ctx)
        return await _change(ctx, value)
    return await _stale(ctx)


async def _typed(ctx: FormContext, step: str, raw: str) -> None:
    if step == Step.EVIDENCE:
        return await ctx.screen.alert(ctx.t("report.evidence_expected"))
    if step == Step.PERCENT:
        return await _take_percent(ctx, raw)
    try:
        text = clean_user_text(raw, limit=MAX_REPORT_TEXT)
    except InvalidText as exc:
        return await ctx.screen.alert(ctx.t(exc.code, **exc.params))
    draft = _draft(ctx)
    setattr(draft, step, text)  # "text", "obstacles" or "next_steps"
    _keep(ctx, draft)
    return await _next(ctx, after=step)


async def _file(ctx: FormContext, step: str, media: MediaInput) -> None:
    draft = _draft(ctx)
    if step == Step.TEXT:
        return await ctx.screen.alert(ctx.t("report.text_expected"))
    if step in OPTIONAL:
        # The participant has moved on to the evidence: the optional parts not yet given are
        # skipped and the file is the first piece. A correction is words only.
        if draft.correcting is not None:
            return await ctx.screen.alert(ctx.t("report.optional_expected"))
        assert ctx.state is not None
        ctx.state.goto(Step.EVIDENCE)
    item = evidence_item(media)
    refused = refusal(ctx, item)  # before downloading anything
    if refused is not None:
        return await ctx.screen.alert(refused)
    assert ctx.state is not None
    token = ctx.state.token

    async def take() -> None:
        await _take_evidence(ctx, media, token)

    ctx.after_commit(take)
    return None


async def _take_evidence(ctx: FormContext, media: MediaInput, token: str) -> None:
    """Fetch and keep the file, then add it to the draft in a transaction of its own; a failed
    one leaves no trace and the evidence question comes again under the reason. The files of
    one album are acknowledged once."""
    got = await kept(ctx, media)
    async with ctx.sessions() as session, session.begin():
        state = await forms.load(session, ctx.person_id, ctx.now)
        if state is None or state.token != token:
            return  # the form moved on or closed meanwhile: the file is not part of it
        draft = ReportDraft.of(state.draft)
        acknowledged = False
        if isinstance(got, str):
            # The reason comes after the album's acknowledgement: the album's next file is
            # acknowledged again, so the last count the participant reads is the true one.
            draft.album = None
        else:
            draft.evidence.append(got.to_json())
            acknowledged = media.album is not None and draft.album == media.album
            draft.album = media.album
        state.draft = asdict(draft)
        await forms.save(session, ctx.person_id, state, ctx.now)
    if acknowledged:
        return
    ctx.state = state
    await ctx.show(_evidence_prompt(ctx, draft, lead=got if isinstance(got, str) else ""))


async def _take_percent(ctx: FormContext, raw: str) -> None:
    try:
        percent = parse_percent(raw)
    except InvalidPercent as exc:
        return await ctx.screen.alert(ctx.t(exc.code, **exc.params))
    draft = _draft(ctx)
    draft.percent = percent
    _keep(ctx, draft)
    return await _next(ctx, after=Step.PERCENT)


async def _change(ctx: FormContext, part: str) -> None:
    """Which part of the draft to change; afterwards the read-back comes again."""
    draft = _draft(ctx)
    draft.editing = True
    if part == "milestone":
        _keep(ctx, draft)
        return await _ask(ctx, Step.MILESTONE)
    if part == "evidence":
        draft.evidence, draft.album = [], None
    _keep(ctx, draft)
    return await _ask(ctx, part)


async def _next(ctx: FormContext, *, after: str, lead: str = "") -> None:
    """Ask for the step after `after`, or go back to the read-back when one part was changed.

    `lead` (the chosen milestone) is shown above the next question."""
    draft = _draft(ctx)
    if draft.correcting is not None:
        # A correction: the text, then the two optional parts, then it goes out.
        if after == Step.TEXT:
            return await _ask(ctx, Step.OBSTACLES)
        if after == Step.OBSTACLES:
            return await _ask(ctx, Step.NEXT_STEPS)
        return await _submit_correction(ctx)
    if draft.editing or after == Step.PERCENT:
        draft.editing = False
        _keep(ctx, draft)
        return await _ask(ctx, Step.CONFIRM)
    if after == Step.MILESTONE:
        return await _ask(ctx, Step.OBSTACLES if draft.text else Step.TEXT, lead=lead)
    following = {
        Step.TEXT: Step.OBSTACLES,
        Step.OBSTACLES: Step.NEXT_STEPS,
        Step.NEXT_STEPS: Step.EVIDENCE,
        Step.EVIDENCE: Step.PERCENT,
    }
    return await _ask(ctx, following[after])


async def _ask(ctx: FormContext, step: str, *, lead: str = "") -> None:
    """Go to `step` and show its question."""
    assert ctx.state is not None
    ctx.state.goto(step)
    draft = _draft(ctx)
    t = ctx.t
    if step == Step.MILESTONE:
        choices = await milestone_choices(ctx)
        prompt = Prompt(t("report.choose_milestone"), PromptKind.LIST, choices)
    elif step == Step.TEXT:
        prompt = Prompt(t("report.ask_text", limit=MAX_REPORT_TEXT), PromptKind.FREE_TEXT)
    elif step in OPTIONAL:
        # Typed, or "Lewati". In a correction the part as it was is shown; the button keeps it.
        text = t(OPTIONAL[step], limit=MAX_REPORT_TEXT)
        was = getattr(draft, step) if draft.correcting is not None else None
        if was:
            text += "\n\n" + t("correction.current", text=excerpt(str(was)))
            choice = Choice(t("correction.button.keep"), "keep")
        else:
            choice = Choice(t("report.button.skip"), "skip")
        prompt = Prompt(text, PromptKind.FREE_TEXT, (choice,))
    elif step == Step.EVIDENCE:
        prompt = _evidence_prompt(ctx, draft)
    elif step == Step.PERCENT:
        choices = tuple(Choice(f"{p}%", str(p)) for p in PERCENT_STEPS)
        prompt = Prompt(t("report.ask_percent"), PromptKind.LIST, choices, columns=4)
    else:
        question = t("report.summary_question")
        choices = tuple(
            Choice(t(f"report.button.{label}"), value)
            for label, value in (("send", "send"), ("change", "edit"), ("cancel", "cancel"))
        )
        prompt = Prompt(f"{summary(ctx, draft)}\n\n{question}", PromptKind.CONFIRM, choices, 3)
    await ctx.show(dataclasses.replace(prompt, text=_with_lead(lead, prompt.text)))


def _evidence_prompt(ctx: FormContext, draft: ReportDraft, *, lead: str = "") -> Prompt:
    count = len(draft.evidence)
    choice = Choice(ctx.t("report.button.done"), "done") if count else None
    choice = choice or Choice(ctx.t("report.button.skip"), "skip")
    text = _with_lead(lead, ctx.t("report.ask_evidence", count=count))
    return Prompt(text, PromptKind.MEDIA, (choice,))


def summary(ctx: FormContext, draft: ReportDraft, *, short: bool = False) -> str:
    """The draft read back: milestone, progress, evidence counts and the text (`short`: only
    its beginning)."""
    items = draft.items
    words, obstacles, next_steps = draft.text or "-", draft.obstacles, draft.next_steps
    if short:
        words = excerpt(words)
        obstacles = excerpt(obstacles) if obstacles else None
        next_steps = excerpt(next_steps) if next_steps else None
    body = report_body(words, obstacles, next_steps)
    return ctx.t(
        "report.summary",
        milestone=draft.milestone_title or "-",
        text=ctx.t.nested(body["key"], **body["params"]),
        photos=sum(1 for e in items if e.kind == EvidenceKind.PHOTO.value),
        documents=sum(1 for e in items if e.kind != EvidenceKind.PHOTO.value),
        bar=progress_bar(draft.percent or 0),
    )


async def _submit(ctx: FormContext) -> None:
    """Save and relay the report; the read-back the person confirmed becomes its receipt."""
    draft = _draft(ctx)
    ctx.close()
    assert draft.milestone_id is not None and draft.text is not None
    try:
        report, advisors = await reports.submit_report(
            ctx.session,
            ctx.person_id,
            draft.milestone_id,
            text=draft.text,
            percent=int(draft.percent or 0),
            evidence=draft.items,
            now=ctx.now,
            obstacles=draft.obstacles,
            next_steps=draft.next_steps,
        )
    except UserFacingError as exc:
        await ctx.show(Prompt(ctx.t(exc.key, **exc.params)))
        return
    # The relays go through the delivery queue once this transaction commits; the read-back
    # turns into the receipt, which a relay that never arrives answers.
    reached = await relays.queue_report(
        ctx.session, report, advisors, ctx.now, receipt=ctx.screen.origin
    )
    if reached:
        ctx.on_commit(ctx.wake)
    names = ", ".join(f"{ctx.t(f'role.{a.relation}')} {a.name}" for a in reached)
    key = "report.sent" if reached else "report.sent_nobody"
    receipt = ctx.t(key, names=names, bar=progress_bar(report.percent))
    # With long names and the longest text the read-back may pass the channel's limit: then
    # the channel shows only the text's start.
    read_back = f"{receipt}\n\n{summary(ctx, draft)}"
    shortened = f"{receipt}\n\n{summary(ctx, draft, short=True)}"
    # Within 24 hours the receipt offers to correct what was sent.
    fix = Choice(
        ctx.t("correction.button.correct"), action=actions.correct_report(report.update_id)
    )
    shown = Prompt(read_back, PromptKind.MESSAGE, (fix,), shortened=shortened)

    async def show_receipt() -> None:
        await ctx.screen.show(shown, token=None)

    # After the commit: the relays are queued by then, so whatever becomes of this edit must
    # not roll the report back (and invite a second "Kirim" that relays it again).
    ctx.after_commit(show_receipt)


async def _submit_correction(ctx: FormContext) -> None:
    """Save the corrected words and send them to the advisors, marked as a correction."""
    draft = _draft(ctx)
    ctx.close()
    assert draft.correcting is not None and draft.text is not None
    try:
        report, advisors = await reports.correct_report(
            ctx.session,
            ctx.person_id,
            draft.correcting,
            text=draft.text,
            obstacles=draft.obstacles,
            next_steps=draft.next_steps,
            now=ctx.now,
        )
    except UserFacingError as exc:
        await ctx.show(Prompt(ctx.t(exc.key, **exc.params)))
        return
    # The receipt first, so a relay that never arrives can answer it; the relays go out
    # through the delivery queue once this transaction commits.
    reached = relays.reachable(advisors)
    names = ", ".join(f"{ctx.t(f'role.{a.relation}')} {a.name}" for a in reached)
    key = "correction.sent" if reached else "correction.sent_nobody"
    receipt = await ctx.show(Prompt(ctx.t(key, milestone=report.milestone_title, names=names)))
    await relays.queue_report(
        ctx.session, report, reached, ctx.now, correction=True, receipt=receipt
    )
    if reached:
        ctx.on_commit(ctx.wake)
