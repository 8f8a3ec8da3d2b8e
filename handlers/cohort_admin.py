"""/angkatan: cohorts, their stages and dates, edited step by step; /undang: invite links."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from enum import IntEnum
from functools import partial
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from domain.dates import InvalidDate, parse_user_range
from domain.i18n import format_date, format_datetime, translator
from domain.project_term import with_term
from domain.roles import Role
from domain.text import InvalidText
from handlers import callbacks, steps
from handlers.delivery import send_html
from handlers.edits import edit_buttons
from handlers.runtime import Context
from handlers.turn import Turn, escape_params, turn
from services import cohort_admin, terms
from services.cohort_admin import (
    STAGE_NAME_LIMIT,
    CohortView,
    PersonInvite,
    PersonMatch,
    StageView,
)
from services.cohorts import InviteLine
from services.errors import UserFacingError
from services.seminars import Organizer

ADMINS = frozenset({Role.ADMIN})
STAGES = callbacks.COHORT_ADMIN
INVITES = callbacks.INVITES
END = ConversationHandler.END
DRAFT = "stage_draft"
# Telegram allows 100 buttons per message.
COHORT_BUTTONS = 50

T = TypeVar("T")


class Step(IntEnum):
    NAME = 81
    DATES = 82
    CONFIRM = 83


# --- small helpers ----------------------------------------------------------------------------


def _button(kind: str, text: str, *fields: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(kind, *fields))


def _message(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


def _draft(context: Context) -> dict[str, Any]:
    return steps.draft(context, DRAFT)


def _clear(context: Context) -> None:
    steps.clear_draft(context, DRAFT)


def _pressed_id(update: Update, kind: str, action: str) -> int | None:
    """The id in a button of this kind and action, or None for anything else."""
    assert update.callback_query is not None
    fields = callbacks.unpack(update.callback_query.data, kind, 2)
    if fields is None or fields[0] != action or not fields[1].isdigit():
        return None
    return int(fields[1])


async def _refuse(update: Update, current: Turn, key: str, **params: object) -> None:
    """A toast for a button, a message for text."""
    text = current.t(key, **params)
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200], show_alert=True)
    else:
        await _message(update).reply_text(text)


async def _pressed(
    update: Update,
    current: Turn,
    kind: str,
    action: str,
    load: Callable[[int, Organizer], Awaitable[T]],
) -> T | None:
    """What a button of this kind and action names, loaded by `load` within what this admin
    runs; the press is answered, with the reason when the button is stale or refused (None)."""
    assert update.callback_query is not None
    pressed = _pressed_id(update, kind, action)
    if pressed is None:
        await _refuse(update, current, "button.stale")
        return None
    try:
        found = await load(pressed, current.organizer)
    except UserFacingError as exc:
        await _refuse(update, current, exc.key, **exc.params)
        return None
    await update.callback_query.answer()
    return found


def _day(current: Turn, d: date) -> str:
    return format_date(d, None, current.actor.language)


def _stage_line(current: Turn, stage: StageView) -> str:
    return current.t(
        "cohorts.stage",
        name=stage.name,
        start=_day(current, stage.starts_on),
        end=_day(current, stage.ends_on),
    )


def _cohort_block(current: Turn, c: CohortView) -> str:
    roles = ", ".join(
        f"{current.t(role.message_key)} {count}"
        for role in Role
        if (count := c.members.get(role, 0))
    )
    lines = [
        current.t(
            "cohorts.line",
            name=c.name,
            organizer=c.organizer or "-",
            year=c.year or "-",
            joined=c.joined,
            total=c.total,
            roles=roles or "-",
        )
    ]
    lines += [_stage_line(current, s) for s in c.stages] or [current.t("cohorts.no_stages")]
    return "\n".join(lines)


# --- /angkatan ----------------------------------------------------------------------------------


async def cohorts_command(update: Update, context: Context, current: Turn) -> None:
    """/angkatan: the cohorts this admin runs, who has joined, their stages; a button each."""
    message = _message(update)
    views = await cohort_admin.list_cohorts(current.session, current.organizer)
    if not views:
        await message.reply_text(current.t("cohorts.title") + "\n" + current.t("cohorts.none"))
        return
    blocks = [current.t("cohorts.title")]
    blocks += [_cohort_block(current, c) for c in views]
    blocks.append(current.t("cohorts.hint"))
    markup = InlineKeyboardMarkup(
        [[_button(STAGES, c.name, "c", str(c.id))] for c in views[:COHORT_BUTTONS]]
    )
    await send_html(context.bot, message.chat_id, "\n\n".join(blocks), markup)


async def _show_cohort(chat_id: int, context: Context, current: Turn, cohort_id: int) -> None:
    """One cohort's stages with their dates, a button to change each and one to add one."""
    view = await cohort_admin.cohort_detail(current.session, cohort_id, current.organizer)
    lines = [current.t("cohort.title", name=view.name)]
    lines += [_stage_line(current, s) for s in view.stages] or [current.t("cohorts.no_stages")]
    rows = [
        [_button(STAGES, current.t("cohort.button.edit", name=s.name), "e", str(s.id))]
        for s in view.stages
    ]
    rows.append([_button(STAGES, current.t("cohort.button.add"), "a", str(view.id))])
    await send_html(context.bot, chat_id, "\n".join(lines), InlineKeyboardMarkup(rows))


@turn(roles=ADMINS)
async def cohort_pressed(update: Update, context: Context, current: Turn) -> None:
    """A cohort's button under /angkatan."""
    cohort = await _pressed(
        update, current, STAGES, "c", partial(cohort_admin.managed_cohort, current.session)
    )
    if cohort is not None:
        await _show_cohort(_message(update).chat_id, context, current, cohort.id)


# --- conversation: a stage's dates, or a new stage ----------------------------------------------


async def _ask_dates(message: Message, current: Turn, name: str) -> int:
    await message.reply_text(current.t("stage.ask.dates", name=name))
    return Step.DATES


@turn(roles=ADMINS)
async def edit_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """ "Ubah <tahap>": ask for the stage's new dates."""
    _clear(context)
    stage = await _pressed(
        update, current, STAGES, "e", partial(cohort_admin.managed_stage, current.session)
    )
    if stage is None:
        return END
    _draft(context).update(
        mode="edit", cohort_id=stage.cohort_id, stage_id=stage.id, name=stage.name
    )
    message = _message(update)
    await message.reply_text(
        current.t(
            "stage.current",
            name=stage.name,
            start=_day(current, stage.starts_on),
            end=_day(current, stage.ends_on),
        )
    )
    return await _ask_dates(message, current, stage.name)


@turn(roles=ADMINS)
async def add_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """ "Tambah tahap": ask for the new stage's name."""
    _clear(context)
    cohort = await _pressed(
        update, current, STAGES, "a", partial(cohort_admin.managed_cohort, current.session)
    )
    if cohort is None:
        return END
    _draft(context).update(mode="add", cohort_id=cohort.id)
    await _message(update).reply_text(
        current.t("stage.ask.name", cohort=cohort.name, limit=STAGE_NAME_LIMIT)
    )
    return Step.NAME


@turn(roles=ADMINS)
async def name_typed(update: Update, context: Context, current: Turn) -> int | None:
    message = _message(update)
    draft = _draft(context)
    try:
        name = await cohort_admin.check_stage_name(
            current.session, draft["cohort_id"], message.text
        )
    except InvalidText as exc:
        await message.reply_text(current.t(exc.code, **exc.params))
        return None
    except UserFacingError as exc:
        await message.reply_text(current.t(exc.key, **exc.params))
        return None
    draft["name"] = name
    return await _ask_dates(message, current, name)


@turn(roles=ADMINS)
async def dates_typed(update: Update, context: Context, current: Turn) -> int | None:
    """The range as people type it, read back in full (with any overlap) before it is saved."""
    message = _message(update)
    draft = _draft(context)
    today = current.now().astimezone(current.actor.timezone).date()
    try:
        starts_on, ends_on = parse_user_range(message.text or "", today=today)
        cohort_admin.check_range(starts_on, ends_on)
    except InvalidDate as exc:
        problem = current.t(exc.code, **exc.params_for(current.actor.language))
        await message.reply_text(problem + "\n\n" + current.t("stage.example"))
        return None
    draft.update(starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    overlaps = await cohort_admin.overlapping(
        current.session,
        draft["cohort_id"],
        starts_on,
        ends_on,
        except_stage_id=draft.get("stage_id"),
    )
    lines = [
        current.t(
            "stage.confirm",
            name=draft["name"],
            start=_day(current, starts_on),
            end=_day(current, ends_on),
            days=(ends_on - starts_on).days + 1,
        )
    ]
    if overlaps:
        lines += ["", current.t("stage.overlap")]
        lines += [_stage_line(current, s) for s in overlaps]
    await message.reply_text(
        "\n".join(lines),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    _button(STAGES, current.t("stage.button.save"), "s", "y"),
                    _button(STAGES, current.t("stage.button.change"), "s", "u"),
                    _button(STAGES, current.t("stage.button.cancel"), "s", "x"),
                ]
            ]
        ),
    )
    return Step.CONFIRM


@turn(roles=ADMINS)
async def confirm_pressed(update: Update, context: Context, current: Turn) -> int | None:
    """Simpan / Ubah / Batal under the read-back."""
    query = update.callback_query
    assert query is not None
    fields = callbacks.unpack(query.data, STAGES, 2)
    draft = _draft(context)
    if (
        fields is None
        or fields[0] != "s"
        or fields[1] not in ("y", "u", "x")
        or "ends_on" not in draft
    ):
        await _refuse(update, current, "button.stale")
        return None
    await query.answer()
    await edit_buttons(query, None)
    message = _message(update)
    if fields[1] == "u":
        return await _ask_dates(message, current, draft["name"])
    _clear(context)
    if fields[1] == "x":
        await message.reply_text(current.t("conversation.cancelled"))
        return END
    starts_on, ends_on = (
        date.fromisoformat(draft["starts_on"]),
        date.fromisoformat(draft["ends_on"]),
    )
    try:
        if draft["mode"] == "edit":
            change = await cohort_admin.set_stage_dates(
                current.session,
                draft["cohort_id"],
                draft["stage_id"],
                starts_on,
                ends_on,
                current.now(),
                current.actor.person_id,
                every_cohort=current.actor.global_admin,
            )
        else:
            change = await cohort_admin.add_stage(
                current.session,
                draft["cohort_id"],
                draft["name"],
                starts_on,
                ends_on,
                current.now(),
                current.actor.person_id,
                every_cohort=current.actor.global_admin,
            )
    except InvalidDate as exc:
        await message.reply_text(current.t(exc.code, **exc.params_for(current.actor.language)))
        return END
    except InvalidText as exc:
        await message.reply_text(current.t(exc.code, **exc.params))
        return END
    except UserFacingError as exc:
        # Another organizer added a stage by that name meanwhile, or the cohort is gone.
        await message.reply_text(current.t(exc.key, **exc.params))
        return END
    await message.reply_text(
        current.t(
            "stage.saved",
            name=change.stage.name,
            start=_day(current, change.stage.starts_on),
            end=_day(current, change.stage.ends_on),
        )
    )
    await _show_cohort(message.chat_id, context, current, change.stage.cohort_id)
    return END


# /batal drops the half-typed stage; text where a button is expected.
cancel = steps.cancel_handler(DRAFT)
use_buttons = steps.reply_handler("stage.use_buttons")


# --- /undang ------------------------------------------------------------------------------------


def _match_label(current: Turn, match: PersonMatch) -> str:
    label = f"{match.name} · {current.t(match.role.message_key)} · {match.cohort_name}"
    return label[:64]


def _link(current: Turn, line: InviteLine) -> str:
    username = current.runtime.bot_username
    return line.link(username) if username else f"/start {line.code}"


async def _offer_cohort(message: Message, current: Turn, cohort_id: int) -> None:
    """How many have not joined, and the button for the whole list."""
    invites = await cohort_admin.cohort_invites(current.session, cohort_id, current.organizer)
    if not invites.pending:
        await message.reply_text(current.t("invite.all_joined", cohort=invites.cohort_name))
        return
    await message.reply_text(
        current.t(
            "invite.cohort",
            cohort=invites.cohort_name,
            pending=len(invites.pending),
            total=invites.total,
        ),
        reply_markup=InlineKeyboardMarkup(
            [[_button(INVITES, current.t("invite.button.all"), "a", str(cohort_id))]]
        ),
    )


async def invite_command(update: Update, context: Context, current: Turn) -> None:
    """/undang: pick a cohort for everyone's links; /undang <NIP or name>: one person's link."""
    message = _message(update)
    by = current.organizer
    query = " ".join(context.args or [])
    if query:
        matches = await cohort_admin.find_people(current.session, query, by)
        if not matches:
            await message.reply_text(current.t("invite.no_match", query=query[:60]))
        elif len(matches) == 1:
            invite = await cohort_admin.person_invite(
                current.session, matches[0].person_id, by, current.now()
            )
            await _send_person(message, current, invite)
        else:
            shown = matches[: cohort_admin.MATCH_LIMIT]
            key = "invite.many" if len(matches) == len(shown) else "invite.too_many"
            await message.reply_text(
                current.t(key, count=len(matches), shown=len(shown)),
                reply_markup=InlineKeyboardMarkup(
                    [
                        [_button(INVITES, _match_label(current, m), "p", str(m.person_id))]
                        for m in shown
                    ]
                ),
            )
        return
    cohorts = await cohort_admin.list_cohorts(current.session, by)
    if not cohorts:
        await message.reply_text(current.t("cohorts.none"))
    elif len(cohorts) == 1:
        await _offer_cohort(message, current, cohorts[0].id)
    else:
        await message.reply_text(
            current.t("invite.ask.cohort"),
            reply_markup=InlineKeyboardMarkup(
                [[_button(INVITES, c.name, "c", str(c.id))] for c in cohorts[:COHORT_BUTTONS]]
            ),
        )


@turn(roles=ADMINS)
async def invite_cohort_pressed(update: Update, context: Context, current: Turn) -> None:
    cohort = await _pressed(
        update, current, INVITES, "c", partial(cohort_admin.managed_cohort, current.session)
    )
    if cohort is not None:
        await _offer_cohort(_message(update), current, cohort.id)


@turn(roles=ADMINS)
async def invite_all_pressed(update: Update, context: Context, current: Turn) -> None:
    """ "Semua yang belum bergabung": the list to forward, in as many messages as it takes."""
    load = partial(cohort_admin.pending_invites, current.session, now=current.now())
    invites = await _pressed(update, current, INVITES, "a", load)
    if invites is None:
        return
    message = _message(update)
    if not invites.pending:
        await message.reply_text(current.t("invite.all_joined", cohort=invites.cohort_name))
        return
    await message.reply_text(
        current.t("invite.list.intro", cohort=invites.cohort_name, count=len(invites.pending))
    )
    entries = [
        current.t(
            "invite.list.entry",
            name=line.name,
            role=current.t(line.role.message_key),
            link=_link(current, line),
        )
        for line in invites.pending
    ]
    body = (
        current.t("invite.list.header", cohort=invites.cohort_name) + "\n\n" + "\n\n".join(entries)
    )
    await send_html(context.bot, message.chat_id, body)


@turn(roles=ADMINS)
async def invite_person_pressed(update: Update, context: Context, current: Turn) -> None:
    """One of several people found by /undang <name>."""
    load = partial(cohort_admin.person_invite, current.session, now=current.now())
    invite = await _pressed(update, current, INVITES, "p", load)
    if invite is not None:
        await _send_person(_message(update), current, invite)


async def _send_person(message: Message, current: Turn, invite: PersonInvite) -> None:
    """Who it is and, unless they have joined, an invitation in their language to forward."""
    line = invite.line
    role = current.t(line.role.message_key)
    if line.joined:
        at = (
            format_datetime(invite.joined_at, current.actor.timezone, current.actor.language)
            if invite.joined_at is not None
            else "-"
        )
        await message.reply_text(
            current.t("invite.joined", name=line.name, role=role, cohort=invite.cohort_name, at=at)
        )
        return
    await message.reply_text(
        current.t("invite.person.intro", name=line.name, role=role, cohort=invite.cohort_name)
    )
    # The invitation speaks to the invitee, so it is written in their language.
    term = await terms.cohort_term(current.session, invite.cohort_id)
    theirs = with_term(translator(invite.language), term)
    text = theirs(
        "invite.person.text",
        **escape_params(
            {
                "address": theirs(f"address.{invite.salutation}", name=line.name),
                "role": theirs(line.role.message_key),
                "cohort": invite.cohort_name,
                "link": _link(current, line),
            }
        ),
    )
    await message.reply_text(text)


# --- registration --------------------------------------------------------------------------------


def conversation(entry: steps.Handlers = ()) -> ConversationHandler:  # type: ignore[type-arg]
    """Changing a stage's dates or adding a stage, from the buttons under /angkatan."""
    text = filters.TEXT & ~filters.COMMAND
    return steps.conversation(
        "cohort_stage",
        entry_points=[
            *entry,
            CallbackQueryHandler(edit_pressed, pattern=callbacks.pattern(STAGES, "e")),
            CallbackQueryHandler(add_pressed, pattern=callbacks.pattern(STAGES, "a")),
        ],
        states={
            Step.NAME: [MessageHandler(text, name_typed)],
            Step.DATES: [MessageHandler(text, dates_typed)],
            Step.CONFIRM: [
                CallbackQueryHandler(confirm_pressed, pattern=callbacks.pattern(STAGES, "s")),
                MessageHandler(text, use_buttons),
            ],
        },
        cancel=cancel,
        # Another "Ubah" or "Tambah tahap" button starts over with that stage.
        allow_reentry=True,
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The buttons under /angkatan and /undang (the commands are rows of the command table)."""
    return [
        CallbackQueryHandler(cohort_pressed, pattern=callbacks.pattern(STAGES, "c")),
        CallbackQueryHandler(invite_cohort_pressed, pattern=callbacks.pattern(INVITES, "c")),
        CallbackQueryHandler(invite_all_pressed, pattern=callbacks.pattern(INVITES, "a")),
        CallbackQueryHandler(invite_person_pressed, pattern=callbacks.pattern(INVITES, "p")),
    ]
