"""Webhooks to the bot: the handshake, Meta's envelope, the signature, order and retries."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from pywa import utils as pywa_utils

from fakegram import TINY_JPEG
from fakewa import FakePerson, FakeWhatsApp
from tests.fakewa.conftest import BUDI, VERIFY_TOKEN, Raw, Receiver, buttons_message, list_message


def _value(body: bytes) -> dict[str, Any]:
    payload = json.loads(body)
    assert payload["object"] == "whatsapp_business_account"
    (entry,) = payload["entry"]
    (change,) = entry["changes"]
    assert change["field"] == "messages"
    return dict(change["value"])


def _messages(receiver: Receiver) -> list[dict[str, Any]]:
    return [m for body in receiver.accepted for m in _value(body).get("messages", [])]


def _statuses(receiver: Receiver) -> list[tuple[str, str]]:
    return [
        (s["id"], s["status"])
        for body in receiver.accepted
        for s in _value(body).get("statuses", [])
    ]


async def test_the_callback_url_is_registered_only_after_the_handshake(
    wa: FakeWhatsApp, receiver: Receiver, budi: FakePerson
) -> None:
    refused = await wa.verify_webhook(receiver.url, "wrong-token")
    assert (refused.status, refused.ok) == (403, False)
    with pytest.raises(AssertionError, match="did not verify"):
        await wa.set_webhook(receiver.url, "wrong-token")
    budi.send("Halo")  # held by Meta until a callback URL is verified
    assert wa.webhook_url is None and len(wa.pending_webhooks) == 1
    passed = await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    assert passed.ok and passed.body == passed.challenge
    await wa.wait_delivered()
    assert [m["text"]["body"] for m in _messages(receiver)] == ["Halo"]


async def test_an_incoming_text_is_signed_with_the_app_secret_in_metas_envelope(
    wa: FakeWhatsApp, receiver: Receiver, budi: FakePerson
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    sent = budi.send("LAPOR")
    await wa.wait_delivered()
    ((body, signature),) = receiver.posts
    expected = hmac.new(wa.app_secret.encode(), body, hashlib.sha256).hexdigest()
    assert signature == f"sha256={expected}"
    # pywa's own validator (what the bot will use) agrees, and refuses a tampered body.
    assert pywa_utils.webhook_updates_validator(wa.app_secret, body, signature)
    assert not pywa_utils.webhook_updates_validator(wa.app_secret, body + b" ", signature)
    assert not pywa_utils.webhook_updates_validator("other-secret", body, signature)
    value = _value(body)
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {
        "display_phone_number": wa.display_phone_number,
        "phone_number_id": wa.phone_number_id,
    }
    (contact,) = value["contacts"]
    assert contact["profile"] == {"name": "Budi Santoso"}
    assert contact["wa_id"] == BUDI
    assert contact["user_id"] == budi.bsuid  # the business-scoped user id, "ID.<digits>"
    country, digits = budi.bsuid.split(".")
    assert country == "ID" and digits.isdigit()
    (message,) = value["messages"]
    assert message["from"] == BUDI
    assert message["id"] == sent.wamid
    assert message["type"] == "text"
    assert message["text"] == {"body": "LAPOR"}
    assert message["timestamp"].isdigit()
    assert "context" not in message


async def test_button_and_list_replies_carry_their_ids_and_the_context(
    wa: FakeWhatsApp, raw: Raw, receiver: Receiver, budi: FakePerson
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    budi.send("Halo")
    path = f"{wa.phone_number_id}/messages"
    await raw(path, json=buttons_message(["Setuju", "Tolak"]))
    question = await budi.next_reply()
    budi.press(question, "Tolak")
    await raw(path, json=list_message(["Lapor", "Status"]))
    menu = await budi.next_reply()
    budi.choose(menu, "Status")
    with pytest.raises(ValueError, match="no button"):
        budi.press(question, "Mungkin")
    await wa.wait_delivered()
    _, pressed, chosen = _messages(receiver)
    assert pressed["type"] == "interactive"
    assert pressed["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "b1", "title": "Tolak"},
    }
    assert pressed["context"] == {"from": wa.display_phone_number, "id": question.wamid}
    assert chosen["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "r1", "title": "Status"},
    }
    assert chosen["context"]["id"] == menu.wamid


async def test_photos_and_documents_arrive_as_media_ids_with_caption_and_reply_context(
    wa: FakeWhatsApp, raw: Raw, receiver: Receiver, budi: FakePerson
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    first = budi.send("Halo")
    await raw(f"{wa.phone_number_id}/messages", json=buttons_message(["Selesai"]))
    prompt = await budi.next_reply()
    budi.send_image(TINY_JPEG, "Foto kegiatan", reply_to=prompt)
    budi.send_document(b"%PDF-1.4", "laporan.pdf", "application/pdf")
    await wa.wait_delivered()
    _, image, document = _messages(receiver)
    assert image["type"] == "image"
    assert image["image"]["caption"] == "Foto kegiatan"
    assert image["image"]["mime_type"] == "image/jpeg"
    assert image["image"]["sha256"] == hashlib.sha256(TINY_JPEG).hexdigest()
    assert wa.media[image["image"]["id"]].data == TINY_JPEG
    assert image["context"]["id"] == prompt.wamid
    assert document["document"]["filename"] == "laporan.pdf"
    assert wa.media[document["document"]["id"]].mime_type == "application/pdf"
    assert first.wamid != image["id"]


async def test_unsupported_kinds_arrive_as_meta_sends_them(
    wa: FakeWhatsApp, raw: Raw, receiver: Receiver, budi: FakePerson
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    budi.send("Halo")
    await raw(f"{wa.phone_number_id}/messages", json=buttons_message(["Ya"]))
    msg = await budi.next_reply()
    budi.send_sticker()
    budi.send_location(-6.2, 106.8, "Kantor")
    budi.send_voice()
    budi.react(msg, "👍")
    await wa.wait_delivered()
    kinds = [m["type"] for m in _messages(receiver)]
    assert kinds == ["text", "sticker", "location", "audio", "reaction"]
    voice, reaction = _messages(receiver)[3:]
    assert voice["audio"]["voice"] is True
    assert reaction["reaction"] == {"message_id": msg.wamid, "emoji": "👍"}


async def test_a_send_gets_sent_and_delivered_statuses_and_read_when_opened(
    wa: FakeWhatsApp, raw: Raw, receiver: Receiver, budi: FakePerson
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    budi.send("Halo")
    _, answer = await raw(
        f"{wa.phone_number_id}/messages",
        json={"messaging_product": "whatsapp", "to": BUDI, "text": {"body": "Hai"}},
    )
    wamid = answer["messages"][0]["id"]
    await wa.wait_delivered()
    assert _statuses(receiver) == [(wamid, "sent"), (wamid, "delivered")]
    msg = wa.message(wamid)
    assert msg is not None
    budi.read(msg)
    await wa.wait_delivered()
    assert _statuses(receiver)[-1] == (wamid, "read")
    assert msg.statuses == ["sent", "delivered", "read"]
    last = _value(receiver.accepted[-1])["statuses"][0]
    assert last["recipient_id"] == BUDI
    assert last["pricing"] == {"billable": False, "pricing_model": "PMP", "category": "service"}


async def test_a_webhook_answered_with_an_error_is_posted_again_in_order(
    wa: FakeWhatsApp, receiver: Receiver, budi: FakePerson
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    receiver.status = 500
    budi.send("Satu")
    budi.send("Dua")
    await wa.wait_for(lambda: len(receiver.posts) >= 3, description="three failed posts")
    assert {body for body, _ in receiver.posts} == {receiver.posts[0][0]}  # only the first
    assert not wa.webhook_posts[0].ok and wa.webhook_posts[0].status == 500
    receiver.status = 200
    await wa.wait_delivered()
    texts = [
        json.loads(b)["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"]
        for b, _ in receiver.posts
    ]
    assert texts[-2:] == ["Satu", "Dua"]
    assert set(texts[:-2]) == {"Satu"}


async def test_meta_may_deliver_a_webhook_twice(
    wa: FakeWhatsApp, receiver: Receiver, budi: FakePerson
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    budi.send("Sekali")
    await wa.wait_delivered()
    wa.repeat_webhook()
    await wa.wait_delivered()
    first, second = receiver.posts
    assert first == second
