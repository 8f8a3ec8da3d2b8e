"""Simulated Telegram users and groups that tests drive to talk to the bot."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakegram.files import TINY_JPEG
from fakegram.formatting import user_entities, utf16_len
from fakegram.records import (
    BotMessage,
    CallbackAnswer,
    Chat,
    PendingQuery,
    UserMessage,
    as_reply,
)

if TYPE_CHECKING:
    from fakegram.server import FakeTelegram

AlbumItem = tuple[str, bytes, str | None] | tuple[str, bytes, str | None, str]


@dataclass
class CallbackPress:
    """A button press the bot has to answer; ``answer`` is None until it does."""

    server: FakeTelegram = field(repr=False)
    id: str
    data: str
    chat_id: int
    message_id: int
    update_id: int | None

    @property
    def answer(self) -> CallbackAnswer | None:
        return self.server.callback_answers.get(self.id)

    @property
    def answered(self) -> bool:
        return self.answer is not None

    async def wait_answer(self, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109
        """The bot's answerCallbackQuery (toast text, show_alert) once it arrives."""
        return await self.server.wait_for(
            lambda: self.answer, timeout, description=f"bot answers callback query {self.id}"
        )


class FakeUser:
    """A Telegram user with a private chat with the bot (chat id == user id).

    Actions are plain methods called from the event loop thread; each one queues an update and
    wakes a pending long poll.
    """

    def __init__(
        self,
        server: FakeTelegram,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self._cursors: dict[int, int] = {}

    def __repr__(self) -> str:
        return f"FakeUser({self.id}, {self.first_name!r})"

    @property
    def api(self) -> dict[str, Any]:
        """This user as a Bot API User object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def chat(self) -> Chat:
        return self.server.chat(self.id)

    # -- what the user sees -----------------------------------------------------------------

    @property
    def inbox(self) -> list[BotMessage]:
        """Bot messages in the private chat, oldest first, edits applied, deleted ones gone."""
        return [m for m in self.chat.bot_log if not m.deleted]

    @property
    def last(self) -> BotMessage | None:
        """The newest bot message still in the private chat."""
        inbox = self.inbox
        return inbox[-1] if inbox else None

    @property
    def sent(self) -> list[UserMessage]:
        """What this user wrote in the private chat, oldest first."""
        return [m for m in self.chat.messages.values() if isinstance(m, UserMessage)]

    @property
    def blocked(self) -> bool:
        return self.chat.blocked

    @property
    def command_menu(self) -> list[tuple[str, str]]:
        """The bot's command menu in this user's chat and language."""
        return self.server.menu_for(self.id, self.language_code or "")

    def transcript(self) -> str:
        return self.server.transcript(self.id)

    async def next_reply(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - the deadline is the test-facing contract
        *,
        chat: FakeGroup | None = None,
    ) -> BotMessage:
        """The next bot message in the chat after this user's latest action.

        Each call returns the following message, so two replies are two calls.
        """
        target = self._chat(chat, acting=False)
        cursor = self._cursors.get(target.id, len(target.bot_log))
        msg = await self.server.wait_for(
            lambda: target.bot_log[cursor] if len(target.bot_log) > cursor else None,
            timeout,
            description=f"bot sends a message to chat {target.id} (after #{cursor})",
        )
        self._cursors[target.id] = cursor + 1
        return msg

    # -- actions ----------------------------------------------------------------------------

    def send(
        self,
        text: str,
        *,
        reply_to: BotMessage | UserMessage | int | None = None,
        chat: FakeGroup | None = None,
    ) -> UserMessage:
        """Type and send a text; /commands (also /cmd@bot) get a bot_command entity."""
        if not text.strip():
            raise ValueError("Telegram clients do not send empty messages")
        if utf16_len(text) > 4096:
            raise ValueError("Telegram clients split texts over 4096 characters")
        target = self._chat(chat)
        content: dict[str, Any] = {"text": text}
        entities = user_entities(text)
        if entities:
            content["entities"] = entities
        return self._post(target, "text", content, text, reply_to)

    def send_photo(
        self,
        data: bytes = TINY_JPEG,
        caption: str | None = None,
        *,
        reply_to: BotMessage | UserMessage | int | None = None,
        chat: FakeGroup | None = None,
    ) -> UserMessage:
        """Send a photo; the bot gets one PhotoSize whose file_id getFile can download."""
        target = self._chat(chat)
        stored = self.server.files.add("photo", data)
        content: dict[str, Any] = {"photo": [stored.photo_size()], **_caption(caption)}
        return self._post(target, "photo", content, caption, reply_to, file_id=stored.file_id)

    def send_document(
        self,
        data: bytes,
        filename: str = "document.bin",
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        reply_to: BotMessage | UserMessage | int | None = None,
        chat: FakeGroup | None = None,
    ) -> UserMessage:
        """Send a file as a document with its name and MIME type."""
        target = self._chat(chat)
        stored = self.server.files.add("document", data, file_name=filename, mime_type=mime_type)
        content: dict[str, Any] = {"document": stored.document(), **_caption(caption)}
        return self._post(target, "document", content, caption, reply_to, file_id=stored.file_id)

    def send_album(
        self, items: Sequence[AlbumItem], *, chat: FakeGroup | None = None
    ) -> list[UserMessage]:
        """Send 2-10 photos/documents as one album: one message each, sharing media_group_id.

        Items are (kind, bytes, caption) or (kind, bytes, caption, filename).
        """
        if not 2 <= len(items) <= 10:
            raise ValueError("an album has 2-10 items")
        target = self._chat(chat)
        group_id = str(12_000_000_000_000_000 + self.server._next_seq())
        sent: list[UserMessage] = []
        for n, item in enumerate(items, start=1):
            kind, data, caption = item[0], item[1], item[2]
            if kind == "photo":
                stored = self.server.files.add("photo", data)
                content: dict[str, Any] = {"photo": [stored.photo_size()]}
            elif kind == "document":
                name = item[3] if len(item) > 3 else f"document{n}.bin"
                stored = self.server.files.add("document", data, file_name=str(name))
                content = {"document": stored.document()}
            else:
                raise ValueError(f"album items are photos or documents, not {kind!r}")
            content.update(_caption(caption))
            sent.append(
                self._post(
                    target,
                    kind,
                    content,
                    caption,
                    None,
                    media_group_id=group_id,
                    file_id=stored.file_id,
                )
            )
        return sent

    def edit(self, message: UserMessage, text: str) -> UserMessage:
        """Edit one of this user's texts; the bot gets an edited_message update."""
        if message.user_id != self.id or message.kind != "text" or message.deleted:
            raise AssertionError(f"{self!r} cannot edit {message!r}")
        message.text = text
        message.api["text"] = text
        entities = user_entities(text)
        message.api.pop("entities", None)
        if entities:
            message.api["entities"] = entities
        message.api["edit_date"] = int(time.time())
        chat = self.server.chat(message.chat_id)
        self._cursors[chat.id] = len(chat.bot_log)
        self.server._enqueue("edited_message", dict(message.api))
        return message

    def tap(self, text: str, *, chat: FakeGroup | None = None) -> UserMessage:
        """Tap a button of the reply keyboard the bot is showing: sends its text."""
        target = self._chat(chat)
        keyboard: list[list[str]] | None = None
        for msg in reversed(target.bot_log):
            if msg.keyboard is not None:
                keyboard = msg.keyboard
                break
            if msg.removes_keyboard:
                break
        if keyboard is None:
            raise AssertionError(f"the bot shows no reply keyboard in chat {target.id}")
        choices = [t for row in keyboard for t in row]
        if text not in choices:
            raise AssertionError(f"reply keyboard has no button {text!r}; buttons: {choices!r}")
        return self.send(text, chat=chat)

    def press(
        self, message: BotMessage | int, text: str, *, chat: FakeGroup | None = None
    ) -> CallbackPress:
        """Press the inline button labelled ``text`` on a bot message (current state)."""
        msg = self._bot_message(message, chat)
        button = msg.button(text)
        if button.callback_data is None:
            raise AssertionError(
                f"button {text!r} on message {msg.message_id} sends no callback query "
                f"(it is {sorted(k for k in button.raw if k != 'text')})"
            )
        return self._callback(msg, button.callback_data)

    def press_data(
        self, message: BotMessage | int, data: str, *, chat: FakeGroup | None = None
    ) -> CallbackPress:
        """A callback query with arbitrary (forged) data on a real bot message."""
        return self._callback(self._bot_message(message, chat), data)

    def block(self) -> None:
        """Block the bot: its messages to this user now get 403."""
        chat = self.chat
        if not chat.blocked:
            chat.blocked = True
            self._membership_update(chat, "member", "kicked")

    def unblock(self) -> None:
        """Unblock the bot (the client's Restart button)."""
        chat = self.chat
        if chat.blocked:
            chat.blocked = False
            self._membership_update(chat, "kicked", "member")

    # -- internals --------------------------------------------------------------------------

    def _chat(self, chat: FakeGroup | None, *, acting: bool = True) -> Chat:
        if chat is None:
            target = self.chat
            if acting and target.blocked:
                raise AssertionError(f"{self!r} has blocked the bot; call unblock() first")
            return target
        target = self.server.chat(chat.chat_id)
        if acting and not target.bot_is_member:
            raise AssertionError(f"the bot is not a member of {target.title!r}")
        return target

    def _bot_message(self, message: BotMessage | int, chat: FakeGroup | None) -> BotMessage:
        if isinstance(message, int):
            target = self._chat(chat, acting=False)
            message_id = message
        else:
            target = self.server.chat(message.chat_id)
            message_id = message.message_id
        msg = target.messages.get(message_id)
        if not isinstance(msg, BotMessage):
            raise AssertionError(f"no bot message {message_id} in chat {target.id}")
        if msg.deleted:
            raise AssertionError(f"bot message {message_id} was deleted")
        return msg

    def _resolve_reply(self, chat: Chat, reply_to: BotMessage | UserMessage | int) -> Any:
        message_id = reply_to if isinstance(reply_to, int) else reply_to.message_id
        target = chat.live(message_id)
        if target is None:
            raise AssertionError(f"cannot reply to message {message_id}: not in chat {chat.id}")
        return target

    def _post(
        self,
        chat: Chat,
        kind: str,
        content: dict[str, Any],
        text: str | None,
        reply_to: BotMessage | UserMessage | int | None,
        *,
        media_group_id: str | None = None,
        file_id: str | None = None,
    ) -> UserMessage:
        message_id = chat.take_message_id()
        api: dict[str, Any] = {
            "message_id": message_id,
            "from": self.api,
            "chat": chat.api(),
            "date": int(time.time()),
        }
        if media_group_id:
            api["media_group_id"] = media_group_id
        replied: BotMessage | UserMessage | None = None
        if reply_to is not None:
            replied = self._resolve_reply(chat, reply_to)
            api["reply_to_message"] = as_reply(replied.api)
        api.update(content)
        msg = UserMessage(
            message_id=message_id,
            chat_id=chat.id,
            user_id=self.id,
            kind=kind,
            text=text,
            update_id=None,
            media_group_id=media_group_id,
            file_id=file_id,
            api=api,
        )
        chat.messages[message_id] = msg
        if chat.is_private:
            chat.started = True
        self._cursors[chat.id] = len(chat.bot_log)
        if self._reaches_bot(chat, text, replied):
            msg.update_id = self.server._enqueue("message", api)
        else:
            self.server._notify()
        return msg

    def _reaches_bot(self, chat: Chat, text: str | None, replied: object) -> bool:
        """Whether Telegram passes this message to the bot; privacy mode filters groups."""
        if chat.is_private or not self.server.privacy_mode:
            return True
        if isinstance(replied, BotMessage):
            return True
        if not text:
            return False
        mention = f"@{self.server.bot_username}".lower()
        first = text.split(maxsplit=1)[0].lower() if text.split() else ""
        if first.startswith("/"):
            target = first.partition("@")[2]
            return not target or f"@{target}" == mention
        return mention in text.lower()

    def _callback(self, msg: BotMessage, data: str) -> CallbackPress:
        chat = self.server.chat(msg.chat_id)
        if chat.is_private and chat.blocked:
            raise AssertionError(f"{self!r} has blocked the bot; call unblock() first")
        seq = self.server._next_seq()
        query_id = f"{self.id}{seq:08d}"
        payload = {
            "id": query_id,
            "from": self.api,
            "message": dict(msg.api),
            "chat_instance": str((chat.id * 2654435761 + self.server.bot_id) % 10**18),
            "data": data,
        }
        self.server._queries[query_id] = PendingQuery(
            id=query_id,
            chat_id=chat.id,
            message_id=msg.message_id,
            user_id=self.id,
            data=data,
            at=self.server.clock(),
        )
        self._cursors[chat.id] = len(chat.bot_log)
        update_id = self.server._enqueue("callback_query", payload)
        return CallbackPress(self.server, query_id, data, chat.id, msg.message_id, update_id)

    def _membership_update(self, chat: Chat, old: str, new: str) -> None:
        self.server._enqueue(
            "my_chat_member",
            _membership(chat, self.api, self.server.bot_user, old, new),
        )


class FakeGroup:
    """A group or supergroup with the bot in it; users post there with ``chat=group``."""

    def __init__(self, server: FakeTelegram, chat_id: int) -> None:
        self.server = server
        self.chat_id = chat_id

    def __repr__(self) -> str:
        return f"FakeGroup({self.chat_id}, {self.chat.title!r})"

    @property
    def chat(self) -> Chat:
        return self.server.chat(self.chat_id)

    @property
    def title(self) -> str | None:
        return self.chat.title

    @property
    def inbox(self) -> list[BotMessage]:
        return [m for m in self.chat.bot_log if not m.deleted]

    @property
    def last(self) -> BotMessage | None:
        inbox = self.inbox
        return inbox[-1] if inbox else None

    def transcript(self) -> str:
        return self.server.transcript(self.chat_id)

    def remove_bot(self, by: FakeUser) -> None:
        """An admin removes the bot: its messages here now get 403."""
        chat = self.chat
        if chat.bot_is_member:
            chat.bot_is_member = False
            self.server._enqueue(
                "my_chat_member",
                _membership(chat, by.api, self.server.bot_user, "member", "kicked"),
            )

    def add_bot(self, by: FakeUser) -> None:
        chat = self.chat
        if not chat.bot_is_member:
            chat.bot_is_member = True
            self.server._enqueue(
                "my_chat_member", _membership(chat, by.api, self.server.bot_user, "left", "member")
            )


def _caption(caption: str | None) -> dict[str, Any]:
    if not caption:
        return {}
    content: dict[str, Any] = {"caption": caption}
    entities = user_entities(caption)
    if entities:
        content["caption_entities"] = entities
    return content


def _membership(
    chat: Chat, actor: dict[str, Any], bot: dict[str, Any], old: str, new: str
) -> dict[str, Any]:
    def member(status: str) -> dict[str, Any]:
        m: dict[str, Any] = {"user": bot, "status": status}
        if status == "kicked":
            m["until_date"] = 0
        return m

    return {
        "chat": chat.api(),
        "from": actor,
        "date": int(time.time()),
        "old_chat_member": member(old),
        "new_chat_member": member(new),
    }
