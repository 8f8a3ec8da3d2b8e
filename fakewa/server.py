"""The fake WhatsApp Cloud API server: Graph API endpoints, shared state, webhooks and waiting."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Protocol, TypeVar

from aiohttp import web
from aiohttp.web_request import FileField

from fakewa import errors
from fakewa.actors import FakePerson
from fakewa.errors import GraphError
from fakewa.limits import DAY, Limiter, Limits
from fakewa.messages import Unimplemented, check_message, check_read_receipt, is_read_receipt
from fakewa.records import ApiCall, IncomingMessage, Media, OutgoingMessage, Template, WebhookPost
from fakewa.webhook import Pending, Verification, WebhookDelivery, encode, envelope, sign, verify

log = logging.getLogger("fakewa")

T = TypeVar("T")

DEFAULT_ACCESS_TOKEN = "EAAFAKEWA-TEST-TOKEN"
DEFAULT_APP_SECRET = "fakewa-app-secret"
DEFAULT_PHONE_NUMBER_ID = "100000000000001"
DEFAULT_WABA_ID = "200000000000002"
DEFAULT_DISPLAY_NUMBER = "6281100000001"
GRAPH_VERSION = "v22.0"

WINDOW_SECONDS = DAY
MEDIA_TTL_SECONDS = 7 * DAY
MEDIA_URL_TTL_SECONDS = 5 * 60  # a media URL from GET /{media_id} works for five minutes
# The Cloud API's media types and size limits (bytes).
MEDIA_TYPES: dict[str, tuple[str, int]] = {
    "image/jpeg": ("image", 5 * 1024 * 1024),
    "image/png": ("image", 5 * 1024 * 1024),
    "application/pdf": ("document", 100 * 1024 * 1024),
    "text/plain": ("document", 100 * 1024 * 1024),
    "application/msword": ("document", 100 * 1024 * 1024),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "document",
        100 * 1024 * 1024,
    ),
    "application/vnd.ms-excel": ("document", 100 * 1024 * 1024),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        "document",
        100 * 1024 * 1024,
    ),
    "application/vnd.ms-powerpoint": ("document", 100 * 1024 * 1024),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "document",
        100 * 1024 * 1024,
    ),
    "audio/ogg": ("audio", 16 * 1024 * 1024),
    "video/mp4": ("video", 16 * 1024 * 1024),
    "image/webp": ("sticker", 500 * 1024),
}
MAX_UPLOAD_BYTES = 101 * 1024 * 1024


class DatetimeClock(Protocol):
    """The project's clock (domain.clock): ``now()`` as an aware datetime."""

    def now(self) -> datetime: ...


class WaitTimeout(AssertionError):
    """A wait_for condition did not come true in time."""


class FakeWhatsApp:
    """A local WhatsApp Cloud API that checks calls like Meta and lets tests act as people.

    ``clock`` (``domain.clock.ManualClock`` or any ``now()`` clock shared with the bot, or a
    function answering epoch seconds) drives the 24-hour window, the
    rate limits, media expiry and every timestamp. ``window_errors`` says how a free-form
    message outside the window is refused: ``"webhook"`` (what the Cloud API does: accepted,
    then a ``failed`` status with 131047) or ``"response"`` (refused at once with 131047).
    """

    def __init__(
        self,
        *,
        access_token: str = DEFAULT_ACCESS_TOKEN,
        app_secret: str = DEFAULT_APP_SECRET,
        phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
        waba_id: str = DEFAULT_WABA_ID,
        display_phone_number: str = DEFAULT_DISPLAY_NUMBER,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: DatetimeClock | Callable[[], float] = time.time,
        limits: Limits | None = Limits(),  # noqa: B008 - frozen, shared safely
        window_errors: str = "webhook",
        auto_deliver: bool = True,
    ) -> None:
        if window_errors not in ("webhook", "response"):
            raise ValueError("window_errors is 'webhook' or 'response'")
        self.access_token = access_token
        self.app_secret = app_secret
        self.phone_number_id = phone_number_id
        self.waba_id = waba_id
        self.display_phone_number = display_phone_number
        self.host = host
        self.port = port
        self._clock = clock
        self.window_errors = window_errors
        self.auto_deliver = auto_deliver
        self.media_ttl = MEDIA_TTL_SECONDS
        self.window_seconds = WINDOW_SECONDS

        self.people: dict[str, FakePerson] = {}
        self.templates: dict[tuple[str, str], Template] = {}
        self.media: dict[str, Media] = {}
        self.outgoing: list[OutgoingMessage] = []
        self.incoming: list[IncomingMessage] = []
        self.calls: list[ApiCall] = []
        self.unimplemented: list[str] = []
        self.read_receipts: list[str] = []
        self.rate_limited = 0
        self.webhook_url: str | None = None
        self.webhook_retry_delay = 0.2
        self.webhook_posts: list[WebhookPost] = []

        self._limiter: Limiter | None = Limiter(limits) if limits else None
        self._media_urls: dict[str, tuple[str, float]] = {}  # url key -> (media id, issued at)
        self._by_wamid: dict[str, OutgoingMessage] = {}
        self._tick = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._api_root: str | None = None
        self._delivery = WebhookDelivery(self)
        # While a `batch()` block runs: the value (contacts, messages, statuses) it collects.
        self._batch: dict[str, list[dict[str, Any]]] | None = None

    def clock(self) -> float:
        """Now, in epoch seconds, from the clock given at construction."""
        if callable(self._clock):
            return float(self._clock())
        return self._clock.now().timestamp()

    @property
    def limits(self) -> Limits | None:
        """Throughput and pair-rate limits (Meta's defaults); None never limits."""
        return self._limiter.limits if self._limiter else None

    @limits.setter
    def limits(self, limits: Limits | None) -> None:
        self._limiter = Limiter(limits) if limits else None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> FakeWhatsApp:
        """Listen on host:port (a free port when port is 0); api_root tells where."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        version = r"{version:v\d+\.\d+}"
        app.router.add_route("POST", f"/{version}/{{node}}/messages", self._handle_messages)
        app.router.add_route("POST", f"/{version}/{{node}}/media", self._handle_upload)
        app.router.add_route(
            "GET", f"/{version}/{{node}}/message_templates", self._handle_templates
        )
        app.router.add_route("GET", f"/{version}/{{node}}", self._handle_media_info)
        app.router.add_route("DELETE", f"/{version}/{{node}}", self._handle_media_delete)
        app.router.add_route("GET", "/whatsapp_business/attachments/", self._handle_download)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self._closing = False
        self._api_root = f"http://{self.host}:{runner.addresses[0][1]}"
        log.debug("fakewa listening on %s", self._api_root)
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        await self._delivery.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeWhatsApp:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_root(self) -> str:
        """ "http://127.0.0.1:PORT", standing in for https://graph.facebook.com."""
        if self._api_root is None:
            raise RuntimeError("FakeWhatsApp is not started; await server.start() first")
        return self._api_root

    @property
    def base_url(self) -> str:
        """The versioned Graph API root, e.g. http://127.0.0.1:PORT/v22.0."""
        return f"{self.api_root}/{GRAPH_VERSION}"

    def httpx_client(self, **kwargs: Any) -> Any:
        """An httpx.AsyncClient whose requests to graph.facebook.com reach this server: hand
        it to pywa_async's ``WhatsApp(session=...)``, which pins its base URL to Meta's host."""
        from fakewa.client import redirecting_client

        return redirecting_client(self.api_root, **kwargs)

    # -- people, templates, webhooks --------------------------------------------------------

    def person(self, wa_id: str, name: str) -> FakePerson:
        """A WhatsApp user (wa_id: digits with country code, e.g. "6281234567890")."""
        wa_id = wa_id.removeprefix("+")
        if wa_id in self.people:
            return self.people[wa_id]
        if not wa_id.isdigit():
            raise ValueError(f"a wa_id is digits with the country code, got {wa_id!r}")
        person = FakePerson(self, wa_id, name)
        self.people[wa_id] = person
        return person

    def add_template(
        self,
        name: str,
        body: str,
        *,
        language: str = "id",
        category: str = "UTILITY",
        status: str = "APPROVED",
        header: str | None = None,
        footer: str | None = None,
        buttons: list[str] | None = None,
    ) -> Template:
        """Register a template (status APPROVED, PENDING, REJECTED, PAUSED…) on the account."""
        template = Template(
            name=name,
            language=language,
            body=body,
            category=category.upper(),
            status=status.upper(),
            header=header,
            footer=footer,
            buttons=list(buttons or []),
            id=str(10**15 + len(self.templates) + 1),
        )
        self.templates[(name, language)] = template
        return template

    async def set_webhook(self, url: str, verify_token: str) -> Verification:
        """Register the bot's callback URL as the app dashboard does: only after the bot passed
        the GET handshake with this verify token; then queued webhooks start flowing."""
        result = await verify(url, verify_token)
        if not result.ok:
            raise AssertionError(
                f"fakewa: the callback URL did not verify: {result.status} {result.body!r}"
            )
        self.webhook_url = url
        self._delivery.ensure_running()
        self._notify()
        return result

    async def verify_webhook(
        self, url: str, verify_token: str, *, mode: str = "subscribe"
    ) -> Verification:
        """Only the handshake, to test a bot that must refuse a wrong token."""
        return await verify(url, verify_token, mode=mode)

    async def remove_webhook(self) -> None:
        self.webhook_url = None
        self._notify()
        await self._delivery.stop()

    def sign(self, body: bytes) -> str:
        """The X-Hub-Signature-256 value for a body, with this app's secret."""
        return sign(self.app_secret, body)

    @property
    def pending_webhooks(self) -> list[bytes]:
        """Bodies not yet accepted by the bot (no URL yet, or it answered other than 2xx)."""
        return [p.body for p in self._delivery.queue]

    def repeat_webhook(self, post: WebhookPost | None = None) -> None:
        """Post an already delivered body again, as Meta sometimes does."""
        post = post or next(p for p in reversed(self.webhook_posts) if p.ok)
        self._queue_webhook(post.kind, post.body)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Post what people do inside the block as one webhook, as Meta does for a burst:
        every message (of any person, in order) and status in one ``value`` of one change,
        ``contacts[]`` naming each sender once. Posted when the block ends (nothing when it
        collected nothing); blocks do not nest."""
        if self._batch is not None:
            raise RuntimeError("fakewa: a batch is already being collected")
        collected: dict[str, list[dict[str, Any]]] = {
            "contacts": [],
            "messages": [],
            "statuses": [],
        }
        self._batch = collected
        try:
            yield
        finally:
            self._batch = None
        value = {key: items for key, items in collected.items() if items}
        if value.get("messages") or value.get("statuses"):
            kind = "messages" if value.get("messages") else "statuses"
            self._queue_webhook(kind, encode(envelope(self, value)))

    def webhook(self, payload: dict[str, Any], kind: str = "messages") -> None:
        """Queue any payload (already enveloped) for delivery, signed."""
        self._queue_webhook(kind, encode(payload))

    # -- what the business did ----------------------------------------------------------------

    def sent_to(self, wa_id: str) -> list[OutgoingMessage]:
        """Every message accepted for a person (failed ones included), oldest first."""
        return [m for m in self.outgoing if m.to == wa_id.removeprefix("+")]

    def message(self, wamid: str) -> OutgoingMessage | None:
        return self._by_wamid.get(wamid)

    def calls_to(self, path_end: str) -> list[ApiCall]:
        return [c for c in self.calls if c.path.endswith(path_end)]

    @property
    def errors(self) -> list[ApiCall]:
        """Refused calls: the business's mistakes (and limits it hit)."""
        return [c for c in self.calls if not c.ok]

    def error_codes(self) -> list[int]:
        return [c.code for c in self.calls if c.code is not None]

    def media_by_id(self, media_id: str) -> Media | None:
        """The media behind an id, None once it is unknown or expired."""
        media = self.media.get(media_id)
        if media is None or self.clock() - media.created_at >= self.media_ttl:
            return None
        return media

    @staticmethod
    def media_kind(mime_type: str) -> str | None:
        known = MEDIA_TYPES.get(mime_type)
        return known[0] if known else None

    def person_by_bsuid(self, bsuid: str) -> FakePerson | None:
        return next((p for p in self.people.values() if p.bsuid == bsuid), None)

    def window_open(self, wa_id: str) -> bool:
        person = self.people.get(wa_id)
        if person is None or person.last_inbound_at is None:
            return False
        return self.clock() - person.last_inbound_at < self.window_seconds

    # -- waiting ----------------------------------------------------------------------------

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109 - the deadline is the test-facing contract
        *,
        description: str = "",
    ) -> T:
        """Wait until ``predicate()`` is truthy and return it; re-checked after every API call,
        webhook answer and person's action, no polling sleeps."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            tick = self._tick
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n".join(
                    f"  {c.method} {c.path} -> {c.status} {c.message or ''}".rstrip()
                    for c in self.calls[-8:]
                )
                raise WaitTimeout(
                    f"fakewa: not within {timeout}s: {description or 'the condition'}\n"
                    f"pending webhooks={len(self._delivery.queue)}\n"
                    f"recent calls:\n{recent or '  (none)'}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tick.wait(), remaining)

    async def wait_delivered(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has accepted every queued webhook."""
        await self.wait_for(
            lambda: not self._delivery.queue, timeout, description="every webhook accepted"
        )

    def _notify(self) -> None:
        tick = self._tick
        self._tick = asyncio.Event()
        tick.set()

    # -- internals used by the actors ---------------------------------------------------------

    def _new_wamid(self) -> str:
        return "wamid.HBgN" + secrets.token_urlsafe(24)

    def _new_media_id(self) -> str:
        return str(10**15 + secrets.randbelow(9 * 10**15))

    def _timestamp(self) -> str:
        return str(int(self.clock()))

    def _queue_webhook(self, kind: str, body: bytes) -> None:
        self._delivery.queue.append(Pending(kind, body))
        self._delivery.ensure_running()
        self._notify()

    def _post_incoming(self, person: FakePerson, message: dict[str, Any]) -> IncomingMessage:
        record = IncomingMessage(
            wamid=message["id"],
            wa_id=person.wa_id,
            type=message["type"],
            message=message,
            at=self.clock(),
        )
        self.incoming.append(record)
        if self._batch is not None:
            self._add_to_batch(person.contact, message=message)
            return record
        value = {"contacts": [person.contact], "messages": [message]}
        self._queue_webhook("messages", encode(envelope(self, value)))
        return record

    def _post_status(self, msg: OutgoingMessage, status: str) -> None:
        msg.statuses.append(status)
        item: dict[str, Any] = {
            "id": msg.wamid,
            "status": status,
            "timestamp": self._timestamp(),
            "recipient_id": msg.to,
        }
        if status == "failed" and msg.error is not None:
            item["errors"] = [msg.error.webhook_error()]
        else:
            category = "service"
            if msg.is_template:
                template = self.templates.get((msg.template or "", msg.template_language or ""))
                category = (template.category if template else "UTILITY").lower()
            item["pricing"] = {
                "billable": category != "service",
                "pricing_model": "PMP",
                "category": category,
            }
        # Status webhooks name the recipient in contacts[] too: wa_id and BSUID, the BSUID
        # missing when the number is not on WhatsApp.
        person = self.people.get(msg.to)
        contact = {"wa_id": msg.to} | ({"user_id": person.bsuid} if person else {})
        if self._batch is not None:
            self._add_to_batch(contact, status=item)
            return
        value: dict[str, Any] = {"statuses": [item], "contacts": [contact]}
        self._queue_webhook("statuses", encode(envelope(self, value)))

    def _add_to_batch(
        self,
        contact: dict[str, Any],
        *,
        message: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
    ) -> None:
        assert self._batch is not None
        contacts = self._batch["contacts"]
        for index, known in enumerate(contacts):
            if known.get("wa_id") == contact.get("wa_id"):
                # A status names the recipient without a profile; a message adds the name.
                contacts[index] = known | contact
                break
        else:
            contacts.append(contact)
        if message is not None:
            self._batch["messages"].append(message)
        if status is not None:
            self._batch["statuses"].append(status)

    def _store_media(self, data: bytes, mime_type: str, filename: str | None, origin: str) -> Media:
        media = Media(
            id=self._new_media_id(),
            data=data,
            mime_type=mime_type,
            created_at=self.clock(),
            filename=filename,
            origin=origin,
        )
        self.media[media.id] = media
        return media

    # -- HTTP -------------------------------------------------------------------------------

    async def _handle_messages(self, request: web.Request) -> web.Response:
        async def run(body: dict[str, Any]) -> dict[str, Any]:
            self._check_phone_id(request.match_info["node"])
            if is_read_receipt(body):
                self.read_receipts.append(check_read_receipt(body))
                return {"success": True}
            msg = check_message(body, self, self._new_wamid())
            self._throttle(msg.to)
            return self._accept(msg)

        return await self._serve(request, run, json_body=True)

    def _accept(self, msg: OutgoingMessage) -> dict[str, Any]:
        person = self.people.get(msg.to)
        outside = not msg.is_template and not self.window_open(msg.to)
        if person is not None and outside and self.window_errors == "response":
            raise errors.reengagement()
        self.outgoing.append(msg)
        self._by_wamid[msg.wamid] = msg
        if person is None:
            msg.error = errors.undeliverable()
        elif outside:
            msg.error = errors.reengagement()
        if msg.error is not None:
            self._post_status(msg, "failed")
        elif self.auto_deliver:
            self._post_status(msg, "sent")
            self._post_status(msg, "delivered")
        else:
            self._post_status(msg, "sent")
        answer: dict[str, Any] = {"id": msg.wamid}
        if msg.is_template:
            answer["message_status"] = "accepted"
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": msg.input, "wa_id": msg.to}],
            "messages": [answer],
        }

    def _throttle(self, wa_id: str) -> None:
        if self._limiter is None:
            return
        hit = self._limiter.check(wa_id, self.clock())
        if hit is not None:
            self.rate_limited += 1
            raise errors.throughput() if hit == "throughput" else errors.pair_rate_limit()

    def _check_phone_id(self, node: str) -> None:
        if node != self.phone_number_id:
            raise errors.unknown_object(node)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        form: dict[str, Any] = {}

        async def run(_: dict[str, Any]) -> dict[str, Any]:
            self._check_phone_id(request.match_info["node"])
            if not request.content_type.startswith("multipart/"):
                raise errors.invalid_parameter("Upload the file as multipart/form-data.")
            try:
                post = await request.post()
            except web.HTTPRequestEntityTooLarge:
                raise errors.media_upload_error("The file is larger than 100 MB.") from None
            file = None
            for key, value in post.items():
                if isinstance(value, FileField):
                    if key != "file":
                        raise errors.unexpected_key(key, "media")
                    file = value
                    form[key] = f"<{value.filename}>"
                else:
                    if key not in ("messaging_product", "type", "ttl_minutes"):
                        raise errors.unexpected_key(key, "media")
                    form[key] = str(value)
            if form.get("messaging_product") is None:
                raise errors.required("messaging_product")
            if form["messaging_product"] != "whatsapp":
                raise errors.invalid_parameter("Param messaging_product must be whatsapp.")
            if file is None:
                raise errors.required("file")
            mime = form.get("type") or file.content_type
            if mime not in MEDIA_TYPES:
                raise errors.media_upload_error(
                    f"Param file must be a file with one of the following types: "
                    f"{', '.join(MEDIA_TYPES)}. Received file of type '{mime}'."
                )
            data = file.file.read()
            limit = MEDIA_TYPES[mime][1]
            if len(data) > limit:
                raise errors.media_upload_error(
                    f"The {MEDIA_TYPES[mime][0]} is {len(data)} bytes; the limit is {limit}."
                )
            if not data:
                raise errors.media_upload_error("The file is empty.")
            media = self._store_media(data, mime, file.filename, "upload")
            return {"id": media.id}

        return await self._serve(request, run, json_body=False, logged=form)

    async def _handle_media_info(self, request: web.Request) -> web.Response:
        async def run(_: dict[str, Any]) -> dict[str, Any]:
            node = request.match_info["node"]
            media = self.media_by_id(node)
            if media is None:
                raise errors.unknown_object(node)
            key = secrets.token_urlsafe(18)
            self._media_urls[key] = (media.id, self.clock())
            url = (
                f"{self.api_root}/whatsapp_business/attachments/"
                f"?mid={media.id}&ext={int(self.clock())}&hash={key}"
            )
            return {
                "messaging_product": "whatsapp",
                "url": url,
                "mime_type": media.mime_type,
                "sha256": media.sha256,
                "file_size": media.file_size,
                "id": media.id,
            }

        return await self._serve(request, run, json_body=False)

    async def _handle_media_delete(self, request: web.Request) -> web.Response:
        async def run(_: dict[str, Any]) -> dict[str, Any]:
            node = request.match_info["node"]
            if self.media_by_id(node) is None:
                raise errors.unknown_object(node)
            del self.media[node]
            return {"success": True}

        return await self._serve(request, run, json_body=False)

    async def _handle_templates(self, request: web.Request) -> web.Response:
        async def run(_: dict[str, Any]) -> dict[str, Any]:
            node = request.match_info["node"]
            if node != self.waba_id:
                raise errors.unknown_object(node)
            name = request.query.get("name")
            data = [t.graph() for t in self.templates.values() if name in (None, t.name)]
            return {"data": data, "paging": {"cursors": {"before": "", "after": ""}}}

        return await self._serve(request, run, json_body=False)

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            refused = errors.invalid_token()
            self._log(request, {}, refused.status, refused.code, refused.message)
            return web.json_response(refused.to_json(), status=refused.status)
        issued = self._media_urls.get(request.query.get("hash", ""))
        media = self.media_by_id(issued[0]) if issued else None
        if issued is None or media is None or self.clock() - issued[1] > MEDIA_URL_TTL_SECONDS:
            self._log(request, {}, 404, None, "media URL unknown or expired")
            return web.Response(status=404, text="URL signature expired")
        self._log(request, {}, 200, None, None)
        return web.Response(body=media.data, headers={"Content-Type": media.mime_type})

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        async def run(_: dict[str, Any]) -> dict[str, Any]:
            raise errors.unknown_path()

        return await self._serve(request, run, json_body=False)

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        return secrets.compare_digest(
            token or request.query.get("access_token", ""), self.access_token
        )

    async def _serve(
        self,
        request: web.Request,
        run: Callable[[dict[str, Any]], Any],
        *,
        json_body: bool,
        logged: dict[str, Any] | None = None,
    ) -> web.Response:
        body: dict[str, Any] = {}
        status, answer = 200, None
        code: int | None = None
        message: str | None = None
        try:
            if not self._authorized(request):
                raise errors.invalid_token()
            if json_body:
                try:
                    parsed = await request.json()
                except ValueError:
                    raise errors.invalid_parameter("The request body is not valid JSON.") from None
                if not isinstance(parsed, dict):
                    raise errors.invalid_parameter("The request body must be a JSON object.")
                body = parsed
            answer = await run(body)
        except Unimplemented as exc:
            self.unimplemented.append(exc.what)
            status, code, message, answer = exc.status, exc.code, exc.message, exc.to_json()
        except GraphError as exc:
            status, code, message, answer = exc.status, exc.code, exc.message, exc.to_json()
        except Exception as exc:
            log.exception("fakewa failed on %s %s", request.method, request.path)
            status, code, message = 500, 1, f"fakewa bug: {exc!r}"
            answer = {"error": {"message": message, "type": "OAuthException", "code": 1}}
        self._log(request, logged if logged is not None else body, status, code, message)
        return web.json_response(answer, status=status)

    def _log(
        self,
        request: web.Request,
        body: dict[str, Any],
        status: int,
        code: int | None,
        message: str | None,
    ) -> None:
        self.calls.append(
            ApiCall(
                method=request.method,
                path=request.path,
                body=body,
                status=status,
                code=code,
                message=message,
                at=self.clock(),
            )
        )
        if status != 200:
            log.info("fakewa %s %s -> %s %s", request.method, request.path, status, message)
        self._notify()
