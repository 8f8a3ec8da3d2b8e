"""Feedback on a relayed report as a form, and the replies that thread: an advisor's
"Beri umpan balik" or "Minta revisi" asks for one text, which goes to the participant; a reply
to a relayed report or note records a note in that thread (or starts new feedback).

Channel-neutral: it asks through FormContext.show and takes domain.forms inputs; the message a
button sat under, or a reply answered, is named by its channel's own references (Relayed)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from domain import actions
from domain.enums import Channel
from domain.forms import Input, Prompt, PromptKind, TextInput
from domain.roles import Role
from domain.text import MAX_NOTE_TEXT, InvalidText, clean_user_text
from services import relays, reports
from services.errors import UserFacingError
from services.forms import Form, FormContext

NAME = "feedback"


class Step(StrEnum):
    WRITE = "write"


@dataclass(frozen=True)
class Relayed:
    """A message the bot delivered (a relayed report or note), as its channel names it."""

    channel: Channel
    chat_ref: str
    message_ref: str


@dataclass
class FeedbackDraft:
    """The report the note is about; `revision`: the note asks for a revision."""

    update_id: int
    revision: bool = False

    @classmethod
    def of(cls, data: dict[str, Any]) -> FeedbackDraft:
        return cls(update_id=int(data["update_id"]), revision=bool(data.get("revision")))


async def _say(ctx: FormContext, key: str, **params: object) -> None:
    await ctx.show(Prompt(ctx.t(key, **params)), in_place=False)


async def deliver(ctx: FormContext, delivery: reports.NoteDelivery) -> None:
    """Confirm the note to its author, then queue it for its recipient (if they can be
    reached): a note that never arrives answers this confirmation."""
    key = "note.sent" if delivery.recipient.reachable else "note.saved_unreachable"
    relation = ctx.t.nested(f"role.{delivery.recipient.relation}")
    receipt = await ctx.show(
        Prompt(ctx.t(key, name=delivery.recipient.name, relation=relation)), in_place=False
    )
    if await relays.queue_note(ctx.session, delivery, ctx.now, receipt=receipt):
        ctx.on_commit(ctx.wake)


# --- a reply to a relayed message ---------------------------------------------------------------


async def reply(ctx: FormContext, to: Relayed, words: str | None) -> bool:
    """Words sent in reply to a message: a note in that message's thread when it is a relayed
    report or note. False when it is none (an ordinary reply, left to the channel's other
    handlers). The open form, if any, is left as it is: a reply belongs to its thread."""
    relay = await reports.find_relay(ctx.session, to.channel, to.chat_ref, to.message_ref)
    if relay is None:
        return False
    if relay.recipient_id != ctx.person_id:
        await _say(ctx, "access.not_yours")
        return True
    try:
        text = clean_user_text(words, limit=MAX_NOTE_TEXT)
    except InvalidText as exc:
        await _say(ctx, exc.code, **exc.params)
        return True
    try:
        # The participant answering a note replies in its thread, back to the note's author;
        # an advisor replying to a report (or to the participant's answer) gives feedback.
        if relay.note_id is not None and await _is_report_author(ctx, relay.update_id):
            delivery = await reports.reply_to_note(
                ctx.session, ctx.person_id, relay.note_id, text, ctx.now
            )
        else:
            delivery = await reports.give_feedback(
                ctx.session, ctx.person_id, relay.update_id, text, ctx.now, parent_id=relay.note_id
            )
    except UserFacingError as exc:
        await _say(ctx, exc.key, **exc.params)
        return True
    await deliver(ctx, delivery)
    return True


async def _is_report_author(ctx: FormContext, update_id: int) -> bool:
    try:
        await reports.report_for_participant(ctx.session, ctx.person_id, update_id)
    except UserFacingError:
        return False
    return True


# --- "Beri umpan balik" / "Minta revisi" -------------------------------------------------------


async def begin(ctx: FormContext, on: Relayed, press: actions.AdvisorPress) -> None:
    """The button under a relayed report: only for the person it was sent to, on the message
    it came with; then the question for the feedback (or the reason for a revision)."""
    try:
        await reports.check_advisor_button(
            ctx.session, ctx.person_id, on.channel, on.chat_ref, on.message_ref, press.update_id
        )
    except UserFacingError as exc:
        await ctx.screen.alert(ctx.t(exc.key, **exc.params))
        return
    revision = press.action == actions.ASK_REVISION
    ctx.open(NAME, Step.WRITE, asdict(FeedbackDraft(press.update_id, revision)))
    key = "feedback.ask_revision" if revision else "feedback.ask_text"
    await ctx.show(Prompt(ctx.t(key), PromptKind.FREE_TEXT), in_place=False)


class FeedbackForm(Form):
    """The one step: the text of the feedback, or the reason for a revision."""

    name = NAME
    # Anyone a report was relayed to; the services check they still advise its author.
    roles = frozenset(Role)

    def takes(self, step: str, answer: Input) -> bool:
        return step == Step.WRITE and isinstance(answer, TextInput)

    async def handle(self, ctx: FormContext, answer: Input) -> None:
        assert ctx.state is not None and isinstance(answer, TextInput)
        draft = FeedbackDraft.of(ctx.state.draft)
        try:
            text = clean_user_text(answer.text, limit=MAX_NOTE_TEXT)
        except InvalidText as exc:
            await _say(ctx, exc.code, **exc.params)  # asked again: the step stays
            return
        ctx.close()
        try:
            if draft.revision:
                delivery = await reports.request_revision(
                    ctx.session, ctx.person_id, draft.update_id, text, ctx.now
                )
            else:
                delivery = await reports.give_feedback(
                    ctx.session, ctx.person_id, draft.update_id, text, ctx.now
                )
        except UserFacingError as exc:
            await _say(ctx, exc.key, **exc.params)
            return
        await deliver(ctx, delivery)


FEEDBACK_FORM = FeedbackForm()
