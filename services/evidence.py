"""Which evidence bytes the database still needs, and the rows whose bytes are not stored yet.

The store (storage/evidence_store.py) keeps each file once, by its SHA-256, whoever sent it:
the database decides when a file may go. Any table that keeps store keys does so in a column
named `sha256`, so a new kind of stored file (seminar materials, announcement files) is counted
here without being listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Channel, EvidenceKind
from models import Base, Broadcast, Evidence, FormState
from storage.evidence_store import StoredBlob

_HEX = frozenset("0123456789abcdef")


def blob_keys(value: Any) -> set[str]:
    """Every store key under a `sha256` field in JSON-like data (a form's draft)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "sha256" and isinstance(v, str) and len(v) == 64 and set(v) <= _HEX:
                found.add(v)
            else:
                found |= blob_keys(v)
    elif isinstance(value, list):
        for v in value:
            found |= blob_keys(v)
    return found


async def unreferenced(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """The keys that no row names any more, nor any half-written form: safe to delete from the
    store once the caller's transaction has committed."""
    left = set(keys)
    for table in Base.metadata.sorted_tables:
        if not left:
            break
        column = table.c.get("sha256")
        if column is None:
            continue
        left -= set(await session.scalars(select(column).where(column.in_(left)).distinct()))
    for key in sorted(left):
        # Someone else's open form may hold the same bytes in its draft (a forwarded photo),
        # or an announcement its attachment (a file uploaded on the web desk).
        for json_column in (FormState.draft, Broadcast.attachment):
            held = await session.scalar(
                select(func.count()).where(cast(json_column, String).contains(key, autoescape=True))
            )
            if held:
                left.discard(key)
                break
    return left


@dataclass(frozen=True)
class Unfetched:
    """An evidence row from before the store: its bytes are still only at the channel it
    came by, under `ref`."""

    evidence_id: int
    report_id: int
    ref: str


async def unfetched(session: AsyncSession, channel: Channel) -> list[Unfetched]:
    """The rows of `channel` whose bytes are not in the store yet, oldest first."""
    rows = await session.execute(
        select(Evidence.id, Evidence.update_id, Evidence.channel_file_ref)
        .where(
            Evidence.sha256.is_(None),
            Evidence.channel == channel,
            Evidence.channel_file_ref.is_not(None),
            Evidence.kind.in_((EvidenceKind.PHOTO, EvidenceKind.DOCUMENT)),
        )
        .order_by(Evidence.id)
    )
    return [Unfetched(i, r, f) for i, r, f in rows.tuples() if f]


async def record_stored(session: AsyncSession, evidence_id: int, blob: StoredBlob) -> None:
    """The row's bytes are in the store now: their key and real size."""
    await session.execute(
        update(Evidence)
        .where(Evidence.id == evidence_id)
        .values(sha256=blob.sha256, file_size=blob.size)
    )
