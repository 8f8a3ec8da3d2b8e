"""One row of the command table is all a command is: changing a row changes who may use it,
the menus, /bantuan, the group pointer and whether the bot answers it at all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot, running_bot
from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import FakeTelegram
from handlers import commands
from handlers.menu import ADVISORS
from tests.factories import import_roster
from tests.integration.helpers import press, say, text

GROUP = -100777


@pytest.fixture
def changed_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """/profil for mentors and coaches only, also as /saya; /dataku offered on no channel."""
    rows = []
    for row in commands.COMMANDS:
        if row.name == "profil":
            row = replace(row, names=("profil", "saya"), roles=ADVISORS)
        elif row.name == "dataku":
            row = replace(row, channels=frozenset())
        rows.append(row)
    monkeypatch.setattr(commands, "COMMANDS", tuple(rows))


@pytest.fixture
async def bot(
    changed_table: None,
    telegram: FakeTelegram,
    settings: Settings,
    clock: ManualClock,
    engine: AsyncEngine,
) -> AsyncIterator[RunningBot]:
    """The bot built from the changed table."""
    async with running_bot(telegram, settings, clock=clock, engine=engine) as running:
        yield running


async def join(bot: RunningBot, telegram: FakeTelegram, user_id: int, code: str) -> Any:
    user = telegram.user(user_id, f"User{user_id}")
    consent = await say(bot, user, f"/start {code}")
    await press(bot, user, consent, "Setuju")
    return user


def listed(message: Any) -> set[str]:
    return {line.split()[0] for line in message.plain.splitlines() if line.startswith("/")}


async def test_a_changed_row_changes_access_menus_help_and_the_group_pointer(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)

    # The participant lost /profil: refused at entry, gone from /bantuan and the menu.
    assert (await say(bot, budi, "/profil")).plain == text(
        "access.role_required", roles="Mentor, Coach"
    )
    assert "/profil" not in listed(await say(bot, budi, "/bantuan"))
    assert "profil" not in dict(telegram.menu_for(1001))

    # The mentor has it, under its new alias too.
    assert (await say(bot, bambang, "/saya")).plain.startswith(text("profile.title"))
    assert "/profil" in listed(await say(bot, bambang, "/bantuan"))
    assert dict(telegram.menu_for(1005))["profil"] == text("command.profil")

    # A command no channel offers is not there at all.
    assert (await say(bot, budi, "/dataku")).plain == text("command.unknown")
    assert "/dataku" not in listed(await say(bot, bambang, "/bantuan"))
    assert "dataku" not in dict(telegram.menu_for(1005))

    # In a group the new alias is a private command like the others: a pointer, no data.
    group = telegram.group(GROUP, "Angkatan XXXVII")
    bambang.send("/saya", chat=group)
    await bot.settle()
    assert group.last.plain == text("group.private_only")
