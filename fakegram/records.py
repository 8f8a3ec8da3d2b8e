"""Plain records of what happened on the fake server: messages, files, calls and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart/form-data request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"Upload({self.name!r}, filename={self.filename!r}, {len(self.data)} bytes)"


@dataclass
class StoredFile:
    """A file the server knows by file_id, with its bytes for download."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes = field(repr=False)
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    source_url: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)

    def photo_size(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width or 0,
            "height": self.height or 0,
            "file_size": self.file_size,
        }

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def file_object(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass(frozen=True)
class Button:
    """One inline keyboard button as the user sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def inline_buttons(reply_markup: dict[str, Any] | None) -> list[list[Button]]:
    """Rows of inline buttons of a reply_markup, empty if it is not an inline keyboard."""
    if not reply_markup or "inline_keyboard" not in reply_markup:
        return []
    return [
        [
            Button(
                text=str(b.get("text", "")),
                callback_data=b.get("callback_data"),
                url=b.get("url"),
                raw=dict(b),
            )
            for b in row
        ]
        for row in reply_markup["inline_keyboard"]
    ]


@dataclass(frozen=True)
class Revision:
    """A former state of a bot message, kept when the bot edits it."""

    text: str | None
    plain: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    edited_by: str

    @property
    def buttons(self) -> list[list[Button]]:
        return inline_buttons(self.reply_markup)


@dataclass
class BotMessage:
    """A message the bot sent, in its current state (edits applied).

    ``text`` is the text or caption exactly as the bot sent it (markup included); ``plain`` is
    what the user sees after entity parsing. ``edits`` holds the former states, oldest first.
    """

    message_id: int
    chat_id: int
    kind: str
    text: str | None
    plain: str | None
    parse_mode: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    reply_to_message_id: int | None
    media_group_id: str | None
    file_id: str | None
    date: int
    method: str
    params: dict[str, Any] = field(repr=False)
    edits: list[Revision] = field(default_factory=list, repr=False)
    deleted: bool = False
    api: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def caption(self) -> str | None:
        return None if self.kind == "text" else self.text

    @property
    def buttons(self) -> list[list[Button]]:
        return inline_buttons(self.reply_markup)

    @property
    def button_texts(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    @property
    def keyboard(self) -> list[list[str]] | None:
        """Rows of a reply keyboard (custom keyboard) sent with this message, if any."""
        if not self.reply_markup or "keyboard" not in self.reply_markup:
            return None
        return [
            [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
            for row in self.reply_markup["keyboard"]
        ]

    @property
    def removes_keyboard(self) -> bool:
        return bool(self.reply_markup and self.reply_markup.get("remove_keyboard"))

    @property
    def edited(self) -> bool:
        return bool(self.edits)

    def button(self, text: str) -> Button:
        """The inline button with exactly this text; AssertionError naming the choices if none."""
        for row in self.buttons:
            for b in row:
                if b.text == text:
                    return b
        raise AssertionError(
            f"bot message {self.message_id} has no inline button {text!r}; "
            f"buttons: {self.button_texts!r}"
        )


@dataclass
class UserMessage:
    """A message a simulated user sent to a chat with the bot."""

    message_id: int
    chat_id: int
    user_id: int
    kind: str
    text: str | None
    update_id: int | None
    media_group_id: str | None = None
    file_id: str | None = None
    deleted: bool = False
    api: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def delivered(self) -> bool:
        """False when Telegram would not pass this message to the bot (privacy mode, filters)."""
        return self.update_id is not None


@dataclass
class Chat:
    """A chat the bot can talk in: a user's private chat, a group or a supergroup."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    messages: dict[int, BotMessage | UserMessage] = field(default_factory=dict, repr=False)
    bot_log: list[BotMessage] = field(default_factory=list, repr=False)
    next_message_id: int = 1
    blocked: bool = False
    started: bool = True
    bot_is_member: bool = True

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def api(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "last_name", "username"):
            value = getattr(self, key)
            if value is not None:
                chat[key] = value
        return chat

    def take_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid

    def live(self, message_id: int) -> BotMessage | UserMessage | None:
        """The message with this id unless it was deleted."""
        msg = self.messages.get(message_id)
        return None if msg is None or msg.deleted else msg


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request as the server saw and answered it."""

    method: str
    params: dict[str, Any]
    ok: bool
    status: int
    description: str | None
    result: Any = field(repr=False)
    at: float = 0.0


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a callback query (the toast or alert the user sees)."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass
class PendingQuery:
    """A callback query a user made, until the bot answers it or it expires."""

    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    at: float
    answered: bool = False


def as_reply(api: dict[str, Any]) -> dict[str, Any]:
    """A message as it appears in reply_to_message."""
    # Telegram nests only one level: a replied-to message carries no reply of its own.
    return {k: v for k, v in api.items() if k != "reply_to_message"}


@dataclass(frozen=True)
class ChatAction:
    """A sendChatAction the bot made ("typing", "upload_document", ...)."""

    chat_id: int
    action: str
