"""Relays: a report, its correction or a note passed on to the other side of the thread.

Each is queued in the update's transaction as one delivery-queue message per recipient (the
files and the text together), rendered by the sender in the recipient's language and zone.
The sender records every message it took as a relay of the report (and note), so replies
thread and the report's buttons work for that recipient only; if a relay finally cannot be
delivered, its author is told, under their receipt. Nothing here knows Telegram.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain import actions
from domain.enums import EvidenceKind, FeedbackKind
from domain.progress import progress_bar
from domain.report_body import report_body
from services.outbox import RELAY, Button, MessageRef, Outgoing, Undelivered, enqueue, file_item
from services.reports import NoteDelivery, Recipient, ReportView

# A note quotes the start of the report it is about.
QUOTE_LENGTH = 280

NOTE_KEYS = {
    FeedbackKind.FEEDBACK: "note.relay.feedback",
    FeedbackKind.REPLY: "note.relay.reply",
    FeedbackKind.APPROVAL: "note.relay.approval",
    FeedbackKind.REVISION_REQUEST: "note.relay.revision",
    FeedbackKind.ACKNOWLEDGED: "note.relay.acknowledged",
}
UNDELIVERED_REPORT = "relay.undelivered.report"
UNDELIVERED_CORRECTION = "relay.undelivered.correction"
UNDELIVERED_NOTE = "relay.undelivered.note"


def excerpt(text: str) -> str:
    """The start of a text, for a quote."""
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1].rstrip() + "…"


def reachable(recipients: Sequence[Recipient]) -> list[Recipient]:
    """Those a relay can go to now: joined, and not known to be unreachable."""
    return [r for r in recipients if r.reachable]


def _role(relation: str) -> dict[str, Any]:
    return {"key": f"role.{relation}"}


def report_buttons(report: ReportView, advisor: Recipient) -> list[list[Button]]:
    """Under a report for its advisor: feedback, "sudah dibaca", revision; approval too on a
    report claiming 100 % for the mentor, whose call signing a milestone off is (DOMAIN.md)."""
    uid = report.update_id
    rows = [
        [
            Button("report.button.feedback", actions.advisor_action(actions.GIVE_FEEDBACK, uid)),
            Button("report.button.acknowledge", actions.advisor_action(actions.ACKNOWLEDGE, uid)),
        ],
        [Button("report.button.revision", actions.advisor_action(actions.ASK_REVISION, uid))],
    ]
    if report.percent == 100 and advisor.relation == "mentor":
        rows.insert(
            0, [Button("report.button.approve", actions.advisor_action(actions.APPROVE, uid))]
        )
    return rows


def _media(report: ReportView) -> list[dict[str, str]]:
    """The report's files as the channel knows them; a caption is the participant's own."""
    media = []
    for item in report.evidence:
        if item.kind == EvidenceKind.LINK.value:
            continue
        channel = item.channel if item.ref else None
        if item.sha256 is None and channel is None:
            continue  # neither stored nor known to any channel: nothing to send
        kind = "photo" if item.kind == EvidenceKind.PHOTO.value else "document"
        media.append(
            file_item(
                kind,
                sha256=item.sha256,
                channel=channel,
                ref=item.ref,
                caption=item.caption,
                file_name=item.file_name,
            )
        )
    return media


def report_message(
    report: ReportView,
    advisor: Recipient,
    *,
    correction: bool = False,
    receipt: MessageRef | None = None,
) -> Outgoing:
    """The report as its advisor reads it, its files first; `correction`: the corrected words
    of a report they had already, marked so, without the files again."""
    params: dict[str, Any] = {
        "participant": report.participant_name,
        "milestone": report.milestone_title,
        "bar": progress_bar(report.percent),
        "at": report.submitted_at,
        "evidence": len(report.evidence),
        "body": report_body(report.text, report.obstacles, report.next_steps),
    }
    if correction:
        if report.corrected_at is None:
            raise ValueError("a correction relay needs the report's correction time")
        params["corrected"] = report.corrected_at
    return Outgoing(
        "report.relay.correction" if correction else "report.relay",
        params,
        buttons=report_buttons(report, advisor),
        media=[] if correction else _media(report),
        thread=report.update_id,
        undelivered=Undelivered(
            recipient_id=report.participant_id,
            key=UNDELIVERED_CORRECTION if correction else UNDELIVERED_REPORT,
            params={
                "milestone": report.milestone_title,
                "name": advisor.name,
                "relation": _role(advisor.relation),
            },
            reply_to=receipt,
        ),
    )


def note_message(
    delivery: NoteDelivery, now: datetime, *, receipt: MessageRef | None = None
) -> Outgoing:
    """A note (feedback, a reply, an approval, a revision request, "sudah dibaca") for its
    recipient, quoting the report it is about."""
    report = delivery.report
    return Outgoing(
        NOTE_KEYS[delivery.kind],
        {
            "author": delivery.author.name,
            "relation": _role(delivery.author.relation),
            "participant": report.participant_name,
            "milestone": report.milestone_title,
            "reported": report.submitted_at,
            "quote": excerpt(report.text),
            "text": delivery.text,
            "at": now,
        },
        thread=report.update_id,
        note=delivery.note_id,
        undelivered=Undelivered(
            recipient_id=delivery.author.person_id,
            key=UNDELIVERED_NOTE,
            params={
                "milestone": report.milestone_title,
                "name": delivery.recipient.name,
                "relation": _role(delivery.recipient.relation),
            },
            reply_to=receipt,
        ),
    )


async def queue_report(
    session: AsyncSession,
    report: ReportView,
    advisors: Sequence[Recipient],
    now: datetime,
    *,
    correction: bool = False,
    receipt: MessageRef | None = None,
) -> list[Recipient]:
    """Queue the report (or its correction) for each advisor who can be reached; returns
    them, in order. `receipt`: the participant's confirmation, answered if one never arrives."""
    queued = []
    for advisor in reachable(advisors):
        if correction:
            assert report.corrected_at is not None
            key = f"relay:correction:{report.update_id}:{report.corrected_at.isoformat()}"
        else:
            key = f"relay:report:{report.update_id}"
        await enqueue(
            session,
            dedup_key=f"{key}:{advisor.person_id}",
            message=report_message(report, advisor, correction=correction, receipt=receipt),
            not_before=now,
            now=now,
            kind=RELAY,
            recipient_id=advisor.person_id,
            cohort_id=report.cohort_id,
        )
        queued.append(advisor)
    return queued


async def queue_note(
    session: AsyncSession,
    delivery: NoteDelivery,
    now: datetime,
    *,
    receipt: MessageRef | None = None,
) -> bool:
    """Queue a note for its recipient; False when they cannot be reached (it stays recorded).
    `receipt`: the author's confirmation, answered if the note never arrives."""
    if not delivery.recipient.reachable:
        return False
    await enqueue(
        session,
        dedup_key=f"relay:note:{delivery.note_id}:{delivery.recipient.person_id}",
        message=note_message(delivery, now, receipt=receipt),
        not_before=now,
        now=now,
        kind=RELAY,
        recipient_id=delivery.recipient.person_id,
        cohort_id=delivery.report.cohort_id,
    )
    return True
