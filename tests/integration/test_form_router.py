"""The form router: an input the open form takes is one turn (one connection, one commit);
one it leaves goes on to the other handlers, and the router's turn keeps nothing of it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from fakegram import FakeTelegram
from models import ChannelAccount, FormState
from models.db import session_factory
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import press, say, text
from tests.integration.stories import join


@dataclass
class Traffic:
    checkouts: int = 0
    commits: int = 0


@contextmanager
def update_traffic(engine: AsyncEngine) -> Iterator[Traffic]:
    """Connections and commits of the bot's handling (the test's own task, which
    waits for the bot and sends the relays it queued, is left out)."""
    seen, test_task = Traffic(), asyncio.current_task()

    def counter(name: str) -> Callable[..., None]:
        def count(*_: Any) -> None:
            if asyncio.current_task() is not test_task:
                setattr(seen, name, getattr(seen, name) + 1)

        return count

    listeners = [
        (engine.sync_engine.pool, "checkout", counter("checkouts")),
        (engine.sync_engine, "commit", counter("commits")),
    ]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    try:
        yield seen
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)


async def test_an_answer_the_form_takes_is_one_turn(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    chooser = await say(bot, budi, "/lapor")
    await press(bot, budi, chooser, chooser.button_texts[0])

    with update_traffic(engine) as traffic:
        asked = await say(bot, budi, "Sosialisasi ke 12 OPD.")

    assert "Apakah ada kendala" in asked.plain
    assert (traffic.checkouts, traffic.commits) == (1, 1)
    async with session_factory(engine)() as session:
        form = await session.scalar(select(FormState))
        assert form is not None and form.draft["text"] == "Sosialisasi ke 12 OPD."


async def test_a_message_without_an_open_form_goes_on_and_the_routers_turn_keeps_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    """Budi had blocked the bot and writes again: the router's turn (which found no form)
    marked him reachable and was rolled back; the turn that answers marks it, once."""
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    async with session_factory(engine)() as session, session.begin():
        account = await session.scalar(
            select(ChannelAccount).where(ChannelAccount.external_user_id == "1001")
        )
        assert account is not None
        account.reachable = False

    with update_traffic(engine) as traffic:
        offer = await say(bot, budi, "Hari ini MoU dengan Diskominfo ditandatangani.")

    assert offer.plain == text("report.offer_save")
    assert (traffic.checkouts, traffic.commits) == (2, 1)  # the router's turn rolled back
    async with session_factory(engine)() as session:
        account = await session.scalar(
            select(ChannelAccount).where(ChannelAccount.external_user_id == "1001")
        )
        assert account is not None and account.reachable
