"""The web desk's cohort settings and audit log: an organizer changes the reminder offsets and
the send hour in a form, the next reminder sweep follows them, and the change is in the audit
log, which the organizer filters and downloads as CSV. Nobody else reaches either page."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import Cohort, OutboxMessage
from models.db import session_factory
from services import audit
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, add_milestones, import_roster
from tests.integration.helpers import text
from tests.integration.stories import EXPORT_ROSTER as OTHER_ROSTER
from tests.integration.stories import OTHER_COHORT, join
from tests.integration.web_desk_client import (  # noqa: F401 (the fixtures)
    Browser,
    audits,
    browsers_fixture,
    desk_app_fixture,
    desk_settings,
    sign_in,
)

DEFAULT_FORM = {
    "before_days": "7, 3, 1",
    "overdue": "1",
    "send_at": "08.00",
    "quiet_start": "21.00",
    "quiet_end": "06.00",
    "nudge_after_days": "7",
    "feedback_after_days": "3",
    "escalate_after_days": "3",
    "seminar_materials_days": "3",
    "digest_weekday": "0",
    "digest_at": "08.00",
    "project_term": "",
    "language": "",
    "timezone": "",
}


def shown_form(page: httpx.Response) -> dict[str, str]:
    """The form's values as the page fills them in (text inputs and chosen options)."""
    found = dict(
        re.findall(
            r'<input id="(\w+)" name="\w+" type="(?:text|number)" value="([^"]*)"', page.text
        )
    )
    for name, block in re.findall(r'<select id="(\w+)".*?>(.*?)</select>', page.text, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', block)
        found[name] = chosen.group(1) if chosen else ""
    if re.search(r'id="overdue"[^>]*checked', page.text):
        found["overdue"] = "1"
    return found


async def cohort_id(engine: AsyncEngine, name: str = COHORT) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Cohort.id).where(Cohort.name == name))
    assert found is not None
    return int(found)


async def reminder_keys(engine: AsyncEngine, milestone_id: int) -> list[str]:
    async with session_factory(engine)() as session:
        return list(
            await session.scalars(
                select(OutboxMessage.dedup_key).where(
                    OutboxMessage.dedup_key.startswith(f"ms:{milestone_id}:")
                )
            )
        )


async def test_a_changed_setting_is_followed_by_the_next_reminder_sweep_and_audited(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    clock: ManualClock,
    browsers: Any,
) -> None:
    team = await import_roster(engine, now)
    soon, _later = await add_milestones(engine, team["budi"].nip, now)  # in 10 and 30 days
    await join(bot, telegram, 1001, team["budi"].code)
    admin = telegram.user(ADMIN_ID, "Yulia")
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303
    form = f"/dasbor/angkatan/{await cohort_id(engine)}/pengaturan"

    # The form shows the defaults in force.
    page = await browser.get(form)
    assert page.status_code == 200 and shown_form(page) == DEFAULT_FORM
    csrf = await browser.csrf()

    # With the defaults, nothing is due today for a milestone ten days away.
    await bot.sweep()
    assert await reminder_keys(engine, soon) == []

    # A typo is refused field by field, nothing saved, and the form comes back as typed.
    typo = {**DEFAULT_FORM, "before_days": "10, 0", "send_at": "22.00", "csrf": csrf}
    refused = await browser.post(form, data=typo)
    assert refused.status_code == 200
    assert text("web.settings.error.offsets", max=60) in refused.text
    assert text("web.settings.error.quiet", start="21.00", end="06.00") in refused.text
    assert shown_form(refused)["before_days"] == "10, 0"
    assert await audits(engine, "cohort.settings") == []

    # Ten days ahead and at 09.00 from now on.
    changed = {**DEFAULT_FORM, "before_days": "10, 3", "send_at": "09.00", "csrf": csrf}
    saved = await browser.post(form, data=changed)
    assert saved.status_code == 200 and text("web.settings.saved") in saved.text
    assert shown_form(saved)["before_days"] == "10, 3" and shown_form(saved)["send_at"] == "09.00"
    (entry,) = await audits(engine, "cohort.settings")
    assert entry.details == {
        "changed": {"before_days": ["7, 3, 1", "10, 3"], "send_at": ["08.00", "09.00"]}
    }
    assert entry.actor_id is not None and entry.cohort_id == await cohort_id(engine)

    # 08.00 WIB: not yet. 09.00 WIB: the ten-day reminder for Budi's milestone.
    await bot.sweep()
    assert await reminder_keys(engine, soon) == []
    clock.advance(timedelta(hours=1))
    result = await bot.sweep()
    assert result.invalid_settings == []
    (key,) = await reminder_keys(engine, soon)
    assert key.startswith(f"ms:{soon}:before10:")

    # An hour later the session has timed out; signed in again, saving the same values
    # changes nothing and audits nothing.
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303
    csrf = await browser.csrf()
    changed["csrf"] = csrf
    again = await browser.post(form, data=changed)
    assert text("web.settings.unchanged") in again.text
    assert len(await audits(engine, "cohort.settings")) == 1

    # Back to the defaults: the stored settings are empty again.
    await browser.post(form, data={**DEFAULT_FORM, "csrf": csrf})
    async with session_factory(engine)() as session:
        stored = await session.scalar(select(Cohort.settings).where(Cohort.name == COHORT))
    assert stored == {}


async def test_the_organizer_filters_the_audit_log_and_downloads_it(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    browsers: Any,
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303
    cohort = await cohort_id(engine)
    csrf = await browser.csrf()
    await browser.post(
        f"/dasbor/angkatan/{cohort}/pengaturan",
        data={**DEFAULT_FORM, "project_term": "aksi_perubahan", "timezone": "WIT", "csrf": csrf},
    )
    async with session_factory(engine)() as session, session.begin():
        # What a spreadsheet would run as a formula, in a label someone typed.
        audit.record(session, "invite.list", at=now, actor_label="=HYPERLINK(1)", cohort_id=cohort)
    log = f"/dasbor/angkatan/{cohort}/log"

    page = await browser.get(log)
    assert page.status_code == 200
    for action in ("cohort.import", "cohort.settings", "invite.list"):
        assert f"<code>{action}</code>" in page.text
    assert "aksi_perubahan" in page.text and "Asia/Jayapura" not in page.text  # WIT shown

    only = await browser.get(log, params={"aksi": "cohort.settings"})
    assert "<code>cohort.settings</code>" in only.text
    assert "<code>cohort.import</code>" not in only.text
    by_actor = await browser.get(log, params={"pelaku": "test"})
    assert "<code>cohort.import</code>" in by_actor.text
    assert "<code>cohort.settings</code>" not in by_actor.text
    tomorrow = (now + timedelta(days=1)).date().isoformat()
    assert text("web.audit.empty") in (await browser.get(log, params={"dari": tomorrow})).text
    bad = await browser.get(log, params={"dari": "kemarin"})
    assert bad.status_code == 200 and text("web.audit.bad_date") in bad.text

    download = await browser.get(f"{log}.csv", params={"aksi": "invite.list"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert download.content.startswith("\ufeff".encode())
    header, *rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert header == [
        text("web.audit.column.at_zone", zone="WIB"),
        text("web.audit.column.actor"),
        text("web.audit.column.action"),
        text("web.audit.column.details"),
    ]
    assert [(row[1], row[2]) for row in rows] == [("'=HYPERLINK(1)", "invite.list")]
    (exported,) = await audits(engine, "audit.export")
    assert exported.cohort_id == cohort and exported.details == {"rows": 1, "filtered": True}


async def test_every_organizer_page_is_the_cohorts_organizers_only(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    clock: ManualClock,
    browsers: Any,
) -> None:
    team = await import_roster(engine, now)
    other = await import_roster(engine, now, roster=OTHER_ROSTER, cohort=OTHER_COHORT)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    rina = await join(bot, telegram, 1008, other["rina"].code)  # the other cohort's admin
    admin = telegram.user(ADMIN_ID, "Yulia")
    cohort = await cohort_id(engine)
    pages = [
        f"/dasbor/angkatan/{cohort}/pengaturan",
        f"/dasbor/angkatan/{cohort}/log",
        f"/dasbor/angkatan/{cohort}/log.csv",
        f"/dasbor/angkatan/{cohort}",
        f"/dasbor/angkatan/{cohort}/daftar",
        f"/dasbor/angkatan/{cohort}/ekspor.xlsx",
    ]

    signed: dict[str, Browser] = {}
    for name, user in (("admin", admin), ("budi", budi), ("bambang", bambang), ("rina", rina)):
        signed[name] = browsers()
        assert (await sign_in(bot, user, signed[name])).status_code == 303

    for path in pages:
        assert (await signed["admin"].get(path)).status_code == 200, path
        for name in ("budi", "bambang", "rina"):
            answer = await signed[name].get(path)
            assert answer.status_code == 404, (name, path)
            assert COHORT not in answer.text and "cohort.import" not in answer.text
        stranger = await browsers().get(path)
        assert stranger.status_code == 401 and COHORT not in stranger.text
    # The roster template is for organizers of any cohort, nobody else.
    for name, status in (("admin", 200), ("rina", 200), ("budi", 404), ("bambang", 404)):
        answer = await signed[name].get("/dasbor/templat-daftar.xlsx")
        assert answer.status_code == status, name
    assert (await browsers().get("/dasbor/templat-daftar.xlsx")).status_code == 401
    # A made-up cohort id: 404 for the organizer too.
    assert (await signed["admin"].get("/dasbor/angkatan/999999/log")).status_code == 404

    # Rina's own cohort's pages work for her; a post to ours with her own token is a 404.
    assert (
        await signed["rina"].get(f"/dasbor/angkatan/{await cohort_id(engine, OTHER_COHORT)}/log")
    ).status_code == 200
    rina_csrf = await signed["rina"].csrf()
    roster = await signed["rina"].post(
        pages[4], data={"csrf": rina_csrf}, files={"roster": ("daftar.csv", b"x", "text/csv")}
    )
    assert roster.status_code == 404
    forged = await signed["rina"].post(
        pages[0], data={**DEFAULT_FORM, "before_days": "1", "csrf": rina_csrf}
    )
    assert forged.status_code == 404
    # The organizer's own post without the form's token: refused.
    no_token = await signed["admin"].post(pages[0], data={**DEFAULT_FORM, "before_days": "1"})
    assert no_token.status_code == 403
    stranger_post = await browsers().post(pages[0], data={**DEFAULT_FORM, "before_days": "1"})
    assert stranger_post.status_code == 401
    async with session_factory(engine)() as session:
        stored = await session.scalar(select(Cohort.settings).where(Cohort.id == cohort))
    assert not stored
    assert await audits(engine, "cohort.settings") == []

    # An expired session reaches nothing either.
    clock.advance(timedelta(minutes=31))
    assert (await signed["admin"].get(pages[1])).status_code == 401
