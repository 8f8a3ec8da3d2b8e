"""Plain records of what happened on the fake WhatsApp server: messages, media, templates, calls."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from fakewa.errors import GraphError

_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


@dataclass(frozen=True)
class ApiCall:
    """One Graph API request: what was asked, and how it was answered."""

    method: str
    path: str
    body: dict[str, Any]
    status: int
    code: int | None
    message: str | None
    at: float

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Media:
    """An uploaded or received file, known by its media id until it expires."""

    id: str
    data: bytes = field(repr=False)
    mime_type: str
    created_at: float
    filename: str | None = None
    origin: str = "upload"  # "upload": the business uploaded it; "incoming": a person sent it

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def file_size(self) -> int:
        return len(self.data)


@dataclass
class Template:
    """A message template on the business account, approved or not."""

    name: str
    language: str
    body: str
    category: str = "UTILITY"
    status: str = "APPROVED"
    header: str | None = None
    footer: str | None = None
    buttons: list[str] = field(default_factory=list)  # quick-reply button texts
    id: str = ""

    @property
    def approved(self) -> bool:
        return self.status == "APPROVED"

    @property
    def body_params(self) -> int:
        return _placeholders(self.body)

    @property
    def header_params(self) -> int:
        return _placeholders(self.header or "")

    def render(self, body_params: list[str], header_params: list[str]) -> tuple[str, str | None]:
        """(body, header) with the parameters filled in, as the person reads them."""
        return _fill(self.body, body_params), (
            _fill(self.header, header_params) if self.header else None
        )

    def graph(self) -> dict[str, Any]:
        """The template as GET /{waba_id}/message_templates lists it."""
        components: list[dict[str, Any]] = []
        if self.header:
            components.append({"type": "HEADER", "format": "TEXT", "text": self.header})
        components.append({"type": "BODY", "text": self.body})
        if self.footer:
            components.append({"type": "FOOTER", "text": self.footer})
        if self.buttons:
            components.append(
                {
                    "type": "BUTTONS",
                    "buttons": [{"type": "QUICK_REPLY", "text": t} for t in self.buttons],
                }
            )
        return {
            "name": self.name,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "id": self.id,
            "components": components,
        }


@dataclass
class OutgoingMessage:
    """A message the business sent through POST /{phone_number_id}/messages."""

    wamid: str
    to: str
    type: str
    payload: dict[str, Any] = field(repr=False)
    at: float
    text: str | None = None  # text body, interactive body, caption or rendered template body
    header: str | None = None
    footer: str | None = None
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (id, title) reply buttons
    list_button: str | None = None
    rows: list[dict[str, str]] = field(default_factory=list)  # id, title, description, section
    template: str | None = None
    template_language: str | None = None
    template_buttons: list[tuple[str, str]] = field(default_factory=list)  # (text, payload)
    media_id: str | None = None
    link: str | None = None
    filename: str | None = None
    context_id: str | None = None
    statuses: list[str] = field(default_factory=list)
    error: GraphError | None = None  # why Meta failed it after accepting it
    input: str = ""  # the recipient as the request named it (phone number or BSUID)

    @property
    def is_template(self) -> bool:
        return self.type == "template"

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def status(self) -> str:
        return self.statuses[-1] if self.statuses else "accepted"

    @property
    def button_titles(self) -> list[str]:
        return [title for _, title in self.buttons] + [t for t, _ in self.template_buttons]

    @property
    def row_titles(self) -> list[str]:
        return [r["title"] for r in self.rows]


@dataclass(frozen=True)
class IncomingMessage:
    """A message a person sent to the business, as its webhook carries it."""

    wamid: str
    wa_id: str
    type: str
    message: dict[str, Any] = field(repr=False)  # the object in value.messages[]
    at: float


@dataclass(frozen=True)
class WebhookPost:
    """One POST of a webhook to the bot: its body, signature and answer (0: no answer)."""

    kind: str  # "messages" or "statuses" (both arrive in Meta's "messages" field)
    body: bytes = field(repr=False)
    signature: str
    url: str
    status: int
    error: str | None
    at: float

    @property
    def ok(self) -> bool:
        return self.error is None


def _placeholders(text: str) -> int:
    numbers = {int(n) for n in _PLACEHOLDER.findall(text)}
    return max(numbers, default=0)


def _fill(text: str, params: list[str]) -> str:
    def one(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return params[index] if 0 <= index < len(params) else match.group(0)

    return _PLACEHOLDER.sub(one, text)
