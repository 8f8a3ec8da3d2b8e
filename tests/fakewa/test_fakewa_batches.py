"""Several messages and statuses in one webhook POST, and audio and video from a person."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from fakewa import FakePerson, FakeWhatsApp
from tests.fakewa.conftest import BUDI, SITI, VERIFY_TOKEN, Raw, Receiver, text_message


def _value(body: bytes) -> dict[str, Any]:
    payload = json.loads(body)
    (entry,) = payload["entry"]
    (change,) = entry["changes"]
    assert change["field"] == "messages"
    return dict(change["value"])


async def _download(raw: Raw, media_id: str, token: str) -> tuple[str, bytes]:
    status, info = await raw(media_id, http="GET")
    assert status == 200
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http, http.get(info["url"], headers=headers) as got:
        assert got.status == 200
        return str(info["mime_type"]), await got.read()


async def test_send_batch_posts_the_texts_in_one_signed_webhook_in_order(
    wa: FakeWhatsApp, receiver: Receiver, budi: FakePerson
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    sent = budi.send_batch(["Selamat pagi", "LAPOR", "Ini laporan saya"])
    await wa.wait_delivered()

    ((body, signature),) = receiver.posts  # one POST for the three
    assert signature == wa.sign(body)
    value = _value(body)
    assert value["metadata"]["phone_number_id"] == wa.phone_number_id
    assert value["contacts"] == [budi.contact]
    messages = value["messages"]
    assert [m["text"]["body"] for m in messages] == ["Selamat pagi", "LAPOR", "Ini laporan saya"]
    assert [m["id"] for m in messages] == [m.wamid for m in sent]
    assert len({m["id"] for m in messages}) == 3 and all(m["from"] == BUDI for m in messages)
    assert "statuses" not in value
    # Each one opened the window and is recorded as the person's own, like single sends.
    assert [m.wamid for m in budi.sent] == [m.wamid for m in sent]
    assert budi.window_open


async def test_a_batch_carries_several_people_and_statuses_and_is_retried_whole(
    wa: FakeWhatsApp, receiver: Receiver, budi: FakePerson, raw: Raw
) -> None:
    siti = wa.person(SITI, "Siti Aminah")
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    budi.send("Selamat pagi")  # opens the window for the business's answer
    status, answer = await raw(f"{wa.phone_number_id}/messages", json=text_message(BUDI))
    assert status == 200
    to_budi = wa.message(answer["messages"][0]["id"])
    assert to_budi is not None and not to_budi.failed
    await wa.wait_delivered()
    receiver.status = 500  # the bot is down: the batch waits and comes again, whole
    receiver.posts.clear()

    with wa.batch():
        budi.send("Halo")
        budi.read(to_budi)
        siti.send_image(caption="Foto kegiatan")
        budi.send("Sudah saya baca")
    await wa.wait_for(
        lambda: len(receiver.posts) >= 2, description="the batch posted and refused twice"
    )
    receiver.status = 200
    await wa.wait_delivered()

    batches = [body for body, _ in receiver.posts]
    assert len(batches) >= 3 and len(set(batches)) == 1  # one body, the same bytes each time
    value = _value(batches[0])
    assert [(m["from"], m["type"]) for m in value["messages"]] == [
        (BUDI, "text"),
        (SITI, "image"),
        (BUDI, "text"),
    ]
    assert [(s["id"], s["status"]) for s in value["statuses"]] == [(to_budi.wamid, "read")]
    # Each sender named once, with the profile name (the status alone names no profile).
    assert value["contacts"] == [budi.contact, siti.contact]
    assert [p.ok for p in wa.webhook_posts if p.body == batches[0]][-1]


async def test_an_empty_batch_posts_nothing_and_batches_do_not_nest(
    wa: FakeWhatsApp, receiver: Receiver, budi: FakePerson
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    with wa.batch():
        pass
    with wa.batch(), pytest.raises(RuntimeError, match="already"), wa.batch():
        pass
    budi.send("Halo")  # after the blocks: a single post, as before
    await wa.wait_delivered()
    assert [_value(body)["messages"][0]["text"]["body"] for body in receiver.accepted] == ["Halo"]


async def test_audio_is_not_a_voice_note_and_video_downloads(
    wa: FakeWhatsApp, receiver: Receiver, budi: FakePerson, raw: Raw
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    audio = budi.send_audio(b"ID3\x04rekaman-rapat")
    video = budi.send_video(b"\x00\x00\x00\x18ftypmp42video", "Video sosialisasi")
    voice = budi.send_voice()
    await wa.wait_delivered()

    posted = [_value(body)["messages"][0] for body in receiver.accepted]
    assert [m["type"] for m in posted] == ["audio", "video", "audio"]
    assert posted[0]["audio"]["voice"] is False and posted[2]["audio"]["voice"] is True
    assert posted[0]["audio"]["mime_type"] == "audio/mpeg"
    assert posted[1]["video"]["caption"] == "Video sosialisasi"
    assert posted[1]["video"]["mime_type"] == "video/mp4"
    assert [m.type for m in budi.sent] == ["audio", "video", "audio"]
    assert voice.message["audio"]["voice"] is True

    assert await _download(raw, audio.message["audio"]["id"], wa.access_token) == (
        "audio/mpeg",
        b"ID3\x04rekaman-rapat",
    )
    media_id = video.message["video"]["id"]
    assert await _download(raw, media_id, wa.access_token) == (
        "video/mp4",
        b"\x00\x00\x00\x18ftypmp42video",
    )
    media = wa.media_by_id(media_id)
    assert media is not None and media.sha256 == video.message["video"]["sha256"]
