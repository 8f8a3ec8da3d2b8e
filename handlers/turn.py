"""One database session and the acting person per update, with the access check in one place."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from domain import markup
from domain.i18n import Translator, translator
from domain.roles import Role
from handlers.identity import load_telegram_actor, telegram_account
from handlers.runtime import Context, Runtime
from services import inbox
from services.people import ROLE_ORDER, Actor, came_back, ensure_admin_person, touch
from services.seminars import Organizer

R = TypeVar("R")


@dataclass
class Turn:
    """Everything a handler body needs for one update."""

    actor: Actor
    runtime: Runtime
    # None once the transaction has ended (see `session`).
    open_session: AsyncSession | None = field(repr=False)
    committed: list[Callable[[], None]] = field(default_factory=list)
    later: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def session(self) -> AsyncSession:
        """The update's session, inside its transaction only: an `after_commit` step that
        reached for it would quietly open a connection nobody commits or returns."""
        if self.open_session is None:
            raise RuntimeError("the update's transaction has ended; read the data before it")
        return self.open_session

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the update's transaction has committed (e.g. wake the sender,
        which must not look for new messages before they are visible)."""
        self.committed.append(callback)

    def after_commit(self, step: Callable[[], Awaitable[None]]) -> None:
        """Await `step` once the transaction has committed and its connection is back in the
        pool: slow work on data already read (drawing a chart, rendering a file, downloading
        photos, uploading the result) must not hold one of the pool's few connections. The
        step may use the actor, texts and clock, not the session. Still within the update,
        so the user's next update waits for it as before."""
        self.later.append(step)

    @property
    def translator(self) -> Translator:
        return translator(self.actor.language)

    def t(self, key: str, /, **params: object) -> str:
        """Catalog text (markup) in the actor's language; string values escaped for the markup."""
        return self.translator(key, **escape_params(params))

    def now(self) -> datetime:
        return self.runtime.clock.now()

    @property
    def organizer(self) -> Organizer:
        """The actor as the cohort services see an organizer: a global admin runs every cohort,
        anyone else only the cohorts where they are admin."""
        return Organizer(person_id=self.actor.person_id, every_cohort=self.actor.global_admin)


# Text that is markup already (a catalog text with its own params escaped): not escaped again.
Safe = markup.Markup


def escape_params(params: dict[str, object]) -> dict[str, object]:
    return markup.escape_params(params)


async def tell(update: Update, text: str) -> None:
    """Answer the update where the user is looking: a toast for a button, else a message."""
    if update.callback_query is not None:
        # The Telegram bot renders the toast as plain text and cuts it to Telegram's limit.
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def _actor(session: AsyncSession, runtime: Runtime, update: Update) -> Actor:
    user = update.effective_user
    assert user is not None

    async def load() -> Actor:
        return await load_telegram_actor(session, runtime, user)

    actor = await load()
    if actor.person_id is None and actor.global_admin:
        # Admins from the settings need no code; a person record keeps their preferences.
        # A private chat's id is the user's id; never store a group as someone's chat.
        await ensure_admin_person(
            session,
            telegram_account(user.id),
            str(user.id),
            name=user.full_name,
            language=actor.language,
            zone=runtime.default_zone,
            now=runtime.clock.now(),
        )
        actor = dataclasses.replace(await load(), first_contact=True)
    chat = update.effective_chat
    if (
        actor.person_id is not None
        and not actor.reachable
        and chat is not None
        and chat.type == chat.PRIVATE
        and (update.message is not None or update.callback_query is not None)
    ):
        # They blocked the bot once and now talk to it again: deliver to them again.
        assert actor.account.id is not None  # a known person's account is stored
        await came_back(session, actor.account.id, str(chat.id), runtime.clock.now())
        actor = dataclasses.replace(actor, reachable=True)
    await touch(session, actor, runtime.clock.now())
    return actor


class Declined(Exception):
    """Raised by a turn's body that leaves the update to the other handlers: the turn's
    transaction is rolled back (nothing it did is kept, the update is not marked done) and
    the turn returns None, so the next handler meets the update as if this one were not
    there."""


TurnHandler = Callable[[Update, Context, Turn], Awaitable[R]]


Callback = Callable[[Update, Context], Coroutine[Any, Any, R | None]]


def turn(
    *, members_only: bool = True, roles: frozenset[Role] | None = None
) -> Callable[[TurnHandler[R]], Callback[R]]:
    """Open the update's session and transaction, load the actor, refuse who may not act.

    `members_only`: strangers (no joined person, not an admin) get the "please join" answer.
    `roles`: only people holding one of these roles may act; others get a polite refusal.
    """

    def decorate(body: TurnHandler[R]) -> Callback[R]:
        @functools.wraps(body)
        async def wrapper(update: Update, context: Context) -> R | None:
            user = update.effective_user
            if user is None:
                return None
            runtime = Runtime.of(context.application)
            try:
                async with runtime.sessions() as session, session.begin():
                    actor = await _actor(session, runtime, update)
                    current = Turn(actor=actor, runtime=runtime, open_session=session)
                    if members_only and not actor.is_known:
                        await tell(update, current.t("access.not_registered"))
                        await inbox.mark_current_done(session, runtime.clock.now())
                        return None
                    if roles is not None and not actor.has_any(roles):
                        names = ", ".join(
                            current.t(role.message_key)
                            for role in sorted(roles, key=ROLE_ORDER.index)
                        )
                        await tell(update, current.t("access.role_required", roles=names))
                        await inbox.mark_current_done(session, runtime.clock.now())
                        return None
                    result = await body(update, context, current)
                    if not current.later:
                        # The update's inbox row is done with this transaction's work or not at
                        # all: a crash after the commit never runs it again. With steps after the
                        # commit, their own commit marks it (services/inbox.py), else the worker
                        # once they are over (bot/worker.py).
                        await inbox.mark_current_done(session, runtime.clock.now())
            except Declined:
                return None  # rolled back: the update goes on to the other handlers
            current.open_session = None
            for callback in current.committed:
                callback()
            marking = inbox.mark_on_commit.set(True)
            try:
                for step in current.later:
                    await step()
            finally:
                inbox.mark_on_commit.reset(marking)
            return result

        return wrapper

    return decorate
