"""Telegram users as channel accounts: the one place a Telegram user id becomes an identity."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import User

from domain.enums import Channel
from handlers.runtime import Runtime
from services.people import AccountRef, Actor, load_actor


def telegram_account(user_id: int) -> AccountRef:
    """The account reference of a Telegram user (not yet looked up: no stored id)."""
    return AccountRef(Channel.TELEGRAM, str(user_id))


async def load_telegram_actor(session: AsyncSession, runtime: Runtime, user: User) -> Actor:
    """Who this Telegram user is; ADMIN_TELEGRAM_IDS is resolved here, in the Telegram layer."""
    return await load_actor(
        session,
        Channel.TELEGRAM,
        str(user.id),
        global_admin=user.id in runtime.admin_ids,
        default_language=runtime.default_language,
        default_zone=runtime.default_zone,
        language_hint=user.language_code,
        display_name=user.full_name,
    )
