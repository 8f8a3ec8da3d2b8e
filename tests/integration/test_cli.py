"""The `properbot` command line as an organizer uses it: clear errors, exit codes, no tracebacks."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

SAMPLE = Path(__file__).parents[2] / "bot" / "samples" / "pkn2-sumsel-angkatan-xxxvii.csv"
COHORT = "PKN II Angkatan XXXVII"


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working folder (no stray .env) with DATABASE_URL pointing at the test database."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_ROOT", "ADMIN_TELEGRAM_IDS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "properbot_test_bot")
    return tmp_path


def test_import_then_reimport_then_invites_as_csv(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cohort", "import", str(SAMPLE), "--cohort", COHORT]) == 0
    first = capsys.readouterr().out
    assert "17 orang baru" in first and "Peserta 10" in first

    assert main(["cohort", "import", str(SAMPLE), "--cohort", COHORT]) == 0
    assert "tidak ada perubahan" in capsys.readouterr().out

    assert main(["invites", "--cohort", COHORT, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["nip", "name", "role", "code", "channel", "link", "whatsapp_link"]
    assert len(rows) == 17
    assert sum(1 for r in rows if r["role"] == "participant") == 10
    assert all(r["link"] == f"https://t.me/properbot_test_bot?start={r['code']}" for r in rows)
    # No WHATSAPP_PHONE_NUMBER: no wa.me links.
    assert all(r["whatsapp_link"] == "" and r["channel"] == "" for r in rows)


def test_a_bad_file_lists_every_problem_and_imports_nothing(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = cli_env / "bad.csv"
    bad.write_text(
        "role,name,nip,mentor_nip\n"
        "mentor,Mentor Satu,197005051995031003,\n"
        "peserta,Peserta Dua,19800115200501100,197005051995031003\n"  # 17 digits
        "peserta,Peserta Tiga,198203102006042002,\n"  # no mentor
        "dosen,Orang Empat,198512122010011006,\n",  # unknown role
        encoding="utf-8",
    )
    assert main(["cohort", "import", str(bad), "--cohort", COHORT]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == ["Baris 3", "Baris 4", "Baris 5"]
    assert "Tidak ada data yang diubah" in lines[-1]

    assert main(["invites", "--cohort", COHORT]) == 2
    assert capsys.readouterr().err.strip() == f'Angkatan "{COHORT}" tidak ditemukan.'


def test_user_errors_are_one_line_with_status_two(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["cohort", "import", "missing.csv", "--cohort", COHORT]) == 2
    assert capsys.readouterr().err.strip() == "Berkas tidak ditemukan: missing.csv"

    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "TELEGRAM_BOT_TOKEN" in err

    monkeypatch.setenv("DEFAULT_TIMEZONE", "Mars/Olympus")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "DEFAULT_TIMEZONE" in err


def test_env_file_is_read_and_the_environment_wins(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (cli_env / ".env").write_text("DEFAULT_LANGUAGE=en\nADMIN_TELEGRAM_IDS=12,x\n")
    monkeypatch.delenv("DEFAULT_LANGUAGE")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Setting ADMIN_TELEGRAM_IDS needs attention")  # English, from .env


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["run"],
        ["db"],
        ["db", "upgrade"],
        ["cohort", "import"],
        ["invites"],
        ["seminar"],
        ["seminar", "add"],
        ["broadcast"],
        ["demo"],
    ],
)
def test_every_command_has_help(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "penggunaan: properbot" in done.stdout


def test_a_file_problem_is_named_as_one_and_a_refused_connection_as_the_database(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.cli

    def missing(*_: object) -> int:
        raise FileNotFoundError(2, "No such file or directory", "/opt/x/sample.csv")

    monkeypatch.setattr(bot.cli, "_dispatch", missing)
    assert main(["demo"]) == 2
    assert capsys.readouterr().err.strip() == (
        "Berkas tidak dapat digunakan: /opt/x/sample.csv (No such file or directory)"
    )

    def refused(*_: object) -> int:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    monkeypatch.setattr(bot.cli, "_dispatch", refused)
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Basis data tidak dapat digunakan") and "5432" in err
