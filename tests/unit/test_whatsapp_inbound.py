"""Meta's webhook bodies turned into inbox entries: keys, lanes and payloads as received."""

from __future__ import annotations

from typing import Any

from services.inbox import SHARED_LANE
from whatsapp.inbound import key, parse

OURS = "106540352242922"
BUDI = "6281234567890"
SITI = "6285711112222"


def _body(*values: dict[str, Any], number: str = OURS) -> dict[str, Any]:
    """Meta's envelope: one entry per value, each with one change of the messages field."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": number,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
            for value in values
        ],
    }


def _contact(wa_id: str, name: str) -> dict[str, Any]:
    return {"profile": {"name": name}, "wa_id": wa_id, "user_id": f"ID.{wa_id[-6:]}"}


def _message(wamid: str, kind: str, content: dict[str, Any], sender: str = BUDI) -> dict[str, Any]:
    return {"from": sender, "id": wamid, "timestamp": "1793581200", "type": kind, **content}


def test_a_text_is_keyed_by_its_wamid_in_the_senders_lane() -> None:
    text = _message("wamid.A1", "text", {"text": {"body": "LAPOR"}})
    parsed = parse(_body({"contacts": [_contact(BUDI, "Budi")], "messages": [text]}), OURS)
    (entry,) = parsed.entries
    assert entry.key == "wamid.A1" and entry.lane == f"wa:{BUDI}" and entry.update_id is None
    assert entry.payload == {
        "kind": "message",
        "phone_number_id": OURS,
        "contact": {"wa_id": BUDI, "name": "Budi", "user_id": f"ID.{BUDI[-6:]}"},
        "message": text,
    }
    assert parsed.problems == []


def test_button_and_list_replies_keep_their_ids_and_the_quoted_message() -> None:
    context = {"context": {"from": "15550783881", "id": "wamid.OUT1"}}
    button = _message(
        "wamid.B1",
        "interactive",
        {
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": "f1:tok:yes", "title": "Ya"},
            },
            **context,
        },
    )
    row = _message(
        "wamid.B2",
        "interactive",
        {
            "interactive": {
                "type": "list_reply",
                "list_reply": {"id": "menu:status", "title": "Status", "description": "Lihat"},
            },
            **context,
        },
    )
    parsed = parse(_body({"contacts": [_contact(BUDI, "Budi")], "messages": [button, row]}), OURS)
    assert [e.key for e in parsed.entries] == ["wamid.B1", "wamid.B2"]
    first, second = (e.payload["message"] for e in parsed.entries)
    assert first["interactive"]["button_reply"]["id"] == "f1:tok:yes"
    assert second["interactive"]["list_reply"]["id"] == "menu:status"
    assert first["context"]["id"] == second["context"]["id"] == "wamid.OUT1"


def test_an_image_and_a_document_carry_their_media_ids_and_captions() -> None:
    image = _message(
        "wamid.I1",
        "image",
        {"image": {"id": "1234", "mime_type": "image/jpeg", "sha256": "ab", "caption": "bukti"}},
    )
    document = _message(
        "wamid.D1",
        "document",
        {"document": {"id": "5678", "mime_type": "application/pdf", "filename": "lap.pdf"}},
    )
    parsed = parse(
        _body({"contacts": [_contact(BUDI, "Budi")], "messages": [image, document]}), OURS
    )
    assert [(e.key, e.payload["message"]["type"]) for e in parsed.entries] == [
        ("wamid.I1", "image"),
        ("wamid.D1", "document"),
    ]
    assert parsed.entries[0].payload["message"]["image"]["caption"] == "bukti"
    assert parsed.entries[1].payload["message"]["document"]["filename"] == "lap.pdf"


def test_each_status_is_its_own_entry_in_the_recipients_lane() -> None:
    delivered = {"id": "wamid.OUT1", "status": "delivered", "recipient_id": SITI, "timestamp": "1"}
    failed = {
        "id": "wamid.OUT2",
        "status": "failed",
        "recipient_id": SITI,
        "timestamp": "2",
        "errors": [{"code": 131047, "title": "Re-engagement message"}],
    }
    parsed = parse(_body({"statuses": [delivered, failed]}), OURS)
    assert [(e.key, e.lane) for e in parsed.entries] == [
        ("status:wamid.OUT1:delivered", f"wa:{SITI}"),
        ("status:wamid.OUT2:failed", f"wa:{SITI}"),
    ]
    assert parsed.entries[1].payload == {"kind": "status", "status": failed}
    # The same message's next status is news, so it has a key of its own.
    read = {**delivered, "status": "read"}
    assert parse(_body({"statuses": [read]}), OURS).entries[0].key == "status:wamid.OUT1:read"


def test_several_entries_and_people_in_one_post_keep_their_order_and_contacts() -> None:
    budi = _message("wamid.1", "text", {"text": {"body": "Halo"}})
    siti = _message("wamid.2", "text", {"text": {"body": "Selamat pagi"}}, sender=SITI)
    status = {"id": "wamid.OUT9", "status": "sent", "recipient_id": BUDI, "timestamp": "3"}
    body = _body(
        {"contacts": [_contact(BUDI, "Budi"), _contact(SITI, "Siti")], "messages": [budi, siti]},
        {"statuses": [status]},
    )
    parsed = parse(body, OURS)
    assert [(e.key, e.lane) for e in parsed.entries] == [
        ("wamid.1", f"wa:{BUDI}"),
        ("wamid.2", f"wa:{SITI}"),
        ("status:wamid.OUT9:sent", f"wa:{BUDI}"),
    ]
    assert parsed.entries[1].payload["contact"]["name"] == "Siti"


def test_unknown_and_unsupported_types_are_stored_as_received() -> None:
    sticker = _message("wamid.S1", "sticker", {"sticker": {"id": "9", "animated": False}})
    unsupported = _message(
        "wamid.U1",
        "unsupported",
        {"errors": [{"code": 131051, "title": "Message type unknown"}]},
    )
    future = _message("wamid.F1", "hologram", {"hologram": {"depth": 3}})
    parsed = parse(
        _body({"contacts": [_contact(BUDI, "Budi")], "messages": [sticker, unsupported, future]}),
        OURS,
    )
    assert [e.payload["message"] for e in parsed.entries] == [sticker, unsupported, future]


def test_another_numbers_changes_and_value_errors_are_left_out_and_said() -> None:
    text = _message("wamid.X", "text", {"text": {"body": "Halo"}})
    body = _body({"contacts": [_contact(BUDI, "Budi")], "messages": [text]}, number="999")
    parsed = parse(body, OURS)
    assert parsed.entries == []
    assert [(p.what, p.detail) for p in parsed.problems] == [("foreign_number", "999")]

    errors = {"errors": [{"code": 131000, "title": "Something went wrong", "message": "x"}]}
    parsed = parse(_body(errors), OURS)
    assert parsed.entries == []
    assert [(p.what, p.detail) for p in parsed.problems] == [
        ("errors", "131000 Something went wrong")
    ]


def test_what_is_not_a_message_or_status_is_said_and_not_stored() -> None:
    assert parse([], OURS).problems[0].what == "not_an_object"
    assert parse({"object": "page", "entry": []}, OURS).problems[0].what == "other_object"
    templates = _body({})
    templates["entry"][0]["changes"][0]["field"] = "message_template_status_update"
    assert [p.what for p in parse(templates, OURS).problems] == ["other_field"]
    no_id = _message("", "text", {"text": {"body": "?"}})
    parsed = parse(_body({"messages": [no_id], "statuses": [{"status": "read"}]}), OURS)
    assert parsed.entries == [] and [p.what for p in parsed.problems] == ["no_id", "no_id"]
    # Nonsense inside a well-formed envelope is skipped, not a crash.
    assert parse({"object": "whatsapp_business_account", "entry": "x"}, OURS).entries == []


def test_a_sender_without_contacts_or_number_still_gets_a_lane() -> None:
    text = _message("wamid.N", "text", {"text": {"body": "Halo"}})
    (entry,) = parse(_body({"messages": [text]}), OURS).entries
    assert entry.lane == f"wa:{BUDI}" and entry.payload["contact"] == {"wa_id": BUDI, "name": None}
    anonymous = {k: v for k, v in text.items() if k != "from"}
    (entry,) = parse(_body({"messages": [anonymous]}), OURS).entries
    assert entry.lane == SHARED_LANE


def test_a_key_too_long_for_the_column_becomes_its_digest() -> None:
    assert key("wamid.short") == "wamid.short"
    long = "status:wamid." + "A" * 300 + ":read"
    assert key(long).startswith("sha256:") and len(key(long)) <= 200
    assert key(long) == key(long) and key(long) != key(long + "x")
