"""Seminar materials and attendance as forms. /bahan (or "Kirim bahan" under the request): a
presenter chooses laporan or bahan tayang and sends the file, which is kept as the next version
and sent on to the mentor, coach and examiner. "Hadir" / "Berhalangan" under a seminar notice:
the answer is recorded at once; "Berhalangan" then asks for the reason.

Channel-neutral: it asks through FormContext.show and takes domain.forms inputs; its buttons
outside the forms are the actions of domain/actions.py, checked again here on every press."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from domain import actions
from domain.enums import Channel
from domain.evidence import EvidenceFile, EvidenceRejected
from domain.forms import Choice, ChoiceInput, Input, MediaInput, Prompt, PromptKind, TextInput
from domain.i18n import format_datetime
from domain.materials import AttendanceAnswer, MaterialKind, absence_reason, check_material
from domain.roles import Role
from domain.text import InvalidText
from models import Person
from services import forms
from services import seminar_materials as materials
from services.errors import UserFacingError
from services.forms import Form, FormContext
from services.seminars import SeminarView

MATERIALS = "materials"
ATTENDANCE = "attendance"
# Coming seminars offered under /bahan, at most.
SEMINAR_BUTTONS = 20


class Step(StrEnum):
    KIND = "kind"  # laporan or bahan tayang
    FILE = "file"  # the file itself
    REASON = "reason"  # why "Berhalangan"


@dataclass
class MaterialsDraft:
    """The seminar the presenter sends for, and (once chosen) which material."""

    seminar_id: int
    kind: MaterialKind | None = None

    def to_json(self) -> dict[str, Any]:
        return {"seminar_id": self.seminar_id, "kind": self.kind.value if self.kind else None}

    @classmethod
    def of(cls, data: dict[str, Any]) -> MaterialsDraft:
        kind = data.get("kind")
        return cls(seminar_id=int(data["seminar_id"]), kind=MaterialKind(kind) if kind else None)


@dataclass
class AbsenceDraft:
    """The seminar whose "Berhalangan" waits for its reason."""

    seminar_id: int

    def to_json(self) -> dict[str, Any]:
        return {"seminar_id": self.seminar_id}

    @classmethod
    def of(cls, data: dict[str, Any]) -> AbsenceDraft:
        return cls(seminar_id=int(data["seminar_id"]))


async def _zone(ctx: FormContext) -> ZoneInfo:
    person = await ctx.session.get(Person, ctx.person_id)
    assert person is not None
    return ZoneInfo(person.timezone)


async def _when(ctx: FormContext, moment: datetime) -> str:
    return format_datetime(moment, await _zone(ctx), ctx.language)


def _kind(ctx: FormContext, seminar: SeminarView, *, inline: bool = False) -> str:
    """The kind as a label ("Seminar rancangan"), or `inline` in a sentence ("seminar ...")."""
    form = "inline." if inline else ""
    return ctx.t.nested(f"seminar.kind.{form}{seminar.kind.value}")


async def _say(ctx: FormContext, key: str, **params: object) -> None:
    """A catalog text below the last message."""
    await ctx.show(Prompt(ctx.t(key, **params)), in_place=False)


def _close_if(ctx: FormContext, name: str) -> None:
    """Close the open form if it is `name`: an answer outside it ends it, no other form."""
    if ctx.state is not None and ctx.state.form == name:
        ctx.close()


# --- /bahan and "Kirim bahan" ---------------------------------------------------------------------


async def begin(ctx: FormContext) -> None:
    """/bahan: the presenter's coming seminars; with one, straight to laporan or bahan tayang."""
    _close_if(ctx, MATERIALS)
    coming = await materials.presenting(ctx.session, ctx.person_id, ctx.now)
    if not coming:
        await _say(ctx, "materials.none")
        return
    if len(coming) == 1:
        await _ask_kind(ctx, coming[0])
        return
    zone = await _zone(ctx)
    choices = tuple(
        Choice(
            ctx.t(
                "materials.button.seminar",
                kind=_kind(ctx, s),
                at=format_datetime(s.starts_at, zone, ctx.language),
            ),
            action=actions.send_materials(s.id),
        )
        for s in coming[:SEMINAR_BUTTONS]
    )
    await ctx.show(
        Prompt(ctx.t("materials.ask.seminar"), PromptKind.MESSAGE, choices), in_place=False
    )


async def send_for(ctx: FormContext, seminar_id: int) -> None:
    """ "Kirim bahan" under the request, or a seminar under /bahan: the presenter's own
    seminar, still ahead; then laporan or bahan tayang."""
    try:
        seminar = await materials.presenter_seminar(ctx.session, seminar_id, ctx.person_id, ctx.now)
    except UserFacingError as exc:
        _close_if(ctx, MATERIALS)
        await ctx.screen.alert(ctx.t(exc.key, **exc.params))
        return
    await _ask_kind(ctx, seminar)


async def _kind_prompt(ctx: FormContext, seminar: SeminarView) -> Prompt:
    text = ctx.t(
        "materials.ask.kind",
        kind=_kind(ctx, seminar, inline=True),
        cohort=seminar.cohort_name,
        at=await _when(ctx, seminar.starts_at),
    )
    choices = tuple(Choice(ctx.t(kind.message_key), kind.value) for kind in MaterialKind)
    return Prompt(text, PromptKind.CHOICE, choices, columns=len(choices))


async def _ask_kind(ctx: FormContext, seminar: SeminarView) -> None:
    ctx.open(MATERIALS, Step.KIND, MaterialsDraft(seminar.id).to_json())
    await ctx.show(await _kind_prompt(ctx, seminar), in_place=False)


async def _kind_chosen(ctx: FormContext, value: str) -> None:
    """Laporan or bahan tayang: the question stays without its buttons, then the file."""
    assert ctx.state is not None
    draft = MaterialsDraft.of(ctx.state.draft)
    kind = next((k for k in MaterialKind if k.value == value), None)
    if kind is None:
        await ctx.screen.alert(ctx.t("button.stale"))
        return
    try:
        seminar = await materials.presenter_seminar(
            ctx.session, draft.seminar_id, ctx.person_id, ctx.now
        )
    except UserFacingError as exc:
        ctx.close()
        await ctx.screen.alert(ctx.t(exc.key, **exc.params))
        return
    draft.kind = kind
    ctx.state.draft = draft.to_json()
    ctx.state.goto(Step.FILE)
    await ctx.settle(await _kind_prompt(ctx, seminar))
    limit = ctx.max_evidence_bytes // (1024 * 1024)
    await ctx.show(
        Prompt(
            ctx.t("materials.ask.file", material=ctx.t.nested(kind.message_key), limit_mb=limit),
            PromptKind.MEDIA,
        ),
        in_place=False,
    )


def _file_of(media: MediaInput, size: int | None = None) -> EvidenceFile:
    document = media.kind == "document"
    return EvidenceFile(
        kind="document" if document else "photo",
        file_name=media.file_name if document else None,
        mime_type=media.mime_type if document else None,
        size=size if size is not None else (media.size if document else None),
    )


async def _file_sent(ctx: FormContext, media: MediaInput) -> None:
    """Checked before anything is fetched; then fetched and kept after the update's
    transaction: a file of up to 20 MB from a slow channel must not hold a connection."""
    try:
        check_material(_file_of(media), max_bytes=ctx.max_evidence_bytes)
    except EvidenceRejected as exc:
        await _say(ctx, exc.code, **exc.params_for(ctx.language))
        return
    assert ctx.state is not None
    token = ctx.state.token

    async def take() -> None:
        await _keep_file(ctx, media, token)

    ctx.after_commit(take)


async def _keep_file(ctx: FormContext, media: MediaInput, token: str) -> None:
    """The fetched bytes into the store and the next version, in a transaction of its own;
    then the receipt. A failed fetch leaves the question open: the file may be sent again."""
    data = await ctx.screen.fetch(media)
    if data is None:
        await _say(ctx, "materials.error.download")
        return
    try:
        # The channel may not have said how big the document is: the real size counts.
        check_material(_file_of(media, len(data)), max_bytes=ctx.max_evidence_bytes)
    except EvidenceRejected as exc:
        await _say(ctx, exc.code, **exc.params_for(ctx.language))
        return
    blob = await ctx.evidence_store.put(data)
    async with ctx.sessions() as session, session.begin():
        state = await forms.load(session, ctx.person_id, ctx.now)
        if state is None or state.token != token:
            return  # the form moved on or closed meanwhile: the file is not part of it
        draft = MaterialsDraft.of(state.draft)
        assert draft.kind is not None
        failed: UserFacingError | None
        state.closed = True
        await forms.save(session, ctx.person_id, state, ctx.now)
        try:
            recorded = await materials.record_material(
                session,
                seminar_id=draft.seminar_id,
                presenter_id=ctx.person_id,
                kind=draft.kind,
                blob=blob,
                file_name=media.file_name,
                mime_type=media.mime_type,
                channel=Channel(media.channel) if media.channel else None,
                ref=media.ref,
                unique_ref=media.unique_ref,
                now=ctx.now,
            )
        except UserFacingError as exc:
            # The seminar was cancelled or moved past meanwhile: the form ends all the same.
            failed = exc
        else:
            failed = None
    ctx.state = state
    if failed is not None:
        await _say(ctx, failed.key, **failed.params)
        return
    ctx.wake()  # the files for the advisors are queued: the sender goes now
    await ctx.show(Prompt(_receipt(ctx, draft.kind, recorded, media)), in_place=False)


def _receipt(
    ctx: FormContext, kind: MaterialKind, recorded: materials.Recorded, media: MediaInput
) -> str:
    lines = [
        ctx.t(
            "materials.received",
            material=ctx.t.nested(kind.message_key),
            version=recorded.version,
            file_name=media.file_name or "-",
            kind=_kind(ctx, recorded.seminar, inline=True),
        )
    ]
    if recorded.recipients:
        lines.append(ctx.t("materials.sent_to"))
        lines += [
            ctx.t(
                "materials.recipient" if r.joined else "materials.recipient_waiting",
                name=r.name,
                role=ctx.t.nested(r.role.message_key),
            )
            for r in recorded.recipients
        ]
    else:
        lines.append(ctx.t("materials.no_recipients"))
    return "\n".join(lines)


class MaterialsForm(Form):
    """The steps behind /bahan and "Kirim bahan": the kind, then the file."""

    name = MATERIALS
    roles = frozenset({Role.PARTICIPANT})

    _TAKES: ClassVar[dict[str, tuple[type, ...]]] = {
        # Words where a button is awaited are told to use the buttons.
        Step.KIND: (ChoiceInput, TextInput),
        Step.FILE: (MediaInput, TextInput),
    }

    def takes(self, step: str, answer: Input) -> bool:
        return isinstance(answer, self._TAKES.get(step, ()))

    async def handle(self, ctx: FormContext, answer: Input) -> None:
        assert ctx.state is not None
        step = Step(ctx.state.step)
        if isinstance(answer, ChoiceInput):
            await _kind_chosen(ctx, answer.value)
        elif isinstance(answer, MediaInput):
            await _file_sent(ctx, answer)
        elif step is Step.KIND:
            await _say(ctx, "seminar.use_buttons")
        else:
            await _say(ctx, "materials.send_file")


# --- "Hadir" / "Berhalangan" and the reason ---------------------------------------------------


async def answer(ctx: FormContext, press: actions.AttendancePress) -> str | None:
    """An answer under a seminar notice, for the person pressing it and only if the seminar
    concerns them as mentor, coach or examiner; "Berhalangan" then asks why. Returns the
    short note the press is answered with, if any."""
    _close_if(ctx, ATTENDANCE)  # an earlier "Berhalangan" no longer waits for its reason
    try:
        seminar = await materials.answer_attendance(
            ctx.session, press.seminar_id, ctx.person_id, press.answer, ctx.now
        )
    except UserFacingError as exc:
        await ctx.screen.alert(ctx.t(exc.key, **exc.params))
        return None
    kind = _kind(ctx, seminar, inline=True)
    if press.answer is AttendanceAnswer.PRESENT:
        at = await _when(ctx, seminar.starts_at)
        await _say(ctx, "attendance.confirm.present", kind=kind, at=at)
        return ctx.t("attendance.saved.present", kind=kind)
    ctx.open(ATTENDANCE, Step.REASON, AbsenceDraft(seminar.id).to_json())
    await _say(ctx, "attendance.ask.reason", kind=kind)
    return None


async def _reason_typed(ctx: FormContext, raw: str) -> None:
    """The reason for "Berhalangan", at most a few sentences."""
    assert ctx.state is not None
    draft = AbsenceDraft.of(ctx.state.draft)
    try:
        reason = absence_reason(raw)
    except InvalidText as exc:
        await _say(ctx, exc.code, **exc.params)
        return
    ctx.close()
    try:
        seminar = await materials.give_reason(
            ctx.session, draft.seminar_id, ctx.person_id, reason, ctx.now
        )
    except UserFacingError as exc:
        await _say(ctx, exc.key, **exc.params)
        return
    await _say(
        ctx,
        "attendance.confirm.absent",
        kind=_kind(ctx, seminar, inline=True),
        at=await _when(ctx, seminar.starts_at),
        reason=reason,
    )


class AttendanceForm(Form):
    """The reason after "Berhalangan"; /batal keeps the answer without one."""

    name = ATTENDANCE
    # Mentors, coaches and examiners; the services check the seminar concerns the person.
    roles = frozenset(Role)
    # What /batal says here: the answer stays, only the reason is skipped.
    cancelled = "attendance.reason_skipped"

    def takes(self, step: str, answer: Input) -> bool:
        return step == Step.REASON and isinstance(answer, TextInput | MediaInput)

    async def handle(self, ctx: FormContext, answer: Input) -> None:
        if isinstance(answer, TextInput):
            await _reason_typed(ctx, answer.text)
        else:
            await _say(ctx, "attendance.ask.reason_text")


MATERIALS_FORM = MaterialsForm()
ATTENDANCE_FORM = AttendanceForm()
