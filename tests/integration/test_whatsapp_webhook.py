"""WhatsApp's webhook over real HTTP: the fake Cloud API registers the bot's web app after the
handshake, Budi writes and sends a photo, and every message and status lands in the inbox once,
keyed by Meta's ids, before the 200; forged, oversized and broken posts store nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.serve import whatsapp_webhook_for
from bot.settings import Settings, WhatsAppSettings
from domain.clock import ManualClock
from fakegram import TINY_JPEG
from fakewa import SIGNATURE_HEADER, FakePerson, FakeWhatsApp
from models import InboxUpdate
from models.db import session_factory
from tests.integration.processes import drain, until_listening, web_port
from web.app import create_web_app
from web.server import WebServer, bind
from whatsapp.webhook import MAX_BODY_BYTES

VERIFY_TOKEN = "verifikasi-Rahasia-2026"
BUDI = "6281234567890"
PATH = "/whatsapp"


@dataclass
class Served:
    url: str
    wakes: list[int]


@pytest.fixture
async def wa(clock: ManualClock) -> AsyncIterator[FakeWhatsApp]:
    async with FakeWhatsApp(clock=clock) as fake:
        fake.webhook_retry_delay = 0.05
        yield fake


@pytest.fixture
async def served(
    wa: FakeWhatsApp, settings: Settings, engine: AsyncEngine
) -> AsyncIterator[Served]:
    """The web app as `properbot run` builds it with WhatsApp set up, on a free local port."""
    settings = replace(settings, whatsapp=_whatsapp_settings(wa))
    wakes: list[int] = []
    webhook = whatsapp_webhook_for(settings, engine, wake=lambda: wakes.append(1))
    assert webhook is not None and webhook.path == PATH
    web = WebServer(create_web_app(engine, whatsapp_webhook=webhook), bind("127.0.0.1", 0))
    await web.start()
    try:
        yield Served(f"http://127.0.0.1:{web.port}{PATH}", wakes)
    finally:
        await wa.remove_webhook()
        await web.stop()


@pytest.fixture
def budi(wa: FakeWhatsApp) -> FakePerson:
    return wa.person(BUDI, "Budi Santoso")


def _whatsapp_settings(wa: FakeWhatsApp) -> WhatsAppSettings:
    return WhatsAppSettings(
        phone_number_id=wa.phone_number_id,
        access_token=wa.access_token,
        app_secret=wa.app_secret,
        verify_token=VERIFY_TOKEN,
        api_root=wa.api_root,
    )


async def _inbox(engine: AsyncEngine) -> list[InboxUpdate]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(InboxUpdate).order_by(InboxUpdate.id)))


async def _count(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxUpdate)) or 0)


async def test_a_text_and_a_photo_are_stored_with_their_wamids_before_the_answer(
    wa: FakeWhatsApp, served: Served, budi: FakePerson, engine: AsyncEngine
) -> None:
    passed = await wa.set_webhook(served.url, verify_token=VERIFY_TOKEN)
    assert passed.ok

    text = budi.send("LAPOR")
    photo = budi.send_image(TINY_JPEG, "bukti rapat")
    await wa.wait_delivered()

    # Answered 200 only after the commit: the rows are there the moment Meta has its answer.
    assert [p.status for p in wa.webhook_posts] == [200, 200]
    rows = await _inbox(engine)
    assert [(r.channel, r.external_id, r.update_id, r.lane, r.status) for r in rows] == [
        ("whatsapp", text.wamid, None, f"wa:{BUDI}", "pending"),
        ("whatsapp", photo.wamid, None, f"wa:{BUDI}", "pending"),
    ]
    first, second = (r.payload for r in rows)
    assert first == {
        "kind": "message",
        "phone_number_id": wa.phone_number_id,
        "contact": {"wa_id": BUDI, "name": "Budi Santoso", "user_id": budi.bsuid},
        "message": text.message,
    }
    assert second["message"] == photo.message
    assert second["message"]["image"]["caption"] == "bukti rapat"
    assert served.wakes == [1, 1]  # the worker is woken for each new post


async def test_a_post_meta_delivers_twice_is_stored_once(
    wa: FakeWhatsApp, served: Served, budi: FakePerson, engine: AsyncEngine
) -> None:
    await wa.set_webhook(served.url, verify_token=VERIFY_TOKEN)
    budi.send("STATUS")
    await wa.wait_delivered()

    wa.repeat_webhook()
    await wa.wait_delivered()

    first, again = wa.webhook_posts
    assert first.body == again.body and (first.status, again.status) == (200, 200)
    assert await _count(engine) == 1
    assert served.wakes == [1]  # nothing new the second time


async def test_the_statuses_of_a_sent_message_are_stored_each_once(
    wa: FakeWhatsApp, served: Served, budi: FakePerson, engine: AsyncEngine
) -> None:
    await wa.set_webhook(served.url, verify_token=VERIFY_TOKEN)
    budi.send("Halo")
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{wa.base_url}/{wa.phone_number_id}/messages",
            headers={"Authorization": f"Bearer {wa.access_token}"},
            json={
                "messaging_product": "whatsapp",
                "to": BUDI,
                "type": "text",
                "text": {"body": "Selamat datang"},
            },
        )
    wamid = answer.json()["messages"][0]["id"]
    budi.read(wa.message(wamid))  # type: ignore[arg-type]
    await wa.wait_delivered()

    rows = await _inbox(engine)
    statuses = [(r.external_id, r.lane, r.payload["status"]["status"]) for r in rows[1:]]
    assert statuses == [
        (f"status:{wamid}:sent", f"wa:{BUDI}", "sent"),
        (f"status:{wamid}:delivered", f"wa:{BUDI}", "delivered"),
        (f"status:{wamid}:read", f"wa:{BUDI}", "read"),
    ]
    assert all(r.payload["kind"] == "status" for r in rows[1:])


async def test_a_wrong_verify_token_or_mode_is_refused(
    wa: FakeWhatsApp, served: Served, budi: FakePerson, engine: AsyncEngine
) -> None:
    wrong = await wa.verify_webhook(served.url, "tebakan")
    assert (wrong.status, wrong.ok) == (403, False)
    assert wrong.challenge not in wrong.body
    other_mode = await wa.verify_webhook(served.url, VERIFY_TOKEN, mode="unsubscribe")
    assert other_mode.status == 403
    with pytest.raises(AssertionError, match="did not verify"):
        await wa.set_webhook(served.url, verify_token="tebakan")
    budi.send("Halo")  # Meta holds it: no callback URL was verified
    assert wa.webhook_url is None and await _count(engine) == 0


async def test_forged_oversized_and_broken_posts_store_nothing(
    wa: FakeWhatsApp, served: Served, budi: FakePerson, engine: AsyncEngine
) -> None:
    await wa.set_webhook(served.url, verify_token=VERIFY_TOKEN)
    budi.send("Halo")
    await wa.wait_delivered()
    (post,) = wa.webhook_posts
    forged = post.body.replace(b"Halo", b"HAPUS")
    async with httpx.AsyncClient() as http:

        async def send(body: bytes, signature: str | None) -> httpx.Response:
            headers = {"Content-Type": "application/json"}
            if signature is not None:
                headers[SIGNATURE_HEADER] = signature
            return await http.post(served.url, content=body, headers=headers)

        # Signed with another secret, the real signature on a changed body, none at all.
        assert (await send(forged, "sha256=" + "0" * 64)).status_code == 401
        assert (await send(forged, post.signature)).status_code == 401
        assert (await send(forged, None)).status_code == 401
        assert (await send(post.body, post.signature.upper())).status_code == 401
        # Too large is refused before anything is checked or read to the end.
        huge = b"{" + b" " * (MAX_BODY_BYTES + 1) + b"}"
        assert (await send(huge, wa.sign(huge))).status_code == 413
        # Signed by Meta but not JSON: a 400, logged without its content.
        broken = b'{"object": "whatsapp_business_account", "entry": ['
        assert (await send(broken, wa.sign(broken))).status_code == 400
        # Signed, for another business number: answered (Meta must not retry) and ignored.
        other = json.loads(post.body)
        other["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
        other["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "wamid.OTHER"
        body = json.dumps(other).encode()
        assert (await send(body, wa.sign(body))).status_code == 200

    rows = await _inbox(engine)
    assert [r.payload["message"]["text"]["body"] for r in rows] == ["Halo"]


async def test_properbot_web_serves_the_webhook_and_stores_for_the_worker(
    wa: FakeWhatsApp, database_url: str, tmp_path: Path, budi: FakePerson, engine: AsyncEngine
) -> None:
    """`properbot web` (no worker in it) answers Meta and stores; a worker elsewhere handles."""
    env: dict[str, Any] = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": "0",
        "WHATSAPP_PHONE_NUMBER_ID": wa.phone_number_id,
        "WHATSAPP_ACCESS_TOKEN": wa.access_token,
        "WHATSAPP_APP_SECRET": wa.app_secret,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_ROOT": wa.api_root,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "web",
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    seen: list[str] = []
    try:
        port = await asyncio.wait_for(web_port(process.stderr, seen), 60)
        reading = asyncio.create_task(drain(process.stderr, seen))
        await until_listening(f"http://127.0.0.1:{port}")
        await wa.set_webhook(f"http://127.0.0.1:{port}{PATH}", verify_token=VERIFY_TOKEN)
        sent = budi.send("DAFTAR AB23CD45")
        await wa.wait_delivered(timeout=30)
    finally:
        await wa.remove_webhook()
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 60)
    await reading
    assert process.returncode == 0, "".join(seen)[-3000:]
    (row,) = await _inbox(engine)
    assert (row.external_id, row.lane, row.status) == (sent.wamid, f"wa:{BUDI}", "pending")
    log = "".join(seen)
    assert wa.app_secret not in log and VERIFY_TOKEN not in log and wa.access_token not in log
