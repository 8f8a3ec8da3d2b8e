"""/angkatan: cohorts and their stages, on the form engine (services/cohort_admin_form.py);
/undang: invite links."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from domain import actions
from domain.i18n import Translator, format_datetime, translator
from domain.project_term import with_term
from domain.roles import Role
from handlers import callbacks
from handlers.delivery import send_html
from handlers.forms import enter
from handlers.runtime import Context
from handlers.turn import Turn, escape_params, turn
from services import cohort_admin, cohort_admin_form, terms
from services.cohort_admin import PersonInvite, PersonMatch
from services.cohorts import InviteLine, invite_links_text
from services.errors import UserFacingError
from services.forms import FormContext
from services.seminars import Organizer

ADMINS = frozenset({Role.ADMIN})
STAGES = callbacks.COHORT_ADMIN
INVITES = callbacks.INVITES
# Telegram allows 100 buttons per message.
COHORT_BUTTONS = cohort_admin_form.COHORT_BUTTONS

T = TypeVar("T")
Begin = Callable[[FormContext], Coroutine[Any, Any, None]]


# --- small helpers ----------------------------------------------------------------------------


def _button(kind: str, text: str, *fields: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(kind, *fields))


def _message(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


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


# --- /angkatan ----------------------------------------------------------------------------------


async def cohorts_command(update: Update, context: Context, current: Turn) -> None:
    """/angkatan: the cohorts this admin runs, who has joined, their stages; a button each."""
    by = current.organizer
    await enter(update, context, current, lambda c: cohort_admin_form.overview(c, by))


def opened_by(data: str | None, by: Organizer) -> Begin | None:
    """What an /angkatan button opens, or None for data that is none of them (forged, stale).
    The ids are only read here; the screens check that the organizer runs them."""
    match callbacks.unpack(data, STAGES, 2):
        case [actions.COHORT_STAGES, number] if number.isdigit():
            return lambda c: cohort_admin_form.cohort_stages(c, by, int(number))
        case [actions.EDIT_STAGE, number] if number.isdigit():
            return lambda c: cohort_admin_form.edit_stage(c, by, int(number))
        case [actions.ADD_STAGE, number] if number.isdigit():
            return lambda c: cohort_admin_form.add_stage(c, by, int(number))
    return None


@turn(roles=ADMINS)
async def stages_pressed(update: Update, context: Context, current: Turn) -> None:
    """A button under /angkatan or a cohort's stages: a screen, or the form for a stage."""
    query = update.callback_query
    assert query is not None
    begin = opened_by(query.data, current.organizer)
    if begin is None:
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    await enter(update, context, current, begin)


# --- /undang ------------------------------------------------------------------------------------


def _match_label(current: Turn, match: PersonMatch) -> str:
    label = f"{match.name} · {current.t(match.role.message_key)} · {match.cohort_name}"
    return label[:64]


def _link(current: Turn, line: InviteLine, t: Translator | None = None) -> str:
    """The person's channel's link, or each configured channel's when the roster names none;
    labels in `t`'s language (the invitee's for a forwarded invitation)."""
    runtime = current.runtime
    links = line.links(
        bot_username=runtime.bot_username, whatsapp_number=runtime.whatsapp_phone_number
    )
    if not links:
        return f"/start {line.code}"
    return invite_links_text(t or current.translator, links, separator="\n")


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
                "link": _link(current, line, theirs),
            }
        ),
    )
    await message.reply_text(text)


# --- registration --------------------------------------------------------------------------------


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The buttons under /angkatan and /undang (the commands are rows of the command table;
    the stage's read-back is the form's own)."""
    stage_actions = actions.COHORT_STAGES + actions.EDIT_STAGE + actions.ADD_STAGE
    return [
        CallbackQueryHandler(stages_pressed, pattern=callbacks.pattern(STAGES, stage_actions)),
        CallbackQueryHandler(invite_cohort_pressed, pattern=callbacks.pattern(INVITES, "c")),
        CallbackQueryHandler(invite_all_pressed, pattern=callbacks.pattern(INVITES, "a")),
        CallbackQueryHandler(invite_person_pressed, pattern=callbacks.pattern(INVITES, "p")),
    ]
