"""The cohort overview: each person who has not joined gets the link of the channel the roster
names (both when it names none), a QR code of each link to scan from the screen, and a ready
invitation text; each mentor and coach has their response times."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import Cohort
from models.db import session_factory
from tests.conftest import ADMIN_ID
from tests.factories import SMALL_ROSTER, import_roster
from tests.integration.helpers import press, say, text
from tests.integration.stories import cohort_id as cohort_named
from tests.integration.stories import followup_cast, lapor
from tests.integration.web_desk_client import (  # noqa: F401 (the fixtures)
    browsers_fixture,
    desk_app_fixture,
    desk_settings,
    sign_in,
)

COHORT = "PKN II Angkatan XLI"
MENTOR = "196608121992031004"
ROSTER = (
    "Peran;Nama;NIP;NIP Mentor;No. HP;Kanal\n"
    f"mentor;Dr. Bambang Wijaya;{MENTOR};;+62 812-1111-2222;Telegram\n"
    f"peserta;Siti Rahma;198703152010012001;{MENTOR};0813-3333-4444;WhatsApp\n"
    f"peserta;Budi Santoso;197501011999031002;{MENTOR};;\n"
)
WA = "https://wa.me/6281110002000?text="


def invitation_of(page: str, name: str) -> str:
    """The <details> block of one person's invitation."""
    blocks = re.findall(r'<details class="invitation">(.*?)</details>', page, re.S)
    return next(b for b in blocks if name in b)


async def test_each_invitation_has_its_channels_links_with_a_qr_code_each(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, browsers: Any
) -> None:
    team = await import_roster(engine, now, roster=ROSTER, cohort=COHORT)
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
    browser = browsers()
    assert (await sign_in(bot, telegram.user(ADMIN_ID, "Yulia"), browser)).status_code == 303

    page = await browser.get(f"/dasbor/angkatan/{cohort_id}")
    assert page.status_code == 200
    telegram_link = "https://t.me/properbot_test_bot?start={}"

    siti = invitation_of(page.text, "Siti Rahma")  # WhatsApp on the roster: only wa.me
    siti_link = WA + quote(f"DAFTAR {team['siti'].code}")
    assert html.escape(siti_link) in siti and "t.me/" not in siti
    assert siti.count('<svg width="') == 1 and 'class="qr"' in siti
    assert text("web.invite.qr.whatsapp") in siti
    # The text to copy carries the same link.
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", siti, re.S)
    assert textarea is not None and html.escape(siti_link) in textarea.group(1)

    bambang = invitation_of(page.text, "Bambang Wijaya")  # Telegram on the roster
    assert html.escape(telegram_link.format(team["bambang"].code)) in bambang
    assert "wa.me/" not in bambang and bambang.count('<svg width="') == 1

    budi = invitation_of(page.text, "Budi Santoso")  # no channel: both, each with its code
    assert html.escape(telegram_link.format(team["budi"].code)) in budi
    assert html.escape(WA + quote(f"DAFTAR {team['budi'].code}")) in budi
    assert budi.count('<svg width="') == 2
    assert "Telegram: " in budi and "WhatsApp: " in budi  # the text names each link
    # Inline SVG only: the page's policy still refuses images from anywhere else.
    assert "img-src 'self'" in page.headers["content-security-policy"]


def row_of(page: str, name: str) -> list[str]:
    """The cells of the response-times row naming `name`, tags stripped."""
    table = re.search(r'<table class="response-times">(.*?)</table>', page, re.S)
    assert table is not None
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S):
        if name in row:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            return [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
    raise AssertionError(f"no row for {name}")


async def test_each_advisor_has_answered_median_and_waiting_on_the_overview(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    clock: ManualClock,
    browsers: Any,
) -> None:
    budi, bambang, _lina, _nur, _, _ = await followup_cast(bot, telegram, engine, now)
    await lapor(bot, budi, "Rapat koordinasi dengan camat.")
    relay = bambang.last
    clock.advance(timedelta(hours=3))
    await press(bot, bambang, relay, "💬 Beri umpan balik")
    await say(bot, bambang, "Bagus, lanjutkan.")
    await lapor(bot, budi, "Sosialisasi di kelurahan.")
    clock.advance(timedelta(hours=50))
    browser = browsers()
    assert (await sign_in(bot, telegram.user(ADMIN_ID, "Yulia"), browser)).status_code == 303

    page = await browser.get(f"/dasbor/angkatan/{await cohort_named(engine)}")

    assert text("web.cohort.response_title") in page.text
    # Bambang: one of Budi's two reports answered, after three hours; the other waits.
    assert row_of(page.text, "Bambang") == [
        f"Dr. Ir. Bambang Wijaya {text('role.mentor')}",
        "2",
        text("web.response.of", answered=1, reports=2),
        "3 jam",
        "1",
        "2 hari",
    ]
    # Lina, the coach, answered neither: both wait, the older for 53 hours.
    lina = row_of(page.text, "Lina")
    assert lina[2:] == [text("web.response.of", answered=0, reports=2), "-", "2", "2 hari"]


async def test_an_organizer_who_chose_english_reads_the_desk_in_english(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, browsers: Any
) -> None:
    await import_roster(engine, now, roster=ROSTER, cohort=COHORT)
    admin = telegram.user(ADMIN_ID, "Yulia")
    chooser = await say(bot, admin, "/bahasa")
    await press(bot, admin, chooser, "English")
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303

    page = await browser.get(f"/dasbor/angkatan/{await cohort_named(engine, COHORT)}")

    assert '<html lang="en">' in page.text
    for key in ("web.cohort.pending_title", "web.cohort.response_title", "web.cohort.progress"):
        assert text(key, "en") in page.text and text(key) not in page.text
    assert text("web.invite.qr.whatsapp", "en") in page.text
    siti = invitation_of(page.text, "Siti Rahma")
    assert "Dear Siti Rahma," in siti and "Yth." not in siti


LATE_JOINER = (
    "peserta,Rahmat Hidayat,198807072012121003,Bappeda,Kepala Subbidang,WIB,"
    "197005051995031003,197209092000122004,Data Terpadu"
)


def participant_names(page: str) -> list[str]:
    table = re.search(r'<table class="sortable">(.*?)</table>', page, re.S)
    assert table is not None
    return re.findall(r'<a href="/dasbor/peserta/\d+">([^<]+)</a>', table.group(1))


async def test_the_overview_filters_who_has_not_joined_is_late_or_waits(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, browsers: Any
) -> None:
    budi, _bambang, _lina, _nur, _, _ = await followup_cast(bot, telegram, engine, now)
    await lapor(bot, budi, "Rapat koordinasi dengan camat.")
    # A third participant, on the roster but not joined yet.
    await import_roster(engine, now, roster=SMALL_ROSTER + "\n" + LATE_JOINER)
    browser = browsers()
    assert (await sign_in(bot, telegram.user(ADMIN_ID, "Yulia"), browser)).status_code == 303
    overview = f"/dasbor/angkatan/{await cohort_named(engine)}"

    everyone = participant_names((await browser.get(overview)).text)
    assert everyone == ["Budi Santoso", "Nurhayati Umasugi", "Rahmat Hidayat"]
    waiting = await browser.get(overview, params={"tampil": "menunggu"})
    assert participant_names(waiting.text) == ["Budi Santoso"]
    assert 'aria-current="true" class="current">' + text("web.filter.menunggu") in waiting.text
    not_joined_page = await browser.get(overview, params={"tampil": "belum_gabung"})
    assert participant_names(not_joined_page.text) == ["Rahmat Hidayat"]
    late = await browser.get(overview, params={"tampil": "terlambat"})
    assert participant_names(late.text) == [] and text("web.filter.nobody") in late.text
    # Sorting keeps the filter, and an unknown filter shows everyone.
    assert "tampil=menunggu&amp;urut=progress" in waiting.text
    unknown = await browser.get(overview, params={"tampil": "<script>"})
    assert participant_names(unknown.text) == everyone and "<script>" not in unknown.text
