"""pywa_async against fakewa over real HTTP: its sends checked like Meta's, its errors typed,
and a small pywa bot behind a signed webhook, as the WhatsApp adapter will be built.

pywa pins its base URL to https://graph.facebook.com; ``FakeWhatsApp.httpx_client()`` gives it
a session whose transport sends those requests to the fake instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from pywa import errors as wa_errors
from pywa import utils as pywa_utils
from pywa_async import WhatsApp, types
from pywa_async import handlers as wa_handlers

from domain.clock import ManualClock
from fakegram import TINY_JPEG
from fakewa import SIGNATURE_HEADER, FakePerson, FakeWhatsApp, Limits
from tests.fakewa.conftest import BUDI, VERIFY_TOKEN


@pytest.fixture
async def client(wa: FakeWhatsApp) -> AsyncIterator[WhatsApp]:
    session = wa.httpx_client()
    yield WhatsApp(
        phone_id=wa.phone_number_id,
        token=wa.access_token,
        session=session,
        waba_id=wa.waba_id,
        app_secret=wa.app_secret,
        verify_token=VERIFY_TOKEN,
    )
    await session.aclose()


async def test_pywa_sends_text_buttons_lists_media_and_templates(
    wa: FakeWhatsApp, client: WhatsApp, budi: FakePerson
) -> None:
    budi.send("Halo")
    wa.add_template("pengingat", "Yth. {{1}}, laporan Anda ditunggu.")
    await client.send_message(to=BUDI, text="Selamat datang")
    await client.send_message(
        to=BUDI,
        text="Setuju?",
        buttons=[
            types.Button(title="Setuju", callback_data="consent:yes"),
            types.Button(title="Tidak", callback_data="consent:no"),
        ],
    )
    await client.send_message(
        to=BUDI,
        text="Menu",
        buttons=types.SectionList(
            button_title="Pilih",
            sections=[
                types.Section(
                    title="Laporan",
                    rows=[types.SectionRow(title="Lapor", callback_data="menu:report")],
                )
            ],
        ),
    )
    uploaded = await client.upload_media(media=TINY_JPEG, mime_type="image/jpeg", filename="a.jpg")
    photo = await client.send_image(to=BUDI, image=uploaded.id, caption="Bukti")
    with pytest.raises(wa_errors.MediaUploadError):  # an image id is not a document
        await client.send_document(to=BUDI, document=uploaded.id, filename="a.jpg")
    from pywa_async.types.templates import BodyText, TemplateLanguage

    await client.send_template(
        to=BUDI,
        name="pengingat",
        language=TemplateLanguage.INDONESIAN,
        params=[BodyText.params("Budi")],
    )
    inbox = budi.inbox
    assert [m.type for m in inbox] == ["text", "interactive", "interactive", "image", "template"]
    assert inbox[1].buttons == [("consent:yes", "Setuju"), ("consent:no", "Tidak")]
    assert inbox[2].rows[0]["id"] == "menu:report" and inbox[2].list_button == "Pilih"
    assert inbox[3].wamid == photo.id and inbox[3].media_id == uploaded.id
    assert inbox[4].text == "Yth. Budi, laporan Anda ditunggu."


async def test_pywa_surfaces_metas_refusals_as_typed_errors(
    wa: FakeWhatsApp, client: WhatsApp, budi: FakePerson, clock: ManualClock
) -> None:
    budi.send("Halo")
    with pytest.raises(wa_errors.InvalidParameter) as four:
        await client.send_message(
            to=BUDI, text="?", buttons=[types.Button(title=t, callback_data=t) for t in "ABCD"]
        )
    assert four.value.code == 131009
    with pytest.raises(wa_errors.InvalidParameter) as long_title:
        await client.send_message(
            to=BUDI, text="?", buttons=[types.Button(title="x" * 21, callback_data="x")]
        )
    assert "Max length: 20" in (long_title.value.details or "")
    wa.limits = Limits(pair_burst=1)
    await client.send_message(to=BUDI, text="Satu")
    with pytest.raises(wa_errors.TooManyMessages) as pair:
        await client.send_message(to=BUDI, text="Dua")
    assert pair.value.code == 131056
    wa.limits = Limits(throughput_per_second=1)
    clock.advance(timedelta(seconds=10))
    await client.send_message(to=BUDI, text="Tiga")
    with pytest.raises(wa_errors.RateLimitHit) as throughput:
        await client.send_message(to=BUDI, text="Empat")
    assert throughput.value.code == 130429
    assert budi.inbox[-1].text == "Tiga"


async def test_pywa_gets_131047_at_once_when_the_fake_refuses_in_the_response(
    clock: ManualClock,
) -> None:
    async with FakeWhatsApp(clock=clock, window_errors="response") as strict:
        strict.person(BUDI, "Budi")
        async with strict.httpx_client() as session:
            client = WhatsApp(
                phone_id=strict.phone_number_id, token=strict.access_token, session=session
            )
            with pytest.raises(wa_errors.ReEngagementMessage):
                await client.send_message(to=BUDI, text="Di luar jendela")


async def test_pywa_downloads_media_until_they_expire(
    wa: FakeWhatsApp, client: WhatsApp, budi: FakePerson, clock: ManualClock
) -> None:
    photo = budi.send_image(TINY_JPEG, "Foto")
    media_id = photo.message["image"]["id"]
    url = await client.get_media_url(media_id)
    assert url.mime_type == "image/jpeg" and url.file_size == len(TINY_JPEG)
    assert await client.get_media_bytes(url.url) == TINY_JPEG
    clock.advance(timedelta(days=7))
    with pytest.raises(wa_errors.WhatsAppError) as gone:
        await client.get_media_url(media_id)
    assert gone.value.code == 100


class PywaBot:
    """The adapter's skeleton: a webhook that checks the signature with pywa, then lets pywa
    parse the update and run its handlers."""

    def __init__(self, client: WhatsApp) -> None:
        self.client = client
        self.updates: list[Any] = []
        self.refused = 0
        self._arrived = asyncio.Event()

    def add(self, update: Any) -> None:
        self.updates.append(update)
        self._arrived.set()

    async def first(self, kind: type, where: Any = lambda _: True) -> Any:
        """The first update of that kind (and condition) handled so far, waiting for it."""

        async def found() -> Any:
            while True:
                match = next((u for u in self.updates if isinstance(u, kind) and where(u)), None)
                if match is not None:
                    return match
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(found(), 5)

    async def challenge(self, request: web.Request) -> web.Response:
        body, status = await self.client.webhook_challenge_handler(
            vt=request.query.get(pywa_utils.HUB_VT), ch=request.query.get(pywa_utils.HUB_CH)
        )
        return web.Response(text=body or "", status=status)

    async def post(self, request: web.Request) -> web.Response:
        raw = await request.read()
        invalid = await self.client.webhook_update_validator(
            raw, request.headers.get(SIGNATURE_HEADER)
        )
        if invalid is not None:
            self.refused += 1
            return web.Response(text=invalid[0], status=invalid[1])
        text, status = await self.client.webhook_update_handler(raw)
        return web.Response(text=text, status=status)


@pytest.fixture
async def pywa_bot(wa: FakeWhatsApp, client: WhatsApp) -> AsyncIterator[PywaBot]:
    bot = PywaBot(client)

    async def on_message(_: WhatsApp, msg: types.Message) -> None:
        bot.add(msg)
        if msg.text == "LAPOR":
            await msg.reply(
                "Kemajuan minggu ini?",
                quote=True,
                buttons=[types.Button(title="Sesuai rencana", callback_data="step7:on")],
            )

    async def on_button(_: WhatsApp, press: types.CallbackButton) -> None:
        bot.add(press)
        await press.reply(f"Tercatat: {press.data}")

    async def on_status(_: WhatsApp, status: types.MessageStatus) -> None:
        bot.add(status)

    client.add_handlers(
        wa_handlers.MessageHandler(on_message),
        wa_handlers.CallbackButtonHandler(on_button),
        wa_handlers.MessageStatusHandler(on_status),
    )
    app = web.Application()
    app.router.add_get("/wa", bot.challenge)
    app.router.add_post("/wa", bot.post)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    await wa.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/wa", VERIFY_TOKEN)
    yield bot
    await wa.remove_webhook()
    await runner.cleanup()


async def test_a_pywa_bot_verifies_parses_and_answers_through_the_fake(
    wa: FakeWhatsApp, pywa_bot: PywaBot, budi: FakePerson
) -> None:
    sent = budi.send("LAPOR")
    msg = await pywa_bot.first(types.Message)
    assert msg.id == sent.wamid
    assert msg.from_user.wa_id == BUDI and msg.from_user.name == "Budi Santoso"
    assert msg.from_user.bsuid == budi.bsuid and budi.bsuid.startswith("ID.")
    question = await budi.next_reply()
    assert question.button_titles == ["Sesuai rencana"]
    assert question.context_id == sent.wamid  # msg.reply quotes the message
    budi.press(question, "Sesuai rencana")
    press = await pywa_bot.first(types.CallbackButton)
    assert press.data == "step7:on"
    assert press.reply_to_message.id == question.wamid
    answer = await budi.next_reply()
    assert answer.text == "Tercatat: step7:on"
    for state in (types.MessageStatusType.SENT, types.MessageStatusType.DELIVERED):
        status = await pywa_bot.first(
            types.MessageStatus, lambda u, s=state: u.id == question.wamid and u.status == s
        )
        assert status.from_user.wa_id == BUDI
    assert pywa_bot.refused == 0


async def test_a_forged_webhook_is_refused_by_pywas_check(
    wa: FakeWhatsApp, pywa_bot: PywaBot, budi: FakePerson
) -> None:
    wa.app_secret = "not-the-apps-secret"  # a sender that does not know the secret
    budi.send("LAPOR")
    await wa.wait_for(lambda: wa.webhook_posts, description="a post")
    assert wa.webhook_posts[0].status == 403
    assert pywa_bot.refused >= 1
    assert pywa_bot.updates == []


async def test_a_failed_status_reaches_pywa_with_its_typed_error(
    wa: FakeWhatsApp, pywa_bot: PywaBot, client: WhatsApp, budi: FakePerson
) -> None:
    sent = await client.send_message(to=BUDI, text="Di luar jendela")  # Budi never wrote
    failed = await pywa_bot.first(types.MessageStatus, lambda u: u.id == sent.id)
    assert failed.status == types.MessageStatusType.FAILED
    assert isinstance(failed.error, wa_errors.ReEngagementMessage)
    assert failed.error.code == 131047
    nobody = await client.send_message(to="6289900001111", text="Halo")  # not on WhatsApp
    unknown = await pywa_bot.first(types.MessageStatus, lambda u: u.id == nobody.id)
    assert unknown.error is not None and unknown.error.code == 131026
    assert unknown.from_user.bsuid is None
