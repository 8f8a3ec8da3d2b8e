"""The Indonesian catalogs read like a letter from a government office (surat dinas).

Every .po file counts, also the ones added later: a banned word fails here with its key.
"""

import re

import pytest

from domain.i18n import catalog_keys, translator

# (pattern, why): each found in an earlier wording and replaced.
BANNED = [
    (r"\bAnda\b", 'address people as "Bapak/Ibu", never "Anda"'),
    (r"\btarget tanggal\b", 'an English word order; write "tanggal target"'),
    (r"\bmengisi isian\b", 'say "mengisi formulir"'),
    (r"\balbum dihitung\b", "Telegram jargon; say what the user may send"),
    (r"\bmelawan server\b", 'a calque of "against a server"; say "dengan server"'),
    (r"\bcuti\b", '"cuti" reads as personnel leave; the pause is a "jeda pengingat"'),
    (r"\btidak valid: belum diisi\b", "a missing value is not an invalid one"),
    (r"\btidak dapat dilaksanakan tanpa kehadiran mentor\b", 'ask politely: "Mohon kehadiran"'),
]


def _indonesian() -> list[tuple[str, str]]:
    t = translator("id")
    return [(key, t.template(key)) for key in sorted(catalog_keys("id"))]


@pytest.mark.parametrize(("pattern", "why"), BANNED, ids=[p for p, _ in BANNED])
def test_no_indonesian_message_uses_a_banned_wording(pattern: str, why: str) -> None:
    # "/cuti" stays a working command, so the command itself is not a banned word.
    found = [
        key
        for key, text in _indonesian()
        if re.search(pattern, text.replace("/cuti", ""), re.IGNORECASE)
    ]
    assert not found, f"{why}: {found}"


def test_the_check_would_catch_anda() -> None:
    pattern = BANNED[0][0]
    assert re.search(pattern, "Anda terdaftar sebagai Peserta.", re.IGNORECASE)
    assert re.search(pattern, "terima kasih, anda.", re.IGNORECASE)
    assert not re.search(pattern, "Pandangan Bapak/Ibu", re.IGNORECASE)


def test_a_mentor_is_asked_once_per_seminar_message() -> None:
    t = translator("id")
    for key in catalog_keys("id"):
        if key.startswith("seminar.msg.") and key.endswith("_mentor"):
            assert t.template(key).count("Mohon kehadiran Bapak/Ibu selaku mentor") == 1, key
            assert "wajib" not in t.template(key), key
