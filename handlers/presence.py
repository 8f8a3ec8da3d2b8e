"""A private chat reopened: someone unblocked the bot, so its messages reach them again."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import ChatMemberHandler

from domain.enums import Channel
from handlers.runtime import Context, Runtime
from services.people import account_of, came_back

log = logging.getLogger(__name__)


class _PrivateMembershipHandler(ChatMemberHandler):  # type: ignore[type-arg]
    """The bot's membership in a private chat: the user blocking ("kicked") or unblocking it."""

    def check_update(self, update: object) -> bool:
        if not super().check_update(update):
            return False
        assert isinstance(update, Update)
        chat = update.effective_chat
        return chat is not None and chat.type == chat.PRIVATE


async def private_chat_reopened(update: Update, context: Context) -> None:
    """Unblocked: mark the person reachable again. A block needs no handling here: the next
    message to them gets a 403, which marks them unreachable and tells the organizers."""
    change = update.my_chat_member
    if change is None or change.new_chat_member.status != ChatMember.MEMBER:
        return
    runtime = Runtime.of(context.application)
    async with runtime.sessions() as session, session.begin():
        account = await account_of(session, Channel.TELEGRAM, str(change.from_user.id))
        if account is None:
            return
        reopened = await came_back(session, account.id, str(change.chat.id), runtime.clock.now())
    if reopened:
        log.info("person %s unblocked the bot; reachable again", account.person_id)


def handlers() -> list[ChatMemberHandler]:  # type: ignore[type-arg]
    """For bot/app.py, beside the group membership handler."""
    return [_PrivateMembershipHandler(private_chat_reopened, ChatMemberHandler.MY_CHAT_MEMBER)]
