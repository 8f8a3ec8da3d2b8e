"""The actor's query reads their open form ahead: a form step's `load` runs no statement of
its own, and what it returns is what a fresh read returns (services/forms.py `read_ahead`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.enums import Channel
from models import FormState, Person
from models.db import session_factory
from services import forms
from services.forms import OpenForm
from services.people import Actor, load_actor
from tests.factories import import_roster, telegram_account

BUDI_USER = 4242
STRANGER_USER = 777


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def actor_of(session: AsyncSession, user_id: int) -> Actor:
    return await load_actor(
        session,
        Channel.TELEGRAM,
        str(user_id),
        global_admin=False,
        default_language="id",
        default_zone=ZoneInfo("Asia/Jakarta"),
        language_hint=None,
        display_name="Someone",
    )


@pytest.fixture
async def budi(engine: AsyncEngine, now: datetime) -> AsyncIterator[int]:
    """Budi joined on Telegram, with an open form."""
    team = await import_roster(engine, now)
    async with session_factory(engine)() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.nip == team["budi"].nip))
        assert person is not None
        account = telegram_account(BUDI_USER)
        account.person_id = person.id
        session.add(account)
        await session.flush()
        draft = {"milestone_id": 7, "text": "Rapat koordinasi"}
        await forms.save(session, person.id, OpenForm("report", "evidence", draft, "tok1"), now)
        person_id = person.id
    yield person_id


async def test_a_form_step_reads_the_form_with_the_actor(
    engine: AsyncEngine, now: datetime, budi: int
) -> None:
    async with session_factory(engine)() as session, session.begin():
        fresh = await forms.load(session, budi, now)
    async with session_factory(engine)() as session, session.begin():
        actor = await actor_of(session, BUDI_USER)
        with statements(engine) as seen:
            state = await forms.load(session, budi, now)
    assert actor.person_id == budi
    assert seen == []
    assert state == fresh and state is not None
    assert (state.form, state.step, state.token) == ("report", "evidence", "tok1")
    assert state.draft == {"milestone_id": 7, "text": "Rapat koordinasi"}


async def test_after_a_save_the_form_is_read_again(
    engine: AsyncEngine, now: datetime, budi: int
) -> None:
    """A form saved before any load (a command that opens a new one) is not shadowed by
    the row read before it."""
    async with session_factory(engine)() as session, session.begin():
        await actor_of(session, BUDI_USER)
        opened = OpenForm("report", "milestone", {}, "tok2")
        await forms.save(session, budi, opened, now)
        with statements(engine) as seen:
            again = await forms.load(session, budi, now)
    assert len(seen) == 1
    assert again is not None and (again.step, again.token) == ("milestone", "tok2")


async def test_the_read_ahead_is_taken_once(engine: AsyncEngine, now: datetime, budi: int) -> None:
    async with session_factory(engine)() as session, session.begin():
        await actor_of(session, BUDI_USER)
        await forms.load(session, budi, now)
        with statements(engine) as seen:
            await forms.load(session, budi, now)
    assert len(seen) == 1


async def test_an_expired_form_read_ahead_is_still_dropped(
    engine: AsyncEngine, now: datetime, budi: int
) -> None:
    later = now + forms.FORM_LIFETIME + timedelta(minutes=1)
    async with session_factory(engine)() as session, session.begin():
        await actor_of(session, BUDI_USER)
        assert await forms.load(session, budi, later) is None
    async with session_factory(engine)() as session:
        assert await session.scalar(select(FormState)) is None


async def test_no_open_form_reads_as_none_without_a_statement(
    engine: AsyncEngine, now: datetime, budi: int
) -> None:
    async with session_factory(engine)() as session, session.begin():
        await forms.discard(session, budi)
    async with session_factory(engine)() as session, session.begin():
        await actor_of(session, BUDI_USER)
        with statements(engine) as seen:
            assert await forms.load(session, budi, now) is None
    assert seen == []


async def test_another_persons_form_is_read_from_the_database(
    engine: AsyncEngine, now: datetime, budi: int
) -> None:
    async with session_factory(engine)() as session, session.begin():
        stranger = await actor_of(session, STRANGER_USER)
        assert stranger.person_id is None
        with statements(engine) as seen:
            state = await forms.load(session, budi, now)
    assert len(seen) == 1 and state is not None and state.step == "evidence"
