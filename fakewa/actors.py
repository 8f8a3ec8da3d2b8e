"""Simulated WhatsApp users that tests drive to talk to the business (the bot)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import phonenumbers

from fakegram.files import TINY_JPEG
from fakewa.records import IncomingMessage, OutgoingMessage

if TYPE_CHECKING:
    from fakewa.server import FakeWhatsApp


class FakePerson:
    """A WhatsApp user chatting with the business number.

    Each action posts an incoming-message webhook (signed, in Meta's envelope) and opens the
    24-hour customer-service window; ``inbox`` is what reached the phone.
    """

    def __init__(self, server: FakeWhatsApp, wa_id: str, name: str) -> None:
        self.server = server
        self.wa_id = wa_id
        self.name = name
        self.bsuid = business_scoped_id(server.waba_id, wa_id)
        self.last_inbound_at: float | None = None
        self._cursor = 0

    def __repr__(self) -> str:
        return f"FakePerson({self.wa_id}, {self.name!r})"

    @property
    def contact(self) -> dict[str, Any]:
        """The person as a webhook's ``contacts[]`` names them (wa_id and BSUID, since 2026)."""
        return {"profile": {"name": self.name}, "wa_id": self.wa_id, "user_id": self.bsuid}

    # -- what the person sees ---------------------------------------------------------------

    @property
    def inbox(self) -> list[OutgoingMessage]:
        """Messages that reached the phone (not failed ones), oldest first."""
        return [m for m in self.server.sent_to(self.wa_id) if not m.failed]

    @property
    def last(self) -> OutgoingMessage | None:
        inbox = self.inbox
        return inbox[-1] if inbox else None

    @property
    def sent(self) -> list[IncomingMessage]:
        return [m for m in self.server.incoming if m.wa_id == self.wa_id]

    @property
    def window_open(self) -> bool:
        return self.server.window_open(self.wa_id)

    async def next_reply(self, timeout: float = 5.0) -> OutgoingMessage:  # noqa: ASYNC109
        """The next message that reached the phone; two replies are two calls."""
        cursor = self._cursor
        msg = await self.server.wait_for(
            lambda: self.inbox[cursor] if len(self.inbox) > cursor else None,
            timeout,
            description=f"the business sends {self.wa_id} a message (after #{cursor})",
        )
        self._cursor = cursor + 1
        return msg

    # -- actions ----------------------------------------------------------------------------

    def send(self, text: str, *, reply_to: OutgoingMessage | str | None = None) -> IncomingMessage:
        """Type and send a text (a reply quotes the message, as ``context``)."""
        if not text.strip():
            raise ValueError("WhatsApp does not send empty messages")
        return self._post("text", {"text": {"body": text}}, reply_to)

    def press(self, msg: OutgoingMessage, title: str) -> IncomingMessage:
        """Tap a reply button (or a template's quick-reply button) by its title."""
        if msg.template_buttons:
            for text, payload in msg.template_buttons:
                if text == title:
                    return self._post("button", {"button": {"payload": payload, "text": text}}, msg)
        for button_id, button_title in msg.buttons:
            if button_title == title:
                reply = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
                return self._post("interactive", {"interactive": reply}, msg)
        raise ValueError(f"no button {title!r} on {msg.wamid}: {msg.button_titles}")

    def choose(self, msg: OutgoingMessage, title: str) -> IncomingMessage:
        """Open a list message and pick the row with that title."""
        for row in msg.rows:
            if row["title"] == title:
                chosen = {"id": row["id"], "title": row["title"]}
                if row["description"]:
                    chosen["description"] = row["description"]
                reply = {"type": "list_reply", "list_reply": chosen}
                return self._post("interactive", {"interactive": reply}, msg)
        raise ValueError(f"no row {title!r} on {msg.wamid}: {msg.row_titles}")

    def send_image(
        self,
        data: bytes = TINY_JPEG,
        caption: str | None = None,
        *,
        mime_type: str = "image/jpeg",
        reply_to: OutgoingMessage | str | None = None,
    ) -> IncomingMessage:
        """Send a photo; the bot gets a media id it can download (GET /{id}, then the URL)."""
        media = self.server._store_media(data, mime_type, None, "incoming")
        image: dict[str, Any] = {"mime_type": mime_type, "sha256": media.sha256, "id": media.id}
        if caption:
            image["caption"] = caption
        return self._post("image", {"image": image}, reply_to)

    def send_document(
        self,
        data: bytes,
        filename: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        *,
        reply_to: OutgoingMessage | str | None = None,
    ) -> IncomingMessage:
        """Send a file as a document with its name and MIME type."""
        media = self.server._store_media(data, mime_type, filename, "incoming")
        document: dict[str, Any] = {
            "filename": filename,
            "mime_type": mime_type,
            "sha256": media.sha256,
            "id": media.id,
        }
        if caption:
            document["caption"] = caption
        return self._post("document", {"document": document}, reply_to)

    def send_voice(self, data: bytes = b"OggS\x00fake-voice") -> IncomingMessage:
        media = self.server._store_media(data, "audio/ogg", None, "incoming")
        audio = {"mime_type": "audio/ogg; codecs=opus", "sha256": media.sha256, "id": media.id}
        return self._post("audio", {"audio": {**audio, "voice": True}}, None)

    def send_audio(
        self, data: bytes = b"ID3\x04\x00fake-audio", *, mime_type: str = "audio/mpeg"
    ) -> IncomingMessage:
        """Send an audio file (a recording picked from the phone, not a voice note): Meta
        posts it as type "audio" with ``voice`` false."""
        media = self.server._store_media(data, mime_type, None, "incoming")
        audio = {"mime_type": mime_type, "sha256": media.sha256, "id": media.id}
        return self._post("audio", {"audio": {**audio, "voice": False}}, None)

    def send_video(
        self,
        data: bytes = b"\x00\x00\x00\x18ftypmp42fake-video",
        caption: str | None = None,
        *,
        mime_type: str = "video/mp4",
        reply_to: OutgoingMessage | str | None = None,
    ) -> IncomingMessage:
        """Send a video; like a photo, the bot gets a media id it can download."""
        media = self.server._store_media(data, mime_type, None, "incoming")
        video: dict[str, Any] = {"mime_type": mime_type, "sha256": media.sha256, "id": media.id}
        if caption:
            video["caption"] = caption
        return self._post("video", {"video": video}, reply_to)

    def send_batch(self, texts: list[str]) -> list[IncomingMessage]:
        """Several texts that reach the bot in one webhook POST (``messages[]`` with one item
        each), as Meta posts messages sent in a quick burst."""
        with self.server.batch():
            return [self.send(text) for text in texts]

    def send_sticker(self, data: bytes = b"RIFF\x00\x00\x00\x00WEBP") -> IncomingMessage:
        media = self.server._store_media(data, "image/webp", None, "incoming")
        sticker = {"mime_type": "image/webp", "sha256": media.sha256, "id": media.id}
        return self._post("sticker", {"sticker": {**sticker, "animated": False}}, None)

    def send_location(
        self, latitude: float, longitude: float, name: str | None = None
    ) -> IncomingMessage:
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if name:
            location["name"] = name
        return self._post("location", {"location": location}, None)

    def react(self, msg: OutgoingMessage, emoji: str) -> IncomingMessage:
        """React to a business message (a reaction does not quote it with ``context``)."""
        return self._post("reaction", {"reaction": {"message_id": msg.wamid, "emoji": emoji}}, None)

    def read(self, msg: OutgoingMessage) -> None:
        """Open the chat: the business gets a ``read`` status for the message."""
        if msg.to != self.wa_id or msg.failed:
            raise ValueError(f"{msg.wamid} did not reach {self.wa_id}")
        self.server._post_status(msg, "read")

    # -- internals ----------------------------------------------------------------------------

    def _post(
        self,
        kind: str,
        content: dict[str, Any],
        reply_to: OutgoingMessage | str | None,
    ) -> IncomingMessage:
        server = self.server
        message: dict[str, Any] = {
            "from": self.wa_id,
            "id": server._new_wamid(),
            "timestamp": server._timestamp(),
            "type": kind,
            **content,
        }
        if reply_to is not None:
            wamid = reply_to if isinstance(reply_to, str) else reply_to.wamid
            message["context"] = {"from": server.display_phone_number, "id": wamid}
        self.last_inbound_at = server.clock()
        return server._post_incoming(self, message)


def business_scoped_id(waba_id: str, wa_id: str) -> str:
    """A stable BSUID in Meta's format: the ISO country code, a dot, digits ("ID.1234…")."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(f"+{wa_id}")) or "ZZ"
    except phonenumbers.NumberParseException:
        region = "ZZ"
    digest = hashlib.sha256(f"{waba_id}:{wa_id}".encode()).hexdigest()
    return f"{region}.{int(digest[:16], 16)}"
