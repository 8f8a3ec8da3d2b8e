"""Which commands each role has: for /bantuan and for the per-chat command menu."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from domain.i18n import SUPPORTED_LANGUAGES, translator
from domain.roles import Role
from services.people import Actor

EVERYONE: frozenset[Role] | None = None  # also strangers
MEMBERS = frozenset(Role)
ADVISORS = frozenset({Role.MENTOR, Role.COACH})


@dataclass(frozen=True)
class Command:
    name: str
    # None: anyone, joined or not. Otherwise: people holding at least one of these roles.
    roles: frozenset[Role] | None

    @property
    def description_key(self) -> str:
        return f"command.{self.name}"


# Menu order. Later features add their commands here; nothing else lists them.
COMMANDS = (
    Command("start", EVERYONE),
    Command("bantuan", EVERYONE),
    Command("lapor", frozenset({Role.PARTICIPANT})),
    Command("status", frozenset({Role.PARTICIPANT})),
    Command("proyek", frozenset({Role.PARTICIPANT})),
    Command("portofolio", frozenset({Role.PARTICIPANT})),
    Command("bahan", frozenset({Role.PARTICIPANT})),
    Command("nilai", frozenset({Role.ADMIN, Role.PARTICIPANT})),
    Command("peserta", ADVISORS),
    Command("rekap", frozenset({Role.ADMIN, Role.MENTOR, Role.COACH})),
    Command("jadwal", MEMBERS),
    # A reminder pause; /cuti still works but reads as personnel leave, so the menu says /jeda.
    Command("jeda", frozenset({Role.PARTICIPANT, Role.MENTOR, Role.COACH})),
    Command("angkatan", frozenset({Role.ADMIN})),
    Command("undang", frozenset({Role.ADMIN})),
    Command("seminar", frozenset({Role.ADMIN})),
    Command("umumkan", frozenset({Role.ADMIN})),
    Command("ekspor", frozenset({Role.ADMIN})),
    Command("penguji", frozenset({Role.EXAMINER})),
    Command("profil", MEMBERS),
    Command("dataku", MEMBERS),
    Command("bahasa", MEMBERS),
    Command("zona", MEMBERS),
    Command("batal", MEMBERS),
)


def commands_for(actor: Actor) -> list[Command]:
    if not actor.is_known:
        return [c for c in COMMANDS if c.roles is None]
    return [c for c in COMMANDS if c.roles is None or actor.has_any(c.roles)]


def bot_commands(commands: list[Command], language: str) -> list[BotCommand]:
    t = translator(language)
    return [BotCommand(c.name, t(c.description_key)) for c in commands]


async def publish_default_menu(bot: Bot, default_language: str) -> None:
    """The menu strangers see, in the default language and in each other one."""
    public = [c for c in COMMANDS if c.roles is None]
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
