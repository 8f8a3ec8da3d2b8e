"""/umumkan: an organizer's announcement in steps (cohort, text, file, audience, preview), then
one status message kept up to date while the sender delivers it."""

from __future__ import annotations

import logging
from enum import IntEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    JobQueue,
    MessageHandler,
    filters,
)

from domain.clock import Clock, SystemClock
from domain.enums import DeliveryFailure
from domain.i18n import Translator, translator
from domain.roles import Role
from domain.text import InvalidText
from handlers import callbacks, steps
from handlers.edits import edit_buttons, edit_text, not_modified
from handlers.runtime import Context, Runtime
from handlers.turn import Turn, escape_params, turn
from services import broadcasts, groups
from services.broadcasts import AUDIENCE_ROLES, Audience, AudiencePlan, Summary
from services.errors import UserFacingError

log = logging.getLogger(__name__)

ADMINS = frozenset({Role.ADMIN})
PREFIX = callbacks.BROADCAST
DRAFT = "broadcast"
END = ConversationHandler.END
# How often the status message is refreshed while messages wait; Telegram allows editing
# one message far more often, but every few seconds is what a person can follow.
STATUS_INTERVAL = 5.0
# The status lists who was not reached; the list is cut well inside Telegram's 4096.
_STATUS_BUDGET = 3800


class Step(IntEnum):
    COHORT = 1
    TEXT = 2
    FILE = 3
    AUDIENCE = 4
    CONFIRM = 5


def _draft(context: Context) -> dict[str, Any]:
    return steps.draft(context, DRAFT)


def _clear(context: Context) -> None:
    steps.clear_draft(context, DRAFT)


def _button(text: str, *fields: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(PREFIX, *fields))


def _fields(query_data: str | None, action: str) -> list[str] | None:
    fields = callbacks.unpack(query_data, PREFIX, 2)
    return fields if fields is not None and fields[0] == action else None


async def _cohorts(current: Turn) -> list[groups.CohortChoice]:
    return await groups.administered_cohorts(
        current.session,
        current.actor.person_id,
        global_admin=current.actor.global_admin,
    )


# --- entry and cohort --------------------------------------------------------------------


async def start(update: Update, context: Context, current: Turn) -> int:
    """/umumkan: choose the cohort, unless the organizer runs only one."""
    message = update.effective_message
    assert message is not None
    _clear(context)
    cohorts = await _cohorts(current)
    if not cohorts:
        await message.reply_text(current.t("broadcast.no_cohorts"))
        return END
    if len(cohorts) == 1:
        return await _ask_text(message, context, current, cohorts[0])
    rows = [[_button(c.name, "c", str(c.id))] for c in cohorts]
    await message.reply_text(
        current.t("broadcast.choose_cohort"), reply_markup=InlineKeyboardMarkup(rows)
    )
    return Step.COHORT


@turn(roles=ADMINS)
async def cohort_chosen(update: Update, context: Context, current: Turn) -> int | None:
    """A cohort button; the id is checked against the organizer's own cohorts."""
    query = update.callback_query
    assert query is not None and update.effective_message is not None
    fields = _fields(query.data, "c")
    if fields is None or not fields[1].isdigit():
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    chosen = next((c for c in await _cohorts(current) if c.id == int(fields[1])), None)
    if chosen is None:
        await query.answer(current.t("broadcast.error.not_allowed"), show_alert=True)
        return None
    await query.answer()
    await edit_text(query, current.t("broadcast.cohort_chosen", cohort=chosen.name))
    return await _ask_text(update.effective_message, context, current, chosen)


async def _ask_text(
    message: Message, context: Context, current: Turn, cohort: groups.CohortChoice
) -> int:
    draft = _draft(context)
    draft.update(cohort_id=cohort.id, cohort=cohort.name)
    author = current.actor.name
    await message.reply_text(
        current.t(
            "broadcast.ask_text",
            cohort=cohort.name,
            limit=broadcasts.text_limit(cohort.name, author, with_file=False),
            caption_limit=broadcasts.text_limit(cohort.name, author, with_file=True),
        )
    )
    return Step.TEXT


# --- text and file -----------------------------------------------------------------------


@turn(roles=ADMINS)
async def text_received(update: Update, context: Context, current: Turn) -> int | None:
    """The announcement's text, checked to fit one message with its header."""
    message = update.effective_message
    assert message is not None
    draft = _draft(context)
    try:
        text = broadcasts.check_text(
            message.text, draft["cohort"], current.actor.name, with_file=False
        )
    except InvalidText as exc:
        await message.reply_text(current.t(exc.code, **exc.params))
        return None
    draft["text"] = text
    draft["attachment"] = None
    await message.reply_text(
        current.t("broadcast.ask_file"),
        reply_markup=InlineKeyboardMarkup(
            [[_button(current.t("broadcast.button.skip"), "f", "skip")]]
        ),
    )
    return Step.FILE


@turn(roles=ADMINS)
async def text_expected(update: Update, context: Context, current: Turn) -> None:
    """A file where the text was asked for."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(current.t("broadcast.text_expected"))


@turn(roles=ADMINS)
async def file_received(update: Update, context: Context, current: Turn) -> int | None:
    """One photo or document to go with the text, as its caption."""
    message = update.effective_message
    assert message is not None
    if message.photo:
        attachment = {"kind": "photo", "file_id": message.photo[-1].file_id}
    elif message.document:
        attachment = {"kind": "document", "file_id": message.document.file_id}
    else:
        return None
    draft = _draft(context)
    try:
        broadcasts.check_text(draft["text"], draft["cohort"], current.actor.name, with_file=True)
    except InvalidText as exc:
        await message.reply_text(current.t("broadcast.file_too_long", **exc.params))
        return None
    draft["attachment"] = attachment
    await message.reply_text(current.t("broadcast.file_attached"))
    return await _ask_audience(message, context, current)


@turn(roles=ADMINS)
async def file_skipped(update: Update, context: Context, current: Turn) -> int | None:
    """ "Lewati" under the file prompt."""
    query = update.callback_query
    assert query is not None and update.effective_message is not None
    if _fields(query.data, "f") is None:
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    await query.answer()
    await edit_buttons(query, None)
    _draft(context)["attachment"] = None
    return await _ask_audience(update.effective_message, context, current)


@turn(roles=ADMINS)
async def file_expected(update: Update, context: Context, current: Turn) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(current.t("broadcast.file_expected"))


# --- audience ----------------------------------------------------------------------------


async def _ask_audience(message: Message, context: Context, current: Turn) -> int:
    draft = _draft(context)
    cohort_id = int(draft["cohort_id"])
    draft.setdefault("roles", [r.value for r in AUDIENCE_ROLES])
    draft.setdefault("seminar_group", None)
    draft.setdefault("groups", False)
    draft["seminar_groups"] = await broadcasts.seminar_groups(current.session, cohort_id)
    draft["group_count"] = len(await groups.active_groups(current.session, cohort_id))
    await message.reply_text(
        current.t("broadcast.ask_audience", cohort=draft["cohort"]),
        reply_markup=_audience_keyboard(current, draft),
    )
    return Step.AUDIENCE


def _audience_keyboard(current: Turn, draft: dict[str, Any]) -> InlineKeyboardMarkup:
    def mark(on: bool, label: str) -> str:
        return ("✅ " if on else "▫️ ") + label

    chosen = set(draft["roles"])
    everyone = chosen == {r.value for r in AUDIENCE_ROLES}
    roles = [
        _button(mark(r.value in chosen, current.t(r.message_key)), "r", r.value)
        for r in AUDIENCE_ROLES
    ]
    rows = [[_button(mark(everyone, current.t("broadcast.button.everyone")), "r", "all")]]
    rows += [roles[i : i + 3] for i in range(0, len(roles), 3)]
    seminar = draft["seminar_groups"]
    if seminar:
        picked = draft["seminar_group"]
        choices = [
            _button(
                mark(picked is None, current.t("broadcast.button.all_seminar_groups")), "s", "all"
            )
        ]
        choices += [
            _button(mark(picked == name, _group_label(current, name)), "s", str(index))
            for index, name in enumerate(seminar)
        ]
        rows += [choices[i : i + 3] for i in range(0, len(choices), 3)]
    if draft["group_count"]:
        label = current.t("broadcast.button.groups", count=draft["group_count"])
        rows.append([_button(mark(bool(draft["groups"]), label), "t", "groups")])
    rows.append(
        [
            _button(current.t("broadcast.button.next"), "n", "next"),
            _button(current.t("broadcast.button.cancel"), "x", "cancel"),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _group_label(current: Turn, name: str) -> str:
    return current.t("broadcast.button.seminar_group", name=name)


@turn(roles=ADMINS)
async def audience_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """A role, seminar group or "juga ke grup" toggle; the keyboard shows the new choice."""
    query = update.callback_query
    assert query is not None
    fields = callbacks.unpack(query.data, PREFIX, 2)
    draft = _draft(context)
    if fields is None or "roles" not in draft or not _toggle(draft, fields[0], fields[1]):
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    await query.answer()
    await edit_buttons(query, _audience_keyboard(current, draft))
    return None


def _toggle(draft: dict[str, Any], action: str, value: str) -> bool:
    """Apply one audience button to the draft; False for data no button of ours carries."""
    all_roles = [r.value for r in AUDIENCE_ROLES]
    if action == "r" and value == "all":
        draft["roles"] = all_roles
    elif action == "r" and value in all_roles:
        chosen = set(draft["roles"]) ^ {value}
        draft["roles"] = [r for r in all_roles if r in chosen]
    elif action == "s" and value == "all":
        draft["seminar_group"] = None
    elif action == "s" and value.isdigit() and int(value) < len(draft["seminar_groups"]):
        draft["seminar_group"] = draft["seminar_groups"][int(value)]
    elif action == "t" and value == "groups" and draft["group_count"]:
        draft["groups"] = not draft["groups"]
    else:
        return False
    return True


def _audience(draft: dict[str, Any]) -> Audience:
    return Audience(
        roles=frozenset(Role(r) for r in draft["roles"]),
        seminar_group=draft["seminar_group"],
        groups=bool(draft["groups"]),
    )


@turn(roles=ADMINS)
async def audience_done(update: Update, context: Context, current: Turn) -> int | None:
    """ "Lanjut": the preview, exactly as recipients will get it, and who they are."""
    query = update.callback_query
    message = update.effective_message
    assert query is not None and message is not None
    draft = _draft(context)
    if _fields(query.data, "n") is None or "roles" not in draft:
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    if not draft["roles"]:
        await query.answer(current.t("broadcast.no_roles"), show_alert=True)
        return None
    plan = await broadcasts.resolve_audience(
        current.session,
        int(draft["cohort_id"]),
        _audience(draft),
        exclude_person_id=current.actor.person_id,
    )
    # Those who have not joined count: the announcement waits for them (as from the CLI).
    if plan.reachable == 0 and not plan.not_joined:
        await query.answer(
            current.t("broadcast.nobody", not_joined=len(plan.not_joined)), show_alert=True
        )
        return None
    await query.answer()
    await edit_buttons(query, None)
    await message.reply_text(current.t("broadcast.preview.title"))
    key, params = broadcasts.compose(draft["cohort"], current.actor.name, draft["text"])
    shown = current.t(key, **params)
    attachment = draft.get("attachment")
    if attachment and attachment["kind"] == "photo":
        await message.reply_photo(attachment["file_id"], caption=shown)
    elif attachment:
        await message.reply_document(attachment["file_id"], caption=shown)
    else:
        await message.reply_text(shown)
    await message.reply_text(
        _plan_text(current, plan, draft),
        reply_markup=InlineKeyboardMarkup(
            [
                [_button(current.t("broadcast.button.send"), "k", "send")],
                [
                    _button(current.t("broadcast.button.change"), "k", "change"),
                    _button(current.t("broadcast.button.cancel"), "x", "cancel"),
                ],
            ]
        ),
    )
    return Step.CONFIRM


def _plan_text(current: Turn, plan: AudiencePlan, draft: dict[str, Any]) -> str:
    roles = ", ".join(
        f"{current.t(role.message_key)} {count}" for role, count in broadcasts.role_counts(plan)
    )
    lines = [current.t("broadcast.preview.recipients", count=len(plan.recipients), roles=roles)]
    if draft["seminar_group"]:
        lines.append(current.t("broadcast.preview.seminar_group", name=draft["seminar_group"]))
    if plan.groups:
        lines.append(current.t("broadcast.preview.groups", count=len(plan.groups)))
    lines.append(current.t("broadcast.preview.not_joined", count=len(plan.not_joined)))
    lines += ["", current.t("broadcast.preview.confirm")]
    return "\n".join(lines)


# --- confirm, send, status ---------------------------------------------------------------


@turn(roles=ADMINS)
async def confirmed(update: Update, context: Context, current: Turn) -> int | None:
    """Kirim: create and queue it, then one status message; Ubah: back to the audience."""
    query = update.callback_query
    message = update.effective_message
    assert query is not None and message is not None
    fields = _fields(query.data, "k")
    draft = _draft(context)
    if fields is None or fields[1] not in ("send", "change") or "text" not in draft:
        await query.answer(current.t("button.stale"), show_alert=True)
        return None
    await query.answer()
    await edit_buttons(query, None)
    if fields[1] == "change":
        return await _ask_audience(message, context, current)
    try:
        queued = await broadcasts.create_broadcast(
            current.session,
            cohort_id=int(draft["cohort_id"]),
            author_id=current.actor.person_id,
            text=str(draft["text"]),
            audience=_audience(draft),
            attachment=draft.get("attachment"),
            now=current.now(),
        )
    except UserFacingError as exc:
        _clear(context)
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    _clear(context)
    current.on_commit(current.runtime.wake)
    await message.reply_text(current.t("broadcast.queued", id=queued.broadcast_id))
    counted = await broadcasts.summary(current.session, queued.broadcast_id)
    status = await message.reply_text(status_text(current.translator, counted))
    await broadcasts.set_status_message(
        current.session,
        queued.broadcast_id,
        chat_id=status.chat_id,
        message_id=status.message_id,
    )
    watch(context.application.job_queue, queued.broadcast_id)
    return END


def status_text(t: Translator, summary: Summary) -> str:
    """The organizer's status: counts while it runs; at the end, also who was not reached."""
    counts = summary.progress

    def say(key: str, **params: object) -> str:
        return t(key, **escape_params(params))

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
    """Why a message did not arrive, in the organizer's words; Telegram's own text stays in
    the log and the export, never in the chat."""
    if reason is None:
        return t("broadcast.reason.unknown")
    return t(reason.message_key)


async def refresh_status(
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    broadcast_id: int,
    *,
    clock: Clock | None = None,
    default_language: str = "id",
) -> bool:
    """Edit the organizer's status message from the queue's rows; True while messages wait.

    When none waits any more, the message becomes the final summary and the announcement is
    marked finished. Safe to call at any time and from anywhere (the status job, the sender).
    """
    now = (clock or SystemClock()).now()
    async with sessions() as session, session.begin():
        summary = await broadcasts.summary(session, broadcast_id)
        running = not summary.progress.done
        if summary.status_chat_id is None or summary.status_message_id is None:
            return running
        language = await broadcasts.language_of(session, summary.author_id, default_language)
        text = status_text(translator(language), summary)
        try:
            await bot.edit_message_text(
                text, chat_id=summary.status_chat_id, message_id=summary.status_message_id
            )
        except BadRequest as exc:
            # Unchanged counts since the last edit, or the organizer deleted the message:
            # neither is worth failing the announcement for.
            if not not_modified(exc):
                log.warning("status of broadcast %s not updated: %s", broadcast_id, exc)
        except Forbidden:
            log.info("organizer blocked the bot; status of broadcast %s not shown", broadcast_id)
        if not running:
            await broadcasts.mark_finished(session, broadcast_id, now)
    return running


def job_name(broadcast_id: int) -> str:
    return f"broadcast-status-{broadcast_id}"


def watch(job_queue: JobQueue[Any] | None, broadcast_id: int) -> None:
    """Refresh the status every STATUS_INTERVAL seconds until nothing waits; once per id."""
    if job_queue is None:  # without APScheduler only the sender's calls update the status
        log.warning(
            "no job queue: status of broadcast %s updates only on sender calls", broadcast_id
        )
        return
    if job_queue.get_jobs_by_name(job_name(broadcast_id)):
        return
    job_queue.run_repeating(
        _status_job,
        interval=STATUS_INTERVAL,
        first=STATUS_INTERVAL,
        data=broadcast_id,
        name=job_name(broadcast_id),
    )


async def _status_job(context: Context) -> None:
    """One refresh; the job removes itself once the final summary is shown."""
    job = context.job
    assert job is not None and isinstance(job.data, int)
    runtime = Runtime.of(context.application)
    running = await refresh_status(
        context.bot,
        runtime.sessions,
        job.data,
        clock=runtime.clock,
        default_language=runtime.default_language,
    )
    if not running:
        job.schedule_removal()


async def resume_status_updates(application: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """After a restart: watch again every announcement whose status is not final yet.

    For post_init; returns how many are watched.
    """
    runtime = Runtime.of(application)
    async with runtime.sessions() as session:
        unfinished = await broadcasts.unfinished_with_status(session)
    for broadcast_id in unfinished:
        watch(application.job_queue, broadcast_id)
    return len(unfinished)


# --- leaving -----------------------------------------------------------------------------


@turn(members_only=False)
async def cancel(update: Update, context: Context, current: Turn) -> int:
    """/batal, or "Batal" under the audience or the preview."""
    _clear(context)
    text = current.t("broadcast.cancelled")
    if update.callback_query is not None:
        await update.callback_query.answer()
        await edit_buttons(update.callback_query, None)
    assert update.effective_message is not None
    await update.effective_message.reply_text(text)
    return END


@turn(roles=ADMINS)
async def use_buttons(update: Update, context: Context, current: Turn) -> None:
    """Typing where a button is expected."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(current.t("broadcast.use_buttons"))


@turn(roles=ADMINS)
async def one_file_only(update: Update, context: Context, current: Turn) -> None:
    """More files after the first (an album): only the first goes along."""
    message = update.effective_message
    assert message is not None
    draft = _draft(context)
    album = message.media_group_id
    if album is not None and draft.get("album_warned") == album:
        return
    draft["album_warned"] = album
    await message.reply_text(current.t("broadcast.one_file_only"))


def conversation(entry: steps.Handlers) -> ConversationHandler[Any]:
    """The /umumkan conversation (`entry`: its command, from the command table)."""
    text = filters.TEXT & ~filters.COMMAND
    files = filters.PHOTO | filters.Document.ALL
    audience: list[BaseHandler[Update, Any, Any]] = [
        CallbackQueryHandler(audience_done, pattern=callbacks.pattern(PREFIX, "n")),
        CallbackQueryHandler(audience_pressed, pattern=callbacks.pattern(PREFIX, "rst")),
        MessageHandler(files, one_file_only),
        MessageHandler(text, use_buttons),
    ]
    return steps.conversation(
        "broadcast",
        entry_points=entry,
        states={
            Step.COHORT: [
                CallbackQueryHandler(cohort_chosen, pattern=callbacks.pattern(PREFIX, "c")),
                MessageHandler(text, use_buttons),
            ],
            Step.TEXT: [
                MessageHandler(text, text_received),
                MessageHandler(files, text_expected),
            ],
            Step.FILE: [
                MessageHandler(files, file_received),
                CallbackQueryHandler(file_skipped, pattern=callbacks.pattern(PREFIX, "f")),
                MessageHandler(text, file_expected),
            ],
            Step.AUDIENCE: audience,
            Step.CONFIRM: [
                CallbackQueryHandler(confirmed, pattern=callbacks.pattern(PREFIX, "k")),
                MessageHandler(files, one_file_only),
                MessageHandler(text, use_buttons),
            ],
        },
        cancel=cancel,
        fallbacks=[CallbackQueryHandler(cancel, pattern=callbacks.pattern(PREFIX, "x"))],
    )
