"""Bot API method handlers of the fake server, each refusing what Telegram refuses."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from fakegram.errors import bad_request
from fakegram.files import image_size
from fakegram.formatting import FormattedText, parse_entities, trim, utf16_len
from fakegram.records import (
    BotMessage,
    CallbackAnswer,
    Chat,
    ChatAction,
    StoredFile,
    Upload,
    UserMessage,
)
from fakegram.webhook import check_webhook

if TYPE_CHECKING:
    from fakegram.server import FakeTelegram

Params = dict[str, Any]
Uploads = Mapping[str, Upload]
Handler = Callable[["BotApi", Params, Uploads], Awaitable[Any]]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
WRONG_FILE = "wrong file identifier/HTTP URL specified"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_SCOPES_WITH_CHAT = frozenset({"chat", "chat_administrators", "chat_member"})

_HANDLERS: dict[str, Handler] = {}


def _handles(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[name] = fn
        return fn

    return register


def implemented_methods() -> list[str]:
    """Names of the Bot API methods fakegram answers; other valid methods get a 400."""
    return sorted(_HANDLERS)


class BotApi:
    """Executes validated calls against a FakeTelegram's state."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.tg = tg

    async def call(self, method: str, params: Params, uploads: Uploads) -> Any:
        handler = _HANDLERS.get(method)
        if handler is None:
            self.tg.unimplemented.append(method)
            raise bad_request(f"method {method} is not implemented by fakegram")
        return await handler(self, params, uploads)

    # -- shared checks ----------------------------------------------------------------------

    def render(
        self,
        text: str,
        parse_mode: str | None,
        entities: list[dict[str, Any]] | None,
        *,
        limit: int,
        too_long: str,
        empty: str | None,
    ) -> FormattedText:
        """The text the user will see; refuses broken markup, empty and over-long texts."""
        if entities is not None:
            # Explicit entities win over parse_mode, as in Telegram.
            formatted = trim(FormattedText(text, [dict(e) for e in entities]))
        else:
            formatted = parse_entities(text, parse_mode)
        if empty is not None and not formatted.text:
            raise bad_request(empty)
        if utf16_len(formatted.text) > limit:
            raise bad_request(too_long)
        return formatted

    def caption(self, p: Params) -> FormattedText | None:
        """The caption the user will see, None for no caption."""
        caption = p.get("caption")
        if caption is None:
            return None
        formatted = self.render(
            caption,
            p.get("parse_mode"),
            p.get("caption_entities"),
            limit=MAX_CAPTION,
            too_long="message caption is too long",
            empty=None,
        )
        return formatted if formatted.text else None

    def reply_markup(self, markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        if markup is None:
            return None
        if inline_only and "inline_keyboard" not in markup:
            raise bad_request("can't parse inline keyboard markup: an inline keyboard is expected")
        if "inline_keyboard" in markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    _check_inline_button(button)
        elif "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    text = button if isinstance(button, str) else button.get("text", "")
                    if not str(text).strip():
                        raise bad_request("keyboard button text must be non-empty")
        return dict(markup)

    def reply_target(self, chat: Chat, p: Params) -> BotMessage | UserMessage | None:
        params = p.get("reply_parameters")
        if params is None and "reply_to_message_id" in p:
            params = {"message_id": p["reply_to_message_id"]}
        if params is None:
            return None
        target_chat = chat
        if params.get("chat_id") is not None:
            target_chat = self.tg._resolve_chat(params["chat_id"])
        message = target_chat.live(int(params["message_id"]))
        if message is None or target_chat.id != chat.id:
            if params.get("allow_sending_without_reply") or p.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return message

    def target_chat(self, p: Params) -> Chat:
        return self.tg._resolve_chat(p["chat_id"])

    def input_file(self, value: Any, kind: str) -> StoredFile:
        """The file behind a photo/document parameter: an upload, a file_id or an HTTP URL."""
        files = self.tg.files
        if isinstance(value, Upload):
            if not value.data:
                raise bad_request("file must be non-empty")
            if kind == "photo":
                if image_size(value.data) is None:
                    raise bad_request("IMAGE_PROCESS_FAILED")
                if len(value.data) > MAX_PHOTO_BYTES:
                    raise bad_request("PHOTO_INVALID_DIMENSIONS")
                return files.add("photo", value.data)
            return files.add(
                kind, value.data, file_name=value.filename, mime_type=value.content_type
            )
        ref = str(value)
        if ref.startswith(("http://", "https://")):
            # No network in tests: remember the URL, serve no bytes.
            name = urlparse(ref).path.rsplit("/", 1)[-1] or None
            return files.add(kind, b"", file_name=name, source_url=ref)
        stored = files.get(ref)
        if stored is None:
            raise bad_request(WRONG_FILE)
        if stored.kind != kind:
            raise bad_request(
                f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
            )
        return stored

    def editable(self, p: Params) -> BotMessage:
        if p.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        if p.get("chat_id") is None:
            raise bad_request("chat_id is empty")
        if p.get("message_id") is None:
            raise bad_request("message identifier is not specified")
        chat = self.tg._resolve_chat(p["chat_id"])
        msg = chat.live(int(p["message_id"]))
        if msg is None:
            raise bad_request("message to edit not found")
        if not isinstance(msg, BotMessage):
            raise bad_request("message can't be edited")
        return msg

    def send_prelude(self, chat: Chat) -> None:
        self.tg._check_can_write(chat)
        self.tg._throttle(chat)


def _check_inline_button(button: dict[str, Any]) -> None:
    if not str(button.get("text", "")).strip():
        raise bad_request("BUTTON_TEXT_EMPTY")
    actions = [a for a in _INLINE_ACTIONS if button.get(a) is not None]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data is not None:
        size = len(str(data).encode("utf-8"))
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not _valid_button_url(str(url)):
        raise bad_request("BUTTON_URL_INVALID")


def _valid_button_url(url: str) -> bool:
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if parsed.scheme in ("http", "https"):
        return bool(parsed.hostname) and "." in (parsed.hostname or "")
    return parsed.scheme == "tg"


def _markup_key(markup: dict[str, Any] | None) -> str:
    """Inline keyboard in comparable form: no keyboard and an empty one are the same."""
    if not markup or not markup.get("inline_keyboard"):
        return ""
    rows = [
        [{k: v for k, v in b.items() if v is not None} for b in row]
        for row in markup["inline_keyboard"]
    ]
    return json.dumps(rows, sort_keys=True)


def _content_key(text: str | None, entities: list[dict[str, Any]]) -> str:
    return json.dumps([text or "", sorted(json.dumps(e, sort_keys=True) for e in entities)])


# -- getting updates and bot info -----------------------------------------------------------


@_handles("getMe")
async def _get_me(api: BotApi, p: Params, uploads: Uploads) -> Any:
    return {
        **api.tg.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": not api.tg.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@_handles("getUpdates")
async def _get_updates(api: BotApi, p: Params, uploads: Uploads) -> Any:
    return await api.tg._get_updates(p)


@_handles("setWebhook")
async def _set_webhook(api: BotApi, p: Params, uploads: Uploads) -> Any:
    api.tg._set_webhook(check_webhook(p), p)
    return True


@_handles("deleteWebhook")
async def _delete_webhook(api: BotApi, p: Params, uploads: Uploads) -> Any:
    await api.tg._delete_webhook(bool(p.get("drop_pending_updates")))
    return True


@_handles("getWebhookInfo")
async def _get_webhook_info(api: BotApi, p: Params, uploads: Uploads) -> Any:
    pending = len(api.tg.pending_updates)
    if api.tg.webhook is not None:
        return api.tg.webhook.info(pending, api.tg.allowed_updates)
    return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}


@_handles("getChat")
async def _get_chat(api: BotApi, p: Params, uploads: Uploads) -> Any:
    chat = api.tg._resolve_chat(p["chat_id"])
    info = chat.api()
    info.update(
        {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
    )
    return info


# -- commands and descriptions --------------------------------------------------------------


def _scope_key(api: BotApi, p: Params) -> tuple[str, int | None, int | None, str]:
    scope = p.get("scope") or {"type": "default"}
    language = p.get("language_code", "")
    if language and not _LANGUAGE_RE.match(language):
        raise bad_request("LANG_CODE_INVALID")
    scope_type = str(scope["type"])
    chat_id: int | None = None
    user_id: int | None = None
    if scope_type in _SCOPES_WITH_CHAT:
        chat_id = api.tg._resolve_chat(scope["chat_id"]).id
    if scope_type == "chat_member":
        user_id = int(scope["user_id"])
    return scope_type, chat_id, user_id, language


@_handles("setMyCommands")
async def _set_my_commands(api: BotApi, p: Params, uploads: Uploads) -> Any:
    commands = p["commands"]
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for c in commands:
        if not _COMMAND_RE.match(str(c["command"])):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(c["description"]).strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = _scope_key(api, p)
    if commands:
        api.tg.commands[key] = [
            {"command": str(c["command"]), "description": str(c["description"])} for c in commands
        ]
    else:
        api.tg.commands.pop(key, None)
    return True


@_handles("getMyCommands")
async def _get_my_commands(api: BotApi, p: Params, uploads: Uploads) -> Any:
    return list(api.tg.commands.get(_scope_key(api, p), []))


@_handles("deleteMyCommands")
async def _delete_my_commands(api: BotApi, p: Params, uploads: Uploads) -> Any:
    api.tg.commands.pop(_scope_key(api, p), None)
    return True


def _description_handlers(kind: str, field: str, limit: int) -> None:
    async def set_description(api: BotApi, p: Params, uploads: Uploads) -> Any:
        value = p.get(field, "")
        if len(value) > limit:
            raise bad_request(f"{kind.upper()}_TOO_LONG")
        api.tg.descriptions[(kind, p.get("language_code", ""))] = value
        return True

    async def get_description(api: BotApi, p: Params, uploads: Uploads) -> Any:
        return {field: api.tg.descriptions.get((kind, p.get("language_code", "")), "")}

    suffix = "".join(part.capitalize() for part in kind.split("_"))
    _handles(f"setMy{suffix}")(set_description)
    _handles(f"getMy{suffix}")(get_description)


_description_handlers("description", "description", 512)
_description_handlers("short_description", "short_description", 120)


# -- sending --------------------------------------------------------------------------------


@_handles("sendMessage")
async def _send_message(api: BotApi, p: Params, uploads: Uploads) -> Any:
    chat = api.target_chat(p)
    formatted = api.render(
        p["text"],
        p.get("parse_mode"),
        p.get("entities"),
        limit=MAX_TEXT,
        too_long="message is too long",
        empty="message text is empty",
    )
    markup = api.reply_markup(p.get("reply_markup"))
    reply_to = api.reply_target(chat, p)
    api.send_prelude(chat)
    content: dict[str, Any] = {"text": formatted.text}
    if formatted.entities:
        content["entities"] = formatted.entities
    if p.get("link_preview_options"):
        content["link_preview_options"] = p["link_preview_options"]
    msg = api.tg._store_bot_message(
        chat,
        kind="text",
        content=content,
        source_text=p["text"],
        formatted=formatted,
        parse_mode=p.get("parse_mode"),
        reply_markup=markup,
        reply_to=reply_to,
        method="sendMessage",
        params=p,
    )
    return msg.api


def _caption_content(formatted: FormattedText | None) -> dict[str, Any]:
    if formatted is None:
        return {}
    content: dict[str, Any] = {"caption": formatted.text}
    if formatted.entities:
        content["caption_entities"] = formatted.entities
    return content


async def _send_file(api: BotApi, p: Params, kind: str, method: str) -> Any:
    chat = api.target_chat(p)
    caption = api.caption(p)
    markup = api.reply_markup(p.get("reply_markup"))
    reply_to = api.reply_target(chat, p)
    stored = api.input_file(p[kind], kind)
    api.send_prelude(chat)
    content = _caption_content(caption)
    if kind == "photo":
        content["photo"] = [stored.photo_size()]
        if p.get("has_spoiler"):
            content["has_media_spoiler"] = True
    else:
        content["document"] = stored.document()
    if p.get("show_caption_above_media"):
        content["show_caption_above_media"] = True
    msg = api.tg._store_bot_message(
        chat,
        kind=kind,
        content=content,
        source_text=p.get("caption"),
        formatted=caption,
        parse_mode=p.get("parse_mode"),
        reply_markup=markup,
        reply_to=reply_to,
        method=method,
        params=p,
        file_id=stored.file_id,
    )
    return msg.api


@_handles("sendPhoto")
async def _send_photo(api: BotApi, p: Params, uploads: Uploads) -> Any:
    return await _send_file(api, p, "photo", "sendPhoto")


@_handles("sendDocument")
async def _send_document(api: BotApi, p: Params, uploads: Uploads) -> Any:
    return await _send_file(api, p, "document", "sendDocument")


@_handles("sendMediaGroup")
async def _send_media_group(api: BotApi, p: Params, uploads: Uploads) -> Any:
    chat = api.target_chat(p)
    media: list[dict[str, Any]] = p["media"]
    if len(media) < 2:
        raise bad_request("media group must include 2-10 items")
    if len(media) > 10:
        raise bad_request("too many messages to send as an album")
    kinds = [str(item["type"]) for item in media]
    for kind in kinds:
        if kind not in ("photo", "document"):
            raise bad_request(f"media type {kind} is not implemented by fakegram")
    if "document" in kinds and set(kinds) != {"document"}:
        raise bad_request("document can't be mixed with other media types")
    items: list[tuple[dict[str, Any], StoredFile, FormattedText | None]] = []
    for item in media:
        ref: Any = item["media"]
        if isinstance(ref, str) and ref.startswith("attach://"):
            ref = uploads.get(ref.removeprefix("attach://"))
            if ref is None:
                raise bad_request(WRONG_FILE)
        caption = api.caption(item)
        items.append((item, api.input_file(ref, str(item["type"])), caption))
    reply_to = api.reply_target(chat, p)
    api.send_prelude(chat)
    group_id = str(13_000_000_000_000_000 + api.tg._next_seq())
    sent: list[dict[str, Any]] = []
    for item, stored, caption in items:
        content = _caption_content(caption)
        if item["type"] == "photo":
            content["photo"] = [stored.photo_size()]
        else:
            content["document"] = stored.document()
        msg = api.tg._store_bot_message(
            chat,
            kind=str(item["type"]),
            content=content,
            source_text=item.get("caption"),
            formatted=caption,
            parse_mode=item.get("parse_mode"),
            reply_markup=None,
            reply_to=reply_to,
            method="sendMediaGroup",
            params=p,
            media_group_id=group_id,
            file_id=stored.file_id,
        )
        sent.append(msg.api)
    return sent


@_handles("sendChatAction")
async def _send_chat_action(api: BotApi, p: Params, uploads: Uploads) -> Any:
    chat = api.target_chat(p)
    if p["action"] not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    api.tg._check_can_write(chat)
    api.tg.chat_actions.append(ChatAction(chat.id, p["action"]))
    return True


# -- editing and deleting -------------------------------------------------------------------


@_handles("editMessageText")
async def _edit_message_text(api: BotApi, p: Params, uploads: Uploads) -> Any:
    msg = api.editable(p)
    if msg.kind != "text":
        raise bad_request("there is no text in the message to edit")
    if not p.get("text"):
        raise bad_request("message text is empty")
    formatted = api.render(
        p["text"],
        p.get("parse_mode"),
        p.get("entities"),
        limit=MAX_TEXT,
        too_long="MESSAGE_TOO_LONG",
        empty="message text is empty",
    )
    # Without reply_markup the edit removes the inline keyboard, as in Telegram.
    markup = api.reply_markup(p.get("reply_markup"), inline_only=True)
    return _finish_edit(api, msg, p, "editMessageText", formatted, markup, text_changes=True)


@_handles("editMessageCaption")
async def _edit_message_caption(api: BotApi, p: Params, uploads: Uploads) -> Any:
    msg = api.editable(p)
    if msg.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    formatted = api.caption(p)
    markup = api.reply_markup(p.get("reply_markup"), inline_only=True)
    return _finish_edit(api, msg, p, "editMessageCaption", formatted, markup, text_changes=True)


@_handles("editMessageReplyMarkup")
async def _edit_message_reply_markup(api: BotApi, p: Params, uploads: Uploads) -> Any:
    msg = api.editable(p)
    markup = api.reply_markup(p.get("reply_markup"), inline_only=True)
    current = FormattedText(msg.plain or "", msg.entities)
    return _finish_edit(api, msg, p, "editMessageReplyMarkup", current, markup, text_changes=False)


def _finish_edit(
    api: BotApi,
    msg: BotMessage,
    p: Params,
    method: str,
    formatted: FormattedText | None,
    markup: dict[str, Any] | None,
    *,
    text_changes: bool,
) -> Any:
    new_text = formatted.text if formatted is not None else None
    new_entities = formatted.entities if formatted is not None else []
    same_content = _content_key(new_text, new_entities) == _content_key(msg.plain, msg.entities)
    current_inline = msg.reply_markup if msg.buttons else None
    if same_content and _markup_key(markup) == _markup_key(current_inline):
        raise bad_request(NOT_MODIFIED)
    chat = api.tg.chat(msg.chat_id)
    api.tg._throttle(chat)
    source = p.get("text") if method == "editMessageText" else p.get("caption")
    api.tg._apply_edit(
        msg,
        method=method,
        source_text=source if text_changes else msg.text,
        formatted=formatted,
        parse_mode=p.get("parse_mode") if text_changes else msg.parse_mode,
        reply_markup=markup,
        text_changes=text_changes,
    )
    return msg.api


def _delete(api: BotApi, chat: Chat, message_id: int) -> bool:
    msg = chat.live(message_id)
    if msg is None:
        return False
    if isinstance(msg, UserMessage) and not chat.is_private:
        raise bad_request("message can't be deleted")
    msg.deleted = True
    if isinstance(msg, BotMessage):
        api.tg._emit("deleted", msg)
    return True


@_handles("deleteMessage")
async def _delete_message(api: BotApi, p: Params, uploads: Uploads) -> Any:
    chat = api.tg._resolve_chat(p["chat_id"])
    if not _delete(api, chat, int(p["message_id"])):
        raise bad_request("message to delete not found")
    return True


@_handles("deleteMessages")
async def _delete_messages(api: BotApi, p: Params, uploads: Uploads) -> Any:
    chat = api.tg._resolve_chat(p["chat_id"])
    ids = p["message_ids"]
    if not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1-100 identifiers")
    for message_id in ids:
        # Messages that cannot be found are skipped, as documented.
        _delete(api, chat, int(message_id))
    return True


# -- callback queries and files -------------------------------------------------------------


@_handles("answerCallbackQuery")
async def _answer_callback_query(api: BotApi, p: Params, uploads: Uploads) -> Any:
    tg = api.tg
    query = tg._queries.get(p["callback_query_id"])
    if query is None or query.answered or tg.clock() - query.at > tg.callback_query_ttl:
        raise bad_request(QUERY_TOO_OLD)
    text = p.get("text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    tg.callback_answers[query.id] = CallbackAnswer(
        callback_query_id=query.id,
        text=text,
        show_alert=bool(p.get("show_alert", False)),
        url=p.get("url"),
        cache_time=int(p.get("cache_time", 0)),
    )
    return True


@_handles("getFile")
async def _get_file(api: BotApi, p: Params, uploads: Uploads) -> Any:
    stored = api.tg.files.get(p["file_id"])
    if stored is None:
        raise bad_request(WRONG_FILE)
    if stored.file_size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.file_object()
