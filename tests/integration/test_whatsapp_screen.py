"""Prompts shaped for WhatsApp and sent through pywa to fakewa, which refuses what Meta refuses:
a 4th button, a 21-character button title, an 11th row, a 25-character row title, a body over
its limit. The adapter must never send one of those; it lays the choices out instead."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pywa_async import WhatsApp

from domain.clock import ManualClock
from domain.forms import Choice, Prompt, PromptKind, decode_button
from fakewa import FakePerson, FakeWhatsApp
from services.forms import OpenForm
from whatsapp.screen import ROWS_KEY, WhatsAppScreen, WhatsAppTexts
from whatsapp.shaping import more_press, shorten

BUDI = "6281234567890"
TOKEN = "abc123"


@pytest.fixture
async def wa(clock: ManualClock) -> AsyncIterator[FakeWhatsApp]:
    async with FakeWhatsApp(clock=clock) as fake:
        yield fake


@pytest.fixture
async def screen(wa: FakeWhatsApp) -> AsyncIterator[WhatsAppScreen]:
    http = wa.httpx_client()
    client = WhatsApp(phone_id=wa.phone_number_id, token=wa.access_token, session=http, server=None)
    yield WhatsAppScreen(client, BUDI, WhatsAppTexts("id"))
    await http.aclose()


@pytest.fixture
def budi(wa: FakeWhatsApp) -> FakePerson:
    person = wa.person(BUDI, "Budi")
    person.send("Halo")  # the 24-hour window is open
    return person


def choices(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(label, f"v{i}") for i, label in enumerate(labels))


async def test_up_to_three_short_choices_are_reply_buttons_carrying_the_step(
    wa: FakeWhatsApp, screen: WhatsAppScreen, budi: FakePerson
) -> None:
    prompt = Prompt("Kirim laporan **ini**?", PromptKind.CONFIRM, choices("Kirim", "Ubah", "Batal"))
    await screen.show(prompt, token=TOKEN)
    shown = await budi.next_reply()
    assert shown.text == "Kirim laporan *ini*?"  # catalog markup in WhatsApp's formatting
    assert shown.button_titles == ["Kirim", "Ubah", "Batal"]
    pressed = decode_button(shown.buttons[2][0])
    assert pressed is not None and (pressed.token, pressed.value) == (TOKEN, "v2")
    assert wa.errors == []


async def test_a_fourth_choice_or_a_long_label_makes_a_list_never_a_refused_send(
    wa: FakeWhatsApp, screen: WhatsAppScreen, budi: FakePerson
) -> None:
    four = Prompt("Pilih", PromptKind.CONFIRM, choices("Satu", "Dua", "Tiga", "Empat"))
    long_label = "Koordinasi dengan Bappeda"  # 25 characters: no button title
    long = Prompt("Pilih", PromptKind.CHOICE, choices(long_label, "Lewati"))
    await screen.show(four, token=TOKEN)
    await screen.show(long, token=TOKEN)
    as_list = await budi.next_reply()
    assert as_list.buttons == [] and as_list.row_titles == ["Satu", "Dua", "Tiga", "Empat"]
    shortened = await budi.next_reply()
    row = shortened.rows[0]
    assert len(row["title"]) <= 24 and row["title"] == shorten(long_label, 24)
    assert row["description"] == long_label  # the whole label: nothing is lost
    assert wa.errors == []


async def test_a_long_question_goes_as_text_with_the_choices_under_it(
    wa: FakeWhatsApp, screen: WhatsAppScreen, budi: FakePerson
) -> None:
    words = "Laporan kemajuan tahapan. " * 400  # past 4096 characters
    await screen.show(Prompt(words, PromptKind.CHOICE, choices("Ya")), token=TOKEN)
    await wa.wait_for(lambda: len(budi.inbox) >= 4, description="the parts and the button")
    parts = budi.inbox
    assert [m.type for m in parts] == ["text", "text", "text", "interactive"]
    assert all(len(m.text or "") <= 4096 for m in parts)
    assert " ".join(m.text or "" for m in parts[:3]).split() == words.split()  # nothing lost
    # The last part is too long for a button message's body: a short line stands there.
    assert parts[-1].text == "Silakan pilih:" and parts[-1].button_titles == ["Ya"]
    shorter = "Laporan kemajuan tahapan. " * 170  # 4420: one full part and a short rest
    await screen.show(Prompt(shorter, PromptKind.CHOICE, choices("Ya")), token=TOKEN)
    await wa.wait_for(lambda: len(budi.inbox) >= 6, description="a part and the button")
    head, tail = budi.inbox[4:]
    assert head.type == "text" and tail.type == "interactive"
    assert len(tail.text or "") <= 1024 and tail.button_titles == ["Ya"]
    assert wa.errors == []


async def test_a_long_list_of_a_form_step_pages_with_a_more_row(
    wa: FakeWhatsApp, screen: WhatsAppScreen, budi: FakePerson
) -> None:
    state = OpenForm(form="report", step="milestone", draft={}, token=TOKEN)
    screen.state_of = lambda: state
    labels = [f"Tahapan {i}" for i in range(1, 24)]  # 23 choices
    await screen.show(Prompt("Pilih tahapan", PromptKind.LIST, choices(*labels)), token=TOKEN)
    first = await budi.next_reply()
    assert first.row_titles == [*labels[:9], "Lainnya ›"]
    assert len(state.draft[ROWS_KEY]) == 23  # kept with the step
    more = more_press(first.rows[-1]["id"])
    assert more == (TOKEN, 1)
    assert await screen.show_page(state, *more)
    second = await budi.next_reply()
    assert second.row_titles == [*labels[9:18], "Lainnya ›"]
    assert await screen.show_page(state, TOKEN, 2)
    assert (await budi.next_reply()).row_titles == labels[18:]
    # The step moved on: its pages are stale.
    state.goto("text")
    assert not await screen.show_page(state, TOKEN, 1)
    assert wa.errors == []


async def test_without_an_open_step_a_long_list_goes_in_several_messages(
    wa: FakeWhatsApp, screen: WhatsAppScreen, budi: FakePerson
) -> None:
    menu = tuple(Choice(f"Pilihan {i}", action=f"mn1:x{i}") for i in range(12))
    await screen.show(Prompt("Menu", PromptKind.LIST, menu), token=None)
    first, second = await budi.next_reply(), await budi.next_reply()
    assert len(first.rows) == 10 and len(second.rows) == 2
    assert second.text == "Pilihan lainnya (2/2):"
    assert wa.errors == []
