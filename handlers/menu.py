"""What a row of the command table says, and what people see of the table: /bantuan and the
per-chat command menu. The table itself is handlers/commands.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from domain.enums import Channel
from domain.i18n import SUPPORTED_LANGUAGES, translator
from domain.roles import Role
from services.people import Actor

EVERYONE: frozenset[Role] | None = None  # also strangers
MEMBERS = frozenset(Role)
ADVISORS = frozenset({Role.MENTOR, Role.COACH})
ADMINS = frozenset({Role.ADMIN})
PARTICIPANTS = frozenset({Role.PARTICIPANT})
TELEGRAM = frozenset({Channel.TELEGRAM})


class Chat(StrEnum):
    """Where a command is answered."""

    # Everything about a person: only in their private chat with the bot. In a group such a
    # command gets a pointer to the private chat instead.
    PRIVATE = "private"
    # An organizer's command about the group itself (linking it to a cohort); in a private
    # chat it gets a pointer to the group. Refused with "group.admin_only".
    GROUP = "group"


@dataclass(frozen=True)
class Command:
    """One command: registration, menus, /bantuan, group pointers and the role check read it.

    `run` is the handler body without its access check: for a private command an
    `async (update, context, current: Turn)` that registration wraps in `@turn` with this row's
    roles; for a group command an `async (update, context, session, actor, runtime)` wrapped
    in `groups.in_group`. So the roles written here are the ones enforced, nowhere else.
    """

    # The name in menus and /bantuan first, then aliases that work the same.
    names: tuple[str, ...]
    # Who it is for: None for anyone, joined or not; otherwise holders of any of these roles.
    roles: frozenset[Role] | None
    run: Callable[..., Awaitable[Any]]
    # The front ends that offer it; Telegram only for now.
    channels: frozenset[Channel] = TELEGRAM
    chat: Chat = Chat.PRIVATE
    # False: the body answers anyone itself (/batal has nothing to refuse), while menus and
    # /bantuan still show it to `roles` only.
    gated: bool = True
    # Answered even while a form waits for an answer (every other command is "busy").
    interrupts: bool = False

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def description_key(self) -> str:
        return f"command.{self.name}"


def table() -> tuple[Command, ...]:
    """Every command, in menu order."""
    # Imported here, not at the top: the table names every handler module's entry, and some
    # of those modules (onboarding, preferences, /bantuan) import this one for the menus.
    from handlers.commands import COMMANDS

    return COMMANDS


def _offered(channel: Channel) -> list[Command]:
    return [c for c in table() if c.chat is Chat.PRIVATE and channel in c.channels]


def commands_for(actor: Actor, channel: Channel = Channel.TELEGRAM) -> list[Command]:
    """The private commands this person has on this channel: their /bantuan and menu."""
    mine = _offered(channel)
    if not actor.is_known:
        return [c for c in mine if c.roles is None]
    return [c for c in mine if c.roles is None or actor.has_any(c.roles)]


def bot_commands(commands: list[Command], language: str) -> list[BotCommand]:
    t = translator(language)
    return [BotCommand(c.name, t(c.description_key)) for c in commands]


async def publish_default_menu(bot: Bot, default_language: str) -> None:
    """The menu strangers see, in the default language and in each other one."""
    public = [c for c in _offered(Channel.TELEGRAM) if c.roles is None]
    await bot.set_my_commands(
        bot_commands(public, default_language), scope=BotCommandScopeDefault()
    )
    for language in SUPPORTED_LANGUAGES:
        if language != default_language:
            await bot.set_my_commands(
                bot_commands(public, language),
                scope=BotCommandScopeDefault(),
                language_code=language,
            )


async def publish_menu(bot: Bot, chat_id: int, actor: Actor) -> None:
    """This person's own menu in their chat with the bot, in their language."""
    await bot.set_my_commands(
        bot_commands(commands_for(actor), actor.language), scope=BotCommandScopeChat(chat_id)
    )
