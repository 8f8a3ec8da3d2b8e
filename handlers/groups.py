"""The bot in group chats: organizers link a group to a cohort; private commands are sent to
the private chat, so nobody's personal data or progress ever shows in a group."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from domain import markup
from domain.enums import Channel
from domain.i18n import Translator, translator
from domain.roles import Role
from handlers import callbacks
from handlers.edits import edit_text
from handlers.identity import load_telegram_actor
from handlers.runtime import Context, Runtime
from handlers.turn import tell
from services import groups
from services.errors import UserFacingError
from services.groups import CohortChoice, GroupChat, LinkOutcome
from services.people import Actor, language_for_stranger

log = logging.getLogger(__name__)

PREFIX = callbacks.GROUP_LINK
# The group commands (rows of the command table). Every private command of the table gets a
# pointer to the private chat in a group instead of an answer; these get one to the group in
# a private chat.
LINK = "hubungkan"
UNLINK = "putuskan"


def _t(language: str, key: str, **params: object) -> str:
    return translator(language)(key, **markup.escape_params(params))


# Not @turn: in a group that decorator would record the group as an admin's private chat on
# first contact (ensure_admin_person takes the chat of the update). Here nothing is written
# about the person; the actor is only read to check the role.
GroupBody = Callable[[Update, Context, AsyncSession, Actor, Runtime], Awaitable[None]]
GroupCallback = Callable[[Update, Context], Coroutine[Any, Any, None]]


def in_group(roles: frozenset[Role] | None = None) -> Callable[[GroupBody], GroupCallback]:
    """The session and the actor for a body answering in a group; with `roles`, who lacks
    them is told that only organizers manage the group (the group commands' role check, with
    the roles of their command-table rows)."""

    def decorate(body: GroupBody) -> GroupCallback:
        @functools.wraps(body)
        async def wrapper(update: Update, context: Context) -> None:
            user = update.effective_user
            if user is None or update.effective_chat is None:
                return
            runtime = Runtime.of(context.application)
            async with runtime.sessions() as session, session.begin():
                actor = await load_telegram_actor(session, runtime, user)
                if roles is not None and not actor.has_any(roles):
                    await tell(update, _t(actor.language, "group.admin_only"))
                    return
                await body(update, context, session, actor, runtime)

        return wrapper

    return decorate


async def _cohorts(session: AsyncSession, actor: Actor, runtime: Runtime) -> list[CohortChoice]:
    if Role.ADMIN not in actor.roles:
        return []
    return await groups.administered_cohorts(
        session, actor.person_id, global_admin=actor.global_admin
    )


def _keyboard(choices: list[CohortChoice]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(c.name, callback_data=callbacks.pack(PREFIX, "l", str(c.id)))]
            for c in choices
        ]
    )


async def _link(
    session: AsyncSession, actor: Actor, runtime: Runtime, update: Update, cohort: CohortChoice
) -> str:
    chat = update.effective_chat
    assert chat is not None
    result = await groups.link_group(
        session,
        cohort_id=cohort.id,
        chat=group_chat(chat.id),
        title=chat.title,
        by_person_id=actor.person_id,
        now=runtime.clock.now(),
    )
    if result.outcome is LinkOutcome.MOVED:
        return _t(
            actor.language,
            "group.moved",
            cohort=result.cohort_name,
            previous=result.previous_cohort_name or "-",
        )
    if result.outcome is LinkOutcome.UNCHANGED:
        return _t(actor.language, "group.already_linked", cohort=result.cohort_name)
    return _t(actor.language, "group.linked", cohort=result.cohort_name)


async def link_command(
    update: Update, context: Context, session: AsyncSession, actor: Actor, runtime: Runtime
) -> None:
    """/hubungkan [cohort name] in a group: link it, or offer the organizer's cohorts."""
    message = update.effective_message
    assert message is not None
    choices = await _cohorts(session, actor, runtime)
    if not choices:
        await message.reply_text(_t(actor.language, "group.no_cohorts"))
        return
    typed = " ".join(context.args or [])
    found = groups.match_cohort(choices, typed) if typed else []
    if len(found) == 1:
        # The reply is sent inside the transaction: a bot that may not post here makes it
        # fail, and the link is rolled back rather than pointing at a chat we cannot reach.
        await message.reply_text(await _link(session, actor, runtime, update, found[0]))
        return
    if typed and not found:
        text = _t(actor.language, "group.cohort_not_found", name=typed)
        await message.reply_text(
            text + "\n\n" + _t(actor.language, "group.choose_cohort"),
            reply_markup=_keyboard(choices),
        )
        return
    await message.reply_text(
        _t(actor.language, "group.choose_cohort"), reply_markup=_keyboard(found or choices)
    )


@in_group()
async def link_pressed(
    update: Update, context: Context, session: AsyncSession, actor: Actor, runtime: Runtime
) -> None:
    """A cohort button under /hubungkan: anyone in the group can press, so check again."""
    query = update.callback_query
    assert query is not None
    fields = callbacks.unpack(query.data, PREFIX, 2)
    if fields is None or fields[0] != "l" or not fields[1].isdigit():
        await query.answer(_t(actor.language, "button.stale"), show_alert=True)
        return
    if Role.ADMIN not in actor.roles:
        await query.answer(_t(actor.language, "group.admin_only"), show_alert=True)
        return
    chosen = next(
        (c for c in await _cohorts(session, actor, runtime) if c.id == int(fields[1])), None
    )
    if chosen is None:
        await query.answer(_t(actor.language, "broadcast.error.not_allowed"), show_alert=True)
        return
    try:
        text = await _link(session, actor, runtime, update, chosen)
    except UserFacingError as exc:
        await query.answer(_t(actor.language, exc.key, **exc.params), show_alert=True)
        return
    await query.answer()
    await edit_text(query, text)


async def unlink_command(
    update: Update, context: Context, session: AsyncSession, actor: Actor, runtime: Runtime
) -> None:
    """/putuskan in a group: announcements stop going there."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    linked = await groups.linked_cohort(session, group_chat(chat.id))
    if linked is None:
        await message.reply_text(_t(actor.language, "group.not_linked"))
        return
    if linked.id not in {c.id for c in await _cohorts(session, actor, runtime)}:
        await message.reply_text(_t(actor.language, "broadcast.error.not_allowed"))
        return
    name = await groups.unlink_group(
        session, group_chat(chat.id), by_person_id=actor.person_id, now=runtime.clock.now()
    )
    await message.reply_text(_t(actor.language, "group.unlinked", cohort=name or linked.name))


def group_chat(chat_id: int) -> GroupChat:
    """A Telegram group as the core names it."""
    return GroupChat(Channel.TELEGRAM, str(chat_id))


def private_button(t: Translator, username: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t("group.button.open_private"), url=f"https://t.me/{username}")]]
    )


async def private_only(update: Update, context: Context) -> None:
    """A private command sent in a group: a pointer to the private chat, nothing else.

    No database is read, so nothing about anyone can leak into the group by mistake.
    """
    message = update.effective_message
    if message is None:
        return
    runtime = Runtime.of(context.application)
    user = update.effective_user
    language = language_for_stranger(user.language_code if user else None, runtime.default_language)
    t = translator(language)
    username = runtime.bot_username or context.bot.username
    await message.reply_text(t("group.private_only"), reply_markup=private_button(t, username))


async def group_command_in_private(update: Update, context: Context) -> None:
    """/hubungkan or /putuskan in the private chat: they belong in the group."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    runtime = Runtime.of(context.application)
    user = update.effective_user
    language = language_for_stranger(user.language_code if user else None, runtime.default_language)
    async with runtime.sessions() as session:
        if user is not None:
            person = await load_telegram_actor(session, runtime, user)
            language = person.language
    command = message.text.split(maxsplit=1)[0].lstrip("/").split("@")[0]
    await message.reply_text(_t(language, "group.in_private", command=command))


class _GroupMembershipHandler(ChatMemberHandler):  # type: ignore[type-arg]
    """The bot's own membership changing in a group; private ones (a user blocking the bot)
    are left for whatever handles those."""

    def check_update(self, update: object) -> bool:
        if not super().check_update(update):
            return False
        assert isinstance(update, Update)
        chat = update.effective_chat
        return chat is not None and chat.type != chat.PRIVATE


async def bot_membership_changed(update: Update, context: Context) -> None:
    """Removed from a group (or lost the right to post): announcements stop going there."""
    change = update.my_chat_member
    if change is None:
        return
    member = change.new_chat_member
    gone = member.status in (ChatMember.LEFT, ChatMember.BANNED) or (
        member.status == ChatMember.RESTRICTED and not getattr(member, "can_send_messages", True)
    )
    if not gone:
        return
    runtime = Runtime.of(context.application)
    async with runtime.sessions() as session, session.begin():
        name = await groups.unlink_group(
            session,
            group_chat(change.chat.id),
            by_person_id=None,
            now=runtime.clock.now(),
            reason="removed",
        )
    if name is not None:
        log.info("bot removed from group %s: unlinked from cohort %s", change.chat.id, name)


async def chat_migrated(update: Update, context: Context) -> None:
    """A group upgraded to a supergroup gets a new chat id: the link follows it."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    runtime = Runtime.of(context.application)
    async with runtime.sessions() as session, session.begin():
        if await groups.move_chat(session, group_chat(old), str(new)):
            log.info("group %s became supergroup %s; link moved", old, new)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Group-chat handlers besides the commands (the command table brings those, and the
    pointers). Register them in group 0 BEFORE the private-chat handlers: the catch-alls there
    (unknown command, stale button) would otherwise answer first."""
    return [
        CallbackQueryHandler(link_pressed, pattern=callbacks.pattern(PREFIX)),
        MessageHandler(filters.StatusUpdate.MIGRATE, chat_migrated),
        _GroupMembershipHandler(bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
