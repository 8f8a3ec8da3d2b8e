"""WhatsApp's status webhooks applied to the delivery queue: delivered and read recorded, a
failure given its reason in words, a number WhatsApp cannot reach marked unreachable.

Meta accepts a message first and reports its fate later, one status at a time (sent,
delivered, read, or failed), found here by the wamid the sender stored as the row's
`message_ref`. Every change is conditional, so a status seen twice changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Channel, DeliveryFailure, OutboxStatus
from models import ChannelAccount, InboxUpdate, OutboxMessage
from services import delivery
from services.outbox import RELAY
from whatsapp.inbound import key
from whatsapp.templates import FORCE_TEMPLATE, TEMPLATE_MARK

log = logging.getLogger(__name__)

SENT, DELIVERED, READ, FAILED = "sent", "delivered", "read", "failed"
# Meta's error codes with a reason of their own; any other failure WhatsApp reports is a
# refusal of this message (details in last_error and the log).
REENGAGEMENT = 131047  # free form outside the 24-hour customer-service window
UNDELIVERABLE = 131026  # the number is not on WhatsApp (or cannot receive from businesses)
_REASONS = {
    REENGAGEMENT: DeliveryFailure.OUTSIDE_WINDOW,
    UNDELIVERABLE: DeliveryFailure.NOT_ON_WHATSAPP,
}


def reason_for(code: int | None) -> DeliveryFailure:
    """What a Meta error code in a failed status means to an organizer."""
    if code is None:
        return DeliveryFailure.WHATSAPP_REJECTED
    return _REASONS.get(code, DeliveryFailure.WHATSAPP_REJECTED)


async def apply_status(
    session: AsyncSession,
    status: dict[str, Any],
    now: datetime,
    *,
    admin_external_ids: Collection[str] = (),
    admin_channel: Channel | None = None,
) -> bool:
    """Apply one status object (as Meta posted it) to the WhatsApp message it names.

    False when no message sent to a WhatsApp account has that wamid: a status that arrived
    before the sender recorded it, or one of a part other than the one recorded (a message
    of several parts keeps the wamid of its last). `admin_external_ids`/`admin_channel`: the
    admins from the settings to tell about a number that cannot be reached
    (delivery.mark_unreachable)."""
    wamid, name = status.get("id"), status.get("status")
    if not isinstance(wamid, str) or not isinstance(name, str):
        return False
    row = (
        await session.execute(
            select(OutboxMessage.id, OutboxMessage.recipient_id)
            .join(ChannelAccount, ChannelAccount.id == OutboxMessage.account_id)
            .where(
                OutboxMessage.message_ref == wamid,
                ChannelAccount.channel == Channel.WHATSAPP,
            )
            .order_by(OutboxMessage.id)
            .limit(1)
        )
    ).first()
    if row is None:
        log.info("whatsapp status %s for a message not in the queue", name)
        return False
    when = _moment(status.get("timestamp")) or now
    if name == DELIVERED:
        await _record(session, row.id, delivered_at=when)
    elif name == READ:
        # Read implies delivered, whichever of the two statuses comes first (or at all).
        await _record(session, row.id, read_at=when)
        await _record(session, row.id, delivered_at=when)
    elif name == FAILED:
        await _failed(
            session, row.id, row.recipient_id, status, now, admin_external_ids, admin_channel
        )
    # "sent" (recorded when the send was answered) and statuses Meta may add change nothing.
    return True


async def apply_early_statuses(
    session: AsyncSession,
    wamid: str,
    now: datetime,
    *,
    admin_external_ids: Collection[str] = (),
    admin_channel: Channel | None = None,
) -> int:
    """Apply again the statuses of `wamid` that reached the inbox before the sender recorded
    it (Meta may post "sent", even "failed", before it answers the send): called in the
    transaction that records the wamid. How many there were."""
    keys = [key(f"status:{wamid}:{name}") for name in (SENT, DELIVERED, READ, FAILED)]
    found = list(
        await session.scalars(
            select(InboxUpdate.payload)
            .where(
                InboxUpdate.channel == Channel.WHATSAPP.value,
                InboxUpdate.external_id.in_(keys),
            )
            .order_by(InboxUpdate.id)
        )
    )
    for payload in found:
        status = payload.get("status") if isinstance(payload, dict) else None
        if isinstance(status, dict):
            await apply_status(
                session,
                status,
                now,
                admin_external_ids=admin_external_ids,
                admin_channel=admin_channel,
            )
    return len(found)


async def _record(session: AsyncSession, message_id: int, **moment: datetime) -> None:
    ((column, when),) = moment.items()
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, getattr(OutboxMessage, column).is_(None))
        .values({column: when})
        .execution_options(synchronize_session=False)
    )


async def _failed(
    session: AsyncSession,
    message_id: int,
    person_id: int | None,
    status: dict[str, Any],
    now: datetime,
    admin_external_ids: Collection[str],
    admin_channel: Channel | None,
) -> None:
    code, raw = _error_of(status)
    if code == REENGAGEMENT and await retry_as_template(session, message_id, now):
        # The window had closed after all: the message goes again, as its template.
        log.info("outbox message %s outside the window; queued again as a template", message_id)
        return
    reason = reason_for(code)
    # Only a message counted as sent turns failed, once: a repeated status finds it failed.
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENT)
        .values(status=OutboxStatus.FAILED, last_error=raw[:1000], error_reason=reason.value)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return
    log.info("outbox message %s failed on WhatsApp: %s (%s)", message_id, reason, code)
    # The relay's author hears that it did not arrive, as for a failure at send time.
    await delivery.given_up(session, message_id, reason, now)
    if code == UNDELIVERABLE and person_id is not None:
        # Every later message would meet the same: the account is marked unreachable and the
        # organizers told, once, as for a Telegram user who blocked the bot.
        await delivery.mark_unreachable(
            session,
            message_id,
            person_id,
            raw,
            now,
            reason=reason,
            channel=Channel.WHATSAPP,
            admin_external_ids=admin_external_ids,
            admin_channel=admin_channel,
        )


async def retry_as_template(session: AsyncSession, message_id: int, now: datetime) -> bool:
    """A free-form message Meta accepted and then failed with 131047 (the window had closed
    after all; statuses report it): back in the queue at once, to go as its template.

    False when it cannot: not a message sent free form to a WhatsApp account, or a relay,
    whose words the queue no longer keeps once sent (its author is told instead)."""
    row = (
        await session.execute(
            select(OutboxMessage.payload, OutboxMessage.kind)
            .join(ChannelAccount, ChannelAccount.id == OutboxMessage.account_id)
            .where(OutboxMessage.id == message_id, ChannelAccount.channel == Channel.WHATSAPP)
        )
    ).one_or_none()
    if row is None or row.kind == RELAY:
        return False
    payload = dict(row.payload or {})
    if "params" not in payload or payload.get(TEMPLATE_MARK) or payload.get(FORCE_TEMPLATE):
        return False
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED]),
        )
        .values(
            status=OutboxStatus.PENDING,
            payload={**payload, FORCE_TEMPLATE: True},
            not_before=now,
            sent_at=None,
            claimed_at=None,
            message_ref=None,
            error_reason=None,
            last_error="131047: the window had closed; sent again as its template",
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _error_of(status: dict[str, Any]) -> tuple[int | None, str]:
    """The first errors[] object's code, and its code, title and details as one line for
    operators (Meta's texts describe the error, never the message's content)."""
    errors = status.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    error: dict[str, Any] = first if isinstance(first, dict) else {}
    code = error.get("code")
    code = code if isinstance(code, int) else None
    raw = f"{code}: {error.get('title') or error.get('message') or 'failed'}"
    data = error.get("error_data")
    if isinstance(data, dict) and data.get("details"):
        raw += f" ({data['details']})"
    return code, raw


def _moment(timestamp: Any) -> datetime | None:
    """Meta's timestamp (epoch seconds, as a string) as a moment; None when there is none."""
    try:
        return datetime.fromtimestamp(int(timestamp), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
