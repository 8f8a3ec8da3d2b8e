"""The roster as organizers keep it in Excel, uploaded in a real Chromium: Indonesian headings
under a title, a NIP Excel turned into a number and a misspelt role are listed row by row;
the fixed workbook is previewed (one new participant, one updated) and imported at once."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bot.demo import COHORT, ORGANIZER, SAMPLE
from domain.cohort_csv import parse_cohort_csv
from domain.timezones import WIB
from models import Cohort, Membership, Person
from models.db import session_factory
from services.cohorts import import_cohort
from tests.browser.conftest import DeskServer, People, screenshot
from tests.conftest import ADMIN_ID
from tests.integration.helpers import text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The sample's English headings as an organizer's workbook words them, with a "No" and a
# phone column (both ignored).
HEADINGS = {
    "role": "Peran",
    "name": "Nama",
    "nip": "NIP",
    "rank": "Pangkat/Gol.",
    "position": "Jabatan",
    "agency": "Instansi",
    "timezone": "Zona Waktu",
    "mentor_nip": "NIP Mentor",
    "coach_nip": "NIP Coach",
    "project_title": "Judul Proyek",
    "seminar_group": "Kelompok",
}
NEW_NIP = "198905052015031004"
NEW_NAME = "Rahmat Hidayat, S.T."


def workbook(*, mangled: bool) -> bytes:
    """The sample cohort as an organizer's workbook, plus one new participant; `mangled`:
    his NIP as the number Excel makes of it and a misspelt role on another row."""
    people = list(csv.DictReader(io.StringIO(SAMPLE.read_text(encoding="utf-8")), delimiter=";"))
    for row in people:
        if row["name"].startswith("Fadli"):
            row["agency"] = "Pemerintah Kabupaten Halmahera Barat (Bappeda)"  # an update
            if mangled:
                row["role"] = "pesrta"
    people.append(
        {
            "role": "peserta",
            "name": NEW_NAME,
            "nip": NEW_NIP,
            "agency": "Bappeda Provinsi Sumatera Selatan",
            "position": "Kepala Bidang",
            "timezone": "WIB",
            "mentor_nip": "19660812 199203 1 004",
            "coach_nip": "19671103 199303 2 003",
            "project_title": "Satu Data Pembangunan Daerah",
            "seminar_group": "1",
        }
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([f"DAFTAR PESERTA {COHORT.upper()}"])
    sheet.append([])
    columns = list(HEADINGS)
    sheet.append(["No", *(HEADINGS[c] for c in columns), "No. HP"])
    for number, row in enumerate(people, start=1):
        values: list[object] = [row.get(c) or None for c in columns]
        if mangled and row["nip"] == NEW_NIP:
            values[columns.index("nip")] = float(NEW_NIP)  # 1.98905E+17 in Excel
        # Only the newcomer has a phone: for the others a phone would be a change too.
        phone = "0812-3456-7890" if row["nip"] == NEW_NIP else None
        sheet.append([number, *values, phone])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _sample(desk: DeskServer, now: datetime) -> int:
    rows = parse_cohort_csv(SAMPLE.read_bytes(), default_zone=WIB, today=now.date())
    async with session_factory(desk.engine)() as session, session.begin():
        await import_cohort(
            session, COHORT, rows, now=now, actor_label="test", organizer=ORGANIZER, year=2026
        )
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
    assert cohort_id is not None
    return int(cohort_id)


async def _member(desk: DeskServer, nip: str) -> tuple[str, bool] | None:
    async with session_factory(desk.engine)() as session:
        row = (
            await session.execute(
                select(Person.full_name, Membership.active)
                .join(Membership, Membership.person_id == Person.id)
                .where(Person.nip == nip)
            )
        ).first()
    return None if row is None else (row[0], row[1])


@pytest.fixture(scope="module")
def cohort_id(desk: DeskServer) -> int:
    return desk.run(_sample(desk, desk.clock.now()))


def upload(page: Page, name: str, data: bytes) -> None:
    page.locator('input[name="roster"]').set_input_files(
        {"name": name, "mimeType": XLSX, "buffer": data}
    )
    page.get_by_role("button", name=text("web.roster.preview")).click()


def test_an_excel_roster_with_bad_rows_is_listed_fixed_and_imported(
    desk: DeskServer, people: People, cohort_id: int
) -> None:
    admin = desk.telegram.user(ADMIN_ID, "Yulia")
    page = people.page_as(admin)
    page.goto(f"{desk.base_url}/dasbor/angkatan/{cohort_id}")
    page.get_by_role("link", name=text("web.cohort.roster")).click()

    # Two bad rows: each named by its row and cell, nothing imported.
    upload(page, "daftar-peserta.xlsx", workbook(mangled=True))
    problems = page.get_by_role("alert")
    expect(problems).to_contain_text(text("web.roster.rejected", count=2))
    items = problems.locator("li")
    expect(items).to_have_count(2)
    # Under a title and a blank row: the heading is row 3, Fadli row 17, Rahmat row 21.
    expect(items.filter(has_text="pesrta")).to_contain_text("Baris 17, sel B17")
    expect(items.filter(has_text="Excel")).to_contain_text("Baris 21, sel D21 (NIP)")
    screenshot(page, "roster-problems")
    assert desk.run(_member(desk, NEW_NIP)) is None

    # Fixed: the preview lists who is new and who changes, still nothing written.
    upload(page, "daftar-peserta.xlsx", workbook(mangled=False))
    expect(page.get_by_text(text("web.roster.rows", count=18))).to_be_visible()
    expect(page.locator("tr.change-new")).to_have_count(1)
    expect(page.locator("tr.change-new")).to_contain_text(NEW_NAME)
    expect(page.locator("tr.change-updated")).to_have_count(1)
    expect(page.locator("tr.change-updated")).to_contain_text("Fadli Sangaji")
    expect(page.locator("tr.change-updated")).to_contain_text(text("web.roster.field.agency"))
    expect(page.locator("tr.change-withdrawn")).to_have_count(0)
    screenshot(page, "roster-preview")
    assert desk.run(_member(desk, NEW_NIP)) is None

    page.get_by_role("button", name=text("web.roster.import")).click()
    expect(page.get_by_role("status")).to_have_text(
        text("web.roster.done", created=1, updated=1, withdrawn=0)
    )
    assert desk.run(_member(desk, NEW_NIP)) == (NEW_NAME, True)

    # The overview now lists him among those who have not joined, with his invitation.
    page.get_by_role("link", name=text("web.roster.back")).click()
    expect(page.locator("table.sortable tbody tr")).to_have_count(11)
    expect(page.locator("details").filter(has_text=NEW_NAME)).to_have_count(1)
