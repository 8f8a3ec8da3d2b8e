"""An organizer keeps the roster in Excel: saves the template, fills it in with Indonesian
headings, imports the .xlsx through `properbot cohort import`, and gets a mangled NIP named by
its cell, with nothing imported, when Excel turned it into a number."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from documents.roster_template import FIRST_DATA_ROW, HEADER_ROW, TEMPLATE_COLUMNS

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


def fill_template(template: Path, target: Path, *, mangle_line: int | None = None) -> None:
    """The sample cohort typed into the template under its Indonesian headings; with
    `mangle_line`, that person's NIP is what Excel keeps of an 18-digit number."""
    workbook = load_workbook(template)
    sheet = workbook.worksheets[0]
    headings = [cell.value for cell in sheet[HEADER_ROW]]
    assert headings[:4] == ["No", "Nama", "NIP", "Peran"]
    people = list(csv.DictReader(io.StringIO(SAMPLE.read_text(encoding="utf-8")), delimiter=";"))
    start = FIRST_DATA_ROW + 2  # below the two example rows, which stay
    for number, person in enumerate(people, start=1):
        values = {**person, "no": number}
        row = start + number - 1
        for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
            sheet.cell(row, index, values.get(column) or None)
        if row == mangle_line:
            sheet.cell(
                row, TEMPLATE_COLUMNS.index("nip") + 1, float(person["nip"].replace(" ", ""))
            )
    workbook.save(target)


def test_a_roster_from_the_template_imports_like_the_csv(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = cli_env / "templat.xlsx"
    assert main(["cohort", "template", "--out", str(template)]) == 0
    assert "Templat daftar peserta disimpan" in capsys.readouterr().out
    roster = cli_env / "angkatan-xxxvii.xlsx"
    fill_template(template, roster)

    assert main(["cohort", "import", str(roster), "--cohort", COHORT]) == 0
    first = capsys.readouterr().out
    assert "17 orang baru" in first and "Peserta 10" in first

    # The same people from the CSV: the same rows, so nothing changes.
    assert main(["cohort", "import", str(SAMPLE), "--cohort", COHORT]) == 0
    assert "tidak ada perubahan" in capsys.readouterr().out

    assert main(["invites", "--cohort", COHORT, "--format", "csv"]) == 0
    invites = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(invites) == 17  # the template's example rows were not imported


def test_a_nip_excel_turned_into_a_number_is_named_and_nothing_is_imported(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = cli_env / "templat.xlsx"
    assert main(["cohort", "template", "--out", str(template)]) == 0
    capsys.readouterr()
    roster = cli_env / "angkatan-xxxvii.xlsx"
    mangled = FIRST_DATA_ROW + 4  # the third person: a mentor
    fill_template(template, roster, mangle_line=mangled)

    assert main(["cohort", "import", str(roster), "--cohort", COHORT]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith(
        f'Baris {mangled}, sel C{mangled} (NIP): NIP pada kolom "NIP" telah diubah oleh Excel '
        "menjadi angka 1.97004E+17"
    )
    assert 'format kolom "NIP" sebagai Teks' in lines[0]
    # The participants of that mentor get no second problem: one line, then the summary.
    assert len(lines) == 2 and "Tidak ada data yang diubah" in lines[1]

    assert main(["invites", "--cohort", COHORT]) == 2
    assert capsys.readouterr().err.strip() == f'Angkatan "{COHORT}" tidak ditemukan.'


def test_an_old_xls_file_is_refused_with_how_to_save_it(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = cli_env / "angkatan.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    assert main(["cohort", "import", str(old), "--cohort", COHORT]) == 2
    err = capsys.readouterr().err
    assert "format Excel lama (.xls)" in err and "Buku Kerja Excel (.xlsx)" in err


def test_the_template_needs_no_database_and_reports_an_unwritable_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'absent.db'}")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")

    assert main(["cohort", "template", "--out", "roster.xlsx"]) == 0
    assert "Roster template saved to roster.xlsx" in capsys.readouterr().out
    sheet = load_workbook(tmp_path / "roster.xlsx").worksheets[0]
    assert [cell.value for cell in sheet[HEADER_ROW]][:3] == ["No", "Name", "NIP"]
    assert not (tmp_path / "absent.db").exists()

    assert main(["cohort", "template", "--out", "missing/roster.xlsx", "--language", "id"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("The template cannot be saved to missing/roster.xlsx: ")
    assert len(err.splitlines()) == 1
