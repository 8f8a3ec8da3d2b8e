"""SQL conditions on a person's channel accounts: who joined, who can be reached."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, select

from domain.enums import Channel
from models.tables import ChannelAccount, Person


def has_joined(person: Any = Person) -> ColumnElement[bool]:
    """The person (or an alias of Person) is bound to at least one channel account."""
    return select(ChannelAccount.id).where(ChannelAccount.person_id == person.id).exists()


def is_reachable(person: Any = Person, channel: Channel | None = None) -> ColumnElement[bool]:
    """Some account of theirs (on `channel`, when given) can be written to."""
    conditions = [ChannelAccount.person_id == person.id, ChannelAccount.reachable.is_(True)]
    if channel is not None:
        conditions.append(ChannelAccount.channel == channel)
    return select(ChannelAccount.id).where(and_(*conditions)).exists()
