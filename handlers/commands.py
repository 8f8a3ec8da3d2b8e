"""The command table: every command of the bot in one row (names, roles, channels, handler, the
conversation it opens; the help text is `command.<name>` in the catalogs). Registration, the
per-role menus, /bantuan, the group pointers and the role check at entry all read it, so a new
command is one row here (and its `command.<name>` text in both languages)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, filters

from domain.enums import Channel
from domain.roles import Role
from handlers import (
    broadcast,
    cohort_admin,
    dashboard,
    export,
    fallback,
    feedback,
    groups,
    info,
    onboarding,
    personal_data,
    portfolio,
    preferences,
    project,
    recap,
    report,
    scoring,
    seminar,
    seminar_materials,
    status,
    steps,
    vacation,
)
from handlers.menu import (
    ADMINS,
    ADVISORS,
    EVERYONE,
    MEMBERS,
    PARTICIPANTS,
    Chat,
    Command,
    Conversation,
)
from handlers.turn import turn

# Menu and /bantuan order.
COMMANDS: tuple[Command, ...] = (
    # Help and a fresh invite code are never "busy", even in the middle of a conversation.
    Command(("start",), EVERYONE, onboarding.start, interrupts=True),
    Command(("bantuan", "help"), EVERYONE, info.help_command, interrupts=True),
    Command(("lapor",), PARTICIPANTS, report.start),
    Command(("status",), PARTICIPANTS, status.status_command),
    Command(("proyek",), PARTICIPANTS, project.project_command),
    Command(("portofolio",), PARTICIPANTS, portfolio.portfolio_command),
    Command(
        ("bahan",),
        PARTICIPANTS,
        seminar_materials.materials_command,
        conversation=seminar_materials.materials_conversation,
    ),
    Command(("nilai",), frozenset({Role.ADMIN, Role.PARTICIPANT}), scoring.results_command),
    Command(("peserta",), ADVISORS, status.advisees_command),
    Command(("rekap",), ADVISORS | ADMINS, recap.recap_command),
    Command(("jadwal",), MEMBERS, seminar.agenda_command),
    # A reminder pause; /cuti still works but reads as personnel leave, so the menu says /jeda.
    Command(("jeda", "cuti"), ADVISORS | PARTICIPANTS, vacation.cuti_command),
    Command(("angkatan",), ADMINS, cohort_admin.cohorts_command),
    Command(("undang",), ADMINS, cohort_admin.invite_command),
    Command(("seminar",), ADMINS, seminar.start, conversation=seminar.conversation),
    Command(("umumkan",), ADMINS, broadcast.start, conversation=broadcast.conversation),
    Command(("ekspor",), ADMINS, export.export_command),
    Command(
        ("penguji",),
        frozenset({Role.EXAMINER}),
        scoring.examiner_command,
        conversation=scoring.conversation,
    ),
    Command(("dasbor",), MEMBERS, dashboard.dashboard_command),
    Command(("profil",), MEMBERS, info.profile_command),
    Command(("dataku",), MEMBERS, personal_data.my_data_command),
    Command(("bahasa",), MEMBERS, preferences.choose_language),
    Command(("zona",), MEMBERS, preferences.choose_zone),
    # Inside a conversation each conversation's own /batal answers; this one says there is
    # nothing to cancel, to anyone (strangers' menus leave it out: they have nothing open).
    Command((steps.CANCEL_COMMAND,), MEMBERS, fallback.nothing_to_cancel, gated=False),
    Command((groups.LINK,), ADMINS, groups.link_command, chat=Chat.GROUP),
    Command((groups.UNLINK,), ADMINS, groups.unlink_command, chat=Chat.GROUP),
)

# Every conversation, in registration order. A person can be in two at once (a button of one
# pressed while another waits for text); the first one listed then takes the typed answers.
CONVERSATIONS: tuple[Conversation, ...] = (
    feedback.conversation,
    project.conversation,
    seminar.conversation,
    seminar_materials.materials_conversation,
    seminar_materials.attendance_conversation,
    scoring.conversation,
    broadcast.conversation,
    cohort_admin.conversation,
)

Handlers = list[BaseHandler[Any, Any, Any]]


def rows(channel: Channel = Channel.TELEGRAM) -> list[Command]:
    """The table's rows this channel offers."""
    return [c for c in COMMANDS if channel in c.channels]


def entry_callback(command: Command) -> Callable[..., Any]:
    """The row's body behind the row's access check: the one role check at a command's entry."""
    if command.chat is Chat.GROUP:
        return groups.in_group(command.roles)(command.run)
    if command.roles is None or not command.gated:
        return turn(members_only=False)(command.run)
    if command.roles == MEMBERS:
        # Any joined person: strangers are asked to join rather than told a role is missing.
        return turn()(command.run)
    return turn(roles=command.roles)(command.run)


def command_handler(command: Command) -> CommandHandler[Any, Any]:
    where = filters.ChatType.GROUPS if command.chat is Chat.GROUP else filters.ChatType.PRIVATE
    return CommandHandler(list(command.names), entry_callback(command), filters=where)


def names(chat: Chat, channel: Channel = Channel.TELEGRAM) -> list[str]:
    """Every name and alias of the commands answered in this kind of chat."""
    return [name for c in rows(channel) if c.chat is chat for name in c.names]


def group_handlers() -> Handlers:
    """The group commands, and the pointers: a private command in a group is sent to the
    private chat (nothing read, nothing shown there), a group command in private to the group."""
    return [
        *(command_handler(c) for c in rows() if c.chat is Chat.GROUP),
        CommandHandler(
            names(Chat.GROUP), groups.group_command_in_private, filters=filters.ChatType.PRIVATE
        ),
        CommandHandler(names(Chat.PRIVATE), groups.private_only, filters=filters.ChatType.GROUPS),
    ]


def conversations(factories: Iterable[Conversation] = CONVERSATIONS) -> Handlers:
    """Each conversation with the commands of the table that open it as entry points."""
    factories = tuple(factories)
    stray = [c.name for c in rows() if c.conversation and c.conversation not in factories]
    if stray:
        raise ValueError(f"commands open a conversation that is not registered: {stray}")
    built: Handlers = []
    for factory in factories:
        entry: Sequence[BaseHandler[Any, Any, Any]] = [
            command_handler(c) for c in rows() if c.conversation is factory
        ]
        handler: ConversationHandler[Any] = factory(entry)
        built.append(handler)
    return built


def private_commands(*, interrupts: bool) -> Handlers:
    """The private commands that open no conversation: those answered even in the middle of a
    conversation (`interrupts`), or the others, which conversations answer "busy" first."""
    return [
        command_handler(c)
        for c in rows()
        if c.chat is Chat.PRIVATE and c.conversation is None and c.interrupts is interrupts
    ]
