"""The command table: every command of the bot in one row (names, roles, channels, handler; the
help text is `command.<name>` in the catalogs). Registration, the
per-role menus, /bantuan, the group pointers and the role check at entry all read it, so a new
command is one row here (and its `command.<name>` text in both languages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram.ext import BaseHandler, CommandHandler, filters

from domain.enums import Channel
from domain.roles import Role
from handlers import (
    broadcast,
    cohort_admin,
    dashboard,
    export,
    fallback,
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
    vacation,
)
from handlers.forms import CANCEL_COMMAND
from handlers.menu import (
    ADMINS,
    ADVISORS,
    EVERYONE,
    MEMBERS,
    PARTICIPANTS,
    Chat,
    Command,
)
from handlers.turn import turn

# Menu and /bantuan order.
COMMANDS: tuple[Command, ...] = (
    # Help and a fresh invite code are never "busy", even in the middle of a form.
    Command(("start",), EVERYONE, onboarding.start, interrupts=True),
    Command(("bantuan", "help"), EVERYONE, info.help_command, interrupts=True),
    Command(("lapor",), PARTICIPANTS, report.start),
    Command(("status",), PARTICIPANTS, status.status_command),
    Command(("proyek",), PARTICIPANTS, project.project_command),
    Command(("portofolio",), PARTICIPANTS, portfolio.portfolio_command),
    Command(("bahan",), PARTICIPANTS, seminar_materials.materials_command),
    Command(("nilai",), frozenset({Role.ADMIN, Role.PARTICIPANT}), scoring.results_command),
    Command(("peserta",), ADVISORS, status.advisees_command),
    Command(("rekap",), ADVISORS | ADMINS, recap.recap_command),
    Command(("jadwal",), MEMBERS, seminar.agenda_command),
    # A reminder pause; /cuti still works but reads as personnel leave, so the menu says /jeda.
    Command(("jeda", "cuti"), ADVISORS | PARTICIPANTS, vacation.cuti_command),
    Command(("angkatan",), ADMINS, cohort_admin.cohorts_command),
    Command(("undang",), ADMINS, cohort_admin.invite_command),
    Command(("seminar",), ADMINS, seminar.start),
    Command(("umumkan",), ADMINS, broadcast.start),
    Command(("ekspor",), ADMINS, export.export_command),
    Command(("penguji",), frozenset({Role.EXAMINER}), scoring.examiner_command),
    Command(("dasbor",), MEMBERS, dashboard.dashboard_command),
    Command(("profil",), MEMBERS, info.profile_command),
    Command(("dataku",), MEMBERS, personal_data.my_data_command),
    Command(("bahasa",), MEMBERS, preferences.choose_language),
    Command(("zona",), MEMBERS, preferences.choose_zone),
    # With a form open the form router closes it; this one says there is nothing to cancel,
    # to anyone (strangers' menus leave it out: they have nothing open).
    Command((CANCEL_COMMAND,), MEMBERS, fallback.nothing_to_cancel, gated=False),
    Command((groups.LINK,), ADMINS, groups.link_command, chat=Chat.GROUP),
    Command((groups.UNLINK,), ADMINS, groups.unlink_command, chat=Chat.GROUP),
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


def private_commands() -> Handlers:
    """The private commands; while a form waits, the form router (group -1) answers every one
    but the `interrupts` rows "busy" before they get here."""
    return [command_handler(c) for c in rows() if c.chat is Chat.PRIVATE]
