""" "Lihat laporan": a relay that went out as a template (outside the person's 24-hour window)
sent again in full, with its files, once the person's tap has opened the window.

Channel-neutral: the tap names the queued message (WhatsApp's `view:<outbox id>` payload); the
full message goes through the delivery queue like the relay it stands for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import OutboxMessage
from services import reports
from services.outbox import RELAY, enqueue
from services.projects import NotYours
from services.relays import note_message, report_message


async def queue_view(
    session: AsyncSession, outbox_id: int, *, person_id: int, account_id: int | None, now: datetime
) -> bool | None:
    """Queue the full report (or note) of the relay `outbox_id` for the person who tapped.
    None when that message did not go to this account or they may no longer read it; False
    when it was queued already (a second tap)."""
    row = await session.get(OutboxMessage, outbox_id)
    if row is None or row.recipient_id != person_id or row.account_id != account_id:
        return None
    thread, note_id = row.payload.get("thread"), row.payload.get("note")
    if not isinstance(thread, int) or not (note_id is None or isinstance(note_id, int)):
        return None
    try:
        view, me, note = await reports.relayed_to(session, person_id, thread, note_id)
    except NotYours:
        return None
    message = note_message(note, now) if note is not None else report_message(view, me)
    return await enqueue(
        session,
        dedup_key=f"relay:view:{outbox_id}",
        message=message,
        not_before=now,
        now=now,
        kind=RELAY,
        recipient_id=person_id,
        cohort_id=view.cohort_id,
    )
