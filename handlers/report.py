"""/lapor: a progress report in steps (milestone, text, kendala, rencana berikutnya, evidence,
percent, confirm), also opened from a reminder's "Lapor sekarang"; the correction of a report
within 24 hours; and the offer to save anything a participant sends outside a conversation
as a report."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from domain import actions
from domain.enums import EvidenceKind, MilestoneStatus
from domain.evidence import EvidenceFile, EvidenceRejected, check_evidence
from domain.progress import PERCENT_STEPS, InvalidPercent, parse_percent, progress_bar
from domain.roles import Role
from domain.text import (
    MAX_REPORT_TEXT,
    TELEGRAM_TEXT_LIMIT,
    InvalidText,
    clean_user_text,
    utf16_length,
)
from handlers import callbacks, steps
from handlers import evidence as evidence_files
from handlers.delivery import body_html, excerpt
from handlers.edits import edit_text
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import projects, relays, reports
from services.errors import UserFacingError
from services.outbox import MessageRef
from services.projects import NotYours
from services.reports import EvidenceItem

PARTICIPANTS = frozenset({Role.PARTICIPANT})
DRAFT = "report"
STRAY = "stray"
END = ConversationHandler.END


class Step(IntEnum):
    MILESTONE = 1
    TEXT = 2
    EVIDENCE = 3
    PERCENT = 4
    CONFIRM = 5
    CHANGE = 6
    OBSTACLES = 7
    NEXT_STEPS = 8


# The optional parts after the text: draft key, the question, the part's name under "Ubah".
OPTIONAL = {
    Step.OBSTACLES: ("obstacles", "report.ask_obstacles", "report.part.obstacles"),
    Step.NEXT_STEPS: ("next_steps", "report.ask_next_steps", "report.part.next_steps"),
}


def _draft(context: Context) -> dict[str, Any]:
    return steps.draft(context, DRAFT, evidence=[])


def _clear(context: Context) -> None:
    steps.clear_draft(context, DRAFT)


async def _pressed(
    update: Update, current: Turn, action: str, accept: Callable[[str], bool] | None = None
) -> str | None:
    """The value of a report button with this action; anything else is answered as stale."""
    query = update.callback_query
    assert query is not None
    fields = callbacks.unpack(query.data, callbacks.REPORT, 2)
    if fields is None or fields[0] != action or (accept is not None and not accept(fields[1])):
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    return fields[1]


def _button(text: str, *fields: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(callbacks.REPORT, *fields))


async def _show(
    update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None, *, lead: str = ""
) -> MessageRef | None:
    """Ask the next question where the user is looking. After a button press, the pressed
    prompt turns into the next question (one Bot API call, and one message on the phone instead
    of a stripped prompt plus a new one); after a typed message or a file, a new message.
    Returns where it is shown, when known."""
    if lead:
        text = f"{lead}\n\n{text}"
    query = update.callback_query
    if query is not None:
        await edit_text(query, text, reply_markup=keyboard)
        return _pressed_message(update)
    assert update.effective_message is not None
    shown = await update.effective_message.reply_text(text, reply_markup=keyboard)
    return MessageRef(shown.chat_id, shown.message_id)


def _pressed_message(update: Update) -> MessageRef | None:
    """The message whose button was pressed."""
    query = update.callback_query
    if query is None or query.message is None:
        return None
    return MessageRef(query.message.chat.id, query.message.message_id)


async def _milestone_keyboard(current: Turn, prefix: str) -> InlineKeyboardMarkup | None:
    assert current.actor.person_id is not None
    open_ones = await projects.reportable_milestones(current.session, current.actor.person_id)
    if not open_ones:
        return None
    rows = [[_button(f"{m.title} · {m.progress_percent}%", prefix, str(m.id))] for m in open_ones]
    return InlineKeyboardMarkup(rows)


# --- entry -------------------------------------------------------------------------------


async def start(update: Update, context: Context, current: Turn) -> int:
    """/lapor: choose the milestone to report on."""
    assert update.effective_message is not None
    keyboard = await _milestone_keyboard(current, "m")
    if keyboard is None:
        await update.effective_message.reply_text(current.t("report.no_open_milestones"))
        return END
    _clear(context)
    _draft(context)
    await update.effective_message.reply_text(
        current.t("report.choose_milestone"), reply_markup=keyboard
    )
    return Step.MILESTONE


@turn(roles=PARTICIPANTS)
async def milestone_chosen(update: Update, context: Context, current: Turn) -> int | None:
    """A milestone button: remember it, then ask what was done."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    value = await _pressed(update, current, "m", str.isdigit)
    if value is None:
        return None
    try:
        milestone = await projects.own_milestone(
            current.session, current.actor.person_id, int(value)
        )
    except NotYours:
        await query.answer(current.t("access.not_yours"), show_alert=True)
        return None
    draft = _draft(context)
    draft["milestone_id"] = milestone.id
    draft["milestone_title"] = milestone.title
    await query.answer()
    lead = current.t("report.milestone_chosen", title=milestone.title)
    return await _next(update, context, current, after=Step.MILESTONE, lead=lead)


async def _next(
    update: Update, context: Context, current: Turn, *, after: Step, lead: str = ""
) -> int:
    """Ask for the step after `after`, or go back to the summary when the user was changing one.

    `lead` (the chosen milestone) is shown above the next question."""
    draft = _draft(context)
    if draft.get("correcting") is not None:
        # A correction: the text, then the two optional parts, then it goes out.
        if after is Step.TEXT:
            return await _ask_optional(update, context, current, Step.OBSTACLES)
        if after is Step.OBSTACLES:
            return await _ask_optional(update, context, current, Step.NEXT_STEPS)
        return await _submit_correction(update, context, current)
    if draft.get("editing") or (after is Step.PERCENT):
        draft["editing"] = False
        return await _summary(update, context, current)
    if after is Step.MILESTONE:
        if draft.get("text"):
            return await _ask_optional(update, context, current, Step.OBSTACLES, lead=lead)
        await _show(update, current.t("report.ask_text", limit=MAX_REPORT_TEXT), lead=lead)
        return Step.TEXT
    if after is Step.TEXT:
        return await _ask_optional(update, context, current, Step.OBSTACLES)
    if after is Step.OBSTACLES:
        return await _ask_optional(update, context, current, Step.NEXT_STEPS)
    if after is Step.NEXT_STEPS:
        return await _ask_evidence(update, context, current)
    if after is Step.EVIDENCE:
        return await _ask_percent(update, current)
    raise AssertionError(after)


async def _ask_optional(
    update: Update, context: Context, current: Turn, step: Step, *, lead: str = ""
) -> int:
    """Kendala or rencana berikutnya: typed, or "Lewati". In a correction the part as it was
    is shown, and the button keeps it."""
    field, question, _ = OPTIONAL[step]
    draft = _draft(context)
    text = current.t(question, limit=MAX_REPORT_TEXT)
    was = draft.get(field) if draft.get("correcting") is not None else None
    if was:
        text += "\n\n" + current.t("correction.current", text=excerpt(str(was)))
        button = _button(current.t("correction.button.keep"), "o", "keep")
    else:
        button = _button(current.t("report.button.skip"), "o", "skip")
    await _show(update, text, InlineKeyboardMarkup([[button]]), lead=lead)
    return step


async def _ask_evidence(update: Update, context: Context, current: Turn, *, lead: str = "") -> int:
    count = len(_draft(context)["evidence"])
    buttons = [_button(current.t("report.button.skip"), "e", "skip")]
    if count:
        buttons = [_button(current.t("report.button.done"), "e", "done")]
    text = current.t("report.ask_evidence", count=count)
    await _show(update, text, InlineKeyboardMarkup([buttons]), lead=lead)
    return Step.EVIDENCE


async def _ask_percent(update: Update, current: Turn) -> int:
    buttons = [_button(f"{p}%", "p", str(p)) for p in PERCENT_STEPS]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    await _show(update, current.t("report.ask_percent"), InlineKeyboardMarkup(rows))
    return Step.PERCENT


def _summary_text(context: Context, current: Turn, *, short: bool = False) -> str:
    """The draft read back: milestone, progress, evidence counts and the text (`short`: only
    its beginning)."""
    draft = _draft(context)
    evidence = [EvidenceItem.from_json(e) for e in draft["evidence"]]
    words = draft.get("text", "-")
    obstacles, next_steps = draft.get("obstacles"), draft.get("next_steps")
    if short:
        words = excerpt(words)
        obstacles = excerpt(obstacles) if obstacles else None
        next_steps = excerpt(next_steps) if next_steps else None
    return current.t(
        "report.summary",
        milestone=draft.get("milestone_title", "-"),
        text=body_html(current.translator, words, obstacles, next_steps),
        photos=sum(1 for e in evidence if e.kind == EvidenceKind.PHOTO.value),
        documents=sum(1 for e in evidence if e.kind != EvidenceKind.PHOTO.value),
        bar=progress_bar(int(draft.get("percent", 0))),
    )


async def _summary(update: Update, context: Context, current: Turn) -> int:
    keyboard = InlineKeyboardMarkup(
        [
            [
                _button(current.t("report.button.send"), "c", "send"),
                _button(current.t("report.button.change"), "c", "edit"),
                _button(current.t("report.button.cancel"), "c", "cancel"),
            ]
        ]
    )
    text = f"{_summary_text(context, current)}\n\n{current.t('report.summary_question')}"
    await _show(update, text, keyboard)
    return Step.CONFIRM


# --- steps -------------------------------------------------------------------------------


@turn(roles=PARTICIPANTS)
async def text_received(update: Update, context: Context, current: Turn) -> int | None:
    """What was done, in the participant's words."""
    message = update.effective_message
    assert message is not None
    try:
        text = clean_user_text(message.text, limit=MAX_REPORT_TEXT)
    except InvalidText as exc:
        await message.reply_text(current.t(exc.code, **exc.params))
        return None
    _draft(context)["text"] = text
    return await _next(update, context, current, after=Step.TEXT)


@turn(roles=PARTICIPANTS)
async def text_expected(update: Update, context: Context, current: Turn) -> None:
    """A file where the text was asked for."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(current.t("report.text_expected"))


def _optional_typed(step: Step) -> Callable[[Update, Context], Any]:
    field = OPTIONAL[step][0]

    @turn(roles=PARTICIPANTS)
    async def typed(update: Update, context: Context, current: Turn) -> int | None:
        """Kendala or rencana berikutnya, in the participant's words."""
        message = update.effective_message
        assert message is not None
        try:
            text = clean_user_text(message.text, limit=MAX_REPORT_TEXT)
        except InvalidText as exc:
            await message.reply_text(current.t(exc.code, **exc.params))
            return None
        _draft(context)[field] = text
        return await _next(update, context, current, after=step)

    return typed


obstacles_typed = _optional_typed(Step.OBSTACLES)
next_steps_typed = _optional_typed(Step.NEXT_STEPS)


def _optional_pressed(step: Step) -> Callable[[Update, Context], Any]:
    field = OPTIONAL[step][0]

    @turn(roles=PARTICIPANTS)
    async def pressed(update: Update, context: Context, current: Turn) -> int | None:
        """ "Lewati" (nothing to say) or, in a correction, keep the part as it was."""
        query = update.callback_query
        assert query is not None
        value = await _pressed(update, current, "o", {"skip", "keep"}.__contains__)
        if value is None:
            return None
        await query.answer()
        draft = _draft(context)
        if value == "skip":
            draft[field] = None
        return await _next(update, context, current, after=step)

    return pressed


obstacles_pressed = _optional_pressed(Step.OBSTACLES)
next_steps_pressed = _optional_pressed(Step.NEXT_STEPS)


@turn(roles=PARTICIPANTS)
async def _words_expected(update: Update, context: Context, current: Turn) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(current.t("report.optional_expected"))


async def file_instead_of_words(update: Update, context: Context) -> int | None:
    """A file where kendala or rencana berikutnya was asked for: the participant has moved on
    to the evidence, so the optional parts not yet given are skipped and the file is the first
    piece of evidence. A correction is words only: there the words are asked for again."""
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT) or {}
    if draft.get("correcting") is not None:
        await _words_expected(update, context)
        return None
    draft.setdefault("obstacles", None)
    draft.setdefault("next_steps", None)
    await evidence_received(update, context)
    return Step.EVIDENCE


def evidence_of(message: Message) -> EvidenceItem | None:
    """The file in a message as evidence, or None when it carries none."""
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return EvidenceItem(
            kind=EvidenceKind.PHOTO.value,
            file_id=photo.file_id,
            file_unique_id=photo.file_unique_id,
            size=photo.file_size,
            caption=message.caption,
            media_group_id=message.media_group_id,
        )
    if message.document:
        doc = message.document
        return EvidenceItem(
            kind=EvidenceKind.DOCUMENT.value,
            file_id=doc.file_id,
            file_unique_id=doc.file_unique_id,
            file_name=doc.file_name,
            mime_type=doc.mime_type,
            size=doc.file_size,
            caption=message.caption,
            media_group_id=message.media_group_id,
        )
    return None


def _check(current: Turn, item: EvidenceItem) -> str | None:
    """The refusal text for an unacceptable file, else None."""
    try:
        check_evidence(
            EvidenceFile(
                kind="photo" if item.kind == EvidenceKind.PHOTO.value else "document",
                file_name=item.file_name,
                mime_type=item.mime_type,
                size=item.size,
            ),
            max_bytes=current.runtime.max_evidence_bytes,
        )
    except EvidenceRejected as exc:
        return current.t(exc.code, **exc.params_for(current.actor.language))
    return None


async def _kept(context: Context, current: Turn, item: EvidenceItem) -> EvidenceItem | str:
    """The file downloaded into the evidence store, or the text telling the user why not (it
    may be sent again). Only after the update's transaction: a download must not hold one of
    the pool's connections."""
    data = await evidence_files.fetch(context.bot, item)
    if data is None:
        return current.t("report.evidence.download_failed")
    # Telegram may not have said how big a document is: the real size is checked again.
    refusal = _check(current, dataclasses.replace(item, size=len(data)))
    if refusal is not None:
        return refusal
    return await evidence_files.keep(current.runtime.evidence_store, item, data)


@turn(roles=PARTICIPANTS)
async def evidence_received(update: Update, context: Context, current: Turn) -> int | None:
    """A photo or document, kept in the evidence store as it arrives; the files of one album
    are acknowledged once."""
    message = update.effective_message
    assert message is not None
    item = evidence_of(message)
    if item is None:
        return None
    refusal = _check(current, item)  # before downloading anything
    if refusal is not None:
        await message.reply_text(refusal)
        return None
    current.after_commit(functools.partial(_take_evidence, update, context, current, item))
    return None


async def _take_evidence(
    update: Update, context: Context, current: Turn, item: EvidenceItem
) -> None:
    """Download and keep the file, then add it to the draft; a failed one leaves no trace and
    the evidence question comes again under the reason, so it can be sent again or skipped."""
    kept = await _kept(context, current, item)
    draft = _draft(context)
    if isinstance(kept, str):
        # The reason came after the album's acknowledgement: the album's next file is
        # acknowledged again, so the last count the participant reads is the true one.
        draft["album"] = None
        await _ask_evidence(update, context, current, lead=kept)
        return
    draft["evidence"].append(kept.to_json())
    if item.media_group_id is not None and draft.get("album") == item.media_group_id:
        return  # the rest of an album already acknowledged
    draft["album"] = item.media_group_id
    await _ask_evidence(update, context, current)


@turn(roles=PARTICIPANTS)
async def evidence_finished(update: Update, context: Context, current: Turn) -> int | None:
    """ "Lewati" or "Selesai" under the evidence prompt."""
    query = update.callback_query
    assert query is not None
    if await _pressed(update, current, "e") is None:
        return None
    await query.answer()
    return await _next(update, context, current, after=Step.EVIDENCE)


@turn(roles=PARTICIPANTS)
async def text_during_evidence(update: Update, context: Context, current: Turn) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(current.t("report.evidence_expected"))


async def _take_percent(update: Update, context: Context, current: Turn, raw: str) -> int | None:
    message = update.effective_message
    assert message is not None
    try:
        percent = parse_percent(raw)
    except InvalidPercent as exc:
        await message.reply_text(current.t(exc.code, **exc.params))
        return None
    _draft(context)["percent"] = percent
    return await _next(update, context, current, after=Step.PERCENT)


@turn(roles=PARTICIPANTS)
async def percent_typed(update: Update, context: Context, current: Turn) -> int | None:
    assert update.effective_message is not None
    return await _take_percent(update, context, current, update.effective_message.text or "")


@turn(roles=PARTICIPANTS)
async def percent_pressed(update: Update, context: Context, current: Turn) -> int | None:
    query = update.callback_query
    assert query is not None
    value = await _pressed(update, current, "p")
    if value is None:
        return None
    await query.answer()
    return await _take_percent(update, context, current, value)


@turn(roles=PARTICIPANTS)
async def confirmed(update: Update, context: Context, current: Turn) -> int | None:
    """Kirim / Ubah / Batal under the summary."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    value = await _pressed(update, current, "c", {"send", "edit", "cancel"}.__contains__)
    if value is None:
        return None
    await query.answer()
    if value == "cancel":
        _clear(context)
        await edit_text(query, current.t("report.cancelled"))
        return END
    if value == "edit":
        await edit_text(
            query,
            current.t("report.change_what"),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        _button(current.t("report.part.milestone"), "u", "milestone"),
                        _button(current.t("report.part.text"), "u", "text"),
                    ],
                    [
                        _button(current.t("report.part.obstacles"), "u", "obstacles"),
                        _button(current.t("report.part.next_steps"), "u", "next_steps"),
                    ],
                    [
                        _button(current.t("report.part.evidence"), "u", "evidence"),
                        _button(current.t("report.part.percent"), "u", "percent"),
                    ],
                ]
            ),
        )
        return Step.CHANGE
    return await _submit(update, context, current)


async def _submit(update: Update, context: Context, current: Turn) -> int | None:
    """Save and relay the report; the summary the user confirmed becomes its receipt."""
    draft = _draft(context)
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    try:
        report, advisors = await reports.submit_report(
            current.session,
            current.actor.person_id,
            int(draft["milestone_id"]),
            text=str(draft["text"]),
            percent=int(draft["percent"]),
            evidence=[EvidenceItem.from_json(e) for e in draft["evidence"]],
            now=current.now(),
            obstacles=draft.get("obstacles"),
            next_steps=draft.get("next_steps"),
        )
    except UserFacingError as exc:
        _clear(context)
        await edit_text(query, current.t(exc.key, **exc.params))
        return END
    # The relays go through the delivery queue once this transaction commits; the summary
    # turns into the receipt, which a relay that never arrives answers.
    reached = await relays.queue_report(
        current.session, report, advisors, current.now(), receipt=_pressed_message(update)
    )
    if reached:
        current.on_commit(current.runtime.wake)
    names = ", ".join(f"{current.t(f'role.{a.relation}')} {a.name}" for a in reached)
    key = "report.sent" if reached else "report.sent_nobody"
    receipt = current.t(key, names=names, bar=progress_bar(report.percent))
    # Read back what was sent under the confirmation, without the buttons. With long names and
    # the longest text the read-back would pass Telegram's limit: then only the text's start.
    read_back = f"{receipt}\n\n{_summary_text(context, current)}"
    if utf16_length(read_back) > TELEGRAM_TEXT_LIMIT:  # HTML counted: errs on the safe side
        read_back = f"{receipt}\n\n{_summary_text(context, current, short=True)}"

    # Within 24 hours the receipt offers to correct what was sent.
    correct = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    current.t("correction.button.correct"),
                    callback_data=actions.correct_report(report.update_id),
                )
            ]
        ]
    )

    async def show_receipt() -> None:
        await edit_text(query, read_back, reply_markup=correct)

    # After the commit: the relays are queued by then, so whatever becomes of this edit must
    # not roll the report back (and invite a second "Kirim" that relays it again).
    current.after_commit(show_receipt)
    _clear(context)
    return END


@turn(roles=PARTICIPANTS)
async def change_chosen(update: Update, context: Context, current: Turn) -> int | None:
    """Which part of the draft to change; afterwards the summary is shown again."""
    query = update.callback_query
    assert query is not None
    parts = {"milestone", "text", "obstacles", "next_steps", "evidence", "percent"}
    value = await _pressed(update, current, "u", parts.__contains__)
    if value is None:
        return None
    await query.answer()
    draft = _draft(context)
    draft["editing"] = True
    if value == "milestone":
        keyboard = await _milestone_keyboard(current, "m")
        await _show(update, current.t("report.choose_milestone"), keyboard)
        return Step.MILESTONE
    if value == "text":
        await _show(update, current.t("report.ask_text", limit=MAX_REPORT_TEXT))
        return Step.TEXT
    if value == "obstacles":
        return await _ask_optional(update, context, current, Step.OBSTACLES)
    if value == "next_steps":
        return await _ask_optional(update, context, current, Step.NEXT_STEPS)
    if value == "evidence":
        draft["evidence"] = []
        draft["album"] = None
        return await _ask_evidence(update, context, current)
    return await _ask_percent(update, current)


# /batal inside the report conversation.
cancel = steps.cancel_handler(DRAFT)


# --- outside any conversation --------------------------------------------------------------


@turn()
async def file_outside_conversation(update: Update, context: Context, current: Turn) -> None:
    """A photo or document outside a conversation."""
    await offer_to_save(update, context, current)


async def offer_to_save(update: Update, context: Context, current: Turn) -> None:
    """A participant's text or file outside a conversation: offer to keep it as a report,
    so nothing they send is lost."""
    message = update.effective_message
    assert message is not None and context.user_data is not None
    if Role.PARTICIPANT not in current.actor.roles:
        # A mentor or coach writing here most likely meant feedback: say that nothing was
        # forwarded and how feedback reaches the participant.
        advisor = current.actor.has_any(frozenset({Role.MENTOR, Role.COACH}))
        await message.reply_text(
            current.t("feedback.not_forwarded" if advisor else "text.no_conversation")
        )
        return
    item = evidence_of(message)
    stray = context.user_data.get(STRAY)
    same_album = (
        item is not None
        and item.media_group_id is not None
        and stray is not None
        and stray.get("album") == item.media_group_id
    )
    if item is not None:
        refusal = _check(current, item)
        if refusal is not None:
            await message.reply_text(refusal)
            return
    text = None
    if not same_album:
        text = message.text if item is None else message.caption
        if text is not None:
            try:
                text = clean_user_text(text, limit=MAX_REPORT_TEXT)
            except InvalidText as exc:
                await message.reply_text(current.t(exc.code, **exc.params))
                return
    keyboard = None if same_album else await _milestone_keyboard(current, "s")
    offer = functools.partial(
        _offer, update, context, current, item, text=text, same_album=same_album, keyboard=keyboard
    )
    if item is None:
        await offer()
    else:
        current.after_commit(offer)  # the file is downloaded first, outside the transaction


async def _offer(
    update: Update,
    context: Context,
    current: Turn,
    item: EvidenceItem | None,
    *,
    text: str | None,
    same_album: bool,
    keyboard: InlineKeyboardMarkup | None,
) -> None:
    """Keep the stray text or file (downloaded into the evidence store) and offer to save it."""
    message = update.effective_message
    assert message is not None and context.user_data is not None
    kept: EvidenceItem | None = None
    if item is not None and (same_album or keyboard is not None):
        got = await _kept(context, current, item)
        if isinstance(got, str):
            await message.reply_text(got)
            return
        kept = got
    if same_album:
        stray = context.user_data[STRAY]
    else:
        stray = {"text": text, "evidence": [], "album": item.media_group_id if item else None}
        context.user_data[STRAY] = stray
    if kept is not None:
        stray["evidence"].append(kept.to_json())
    if same_album:
        return
    if keyboard is None:
        await message.reply_text(current.t("report.no_open_milestones"))
        return
    rows = [*keyboard.inline_keyboard, [_button(current.t("report.button.not_now"), "s", "no")]]
    await message.reply_text(
        current.t("report.offer_save"), reply_markup=InlineKeyboardMarkup(rows)
    )


@turn(roles=PARTICIPANTS)
async def saved_from_offer(update: Update, context: Context, current: Turn) -> int | None:
    """A milestone chosen under "Simpan sebagai laporan kemajuan?": the report continues."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    assert current.actor.person_id is not None
    stray = context.user_data.get(STRAY)
    # A button under an offer already answered (or lost in a restart) is stale as well.
    value = await _pressed(
        update, current, "s", lambda v: stray is not None and (v == "no" or v.isdigit())
    )
    if value is None or stray is None:
        return None
    if value == "no":
        await query.answer()
        context.user_data.pop(STRAY, None)
        await edit_text(query, current.t("report.offer_declined"))
        return END
    try:
        milestone = await projects.own_milestone(
            current.session, current.actor.person_id, int(value)
        )
    except NotYours:
        # Answered once only: Telegram refuses a second answer to the same press.
        await query.answer(current.t("access.not_yours"), show_alert=True)
        return None
    await query.answer()
    context.user_data.pop(STRAY, None)
    context.user_data[DRAFT] = {
        "milestone_id": milestone.id,
        "milestone_title": milestone.title,
        "text": stray.get("text"),
        "evidence": stray.get("evidence", []),
        "album": stray.get("album"),
    }
    lead = current.t("report.milestone_chosen", title=milestone.title)
    return await _next(update, context, current, after=Step.MILESTONE, lead=lead)


# --- from a reminder: "Lapor sekarang" -------------------------------------------------------


@turn(roles=PARTICIPANTS)
async def report_now(update: Update, context: Context, current: Turn) -> int | None:
    """ "Lapor sekarang" under a reminder: /lapor at that milestone, or the milestone choice
    (a nudge names none). The same checks as /lapor: only the participant's own milestones
    of their current project that are still open. Pressed during a report, it starts anew."""
    query = update.callback_query
    assert query is not None and update.effective_message is not None
    assert current.actor.person_id is not None
    value = await _pressed(update, current, actions.REPORT_NOW, str.isdigit)
    if value is None:
        return None
    milestone_id = int(value)
    open_ones = await projects.reportable_milestones(current.session, current.actor.person_id)
    if not open_ones:
        await query.answer(current.t("report.no_open_milestones"), show_alert=True)
        return END
    if milestone_id == 0:
        await query.answer()
        _clear(context)
        _draft(context)
        keyboard = await _milestone_keyboard(current, "m")
        await update.effective_message.reply_text(
            current.t("report.choose_milestone"), reply_markup=keyboard
        )
        return Step.MILESTONE
    milestone = next((m for m in open_ones if m.id == milestone_id), None)
    if milestone is None:
        key = "access.not_yours"
        try:
            found = await projects.own_milestone(
                current.session, current.actor.person_id, milestone_id
            )
        except NotYours:
            pass
        else:
            if found.status is MilestoneStatus.APPROVED:
                key = "report.error.milestone_approved"
        await query.answer(current.t(key), show_alert=True)
        return None
    await query.answer()
    _clear(context)
    draft = _draft(context)
    draft["milestone_id"] = milestone.id
    draft["milestone_title"] = milestone.title
    # A new message under the reminder, which stays as it was.
    lead = current.t("report.milestone_chosen", title=milestone.title)
    question = current.t("report.ask_text", limit=MAX_REPORT_TEXT)
    await update.effective_message.reply_text(f"{lead}\n\n{question}")
    return Step.TEXT


# --- correction within 24 hours ---------------------------------------------------------------


@turn(roles=PARTICIPANTS)
async def correct(update: Update, context: Context, current: Turn) -> int | None:
    """ "Koreksi laporan" under a receipt: new words for the text and the two optional parts,
    within 24 hours of sending; the advisors then get the corrected version, marked so."""
    query = update.callback_query
    assert query is not None and update.effective_message is not None
    assert current.actor.person_id is not None
    value = await _pressed(update, current, actions.CORRECT, str.isdigit)
    if value is None:
        return None
    try:
        report = await reports.correctable_report(
            current.session, current.actor.person_id, int(value), current.now()
        )
    except UserFacingError as exc:
        await query.answer(current.t(exc.key, **exc.params), show_alert=True)
        return None
    await query.answer()
    _clear(context)
    draft = _draft(context)
    draft.update(
        correcting=report.update_id,
        milestone_title=report.milestone_title,
        obstacles=report.obstacles,
        next_steps=report.next_steps,
    )
    text = current.t(
        "correction.ask_text",
        milestone=report.milestone_title,
        text=excerpt(report.text),
        limit=MAX_REPORT_TEXT,
    )
    await update.effective_message.reply_text(text)
    return Step.TEXT


async def _submit_correction(update: Update, context: Context, current: Turn) -> int:
    """Save the corrected words and send them to the advisors, marked as a correction."""
    draft = _draft(context)
    assert current.actor.person_id is not None
    _clear(context)
    try:
        report, advisors = await reports.correct_report(
            current.session,
            current.actor.person_id,
            int(draft["correcting"]),
            text=str(draft["text"]),
            obstacles=draft.get("obstacles"),
            next_steps=draft.get("next_steps"),
            now=current.now(),
        )
    except UserFacingError as exc:
        await _show(update, current.t(exc.key, **exc.params))
        return END
    # The receipt first, so a relay that never arrives can answer it; the relays go out
    # through the delivery queue once this transaction commits.
    reached = relays.reachable(advisors)
    names = ", ".join(f"{current.t(f'role.{a.relation}')} {a.name}" for a in reached)
    key = "correction.sent" if reached else "correction.sent_nobody"
    receipt = await _show(update, current.t(key, milestone=report.milestone_title, names=names))
    await relays.queue_report(
        current.session, report, reached, current.now(), correction=True, receipt=receipt
    )
    if reached:
        current.on_commit(current.runtime.wake)
    return END


# --- registration -------------------------------------------------------------------------------


def conversation(entry: steps.Handlers) -> ConversationHandler:  # type: ignore[type-arg]
    """/lapor (`entry`, from the command table), also entered from "Simpan sebagai laporan
    kemajuan?", a reminder's "Lapor sekarang" and a receipt's "Koreksi laporan"."""
    text = filters.TEXT & ~filters.COMMAND
    files = filters.PHOTO | filters.Document.ALL
    kind = callbacks.REPORT
    # A reminder's or a receipt's button starts that one, also in the middle of a report.
    now_button = CallbackQueryHandler(report_now, pattern=callbacks.pattern(kind, "n"))
    correct_button = CallbackQueryHandler(correct, pattern=callbacks.pattern(kind, "k"))
    return steps.conversation(
        "report",
        entry_points=[
            *entry,
            CallbackQueryHandler(saved_from_offer, pattern=callbacks.pattern(kind, "s")),
            now_button,
            correct_button,
        ],
        states={
            Step.MILESTONE: [
                CallbackQueryHandler(milestone_chosen, pattern=callbacks.pattern(kind, "m"))
            ],
            Step.TEXT: [
                MessageHandler(text, text_received),
                MessageHandler(files, text_expected),
            ],
            Step.EVIDENCE: [
                MessageHandler(files, evidence_received),
                CallbackQueryHandler(evidence_finished, pattern=callbacks.pattern(kind, "e")),
                MessageHandler(text, text_during_evidence),
            ],
            Step.PERCENT: [
                CallbackQueryHandler(percent_pressed, pattern=callbacks.pattern(kind, "p")),
                MessageHandler(text, percent_typed),
            ],
            Step.CONFIRM: [CallbackQueryHandler(confirmed, pattern=callbacks.pattern(kind, "c"))],
            Step.CHANGE: [
                CallbackQueryHandler(change_chosen, pattern=callbacks.pattern(kind, "u"))
            ],
            Step.OBSTACLES: [
                MessageHandler(text, obstacles_typed),
                CallbackQueryHandler(obstacles_pressed, pattern=callbacks.pattern(kind, "o")),
                MessageHandler(files, file_instead_of_words),
            ],
            Step.NEXT_STEPS: [
                MessageHandler(text, next_steps_typed),
                CallbackQueryHandler(next_steps_pressed, pattern=callbacks.pattern(kind, "o")),
                MessageHandler(files, file_instead_of_words),
            ],
        },
        cancel=cancel,
        fallbacks=[now_button, correct_button],
    )
