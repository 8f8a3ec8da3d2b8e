"""Seminars on the web desk: an organizer schedules one in a form, moves it and cancels it
after being asked once more; each time the same notices as from the chat are queued to the
presenters, their mentor and coach and the examiner, and the audit log records it. The
calendar lists the cohort's seminars by day, the coming ones first. A refused form says why
and writes nothing; nobody but the cohort's organizers reaches any of it. The overview's
progress table also downloads as CSV for Excel."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from markupsafe import escape
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.clock import ManualClock
from domain.enums import OutboxStatus, SeminarStatus
from fakegram import FakeTelegram
from models import AuditEntry, Membership, OutboxMessage, Person, Seminar
from models.db import session_factory
from services import seminars
from services.errors import UserFacingError
from services.outbox import Outgoing
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, import_roster
from tests.integration.helpers import text
from tests.integration.stories import EXPORT_ROSTER as OTHER_ROSTER
from tests.integration.stories import OTHER_COHORT, cohort_id, join
from tests.integration.web_desk_client import (  # noqa: F401 (the fixtures)
    Browser,
    audits,
    browsers_fixture,
    desk_app_fixture,
    desk_settings,
    sign_in,
)

NURHAYATI_NIP = "198203102006042002"
STARTS = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # 09.00 WIB
MOVED = datetime(2026, 12, 11, 6, 30, tzinfo=UTC)  # 13.30 WIB
CONCERNED = ("budi", "nurhayati", "bambang", "lina", "teguh")
# Thursday 10 December 2026, 09.00 WIB; the story's clock starts on 2 November.
FORM = {
    "kind": "rancangan",
    "day": "2026-12-10",
    "clock": "09:00",
    "zone": "WIB",
    "place": "Aula BPSDM Lantai 2",
    "link": "",
    "nips": "",
    "examiner": "",
}


async def people(engine: AsyncEngine, team: dict[str, Any]) -> dict[str, int]:
    async with session_factory(engine)() as session:
        by_nip = dict((await session.execute(select(Person.nip, Person.id))).tuples().all())
    return {handle: by_nip[member.nip] for handle, member in team.items()}


async def queued(engine: AsyncEngine, seminar_id: int) -> dict[str, OutboxMessage]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.dedup_key.startswith(f"seminar:{seminar_id}:")
            )
        )
        return {m.dedup_key: m for m in rows}


async def written(engine: AsyncEngine) -> tuple[int, int, int]:
    """Seminars, seminar messages and seminar audit entries: all that a change writes."""
    async with session_factory(engine)() as session:
        seminars = await session.scalar(select(func.count()).select_from(Seminar))
        messages = await session.scalar(select(func.count()).where(OutboxMessage.kind == "seminar"))
        entries = await session.scalar(
            select(func.count()).where(AuditEntry.action.startswith("seminar."))
        )
    return int(seminars or 0), int(messages or 0), int(entries or 0)


def seminar_ids(page: httpx.Response) -> list[int]:
    """The seminars on the calendar, in the order shown."""
    return [int(i) for i in re.findall(r'<article class="report" data-seminar="(\d+)"', page.text)]


def section(page: httpx.Response, key: str, until: str) -> str:
    start = page.text.index(f"<h2>{text(key)}</h2>")
    return page.text[start : page.text.index(until, start + 1)]


async def test_schedule_move_and_cancel_a_seminar_with_the_chats_notices_and_audit(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    clock: ManualClock,
    browsers: Any,
    desk_app: Any,
) -> None:
    team = await import_roster(engine, now)
    ids = await people(engine, team)
    cohort = await cohort_id(engine)
    async with session_factory(engine)() as session, session.begin():
        await session.execute(
            update(Membership)
            .where(Membership.person_id == ids["budi"], Membership.cohort_id == cohort)
            .values(seminar_group="A")
        )
    admin = telegram.user(ADMIN_ID, "Yulia")
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303
    base = f"/dasbor/angkatan/{cohort}/seminar"

    # The overview links to the seminars; none yet.
    overview = await browser.get(f"/dasbor/angkatan/{cohort}")
    assert f'href="{base}"' in overview.text and text("web.cohort.seminars") in overview.text
    empty = await browser.get(base)
    assert empty.status_code == 200 and text("web.seminar.none_upcoming") in empty.text
    assert seminar_ids(empty) == []
    csrf = await browser.csrf()

    # Budi ticked, Nurhayati by NIP, Teguh examines.
    form = {**FORM, "nips": NURHAYATI_NIP, "examiner": str(ids["teguh"]), "csrf": csrf}
    added = await browser.post(base, data={**form, "presenters": [str(ids["budi"])]})
    assert added.status_code == 303
    location = added.headers["location"]
    seminar_id = int(location.rsplit("no=", 1)[1])
    assert location == f"{base}?selesai=jadwal&no={seminar_id}"
    assert desk_app.state.sender_wakes == ["woken"]

    # The chat's notice and three reminders to each one concerned, and the audit entry.
    messages = await queued(engine, seminar_id)
    assert len(messages) == len(CONCERNED) * 4
    for handle in CONCERNED:
        notice = messages[f"seminar:{seminar_id}:1:notice:{ids[handle]}"]
        assert notice.recipient_id == ids[handle] and notice.kind == "seminar"
        for tag in ("d7", "d1", "h2"):
            assert f"seminar:{seminar_id}:1:{tag}:{ids[handle]}" in messages
    mentor = messages[f"seminar:{seminar_id}:1:notice:{ids['bambang']}"]
    assert mentor.payload["key"] == "seminar.msg.notice_mentor"
    assert ids["hasan"] not in {m.recipient_id for m in messages.values()}
    (entry,) = await audits(engine, "seminar.add")
    assert entry.actor_label == "web" and entry.cohort_id == cohort
    async with session_factory(engine)() as session:
        admin_id = await session.scalar(
            select(AuditEntry.actor_id).where(AuditEntry.action == "web.login")
        )
    assert entry.actor_id == admin_id
    assert entry.details["seminar_id"] == seminar_id
    assert sorted(entry.details["presenters"]) == sorted([ids["budi"], ids["nurhayati"]])

    # The calendar: the day in the viewer's zone, the time with its zone, everything else.
    page = await browser.get(location)
    assert text("web.seminar.done.add", id=seminar_id) in page.text
    assert seminar_ids(page) == [seminar_id]
    upcoming = section(page, "web.seminar.upcoming", "<h2>")
    for shown in (
        "Kamis, 10 Desember 2026",
        "09.00 WIB",
        text("seminar.kind.rancangan"),
        "Aula BPSDM Lantai 2",
        "Budi Santoso, Nurhayati Umasugi",
        "Prof. Teguh Santoso",
        f"{text('web.seminar.group')}: A",
        f"{base}/{seminar_id}/pindah",
        f"{base}/{seminar_id}/batal",
    ):
        assert shown in upcoming, shown

    # A second seminar, evaluasi, earlier in the day and online: listed before the first.
    second = await browser.post(
        base,
        data={
            **FORM,
            "kind": "evaluasi",
            "clock": "07.00",
            "place": "",
            "link": "https://zoom.us/j/123456789",
            "examiner": str(ids["teguh"]),
            "group": "A",
            "csrf": csrf,
        },
    )
    assert second.status_code == 303
    second_id = int(second.headers["location"].rsplit("no=", 1)[1])
    page = await browser.get(base)
    assert seminar_ids(page) == [second_id, seminar_id]
    assert 'href="https://zoom.us/j/123456789"' in page.text

    # Moved: the form comes filled with the present time; the change notice goes to all.
    move = f"{base}/{seminar_id}/pindah"
    asked = await browser.get(move)
    assert asked.status_code == 200
    assert 'value="2026-12-10"' in asked.text and 'value="09:00"' in asked.text
    moved = await browser.post(
        move, data={"day": "11/12/2026", "clock": "13.30", "zone": "WIB", "csrf": csrf}
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == f"{base}?selesai=pindah&no={seminar_id}"
    messages = await queued(engine, seminar_id)
    for handle in CONCERNED:
        change = messages[f"seminar:{seminar_id}:2:change:{ids[handle]}"]
        params = Outgoing.from_payload(change.payload).params
        assert (params["old_at"], params["at"]) == (STARTS, MOVED)
        assert messages[f"seminar:{seminar_id}:1:d7:{ids[handle]}"].status is (OutboxStatus.DROPPED)
    (rescheduled,) = await audits(engine, "seminar.reschedule")
    assert rescheduled.actor_id == admin_id and rescheduled.details["seminar_id"] == seminar_id
    page = await browser.get(f"{base}?selesai=pindah&no={seminar_id}")
    assert text("web.seminar.done.move", id=seminar_id) in page.text
    assert "Jumat, 11 Desember 2026" in page.text and "13.30 WIB" in page.text
    assert seminar_ids(page) == [second_id, seminar_id]

    # Cancelled only once confirmed: the question first, nothing sent by asking.
    cancel = f"{base}/{seminar_id}/batal"
    question = await browser.get(cancel)
    assert question.status_code == 200
    assert text("web.seminar.cancel.question") in question.text
    assert await audits(engine, "seminar.cancel") == []
    done = await browser.post(cancel, data={"csrf": csrf})
    assert done.status_code == 303
    messages = await queued(engine, seminar_id)
    for handle in CONCERNED:
        assert messages[f"seminar:{seminar_id}:3:cancel:{ids[handle]}"].recipient_id == ids[handle]
        assert messages[f"seminar:{seminar_id}:2:h2:{ids[handle]}"].status is OutboxStatus.DROPPED
    (cancelled,) = await audits(engine, "seminar.cancel")
    assert cancelled.details["seminar_id"] == seminar_id
    async with session_factory(engine)() as session:
        stored = await session.get_one(Seminar, seminar_id)
    assert stored.status is SeminarStatus.CANCELLED
    assert len(desk_app.state.sender_wakes) == 4

    # Still listed, marked, without its buttons; cancelling again says it already is.
    page = await browser.get(base)
    assert seminar_ids(page) == [second_id, seminar_id]
    assert text("web.seminar.cancelled") in page.text
    assert f"{base}/{seminar_id}/pindah" not in page.text
    again = await browser.post(cancel, data={"csrf": csrf})
    assert again.status_code == 200
    assert text("seminar.error.cancelled", id=seminar_id) in again.text
    assert len(await audits(engine, "seminar.cancel")) == 1

    # Once the evaluasi seminar has begun it is listed under the past ones.
    clock.advance(datetime(2026, 12, 10, 1, 0) - now.replace(tzinfo=None))
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303
    page = await browser.get(base)
    past = section(page, "web.seminar.past", 'id="baru"')
    assert f'data-seminar="{second_id}"' in past
    assert f'data-seminar="{seminar_id}"' not in past
    assert f"{base}/{second_id}/pindah" not in page.text

    # In English for an organizer who reads English.
    async with session_factory(engine)() as session, session.begin():
        await session.execute(update(Person).where(Person.id == admin_id).values(language="en"))
    english = await browser.get(base)
    assert text("web.seminar.title", "en", cohort=COHORT) in english.text
    assert text("web.seminar.upcoming", "en") in english.text


async def test_a_refused_form_says_why_and_writes_nothing(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    browsers: Any,
    desk_app: Any,
) -> None:
    team = await import_roster(engine, now)
    ids = await people(engine, team)
    cohort = await cohort_id(engine)
    admin = telegram.user(ADMIN_ID, "Yulia")
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303
    base = f"/dasbor/angkatan/{cohort}/seminar"
    csrf = await browser.csrf()
    good = {
        **FORM,
        "examiner": str(ids["teguh"]),
        "presenters": [str(ids["budi"])],
        "csrf": csrf,
    }

    cases: list[tuple[dict[str, Any], list[str]]] = [
        (
            {"day": "31/02/2026", "clock": "25.00"},
            [
                text("date.error.impossible", value="31/02/2026"),
                text("seminar.time.error.out_of_range", value="25.00"),
            ],
        ),
        ({"day": "2026-11-02", "clock": "07.00"}, [text("seminar.error.past")]),
        (
            {"nips": "199901012020121001"},
            [text("seminar.error.unknown_nip", value="199901012020121001")],
        ),
        ({"place": "", "link": ""}, [text("seminar.error.no_venue")]),
        ({"link": "zoom sore ini"}, [text("seminar.link.error.scheme", value="zoom sore ini")]),
        ({"presenters": [], "nips": ""}, [text("seminar.error.no_presenters")]),
        ({"examiner": str(ids["bambang"])}, [text("web.seminar.error.examiner")]),
        (
            {"kind": "pleno", "zone": "GMT"},
            [text("web.seminar.error.kind"), text("web.seminar.error.zone")],
        ),
        # A mentor ticked as presenter (a forged box): the service's own check refuses it.
        (
            {"presenters": [str(ids["bambang"])]},
            [text("seminar.error.not_participant", name="Dr. Ir. Bambang Wijaya")],
        ),
    ]
    for change, messages in cases:
        refused = await browser.post(base, data={**good, **change})
        assert refused.status_code == 200, change
        assert text("web.seminar.rejected") in refused.text, change
        for message in messages:
            assert escape(message) in refused.text, (change, message)
        assert await written(engine) == (0, 0, 0), change
    # The form comes back as typed.
    refused = await browser.post(base, data={**good, "place": "", "nips": "1234"})
    assert 'value="1234"' in refused.text and 'value="2026-12-10"' in refused.text
    assert f'value="{ids["budi"]}" checked' in refused.text
    assert escape(text("seminar.error.bad_nip", value="1234")) in refused.text
    assert desk_app.state.sender_wakes == []

    # A move to the past or to the same time is refused too, and the seminar kept as it was.
    assert (await browser.post(base, data=good)).status_code == 303
    before = await written(engine)
    async with session_factory(engine)() as session:
        seminar_id = await session.scalar(select(Seminar.id))
    move = f"{base}/{seminar_id}/pindah"
    for change, message in (
        ({"day": "2026-11-02", "clock": "07.00"}, text("seminar.error.past")),
        ({"day": "2026-12-10", "clock": "09.00"}, text("seminar.error.same_time")),
        (
            {"day": "kemarin lusa", "clock": "09.00"},
            text("date.error.not_understood", value="kemarin lusa"),
        ),
    ):
        refused = await browser.post(move, data={"zone": "WIB", "csrf": csrf, **change})
        assert refused.status_code == 200 and escape(message) in refused.text, change
        assert text("web.seminar.move.rejected") in refused.text
        assert await written(engine) == before
    async with session_factory(engine)() as session:
        stored = await session.get_one(Seminar, seminar_id)
    assert stored.starts_at == STARTS


async def test_a_change_the_service_refuses_half_way_leaves_nothing_behind(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    browsers: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should the service refuse after it began writing (the seminar stored, its notices
    queued), the page says why and the seminar and its notices are gone again."""
    team = await import_roster(engine, now)
    ids = await people(engine, team)
    cohort = await cohort_id(engine)
    admin = telegram.user(ADMIN_ID, "Yulia")
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303
    planned = seminars._plan

    async def plan_then_refuse(*args: Any, **kwargs: Any) -> Any:
        await planned(*args, **kwargs)
        raise UserFacingError("seminar.error.double_booked", name="Budi", id=1, kind="x", hours=2)

    monkeypatch.setattr(seminars, "_plan", plan_then_refuse)
    form = {**FORM, "examiner": str(ids["teguh"]), "presenters": [str(ids["budi"])]}
    refused = await browser.post(
        f"/dasbor/angkatan/{cohort}/seminar", data={**form, "csrf": await browser.csrf()}
    )
    assert refused.status_code == 200
    assert text("web.seminar.rejected") in refused.text
    assert await written(engine) == (0, 0, 0)
    # The page's own transaction went on: the session is still there.
    assert (await browser.get(f"/dasbor/angkatan/{cohort}/seminar")).status_code == 200


async def test_only_the_cohorts_organizers_reach_its_seminars(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    browsers: Any,
) -> None:
    team = await import_roster(engine, now)
    other = await import_roster(engine, now, roster=OTHER_ROSTER, cohort=OTHER_COHORT)
    ids = await people(engine, team)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    rina = await join(bot, telegram, 1008, other["rina"].code)  # the other cohort's admin
    admin = telegram.user(ADMIN_ID, "Yulia")
    cohort = await cohort_id(engine)
    theirs = await cohort_id(engine, OTHER_COHORT)
    signed: dict[str, Browser] = {}
    for name, user in (("admin", admin), ("budi", budi), ("bambang", bambang), ("rina", rina)):
        signed[name] = browsers()
        assert (await sign_in(bot, user, signed[name])).status_code == 303
    base = f"/dasbor/angkatan/{cohort}/seminar"
    csrf = await signed["admin"].csrf()
    form = {**FORM, "examiner": str(ids["teguh"]), "presenters": [str(ids["budi"])]}

    # The organizer's own post without the form's token: refused, nothing written.
    no_token = await signed["admin"].post(base, data=form)
    assert no_token.status_code == 403 and await written(engine) == (0, 0, 0)
    wrong_token = await signed["admin"].post(base, data={**form, "csrf": "0" * 64})
    assert wrong_token.status_code == 403 and await written(engine) == (0, 0, 0)
    assert (await signed["admin"].post(base, data={**form, "csrf": csrf})).status_code == 303
    async with session_factory(engine)() as session:
        seminar_id = await session.scalar(select(Seminar.id))
    before = await written(engine)
    pages = [base, f"{base}/{seminar_id}/pindah", f"{base}/{seminar_id}/batal"]
    posted: dict[str, dict[str, Any]] = {
        pages[0]: {**form, "clock": "13.00"},
        pages[1]: {"day": "2026-12-11", "clock": "09.00", "zone": "WIB"},
        pages[2]: {},
    }

    for path in pages:
        assert (await signed["admin"].get(path)).status_code == 200, path
        for name in ("budi", "bambang", "rina"):
            answer = await signed[name].get(path)
            assert answer.status_code == 404, (name, path)
            assert "Prof. Teguh Santoso" not in answer.text and COHORT not in answer.text
        assert (await browsers().get(path)).status_code == 401
        # Posts with their own valid tokens: 404 as well, and nothing changes.
        for name in ("budi", "bambang", "rina"):
            token = await signed[name].csrf()
            data = {**posted[path], "csrf": token}
            assert (await signed[name].post(path, data=data)).status_code == 404, (name, path)
        assert (await browsers().post(path, data=posted[path])).status_code == 401
    assert await written(engine) == before
    cancel_no_token = await signed["admin"].post(f"{base}/{seminar_id}/batal", data={})
    assert cancel_no_token.status_code == 403

    # Rina reaches her own cohort's seminars, but not ours through her cohort's address;
    # an id that does not exist is a 404 for our organizer too.
    assert (await signed["rina"].get(f"/dasbor/angkatan/{theirs}/seminar")).status_code == 200
    mixed = f"/dasbor/angkatan/{theirs}/seminar/{seminar_id}/batal"
    assert (await signed["rina"].get(mixed)).status_code == 404
    rina_token = await signed["rina"].csrf()
    assert (await signed["rina"].post(mixed, data={"csrf": rina_token})).status_code == 404
    assert (
        await signed["admin"].get(f"/dasbor/angkatan/{theirs}/seminar/{seminar_id}/pindah")
    ).status_code == 404
    assert (await signed["admin"].get(f"{base}/999999/batal")).status_code == 404
    assert await written(engine) == before
    async with session_factory(engine)() as session:
        stored = await session.get_one(Seminar, seminar_id)
    assert stored.status is SeminarStatus.SCHEDULED


async def test_the_overview_table_downloads_as_csv_for_excel(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    browsers: Any,
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    admin = telegram.user(ADMIN_ID, "Yulia")
    cohort = await cohort_id(engine)
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303
    csv_path = f"/dasbor/angkatan/{cohort}/ikhtisar.csv"

    overview = await browser.get(f"/dasbor/angkatan/{cohort}", params={"urut": "name"})
    assert f'href="{csv_path}?' in overview.text and text("web.cohort.export_csv") in overview.text

    download = await browser.get(csv_path, params={"urut": "name", "arah": "turun"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert download.content.startswith("\ufeff".encode())
    header, *rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert header == [
        text("web.column.name"),
        text("web.column.progress"),
        text("web.column.overdue"),
        text("web.column.reports"),
        f"{text('web.column.last')} (WIB)",
        text("web.column.waiting"),
        f"{text('web.column.waiting_since')} (WIB)",
        text("web.column.joined"),
    ]
    # Descending by name, as asked: Nurhayati, then Budi (who joined).
    assert [(r[0], r[1], r[3], r[7]) for r in rows] == [
        ("Nurhayati Umasugi", "0", "0", text("web.overview_csv.no")),
        ("Budi Santoso", "0", "0", text("web.overview_csv.yes")),
    ]
    (entry,) = await audits(engine, "export")
    assert entry.cohort_id == cohort and entry.details["format"] == "csv"
    assert entry.details["rows"] == {"overview": 2}

    # The page's filter too: only those who have not joined.
    only = await browser.get(csv_path, params={"tampil": "belum_gabung"})
    assert [r[0] for r in list(csv.reader(io.StringIO(only.content.decode("utf-8-sig"))))[1:]] == [
        "Nurhayati Umasugi"
    ]

    # Nobody but the cohort's organizers.
    for user in (budi, bambang):
        other = browsers()
        assert (await sign_in(bot, user, other)).status_code == 303
        refused = await other.get(csv_path)
        assert refused.status_code == 404 and "Nurhayati" not in refused.text
    assert (await browsers().get(csv_path)).status_code == 401
    assert len(await audits(engine, "export")) == 2
