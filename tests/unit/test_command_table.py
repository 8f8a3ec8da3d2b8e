"""The command table is the one list of commands: each has its help text in both languages,
every command the bot registers is in it once, and button patterns come from one place."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from bot.app import register_handlers
from domain.i18n import SUPPORTED_LANGUAGES, translator
from domain.roles import Role
from handlers import callbacks, commands
from handlers.menu import Chat

ROOT = Path(__file__).resolve().parents[2]


def _flatten(handlers: list[BaseHandler[Any, Any, Any]]) -> Iterator[BaseHandler[Any, Any, Any]]:
    for handler in handlers:
        yield handler
        if isinstance(handler, ConversationHandler):
            yield from _flatten(list(handler.entry_points))
            for state in handler.states.values():
                yield from _flatten(list(state))
            yield from _flatten(list(handler.fallbacks))


@pytest.fixture(scope="module")
def registered() -> list[BaseHandler[Any, Any, Any]]:
    """Every handler the composition root registers, conversations opened up."""
    app = Application.builder().token("123:TEST").build()
    register_handlers(app)
    return list(_flatten([h for group in app.handlers.values() for h in group]))


def test_every_command_has_its_description_in_both_languages() -> None:
    for command in commands.COMMANDS:
        for language in SUPPORTED_LANGUAGES:
            assert translator(language).template(command.description_key).strip(), (
                command.name,
                language,
            )


def test_no_two_rows_claim_the_same_name() -> None:
    names = Counter(name for command in commands.COMMANDS for name in command.names)
    assert [name for name, n in names.items() if n > 1] == []


def test_every_registered_command_is_in_the_table(
    registered: list[BaseHandler[Any, Any, Any]],
) -> None:
    table = {name for command in commands.COMMANDS for name in command.names}
    seen = {name for h in registered if isinstance(h, CommandHandler) for name in h.commands}
    assert seen - table == set()
    # And the other way round: every row is registered under every one of its names.
    assert table - seen == set()


def test_private_commands_point_to_the_private_chat_from_a_group(
    registered: list[BaseHandler[Any, Any, Any]],
) -> None:
    pointer = next(
        h
        for h in registered
        if isinstance(h, CommandHandler) and getattr(h.callback, "__name__", "") == "private_only"
    )
    assert pointer.commands == frozenset(commands.names(Chat.PRIVATE))
    assert {"help", "cuti", "batal"} <= pointer.commands


def test_group_commands_are_organizers_and_never_in_a_menu() -> None:
    group_rows = [c for c in commands.COMMANDS if c.chat is Chat.GROUP]
    assert {c.name for c in group_rows} == {"hubungkan", "putuskan"}
    # Their refusal says "only the cohort's organizers": true only while they are admins'.
    assert all(c.roles == frozenset({Role.ADMIN}) for c in group_rows)


def test_no_step_by_step_command_runs_as_a_ptb_conversation(
    registered: list[BaseHandler[Any, Any, Any]],
) -> None:
    # Every form lives in the database (services/forms.py), so any instance can take its next
    # answer; a ConversationHandler would keep its state in one process's memory again.
    assert [h for h in registered if isinstance(h, ConversationHandler)] == []


def _kinds() -> set[str]:
    return {
        value
        for name, value in vars(callbacks).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"[a-z]{2}\d", value)
    }


def test_button_kinds_are_unique() -> None:
    kinds = [
        value
        for name, value in vars(callbacks).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"[a-z]{2}\d", value)
    ]
    assert len(kinds) == len(set(kinds)) == len(_kinds()) >= 20


def test_every_button_handler_matches_one_kind_of_callbacks(
    registered: list[BaseHandler[Any, Any, Any]],
) -> None:
    kinds = _kinds()
    buttons = [h for h in registered if isinstance(h, CallbackQueryHandler)]
    patterned = [h for h in buttons if h.pattern is not None]
    # Only the stale-button catch-all takes any button.
    assert len(buttons) - len(patterned) == 1
    for handler in patterned:
        assert isinstance(handler.pattern, re.Pattern)
        prefix = re.match(r"\^([a-z]{2}\d):", handler.pattern.pattern)
        assert prefix is not None and prefix.group(1) in kinds, handler.pattern.pattern


def test_patterns_are_built_only_in_callbacks() -> None:
    """No regex literal beside a prefix constant: handlers name the kind and the actions."""
    sources = [*sorted((ROOT / "handlers").glob("*.py")), ROOT / "bot" / "app.py"]
    written = re.compile(r"""pattern\s*=\s*r?f?["']|re\.compile\(\s*r?f?["']\^""")
    offenders = [
        f"{path.name}:{n}"
        for path in sources
        if path.name != "callbacks.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if written.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("kind", "actions", "data", "matches"),
    [
        ("rp1", "", "rp1:n:0", True),
        ("rp1", "n", "rp1:n:0", True),
        ("rp1", "nk", "rp1:k:12", True),
        ("rp1", "n", "rp1:m:12", False),
        ("pg1", "l", "pg1:l", True),
        ("pg1", "l", "pg1:lx", False),
        ("rp1", "n", "rp1x:n:1", False),
    ],
)
def test_a_pattern_takes_its_kind_and_actions_only(
    kind: str, actions: str, data: str, matches: bool
) -> None:
    assert bool(callbacks.pattern(kind, actions).match(data)) is matches


def test_a_bad_kind_or_action_is_refused_at_start() -> None:
    with pytest.raises(ValueError):
        callbacks.pattern("rp1:", "n")
    with pytest.raises(ValueError):
        callbacks.pattern("rp1", "n]|.*")
