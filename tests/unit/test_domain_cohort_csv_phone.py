"""The roster's optional phone and channel columns: names, normalizing, bad cells named."""

from __future__ import annotations

from datetime import date

import pytest

from domain.cohort_csv import (
    CohortFileError,
    CohortRow,
    RowProblem,
    describe_problem,
    parse_cohort_csv,
)
from domain.enums import Channel
from domain.i18n import translator
from domain.roles import Role
from domain.timezones import WIB

TODAY = date(2025, 3, 1)
MENTOR = "19660812 199203 1 004"
PARTICIPANT = "19720318 199803 2 005"


def parse(*lines: str) -> list[CohortRow]:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    return parse_cohort_csv(data, default_zone=WIB, today=TODAY)


def problems(*lines: str) -> list[RowProblem]:
    with pytest.raises(CohortFileError) as caught:
        parse(*lines)
    return caught.value.problems


def two(header: str, mentor: str, participant: str) -> list[CohortRow]:
    """A mentor and a participant with `header`'s extra column filled as given."""
    return parse(
        f"role;name;nip;mentor_nip;{header}",
        f"mentor;Dr. Bambang Wijaya;{MENTOR};;{mentor}",
        f"peserta;Sri Wahyuni;{PARTICIPANT};{MENTOR};{participant}",
    )


@pytest.mark.parametrize(
    "heading",
    ["phone", "Phone", "no_hp", "No. HP", "No HP", "Nomor HP", "telepon", "Telepon", "NO. HP"],
)
def test_every_name_of_the_phone_column_is_read(heading: str) -> None:
    rows = two(heading, "0812-3456-7890", "")
    assert {row.role: row.phone for row in rows} == {
        Role.MENTOR: "+6281234567890",
        Role.PARTICIPANT: None,
    }
    assert all(row.phone_listed for row in rows)


@pytest.mark.parametrize(
    "written",
    ["081234567890", "0812-3456-7890", "+62 812 3456 7890", "6281234567890", "+6281234567890"],
)
def test_08_62_and_plus_62_forms_become_e164(written: str) -> None:
    [mentor, _] = two("no_hp", written, "")
    assert mentor.phone == "+6281234567890"


def test_a_dash_in_the_phone_cell_means_no_number() -> None:
    assert [row.phone for row in two("No. HP", "-", "")] == [None, None]


def test_without_the_columns_nothing_is_listed() -> None:
    rows = parse(f"role;name;nip\nmentor;Bambang;{MENTOR}")
    assert (rows[0].phone, rows[0].phone_listed, rows[0].channel_listed) == (None, False, False)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("0812-345", "phone.error.too_short"),
        ("0812-3456-7890-1234", "phone.error.too_long"),
        ("0812 3456 789O", "phone.error.not_digits"),
        ("021-5551234", "phone.error.not_mobile"),
        ("+44 7911 123456", "phone.error.not_indonesian"),
    ],
)
def test_a_bad_phone_is_a_problem_of_its_row_with_the_reason(written: str, code: str) -> None:
    [problem] = problems(
        "role;name;nip;mentor_nip;No. HP",
        f"mentor;Bambang;{MENTOR};;0812-1111-2222",
        f"peserta;Sri Wahyuni;{PARTICIPANT};{MENTOR};{written}",
    )
    assert (problem.line, problem.code) == (3, code)
    for language in ("id", "en"):
        text = describe_problem(problem, translator(language))
        assert "3" in text and not text.startswith(code), text
        # The catalog has the reason; an unknown key would come back as itself.
        assert code not in text


def test_the_problem_sentence_names_the_row_and_the_value() -> None:
    [problem] = problems("role;name;nip;phone", f"mentor;Bambang;{MENTOR};0812-345")
    text = describe_problem(problem, translator("id"))
    assert text.startswith("Baris 2") and "0812-345" in text and "terlalu pendek" in text


@pytest.mark.parametrize(
    ("written", "channel"),
    [
        ("telegram", Channel.TELEGRAM),
        ("Telegram", Channel.TELEGRAM),
        ("TELEGRAM", Channel.TELEGRAM),
        ("whatsapp", Channel.WHATSAPP),
        ("WhatsApp", Channel.WHATSAPP),
        ("WA", Channel.WHATSAPP),
        ("", None),
    ],
)
def test_the_channel_column_in_any_case(written: str, channel: Channel | None) -> None:
    [mentor, _] = two("channel", written, "")
    assert (mentor.channel, mentor.channel_listed) == (channel, True)


@pytest.mark.parametrize("heading", ["channel", "Channel", "Kanal", "saluran"])
def test_every_name_of_the_channel_column_is_read(heading: str) -> None:
    rows = two(heading, "whatsapp", "telegram")
    assert [row.channel for row in rows] == [Channel.WHATSAPP, Channel.TELEGRAM]


def test_an_unknown_channel_is_a_problem_naming_the_choices() -> None:
    [problem] = problems("role;name;nip;channel", f"mentor;Bambang;{MENTOR};email")
    assert (problem.line, problem.code) == (2, "roster.error.unknown_channel")
    text = describe_problem(problem, translator("id"))
    assert "email" in text and "telegram" in text and "whatsapp" in text


def test_every_bad_cell_of_a_file_is_listed_at_once() -> None:
    found = problems(
        "role;name;nip;mentor_nip;phone;channel",
        f"mentor;Bambang;{MENTOR};;12;sms",
        f"peserta;Sri;{PARTICIPANT};{MENTOR};0812-3456-7890;whatsapp",
    )
    assert [(p.line, p.code) for p in found] == [
        (2, "phone.error.invalid"),
        (2, "roster.error.unknown_channel"),
    ]


def test_a_number_on_two_rows_is_named_on_the_second_with_the_first() -> None:
    [problem] = problems(
        "role;name;nip;mentor_nip;phone",
        f"mentor;Dr. Bambang Wijaya;{MENTOR};;0812-3456-7890",
        f"peserta;Sri Wahyuni;{PARTICIPANT};{MENTOR};+62 812 3456 7890",
    )
    assert problem.line == 3 and problem.code == "csv.error.duplicate_phone"
    text = describe_problem(problem, translator("id"))
    assert text.startswith("Baris 3") and "0812-3456-7890" in text and "baris 2" in text
    # Two different numbers, or none at all, are fine.
    assert len(two("phone", "0812-3456-7890", "0813-1111-2222")) == 2
    assert len(two("phone", "", "")) == 2
