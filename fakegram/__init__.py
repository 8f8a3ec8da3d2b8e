"""fakegram: a local fake Telegram Bot API server that refuses what Telegram refuses.

The bot under test talks to it over real HTTP with python-telegram-bot; the test acts as users
and reads what the bot sent::

    async with FakeTelegram(token="123456:TEST-TOKEN", bot_username="properbot_test") as server:
        app = (
            Application.builder()
            .token(server.token)
            .base_url(server.base_url)            # f"{server.api_root}/bot"
            .base_file_url(server.base_file_url)  # f"{server.api_root}/file/bot"
            .build()
        )
        ...start polling...
        alice = server.user(1001, "Alice", language_code="id")  # private chat id == user id
        alice.send("/start ABC123")                 # message update with a bot_command entity
        reply = await alice.next_reply()            # BotMessage: text, plain, buttons, ...
        press = alice.press(reply, "Setuju")        # callback_query for that inline button
        answer = await press.wait_answer()          # the bot's answerCallbackQuery toast
        assert alice.last.plain == "Terima kasih"   # edits applied
        await server.wait_idle(app.update_queue)    # every update fetched and handled

Users: ``send``, ``send_photo``, ``send_document``, ``send_album``, ``edit``, ``tap`` (reply
keyboard), ``press`` / ``press_data`` (inline buttons, forged data), ``block`` / ``unblock``;
they read ``inbox``, ``last``, ``sent``, ``command_menu`` and ``await next_reply()``.
Groups: ``server.group(-100123, "Angkatan 1")`` and ``alice.send("...", chat=group)``.

The server records every call (``calls``, ``calls_to``, ``errors``, ``unimplemented``), what the
bot sent (``sent_to``, ``transcript``), callback answers (``answers_to``), chat actions, files,
commands (``commands_for``, ``menu_for``) and update bookkeeping (``last_update_id``,
``delivered_update_id``, ``confirmed_update_id``). ``await server.wait_for(predicate)`` wakes
on every API call and user action. Rate limiting is off unless ``rate_limits=RateLimits()``.

Webhook mode: after the bot's ``setWebhook`` the server POSTs each update to the webhook URL
with the secret header, one at a time and in order, retrying any answer but 2xx; set
``server.webhook_forward = "http://127.0.0.1:PORT"`` to play the TLS proxy in front of a bot
listening on plain http. ``server.webhook`` is what was registered, ``webhook_posts`` what was
posted and how it was answered.

Run standalone with ``python -m fakegram --port 8081``.
"""

from fakegram.actors import CallbackPress, FakeGroup, FakeUser
from fakegram.errors import ApiError
from fakegram.files import TINY_JPEG, TINY_PNG
from fakegram.formatting import parse_entities, plain_text, utf16_len
from fakegram.methods import implemented_methods
from fakegram.ratelimit import RateLimits
from fakegram.records import (
    ApiCall,
    BotMessage,
    Button,
    CallbackAnswer,
    Chat,
    ChatAction,
    Revision,
    StoredFile,
    UserMessage,
)
from fakegram.server import DEFAULT_TOKEN, FakeTelegram, WaitTimeout
from fakegram.webhook import SECRET_HEADER, Webhook, WebhookPost

__all__ = [
    "DEFAULT_TOKEN",
    "SECRET_HEADER",
    "TINY_JPEG",
    "TINY_PNG",
    "ApiCall",
    "ApiError",
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "CallbackPress",
    "Chat",
    "ChatAction",
    "FakeGroup",
    "FakeTelegram",
    "FakeUser",
    "RateLimits",
    "Revision",
    "StoredFile",
    "UserMessage",
    "WaitTimeout",
    "Webhook",
    "WebhookPost",
    "implemented_methods",
    "parse_entities",
    "plain_text",
    "utf16_len",
]
