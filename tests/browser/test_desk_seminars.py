"""A seminar scheduled on the web desk in a real Chromium: the organizer opens the cohort's
seminars from its overview, fills the form with a whole seminar group presenting, sees a
refusal for a missing place, then the seminar in the calendar; the chat's notices are queued
to everyone concerned. The page also fits a phone's width."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from bot.demo import COHORT, ORGANIZER, SAMPLE
from domain.cohort_csv import parse_cohort_csv
from domain.timezones import WIB
from models import AuditEntry, Cohort, OutboxMessage, Seminar
from models.db import session_factory
from services.cohorts import import_cohort
from tests.browser.conftest import DeskServer, People, screenshot
from tests.conftest import ADMIN_ID
from tests.integration.helpers import text

EXAMINER = "Prof. Dr. Teguh Santoso, M.A."
GROUP_ONE = 5  # participants in seminar group 1 of the sample


async def _sample(desk: DeskServer, now: datetime) -> int:
    rows = parse_cohort_csv(SAMPLE.read_bytes(), default_zone=WIB, today=now.date())
    async with session_factory(desk.engine)() as session, session.begin():
        await import_cohort(
            session, COHORT, rows, now=now, actor_label="test", organizer=ORGANIZER, year=2026
        )
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
    assert cohort_id is not None
    return int(cohort_id)


async def _written(desk: DeskServer) -> tuple[int, int, int]:
    """Seminars, their notices to people (not reminders) and the audit entries of seminars."""
    async with session_factory(desk.engine)() as session:
        seminars = await session.scalar(select(func.count()).select_from(Seminar))
        notices = await session.scalar(
            select(func.count()).where(OutboxMessage.dedup_key.like("seminar:%:1:notice:%"))
        )
        entries = await session.scalar(
            select(func.count()).where(AuditEntry.action == "seminar.add")
        )
    return int(seminars or 0), int(notices or 0), int(entries or 0)


@pytest.fixture(scope="module")
def cohort_id(desk: DeskServer) -> int:
    return desk.run(_sample(desk, desk.clock.now()))


def test_the_organizer_schedules_a_seminar_for_a_seminar_group(
    desk: DeskServer, people: People, cohort_id: int
) -> None:
    admin = desk.telegram.user(ADMIN_ID, "Yulia")
    page = people.page_as(admin)
    page.goto(f"{desk.base_url}/dasbor/angkatan/{cohort_id}")
    page.get_by_role("link", name=text("web.cohort.seminars")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        text("web.seminar.title", cohort=COHORT)
    )
    expect(page.get_by_text(text("web.seminar.none_upcoming"))).to_be_visible()

    # Thursday 10 December 2026, 09.00 WIB, group 1 presenting; the place forgotten first.
    page.get_by_label(text("web.seminar.field.kind")).select_option("rancangan")
    page.get_by_label(text("web.seminar.field.day")).fill("2026-12-10")
    page.get_by_label(text("web.seminar.field.clock")).fill("09:00")
    expect(page.get_by_label(text("web.seminar.field.zone"))).to_have_value("WIB")
    page.get_by_label(text("web.seminar.field.group")).select_option("1")
    page.get_by_label(text("web.seminar.field.examiner")).select_option(label=EXAMINER)
    page.get_by_role("button", name=text("web.seminar.save")).click()
    expect(page.get_by_role("alert")).to_contain_text(text("seminar.error.no_venue"))
    assert desk.run(_written(desk)) == (0, 0, 0)

    # The form kept what was chosen; with the place it goes through.
    expect(page.get_by_label(text("web.seminar.field.group"))).to_have_value("1")
    page.get_by_label(text("web.seminar.field.place")).fill("Aula BPSDM Lantai 2")
    page.get_by_role("button", name=text("web.seminar.save")).click()
    status = page.get_by_role("status")
    expect(status).to_contain_text(text("web.seminar.done.add", id=1))

    card = page.locator("article[data-seminar]")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("09.00 WIB")
    expect(card).to_contain_text(text("seminar.kind.rancangan"))
    expect(card).to_contain_text("Aula BPSDM Lantai 2")
    expect(card).to_contain_text("Sri Wahyuni Lestari")
    expect(card).to_contain_text(EXAMINER)
    expect(page.locator("section.seminar-day h3").first).to_have_text("Kamis, 10 Desember 2026")
    screenshot(page, "seminars")
    seminars, notices, entries = desk.run(_written(desk))
    # Five presenters, their mentors and coaches, and the examiner each get the notice.
    assert (seminars, entries) == (1, 1) and notices > GROUP_ONE

    # Cancel asks first; "Tidak jadi" keeps it.
    card.get_by_role("link", name=text("web.seminar.cancel")).click()
    expect(page.get_by_text(text("web.seminar.cancel.question"))).to_be_visible()
    page.get_by_role("link", name=text("web.seminar.cancel.no")).click()
    expect(page.locator("article[data-seminar]")).not_to_contain_text(text("web.seminar.cancelled"))

    # On a phone the page does not get wider than the screen.
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
