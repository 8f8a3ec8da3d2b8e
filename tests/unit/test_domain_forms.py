"""The neutral form types: the button codec round-trips and refuses what is not a form button;
prompts keep their channel-neutral limits."""

from __future__ import annotations

import pytest

from domain.forms import (
    Choice,
    FormButton,
    Prompt,
    PromptKind,
    decode_button,
    encode_button,
    is_form_button,
    new_token,
)


def test_a_button_round_trips_with_its_token_and_fits_telegram() -> None:
    token = new_token()
    data = encode_button(token, "next_steps")
    assert decode_button(data) == FormButton(token=token, value="next_steps")
    assert len(data.encode()) <= 64


def test_tokens_differ_from_step_to_step() -> None:
    assert len({new_token() for _ in range(50)}) == 50


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "rp1:m:12",
        "fm1:ABCDEF:1",
        "fm1:abc:1",
        "fm1:abcdef:",
        "fm1:abcdef:a b",
        "fm2:abcdef:1",
    ],
)
def test_anything_else_is_not_a_form_button(data: str | None) -> None:
    assert decode_button(data) is None


def test_a_malformed_form_button_is_still_claimed_by_the_form_router() -> None:
    assert is_form_button("fm1:forged")
    assert not is_form_button("rp1:n:3")


def test_bad_values_and_tokens_are_refused_when_encoding() -> None:
    with pytest.raises(ValueError):
        encode_button("abcdef", "two words")
    with pytest.raises(ValueError):
        encode_button("ABCDEF", "1")
    with pytest.raises(ValueError):
        Choice("Kirim", "send:now")


def test_a_choice_prompt_offers_at_most_three_and_a_message_asks_nothing() -> None:
    three = tuple(Choice(str(i), str(i)) for i in range(3))
    assert len(Prompt("?", PromptKind.CHOICE, three).choices) == 3
    with pytest.raises(ValueError):
        Prompt("?", PromptKind.CHOICE, (*three, Choice("4", "4")))
    with pytest.raises(ValueError):
        Prompt("Tersimpan.", PromptKind.MESSAGE, (Choice("Ubah", "edit"),))
    assert Prompt("Tersimpan.", PromptKind.MESSAGE, (Choice("Koreksi", action="rp1:k:1"),))


def test_rows_and_pages_lay_out_the_choices() -> None:
    eleven = tuple(Choice(f"{p}%", str(p)) for p in range(0, 110, 10))
    prompt = Prompt("Berapa persen?", PromptKind.LIST, eleven, columns=4)
    assert [len(row) for row in prompt.rows] == [4, 4, 3]
    assert [len(page) for page in prompt.pages()] == [10, 1]


def test_a_layout_gives_each_row_its_own_length_and_the_last_repeats() -> None:
    six = tuple(Choice(f"Pilihan {n}", action=f"pj1:m:{n}") for n in range(6))
    prompt = Prompt("Proyek", PromptKind.MESSAGE, six, columns=2, layout=(3, 1))
    assert [[c.label for c in row] for row in prompt.rows] == [
        ["Pilihan 0", "Pilihan 1", "Pilihan 2"],
        ["Pilihan 3"],
        ["Pilihan 4"],
        ["Pilihan 5"],
    ]
    assert Prompt("Dua", PromptKind.MESSAGE, six[:2], layout=(3, 1)).rows == [list(six[:2])]
