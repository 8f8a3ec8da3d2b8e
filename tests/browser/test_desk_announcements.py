"""An announcement with a photo sent from the web desk in a real Chromium: the organizer
composes it, attaches a photo, reads the preview, sends it, and watches the counts on the
status page change by themselves (HTMX polling) once the sender has delivered it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DeskServer, People, screenshot
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, Member, import_roster
from tests.integration.helpers import text
from tests.integration.stories import join, photo_bytes

WORDS = "Rapat pleno Senin pukul 09.00 WIB di aula BPSDM."


@pytest.fixture(scope="module")
def team(desk: DeskServer) -> dict[str, Member]:
    members = desk.run(import_roster(desk.engine, desk.clock.now()))
    for user_id, handle in ((1001, "budi"), (1005, "bambang")):
        desk.run(join(desk.bot, desk.telegram, user_id, members[handle].code))
    return members


def test_an_announcement_with_a_photo_and_its_live_counts(
    desk: DeskServer, people: People, team: dict[str, Member], tmp_path: Path
) -> None:
    photo = tmp_path / "undangan.jpg"
    photo.write_bytes(photo_bytes())
    page = people.page_as(desk.telegram.user(ADMIN_ID, "Yulia"))
    page.goto(f"{desk.base_url}/dasbor/")
    page.get_by_role("link", name=COHORT).click()
    page.get_by_role("link", name=text("web.cohort.announce")).click()

    page.get_by_label(text("web.announce.field.text")).fill(WORDS)
    for role in ("examiner", "admin"):
        page.locator(f'input[name="roles"][value="{role}"]').uncheck()
    page.get_by_label(text("web.announce.field.file")).set_input_files(photo)
    page.get_by_role("button", name=text("web.announce.preview")).click()

    expect(page.get_by_text(WORDS)).to_be_visible()
    expect(page.locator(".attached")).to_contain_text("undangan.jpg")
    expect(page.locator("ul.recipients li")).to_have_count(2)  # Budi and Bambang have joined
    page.get_by_role("button", name=text("web.announce.send")).click()

    figures = page.locator("#counts .figures")
    expect(figures).to_contain_text(text("web.announce.counts", sent=0, failed=0, waiting=2))
    expect(page.locator(".attached")).to_contain_text("undangan.jpg")
    screenshot(page, "announcement-status")

    desk.run(desk.bot.deliver())
    # No reload: the status section asks for the counts every two seconds.
    expect(figures).to_contain_text(
        text("web.announce.counts", sent=2, failed=0, waiting=0), timeout=10_000
    )
    expect(page.get_by_role("status")).to_have_text(text("web.announce.done"))
    budi = desk.telegram.user(1001, "Budi")
    assert budi.last.kind == "photo" and WORDS in budi.last.plain
