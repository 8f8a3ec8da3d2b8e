"""A member's own settings and plans on WhatsApp, over real HTTP through fakewa: JEDA (pauses of
reminders and their cancel buttons), PROYEK (the project form and its buttons) and ZONA."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import ManualClock
from domain.dates import InvalidDate, parse_user_range
from domain.i18n import format_date, format_datetime, format_time
from domain.timezones import WIB, WIT, WITA
from fakewa import FakePerson, OutgoingMessage
from models import Milestone, Person, Project, Vacation
from tests.factories import Member, add_milestones, import_roster
from tests.integration.whatsapp_harness import WhatsAppBot, join, person_id, running_whatsapp, text
from whatsapp.keywords import whatsapp_translator

BUDI = "6281234567890"
NURHAYATI = "6281355556666"
T = whatsapp_translator("id")


def day(d: date) -> str:
    return format_date(d, None, "id")


@pytest.fixture
async def bot(engine: AsyncEngine, clock: ManualClock) -> AsyncIterator[WhatsAppBot]:
    async with running_whatsapp(engine, clock) as running:
        yield running


async def _joined(bot: WhatsAppBot, engine: AsyncEngine, now: datetime) -> dict[str, Member]:
    """Budi (WIB) and Nurhayati (WIT), both participants, joined on WhatsApp; Budi has two
    milestones (due in 10 and 30 days)."""
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    await join(bot, bot.wa.person(BUDI, "Budi"), team["budi"].code)
    await join(bot, bot.wa.person(NURHAYATI, "Nurhayati"), team["nurhayati"].code)
    return team


async def _vacations(bot: WhatsAppBot, nip: str) -> list[tuple[date, date]]:
    async with bot.sessions() as session:
        rows = await session.scalars(
            select(Vacation)
            .join(Person, Person.id == Vacation.person_id)
            .where(Person.nip == nip)
            .order_by(Vacation.starts_on)
        )
        return [(v.starts_on, v.ends_on) for v in rows]


def _forged(msg: OutgoingMessage, data: str) -> OutgoingMessage:
    """The message as if it had carried a button with `data` (a tampered client)."""
    return dataclasses.replace(msg, buttons=[(data, "Forged")])


async def test_jeda_records_lists_and_cancels_a_pause_only_for_its_owner(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await _joined(bot, engine, now)
    budi, nurhayati = bot.wa.person(BUDI, "Budi"), bot.wa.person(NURHAYATI, "Nurhayati")
    start, end = date(2026, 11, 3), date(2026, 11, 5)

    budi.send("JEDA 3/11 - 5/11")
    added = await budi.next_reply()
    assert (added.text or "").startswith(text("vacation.added", start=day(start), end=day(end)))
    assert added.button_titles == ["❌ Batalkan 3/11–5/11"]
    await bot.settle()
    assert await _vacations(bot, team["budi"].nip) == [(start, end)]

    budi.send("jeda")  # the word alone: the list, each pause with its cancel button
    listing = await budi.next_reply()
    assert (listing.text or "").startswith("⏸ *Jeda pengingat Bapak/Ibu*")
    assert f"{day(start)} s.d. {day(end)}" in (listing.text or "")
    assert listing.button_titles == ["❌ Batalkan 3/11–5/11"]

    # Someone else's tap on Budi's button, and forged ids: refused, nothing cancelled.
    nurhayati.press(listing, "❌ Batalkan 3/11–5/11")
    assert (await nurhayati.next_reply()).text == text("access.not_yours")
    budi.press(_forged(listing, "ct1:x:424242"), "Forged")
    assert (await budi.next_reply()).text == text("access.not_yours")
    budi.press(_forged(listing, "ct1:x:9999999999"), "Forged")
    assert (await budi.next_reply()).text == text("button.stale")
    await bot.settle()
    assert await _vacations(bot, team["budi"].nip) == [(start, end)]

    budi.press(listing, "❌ Batalkan 3/11–5/11")
    cancelled = await budi.next_reply()
    assert cancelled.text == text("vacation.cancelled") + "\n\n" + text("vacation.none")
    assert cancelled.button_titles == []
    await bot.settle()
    assert await _vacations(bot, team["budi"].nip) == []
    budi.press(listing, "❌ Batalkan 3/11–5/11")  # the old button once more: gone
    assert (await budi.next_reply()).text == text("access.not_yours")


async def test_jeda_across_the_year_lists_its_cancel_row_and_bad_dates_get_the_usage(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await _joined(bot, engine, now)
    budi = bot.wa.person(BUDI, "Budi")

    budi.send("CUTI")  # the older word; nothing recorded yet
    assert (await budi.next_reply()).text == text("vacation.none") + "\n\n" + text("vacation.usage")
    assert "JEDA 24/12 - 2/1" in text("vacation.usage")  # WhatsApp shows the keyword

    budi.send("jeda 24/12 - 2/1")
    added = await budi.next_reply()
    start, end = date(2026, 12, 24), date(2027, 1, 2)
    assert (added.text or "").startswith(text("vacation.added", start=day(start), end=day(end)))
    # "❌ Batalkan 24/12–2/1/2027" is too long for a button: a list row, whole in its description.
    assert added.buttons == [] and len(added.rows) == 1
    assert added.rows[0]["description"] == "❌ Batalkan 24/12–2/1/2027"
    await bot.settle()
    assert await _vacations(bot, team["budi"].nip) == [(start, end)]

    budi.choose(added, added.rows[0]["title"])
    assert (await budi.next_reply()).text == text("vacation.cancelled") + "\n\n" + text(
        "vacation.none"
    )

    for typed in ("JEDA 31/02", "JEDA kapan-kapan saja"):
        with pytest.raises(InvalidDate) as error:
            parse_user_range(typed.split(maxsplit=1)[1], today=now.date())
        budi.send(typed)
        expected = text(error.value.code, **error.value.params_for("id"))
        assert (await budi.next_reply()).text == expected + "\n\n" + text("vacation.usage")
    budi.send("JEDA 5/11 - 20/1")  # longer than a pause may last: the service's refusal
    assert (await budi.next_reply()).text == text("vacation.error.too_long", days=77, max=60)
    await bot.settle()
    assert await _vacations(bot, team["budi"].nip) == []

    # The Menu has the row; tapped, it is the keyword.
    budi.send("MENU")
    menu = await budi.next_reply()
    assert {"Proyek & tahapan", "Jeda pengingat"} <= set(menu.row_titles)
    budi.choose(menu, "Jeda pengingat")
    assert (await budi.next_reply()).text == text("vacation.none") + "\n\n" + text("vacation.usage")


async def _choose_row(person: FakePerson, msg: OutgoingMessage, starts: str) -> None:
    person.choose(msg, next(t for t in msg.row_titles if t.startswith(starts)))


async def test_proyek_shows_the_project_and_its_buttons_edit_a_date_and_the_title(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await _joined(bot, engine, now)
    budi, nurhayati = bot.wa.person(BUDI, "Budi"), bot.wa.person(NURHAYATI, "Nurhayati")

    budi.send("PROYEK")
    overview = await budi.next_reply()
    assert "Layanan Aduan Warga Terpadu" in (overview.text or "")
    assert "Uji coba aplikasi" in (overview.text or "")
    titles = overview.row_titles
    assert titles[:4] == ["✏️ Judul", "✏️ Rumusan masalah", "✏️ Tujuan", "➕ Tambah tahapan"]
    assert "✏️ Uji coba aplikasi" in titles

    # Nurhayati taps Budi's milestone row: not hers.
    await _choose_row(nurhayati, overview, "✏️ Uji coba")
    assert (await nurhayati.next_reply()).text == text("access.not_yours")
    budi.press(_forged(overview, "pj1:m:12:zz:9"), "Forged")
    assert (await budi.next_reply()).text == text("button.stale")

    # The milestone's menu, its date, the date read back and confirmed.
    await _choose_row(budi, overview, "✏️ Uji coba")
    menu = await budi.next_reply()
    assert "Tanggal target" in menu.row_titles
    budi.choose(menu, "Tanggal target")
    assert (await budi.next_reply()).text == text("milestone.ask.date")
    budi.send("15/12/2026")
    confirm = await budi.next_reply()
    assert day(date(2026, 12, 15)) in (confirm.text or "")
    budi.press(confirm, "Ya")
    # The read-back is not sent again without its buttons (WhatsApp cannot edit it).
    assert (await budi.next_reply()).text == text("project.saved")
    again = await budi.next_reply()  # the project as it is now
    assert day(date(2026, 12, 15)) in (again.text or "")

    # A project text through its row: typed anew and saved.
    budi.choose(again, "✏️ Judul")
    await budi.next_reply()  # the question
    budi.send("Aduan Warga Satu Pintu")
    assert (await budi.next_reply()).text == text("project.saved")
    await budi.next_reply()
    await bot.settle()

    budi_id = await person_id(bot, team["budi"].nip)
    async with bot.sessions() as session:
        project = await session.scalar(select(Project).where(Project.participant_id == budi_id))
        assert project is not None and project.title == "Aduan Warga Satu Pintu"
        due = await session.scalar(
            select(Milestone.due_on).where(
                Milestone.project_id == project.id, Milestone.title == "Uji coba aplikasi"
            )
        )
        assert due == date(2026, 12, 15)


async def test_zona_switches_to_wita_and_later_times_are_in_wita(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await _joined(bot, engine, now)
    budi = bot.wa.person(BUDI, "Budi")

    budi.send("zona")
    chooser = await budi.next_reply()
    assert chooser.text == text("zone.choose", current=format_datetime(now, WIB, "id"))
    wib, wita, wit = (format_time(now, zone, "id") for zone in (WIB, WITA, WIT))
    assert chooser.button_titles == [f"✓ {wib}", wita, wit]

    # A forged zone: refused, the zone stays.
    budi.press(_forged(chooser, "tz1:UTC"), "Forged")
    assert (await budi.next_reply()).text == text("button.stale")

    budi.press(chooser, wita)
    assert (await budi.next_reply()).text == text(
        "zone.changed", zone="WITA", now=format_datetime(now, WITA, "id")
    )
    await bot.settle()
    async with bot.sessions() as session:
        person = await session.get_one(Person, await person_id(bot, team["budi"].nip))
        assert person.timezone == "Asia/Makassar"

    # A time shown later is in WITA, and the choice is marked there.
    later = now.replace(hour=5)
    bot.clock.set(later)
    budi.send("ZONE")
    shown = await budi.next_reply()
    assert shown.text == text("zone.choose", current=format_datetime(later, WITA, "id"))
    assert "13.00 WITA" in (shown.text or "")
    assert shown.button_titles == [
        format_time(later, WIB, "id"),
        f"✓ {format_time(later, WITA, 'id')}",
        format_time(later, WIT, "id"),
    ]


async def test_help_names_the_keywords_and_an_examiner_may_not_pause_or_edit_a_project(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    team = await _joined(bot, engine, now)
    budi = bot.wa.person(BUDI, "Budi")
    budi.send("BANTUAN")
    guide = (await budi.next_reply()).text or ""
    for key in ("wa.help.project", "wa.help.pause", "wa.help.zone"):
        assert text(key) in guide

    teguh = bot.wa.person("6281377778888", "Teguh")
    await join(bot, teguh, team["teguh"].code)
    teguh.send("JEDA 3/11")
    roles = ", ".join(T(f"role.{r}") for r in ("mentor", "coach", "participant"))
    assert (await teguh.next_reply()).text == text("access.role_required", roles=roles)
    teguh.send("PROYEK")
    participant = T("role.participant")
    assert (await teguh.next_reply()).text == text("access.role_required", roles=participant)
    teguh.send("ZONA")  # every member has a zone
    assert len((await teguh.next_reply()).button_titles) == 3
    await bot.settle()
    assert await _vacations(bot, team["teguh"].nip) == []
