"""Media over HTTP: upload, the URL behind a media id, download with the token, expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp

from domain.clock import ManualClock
from fakegram import TINY_JPEG
from fakewa import FakePerson, FakeWhatsApp
from tests.fakewa.conftest import BUDI, Raw

PDF = b"%PDF-1.4\n% fake report\n%%EOF\n"


def _form(data: bytes, mime: str, filename: str, **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type=mime)
    form.add_field("messaging_product", fields.pop("messaging_product", "whatsapp"))
    form.add_field("type", mime)
    for key, value in fields.items():
        form.add_field(key, value)
    return form


async def _download(url: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, await response.read()


async def test_an_upload_gives_an_id_whose_url_downloads_the_bytes(
    wa: FakeWhatsApp, raw: Raw
) -> None:
    status, answer = await raw(
        f"{wa.phone_number_id}/media", data=_form(TINY_JPEG, "image/jpeg", "bukti.jpg")
    )
    assert status == 200
    media_id = answer["id"]
    status, info = await raw(media_id, http="GET")
    assert status == 200
    assert info["messaging_product"] == "whatsapp"
    assert info["mime_type"] == "image/jpeg"
    assert info["file_size"] == len(TINY_JPEG)
    assert info["id"] == media_id
    assert len(info["sha256"]) == 64
    assert await _download(info["url"], wa.access_token) == (200, TINY_JPEG)
    # The lookaside URL needs the token, as Meta's does.
    assert (await _download(info["url"], None))[0] == 401


async def test_media_expire_after_seven_days(
    wa: FakeWhatsApp, raw: Raw, clock: ManualClock, budi: FakePerson
) -> None:
    _, answer = await raw(
        f"{wa.phone_number_id}/media", data=_form(PDF, "application/pdf", "a.pdf")
    )
    media_id = answer["id"]
    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert (await raw(media_id, http="GET"))[0] == 200
    clock.advance(timedelta(seconds=1))
    status, gone = await raw(media_id, http="GET")
    assert status == 400
    assert gone["error"]["code"] == 100
    assert gone["error"]["error_subcode"] == 33
    assert gone["error"]["type"] == "GraphMethodException"
    # Sending by the expired id is refused too.
    budi.send("Halo")
    body = {
        "messaging_product": "whatsapp",
        "to": BUDI,
        "type": "document",
        "document": {"id": media_id, "filename": "a.pdf"},
    }
    status, refused = await raw(f"{wa.phone_number_id}/messages", json=body)
    assert (status, refused["error"]["code"]) == (400, 131053)


async def test_a_media_url_works_for_five_minutes(
    wa: FakeWhatsApp, raw: Raw, clock: ManualClock
) -> None:
    _, answer = await raw(
        f"{wa.phone_number_id}/media", data=_form(TINY_JPEG, "image/jpeg", "x.jpg")
    )
    _, info = await raw(answer["id"], http="GET")
    clock.advance(timedelta(minutes=5, seconds=1))
    assert (await _download(info["url"], wa.access_token))[0] == 404
    _, fresh = await raw(answer["id"], http="GET")
    assert await _download(fresh["url"], wa.access_token) == (200, TINY_JPEG)


async def test_incoming_media_download_the_same_way(wa: FakeWhatsApp, raw: Raw) -> None:
    budi = wa.person(BUDI, "Budi")
    photo = budi.send_image(TINY_JPEG, "Bukti kegiatan")
    media_id = photo.message["image"]["id"]
    _, info = await raw(media_id, http="GET")
    assert await _download(info["url"], wa.access_token) == (200, TINY_JPEG)


async def test_uploads_meta_refuses(wa: FakeWhatsApp, raw: Raw) -> None:
    path = f"{wa.phone_number_id}/media"
    cases: dict[str, tuple[aiohttp.FormData, int]] = {
        "gif": (_form(b"GIF89a", "image/gif", "a.gif"), 131053),
        "big image": (_form(b"\xff" * (5 * 1024 * 1024 + 1), "image/jpeg", "b.jpg"), 131053),
        "empty": (_form(b"", "image/jpeg", "c.jpg"), 131053),
        "no product": (_form(TINY_JPEG, "image/jpeg", "d.jpg", messaging_product="x"), 100),
        "unknown field": (_form(TINY_JPEG, "image/jpeg", "e.jpg", caption="x"), 100),
    }
    for what, (form, code) in cases.items():
        status, answer = await raw(path, data=form)
        assert (status, answer["error"]["code"]) == (400, code), what
    assert wa.media == {}


async def test_send_an_image_by_id_or_link_and_a_document_by_id(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    budi.send("Halo")
    _, image = await raw(
        f"{wa.phone_number_id}/media", data=_form(TINY_JPEG, "image/jpeg", "i.jpg")
    )
    _, doc = await raw(f"{wa.phone_number_id}/media", data=_form(PDF, "application/pdf", "r.pdf"))
    path = f"{wa.phone_number_id}/messages"

    def media(kind: str, content: dict[str, Any]) -> dict[str, Any]:
        return {"messaging_product": "whatsapp", "to": BUDI, "type": kind, kind: content}

    assert (await raw(path, json=media("image", {"id": image["id"], "caption": "Foto"})))[0] == 200
    assert (await raw(path, json=media("image", {"link": "https://example.org/a.jpg"})))[0] == 200
    document = {"id": doc["id"], "filename": "laporan.pdf", "caption": "Laporan"}
    assert (await raw(path, json=media("document", document)))[0] == 200
    sent = budi.inbox
    assert [(m.type, m.media_id, m.link) for m in sent] == [
        ("image", image["id"], None),
        ("image", None, "https://example.org/a.jpg"),
        ("document", doc["id"], None),
    ]
    assert sent[2].filename == "laporan.pdf" and sent[2].text == "Laporan"
    # A PDF is not an image; an image needs id or link, not both; a filename is for documents.
    bad = [
        media("image", {"id": doc["id"]}),
        media("image", {"id": image["id"], "link": "https://example.org/a.jpg"}),
        media("image", {"id": image["id"], "filename": "x.jpg"}),
    ]
    codes = [(await raw(path, json=b))[1]["error"]["code"] for b in bad]
    assert codes == [131053, 100, 100]


async def test_deleted_media_are_gone(wa: FakeWhatsApp, raw: Raw) -> None:
    _, image = await raw(
        f"{wa.phone_number_id}/media", data=_form(TINY_JPEG, "image/jpeg", "i.jpg")
    )
    assert await raw(image["id"], http="DELETE") == (200, {"success": True})
    assert (await raw(image["id"], http="GET"))[0] == 400
