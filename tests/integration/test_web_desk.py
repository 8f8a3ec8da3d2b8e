"""The organizer web desk: a one-time link from /dasbor signs a person in, and each sees only
what the bot would show them (an organizer their cohorts, a mentor their own participants, a
participant themselves); anything else is a 404, as if it did not exist."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot, running_bot
from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import AuditEntry, Cohort, Evidence, Membership, Person
from models.db import session_factory
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, HEADER, SMALL_ROSTER, import_roster
from tests.integration.helpers import say, text
from tests.integration.stories import EXPORT_ROSTER as OTHER_ROSTER
from tests.integration.stories import OTHER_COHORT, cast, join, report
from tests.integration.web_desk_client import (  # noqa: F401 (the fixtures)
    LINK,
    Browser,
    audits,
    browsers_fixture,
    desk_app_fixture,
    desk_settings,
    link_for,
    sign_in,
)


async def person_id(engine: AsyncEngine, nip: str) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Person.id).where(Person.nip == nip))
    assert found is not None
    return int(found)


async def test_a_link_from_the_chat_signs_in_once_and_the_session_ends_when_idle_or_logged_out(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    clock: ManualClock,
    browsers: Any,
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    browser = browsers()

    token = await link_for(bot, budi)
    signed = await browser.post("/dasbor/masuk", data={"token": token})

    assert signed.status_code == 303 and signed.headers["location"] == "/dasbor/"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    assert "Path=/dasbor" in cookie
    home = await browser.get("/dasbor/")
    assert home.status_code == 200 and text("web.home.own_timeline") in home.text
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert name in home.headers
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]
    assert "script-src 'self'" in home.headers["Content-Security-Policy"]
    (login,) = await audits(engine, "web.login")
    assert login.actor_id == await person_id(engine, team["budi"].nip)

    # The same link a second time, from another browser: refused, nobody signed in.
    again = await browsers().post("/dasbor/masuk", data={"token": token})
    assert again.status_code == 403 and text("web.login.refused.used") in again.text
    assert "set-cookie" not in again.headers

    # A link older than ten minutes: refused.
    late = await link_for(bot, budi)
    clock.advance(timedelta(minutes=11))
    expired = await browsers().post("/dasbor/masuk", data={"token": late})
    assert expired.status_code == 403 and text("web.login.refused.expired") in expired.text
    assert len(await audits(engine, "web.login")) == 1

    # Idle for longer than the limit: signed out.
    clock.advance(timedelta(minutes=20))
    assert (await browser.get("/dasbor/")).status_code == 401

    # A fresh session ends at logout; a logout without the form's token is refused.
    again_browser = browsers()
    assert (await sign_in(bot, budi, again_browser)).status_code == 303
    csrf = await again_browser.csrf()
    assert (await again_browser.post("/dasbor/keluar", data={})).status_code == 403
    out = await again_browser.post("/dasbor/keluar", data={"csrf": csrf})
    assert out.status_code == 200 and text("web.logout.done") in out.text
    assert (await again_browser.get("/dasbor/")).status_code == 401


async def test_login_links_are_rate_limited_per_person(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    for _ in range(3):
        await link_for(bot, budi)

    reply = await say(bot, budi, "/dasbor")

    assert reply.text == text("web.dasbor.too_many", minutes=15)
    assert LINK.search(reply.text) is None


async def test_without_a_web_address_dasbor_says_the_desk_is_not_set_up(
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    clock: ManualClock,
    settings: Settings,
) -> None:
    plain = replace(settings, web_base_url=None, web_session_secret=None)
    async with running_bot(telegram, plain, clock=clock, engine=engine) as bot:
        team = await import_roster(engine, now)
        budi = await join(bot, telegram, 1001, team["budi"].code)
        reply = await say(bot, budi, "/dasbor")
    assert reply.text == text("web.dasbor.not_configured")


async def test_each_role_sees_only_its_own_and_gets_404_for_the_rest(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    clock: ManualClock,
    browsers: Any,
) -> None:
    budi, bambang, _lina, _ = await cast(bot, telegram, engine, now)
    await report(bot, budi, "Rapat koordinasi", "Rapat perdana tim efektif.", "60%", photos=1)
    team = await import_roster(engine, now)
    other = await import_roster(engine, now, roster=OTHER_ROSTER, cohort=OTHER_COHORT)
    hasan = await join(bot, telegram, 1007, team["hasan"].code)  # a mentor with nobody
    rina = await join(bot, telegram, 1008, other["rina"].code)  # the other cohort's admin
    admin = telegram.user(ADMIN_ID, "Yulia")
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
        evidence_id = await session.scalar(select(Evidence.id))
    budi_id = await person_id(engine, team["budi"].nip)
    nurhayati_id = await person_id(engine, team["nurhayati"].nip)
    timeline, photo = f"/dasbor/peserta/{budi_id}", f"/dasbor/bukti/{evidence_id}"
    overview = f"/dasbor/angkatan/{cohort_id}"

    as_admin, as_budi, as_bambang, as_hasan, as_rina = (browsers() for _ in range(5))
    for user, browser in (
        (admin, as_admin),
        (budi, as_budi),
        (bambang, as_bambang),
        (hasan, as_hasan),
        (rina, as_rina),
    ):
        assert (await sign_in(bot, user, browser)).status_code == 303

    # The organizer (from the settings): the cohort overview with who has not joined yet.
    page = await as_admin.get(overview)
    assert page.status_code == 200
    assert "Budi Santoso" in page.text and "Nurhayati Umasugi" in page.text
    assert text("web.cohort.pending_title") in page.text
    assert f"https://t.me/properbot_test_bot?start={team['nurhayati'].code}" in page.text
    sorted_page = await as_admin.get(overview, params={"urut": "progress", "arah": "turun"})
    assert sorted_page.text.index("Budi Santoso") < sorted_page.text.index("Nurhayati Umasugi")
    ascending = await as_admin.get(overview, params={"urut": "progress", "arah": "naik"})
    assert ascending.text.index("Nurhayati Umasugi") < ascending.text.index("Budi Santoso")
    assert (await as_admin.get(timeline)).status_code == 200

    # Budi's mentor reads his timeline with the photo, not the cohort.
    page = await as_bambang.get(timeline)
    assert page.status_code == 200 and "Rapat perdana tim efektif." in page.text
    assert photo in page.text
    image = await as_bambang.get(photo)
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")
    assert (await as_bambang.get(overview)).status_code == 404

    # Budi sees himself, not Nurhayati.
    assert (await as_budi.get(timeline)).status_code == 200
    assert (await as_budi.get(photo)).status_code == 200
    assert (await as_budi.get(f"/dasbor/peserta/{nurhayati_id}")).status_code == 404
    assert (await as_budi.get(overview)).status_code == 404

    # A mentor of nobody and another cohort's organizer: 404, as for an id that is not there.
    for browser in (as_hasan, as_rina):
        for path in (
            timeline,
            photo,
            f"{timeline}/portofolio.pdf",
            overview,
            f"{overview}/ekspor.xlsx",
        ):
            answer = await browser.get(path)
            assert answer.status_code == 404, path
            assert "Budi Santoso" not in answer.text
    assert (await as_admin.get("/dasbor/peserta/999999")).status_code == 404

    # No cookie at all: asked to sign in, nothing shown.
    for path in ("/dasbor/", timeline, photo, f"{timeline}/portofolio.pdf", overview):
        stranger = await browsers().get(path)
        assert stranger.status_code == 401 and "Budi Santoso" not in stranger.text

    # The portfolio PDF for the mentor, audited as a copy of someone else's record.
    pdf = await as_bambang.get(f"{timeline}/portofolio.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (copy,) = await audits(engine, "export.portfolio")
    assert copy.actor_id == await person_id(engine, team["bambang"].nip)


async def test_an_organizer_previews_a_roster_then_imports_it_all_at_once(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, browsers: Any
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
    form = f"/dasbor/angkatan/{cohort_id}/daftar"
    csrf = await browser.csrf()

    # Without the form's token: refused.
    refused = await browser.post(form, files={"roster": ("daftar.csv", b"x", "text/csv")})
    assert refused.status_code == 403

    # A file with a bad NIP: every bad row listed, nothing written.
    bad = SMALL_ROSTER.replace("198203102006042002", "19820310200604200")
    page = await browser.post(
        form, data={"csrf": csrf}, files={"roster": ("daftar.csv", bad.encode(), "text/csv")}
    )
    assert page.status_code == 200 and "Baris 7" in page.text
    assert text("web.roster.rejected", count=1) in page.text

    # A changed roster as XLSX: a new participant, Nurhayati's agency, the examiner gone.
    changed = [
        line
        for line in SMALL_ROSTER.replace("Dinkes Malut", "Dinas Kesehatan Malut").splitlines()
        if "Teguh" not in line
    ]
    changed.append(
        "peserta,Rahmat Hidayat,198905052015031004,Bappeda,Kepala Bidang,WIB,"
        "197005051995031003,,Satu Data"
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in changed:
        sheet.append(line.split(","))
    upload = io.BytesIO()
    book.save(upload)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    preview = await browser.post(
        form, data={"csrf": csrf}, files={"roster": ("daftar.xlsx", upload.getvalue(), xlsx)}
    )
    assert preview.status_code == 200
    rows = re.findall(
        r'<tr class="change-(\w+)">\s*<td>[^<]*</td>\s*<td>([^<]+)</td>', preview.text
    )
    assert sorted(rows) == [
        ("new", "Rahmat Hidayat"),
        ("updated", "Nurhayati Umasugi"),
        ("withdrawn", "Prof. Teguh Santoso"),
    ]
    assert await person_id_or_none(engine, "198905052015031004") is None  # nothing yet

    payload = re.search(r'name="payload" value="([^"]+)"', preview.text)
    assert payload is not None
    done = await browser.post(f"{form}/impor", data={"csrf": csrf, "payload": payload.group(1)})

    assert done.status_code == 200
    assert text("web.roster.done", created=1, updated=1, withdrawn=1) in done.text
    assert await person_id_or_none(engine, "198905052015031004") is not None
    async with session_factory(engine)() as session:
        teguh = await session.scalar(
            select(Membership.active)
            .join(Person, Person.id == Membership.person_id)
            .where(Person.nip == "196808081994031005")
        )
    assert teguh is False
    (entry,) = [e for e in await audits(engine, "cohort.import") if e.actor_label != "test"]
    admin_id = await person_id_or_none_by_telegram(engine)
    assert entry.actor_label == f"web:{admin_id}" and entry.details["people_created"] == 1

    # The roster template and the export both open as workbooks; the export is audited.
    template = await browser.get("/dasbor/templat-daftar.xlsx")
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content)).sheetnames
    export = await browser.get(f"/dasbor/angkatan/{cohort_id}/ekspor.xlsx")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    exported = load_workbook(io.BytesIO(export.content))
    rows_out = list(exported["Peserta"].iter_rows(min_row=2, values_only=True))
    assert any("Rahmat Hidayat" in row for row in rows_out)
    (audited,) = await audits(engine, "export")
    assert audited.actor_id == admin_id and audited.details["format"] == "xlsx"


async def test_uploads_are_limited_in_type_and_size(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, browsers: Any
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
    form = f"/dasbor/angkatan/{cohort_id}/daftar"
    csrf = await browser.csrf()

    wrong = await browser.post(
        form, data={"csrf": csrf}, files={"roster": ("daftar.pdf", b"%PDF-1.4", "application/pdf")}
    )
    assert wrong.status_code == 200 and text("web.roster.error.type") in wrong.text

    huge = HEADER.encode() + b"\n" + b"x" * (8 * 1024 * 1024)
    too_big = await browser.post(
        form, data={"csrf": csrf}, files={"roster": ("daftar.csv", huge, "text/csv")}
    )
    assert too_big.status_code == 413


async def person_id_or_none(engine: AsyncEngine, nip: str) -> int | None:
    async with session_factory(engine)() as session:
        return await session.scalar(select(Person.id).where(Person.nip == nip))


async def person_id_or_none_by_telegram(engine: AsyncEngine) -> int | None:
    """The admin from the settings, recorded when they first wrote to the bot."""
    async with session_factory(engine)() as session:
        entry = await session.scalar(
            select(AuditEntry.actor_id).where(AuditEntry.action == "web.login")
        )
    return entry
