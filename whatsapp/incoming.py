"""An incoming WhatsApp message (Meta's message object, as the inbox row keeps it) read into
what the adapter acts on: words, a tap on a button or list row, a file, or something else."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from domain.enums import Channel, EvidenceKind
from domain.forms import MediaInput


class Kind(StrEnum):
    TEXT = "text"
    PRESS = "press"  # a reply button, a list row, a template's quick-reply button
    MEDIA = "media"  # a photo or a document
    OTHER = "other"  # stickers, voice, locations, reactions, ...


@dataclass(frozen=True)
class Incoming:
    wamid: str
    wa_id: str
    name: str
    type: str  # Meta's message type
    kind: Kind
    text: str | None = None
    data: str | None = None  # the id of the tapped button or row
    media: MediaInput | None = None
    # The message this one quotes (a reply), or the one whose button was tapped.
    context_id: str | None = None


def _media(message: dict[str, Any], kind: str) -> MediaInput | None:
    content = message.get(kind)
    if not isinstance(content, dict) or not content.get("id"):
        return None
    media_id = str(content["id"])
    return MediaInput(
        kind=EvidenceKind.PHOTO.value if kind == "image" else EvidenceKind.DOCUMENT.value,
        ref=media_id,
        # Meta sends the file's SHA-256: the same file sent twice is known as one.
        unique_ref=str(content.get("sha256") or media_id),
        file_name=content.get("filename"),
        mime_type=content.get("mime_type"),
        caption=content.get("caption"),
        channel=Channel.WHATSAPP.value,
    )


def parse(payload: dict[str, Any]) -> Incoming:
    """The inbox row's payload of an incoming message ({"contact": ..., "message": ...})."""
    message: dict[str, Any] = payload["message"]
    contact: dict[str, Any] = payload.get("contact") or {}
    wa_id = str(contact.get("wa_id") or message["from"])
    name = str(contact.get("name") or (contact.get("profile") or {}).get("name") or wa_id)
    kind = str(message.get("type", ""))
    context = message.get("context")
    context_id = context.get("id") if isinstance(context, dict) else None
    base = Incoming(
        wamid=str(message["id"]),
        wa_id=wa_id,
        name=name,
        type=kind,
        kind=Kind.OTHER,
        context_id=context_id if isinstance(context_id, str) else None,
    )
    if kind == "text":
        body = (message.get("text") or {}).get("body")
        if isinstance(body, str) and body.strip():
            return replace(base, kind=Kind.TEXT, text=body)
    elif kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        if reply.get("id"):
            return replace(base, kind=Kind.PRESS, data=str(reply["id"]), text=reply.get("title"))
    elif kind == "button":
        button = message.get("button") or {}
        if button.get("payload") or button.get("text"):
            data = str(button.get("payload") or button.get("text"))
            return replace(base, kind=Kind.PRESS, data=data, text=button.get("text"))
    elif kind in ("image", "document"):
        media = _media(message, kind)
        if media is not None:
            return replace(base, kind=Kind.MEDIA, media=media, text=media.caption)
    return base
