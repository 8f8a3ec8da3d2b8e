"""A like-for-like baseline: a bare python-telegram-bot bot making the product's Bot API calls.

The echo bot answers each update with one sendMessage, while properbot answers a /lapor step
with several calls (the button answer, the edit in place, the relays to mentor and coach). To
compare like with like, one participant's report is first recorded through the real bot
(calibration): for every step, the exact calls it made. The bare bot then answers each user's
updates by replaying those calls with the same texts and keyboards, only the ids changed
(chat, pressed message, callback query, photo file_id). No database, no catalogs, no access
checks: what is left between the two is what properbot itself costs.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.warnings import PTBUserWarning

from bot.processor import PerUserUpdateProcessor
from fakegram import ApiCall

# do_api_request() asks for the typed method when one exists; the replay is generic on purpose.
warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)

# Placeholders a recorded call carries where the replay puts its own ids.
SELF_CHAT = "$self"
CALLBACK = "$callback"
PRESSED = "$pressed"
POLLING = frozenset({"getUpdates", "getMe", "deleteWebhook", "setMyCommands", "getMyCommands"})
# Parameters of the Bot API that name a file the user sent.
FILE_PARAMS = ("photo", "document")


class ReplayError(Exception):
    """A recorded call cannot be replayed (a method or parameter this baseline does not know)."""


@dataclass(frozen=True)
class SentRef:
    """The k-th message the bot sent in the recorded flow."""

    index: int


@dataclass(frozen=True)
class FileRef:
    """The k-th file the user sent in the recorded flow."""

    index: int


@dataclass
class Recording:
    """What the real bot did, step by step, for one participant's report."""

    steps: list[list[tuple[str, dict[str, Any]]]] = field(default_factory=list)
    sent_ids: list[int] = field(default_factory=list)
    file_ids: list[str] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(len(step) for step in self.steps)

    def record_step(
        self,
        calls: list[ApiCall],
        *,
        user_chat: int,
        pressed_message: int | None,
        user_file_id: str | None,
    ) -> None:
        """Template one step's calls: ids that belong to this user's flow become references."""
        if user_file_id is not None:
            self.file_ids.append(user_file_id)
        templated = []
        for call in calls:
            if call.method in POLLING or not call.ok:
                continue
            params = copy.deepcopy(call.params)
            if params.get("chat_id") == user_chat:
                params["chat_id"] = SELF_CHAT
            if "callback_query_id" in params:
                params["callback_query_id"] = CALLBACK
            if "message_id" in params:
                params["message_id"] = self._message_ref(params["message_id"], pressed_message)
            for key in FILE_PARAMS:
                if isinstance(params.get(key), str) and params[key] in self.file_ids:
                    params[key] = FileRef(self.file_ids.index(params[key]))
            reply = params.get("reply_parameters")
            if isinstance(reply, dict) and "message_id" in reply:
                reply["message_id"] = self._message_ref(reply["message_id"], pressed_message)
            templated.append((call.method, params))
            if isinstance(call.result, dict) and "message_id" in call.result:
                self.sent_ids.append(int(call.result["message_id"]))
            elif isinstance(call.result, list):
                self.sent_ids.extend(int(m["message_id"]) for m in call.result)
        self.steps.append(templated)

    def _message_ref(self, message_id: int, pressed: int | None) -> object:
        if message_id == pressed:
            return PRESSED
        if message_id in self.sent_ids:
            return SentRef(self.sent_ids.index(message_id))
        raise ReplayError(f"message {message_id} is neither pressed nor sent in the flow")


@dataclass
class _Flow:
    """One replaying user's position in the recorded flow."""

    step: int = 0
    sent: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _bind(value: Any, update: Update, flow: _Flow) -> Any:
    if value == SELF_CHAT:
        assert update.effective_chat is not None
        return update.effective_chat.id
    if value == CALLBACK:
        assert update.callback_query is not None
        return update.callback_query.id
    if value == PRESSED:
        assert update.callback_query is not None and update.callback_query.message is not None
        return update.callback_query.message.message_id
    if isinstance(value, SentRef):
        return flow.sent[value.index]
    if isinstance(value, FileRef):
        return flow.files[value.index]
    if isinstance(value, dict):
        return {k: _bind(v, update, flow) for k, v in value.items()}
    return value


def _user_file_id(update: Update) -> str | None:
    message = update.effective_message
    if message is None:
        return None
    if message.photo:
        return message.photo[-1].file_id
    if message.document is not None:
        return message.document.file_id
    return None


def replay_handler(
    recording: Recording, warm_up: Callable[[Update], Awaitable[None]]
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    """The bare bot's only callback: the next recorded step for this user, ids bound."""
    flows: dict[int, _Flow] = {}

    async def replay(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None
        user_id = update.effective_user.id
        if user_id not in flows:  # the first update of a user opens the chat, like onboarding
            flows[user_id] = _Flow()
            await warm_up(update)
            return
        flow = flows[user_id]
        if flow.step >= len(recording.steps):
            raise ReplayError(f"user {user_id} sent more updates than the recorded flow has")
        file_id = _user_file_id(update)
        if file_id is not None:
            flow.files.append(file_id)
        for method, params in recording.steps[flow.step]:
            bound = {k: _bind(v, update, flow) for k, v in params.items()}
            result = await context.bot.do_api_request(method, api_kwargs=bound)
            if isinstance(result, dict) and "message_id" in result:
                # Parsed like PTB's own send methods do, so the bare bot pays that cost too.
                flow.sent.append(Message.de_json(result, context.bot).message_id)
            elif isinstance(result, list):
                flow.sent.extend(Message.de_json(m, context.bot).message_id for m in result)
        flow.step += 1

    return replay


def like_for_like_application(
    token: str, base_url: str, base_file_url: str, recording: Recording, concurrency: int
) -> Application:  # type: ignore[type-arg]
    """The bare bot, built like the product's (same per-user processor), minus the product."""
    app = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .concurrent_updates(PerUserUpdateProcessor(concurrency))
        .build()
    )

    async def warm_up(update: Update) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text("ok")

    app.add_handler(TypeHandler(Update, replay_handler(recording, warm_up)))
    return app
