"""The web desk in a real Chromium, on the sample cohort: the organizer signs in with the link
from the chat and reads the cohort at a glance; the mentor opens a participant's timeline
with the photo from the evidence store; nobody else sees it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bot.demo import COHORT, ORGANIZER, SAMPLE
from domain.cohort_csv import parse_cohort_csv
from domain.timezones import WIB
from models.db import session_factory
from services.cohorts import import_cohort, invites_for
from tests.browser.conftest import DeskServer, People, screenshot
from tests.factories import add_milestones
from tests.integration.helpers import press, say, text
from tests.integration.stories import join

PHOTO_CAPTION = "Rapat perdana tim efektif di ruang Bappeda."


def meeting_photo() -> bytes:
    """A small JPEG that looks like something (the README's screenshot shows it)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (225, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 140, 300, 200), fill=(120, 84, 52))  # a table
    for x in (50, 110, 170, 230):  # people around it
        draw.ellipse((x, 70, x + 40, 110), fill=(60, 90, 140))
        draw.rectangle((x + 5, 110, x + 35, 150), fill=(60, 90, 140))
    draw.rectangle((100, 15, 220, 55), fill=(255, 255, 255), outline=(18, 60, 105), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


@dataclass(frozen=True)
class Cast:
    cohort_id: int
    organizer: Any  # Yulia, the cohort's penyelenggara
    participant: Any  # Sri Wahyuni, with a report and a photo
    participant_id: int
    mentor: Any  # Bambang, Sri's mentor
    other_participant_id: int  # Hendra: also Bambang's, nothing reported
    outsider: Any  # Rusdi: a mentor of other participants
    soon: int  # Sri's milestone due in ten days


async def _story(desk: DeskServer, now: datetime) -> Cast:
    from sqlalchemy import select

    from models import Cohort, Person

    bot, telegram = desk.bot, desk.telegram
    rows = parse_cohort_csv(SAMPLE.read_bytes(), default_zone=WIB, today=now.date())
    async with session_factory(desk.engine)() as session, session.begin():
        await import_cohort(
            session, COHORT, rows, now=now, actor_label="test", organizer=ORGANIZER, year=2026
        )
        lines = {line.name.split(",")[0]: line for line in await invites_for(session, COHORT)}
    yulia = await join(bot, telegram, 2001, lines["Yulia Permatasari"].code)
    bambang = await join(bot, telegram, 2002, lines["Dr. Ir. H. Bambang Suprapto Wijaya"].code)
    rusdi = await join(bot, telegram, 2003, lines["Drs. Rusdi Hi. Muhammad"].code)
    sri_line = lines["Dra. Hj. Sri Wahyuni Lestari"]
    soon, _later = await add_milestones(desk.engine, sri_line.nip, now)
    sri = await join(bot, telegram, 2004, sri_line.code)

    # Sri reports with a photo, as in the chat.
    chooser = await say(bot, sri, "/lapor")
    await press(bot, sri, chooser, next(b for b in chooser.button_texts if b.startswith("Rapat")))
    await say(bot, sri, "Rapat perdana tim efektif: pembagian tugas dan jadwal uji coba.")
    await press(bot, sri, sri.last, "Lewati")
    await press(bot, sri, sri.last, "Lewati")
    sri.send_photo(meeting_photo(), PHOTO_CAPTION)
    await bot.settle()
    await press(bot, sri, sri.last, "Selesai")
    await press(bot, sri, sri.last, "40%")
    await press(bot, sri, sri.last, "Kirim")

    async with session_factory(desk.engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
        ids = dict(
            (await session.execute(select(Person.nip, Person.id))).tuples().all()  # type: ignore[arg-type]
        )
    hendra = next(line for name, line in lines.items() if "Hendra" in name)
    assert cohort_id is not None
    return Cast(cohort_id, yulia, sri, ids[sri_line.nip], bambang, ids[hendra.nip], rusdi, soon)


@pytest.fixture(scope="module")
def cast(desk: DeskServer) -> Cast:
    return desk.run(_story(desk, desk.clock.now()))


def test_the_link_from_the_chat_signs_the_organizer_in_once(
    desk: DeskServer, people: People, cast: Cast, page: Page
) -> None:
    link = people.link(cast.organizer)

    page.goto(link)
    expect(page.get_by_role("heading", name=text("web.login.title"))).to_be_visible()
    screenshot(page, "login")
    page.get_by_role("button", name=text("web.login.button")).click()

    expect(page.get_by_role("link", name=COHORT)).to_be_visible()
    screenshot(page, "home")
    cookie = next(c for c in page.context.cookies() if c["name"] == "properbot_desk")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/dasbor"

    # The same link again, in another browser: refused, and that browser is not signed in.
    other = page.context.browser.new_context()  # type: ignore[union-attr]
    again = other.new_page()
    again.goto(link)
    expect(again.get_by_text(text("web.login.refused.used"))).to_be_visible()
    again.goto(f"{desk.base_url}/dasbor/angkatan/{cast.cohort_id}")
    expect(again.get_by_text(text("web.error.signed_out"))).to_be_visible()
    expect(again.get_by_text("Sri Wahyuni")).to_have_count(0)
    other.close()

    # Logging out ends the session.
    page.get_by_role("button", name=text("web.logout")).click()
    expect(page.get_by_text(text("web.logout.done"))).to_be_visible()
    page.goto(f"{desk.base_url}/dasbor/")
    expect(page.get_by_text(text("web.error.signed_out"))).to_be_visible()


def test_the_organizer_reads_the_sample_cohort_at_a_glance(
    desk: DeskServer, people: People, cast: Cast
) -> None:
    page = people.page_as(cast.organizer)
    page.goto(f"{desk.base_url}/dasbor/")
    page.get_by_role("link", name=COHORT).click()

    expect(page.get_by_role("heading", name=COHORT)).to_be_visible()
    rows = page.locator("table.sortable tbody tr")
    expect(rows).to_have_count(10)
    expect(page.get_by_text(text("web.cohort.joined", joined=4, members=17))).to_be_visible()
    # Sri's report waits for feedback; the ones who have not joined have their invitation.
    sri_row = rows.filter(has_text="Sri Wahyuni")
    expect(sri_row.locator("td").nth(1)).to_have_text(re.compile(r"\d+%"))
    expect(sri_row.locator("td").nth(5)).to_have_text("1")
    pending = page.locator("details").filter(has_text="Hendra Saputra")
    pending.locator("summary").click()
    expect(pending.locator("textarea")).to_contain_text("https://t.me/properbot_test_bot?start=")
    # A QR code of the link to scan from the screen, drawn inside the page's own policy.
    expect(pending.locator("svg.qr").first).to_be_visible()
    screenshot(page, "cohort")

    # Sorted by progress, highest first: Sri, the only one who reported, comes first.
    # (Its name ends with the sort arrow once sorted; the CSV link names "kemajuan" too.)
    column = re.compile("^" + re.escape(text("web.column.progress")))
    progress = page.get_by_role("link", name=column)
    progress.click()
    expect(progress).to_have_attribute("aria-sort", "ascending")
    progress.click()
    expect(progress).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_contain_text("Sri Wahyuni")

    # On a phone the table scrolls inside its box; the page itself does not get wider.
    page.set_viewport_size({"width": 390, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_the_mentor_opens_a_timeline_with_the_photo_and_nothing_else(
    desk: DeskServer, people: People, cast: Cast
) -> None:
    page = people.page_as(cast.mentor)
    page.goto(f"{desk.base_url}/dasbor/")
    page.get_by_role("link", name=re.compile("Sri Wahyuni")).click()

    expect(page.get_by_text("pembagian tugas dan jadwal uji coba")).to_be_visible()
    photo = page.locator("img.thumb")
    expect(photo).to_have_count(1)
    expect(photo).to_have_attribute("alt", PHOTO_CAPTION)
    # Loaded from the evidence store under the desk's Content-Security-Policy.
    photo.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 320", arg=photo.element_handle()
    )
    screenshot(page, "timeline")

    # The cohort overview is the organizer's, not the mentor's; another mentor's participant
    # and a made-up id look alike.
    for path in (
        f"/dasbor/angkatan/{cast.cohort_id}",
        "/dasbor/peserta/999999",
    ):
        page.goto(desk.base_url + path)
        expect(page.get_by_text(text("web.error.not_found"))).to_be_visible()

    outsider = people.page_as(cast.outsider)
    outsider.goto(f"{desk.base_url}/dasbor/peserta/{cast.participant_id}")
    expect(outsider.get_by_text(text("web.error.not_found"))).to_be_visible()
    expect(outsider.get_by_text("Sri Wahyuni")).to_have_count(0)


async def _reminder_keys(desk: DeskServer, milestone_id: int) -> list[str]:
    from sqlalchemy import select

    from models import OutboxMessage

    async with session_factory(desk.engine)() as session:
        return list(
            await session.scalars(
                select(OutboxMessage.dedup_key).where(
                    OutboxMessage.dedup_key.startswith(f"ms:{milestone_id}:")
                )
            )
        )


def test_a_setting_changed_in_the_form_is_followed_by_the_next_reminder_sweep(
    desk: DeskServer, people: People, cast: Cast
) -> None:
    desk.run(desk.bot.sweep())
    assert not any(":before10:" in k for k in desk.run(_reminder_keys(desk, cast.soon)))
    page = people.page_as(cast.organizer)
    page.goto(f"{desk.base_url}/dasbor/angkatan/{cast.cohort_id}")
    page.get_by_role("link", name=text("web.cohort.settings")).click()
    expect(page.get_by_label(text("web.settings.field.before_days"))).to_have_value("7, 3, 1")

    # A send hour inside the quiet hours is refused at its field; nothing is saved.
    page.get_by_label(text("web.settings.field.before_days")).fill("10, 3, 1")
    page.get_by_label(text("web.settings.field.send_at")).fill("22.00")
    page.get_by_role("button", name=text("web.settings.save")).click()
    send_at = page.get_by_label(text("web.settings.field.send_at"))
    expect(send_at).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#send_at-problem")).to_have_text(
        text("web.settings.error.quiet", start="21.00", end="06.00")
    )
    expect(page.get_by_label(text("web.settings.field.before_days"))).to_have_value("10, 3, 1")

    send_at.fill("08.00")
    page.get_by_role("button", name=text("web.settings.save")).click()
    expect(page.get_by_role("status")).to_contain_text(text("web.settings.field.before_days"))
    screenshot(page, "settings")

    # The next sweep (08.00 WIB, Sri's zone) plans the reminder ten days ahead of her milestone.
    desk.run(desk.bot.sweep())
    keys = desk.run(_reminder_keys(desk, cast.soon))
    assert [k for k in keys if ":before10:" in k], keys


def test_the_organizer_filters_the_audit_log_and_downloads_it(
    desk: DeskServer, people: People, cast: Cast
) -> None:
    page = people.page_as(cast.organizer)
    page.goto(f"{desk.base_url}/dasbor/angkatan/{cast.cohort_id}")
    page.get_by_role("link", name=text("web.cohort.audit")).click()
    expect(page.locator("table.audit")).to_contain_text("cohort.import")
    screenshot(page, "audit")

    page.get_by_label(text("web.audit.filter.action")).select_option("cohort.import")
    page.get_by_role("button", name=text("web.audit.filter.apply")).click()
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("test")

    with page.expect_download() as downloading:
        page.get_by_role("link", name=text("web.audit.csv")).click()
    download = downloading.value
    assert download.suggested_filename.endswith(".csv")
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    lines = content.strip().splitlines()
    assert len(lines) == 2 and "cohort.import" in lines[1]
