"""The sender's WhatsApp half: delivers due outbox messages to WhatsApp accounts (pywa_async).

Inside the 24-hour customer-service window (the account's last inbound message less than 24
hours ago) a message goes free form: its files (by their WhatsApp media id when they came by
WhatsApp, else uploaded from the evidence store), then its text, the buttons under the last
part as reply buttons (a list when there are more than three). Outside it, or when Meta says
the window has closed (131047), it goes as its kind's approved template (whatsapp/templates.py),
within the messaging tier: unique people reached by templates in a rolling 24 hours,
counted from the outbox so every instance sees the same count; over it, a template waits.

Meta's limits map onto the queue's outcomes as Telegram's do: throughput (130429) pauses the
channel like a 429, the pair rate to one person (131056) retries that message later, a number
not on WhatsApp (131026) marks the account unreachable and tells the organizers, any other
refusal fails the message with a reason in words. The wamid of each sent message is recorded
(OutboxMessage.message_ref, and every wamid of a relay), so statuses and replies find it.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pywa import errors as wa_errors
from pywa_async import WhatsApp, types
from pywa_async.types.templates import TemplateLanguage
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sender import DrainResult, catalog_markup, retry_later
from domain.clock import Clock
from domain.enums import Channel, DeliveryFailure, OutboxStatus
from domain.markup import escape, to_plain, to_whatsapp
from domain.ratelimit import DeliveryLimiter, RetryPolicy
from domain.timezones import UnknownZone, parse_zone
from models import ChannelAccount, OutboxMessage
from services import coordination, delivery, reports
from services.delivery import DueMessage
from services.outbox import RELAY, Outgoing, settled
from storage.evidence_store import EvidenceStore
from whatsapp.keywords import whatsapp_translator
from whatsapp.statuses import apply_early_statuses
from whatsapp.templates import (
    FORCE_TEMPLATE,
    NOTICE,
    TEMPLATE_MARK,
    TemplateSpec,
    meta_language,
    send_components,
    spec_for,
    view_payload,
)

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
# A send takes a moment, and a relay several: a window closing within this margin is treated
# as closed already, so a free-form message is not refused halfway (131047).
WINDOW_MARGIN = timedelta(minutes=5)
# Meta's pair rate: a burst, then one message every 6 seconds to the same person.
PAIR_INTERVAL_S = 6.0
# Meta names no wait for 130429 (throughput) or 131056 (pair rate): these are ours.
# (Meta counts throughput per second: one second is the shortest pause that helps.)
THROUGHPUT_PAUSE = timedelta(seconds=1)
PAIR_WAIT = timedelta(seconds=PAIR_INTERVAL_S)
# How long a read of the messaging tier's count from the outbox serves.
TIER_COUNT_FRESH = timedelta(seconds=10)
# The smallest wait of a template held back by the messaging tier.
TIER_RECHECK = timedelta(minutes=1)
# Meta's limits on a free-form message.
TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
CAPTION_LIMIT = 1024
MAX_REPLY_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
MAX_LIST_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
# Throttling and server trouble pass; other refusals concern the message itself.
_PASSING = (
    wa_errors.ThrottlingError,
    wa_errors.UnknownError,
    wa_errors.ServiceUnavailable,
    wa_errors.GenericError,
    wa_errors.AccountInMaintenanceMode,
)


@dataclass(frozen=True)
class WhatsAppMessage:
    """A due message ready for WhatsApp, in both forms: free form (`parts`, `buttons`,
    `media`, `urls`) and as its template (`template`, `summary`); `window_open` says which
    goes first."""

    to: str
    language: str
    window_open: bool
    parts: list[str]
    buttons: list[tuple[str, str]]  # (id: the button's callback data, title)
    media: list[dict[str, str]]
    template: TemplateSpec
    summary: str
    choose: str  # the list button's label, when there are more than three buttons
    prompt: str  # the body above the buttons when the text's last part is too long for it

    @property
    def cost(self) -> int:
        if not self.window_open:
            return 1
        extra = 1 if self.buttons and len(self.parts[-1]) > INTERACTIVE_BODY_LIMIT else 0
        return len(self.parts) + len(self.media) + extra


@dataclass
class _Sent:
    wamids: list[str] = field(default_factory=list)
    template: str | None = None


class TierFull(Exception):
    """The messaging tier is used up for now: a template must wait `wait`."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(f"messaging tier reached; retry in {wait}")
        self.wait = wait


class WhatsAppDelivery:
    """The sender's `ChannelDelivery` for WhatsApp (bot/sender.py picks it by the account)."""

    channel = Channel.WHATSAPP

    def __init__(
        self,
        client: WhatsApp,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        rate_per_s: float = 80,
        tier_limit: int = 250,
        default_language: str = "id",
        default_zone: ZoneInfo | None = None,
        retry: RetryPolicy | None = None,
        admin_telegram_ids: Collection[int] = (),
        evidence_store: EvidenceStore | None = None,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._clock = clock
        self.limiter = DeliveryLimiter(rate_per_s=rate_per_s, chat_rate_per_s=1 / PAIR_INTERVAL_S)
        self._tier_limit = tier_limit
        self._default_language = default_language
        self._default_zone = default_zone or ZoneInfo("Asia/Jakarta")
        self._retry = retry or RetryPolicy()
        # Admins from the settings are Telegram users: told on Telegram.
        self._admin_external_ids = frozenset(str(i) for i in admin_telegram_ids)
        self._store = evidence_store
        # Accounts this instance sent a template to, and when: counted against the tier
        # with what the outbox shows, so a send not yet recorded there is never missed.
        self._reached_here: dict[int, datetime] = {}
        # The outbox's count as last read, and when.
        self._reached_read: tuple[datetime, dict[int, datetime]] | None = None
        # The limiter counts seconds from here, as the sender's does.
        self._epoch = clock.now()

    # -- rendering -------------------------------------------------------------------------

    def prepare(self, message: DueMessage) -> WhatsAppMessage:
        """Render the message both ways, in its recipient's language and zone."""
        if message.chat_ref is None:
            raise ValueError("a WhatsApp message needs its recipient's wa_id")
        outgoing = Outgoing.from_payload(message.payload)
        language = message.language or self._default_language
        t = whatsapp_translator(language)
        source = catalog_markup(outgoing, t, self._zone(message.timezone))
        buttons, urls = [], []
        for row in outgoing.buttons:
            for button in row:
                title = t(button.label_key)
                if button.callback_data:
                    buttons.append((button.callback_data, title))
                elif button.url:
                    # WhatsApp's reply buttons carry no links: the link goes in the text.
                    urls.append(f"{escape(title)}: {escape(button.url)}")
        text = to_whatsapp("\n\n".join([source, *urls]))
        for item in outgoing.media:
            if item.get("kind") not in ("photo", "document") or not (
                _whatsapp_ref(item) or item.get("sha256")
            ):
                raise ValueError(f"unknown media item {item!r}")
        now = self._clock.now()
        last = message.last_inbound_at
        return WhatsAppMessage(
            to=message.chat_ref,
            language=language,
            window_open=(
                last is not None
                and now - last < WINDOW - WINDOW_MARGIN
                and not message.payload.get(FORCE_TEMPLATE)
            ),
            parts=split_text(text, TEXT_LIMIT),
            buttons=buttons[:MAX_LIST_ROWS],
            media=list(outgoing.media),
            template=_template(message.kind, outgoing),
            summary=to_plain(source),
            choose=t("whatsapp.send.choose"),
            prompt=t("whatsapp.send.choose_prompt"),
        )

    def _zone(self, name: str | None) -> ZoneInfo:
        if not name:
            return self._default_zone
        try:
            return parse_zone(name)
        except UnknownZone:
            return self._default_zone

    # -- delivering ------------------------------------------------------------------------

    async def deliver(self, message: DueMessage, prepared: WhatsAppMessage) -> DrainResult:
        """Send one claimed message and record what happened, in its own transactions."""
        if message.maybe_repeated:
            log.warning(
                "sending outbox message %s again after an interrupted send; it may be repeated",
                message.id,
            )
        outcome = DrainResult()
        try:
            sent = await self._send(message, prepared)
        except TierFull as full:
            log.info("outbox message %s waits for the messaging tier (%s)", message.id, full.wait)
            await self._wait(message, outcome, f"tier: {full}", full.wait)
            return outcome
        except wa_errors.RateLimitHit as exc:
            # 130429: the number's throughput; every WhatsApp send waits, on every instance.
            now = self._clock.now()
            self.limiter.pause_until(self._seconds(now) + THROUGHPUT_PAUSE.total_seconds())
            log.warning("WhatsApp throughput limit: pausing all sends for %s", THROUGHPUT_PAUSE)
            outcome.rate_limited = 1
            await self._wait(message, outcome, f"130429: {exc}", THROUGHPUT_PAUSE)
            async with self._sessions() as session, session.begin():
                await coordination.pause_sending(
                    session, Channel.WHATSAPP, now + THROUGHPUT_PAUSE, now
                )
            return outcome
        except wa_errors.TooManyMessages as exc:
            # 131056: too many to this person lately; only their messages wait.
            outcome.rate_limited = 1
            await self._wait(message, outcome, f"131056: {exc}", PAIR_WAIT)
            return outcome
        except wa_errors.MessageUndeliverable as exc:
            # 131026: not on WhatsApp (or cannot receive): as a blocked Telegram user.
            async with self._sessions() as session, session.begin():
                assert message.person_id is not None
                outcome.notices = await delivery.mark_unreachable(
                    session,
                    message.id,
                    message.person_id,
                    f"131026: {exc}",
                    self._clock.now(),
                    reason=DeliveryFailure.NOT_ON_WHATSAPP,
                    channel=Channel.WHATSAPP,
                    admin_external_ids=self._admin_external_ids,
                    admin_channel=Channel.TELEGRAM,
                )
            log.info("outbox message %s: %s is not on WhatsApp: %s", message.id, prepared.to, exc)
            outcome.unreachable = 1
            return outcome
        except _PASSING as exc:
            await self._retry_later(message, outcome, exc, DeliveryFailure.NETWORK)
            return outcome
        except wa_errors.WhatsAppError as exc:
            # Permanent: the same message would be refused the same way.
            async with self._sessions() as session, session.begin():
                await delivery.mark_failed(
                    session,
                    message.id,
                    f"{exc.code}: {exc}",
                    DeliveryFailure.WHATSAPP_REJECTED,
                    now=self._clock.now(),
                )
            log.warning("outbox message %s refused by WhatsApp: %s", message.id, exc)
            outcome.failed = 1
            return outcome
        except httpx.TransportError as exc:
            # A timeout may have reached Meta; a refused connection did not.
            await self._retry_later(
                message,
                outcome,
                exc,
                DeliveryFailure.NETWORK,
                maybe_repeated=isinstance(exc, httpx.TimeoutException),
            )
            return outcome
        except Exception as exc:
            log.exception("unexpected error sending outbox message %s", message.id)
            await self._retry_later(message, outcome, exc, DeliveryFailure.INTERNAL)
            return outcome
        await self._record(message, prepared, sent)
        outcome.sent = 1
        outcome.sent_ids.append(message.id)
        return outcome

    async def _send(self, message: DueMessage, prepared: WhatsAppMessage) -> _Sent:
        if prepared.window_open:
            sent = _Sent()
            try:
                await self._free_form(prepared, sent)
                return sent
            except wa_errors.ReEngagementMessage:
                if sent.wamids:
                    raise  # half of it arrived: a template now would repeat it
                log.info("outbox message %s: window closed (131047); as a template", message.id)
        return await self._as_template(message, prepared)

    async def _free_form(self, prepared: WhatsAppMessage, sent: _Sent) -> None:
        """Files first, then the text, the buttons under its last part."""
        client, to = self._client, prepared.to
        for item in prepared.media:
            sent.wamids.append(await self._send_file(to, item))
        for index, part in enumerate(prepared.parts):
            last = index == len(prepared.parts) - 1
            if not (last and prepared.buttons):
                sent.wamids.append((await client.send_message(to=to, text=part)).id)
                continue
            body = part
            if len(part) > INTERACTIVE_BODY_LIMIT:
                sent.wamids.append((await client.send_message(to=to, text=part)).id)
                body = prepared.prompt
            reply = await client.send_message(to=to, text=body, buttons=_buttons(prepared))
            sent.wamids.append(reply.id)

    async def _send_file(self, to: str, item: dict[str, str]) -> str:
        """A file by its WhatsApp media id when it has one still valid, else its stored bytes
        uploaded; the caption is the sender's own words, literal."""
        caption = item.get("caption") or None
        if caption:
            caption = to_whatsapp(escape(caption))[:CAPTION_LIMIT]
        ref = _whatsapp_ref(item)
        if ref:
            try:
                return await self._send_media(to, item, ref, caption)
            except wa_errors.MediaUploadError:
                if not item.get("sha256"):
                    raise
                log.info("WhatsApp media %s expired; uploading the stored bytes", ref)
        data = await self._store.get(item["sha256"]) if self._store and "sha256" in item else None
        if data is None:
            raise ValueError(f"file {item.get('sha256')!r} is not in the evidence store")
        mime = _mime_type(item, data)
        uploaded = await self._client.upload_media(
            media=data, mime_type=mime, filename=item.get("file_name") or _file_name(item, mime)
        )
        return await self._send_media(to, item, uploaded.id, caption)

    async def _send_media(self, to: str, item: dict[str, str], media_id: str, caption: Any) -> str:
        if item["kind"] == "photo":
            return (await self._client.send_image(to=to, image=media_id, caption=caption)).id
        name = item.get("file_name") or None
        sent = await self._client.send_document(
            to=to, document=media_id, filename=name, caption=caption
        )
        return sent.id

    async def _reached_in_outbox(self, now: datetime) -> dict[int, datetime]:
        """The tier's count in the outbox, read at most every TIER_COUNT_FRESH: one active
        worker sends (bot/worker.py) and what it sent since the read is in `_reached_here`,
        so a read per template (a query growing with the announcement) adds nothing."""
        if self._reached_read is None or now - self._reached_read[0] >= TIER_COUNT_FRESH:
            async with self._sessions() as session:
                self._reached_read = (now, await templates_reached(session, now))
        return self._reached_read[1]

    async def _as_template(self, message: DueMessage, prepared: WhatsAppMessage) -> _Sent:
        """The message as its kind's template, if the messaging tier allows one more person."""
        spec = prepared.template
        view = view_payload(message.id) if spec.button else None
        components = send_components(spec, {"summary": prepared.summary}, view=view)
        account = message.account_id or 0
        now = self._clock.now()
        reached = await self._reached_in_outbox(now)
        # Checked and taken with no wait in between, so concurrent sends never both take
        # the last place; a person reached already counts once.
        self._reached_here = {a: at for a, at in self._reached_here.items() if now - at < WINDOW}
        counted = set(reached) | set(self._reached_here)
        if account not in counted and len(counted) >= self._tier_limit:
            firsts = [*reached.values(), *self._reached_here.values()]
            raise TierFull(max(min(firsts) + WINDOW - now, TIER_RECHECK))
        taken = account not in self._reached_here
        self._reached_here.setdefault(account, now)
        try:
            sent = await self._client.send_template(
                to=prepared.to,
                name=spec.name,
                language=TemplateLanguage(meta_language(prepared.language)),
                params=components,
            )
        except Exception:
            if taken:
                self._reached_here.pop(account, None)
            raise
        return _Sent([sent.id], spec.name)

    async def _record(self, message: DueMessage, prepared: WhatsAppMessage, sent: _Sent) -> None:
        """The wamid (the last message's: the text with the buttons) and the account; a relay's
        every wamid, so a reply to any of them threads."""
        if not sent.wamids:
            return
        async with self._sessions() as session, session.begin():
            now = self._clock.now()
            payload = message.payload
            kept = settled(payload) if message.kind == RELAY else None
            if sent.template is not None:
                kept = {**(kept if kept is not None else payload), TEMPLATE_MARK: sent.template}
            marked = await delivery.mark_sent(
                session,
                message.id,
                sent.wamids[-1],
                now,
                account_id=message.account_id,
                payload=kept,
            )
            if marked:
                # Meta may have posted this message's statuses before it answered the send.
                await apply_early_statuses(
                    session,
                    sent.wamids[-1],
                    now,
                    admin_external_ids=self._admin_external_ids,
                    admin_channel=Channel.TELEGRAM if self._admin_external_ids else None,
                )
            thread, note = payload.get("thread"), payload.get("note")
            if marked and isinstance(thread, int) and message.person_id is not None:
                await reports.record_queued_relay(
                    session,
                    channel=Channel.WHATSAPP,
                    chat_ref=prepared.to,
                    message_refs=sent.wamids,
                    recipient_id=message.person_id,
                    update_id=thread,
                    note_id=note if isinstance(note, int) else None,
                    now=now,
                )

    async def _wait(
        self, message: DueMessage, outcome: DrainResult, error: str, wait: timedelta
    ) -> None:
        """Back in the queue after `wait`, the attempt not counted (as Telegram's 429)."""
        async with self._sessions() as session, session.begin():
            await delivery.mark_retry(
                session, message.id, now=self._clock.now(), error=error, retry_after=wait
            )
        outcome.retried = 1

    async def _retry_later(
        self,
        message: DueMessage,
        outcome: DrainResult,
        exc: Exception,
        reason: DeliveryFailure,
        *,
        maybe_repeated: bool = False,
    ) -> None:
        await retry_later(
            self._sessions,
            self._clock,
            self._retry,
            message,
            outcome,
            exc,
            reason,
            maybe_repeated=maybe_repeated,
        )

    def _seconds(self, moment: datetime) -> float:
        return (moment - self._epoch).total_seconds()


async def templates_reached(session: AsyncSession, now: datetime) -> dict[int, datetime]:
    """The WhatsApp accounts templates went to in the last 24 hours, each with the first
    such send: the messaging tier's count, shared by every instance through the outbox."""
    rows = await session.execute(
        select(OutboxMessage.account_id, func.min(OutboxMessage.sent_at))
        .join(ChannelAccount, ChannelAccount.id == OutboxMessage.account_id)
        .where(
            ChannelAccount.channel == Channel.WHATSAPP,
            OutboxMessage.sent_at > now - WINDOW,
            OutboxMessage.status != OutboxStatus.FAILED,
            OutboxMessage.payload[TEMPLATE_MARK].as_string().is_not(None),
        )
        .group_by(OutboxMessage.account_id)
    )
    return {
        account_id: first
        for account_id, first in rows.tuples()
        if account_id is not None and first is not None
    }


def split_text(text: str, limit: int) -> list[str]:
    """The text in parts of at most `limit` characters, cut at paragraph or line ends where
    it can be."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit))
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return [p for p in parts if p] or ["-"]


def _buttons(prepared: WhatsAppMessage) -> Any:
    """Up to three reply buttons whose labels fit; otherwise the rows of a list, a label too
    long for a row's title whole in its description (as whatsapp/shaping.py lays out forms)."""
    choices = prepared.buttons
    if len(choices) <= MAX_REPLY_BUTTONS and all(
        len(title) <= BUTTON_TITLE_LIMIT for _, title in choices
    ):
        return [types.Button(title=title, callback_data=data) for data, title in choices]
    rows = [
        types.SectionRow(
            title=_cut(title, ROW_TITLE_LIMIT),
            callback_data=data,
            description=_cut(title, ROW_DESCRIPTION_LIMIT)
            if len(title) > ROW_TITLE_LIMIT
            else None,
        )
        for data, title in choices
    ]
    title = _cut(prepared.choose, ROW_TITLE_LIMIT)
    return types.SectionList(
        button_title=_cut(prepared.choose, BUTTON_TITLE_LIMIT),
        sections=[types.Section(title=title, rows=rows)],
    )


def _template(kind: str, outgoing: Outgoing) -> TemplateSpec:
    """The kind's template; one whose button shows a report, only with a report to show
    (a relay without one, like the word that a report did not arrive, goes as a notice)."""
    spec = spec_for(kind)
    return spec_for(NOTICE) if spec.button and outgoing.thread is None else spec


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _whatsapp_ref(item: dict[str, str]) -> str | None:
    if item.get("channel") == Channel.WHATSAPP.value and item.get("ref"):
        return item["ref"]
    return None


# Types the Cloud API takes as a document; anything else goes as a PDF is refused by Meta.
_DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "text/plain",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)


def _mime_type(item: dict[str, str], data: bytes) -> str:
    """The file's type, for the upload: from its bytes for a photo, its name for a document."""
    if item["kind"] == "photo":
        return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    guessed = mimetypes.guess_type(item.get("file_name") or "")[0]
    if guessed in _DOCUMENT_TYPES:
        return guessed
    if data.startswith(b"%PDF"):
        return "application/pdf"
    return guessed or "application/octet-stream"


def _file_name(item: dict[str, str], mime: str) -> str:
    extension = mimetypes.guess_extension(mime) or ""
    return f"{item['kind']}{extension}"
