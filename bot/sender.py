"""The sender: drains the delivery queue at each channel's limits, once per message.

A message goes by the channel of its recipient's account: Telegram here, any other through
its `ChannelDelivery` (whatsapp/sender.py), each with its own limiter and 429 pause.

Relays (reports, corrections, notes) go this way too: each is one logical message (its files
as albums, then its text with the buttons), and every Telegram message it took is recorded
as a relay of its report, so replies thread and the buttons know who may press them.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from domain.albums import albums
from domain.clock import Clock
from domain.enums import Channel, DeliveryFailure
from domain.i18n import CatalogError, Translator, format_date, format_datetime, translator
from domain.markup import escape
from domain.ratelimit import (
    DEFAULT_CHAT_RATE_PER_S,
    DEFAULT_RATE_PER_S,
    DeliveryLimiter,
    RetryPolicy,
)
from domain.text import utf16_length
from domain.timezones import UnknownZone, parse_zone
from handlers.telegram_text import TELEGRAM_CAPTION_LIMIT, markup_parts
from services import coordination, delivery, reports
from services.delivery import DueMessage
from services.outbox import RELAY, Outgoing, settled
from storage.evidence_store import EvidenceStore
from web import metrics

log = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]+>")
# With nothing queued the sender still looks again this often, in case something was queued
# without a wake-up (by the command line, or by another process).
IDLE_LOOK = timedelta(minutes=1)
# After an unexpected error in a drain (the database away, say), wait before trying again.
ERROR_PAUSE = timedelta(seconds=5)

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class DrainResult:
    """What one drain did; `next_at` is when there is more to do (None: nothing queued)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    dropped: int = 0
    rate_limited: int = 0
    notices: int = 0
    next_at: datetime | None = None
    sent_ids: list[int] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.sent or self.retried or self.failed or self.unreachable or self.dropped)

    def absorb(self, other: DrainResult) -> None:
        """Add the counts of one message's delivery (or another drain) to these."""
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.unreachable += other.unreachable
        self.dropped += other.dropped
        self.rate_limited += other.rate_limited
        self.notices += other.notices
        self.sent_ids.extend(other.sent_ids)


@dataclass(frozen=True)
class Rendered:
    """A message ready for Telegram: HTML parts (buttons under the last), files before them.

    `separate`: the text stays a message of its own even after a single file (a relayed
    report: the files carry the participant's captions, the text what advisors answer).
    `reply_to`: the message in the same chat the first one answers."""

    parts: list[str]
    markup: InlineKeyboardMarkup | None
    media: list[dict[str, str]]
    separate: bool = False
    reply_to: int | None = None

    @property
    def as_caption(self) -> bool:
        # One file with a short text goes as one message, the text as its caption.
        return (
            not self.separate
            and len(self.media) == 1
            and not self.media[0].get("caption")
            and len(self.parts) == 1
            and _visible_length(self.parts[0]) <= TELEGRAM_CAPTION_LIMIT
        )

    @property
    def cost(self) -> int:
        """How many messages Telegram counts against its limits."""
        return 1 if self.as_caption else len(self.parts) + len(self.media)


@dataclass(frozen=True)
class _Planned:
    message: DueMessage
    chat_id: int
    rendered: Any  # Rendered for Telegram; what the channel's `prepare` made for another


class Prepared(Protocol):
    """A message a channel has rendered for sending."""

    @property
    def cost(self) -> int:
        """How many messages the channel counts against its limits."""
        ...


class ChannelDelivery(Protocol):
    """A channel besides Telegram that the sender delivers through (whatsapp/sender.py).

    `prepare` renders a due message (raising CatalogError, KeyError, ValueError or TypeError
    when it is broken and can never be sent); `deliver` sends it once claimed and records the
    outcome in its own transactions, as `Sender._deliver` does for Telegram. `limiter`
    paces the channel: its overall rate, its per-chat rate and its 429 pause."""

    channel: Channel
    limiter: DeliveryLimiter

    def prepare(self, message: DueMessage) -> Prepared: ...

    async def deliver(self, message: DueMessage, prepared: Any) -> DrainResult: ...


def _telegram_ref(item: dict[str, str]) -> str | None:
    """A media item's Telegram file_id, if it has one ("file_id": queued before references
    named their channel, when all were Telegram's)."""
    if item.get("channel") == Channel.TELEGRAM.value and item.get("ref"):
        return item["ref"]
    return item.get("file_id") or None


class Sender:
    """Sends every due outbox message, within the overall, per-chat and per-group rates.

    `sessions` opens one short transaction per claim and per outcome; `clock` is injected
    (the limits are paced on it) and so is `sleep`, so tests move time instead of waiting.
    """

    def __init__(
        self,
        bot: Bot | None,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        chat_rate_per_s: float = DEFAULT_CHAT_RATE_PER_S,
        burst: float | None = None,
        default_language: str = "id",
        default_zone: ZoneInfo | None = None,
        retry: RetryPolicy | None = None,
        batch: int = 50,
        sleep: Sleep = asyncio.sleep,
        admin_telegram_ids: Collection[int] = (),
        evidence_store: EvidenceStore | None = None,
        channels: Collection[ChannelDelivery] = (),
    ) -> None:
        # None when only WhatsApp is set up: Telegram's messages then stay queued.
        self._bot = bot
        # Other channels' deliveries, by channel; Telegram's is this class itself.
        self._others = {c.channel: c for c in channels}
        telegram = () if bot is None else (Channel.TELEGRAM,)
        self._channels = (*telegram, *self._others)
        # Files that came by another channel are uploaded from here.
        self._store = evidence_store
        self._sessions = sessions
        self._clock = clock
        self._limiter = DeliveryLimiter(
            rate_per_s=rate_per_s, chat_rate_per_s=chat_rate_per_s, burst=burst
        )
        self._default_language = default_language
        self._default_zone = default_zone or ZoneInfo("Asia/Jakarta")
        self._retry = retry or RetryPolicy()
        self._batch = batch
        self._sleep = sleep
        # Admins from the settings: told, like cohort admins, when someone becomes unreachable.
        self._admin_external_ids = frozenset(str(i) for i in admin_telegram_ids)
        self._wake = asyncio.Event()
        # When the run loop last came round (readiness: a stuck sender is not ready).
        self.heartbeat: datetime | None = None
        # The limiter counts seconds from here: small floats keep microseconds exact.
        self._epoch = clock.now()

    # -- time --------------------------------------------------------------------------------

    def _seconds(self, moment: datetime) -> float:
        return (moment - self._epoch).total_seconds()

    def _moment(self, seconds: float) -> datetime:
        return self._epoch + timedelta(seconds=seconds)

    # -- public ------------------------------------------------------------------------------

    def wake(self) -> None:
        """Look at the queue now: call after queuing something that should go out at once."""
        self._wake.set()

    async def recover(self) -> list[int]:
        """At start-up: messages a killed process left in flight go back in the queue."""
        async with self._sessions() as session, session.begin():
            return await delivery.recover_interrupted(session, self._clock.now())

    async def drain_once(
        self, *, kinds: Collection[str] | None = None, paced: bool = True
    ) -> DrainResult:
        """Send every due message the limits allow now; record each outcome as it comes.

        `kinds`: only messages of these kinds. `paced=False` sends them all now, leaving the
        overall and per-chat limits alone: for a harness whose clock stands still while a
        real sender would spread them over a few seconds (Telegram's 429 pause still holds).
        One chat's messages always go one after another, in the order they were queued."""
        now = self._clock.now()
        t = self._seconds(now)
        result = DrainResult()
        if all(self._limiter_of(c).is_paused(t) for c in self._channels):
            result.next_at = self._moment(min(self._pauses(t)))
            return result
        planned: list[_Planned] = []
        blocked_until: list[float] = []
        async with self._sessions() as session, session.begin():
            # A 429 pause another instance (an earlier active worker) met holds here too.
            for channel in self._channels:
                shared_pause = await coordination.send_pause(session, channel)
                if shared_pause is not None and shared_pause > now:
                    self._limiter_of(channel).pause_until(self._seconds(shared_pause))
            if all(self._limiter_of(c).is_paused(t) for c in self._channels):
                result.next_at = self._moment(min(self._pauses(t)))
                return result
            channels = self._channels
            result.dropped = await delivery.drop_stale(session, now, channel=channels)
            due = await delivery.due_messages(
                session, now, limit=self._batch, kinds=kinds, channel=channels
            )
            for message in due:
                limiter = self._limiter_of(message.channel)
                if limiter.is_paused(t):
                    # Its channel answered "too many requests": it waits, the others go on.
                    blocked_until.append(limiter.paused_until)
                    continue
                problem = message.problem
                if paced and problem is None and message.chat_ref is not None:
                    # Rendering costs more than this look: a row the limits hold back now is
                    # not rendered, so a long queue costs only what goes (the least a message
                    # can cost is one call; the full cost is checked once it is rendered).
                    chat = int(message.chat_ref)
                    if not limiter.allows(chat, message.is_group, t):
                        blocked_until.append(limiter.next_allowed(chat, message.is_group, t))
                        continue
                cause: DeliveryFailure | None = None  # None: what the problem's text says
                rendered = None
                if problem is None:
                    try:
                        rendered = self._prepare(message)
                    except (CatalogError, KeyError, ValueError, TypeError) as exc:
                        # The queued message itself is broken: it can never be sent.
                        log.error("outbox message %s cannot be rendered: %r", message.id, exc)
                        problem, cause = f"cannot render: {exc!r}", DeliveryFailure.INTERNAL
                if problem is not None or rendered is None or message.chat_ref is None:
                    if problem is None:
                        problem, cause = "no chat", DeliveryFailure.NOT_JOINED
                    await delivery.mark_failed(session, message.id, problem, cause, now=now)
                    result.failed += 1
                    continue
                chat, group, cost = int(message.chat_ref), message.is_group, rendered.cost
                if not paced:
                    planned.append(_Planned(message, chat, rendered))
                elif limiter.allows(chat, group, t, cost):
                    limiter.take(chat, group, t, cost)
                    planned.append(_Planned(message, chat, rendered))
                else:
                    blocked_until.append(limiter.next_allowed(chat, group, t, cost))
            claimed = await delivery.claim(session, [p.message.id for p in planned], now)
        by_chat: dict[tuple[Channel, int], list[_Planned]] = {}
        for plan in planned:
            if plan.message.id in claimed:
                by_chat.setdefault((plan.message.channel, plan.chat_id), []).append(plan)
        for outcomes in await asyncio.gather(*(self._deliver_all(p) for p in by_chat.values())):
            for outcome in outcomes:
                result.absorb(outcome)
        # A full batch that moved (sent or failed something) means more may wait behind it; a
        # full batch that only met busy chats would show the same rows again, so it waits.
        more = len(due) >= self._batch and bool(planned or result.failed)
        result.next_at = await self._next_at(now, t, blocked_until, more)
        if result.busy:
            log.debug("drain: %s", result)
            metrics.record_sends(
                {name: getattr(result, name) for name in metrics.SEND_OUTCOMES},
                rate_limited=result.rate_limited,
            )
        return result

    async def run(self, stop_event: asyncio.Event) -> None:
        """Recover, then drain whenever something is due or `wake()` is called, until stopped."""
        await self.recover()
        while not stop_event.is_set():
            self.heartbeat = self._clock.now()
            try:
                result = await self.drain_once()
                next_at = result.next_at
            except Exception:
                # Not a Telegram answer (those are handled per message): the database is
                # away, or a bug. Keep the sender alive and try again a little later.
                log.exception("delivery drain failed; trying again in %s", ERROR_PAUSE)
                next_at = self._clock.now() + ERROR_PAUSE
            now = self._clock.now()
            wait = IDLE_LOOK if next_at is None else min(max(next_at - now, timedelta()), IDLE_LOOK)
            if wait > timedelta():
                await self._wait(wait.total_seconds(), stop_event)
            else:
                # Let other tasks (the bot's handlers) run between back-to-back drains.
                await asyncio.sleep(0)
                self._wake.clear()

    # -- channels ----------------------------------------------------------------------------

    def _limiter_of(self, channel: Channel) -> DeliveryLimiter:
        other = self._others.get(channel)
        return self._limiter if other is None else other.limiter

    def _pauses(self, t: float) -> list[float]:
        """When each channel's pause ends (now for a channel not paused)."""
        return [
            self._limiter_of(c).paused_until if self._limiter_of(c).is_paused(t) else t
            for c in self._channels
        ]

    def _prepare(self, message: DueMessage) -> Any:
        other = self._others.get(message.channel)
        return self.render(message) if other is None else other.prepare(message)

    # -- rendering ---------------------------------------------------------------------------

    def render(self, message: DueMessage) -> Rendered:
        """The message in its recipient's language and zone.

        The catalog's markup becomes Telegram HTML, split at Telegram's limit. String
        parameters are escaped for the markup; aware datetimes are printed in the
        recipient's zone; a parameter {"key": ..., "params": {...}} is itself a catalog
        message rendered in the recipient's language (a role name, a seminar kind).
        """
        outgoing = Outgoing.from_payload(message.payload)
        language = message.language or self._default_language
        zone = self._zone(message.timezone)
        t = translator(language)
        parts = markup_parts(catalog_markup(outgoing, t, zone))
        if not parts:
            raise ValueError(f"message {outgoing.key!r} renders empty")
        markup = None
        if outgoing.buttons:
            markup = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            t(button.label_key), callback_data=button.callback_data, url=button.url
                        )
                        for button in row
                    ]
                    for row in outgoing.buttons
                ]
            )
        for item in outgoing.media:
            if item.get("kind") not in ("photo", "document") or not (
                _telegram_ref(item) or item.get("sha256")
            ):
                raise ValueError(f"unknown media item {item!r}")
            if not isinstance(item.get("caption") or "", str):
                raise ValueError(f"bad caption in media item {item!r}")
        reply_to = None
        answered = outgoing.reply_to
        if answered is not None and answered.chat_ref == message.chat_ref:
            reply_to = int(answered.message_ref) if answered.message_ref.isdigit() else None
        return Rendered(
            parts=parts,
            markup=markup,
            media=list(outgoing.media),
            separate=outgoing.thread is not None,
            reply_to=reply_to,
        )

    def _zone(self, name: str | None) -> ZoneInfo:
        if not name:
            return self._default_zone
        try:
            return parse_zone(name)
        except UnknownZone:
            log.warning("unknown time zone %r; using %s", name, self._default_zone.key)
            return self._default_zone

    # -- sending -----------------------------------------------------------------------------

    async def _deliver_all(self, plans: list[_Planned]) -> list[DrainResult]:
        """One chat's messages, one after another, so they arrive in the order queued."""
        results = []
        for plan in plans:
            other = self._others.get(plan.message.channel)
            if other is None:
                results.append(await self._deliver(plan))
            else:
                results.append(await other.deliver(plan.message, plan.rendered))
        return results

    async def _deliver(self, plan: _Planned) -> DrainResult:
        """Send one claimed message and record what happened, in its own transaction."""
        message = plan.message
        if message.maybe_repeated:
            log.warning(
                "sending outbox message %s again after an interrupted send; it may be repeated",
                message.id,
            )
        outcome = DrainResult()
        try:
            sent = await self._send(plan.chat_id, plan.rendered)
        except RetryAfter as exc:
            wait = _retry_after(exc)
            now = self._clock.now()
            self._limiter.pause_until(self._seconds(now) + wait.total_seconds())
            log.warning("Telegram flood limit: pausing all sends for %s", wait)
            outcome.rate_limited = outcome.retried = 1
            async with self._sessions() as session, session.begin():
                await delivery.mark_retry(
                    session, message.id, now=now, error=f"429: {exc}", retry_after=wait
                )
                await coordination.pause_sending(session, Channel.TELEGRAM, now + wait, now)
            return outcome
        except Forbidden as exc:
            reason = forbidden_reason(str(exc), group=message.person_id is None)
            async with self._sessions() as session, session.begin():
                if message.person_id is not None:
                    outcome.notices = await delivery.mark_unreachable(
                        session,
                        message.id,
                        message.person_id,
                        f"403: {exc}",
                        self._clock.now(),
                        reason=reason,
                        admin_external_ids=self._admin_external_ids,
                    )
                else:
                    await delivery.mark_group_gone(session, message.id, f"403: {exc}", reason)
            log.info(
                "outbox message %s: chat %s unreachable (%s): %s",
                message.id,
                plan.chat_id,
                reason,
                exc,
            )
            outcome.unreachable = 1
            return outcome
        except ChatMigrated as exc:
            async with self._sessions() as session, session.begin():
                await delivery.migrate_group(session, message.id, str(exc.new_chat_id))
            log.info(
                "group %s is now %s; message %s requeued", plan.chat_id, exc.new_chat_id, message.id
            )
            outcome.retried = 1
            return outcome
        except BadRequest as exc:
            # Permanent: sending the same again would be refused the same way.
            reason = bad_request_reason(str(exc), group=message.person_id is None)
            if message.person_id is not None and reason is DeliveryFailure.NOT_STARTED:
                # "Chat not found" for a person: like a 403, every later message would meet it
                # too, so they are marked unreachable and the organizers are told, once.
                async with self._sessions() as session, session.begin():
                    outcome.notices = await delivery.mark_unreachable(
                        session,
                        message.id,
                        message.person_id,
                        f"400: {exc}",
                        self._clock.now(),
                        reason=reason,
                        admin_external_ids=self._admin_external_ids,
                    )
                log.info(
                    "outbox message %s: chat %s not found (%s): %s",
                    message.id,
                    plan.chat_id,
                    reason,
                    exc,
                )
                outcome.unreachable = 1
                return outcome
            async with self._sessions() as session, session.begin():
                await delivery.mark_failed(
                    session, message.id, f"400: {exc}", reason, now=self._clock.now()
                )
            log.warning("outbox message %s refused by Telegram (%s): %s", message.id, reason, exc)
            outcome.failed = 1
            return outcome
        except NetworkError as exc:
            # A timeout may have reached Telegram; a refused connection or a 5xx did not.
            await self._retry_later(message, outcome, exc, maybe_repeated=isinstance(exc, TimedOut))
            return outcome
        except Exception as exc:
            # A bug of ours (or of the library): log it loudly, count it as a failed attempt so
            # the message ends failed with the reason after the last one instead of looping.
            log.exception("unexpected error sending outbox message %s", message.id)
            await self._retry_later(message, outcome, exc, maybe_repeated=False)
            return outcome
        async with self._sessions() as session, session.begin():
            now = self._clock.now()
            payload = message.payload
            marked = await delivery.mark_sent(
                session,
                message.id,
                str(sent[-1].message_id),
                now,
                account_id=message.account_id,
                payload=settled(payload) if message.kind == RELAY else None,
            )
            thread, note = payload.get("thread"), payload.get("note")
            if marked and isinstance(thread, int) and message.person_id is not None:
                # A relay, or a reminder carrying a report: replies to any of its messages
                # thread, and its buttons work for this recipient only.
                await reports.record_queued_relay(
                    session,
                    channel=Channel.TELEGRAM,
                    chat_ref=str(plan.chat_id),
                    message_refs=[str(m.message_id) for m in sent],
                    recipient_id=message.person_id,
                    update_id=thread,
                    note_id=note if isinstance(note, int) else None,
                    now=now,
                )
        outcome.sent = 1
        outcome.sent_ids.append(message.id)
        return outcome

    async def _retry_later(
        self, message: DueMessage, outcome: DrainResult, exc: Exception, *, maybe_repeated: bool
    ) -> None:
        reason = (
            DeliveryFailure.NETWORK if isinstance(exc, NetworkError) else DeliveryFailure.INTERNAL
        )
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

    async def _file(self, item: dict[str, str]) -> str | InputFile:
        """What Telegram is given for a file: its file_id when it came by Telegram, else the
        bytes from the evidence store (ValueError when they are not there: nothing to send)."""
        ref = _telegram_ref(item)
        if ref:
            return ref
        data = await self._store.get(item["sha256"]) if self._store and "sha256" in item else None
        if data is None:
            raise ValueError(f"file {item.get('sha256')!r} is not in the evidence store")
        return InputFile(data, filename=item.get("file_name") or None)

    async def _send(self, chat_id: int, rendered: Rendered) -> list[Message]:
        """Files first (albums of photos, then of documents), then the text with the buttons
        under its last part; every message sent, in order (the text's last part last)."""
        bot = self._bot
        assert bot is not None  # only Telegram's messages come here, and only with a bot
        answer = (
            ReplyParameters(rendered.reply_to, allow_sending_without_reply=True)
            if rendered.reply_to is not None
            else None
        )
        if rendered.as_caption:
            item = rendered.media[0]
            send = bot.send_photo if item["kind"] == "photo" else bot.send_document
            single: Message = await send(  # type: ignore[operator]
                chat_id,
                await self._file(item),
                caption=rendered.parts[0],
                parse_mode=ParseMode.HTML,
                reply_markup=rendered.markup,
                reply_parameters=answer,
            )
            return [single]
        sent: list[Message] = []
        for album in albums(rendered.media, lambda item: item["kind"]):
            # Captions are the sender's own words: plain text, never HTML.
            if len(album) == 1:
                item = album[0]
                send = bot.send_photo if item["kind"] == "photo" else bot.send_document
                sent.append(
                    await send(  # type: ignore[operator]
                        chat_id,
                        await self._file(item),
                        caption=item.get("caption") or None,
                        parse_mode=None,
                        reply_parameters=None if sent else answer,
                    )
                )
                continue
            media_type = InputMediaPhoto if album[0]["kind"] == "photo" else InputMediaDocument
            group = [
                media_type(  # type: ignore[operator]
                    await self._file(item), caption=item.get("caption") or None, parse_mode=None
                )
                for item in album
            ]
            sent.extend(
                await bot.send_media_group(
                    chat_id, group, reply_parameters=None if sent else answer
                )
            )
        for index, part in enumerate(rendered.parts):
            final = index == len(rendered.parts) - 1
            sent.append(
                await bot.send_message(
                    chat_id,
                    part,
                    parse_mode=ParseMode.HTML,
                    reply_markup=rendered.markup if final else None,
                    reply_parameters=None if sent else answer,
                )
            )
        return sent

    # -- waiting -----------------------------------------------------------------------------

    async def _next_at(
        self, now: datetime, t: float, blocked_until: list[float], more: bool
    ) -> datetime | None:
        moments = []
        if blocked_until:
            moments.append(self._moment(min(blocked_until)))
        if more:
            # More is due beyond this batch: as soon as an overall rate lets another go.
            ready = min(self._limiter_of(c).overall_ready_at(t) for c in self._channels)
            moments.append(self._moment(ready))
        async with self._sessions() as session:
            upcoming = await delivery.next_due(session, now, channel=self._channels)
        if upcoming is not None:
            moments.append(upcoming)
        if not moments:
            return None
        # Nothing goes before the first channel's pause ends (a pause holds one channel only).
        return max(min(moments), self._moment(min(self._pauses(t))))

    async def _wait(self, seconds: float, stop_event: asyncio.Event) -> None:
        """Sleep `seconds` (the injected sleep), cut short by wake() or by the stop event."""
        if self._wake.is_set():
            self._wake.clear()
            return
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        waker = asyncio.ensure_future(self._wake.wait())
        stopper = asyncio.ensure_future(stop_event.wait())
        try:
            await asyncio.wait({sleeper, waker, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker, stopper):
                task.cancel()
            for task in (sleeper, waker, stopper):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._wake.clear()


async def retry_later(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    policy: RetryPolicy,
    message: DueMessage,
    outcome: DrainResult,
    exc: Exception,
    reason: DeliveryFailure,
    *,
    maybe_repeated: bool = False,
) -> None:
    """A send that failed for a passing reason (any channel): tried again later by `policy`,
    or failed once its attempts are spent; counted in `outcome` either way."""
    async with sessions() as session, session.begin():
        retrying = await delivery.mark_retry(
            session,
            message.id,
            now=clock.now(),
            error=f"{type(exc).__name__}: {exc}",
            maybe_repeated=maybe_repeated,
            policy=policy,
            reason=reason,
        )
    if retrying:
        outcome.retried = 1
    else:
        log.warning("outbox message %s failed after its last attempt: %r", message.id, exc)
        outcome.failed = 1


def forbidden_reason(description: str, *, group: bool) -> DeliveryFailure:
    """What a 403 from Telegram means, from its description (the raw text goes to the log)."""
    text = description.lower()
    if "blocked by the user" in text:
        return DeliveryFailure.BLOCKED
    if "deactivated" in text or "deleted" in text:
        return DeliveryFailure.DEACTIVATED
    if "initiate conversation" in text:
        return DeliveryFailure.NOT_STARTED
    if group or "kicked" in text or "not a member" in text:
        return DeliveryFailure.REMOVED
    return DeliveryFailure.UNREACHABLE


def bad_request_reason(description: str, *, group: bool) -> DeliveryFailure:
    """What a 400 from Telegram means: a chat it does not know, or this message refused."""
    if "chat not found" in description.lower():
        return DeliveryFailure.REMOVED if group else DeliveryFailure.NOT_STARTED
    return DeliveryFailure.REJECTED


def catalog_markup(outgoing: Outgoing, t: Translator, zone: ZoneInfo) -> str:
    """The message's catalog text in `t`'s language, its parameters rendered for the
    recipient (strings escaped for the markup, moments in `zone`): any channel's source."""
    params = {name: _param(value, t, zone) for name, value in outgoing.params.items()}
    return t(outgoing.key, **params)


def _param(value: Any, t: Translator, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value, zone, t.language)
    if isinstance(value, date):
        return format_date(value, None, t.language)
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict) and isinstance(value.get("key"), str):
        inner = value.get("params") or {}
        return t(value["key"], **{k: _param(v, t, zone) for k, v in inner.items()})
    return value


def _visible_length(telegram_html: str) -> int:
    """What Telegram counts against a caption's limit: the text once the markup is parsed."""
    return utf16_length(html.unescape(_TAG.sub("", telegram_html)))


def _retry_after(exc: RetryAfter) -> timedelta:
    # PTB 22 warns that retry_after will become a timedelta; accept either shape.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    if isinstance(value, timedelta):
        return value
    return timedelta(seconds=float(value))
