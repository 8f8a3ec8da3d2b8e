"""Each WhatsApp person in their own language and time zone, over real HTTP: a participant
switches to English with BAHASA and reports in English; people in WIB, WITA and WIT read the
same moment in their own zone, with its label."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import ManualClock
from domain.i18n import format_datetime, translator
from domain.markup import Markup, escape_params, to_plain, to_whatsapp
from domain.progress import progress_bar
from domain.report_body import report_body
from domain.text import MAX_REPORT_TEXT
from domain.timezones import WIB, WIT, WITA
from fakegram import TINY_JPEG
from fakewa import FakePerson
from models import Evidence, FormState, Person, ProgressUpdate
from services import projects, reports
from services.relays import excerpt
from tests.factories import HEADER, Member, add_milestones, import_roster, telegram_account
from tests.integration.whatsapp_harness import WhatsAppBot, join, person_id, running_whatsapp
from whatsapp.keywords import whatsapp_translator

BUDI = "6281234567890"
ANDI = "6281355554444"
NUR = "6282199998888"
BAMBANG = "6281122223333"
LINA = "6281177776666"
ID = whatsapp_translator("id")
EN = whatsapp_translator("en")
MILESTONE = "Rapat koordinasi tim efektif"


def markup(translate: Callable[..., str], key: str, **params: object) -> str:
    """A catalog text as markup, its parameters escaped as the adapter escapes them."""
    return translate(key, **escape_params(params))


def en(key: str, **params: object) -> str:
    """An English catalog text as WhatsApp shows it."""
    return to_whatsapp(markup(EN, key, **params))


def idn(key: str, **params: object) -> str:
    """An Indonesian catalog text as WhatsApp shows it."""
    return to_whatsapp(markup(ID, key, **params))


@pytest.fixture
async def bot(engine: AsyncEngine, clock: ManualClock) -> AsyncIterator[WhatsAppBot]:
    async with running_whatsapp(engine, clock) as running:
        yield running


# --- English ---------------------------------------------------------------------------------


async def test_bahasa_switches_to_english_and_the_whole_report_is_in_english(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    bambang = await person_id(bot, team["bambang"].nip)
    async with bot.sessions() as session, session.begin():
        mentor = await session.get_one(Person, bambang)
        mentor.accounts.append(telegram_account(7001))
        mentor.joined_at = mentor.consent_at = now
    budi = bot.wa.person(BUDI, "Budi")
    await join(bot, budi, team["budi"].code)

    budi.send("BAHASA")
    languages = await budi.next_reply()
    assert languages.text == idn("language.choose")
    assert languages.button_titles == ["✓ Bahasa Indonesia", "English"]
    budi.press(languages, "English")
    assert (await budi.next_reply()).text == en("language.changed")
    await bot.settle()
    budi_id = await person_id(bot, team["budi"].nip)
    async with bot.sessions() as session:
        assert (await session.get_one(Person, budi_id)).language == "en"

    budi.send("Report")  # the English keyword for LAPOR
    chooser = await budi.next_reply()
    assert chooser.text == en("report.choose_milestone")
    assert chooser.list_button == EN("wa.list.button")
    assert {r["section"] for r in chooser.rows} == {EN("wa.list.section")}
    budi.choose(chooser, chooser.row_titles[0])
    ask_text = await budi.next_reply()
    lead = markup(EN, "report.milestone_chosen", title=MILESTONE)
    question = markup(EN, "report.ask_text", limit=MAX_REPORT_TEXT)
    assert ask_text.text == to_whatsapp(f"{lead}\n\n{question}")

    budi.send("Briefed 12 agencies on the app.")
    obstacles = await budi.next_reply()
    assert obstacles.text == en("report.ask_obstacles", limit=MAX_REPORT_TEXT)
    assert obstacles.button_titles == [EN("report.button.skip")]
    budi.press(obstacles, "Skip")
    next_steps = await budi.next_reply()
    assert next_steps.text == en("report.ask_next_steps", limit=MAX_REPORT_TEXT)
    assert next_steps.button_titles == ["Skip"]
    budi.send("Pilot in two villages.")
    evidence = await budi.next_reply()
    assert evidence.text == en("report.ask_evidence", count=0)
    assert evidence.button_titles == ["Skip"]
    budi.send_image(TINY_JPEG, "Briefing")
    one_file = await budi.next_reply()
    assert one_file.text == en("report.ask_evidence", count=1)
    assert one_file.button_titles == [EN("report.button.done")]
    budi.send("done")  # the English keyword for SELESAI

    percent = await budi.next_reply()
    assert percent.text == en("report.ask_percent")
    assert percent.list_button == "Choose"
    more = to_plain(EN("wa.list.more_row"))
    assert percent.row_titles[:2] == ["0%", "10%"] and percent.row_titles[-1] == more
    budi.choose(percent, more)
    rest = await budi.next_reply()
    assert rest.text == en("wa.list.more", page=2, pages=2)
    assert rest.row_titles == ["90%", "100%"]
    budi.choose(percent, "60%")

    read_back = await budi.next_reply()
    body = report_body("Briefed 12 agencies on the app.", None, "Pilot in two villages.")
    summary = markup(
        EN,
        "report.summary",
        milestone=MILESTONE,
        text=Markup(markup(EN, body["key"], **body["params"])),
        photos=1,
        documents=0,
        bar=progress_bar(60),
    )
    assert read_back.text == to_whatsapp(f"{summary}\n\n{markup(EN, 'report.summary_question')}")
    assert read_back.button_titles == ["Send", "Change", "Cancel"]
    budi.press(read_back, EN("report.button.send"))

    receipt = await budi.next_reply()
    sent = markup(EN, "report.sent", names=f"Mentor {team['bambang'].name}", bar=progress_bar(60))
    assert receipt.text == to_whatsapp(f"{sent}\n\n{summary}")
    # Within WhatsApp's 20 characters: a reply button, as in Indonesian.
    assert receipt.button_titles == [EN("correction.button.correct")]
    await bot.settle()
    budi.press(receipt, EN("correction.button.correct"))
    correction = await budi.next_reply()
    assert correction.text == en(
        "correction.ask_text",
        milestone=MILESTONE,
        text=excerpt("Briefed 12 agencies on the app."),
        limit=MAX_REPORT_TEXT,
    )
    # Telegram's text names /batal; WhatsApp's names the keyword, in English.
    assert "/batal" in translator("en")("correction.ask_text", milestone="m", text="t", limit=1)
    assert "CANCEL" in (correction.text or "") and "/batal" not in (correction.text or "")
    budi.send("cancel")  # the English keyword for BATAL
    assert (await budi.next_reply()).text == en("conversation.cancelled")
    await bot.settle()

    async with bot.sessions() as session:
        report = await session.scalar(select(ProgressUpdate))
        assert report is not None and report.progress_percent == 60
        assert report.author_id == budi_id
        assert report.text == "Briefed 12 agencies on the app."
        assert report.next_steps == "Pilot in two villages." and report.obstacles is None
        assert len(list(await session.scalars(select(Evidence)))) == 1
        assert await session.scalar(select(FormState)) is None

    budi.send("Bahasa")  # the choice again, now in English with English marked
    again = await budi.next_reply()
    assert again.text == en("language.choose")
    assert again.button_titles == ["Bahasa Indonesia", "✓ English"]


# --- time zones --------------------------------------------------------------------------------

# Budi in Palembang (WIB), Andi in Makassar (WITA), Nurhayati in Sofifi (WIT); their mentor
# Bambang in Makassar (WITA), their coach Lina in Palembang (WIB).
ZONED_ROSTER = "\n".join(
    [
        HEADER,
        "mentor,Dr. Ir. Bambang Wijaya,197005051995031003,Pemprov Sulsel,Sekretaris Daerah,WITA,,,",
        "coach,Dr. Lina Marliani,197209092000122004,BPSDM Sumsel,Widyaiswara,WIB,,,",
        "peserta,Budi Santoso,198001152005011001,Dinas Kominfo,Kepala Bidang,WIB,"
        "197005051995031003,197209092000122004,Layanan Aduan Warga Terpadu",
        "peserta,Andi Makkasau,198105052006041003,Dinas Kominfo Sulsel,Kepala Seksi,WITA,"
        "197005051995031003,197209092000122004,Pelayanan Perizinan Daring",
        "peserta,Nurhayati Umasugi,198203102006042002,Dinkes Malut,Kepala Seksi,WIT,"
        "197005051995031003,197209092000122004,Posyandu Digital",
    ]
)
PARTICIPANTS: dict[str, tuple[str, ZoneInfo, str]] = {
    "budi": (BUDI, WIB, "WIB"),
    "andi": (ANDI, WITA, "WITA"),
    "nurhayati": (NUR, WIT, "WIT"),
}


def labels_in(text: str | None) -> set[str]:
    """The zone labels a text names (WIT is not read inside WITA)."""
    return set(re.findall(r"\b(WIB|WITA|WIT)\b", text or ""))


async def test_the_consent_time_at_joining_is_in_each_person_s_zone(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now, ZONED_ROSTER)
    # 01:00 UTC: 08.00 in Palembang, 09.00 in Makassar, 10.00 in Sofifi.
    expected = {"budi": "08.00 WIB", "andi": "09.00 WITA", "nurhayati": "10.00 WIT"}
    for handle, (wa_id, zone, label) in PARTICIPANTS.items():
        person = bot.wa.person(wa_id, handle.title())
        recorded, _, _ = await join(bot, person, team[handle].code)
        assert recorded.text == idn("consent.recorded", at=format_datetime(now, zone, "id"))
        assert expected[handle] in (recorded.text or "")
        assert labels_in(recorded.text) == {label}
    async with bot.sessions() as session:
        andi = await session.get_one(Person, await person_id(bot, team["andi"].nip))
        nur = await session.get_one(Person, await person_id(bot, team["nurhayati"].nip))
        assert (andi.timezone, nur.timezone) == ("Asia/Makassar", "Asia/Jayapura")


async def _approved_at(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime, team: dict[str, Member], at: datetime
) -> None:
    """Each participant's first milestone reported at 100 % and approved by the mentor, all
    at the same moment `at`."""
    mentor = await person_id(bot, team["bambang"].nip)
    for handle in PARTICIPANTS:
        nip = team[handle].nip
        milestones = await add_milestones(engine, nip, now)
        async with bot.sessions() as session, session.begin():
            report, _ = await reports.submit_report(
                session,
                await person_id(bot, nip),
                milestones[0],
                text="Rapat tim selesai.",
                percent=100,
                evidence=[],
                now=at,
            )
            await reports.approve(session, mentor, report.update_id, at)


async def test_status_shows_the_approval_time_in_the_participant_s_zone(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now, ZONED_ROSTER)
    people: dict[str, FakePerson] = {}
    for handle, (wa_id, _, _) in PARTICIPANTS.items():
        people[handle] = bot.wa.person(wa_id, handle.title())
        await join(bot, people[handle], team[handle].code)
    at = now + timedelta(hours=5, minutes=30)  # 06:30 UTC
    await _approved_at(bot, engine, now, team, at)

    expected = {"budi": "13.30 WIB", "andi": "14.30 WITA", "nurhayati": "15.30 WIT"}
    for handle, (_, zone, label) in PARTICIPANTS.items():
        person = people[handle]
        person.send("STATUS")
        status = await person.next_reply()
        approved = idn("status.approved", name=team["bambang"].name, at="@").split("@")[0]
        assert f"{approved}{to_whatsapp(format_datetime(at, zone, 'id'))}" in (status.text or "")
        assert expected[handle] in (status.text or "")
        # The target dates too carry the person's own zone, and no other zone is named.
        assert f"({label})" in (status.text or "")
        assert labels_in(status.text) == {label}


async def test_advisors_read_the_last_report_time_in_their_own_zone(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now, ZONED_ROSTER)
    await add_milestones(engine, team["budi"].nip, now)
    bambang = bot.wa.person(BAMBANG, "Bambang")
    lina = bot.wa.person(LINA, "Lina")
    await join(bot, bambang, team["bambang"].code)
    await join(bot, lina, team["lina"].code)
    budi = await person_id(bot, team["budi"].nip)
    at = now + timedelta(hours=5, minutes=30)  # 06:30 UTC
    async with bot.sessions() as session, session.begin():
        milestone = (await projects.reportable_milestones(session, budi))[0]
        await reports.submit_report(
            session, budi, milestone.id, text="Rapat tim.", percent=40, evidence=[], now=at
        )

    for advisor, zone, label, clock_text in (
        (bambang, WITA, "WITA", "14.30 WITA"),
        (lina, WIB, "WIB", "13.30 WIB"),
    ):
        advisor.send("PESERTA")
        advisees = await advisor.next_reply()
        shown = advisees.text or ""
        assert to_whatsapp(format_datetime(at, zone, "id")) in shown
        assert clock_text in shown
        assert labels_in(shown) == {label}
