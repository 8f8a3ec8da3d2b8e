"""The 24-hour window, templates, the pair rate (131056) and throughput (130429)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import aiohttp

from domain.clock import ManualClock
from fakewa import FakePerson, FakeWhatsApp, Limits
from tests.fakewa.conftest import BUDI, SITI, VERIFY_TOKEN, Raw, Receiver, text_message


def _statuses(receiver: Receiver) -> list[dict[str, Any]]:
    found = []
    for body in receiver.accepted:
        value = json.loads(body)["entry"][0]["changes"][0]["value"]
        found.extend(value.get("statuses", []))
    return found


def template_message(name: str, params: list[str], to: str = BUDI, lang: str = "id") -> dict:
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": lang},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
            ],
        },
    }


async def test_free_form_outside_the_window_fails_with_131047_in_a_status_webhook(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson, clock: ManualClock, receiver: Receiver
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    budi.send("Halo")
    clock.advance(timedelta(hours=24, seconds=1))
    assert not budi.window_open
    status, answer = await raw(f"{wa.phone_number_id}/messages", json=text_message())
    assert status == 200  # the Cloud API accepts it, then reports the failure
    wamid = answer["messages"][0]["id"]
    failed = await wa.wait_for(
        lambda: [s for s in _statuses(receiver) if s["status"] == "failed"],
        description="a failed status",
    )
    assert failed[0]["id"] == wamid
    assert failed[0]["recipient_id"] == BUDI
    error = failed[0]["errors"][0]
    assert error["code"] == 131047
    assert error["title"] == "Re-engagement message"
    assert "more than 24 hours have passed" in error["error_data"]["details"]
    assert budi.inbox == []


async def test_the_window_counts_from_the_last_message_of_the_person(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson, clock: ManualClock
) -> None:
    budi.send("Halo")
    clock.advance(timedelta(hours=23, minutes=59))
    status, _ = await raw(f"{wa.phone_number_id}/messages", json=text_message(body="Masih"))
    assert status == 200
    assert budi.last is not None and budi.last.text == "Masih"


async def test_with_response_errors_131047_refuses_the_call_itself(
    clock: ManualClock, raw: Raw
) -> None:
    async with FakeWhatsApp(clock=clock, window_errors="response") as strict:
        strict.person(BUDI, "Budi")  # never wrote: no window
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{strict.base_url}/{strict.phone_number_id}/messages",
                json=text_message(),
                headers={"Authorization": f"Bearer {strict.access_token}"},
            ) as response,
        ):
            status, answer = response.status, await response.json()
    assert status == 400
    assert answer["error"]["code"] == 131047
    assert answer["error"]["message"] == "(#131047) Re-engagement message"
    assert answer["error"]["error_data"]["details"].startswith("Message failed to send because")
    assert strict.outgoing == []


async def test_an_approved_template_goes_outside_the_window(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson, receiver: Receiver
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    wa.add_template("pengingat_laporan", "Yth. {{1}}, laporan {{2}} ditunggu.", buttons=["Lapor"])
    assert not budi.window_open
    status, answer = await raw(
        f"{wa.phone_number_id}/messages",
        json=template_message("pengingat_laporan", ["Budi", "minggu ke-3"]),
    )
    assert status == 200
    assert answer["messages"][0]["message_status"] == "accepted"
    reply = await budi.next_reply()
    assert reply.is_template and reply.template == "pengingat_laporan"
    assert reply.text == "Yth. Budi, laporan minggu ke-3 ditunggu."
    assert reply.button_titles == ["Lapor"]
    delivered = await wa.wait_for(
        lambda: [s for s in _statuses(receiver) if s["status"] == "delivered"]
    )
    assert delivered[0]["pricing"]["category"] == "utility"


async def test_a_template_not_approved_or_unknown_is_refused_with_132001(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    wa.add_template("pengumuman", "Ada pengumuman: {{1}}", status="PENDING")
    path = f"{wa.phone_number_id}/messages"
    for name, lang in (("pengumuman", "id"), ("tidak_ada", "id"), ("pengumuman", "en")):
        status, answer = await raw(path, json=template_message(name, ["x"], lang=lang))
        assert (status, answer["error"]["code"]) == (400, 132001), name
        assert answer["error"]["error_data"]["details"] == (
            f"template name ({name}) does not exist in {lang}"
        )
    assert budi.inbox == []


async def test_a_template_with_the_wrong_number_of_parameters_is_refused_with_132000(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    wa.add_template("pengingat", "Yth. {{1}}, laporan {{2}} ditunggu.")
    status, answer = await raw(
        f"{wa.phone_number_id}/messages", json=template_message("pengingat", ["Budi"])
    )
    assert (status, answer["error"]["code"]) == (400, 132000)


async def test_a_template_quick_reply_tap_arrives_as_a_button_message(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson, receiver: Receiver
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    wa.add_template("relay_laporan", "Laporan baru dari {{1}}.", buttons=["Lihat laporan"])
    body = template_message("relay_laporan", ["Siti"])
    body["template"]["components"].append(
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": "relay:42:v1"}],
        }
    )
    status, _ = await raw(f"{wa.phone_number_id}/messages", json=body)
    assert status == 200
    relay = await budi.next_reply()
    tap = budi.press(relay, "Lihat laporan")
    assert tap.message["button"] == {"payload": "relay:42:v1", "text": "Lihat laporan"}
    assert tap.message["context"]["id"] == relay.wamid
    assert budi.window_open  # the tap opens the window


async def test_a_burst_to_one_person_hits_the_pair_rate_131056(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson, clock: ManualClock
) -> None:
    wa.limits = Limits(pair_burst=3, pair_interval=6.0)
    budi.send("Halo")
    path = f"{wa.phone_number_id}/messages"
    answers = [await raw(path, json=text_message(body=f"Pesan {i}")) for i in range(4)]
    assert [s for s, _ in answers] == [200, 200, 200, 400]
    error = answers[-1][1]["error"]
    assert error["code"] == 131056
    assert error["message"] == "(#131056) (Business Account, Consumer Account) pair rate limit hit"
    assert error["type"] == "OAuthException"
    assert "too many messages sent from this phone number" in error["error_data"]["details"]
    assert len(budi.inbox) == 3
    # Another person is not affected, and six seconds later Budi gets one more.
    wa.person(SITI, "Siti").send("Halo")
    assert (await raw(path, json=text_message(to=SITI)))[0] == 200
    clock.advance(timedelta(seconds=6))
    assert (await raw(path, json=text_message(body="Lagi")))[0] == 200
    assert (await raw(path, json=text_message(body="Terlalu cepat")))[0] == 400
    assert wa.rate_limited == 2


async def test_meta_default_pair_rate_allows_a_burst_of_45(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    budi.send("Halo")
    path = f"{wa.phone_number_id}/messages"
    codes = [(await raw(path, json=text_message(body=str(i))))[0] for i in range(46)]
    assert codes == [200] * 45 + [400]
    assert wa.errors[-1].code == 131056


async def test_throughput_over_the_cap_gets_130429(
    wa: FakeWhatsApp, raw: Raw, clock: ManualClock
) -> None:
    wa.limits = Limits(throughput_per_second=5)
    people = [wa.person(f"62812000000{i:02d}", f"P{i}") for i in range(7)]
    for p in people:
        p.send("Halo")
    path = f"{wa.phone_number_id}/messages"
    codes = [(await raw(path, json=text_message(to=p.wa_id)))[0] for p in people]
    assert codes == [200] * 5 + [400, 400]
    assert wa.errors[-1].code == 130429
    assert wa.errors[-1].message == "(#130429) Rate limit hit"
    clock.advance(timedelta(seconds=1))
    assert (await raw(path, json=text_message(to=people[5].wa_id)))[0] == 200


async def test_a_number_not_on_whatsapp_fails_with_131026(
    wa: FakeWhatsApp, raw: Raw, receiver: Receiver
) -> None:
    await wa.set_webhook(receiver.url, VERIFY_TOKEN)
    status, _answer = await raw(f"{wa.phone_number_id}/messages", json=text_message(to=SITI))
    assert status == 200
    failed = await wa.wait_for(lambda: [s for s in _statuses(receiver) if s["status"] == "failed"])
    assert failed[0]["errors"][0]["code"] == 131026
