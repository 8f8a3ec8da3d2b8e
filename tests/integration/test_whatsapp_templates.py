"""`properbot whatsapp templates`: the definitions written for Meta, and checked against the
templates on the account through the Graph API (fakewa over real HTTP)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from fakewa import FakeWhatsApp
from whatsapp.templates import definitions

WHATSAPP_ENV = ("PHONE_NUMBER_ID", "ACCESS_TOKEN", "APP_SECRET", "VERIFY_TOKEN")


@pytest.fixture
def cli_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working folder (no stray .env), Indonesian, WhatsApp not set up."""
    monkeypatch.chdir(tmp_path)
    for name in (*(f"WHATSAPP_{n}" for n in WHATSAPP_ENV), "WHATSAPP_BUSINESS_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'nowhere.db'}")
    return tmp_path


@pytest.fixture
async def wa(cli_folder: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeWhatsApp]:
    async with FakeWhatsApp() as fake:
        monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", fake.phone_number_id)
        monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", fake.access_token)
        monkeypatch.setenv("WHATSAPP_APP_SECRET", fake.app_secret)
        monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "verify-me")
        monkeypatch.setenv("WHATSAPP_BUSINESS_ACCOUNT_ID", fake.waba_id)
        monkeypatch.setenv("WHATSAPP_API_ROOT", fake.api_root)
        yield fake


def register(wa: FakeWhatsApp, template: dict[str, Any], status: str = "APPROVED") -> None:
    body, *rest = template["components"]
    buttons = [b["text"] for c in rest for b in c["buttons"]]
    wa.add_template(
        str(template["name"]),
        body["text"],
        language=str(template["language"]),
        buttons=buttons,
        status=status,
    )


async def check(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    # The command runs its own event loop; the fake server keeps serving on this one.
    code = await asyncio.to_thread(main, ["whatsapp", "templates", "--check"])
    out, err = capsys.readouterr()
    return code, out, err


def test_out_writes_every_definition_as_json_without_a_database(
    cli_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = cli_folder / "templates.json"

    assert main(["whatsapp", "templates", "--out", str(target)]) == 0

    written = json.loads(target.read_text(encoding="utf-8"))
    assert written == definitions()
    assert {t["language"] for t in written} == {"id", "en"}
    assert all(t["category"] == "UTILITY" and t["name"].startswith("properbot_") for t in written)
    assert f"{len(written)} definisi template ditulis" in capsys.readouterr().out
    assert not (cli_folder / "nowhere.db").exists()


async def test_check_names_the_missing_and_unapproved_templates(
    wa: FakeWhatsApp, capsys: pytest.CaptureFixture[str]
) -> None:
    wanted = definitions()
    for template in wanted[3:]:
        register(wa, template)
    register(wa, wanted[1], status="PENDING")  # wanted[0] is not there at all
    wa.add_template(str(wanted[2]["name"]), "Halo {{1}}, ini teks lama.", language="id")

    code, out, _ = await check(capsys)

    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"belum ada: {wanted[0]['name']} ({wanted[0]['language']})"
    assert lines[1] == (
        f"belum disetujui: {wanted[1]['name']} ({wanted[1]['language']}), status PENDING"
    )
    assert lines[2] == f"berbeda dari definisinya: {wanted[2]['name']} (id)"
    assert lines[3] == f"3 dari {len(wanted)} template belum siap dikirim."
    assert wa.calls_to("/message_templates")[0].status == 200


async def test_check_passes_when_all_are_approved_as_defined(
    wa: FakeWhatsApp, capsys: pytest.CaptureFixture[str]
) -> None:
    for template in definitions():
        register(wa, template)

    code, out, _ = await check(capsys)

    assert code == 0 and "sudah disetujui" in out


async def test_check_without_the_business_account_says_what_to_set(
    wa: FakeWhatsApp, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WHATSAPP_BUSINESS_ACCOUNT_ID")

    code, out, err = await check(capsys)

    assert code == 2 and out == ""
    assert "WHATSAPP_BUSINESS_ACCOUNT_ID belum diisi" in err
    assert wa.calls == []


def test_check_without_whatsapp_says_what_to_set(
    cli_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["whatsapp", "templates", "--check"]) == 2
    assert "WhatsApp belum diatur" in capsys.readouterr().err
