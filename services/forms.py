"""The form engine: a person's open form loaded and saved in the update's own transaction, the
step's input handed to the form's definition, and stale buttons told apart by the step token.

A channel adapter provides a Screen (how a prompt is shown, how a press is answered, how a file
is fetched) and the texts; the forms themselves (services/report_form.py, ...) know no channel.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import Channel
from domain.forms import ChoiceInput, FormButton, Input, MediaInput, Prompt, new_token
from domain.roles import Role
from models import ChannelAccount, FormState
from services.outbox import MessageRef
from storage.evidence_store import EvidenceStore

log = logging.getLogger(__name__)

# A half-finished form waits this long for its next answer, then counts as closed.
FORM_LIFETIME = timedelta(hours=12)


class Screen(Protocol):
    """What a channel does for a form: show a prompt, answer the person, fetch a file."""

    @property
    def origin(self) -> MessageRef | None:
        """The message whose choice was pressed, when the input is a press."""

    async def show(
        self, prompt: Prompt, *, token: str | None, in_place: bool = True
    ) -> MessageRef | None:
        """Show `prompt` with its choices bound to `token`. `in_place`: after a press, the
        pressed prompt may turn into this one (one message instead of two). Returns where it
        is shown, when the channel knows."""

    async def settle(self, prompt: Prompt) -> None:
        """After a press: the pressed question stays as it read, without its buttons, where
        the channel can edit a sent message; where it cannot, the question stays as sent (its
        buttons are stale by their token) and nothing is shown again."""

    async def alert(self, text: str) -> None:
        """Tell the person something short about their last input (a refusal, "stale")."""

    async def fetch(self, media: MediaInput) -> bytes | None:
        """The bytes of a file the person sent, or None when the channel cannot give them."""


class Texts(Protocol):
    """Catalog texts in the person's language, with the channel's escaping of parameters."""

    def __call__(self, key: str, /, **params: object) -> str: ...

    def nested(self, key: str, /, **params: object) -> str:
        """A text to be placed inside another as a parameter (not escaped twice)."""


@dataclass
class OpenForm:
    """A form as the engine hands it to its definition: the step, the draft (JSON) and the
    token of the step's buttons. Changes are written when the update's step ends."""

    form: str
    step: str
    draft: dict[str, Any]
    token: str
    closed: bool = False

    def goto(self, step: str) -> None:
        """Move to `step`: a new token, so the previous step's buttons read as stale."""
        self.step = step
        self.token = new_token()


@dataclass
class FormContext:
    """One input's work on a form: the update's session, the person, the channel."""

    open_session: AsyncSession | None = field(repr=False)
    sessions: async_sessionmaker[AsyncSession] = field(repr=False)
    person_id: int
    language: str
    now: datetime
    t: Texts
    screen: Screen
    evidence_store: EvidenceStore
    max_evidence_bytes: int
    # Hooks of the adapter's transaction: after the commit (the connection back in the pool).
    on_commit: Callable[[Callable[[], None]], None]
    after_commit: Callable[[Callable[[], Awaitable[None]]], None]
    wake: Callable[[], None] = lambda: None
    state: OpenForm | None = None
    # The channel account the person is answered on (where `screen` shows things).
    account_id: int | None = None

    @property
    def session(self) -> AsyncSession:
        if self.open_session is None:
            raise RuntimeError("the update's transaction has ended")
        return self.open_session

    def open(self, form: str, step: str, draft: dict[str, Any]) -> OpenForm:
        """Open `form` at `step`, replacing whatever form was open."""
        self.state = OpenForm(form=form, step=step, draft=draft, token=new_token())
        return self.state

    def close(self) -> None:
        if self.state is not None:
            self.state.closed = True

    async def settle(self, question: Prompt) -> None:
        """The pressed `question` is answered: it loses its buttons (Screen.settle)."""
        await self.screen.settle(question)

    async def show(self, prompt: Prompt, *, in_place: bool = True) -> MessageRef | None:
        """Show a prompt whose choices answer the current step."""
        open_form = self.state is not None and not self.state.closed
        token = self.state.token if open_form and self.state is not None else None
        if token is None and any(c.action is None for c in prompt.choices):
            raise ValueError("a prompt with choices needs an open form")
        return await self.screen.show(prompt, token=token, in_place=in_place)


class Form(Protocol):
    """A form's definition: its name, who may fill it in, and its steps."""

    name: str
    roles: frozenset[Role]
    # What /batal says while it is open (a form subclassing this gets the default).
    cancelled: str = "conversation.cancelled"
    # True for a form that takes only its own buttons and lets every command pass by (the
    # offer to save a stray message); any other open form answers commands "busy".
    passive: bool = False

    def takes(self, step: str, answer: Input) -> bool:
        """Whether `step` takes this kind of input; other inputs are left to the channel's
        other handlers (a text while a button is awaited, say)."""

    async def handle(self, ctx: FormContext, answer: Input) -> None:
        """Do the step's work on `ctx.state` and show what comes next."""


class Outcome(Enum):
    HANDLED = "handled"
    STALE = "stale"  # a press on a prompt of an earlier step or a closed form
    NOT_TAKEN = "not_taken"  # the open form's step does not take this input


# The statements of every form step, built once and run with parameters: building one costs
# SQLAlchemy about twice what running it does (docs/PERFORMANCE.md). They name the tables, not
# the mapped classes: an ORM-enabled statement is copied and its cache key computed again on
# every run, which cost as much as the statement itself (a Core update 40-140 µs, the same
# ORM-enabled 90-230 µs).
_FORM = cast(Table, FormState.__table__)
_ACCOUNT = cast(Table, ChannelAccount.__table__)
# What `load` reads; the actor's query (services/people.py) reads the same columns ahead.
FORM_COLUMNS = (_FORM.c.form, _FORM.c.step, _FORM.c.draft, _FORM.c.token, _FORM.c.expires_at)
_LOAD = select(*FORM_COLUMNS).where(_FORM.c.person_id == bindparam("person_id"))
_SAVED_COLUMNS = ("form", "step", "draft", "token", "updated_at", "expires_at")
# A bound parameter of an UPDATE may not take the name of one of its table's columns.
_SAVE = (
    update(_FORM)
    .where(_FORM.c.person_id == bindparam("form_of"))
    .values({name: bindparam(f"new_{name}") for name in _SAVED_COLUMNS})
)
_PEEK = (
    select(_FORM.c.form, _FORM.c.step, _FORM.c.draft, _FORM.c.token)
    .join(_ACCOUNT, _ACCOUNT.c.person_id == _FORM.c.person_id)
    .where(
        _ACCOUNT.c.channel == bindparam("channel"),
        _ACCOUNT.c.external_user_id == bindparam("external_user_id"),
        _FORM.c.expires_at > bindparam("now"),
    )
)


def _save_params(values: dict[str, Any]) -> dict[str, Any]:
    return {f"new_{name}": values[name] for name in _SAVED_COLUMNS}


# Where a form row read ahead waits in the session's info until `load` takes it.
_READ_AHEAD = "properbot.form_read_ahead"


def read_ahead(session: AsyncSession, person_id: int, row: Sequence[Any] | None) -> None:
    """Keep the person's form row (FORM_COLUMNS; None: no form) that a query of the update's
    turn read anyway, so the turn's `load` need not read it again. Taken once; `save` and
    `discard` drop it, so a later `load` reads what was written."""
    session.info[_READ_AHEAD] = (person_id, row)


async def load(session: AsyncSession, person_id: int, now: datetime) -> OpenForm | None:
    """The person's open form; one past its lifetime is dropped, as if never opened.

    Plain columns, and `save` writes with one statement: this runs on nearly every update, and
    an ORM object (loaded, then looked up and flushed again) cost several times as much. The
    first load of a turn takes the row the actor's query read ahead (`read_ahead`)."""
    ahead = session.info.pop(_READ_AHEAD, None)
    if ahead is not None and ahead[0] == person_id:
        found = ahead[1]
    else:
        found = (await session.execute(_LOAD, {"person_id": person_id})).first()
    if found is None:
        return None
    form, step, draft, token, expires_at = found
    if expires_at <= now:
        await discard(session, person_id)
        return None
    return OpenForm(form=form, step=step, draft=dict(draft), token=token)


async def save(session: AsyncSession, person_id: int, state: OpenForm, now: datetime) -> None:
    """Write the form as it is now (or remove it once closed), in the caller's transaction."""
    session.info.pop(_READ_AHEAD, None)
    if state.closed:
        await discard(session, person_id)
        return
    values = {
        "form": state.form,
        "step": state.step,
        "draft": dict(state.draft),
        "token": state.token,
        "updated_at": now,
        "expires_at": now + FORM_LIFETIME,
    }
    changed = await session.execute(_SAVE, {"form_of": person_id, **_save_params(values)})
    if not getattr(changed, "rowcount", 0):
        await session.execute(insert(FormState).values(person_id=person_id, **values))


async def discard(session: AsyncSession, person_id: int) -> bool:
    """Close the person's open form without a word (/batal, erasure). True if one was open."""
    session.info.pop(_READ_AHEAD, None)
    result = await session.execute(delete(FormState).where(FormState.person_id == person_id))
    return bool(getattr(result, "rowcount", 0))


async def peek_account(
    session: AsyncSession, channel: Channel, external_user_id: str, now: datetime
) -> OpenForm | None:
    """The open form of a channel account's person, read only (an expired one reads as none
    and stays for `load`), in one query of plain columns: the router's look at every message,
    before (and apart from) the update's turn."""
    found = (
        await session.execute(
            _PEEK, {"channel": channel, "external_user_id": external_user_id, "now": now}
        )
    ).first()
    if found is None:
        return None
    form, step, draft, token = found
    return OpenForm(form=form, step=step, draft=dict(draft), token=token)


async def enter(ctx: FormContext, begin: Callable[[FormContext], Awaitable[object]]) -> None:
    """Open a form from outside it (a command, a keyword, a button that is not the form's),
    replacing an open one: the open form is loaded first when the caller has not."""
    if ctx.state is None:
        ctx.state = await load(ctx.session, ctx.person_id, ctx.now)

    async def run(c: FormContext) -> None:
        await begin(c)

    await start(ctx, run)


async def start(ctx: FormContext, begin: Callable[[FormContext], Awaitable[None]]) -> None:
    """Run a form's entry (a command, a button outside the form) and save the form as it left
    it: newly opened, closed, or (a refused entry) the open one untouched."""
    await begin(ctx)
    if ctx.state is not None:
        await save(ctx.session, ctx.person_id, ctx.state, ctx.now)


async def answer(ctx: FormContext, forms: dict[str, Form], given: Input | FormButton) -> Outcome:
    """Hand an input (or a press) to the person's open form, loaded into `ctx.state`, and save
    the result in the same transaction.

    A press is taken only with the token of the current step; any input only when the step
    takes its kind."""
    pressed = isinstance(given, FormButton)
    refused = Outcome.STALE if pressed else Outcome.NOT_TAKEN
    state = ctx.state
    if state is None or state.closed:
        return refused
    form = forms.get(state.form)
    if form is None:
        # A form this version no longer has: dropped rather than left to block the person.
        log.warning("dropping an open form of unknown kind %r", state.form)
        await discard(ctx.session, ctx.person_id)
        return refused
    if isinstance(given, FormButton):
        if given.token != state.token:
            return Outcome.STALE
        given = ChoiceInput(given.value)
    if not form.takes(state.step, given):
        return refused
    await form.handle(ctx, given)
    # The step may have opened another form in place of this one.
    await save(ctx.session, ctx.person_id, ctx.state or state, ctx.now)
    return Outcome.HANDLED
