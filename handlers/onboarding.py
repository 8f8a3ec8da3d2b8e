"""Joining: /start with an invite code, consent under UU 27/2022, binding the account."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from domain.i18n import format_datetime
from handlers import callbacks, report
from handlers.edits import edit_text
from handlers.identity import load_telegram_actor
from handlers.menu import publish_menu
from handlers.runtime import Context
from handlers.turn import Safe, Turn, turn
from services import onboarding
from services.onboarding import AlreadyJoined, CodeRefused, CodeValid, Joined, Refusal


def _greeting(current: Turn) -> str:
    actor = current.actor
    role = actor.main_role
    return current.t(
        "start.welcome_first" if actor.first_contact else "start.welcome_back",
        person=Safe(current.t(f"address.{actor.salutation}", name=actor.name)),
        role=current.t(role.message_key) if role else "-",
    )


async def start(update: Update, context: Context, current: Turn) -> None:
    """/start, with or without a deep-link code."""
    message = update.effective_message
    assert message is not None
    if context.args:
        await _answer_code(update, current, " ".join(context.args))
    elif current.actor.is_known:
        await message.reply_text(_greeting(current))
        assert update.effective_chat is not None
        await publish_menu(context.bot, update.effective_chat.id, current.actor)
    else:
        await message.reply_text(current.t("start.ask_code"))


@turn(members_only=False)
async def code_text(update: Update, context: Context, current: Turn) -> None:
    """A stranger's plain text is taken as an invite code; a member's is offered as a report."""
    message = update.effective_message
    assert message is not None and message.text is not None
    if current.actor.is_known:
        await report.offer_to_save(update, context, current)
        return
    await _answer_code(update, current, message.text)


async def _answer_code(update: Update, current: Turn, raw_code: str) -> None:
    message = update.effective_message
    assert message is not None
    result = await onboarding.check_code(
        current.session,
        current.actor.account,
        raw_code,
        now=current.now(),
        limits=current.runtime.guess_limits,
    )
    if isinstance(result, CodeValid):
        await message.reply_text(
            current.t("consent.text", name=result.person_name),
            reply_markup=_consent_keyboard(current, result),
        )
    elif isinstance(result, AlreadyJoined):
        await message.reply_text(_greeting(current))
    else:
        await message.reply_text(_refusal_text(current, result))


def _consent_keyboard(current: Turn, valid: CodeValid) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    current.t("consent.agree"),
                    callback_data=callbacks.pack(callbacks.CONSENT, "y", valid.code),
                ),
                InlineKeyboardButton(
                    current.t("consent.decline"),
                    callback_data=callbacks.pack(callbacks.CONSENT, "n", valid.code),
                ),
            ]
        ]
    )


def _refusal_text(current: Turn, refusal: CodeRefused) -> str:
    if refusal.reason is Refusal.LOCKED:
        assert refusal.locked_until is not None
        until = format_datetime(
            refusal.locked_until, current.actor.timezone, current.actor.language
        )
        return current.t("code.locked", until=until)
    if refusal.reason is Refusal.USED:
        return current.t("code.used")
    if refusal.reason is Refusal.ACCOUNT_BOUND:
        return current.t("code.account_bound")
    if refusal.reason is Refusal.CHANNEL_TAKEN:
        return current.t("accounts.channel_taken")
    return current.t("code.unknown", left=refusal.attempts_left or 0)


@turn(members_only=False)
async def consent_answer(update: Update, context: Context, current: Turn) -> None:
    """The "Setuju" / "Tidak setuju" buttons under the consent text."""
    query = update.callback_query
    assert query is not None
    fields = callbacks.unpack(query.data, callbacks.CONSENT, 2)
    if fields is None or fields[0] not in ("y", "n"):
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    choice, code = fields
    if choice == "n":
        await query.answer()
        # Only the consent message itself turns into the answer: a forged or replayed press
        # on a photo or a relayed report gets the answer as a new message.
        await edit_text(query, current.t("consent.declined"), own_message_only=True)
        return
    assert update.effective_chat is not None
    result = await onboarding.join(
        current.session,
        current.actor.account,
        str(update.effective_chat.id),
        code,
        # Onboarding spoke the language of their Telegram app; keep speaking it.
        language=current.actor.language,
        now=current.now(),
        limits=current.runtime.guess_limits,
    )
    if isinstance(result, Joined):
        if result.waiting:
            # Announcements and notices that waited for them go out right after the join.
            current.on_commit(current.runtime.wake)
        await query.answer()
        await _welcome(update, context, current, result)
    elif isinstance(result, AlreadyJoined):
        await query.answer(current.t("code.already_joined"), show_alert=True)
    else:
        await query.answer(_refusal_text(current, result), show_alert=True)


async def _welcome(update: Update, context: Context, current: Turn, joined: Joined) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    assert update.effective_chat is not None
    chat_id = update.effective_chat.id
    actor = await load_telegram_actor(current.session, current.runtime, update.effective_user)
    current.actor = actor
    recorded = format_datetime(current.now(), actor.timezone, actor.language)
    await edit_text(query, current.t("consent.recorded", at=recorded), own_message_only=True)
    roles = "\n".join(
        current.t("start.membership_line", role=current.t(role.message_key), cohort=cohort)
        for cohort, role in joined.memberships
    )
    await context.bot.send_message(
        chat_id,
        current.t(
            "start.joined",
            person=Safe(current.t(f"address.{actor.salutation}", name=actor.name)),
            memberships=Safe(roles) or "-",
        ),
    )
    await publish_menu(context.bot, chat_id, actor)
