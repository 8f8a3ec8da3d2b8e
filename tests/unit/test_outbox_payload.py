"""A queued message survives its trip through the database's JSON, relay fields included."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from services.outbox import Button, MessageRef, Outgoing, Undelivered, settled


def test_a_relay_keeps_its_thread_note_answer_and_who_to_tell() -> None:
    relay = Outgoing(
        "note.relay.feedback",
        {"author": "Dr. Bambang", "relation": {"key": "role.mentor"}, "at": datetime.now(UTC)},
        buttons=[[Button("report.button.feedback", "fb1:f:7")]],
        media=[{"kind": "photo", "file_id": "AgAD", "caption": "Rapat <1>"}],
        thread=7,
        note=3,
        reply_to=MessageRef("1001", "55"),
        undelivered=Undelivered(
            12, "relay.undelivered.note", {"name": "Budi"}, MessageRef("1005", "9")
        ),
    )

    stored = json.loads(json.dumps(relay.to_payload()))

    assert Outgoing.from_payload(stored) == relay
    assert settled(stored) == {"key": "note.relay.feedback", "thread": 7, "note": 3}


def test_a_plain_message_has_none_of_the_relay_fields() -> None:
    payload = Outgoing("broadcast.message", {"text": "Halo"}).to_payload()
    assert not {"thread", "note", "reply_to", "undelivered"} & payload.keys()
    assert Undelivered.from_json(None) is None and MessageRef.from_json({"chat_id": "x"}) is None


def test_a_reference_queued_as_telegram_numbers_still_reads() -> None:
    # Payloads queued before references were strings carry Telegram's ints.
    assert MessageRef.from_json({"chat_id": 1001, "message_id": 55}) == MessageRef("1001", "55")
    assert MessageRef.from_json({"chat": "6281234567890", "message": "wamid.X"}) == MessageRef(
        "6281234567890", "wamid.X"
    )
    assert MessageRef.from_json({"chat": "", "message": "x"}) is None
