"""Edge cases found in review of the handlers: Telegram's limits and repeated button presses."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from documents import portfolio_pdf
from fakegram import FakeTelegram
from models import ProgressUpdate
from models.db import session_factory
from tests.conftest import ADMIN_ID
from tests.factories import HEADER, add_milestones, import_roster
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import join

# Long names with every academic title are allowed (200 characters in the roster).
MENTOR = "Prof. Dr. Ir. H. Bambang Wijaya Kusumanegara Adiningrat Purbonegoro, M.Sc., M.Si., IPU"
COACH = "Dr. Hj. Lina Marliani Kartikasari Wulandari Sekarningrum Pratiwi, S.Sos., M.Si., M.AP."
LONG_ROSTER = "\n".join(
    [
        HEADER,
        f'mentor,"{MENTOR}",197005051995031003,Pemprov Sumsel,Sekretaris Daerah,WIB,,,',
        f'coach,"{COACH}",197209092000122004,BPSDM Sumsel,Widyaiswara,WIB,,,',
        "peserta,Budi Santoso,198001152005011001,Dinas Kominfo,Kepala Bidang,WIB,"
        "197005051995031003,197209092000122004,Layanan Aduan Warga Terpadu",
    ]
)


async def test_a_report_at_every_limit_is_saved_and_its_receipt_fits_one_message(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    """The longest report text under the longest milestone title, to a mentor and coach with
    long names: the receipt plus the read-back must not break Telegram's 4096 limit, or the
    report, already relayed, would be rolled back and sent again on the next press."""
    team = await import_roster(engine, now, LONG_ROSTER)
    title = "Rapat koordinasi " + "t" * 283  # 300, the limit for a milestone title
    await add_milestones(engine, team["budi"].nip, now, [(title, 10)])
    budi = await join(bot, telegram, 1001, team["budi"].code)
    mentor = await join(bot, telegram, 1005, team["bambang"].code)
    await join(bot, telegram, 1006, team["lina"].code)

    chooser = await say(bot, budi, "/lapor")
    await press(bot, budi, chooser, chooser.button_texts[0])
    await say(bot, budi, "Kegiatan " + "x" * 3491)  # 3500, the limit for a report
    await press(bot, budi, budi.last, "Lewati")  # kendala
    await press(bot, budi, budi.last, "Lewati")  # rencana berikutnya
    await press(bot, budi, budi.last, "Lewati")
    await press(bot, budi, budi.last, "60%")
    relayed_before = len(mentor.inbox)
    await press(bot, budi, budi.last, "Kirim")

    async with session_factory(engine)() as session:
        saved = await session.scalar(select(func.count()).select_from(ProgressUpdate))
    assert saved == 1
    assert len(mentor.inbox) == relayed_before + 1
    assert budi.last.plain.startswith("✅ Laporan tersimpan")
    assert budi.last.button_texts == ["✏️ Koreksi laporan"]  # within 24 hours


async def test_a_failure_after_the_button_was_answered_is_still_told_in_the_chat(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The portfolio button is answered before the slow rendering; if rendering then fails,
    the error handler cannot answer the button a second time, so it says so in the chat."""
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    listing = await say(bot, bambang, "/peserta")
    await press(bot, bambang, listing, next(b for b in listing.button_texts if "Budi" in b))

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("font missing")

    monkeypatch.setattr(portfolio_pdf, "render_portfolio", broken)
    before = len(bambang.inbox)
    await press(bot, bambang, bambang.last, text("portfolio.button"))

    assert len(bambang.inbox) == before + 1
    assert bambang.last.plain == text("error.generic")


OTHER_COHORT = "PKN II Angkatan XXXVII"


@pytest.mark.parametrize("command, kind", [("/ekspor", "ex1"), ("/rekap", "rk1")])
async def test_a_cohort_button_pressed_twice_brings_no_error(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    command: str,
    kind: str,
) -> None:
    """A double tap sends the press twice; the second finds the message already edited to the
    same text ("message is not modified"), which is no error worth telling the admin."""
    await import_roster(engine, now)
    await import_roster(engine, now, cohort=OTHER_COHORT)
    admin = telegram.user(ADMIN_ID, "Yulia")
    chooser = await say(bot, admin, command)
    data = next(
        b["callback_data"]
        for row in chooser.reply_markup["inline_keyboard"]
        for b in row
        if b["text"] == OTHER_COHORT
    )
    assert data.startswith(kind)
    await press(bot, admin, chooser, OTHER_COHORT)
    files = [m for m in admin.inbox if m.kind in ("document", "photo")]

    await press_data(bot, admin, chooser, data)

    assert all(m.plain != text("error.generic") for m in admin.inbox)
    assert len([m for m in admin.inbox if m.kind in ("document", "photo")]) == len(files)
