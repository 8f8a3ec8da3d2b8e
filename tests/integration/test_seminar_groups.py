"""Seminar groups come from the roster: an organizer imports them, announces to one group,
moves a participant with an edited file, and the group shows in the export and in /profil."""

from __future__ import annotations

import argparse
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli_broadcast import add_parser, broadcast
from bot.harness import RunningBot
from bot.settings import Settings
from documents.xlsx_export import render_xlsx
from domain.clock import ManualClock
from domain.cohort_csv import parse_cohort_csv
from domain.i18n import translator
from domain.timezones import WIB
from fakegram import FakeTelegram
from models import Membership, Person
from models.db import session_factory
from services import broadcasts
from services.cohorts import ImportSummary, import_cohort, invites_for
from services.exports import cohort_export
from tests.factories import telegram_account
from tests.integration.helpers import press, say, text

SAMPLE = Path(__file__).parents[2] / "bot" / "samples" / "pkn2-sumsel-angkatan-xxxvii.csv"
COHORT = "PKN II Angkatan XXXVII"

SRI = "197203181998032005"  # group 1, mentor Bambang, coach Lina
RINA = "197809302003122004"  # group 1, mentor Bambang, coach Agus
FADLI = "197904272005011003"  # group 2, mentor Rusdi, coach Lina
NURHAYATI = "198108172006042002"  # group 2, mentor Rusdi, coach Lina
BAMBANG = "196608121992031004"
RUSDI = "196801201994121002"
TEGUH = "196503051990031001"  # the examiner, in no group


async def run_import(engine: AsyncEngine, data: bytes, now: datetime) -> ImportSummary:
    rows = parse_cohort_csv(data, default_zone=WIB, today=date(2026, 11, 2))
    async with session_factory(engine)() as session, session.begin():
        return await import_cohort(session, COHORT, rows, now=now, actor_label="test")


async def groups_by_nip(engine: AsyncEngine) -> dict[str, str | None]:
    async with session_factory(engine)() as session:
        result = await session.execute(
            select(Person.nip, Membership.seminar_group).join(
                Membership, Membership.person_id == Person.id
            )
        )
        return {nip: group for nip, group in result.tuples() if nip}


async def mark_joined(engine: AsyncEngine, now: datetime, *nips: str) -> None:
    """As if they had redeemed their invites (the onboarding itself is tested elsewhere)."""
    async with session_factory(engine)() as session, session.begin():
        for index, nip in enumerate(nips, start=1):
            person = await session.scalar(select(Person).where(Person.nip == nip))
            assert person is not None
            # Joining again (a later call) keeps their one account, as onboarding would.
            if not person.accounts:
                person.accounts.append(telegram_account(7000 + index))
            person.joined_at = now


def edited_sample(moves: dict[str, str]) -> bytes:
    """The sample with some people's seminar group cell (the last column) replaced."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        cells = line.split(";")
        nip = cells[2].replace(" ", "")
        if nip in moves:
            cells[-1] = moves[nip]
        out.append(";".join(cells))
    return ("\n".join(out) + "\n").encode()


def cli_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="properbot")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["broadcast", *argv])


async def test_the_sample_files_its_participants_in_two_groups_and_reimporting_changes_nothing(
    engine: AsyncEngine, now: datetime
) -> None:
    await run_import(engine, SAMPLE.read_bytes(), now)

    groups = await groups_by_nip(engine)
    assert sorted(g for g in groups.values() if g) == ["1"] * 5 + ["2"] * 5
    assert groups[SRI] == groups[RINA] == "1" and groups[FADLI] == groups[NURHAYATI] == "2"
    assert groups[BAMBANG] is None and groups[TEGUH] is None
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Membership.cohort_id).limit(1))
        assert cohort_id is not None
        assert await broadcasts.seminar_groups(session, cohort_id) == ["1", "2"]

    again = await run_import(engine, SAMPLE.read_bytes(), now)
    assert not again.changed and again.memberships_changed == 0


async def test_an_announcement_to_one_group_previews_only_that_groups_people(
    engine: AsyncEngine,
    database_url: str,
    now: datetime,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await run_import(engine, SAMPLE.read_bytes(), now)
    # Sri (group 1) and Fadli (group 2) joined, with their mentors; the rest did not.
    await mark_joined(engine, now, SRI, FADLI, BAMBANG, RUSDI)
    settings = Settings(database_url=database_url)
    t = translator("id")

    argv = ("--cohort", COHORT, "--text", "Bahan seminar kelompok 2 dikirim Jumat.")
    assert await broadcast(cli_args(*argv, "--seminar-group", "2"), settings, t, clock=clock) == 0
    out = capsys.readouterr().out
    # Group 2: its participant Fadli, his mentor Rusdi and Bambang, who mentors Abdul Karim in
    # group 2; Sri (group 1) is not in it.
    assert "Penerima: 3 orang (Peserta 1, Mentor 2); grup Telegram: 0." in out
    assert text("cli.broadcast.seminar_group", name="2") in out
    not_joined = next(line for line in out.splitlines() if line.startswith("Belum bergabung"))
    for name in ("Nurhayati", "Taher", "Salmawati", "Abdul Karim", "Lina", "Agus"):
        assert name in not_joined
    for name in ("Sri Wahyuni", "Ridwan", "Hendra", "Rina", "Yusuf", "Dewi", "Teguh"):
        assert name not in out
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Membership.cohort_id).limit(1))
        assert cohort_id is not None
        plan = await broadcasts.resolve_audience(
            session,
            cohort_id,
            broadcasts.Audience(roles=frozenset(broadcasts.AUDIENCE_ROLES), seminar_group="2"),
        )
    assert sorted(r.name for r in plan.recipients) == [
        "Dr. Ir. H. Bambang Suprapto Wijaya, M.M.",
        "Drs. Rusdi Hi. Muhammad, M.Si.",
        "Fadli Sangaji, S.Sos., M.Si.",
    ]

    # Group 1 reaches Sri and Bambang, not Fadli or Rusdi (no mentee in group 1).
    assert await broadcast(cli_args(*argv, "--seminar-group", "1"), settings, t, clock=clock) == 0
    out = capsys.readouterr().out
    assert "Penerima: 2 orang (Peserta 1, Mentor 1)" in out
    assert "Fadli" not in out and "Rusdi" not in out and "Nurhayati" not in out
    assert "Ridwan" in out and "Dewi" in out  # not joined: listed by name


async def test_an_edited_roster_moves_a_participant_and_an_empty_cell_clears_the_group(
    engine: AsyncEngine, now: datetime
) -> None:
    await run_import(engine, SAMPLE.read_bytes(), now)

    moved = await run_import(engine, edited_sample({SRI: "2", RINA: "", TEGUH: "2"}), now)
    assert moved.memberships_changed == 3 and moved.people_updated == 0
    groups = await groups_by_nip(engine)
    assert groups[SRI] == "2" and groups[RINA] is None and groups[TEGUH] == "2"
    assert groups[FADLI] == "2"

    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Membership.cohort_id).limit(1))
        assert cohort_id is not None
        plan = await broadcasts.resolve_audience(
            session,
            cohort_id,
            broadcasts.Audience(roles=frozenset(broadcasts.AUDIENCE_ROLES), seminar_group="1"),
        )
    names = {r.name for r in plan.not_joined}
    assert not any("Sri Wahyuni" in n or "Rina" in n or "Teguh" in n for n in names)
    assert len([n for n in names if "Ridwan" in n or "Hendra" in n or "Yusuf" in n]) == 3

    # A file without the column leaves the groups as they are.
    without = "\n".join(
        line.rsplit(";", 1)[0] for line in SAMPLE.read_text(encoding="utf-8").splitlines()
    )
    kept = await run_import(engine, (without + "\n").encode(), now)
    assert kept.memberships_changed == 0
    assert await groups_by_nip(engine) == groups


async def test_the_export_and_profil_show_the_seminar_group(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await run_import(engine, SAMPLE.read_bytes(), now)

    async with session_factory(engine)() as session:
        export = await cohort_export(session, COHORT, now)
    assert {p.nip: p.seminar_group for p in export.participants}[FADLI] == "2"
    book = load_workbook(io.BytesIO(render_xlsx(export, "id", WIB)))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    column = header.index("Kelompok seminar")
    values = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(values) == ["1"] * 5 + ["2"] * 5

    async with session_factory(engine)() as session:
        code = next(line.code for line in await invites_for(session, COHORT) if line.nip == FADLI)
    user = telegram.user(3101, "Fadli")
    consent = await say(bot, user, f"/start {code}")
    await press(bot, user, consent, "Setuju")
    reply = await say(bot, user, "/profil")
    assert (
        text("profile.membership_in_group", role="Peserta", cohort=COHORT, group="2") in reply.plain
    )
