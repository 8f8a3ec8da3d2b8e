"""POST /{phone_number_id}/messages over HTTP: what Meta accepts, and what it refuses and how."""

from __future__ import annotations

from typing import Any

from fakewa import FakePerson, FakeWhatsApp
from tests.fakewa.conftest import BUDI, Raw, buttons_message, list_message, text_message


def _error(answer: dict[str, Any]) -> dict[str, Any]:
    error = answer["error"]
    assert set(error) >= {"message", "type", "code", "fbtrace_id"}
    return error


async def test_a_text_inside_the_window_is_accepted_with_a_wamid(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    budi.send("Halo")
    status, answer = await raw(f"{wa.phone_number_id}/messages", json=text_message(body="Hai"))
    assert status == 200
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": BUDI, "wa_id": BUDI}]
    wamid = answer["messages"][0]["id"]
    assert wamid.startswith("wamid.")
    assert budi.last is not None and budi.last.wamid == wamid and budi.last.text == "Hai"


async def test_three_buttons_of_twenty_characters_are_accepted(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    budi.send("Halo")
    titles = ["Setuju", "Tidak setuju", "x" * 20]
    status, _ = await raw(f"{wa.phone_number_id}/messages", json=buttons_message(titles))
    assert status == 200
    assert budi.last is not None
    assert budi.last.buttons == [("b0", "Setuju"), ("b1", "Tidak setuju"), ("b2", "x" * 20)]


async def test_a_fourth_button_is_refused(wa: FakeWhatsApp, raw: Raw, budi: FakePerson) -> None:
    budi.send("Halo")
    status, answer = await raw(
        f"{wa.phone_number_id}/messages", json=buttons_message(["A", "B", "C", "D"])
    )
    assert status == 400
    error = _error(answer)
    assert error["code"] == 131009
    assert error["message"] == "(#131009) Parameter value is not valid"
    assert "Max allowed buttons: 3" in error["error_data"]["details"]
    assert budi.inbox == []


async def test_a_button_title_of_21_characters_is_refused(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    budi.send("Halo")
    status, answer = await raw(
        f"{wa.phone_number_id}/messages", json=buttons_message(["Ya", "x" * 21])
    )
    assert status == 400
    assert _error(answer)["code"] == 131009
    assert answer["error"]["error_data"]["details"] == (
        "Button title length invalid. Min length: 1, Max length: 20"
    )
    assert budi.inbox == []


async def test_duplicate_button_titles_are_refused(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    budi.send("Halo")
    status, answer = await raw(f"{wa.phone_number_id}/messages", json=buttons_message(["Ya", "Ya"]))
    assert (status, answer["error"]["code"]) == (400, 131009)


async def test_a_list_of_ten_rows_is_accepted_and_an_eleventh_refused(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    budi.send("Halo")
    ten = [f"Pilihan {i}" for i in range(10)]
    status, _ = await raw(f"{wa.phone_number_id}/messages", json=list_message(ten, per_section=4))
    assert status == 200
    assert budi.last is not None and budi.last.row_titles == ten
    assert budi.last.list_button == "Menu"
    status, answer = await raw(
        f"{wa.phone_number_id}/messages", json=list_message([*ten, "Satu lagi"], per_section=6)
    )
    assert status == 400
    assert answer["error"]["code"] == 131009
    assert (
        "Total row count exceed max allowed count: 10" in answer["error"]["error_data"]["details"]
    )


async def test_list_limits_on_titles_button_text_and_sections(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    budi.send("Halo")
    path = f"{wa.phone_number_id}/messages"
    cases = {
        "row title of 25": list_message(["y" * 25]),
        "list button of 21": list_message(["Satu"], button="z" * 21),
        "eleven sections": list_message([f"R{i}" for i in range(11)], per_section=1),
    }
    details = {}
    for what, body in cases.items():
        status, answer = await raw(path, json=body)
        assert status == 400, what
        details[what] = answer["error"]["error_data"]["details"]
    assert details["row title of 25"] == "Row title length invalid. Min length: 1, Max length: 24"
    assert details["list button of 21"].startswith("Button text length invalid")
    assert details["eleven sections"].startswith("Invalid sections count")
    # A row title of exactly 24 passes.
    status, _ = await raw(path, json=list_message(["y" * 24]))
    assert status == 200


async def test_an_unknown_field_is_refused_as_meta_names_it(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    budi.send("Halo")
    path = f"{wa.phone_number_id}/messages"
    status, answer = await raw(path, json=text_message(colour="red"))
    assert status == 400
    assert answer["error"]["code"] == 100
    assert answer["error"]["message"] == '(#100) Unexpected key "colour" on param "message".'
    body = text_message()
    body["text"]["parse_mode"] = "HTML"
    status, answer = await raw(path, json=body)
    assert answer["error"]["message"] == '(#100) Unexpected key "parse_mode" on param "text".'


async def test_a_missing_or_malformed_recipient_is_refused(wa: FakeWhatsApp, raw: Raw) -> None:
    path = f"{wa.phone_number_id}/messages"
    body = text_message()
    del body["to"]
    status, answer = await raw(path, json=body)
    assert status == 400
    assert answer["error"]["message"] == "(#100) The parameter to is required."
    for bad in ("081234567890", "62-812-3456", "budi", "+0812345678"):
        status, answer = await raw(path, json=text_message(to=bad))
        assert (status, answer["error"]["code"]) == (400, 100), bad
        assert "country code" in answer["error"]["error_data"]["details"]
    assert wa.outgoing == []


async def test_messaging_product_is_required(wa: FakeWhatsApp, raw: Raw) -> None:
    body = text_message()
    del body["messaging_product"]
    _status, answer = await raw(f"{wa.phone_number_id}/messages", json=body)
    assert answer["error"]["message"] == "(#100) The parameter messaging_product is required."


async def test_a_wrong_token_gets_190_and_a_wrong_phone_number_id_100(
    wa: FakeWhatsApp, raw: Raw
) -> None:
    status, answer = await raw(f"{wa.phone_number_id}/messages", json=text_message(), token="x")
    assert status == 401
    assert answer["error"]["code"] == 190
    assert answer["error"]["type"] == "OAuthException"
    status, answer = await raw("999/messages", json=text_message())
    assert (status, answer["error"]["code"], answer["error"]["error_subcode"]) == (400, 100, 33)
    assert [c.code for c in wa.errors] == [190, 100]


async def test_a_type_fakewa_does_not_model_is_recorded_as_unimplemented(
    wa: FakeWhatsApp, raw: Raw
) -> None:
    body = {"messaging_product": "whatsapp", "to": BUDI, "type": "audio", "audio": {"id": "1"}}
    status, answer = await raw(f"{wa.phone_number_id}/messages", json=body)
    assert status == 400
    assert "fakewa does not implement" in answer["error"]["error_data"]["details"]
    assert wa.unimplemented == ["message type 'audio'"]


async def test_a_reply_quotes_the_message_with_context(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    incoming = budi.send("Laporan minggu ini")
    body = text_message(body="Terima kasih", context={"message_id": incoming.wamid})
    status, _ = await raw(f"{wa.phone_number_id}/messages", json=body)
    assert status == 200
    assert budi.last is not None and budi.last.context_id == incoming.wamid


async def test_a_read_receipt_for_an_incoming_message_succeeds(
    wa: FakeWhatsApp, raw: Raw, budi: FakePerson
) -> None:
    incoming = budi.send("Halo")
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": incoming.wamid}
    status, answer = await raw(f"{wa.phone_number_id}/messages", json=body)
    assert (status, answer) == (200, {"success": True})
    assert wa.read_receipts == [incoming.wamid]
