"""POST /{phone_number_id}/messages checked the way the Cloud API checks it.

Each message type is checked for unknown keys, required fields and Meta's limits (3 reply
buttons of at most 20 characters; lists of at most 10 rows in at most 10 sections, row titles of
at most 24 characters); the result is an OutgoingMessage the server then delivers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fakewa import errors
from fakewa.errors import GraphError
from fakewa.records import OutgoingMessage

if TYPE_CHECKING:
    from fakewa.server import FakeWhatsApp

TOP_KEYS = frozenset(
    {
        "messaging_product",
        "recipient_type",
        "to",
        "recipient",
        "type",
        "context",
        "biz_opaque_callback_data",
        "recipient_identity_key_hash",
        "text",
        "interactive",
        "image",
        "document",
        "template",
    }
)
READ_KEYS = frozenset({"messaging_product", "status", "message_id", "typing_indicator"})
SUPPORTED_TYPES = ("text", "interactive", "image", "document", "template")
# Types the Cloud API knows that fakewa does not model yet: refused as unimplemented.
KNOWN_TYPES = frozenset(
    {"audio", "video", "sticker", "location", "contacts", "reaction", "order", "address"}
)
_WA_ID = re.compile(r"\+?[1-9]\d{7,14}")
_URL = re.compile(r"https?://\S+")

TEXT_MAX = 4096
BUTTON_BODY_MAX = 1024
HEADER_MAX = 60
FOOTER_MAX = 60
CAPTION_MAX = 1024
MAX_BUTTONS = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
LIST_BUTTON_MAX = 20
MAX_SECTIONS = 10
MAX_ROWS = 10
SECTION_TITLE_MAX = 24
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200


class Unimplemented(GraphError):
    """A request valid for Meta that fakewa does not model; recorded in server.unimplemented."""

    def __init__(self, what: str) -> None:
        super().__init__(400, 100, "Invalid parameter", f"fakewa does not implement {what}")
        self.what = what


def is_read_receipt(body: dict[str, Any]) -> bool:
    return body.get("status") == "read" and "message_id" in body


def check_read_receipt(body: dict[str, Any]) -> str:
    _only(body, READ_KEYS, "message")
    _product(body)
    message_id = body.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise errors.required("message_id")
    return message_id


def check_message(body: dict[str, Any], server: FakeWhatsApp, wamid: str) -> OutgoingMessage:
    """The message the body asks to send, or the GraphError Meta answers instead."""
    _only(body, TOP_KEYS | KNOWN_TYPES, "message")
    _product(body)
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type != "individual":
        raise Unimplemented(f"recipient_type {recipient_type!r}")
    to = body.get("to")
    recipient = body.get("recipient")
    if recipient is not None and to is None:
        # Since 2026 a business-scoped user id (BSUID) can stand in for the phone number.
        person = server.person_by_bsuid(str(recipient))
        if person is None:
            raise errors.invalid_parameter(f"Unknown recipient {recipient!r}.")
        to = person.wa_id
    if to is None or to == "":
        raise errors.required("to")
    if not isinstance(to, str) or not _WA_ID.fullmatch(to):
        raise errors.invalid_parameter(
            f"The parameter to must be a phone number with its country code, got {to!r}."
        )
    kind = body.get("type", "text")
    if kind in KNOWN_TYPES:
        raise Unimplemented(f"message type {kind!r}")
    if kind not in SUPPORTED_TYPES:
        allowed = ", ".join(SUPPORTED_TYPES)
        raise errors.invalid_parameter(f"Param type must be one of {{{allowed}}}")
    for other in SUPPORTED_TYPES:
        if other != kind and other in body:
            raise errors.invalid_parameter(f"Param {other} is not allowed with type {kind}.")
    if kind not in body:
        raise errors.required(kind)
    content = body[kind]
    if not isinstance(content, dict):
        raise errors.invalid_parameter(f"Param {kind} must be a JSON object.")
    msg = OutgoingMessage(
        wamid=wamid, to=to.removeprefix("+"), type=kind, payload=body, at=server.clock()
    )
    msg.input = str(recipient if recipient is not None and "to" not in body else to)
    context = body.get("context")
    if context is not None:
        if not isinstance(context, dict):
            raise errors.invalid_parameter("Param context must be a JSON object.")
        _only(context, frozenset({"message_id"}), "context")
        if not isinstance(context.get("message_id"), str):
            raise errors.required("context['message_id']")
        msg.context_id = context["message_id"]
    if kind == "text":
        _text(content, msg)
    elif kind == "interactive":
        _interactive(content, msg)
    elif kind in ("image", "document"):
        _media(kind, content, msg, server)
    else:
        _template(content, msg, server)
    return msg


def _text(content: dict[str, Any], msg: OutgoingMessage) -> None:
    _only(content, frozenset({"body", "preview_url"}), "text")
    body = content.get("body")
    if not isinstance(body, str) or not body.strip():
        raise errors.required("text['body']")
    _length("Message body", body, TEXT_MAX, low=1)
    msg.text = body


def _interactive(content: dict[str, Any], msg: OutgoingMessage) -> None:
    _only(content, frozenset({"type", "header", "body", "footer", "action"}), "interactive")
    kind = content.get("type")
    if kind is None:
        raise errors.required("interactive['type']")
    if kind not in ("button", "list"):
        raise Unimplemented(f"interactive type {kind!r}")
    body = content.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise errors.missing_parameter("The parameter interactive['body']['text'] is required.")
    _only(body, frozenset({"text"}), "body")
    _length("Body text", body["text"], BUTTON_BODY_MAX if kind == "button" else TEXT_MAX, low=1)
    msg.text = body["text"]
    header = content.get("header")
    if header is not None:
        if not isinstance(header, dict) or header.get("type") != "text":
            raise Unimplemented("interactive headers other than text")
        _only(header, frozenset({"type", "text"}), "header")
        _length("Header text", str(header.get("text", "")), HEADER_MAX, low=1)
        msg.header = header["text"]
    footer = content.get("footer")
    if footer is not None:
        if not isinstance(footer, dict):
            raise errors.invalid_parameter("Param interactive['footer'] must be a JSON object.")
        _only(footer, frozenset({"text"}), "footer")
        _length("Footer text", str(footer.get("text", "")), FOOTER_MAX, low=1)
        msg.footer = footer["text"]
    action = content.get("action")
    if not isinstance(action, dict):
        raise errors.missing_parameter("The parameter interactive['action'] is required.")
    if kind == "button":
        _buttons(action, msg)
    else:
        _list(action, msg)


def _buttons(action: dict[str, Any], msg: OutgoingMessage) -> None:
    _only(action, frozenset({"buttons"}), "action")
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        count = len(buttons) if isinstance(buttons, list) else 0
        raise errors.not_valid(
            f"Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: {MAX_BUTTONS}"
            f" (got {count})"
        )
    for button in buttons:
        if not isinstance(button, dict) or button.get("type") != "reply":
            raise errors.invalid_parameter("Param action['buttons'][]['type'] must be reply")
        _only(button, frozenset({"type", "reply"}), "buttons")
        reply = button.get("reply")
        if not isinstance(reply, dict):
            raise errors.missing_parameter("The parameter buttons[]['reply'] is required.")
        _only(reply, frozenset({"id", "title"}), "reply")
        title, button_id = reply.get("title"), reply.get("id")
        if not isinstance(title, str) or not 1 <= len(title) <= BUTTON_TITLE_MAX:
            raise errors.not_valid(
                f"Button title length invalid. Min length: 1, Max length: {BUTTON_TITLE_MAX}"
            )
        if not isinstance(button_id, str) or not 1 <= len(button_id) <= BUTTON_ID_MAX:
            raise errors.not_valid(
                f"Button id length invalid. Min length: 1, Max length: {BUTTON_ID_MAX}"
            )
        msg.buttons.append((button_id, title))
    if len({i for i, _ in msg.buttons}) < len(msg.buttons):
        raise errors.not_valid("Button ids must be unique.")
    if len({t for _, t in msg.buttons}) < len(msg.buttons):
        raise errors.not_valid("Button titles must be unique.")


def _list(action: dict[str, Any], msg: OutgoingMessage) -> None:
    _only(action, frozenset({"button", "sections"}), "action")
    button = action.get("button")
    if not isinstance(button, str) or not 1 <= len(button) <= LIST_BUTTON_MAX:
        raise errors.not_valid(
            f"Button text length invalid. Min length: 1, Max length: {LIST_BUTTON_MAX}"
        )
    msg.list_button = button
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= MAX_SECTIONS:
        raise errors.not_valid(
            f"Invalid sections count. Min allowed sections: 1, Max allowed sections: {MAX_SECTIONS}"
        )
    for section in sections:
        if not isinstance(section, dict):
            raise errors.invalid_parameter("Param action['sections'][] must be a JSON object.")
        _only(section, frozenset({"title", "rows", "product_items"}), "sections")
        if "product_items" in section:
            raise Unimplemented("product lists")
        title = section.get("title")
        if title is None and len(sections) > 1:
            raise errors.missing_parameter(
                "Section title is required when there is more than one section."
            )
        if title is not None:
            _length("Section title", str(title), SECTION_TITLE_MAX, low=1)
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            raise errors.not_valid("Invalid rows count. Min allowed rows in a section: 1")
        for row in rows:
            if not isinstance(row, dict):
                raise errors.invalid_parameter("Param sections[]['rows'][] must be a JSON object.")
            _only(row, frozenset({"id", "title", "description"}), "rows")
            row_title, row_id = row.get("title"), row.get("id")
            if not isinstance(row_title, str) or not 1 <= len(row_title) <= ROW_TITLE_MAX:
                raise errors.not_valid(
                    f"Row title length invalid. Min length: 1, Max length: {ROW_TITLE_MAX}"
                )
            if not isinstance(row_id, str) or not 1 <= len(row_id) <= ROW_ID_MAX:
                raise errors.not_valid(
                    f"Row id length invalid. Min length: 1, Max length: {ROW_ID_MAX}"
                )
            description = row.get("description")
            if description is not None:
                _length("Row description", str(description), ROW_DESCRIPTION_MAX, low=0)
            msg.rows.append(
                {
                    "id": row_id,
                    "title": row_title,
                    "description": str(description or ""),
                    "section": str(title or ""),
                }
            )
    if len(msg.rows) > MAX_ROWS:
        raise errors.not_valid(f"Total row count exceed max allowed count: {MAX_ROWS}")
    if len({r["id"] for r in msg.rows}) < len(msg.rows):
        raise errors.not_valid("Row ids must be unique.")


def _media(kind: str, content: dict[str, Any], msg: OutgoingMessage, server: FakeWhatsApp) -> None:
    allowed = {"id", "link", "caption"} | ({"filename"} if kind == "document" else set())
    _only(content, frozenset(allowed), kind)
    media_id, link = content.get("id"), content.get("link")
    if (media_id is None) == (link is None):
        raise errors.invalid_parameter(f"Param {kind} must have exactly one of id or link.")
    if media_id is not None:
        media = server.media_by_id(str(media_id))
        if media is None:
            raise errors.media_upload_error(f"Media id {media_id} is unknown or has expired.")
        wanted = server.media_kind(media.mime_type)
        if wanted != kind:
            raise errors.media_upload_error(
                f"Media id {media_id} is a {media.mime_type} file, not usable as {kind}."
            )
        msg.media_id = media.id
    else:
        if not isinstance(link, str) or not _URL.fullmatch(link):
            raise errors.invalid_parameter(f"Param {kind}['link'] must be a valid URL.")
        msg.link = link
    caption = content.get("caption")
    if caption is not None:
        _length("Caption", str(caption), CAPTION_MAX, low=0)
        msg.text = str(caption)
    if kind == "document" and content.get("filename") is not None:
        msg.filename = str(content["filename"])


def _template(content: dict[str, Any], msg: OutgoingMessage, server: FakeWhatsApp) -> None:
    _only(content, frozenset({"name", "language", "components", "namespace"}), "template")
    name = content.get("name")
    if not isinstance(name, str) or not name:
        raise errors.required("template['name']")
    language = content.get("language")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        raise errors.required("template['language']['code']")
    _only(language, frozenset({"code", "policy"}), "language")
    code = language["code"]
    template = server.templates.get((name, code))
    if template is None or not template.approved:
        raise errors.template_missing(name, code)
    body_params: list[str] = []
    header_params: list[str] = []
    payloads: dict[int, str] = {}
    components = content.get("components") or []
    if not isinstance(components, list):
        raise errors.invalid_parameter("Param template['components'] must be an array.")
    for component in components:
        if not isinstance(component, dict):
            raise errors.invalid_parameter("Param template['components'][] must be an object.")
        _only(component, frozenset({"type", "parameters", "sub_type", "index"}), "components")
        ctype = str(component.get("type", "")).lower()
        params = component.get("parameters") or []
        if ctype in ("body", "header"):
            texts = [_param_text(p) for p in params]
            (body_params if ctype == "body" else header_params).extend(texts)
        elif ctype == "button":
            if str(component.get("sub_type", "")).lower() != "quick_reply":
                raise Unimplemented("template buttons other than quick replies")
            index = int(component.get("index", 0))
            for p in params:
                if isinstance(p, dict) and p.get("type") == "payload":
                    payloads[index] = str(p.get("payload", ""))
        else:
            raise errors.invalid_parameter(f"Param template['components'][]['type'] {ctype!r}")
    if len(body_params) != template.body_params:
        raise errors.template_params(template.body_params, len(body_params))
    if len(header_params) != template.header_params:
        raise errors.template_params(template.header_params, len(header_params))
    msg.text, msg.header = template.render(body_params, header_params)
    msg.footer = template.footer
    msg.template = name
    msg.template_language = code
    msg.template_buttons = [
        (text, payloads.get(i, text)) for i, text in enumerate(template.buttons)
    ]


def _param_text(param: Any) -> str:
    if not isinstance(param, dict) or param.get("type") != "text":
        raise Unimplemented("template parameters other than text")
    text = param.get("text")
    if not isinstance(text, str) or not text:
        raise errors.missing_parameter("Template text parameters must not be empty.")
    return text


def _product(body: dict[str, Any]) -> None:
    product = body.get("messaging_product")
    if product is None:
        raise errors.required("messaging_product")
    if product != "whatsapp":
        raise errors.invalid_parameter("Param messaging_product must be whatsapp.")


def _only(obj: dict[str, Any], allowed: frozenset[str], param: str) -> None:
    for key in obj:
        if key not in allowed:
            raise errors.unexpected_key(key, param)


def _length(what: str, text: str, high: int, *, low: int) -> None:
    if not low <= len(text) <= high:
        raise errors.not_valid(f"{what} length invalid. Min length: {low}, Max length: {high}")
