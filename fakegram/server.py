"""The fake Telegram Bot API server: HTTP front end, shared state, update queue and waiting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from aiohttp import web
from aiohttp.web_request import FileField

from fakegram.actors import CallbackPress, FakeGroup, FakeUser
from fakegram.errors import ApiError, bad_request, forbidden, not_found, unauthorized
from fakegram.files import FileStore
from fakegram.formatting import FormattedText
from fakegram.methods import BotApi
from fakegram.ratelimit import RateLimiter, RateLimits
from fakegram.records import (
    ApiCall,
    BotMessage,
    CallbackAnswer,
    Chat,
    ChatAction,
    PendingQuery,
    Revision,
    StoredFile,
    Upload,
    UserMessage,
    as_reply,
)
from fakegram.spec import ApiSpec, load_spec
from fakegram.webhook import Webhook, WebhookDelivery, WebhookPost

log = logging.getLogger("fakegram")

T = TypeVar("T")

DEFAULT_TOKEN = "123456:TEST-TOKEN"
# Telegram accepts multipart uploads of up to 50 MB from bots.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# Update kinds Telegram leaves out unless the bot asks for them in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

Listener = Callable[[str, BotMessage], None]


class WaitTimeout(AssertionError):
    """A wait_for condition did not come true in time."""


class _JoinableQueue(Protocol):
    async def join(self) -> None: ...


class FakeTelegram:
    """A local Bot API server that checks calls like Telegram and lets tests act as users.

    ``clock`` (monotonic seconds) drives rate limits and callback query expiry, so tests can
    move time forward; message dates always use the wall clock.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "properbot_test",
        *,
        bot_name: str = "Properbot",
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        privacy_mode: bool = True,
        callback_query_ttl: float = 15 * 60,
    ) -> None:
        bot_id, sep, secret = token.partition(":")
        if not (bot_id.isdigit() and sep and secret):
            raise ValueError(f"token must look like '<bot id>:<secret>', got {token!r}")
        self.token = token
        self.bot_id = int(bot_id)
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.host = host
        self.port = port
        self.clock = clock
        self.privacy_mode = privacy_mode
        self.callback_query_ttl = callback_query_ttl
        self.spec: ApiSpec = load_spec()
        self.files = FileStore()

        self.calls: list[ApiCall] = []
        self.chat_actions: list[ChatAction] = []
        self.unimplemented: list[str] = []
        self.rate_limited = 0
        self.pending_polls = 0
        self.dropped_updates: list[dict[str, Any]] = []
        self.allowed_updates: list[str] | None = None

        self.last_update_id = 0
        self.confirmed_update_id = 0
        self.delivered_update_id = 0

        self.chats: dict[int, Chat] = {}
        self.users: dict[int, FakeUser] = {}
        self.groups: dict[int, FakeGroup] = {}
        self.commands: dict[tuple[str, int | None, int | None, str], list[dict[str, str]]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.callback_answers: dict[str, CallbackAnswer] = {}

        self._updates: list[dict[str, Any]] = []
        self._queries: dict[str, PendingQuery] = {}
        self._listeners: list[Listener] = []
        self._limiter: RateLimiter | None = None
        self.rate_limits = rate_limits
        self._tick = asyncio.Event()
        self._poll_serial = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._api_root: str | None = None
        self._seq = 0
        self._bot_api = BotApi(self)
        # File downloads wait while this is clear (see hold_downloads); counted while they wait.
        self._downloads_open = asyncio.Event()
        self._downloads_open.set()
        self.downloads_waiting = 0
        # Webhook mode (see fakegram/webhook.py): what setWebhook registered, where its posts
        # really go (the bot's plain-http address behind the https URL), what was posted.
        self.webhook: Webhook | None = None
        self.webhook_forward: str | None = None
        self.webhook_retry_delay = 0.2
        self.webhook_posts: list[WebhookPost] = []
        self._webhook_delivery = WebhookDelivery(self)

    @property
    def rate_limits(self) -> RateLimits | None:
        """Flood limits answering 429; None (the default) never limits."""
        return self._limiter.limits if self._limiter else None

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits | None) -> None:
        self._limiter = RateLimiter(limits) if limits else None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        """Listen on host:port (a free port when port is 0); api_root tells where."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # Pending long polls are woken on stop, so a short shutdown grace is enough.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self._closing = False
        port = runner.addresses[0][1]
        self._api_root = f"http://{self.host}:{port}"
        log.debug("fakegram listening on %s", self._api_root)
        return self

    async def stop(self) -> None:
        """Answer pending long polls and stop listening."""
        self._closing = True
        self._notify()
        await self._webhook_delivery.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_root(self) -> str:
        """ "http://127.0.0.1:PORT": base_url is api_root + "/bot", base_file_url + "/file/bot"."""
        if self._api_root is None:
            raise RuntimeError("FakeTelegram is not started; await server.start() first")
        return self._api_root

    @property
    def base_url(self) -> str:
        return f"{self.api_root}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_root}/file/bot"

    # -- simulated people and chats ---------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
        *,
        started: bool = True,
    ) -> FakeUser:
        """A user with a private chat with the bot (chat id == user id).

        ``started=False`` models a user who never pressed Start: the bot cannot write to them
        until they send something.
        """
        if user_id in self.users:
            return self.users[user_id]
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = FakeUser(self, user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        self.chats[user_id] = Chat(
            id=user_id,
            type="private",
            first_name=first_name,
            last_name=last_name,
            username=username,
            started=started,
        )
        return user

    def group(
        self,
        chat_id: int,
        title: str,
        *,
        supergroup: bool = True,
        username: str | None = None,
    ) -> FakeGroup:
        """A group (or supergroup) the bot is a member of; users post there with chat=group."""
        if chat_id in self.groups:
            return self.groups[chat_id]
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self.chats[chat_id] = Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
        )
        group = FakeGroup(self, chat_id)
        self.groups[chat_id] = group
        return group

    def chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise KeyError(f"fakegram knows no chat {chat_id}")
        return chat

    # -- what the bot did -------------------------------------------------------------------

    def sent_to(self, chat_id: int, *, include_deleted: bool = True) -> list[BotMessage]:
        """Every message the bot sent to a chat, oldest first, in its current state."""
        return [m for m in self.chat(chat_id).bot_log if include_deleted or not m.deleted]

    def message(self, chat_id: int, message_id: int) -> BotMessage | UserMessage | None:
        return self.chat(chat_id).messages.get(message_id)

    def calls_to(self, method: str) -> list[ApiCall]:
        """Logged calls of one method (name compared case-insensitively)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    @property
    def errors(self) -> list[ApiCall]:
        """Refused calls, the bot's mistakes (a long poll abandoned by its client excluded)."""
        return [c for c in self.calls if not c.ok and c.status != 499]

    def answers_to(self, callback_query: str | CallbackPress) -> CallbackAnswer | None:
        """The bot's answerCallbackQuery for that query (id or press), None while unanswered."""
        query_id = callback_query if isinstance(callback_query, str) else callback_query.id
        return self.callback_answers.get(query_id)

    def file(self, file_id: str) -> StoredFile | None:
        return self.files.get(file_id)

    def commands_for(
        self,
        scope_type: str = "default",
        chat_id: int | None = None,
        language_code: str = "",
        *,
        user_id: int | None = None,
    ) -> list[tuple[str, str]]:
        """(command, description) pairs set for exactly this scope and language."""
        stored = self.commands.get((scope_type, chat_id, user_id, language_code), [])
        return [(c["command"], c["description"]) for c in stored]

    def menu_for(self, chat_id: int, language_code: str = "") -> list[tuple[str, str]]:
        """The command menu a user sees in a private chat, by Telegram's scope precedence."""
        candidates: list[tuple[str, int | None]] = [
            ("chat", chat_id),
            ("all_private_chats", None),
            ("default", None),
        ]
        for scope_type, scope_chat in candidates:
            for lang in ([language_code] if language_code else []) + [""]:
                key = (scope_type, scope_chat, None, lang)
                if key in self.commands:
                    return self.commands_for(scope_type, scope_chat, lang)
        return []

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event, message)`` when the bot sends, edits or deletes a message."""
        self._listeners.append(listener)

    def transcript(self, chat_id: int) -> str:
        """The chat as text, one line per message (current state), for demos and debugging."""
        lines: list[str] = []
        chat = self.chat(chat_id)
        for mid in sorted(chat.messages):
            msg = chat.messages[mid]
            mark = " (deleted)" if msg.deleted else ""
            if isinstance(msg, BotMessage):
                body = msg.plain or ""
                if msg.kind != "text":
                    body = f"[{msg.kind}] {body}".rstrip()
                lines.append(f"{self.bot_username}: {body}{mark}")
                for button_row in msg.buttons:
                    lines.append("    " + "  ".join(f"[{b.text}]" for b in button_row))
                for key_row in msg.keyboard or []:
                    lines.append("    " + "  ".join(f"({t})" for t in key_row))
            else:
                sender = msg.api.get("from", {}).get("first_name", "?")
                body = msg.text if msg.text is not None else ""
                if msg.kind != "text":
                    body = f"[{msg.kind}] {body}".rstrip()
                lines.append(f"{sender}: {body}{mark}")
        return "\n".join(lines)

    # -- waiting ----------------------------------------------------------------------------

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109 - the deadline is the test-facing contract
        *,
        description: str = "",
    ) -> T:
        """Wait until ``predicate()`` is truthy and return its value.

        Re-checked after every API call and every simulated user action; no polling sleeps.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            tick = self._tick
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WaitTimeout(
                    self._timeout_report(description or _describe(predicate), timeout)
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tick.wait(), remaining)

    async def wait_idle(
        self,
        update_queue: _JoinableQueue | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the deadline is the test-facing contract
    ) -> None:
        """Wait until the bot has fetched and confirmed every update, then (given PTB's
        ``application.update_queue``) until its handlers have finished processing them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.wait_for(
            lambda: self.confirmed_update_id >= self.last_update_id,
            timeout,
            description=f"bot confirms update {self.last_update_id} with getUpdates offset",
        )
        if update_queue is not None:
            remaining = max(deadline - loop.time(), 0.001)
            try:
                await asyncio.wait_for(update_queue.join(), remaining)
            except TimeoutError:
                raise WaitTimeout(
                    self._timeout_report("the bot's update queue drains", timeout)
                ) from None

    def _timeout_report(self, what: str, timeout: float) -> str:
        recent = "\n".join(
            f"  {c.method} -> {c.status} {c.description or ''}".rstrip() for c in self.calls[-8:]
        )
        return (
            f"fakegram: not within {timeout}s: {what}\n"
            f"last_update_id={self.last_update_id} delivered={self.delivered_update_id} "
            f"confirmed={self.confirmed_update_id}\nrecent calls:\n{recent or '  (none)'}"
        )

    def _notify(self) -> None:
        tick = self._tick
        self._tick = asyncio.Event()
        tick.set()

    # -- updates ----------------------------------------------------------------------------

    def _wants(self, kind: str) -> bool:
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _OPT_IN_UPDATES

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue an update for getUpdates; None when allowed_updates filters it out."""
        if not self._wants(kind):
            self.dropped_updates.append({kind: payload})
            self._notify()
            return None
        self.last_update_id += 1
        self._updates.append({"update_id": self.last_update_id, kind: payload})
        self._notify()
        return self.last_update_id

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        return list(self._updates)

    def _confirm_below(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self.confirmed_update_id = max(
                self.confirmed_update_id, min(offset - 1, self.last_update_id)
            )
        elif offset < 0:
            keep = self._updates[offset:]
            forgotten = self._updates[: len(self._updates) - len(keep)]
            if forgotten:
                self.confirmed_update_id = max(self.confirmed_update_id, forgotten[-1]["update_id"])
            self._updates = keep

    def _drop_pending(self) -> None:
        self._updates = []
        self.confirmed_update_id = self.last_update_id

    def _set_webhook(self, webhook: Webhook, p: Mapping[str, Any]) -> None:
        if "allowed_updates" in p:
            self.allowed_updates = [str(k) for k in p["allowed_updates"]]
        if p.get("drop_pending_updates"):
            self._drop_pending()
        self.webhook = webhook
        # A long poll still waiting ends as Telegram ends it: with a conflict.
        self._poll_serial += 1
        self._webhook_delivery.ensure_running()
        self._notify()

    async def _delete_webhook(self, drop_pending_updates: bool) -> None:
        self.webhook = None
        self._notify()
        await self._webhook_delivery.stop()
        if drop_pending_updates:
            self._drop_pending()

    async def _get_updates(self, p: Mapping[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(p.get("offset", 0))
        limit = int(p.get("limit", 100))
        timeout = max(0.0, float(p.get("timeout", 0)))
        if not 1 <= limit <= 100:
            raise bad_request("limit must be between 1 and 100")
        if "allowed_updates" in p:
            self.allowed_updates = [str(k) for k in p["allowed_updates"]]
        self._confirm_below(offset)
        self._poll_serial += 1
        serial = self._poll_serial
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.pending_polls += 1
        self._notify()  # lets tests see that a long poll is waiting
        try:
            return await self._long_poll(serial, limit, deadline)
        finally:
            self.pending_polls -= 1

    async def _long_poll(self, serial: int, limit: int, deadline: float) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        while True:
            if serial != self._poll_serial:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = self._updates[:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                break
            tick = self._tick
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tick.wait(), remaining)
        if batch:
            self.delivered_update_id = max(self.delivered_update_id, batch[-1]["update_id"])
        return [json.loads(json.dumps(u)) for u in batch]

    # -- helpers for the method handlers and the actors -------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def _resolve_chat(self, chat_id: int | str) -> Chat:
        if isinstance(chat_id, int):
            chat = self.chats.get(chat_id)
        else:
            # Only public groups and channels resolve by @username, never users.
            name = chat_id.removeprefix("@").lower()
            chat = next(
                (
                    c
                    for c in self.chats.values()
                    if not c.is_private and c.username and c.username.lower() == name
                ),
                None,
            )
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _check_can_write(self, chat: Chat) -> None:
        if chat.is_private:
            if chat.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif not chat.bot_is_member:
            kind = "supergroup" if chat.type == "supergroup" else "group"
            raise forbidden(f"bot was kicked from the {kind} chat")

    def _throttle(self, chat: Chat) -> None:
        if self._limiter is None:
            return
        wait = self._limiter.check(chat.id, not chat.is_private, self.clock())
        if wait is not None:
            self.rate_limited += 1
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    def _store_bot_message(
        self,
        chat: Chat,
        *,
        kind: str,
        content: dict[str, Any],
        source_text: str | None,
        formatted: FormattedText | None,
        parse_mode: str | None,
        reply_markup: dict[str, Any] | None,
        reply_to: BotMessage | UserMessage | None,
        method: str,
        params: dict[str, Any],
        media_group_id: str | None = None,
        file_id: str | None = None,
    ) -> BotMessage:
        mid = chat.take_message_id()
        date = int(time.time())
        api: dict[str, Any] = {
            "message_id": mid,
            "from": self.bot_user,
            "chat": chat.api(),
            "date": date,
        }
        if media_group_id:
            api["media_group_id"] = media_group_id
        if reply_to is not None:
            api["reply_to_message"] = as_reply(reply_to.api)
        api.update(content)
        if reply_markup and reply_markup.get("inline_keyboard"):
            api["reply_markup"] = reply_markup
        msg = BotMessage(
            message_id=mid,
            chat_id=chat.id,
            kind=kind,
            text=source_text,
            plain=formatted.text if formatted is not None else None,
            parse_mode=parse_mode,
            entities=formatted.entities if formatted is not None else [],
            reply_markup=reply_markup,
            reply_to_message_id=reply_to.message_id if reply_to is not None else None,
            media_group_id=media_group_id,
            file_id=file_id,
            date=date,
            method=method,
            params=params,
            api=api,
        )
        chat.messages[mid] = msg
        chat.bot_log.append(msg)
        self._emit("sent", msg)
        return msg

    def _apply_edit(
        self,
        msg: BotMessage,
        *,
        method: str,
        source_text: str | None,
        formatted: FormattedText | None,
        parse_mode: str | None,
        reply_markup: dict[str, Any] | None,
        text_changes: bool,
    ) -> None:
        msg.edits.append(
            Revision(
                text=msg.text,
                plain=msg.plain,
                parse_mode=msg.parse_mode,
                reply_markup=msg.reply_markup,
                edited_by=method,
            )
        )
        if text_changes:
            msg.text = source_text
            msg.plain = formatted.text if formatted is not None else None
            msg.parse_mode = parse_mode
            msg.entities = formatted.entities if formatted is not None else []
            key, ent_key = (
                ("text", "entities") if msg.kind == "text" else ("caption", "caption_entities")
            )
            msg.api.pop(key, None)
            msg.api.pop(ent_key, None)
            if msg.plain:
                msg.api[key] = msg.plain
                if msg.entities:
                    msg.api[ent_key] = msg.entities
        msg.reply_markup = reply_markup
        if reply_markup and reply_markup.get("inline_keyboard"):
            msg.api["reply_markup"] = reply_markup
        else:
            msg.api.pop("reply_markup", None)
        msg.api["edit_date"] = int(time.time())
        self._emit("edited", msg)

    def _emit(self, event: str, msg: BotMessage) -> None:
        for listener in list(self._listeners):
            try:
                listener(event, msg)
            except Exception:
                log.exception("fakegram listener failed on %s", event)

    # -- HTTP -------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method_name = request.match_info["method"]
        params: dict[str, Any] = {}
        status, result = 200, None
        body: dict[str, Any] = {}
        logged_name = method_name
        try:
            if request.match_info["token"] != self.token:
                raise unauthorized()
            spec = self.spec.method(method_name)
            if spec is None:
                raise not_found()
            logged_name = spec.name
            raw, uploads = await _read_params(request)
            params = dict(raw)
            params = self.spec.coerce_params(spec, raw, uploads)
            result = await self._bot_api.call(spec.name, params, uploads)
            body = {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.to_json()
        except Exception as exc:
            # A fakegram bug: answer like a server error and keep it visible in the call log.
            log.exception("fakegram failed on %s", logged_name)
            status = 500
            body = ApiError(500, f"Internal Server Error: fakegram bug: {exc!r}").to_json()
        # A long poll superseded after its client went away is not an answer anyone reads.
        abandoned = status == 409 and _client_gone(request)
        logged_status = 499 if abandoned else status
        self.calls.append(
            ApiCall(
                method=logged_name,
                params=params,
                ok=status == 200,
                status=logged_status,
                description=body.get("description"),
                result=result,
                at=self.clock(),
            )
        )
        if status != 200:
            level = logging.DEBUG if abandoned else logging.INFO
            log.log(level, "fakegram %s -> %s %s", logged_name, status, body.get("description"))
        self._notify()
        return web.json_response(body, status=status)

    def hold_downloads(self) -> None:
        """Make file downloads wait until release_downloads(): a slow download on demand, so a
        test can show what the bot does meanwhile. ``downloads_waiting`` counts the held ones."""
        self._downloads_open.clear()

    def release_downloads(self) -> None:
        self._downloads_open.set()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(unauthorized().to_json(), status=401)
        if not self._downloads_open.is_set():
            self.downloads_waiting += 1
            self._notify()
            try:
                await self._downloads_open.wait()
            finally:
                self.downloads_waiting -= 1
        stored = self.files.by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(not_found().to_json(), status=404)
        content_type = stored.mime_type or "application/octet-stream"
        return web.Response(body=stored.data, headers={"Content-Type": content_type})

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return web.json_response(not_found().to_json(), status=404)


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Parameters from the query string and the body, the ways Telegram accepts them."""
    raw: dict[str, Any] = {k: v for k, v in request.query.items()}
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return raw, uploads
    ctype = request.content_type
    try:
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("the request body must be a JSON object")
            raw.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, FileField):
                    uploads[key] = Upload(
                        name=key,
                        filename=value.filename,
                        content_type=value.content_type,
                        data=value.file.read(),
                    )
                elif isinstance(value, bytes | bytearray):
                    raw[key] = bytes(value).decode("utf-8", "replace")
                else:
                    raw[key] = value
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None
    return raw, uploads


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _describe(predicate: Callable[[], Any]) -> str:
    name = getattr(predicate, "__qualname__", repr(predicate))
    return f"predicate {name}"
