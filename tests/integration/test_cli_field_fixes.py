"""What a real cohort's organizers tripped over on the command line and in the export."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.cli_broadcast import broadcast
from bot.settings import Settings
from documents.export_tables import export_tables
from domain.clock import ManualClock
from domain.enums import OutboxStatus
from domain.i18n import translator
from models import OutboxMessage
from models.db import session_factory
from services.cohorts import find_cohort
from services.errors import UnknownCohort
from services.exports import cohort_export
from tests.factories import COHORT, import_roster
from tests.integration.helpers import text
from tests.integration.stories import cli_args

WIB = ZoneInfo("Asia/Jakarta")


async def _outbox(engine: AsyncEngine) -> list[OutboxMessage]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_broadcast_before_anyone_joined_waits_for_them_and_says_so(
    engine: AsyncEngine,
    database_url: str,
    now: datetime,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await import_roster(engine, now)  # nobody has joined
    args = cli_args("--cohort", COHORT, "--text", "Selamat datang di PKP.", "--yes")

    assert (
        await broadcast(args, Settings(database_url=database_url), translator("id"), clock=clock)
        == 0
    )

    out = capsys.readouterr().out
    queued = await _outbox(engine)
    assert len(queued) == 6 and {m.status for m in queued} == {OutboxStatus.PENDING}
    assert text("cli.broadcast.queued_waiting", count=6) in out
    # Created by the injected clock, like everything else it records (the demo runs on one).
    assert {m.created_at for m in queued} == {now}


async def test_the_delivery_log_in_the_export_speaks_words_not_codes(
    engine: AsyncEngine, database_url: str, now: datetime, clock: ManualClock
) -> None:
    await import_roster(engine, now)
    args = cli_args("--cohort", COHORT, "--text", "Libur nasional.", "--yes")
    await broadcast(args, Settings(database_url=database_url), translator("id"), clock=clock)

    async with session_factory(engine)() as session:
        export = await cohort_export(session, COHORT, now)
    for language in ("id", "en"):
        (log,) = [t for t in export_tables(export, language, WIB) if t.key == "deliveries"]
        kinds = {row[2] for row in log.rows}
        messages = {row[3] for row in log.rows}
        word = translator(language)("export.delivery_kind.broadcast")
        assert kinds == {word} and messages == {word}
        assert {row[4] for row in log.rows} == {
            translator(language)("export.delivery_status.pending")
        }


def test_seminar_messages_and_every_outbox_kind_have_words() -> None:
    from documents.export_tables import delivery_kind, delivery_message
    from services import broadcasts, reminders, seminar_materials, seminars

    kinds = [
        reminders.KIND_MILESTONE,
        reminders.KIND_NUDGE,
        reminders.KIND_FEEDBACK,
        reminders.KIND_ESCALATION,
        reminders.KIND_DIGEST,
        reminders.KIND_SEMINAR_MATERIALS,
        seminars.OUTBOX_KIND,
        seminar_materials.OUTBOX_KIND,
        broadcasts.KIND,
        "notice",
    ]
    for language in ("id", "en"):
        t = translator(language)
        for kind in kinds:
            assert delivery_kind(t, kind) != kind
        shown = delivery_message(t, "seminar.msg.d7_mentor", "seminar")
        assert shown == t("export.delivery_message.seminar.msg.d7_mentor")
        assert "seminar.msg" not in shown


async def test_a_cohort_name_is_found_in_any_case_and_a_typo_gets_a_suggestion(
    engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    await import_roster(engine, now, cohort="PKN II Angkatan XXXVII")
    async with session_factory(engine)() as session:
        assert (await find_cohort(session, "pkp angkatan iv")).name == COHORT
        with pytest.raises(UnknownCohort) as typo:
            await find_cohort(session, "PKP Angkatn IV")
        with pytest.raises(UnknownCohort) as unknown:
            await find_cohort(session, "Diklat Lain Sekali")
    known = f"PKN II Angkatan XXXVII, {COHORT}"
    assert typo.value.key == "error.cohort.unknown_suggest"
    assert typo.value.params == {"name": "PKP Angkatn IV", "suggestion": COHORT, "known": known}
    assert unknown.value.key == "error.cohort.unknown_list"
    assert unknown.value.params == {"name": "Diklat Lain Sekali", "known": known}


def test_a_command_in_a_folder_without_the_database_refuses_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///properbot.db")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")

    assert main(["invites", "--cohort", COHORT]) == 2

    err = capsys.readouterr().err.strip()
    assert err == text("cli.error.no_database", path="properbot.db", url="sqlite:///properbot.db")
    assert not (tmp_path / "properbot.db").exists()
    # `db upgrade` may create it, and then the command runs (and finds no such cohort).
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "properbot.db").exists()
    assert main(["invites", "--cohort", COHORT]) == 2
    assert capsys.readouterr().err.strip() == text("error.cohort.unknown", name=COHORT)


def test_commands_do_not_print_alembic_info_lines(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'properbot.db'}",
        "LOG_LEVEL": "INFO",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "alembic" not in done.stderr.lower()
