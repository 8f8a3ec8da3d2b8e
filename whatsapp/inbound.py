"""Meta's webhook body turned into inbox entries: one per incoming message and per status.

Pure functions, no I/O: the webhook (whatsapp/webhook.py) stores what they return before it
answers, and the adapter reads the rows later. What is stored (the shared design):

- a message: key its wamid, lane "wa:<wa_id>", payload ``{"kind": "message",
  "phone_number_id", "contact": {"wa_id", "name"[, "user_id"]}, "message": <Meta's object>}``;
- a status: key "status:<wamid>:<status>", lane "wa:<recipient_id>", payload
  ``{"kind": "status", "status": <Meta's object>}``.

Objects are kept exactly as received, unknown message types too (the adapter answers them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from models.inbox import EXTERNAL_ID_LENGTH
from services.inbox import SHARED_LANE, InboxEntry

OBJECT = "whatsapp_business_account"
# Incoming messages and statuses both arrive in this field; others (template status updates,
# account updates) are not subscribed to and are ignored if they come.
MESSAGES_FIELD = "messages"
MESSAGE, STATUS = "message", "status"
LANE_PREFIX = "wa:"
LANE_LENGTH = 60


@dataclass(frozen=True)
class Problem:
    """Something in a post that is not stored, with what may be logged (no personal data)."""

    # "foreign_number", "other_object", "other_field", "errors", "no_id", "not_an_object"
    what: str
    detail: str = ""


@dataclass(frozen=True)
class Parsed:
    """What one post brings: the entries to store, and what was left out and why."""

    entries: list[InboxEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse(body: Any, phone_number_id: str) -> Parsed:
    """Every message and status of every entry and change meant for `phone_number_id`, in the
    order they appear. Changes for another number are left out (a Problem says so)."""
    parsed = Parsed()
    if not isinstance(body, dict):
        parsed.problems.append(Problem("not_an_object", type(body).__name__))
        return parsed
    if body.get("object") != OBJECT:
        parsed.problems.append(Problem("other_object", str(body.get("object"))[:60]))
        return parsed
    for entry in _dicts(body.get("entry")):
        for change in _dicts(entry.get("changes")):
            if change.get("field") != MESSAGES_FIELD:
                parsed.problems.append(Problem("other_field", str(change.get("field"))[:60]))
                continue
            value = change.get("value")
            if isinstance(value, dict):
                _read_value(value, phone_number_id, parsed)
    return parsed


def _read_value(value: dict[str, Any], phone_number_id: str, parsed: Parsed) -> None:
    metadata = value.get("metadata")
    number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    if str(number) != phone_number_id:
        parsed.problems.append(Problem("foreign_number", str(number)[:40]))
        return
    # Errors of the account or the app (not of one message): Meta reports them here.
    for error in _dicts(value.get("errors")):
        parsed.problems.append(Problem("errors", describe_error(error)))
    contacts = list(_dicts(value.get("contacts")))
    for message in _dicts(value.get("messages")):
        entry = message_entry(message, contacts, phone_number_id)
        if entry is None:
            parsed.problems.append(Problem("no_id", f"message of type {message.get('type')}"))
        else:
            parsed.entries.append(entry)
    for status in _dicts(value.get("statuses")):
        found = status_entry(status)
        if found is None:
            parsed.problems.append(Problem("no_id", f"status {status.get('status')}"))
        else:
            parsed.entries.append(found)


def message_entry(
    message: dict[str, Any], contacts: list[dict[str, Any]], phone_number_id: str
) -> InboxEntry | None:
    """The entry of one incoming message; None without a wamid (nothing to key it by)."""
    wamid = message.get("id")
    if not isinstance(wamid, str) or not wamid:
        return None
    sender = message.get("from")
    contact = _contact_of(str(sender) if sender is not None else None, contacts)
    wa_id = contact.get("wa_id") or (str(sender) if sender is not None else None)
    payload = {
        "kind": MESSAGE,
        "phone_number_id": phone_number_id,
        "contact": contact,
        "message": message,
    }
    return InboxEntry(key(wamid), lane(wa_id or contact.get("user_id")), payload)


def status_entry(status: dict[str, Any]) -> InboxEntry | None:
    """The entry of one status (sent, delivered, read, failed); None without a wamid. Each
    status of a message is its own entry: "delivered" after "sent" is news, a repeat is not."""
    wamid, name = status.get("id"), status.get("status")
    if not isinstance(wamid, str) or not wamid or not isinstance(name, str):
        return None
    recipient = status.get("recipient_id") or status.get("recipient_user_id")
    return InboxEntry(
        key(f"status:{wamid}:{name}"),
        lane(str(recipient) if recipient is not None else None),
        {"kind": STATUS, "status": status},
    )


def _contact_of(sender: str | None, contacts: list[dict[str, Any]]) -> dict[str, Any]:
    """The sender as contacts[] names them: wa_id, the profile name, the BSUID when given."""
    found = next((c for c in contacts if sender is not None and c.get("wa_id") == sender), None)
    if found is None and len(contacts) == 1:
        found = contacts[0]
    contact: dict[str, Any] = {"wa_id": sender, "name": None}
    if found is not None:
        profile = found.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        contact = {"wa_id": found.get("wa_id") or sender, "name": name}
        if found.get("user_id"):
            contact["user_id"] = found["user_id"]
    return contact


def key(raw: str) -> str:
    """The inbox key: `raw` itself, or a digest of it when it would not fit the column."""
    if len(raw) <= EXTERNAL_ID_LENGTH:
        return raw
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def lane(wa_id: str | None) -> str:
    """One person's lane: their messages and the statuses of what they were sent, in order."""
    if not wa_id:
        return SHARED_LANE
    return f"{LANE_PREFIX}{wa_id}"[:LANE_LENGTH]


def describe_error(error: dict[str, Any]) -> str:
    """An errors[] object as a log may show it: code and title, never the message's content."""
    return f"{error.get('code')} {str(error.get('title') or '')[:100]}".strip()


def _dicts(items: Any) -> list[dict[str, Any]]:
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
