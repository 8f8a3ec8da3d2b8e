"""Reminders come once, on the right local day at 08.00, never in quiet hours, past crashes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.enums import OutboxStatus
from domain.progress import progress_bar
from domain.timezones import WIB, WIT, WITA
from models import OutboxMessage
from models.db import session_factory
from services import people, projects, reminders, reports, vacations
from services.outbox import Outgoing
from services.reminders import Sweeper, planning
from tests.factories import COHORT, import_roster
from tests.integration.stories import ROSTER, at, milestone, rows, run_sweep, set_reminder_settings
from tests.integration.stories import reminder_cast as cast

MONDAY = date(2026, 11, 2)  # the `now` fixture: Monday 2 November 2026, 08.00 WIB


async def keys(engine: AsyncEngine, prefix: str = "", **where: Any) -> set[str]:
    return {
        r.dedup_key
        for r in await rows(engine, prefix)
        if all(getattr(r, k) == v for k, v in where.items())
    }


async def mark_sent(engine: AsyncEngine, prefix: str, moment: datetime) -> None:
    """What the sender does once a message went out (the sender itself is not under test)."""
    async with session_factory(engine)() as session, session.begin():
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.dedup_key.startswith(prefix),
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .values(status=OutboxStatus.SENT, sent_at=moment)
        )


def local(row: OutboxMessage, zone: ZoneInfo) -> tuple[date, time]:
    moment = row.not_before.astimezone(zone)
    return moment.date(), moment.time()


async def test_reminders_7_3_1_and_overdue_come_on_their_local_days_at_eight(
    engine: AsyncEngine, now: datetime
) -> None:
    """Budi (WIB) and Nurhayati (WIT) have a milestone due on 20 November; each hears of it
    on the 13th, 17th and 19th, and on the 21st as overdue, at 08.00 in their own zone; on
    the 21st their mentor Bambang hears of both."""
    team = await cast(engine, now)
    due = date(2026, 11, 20)
    budi_ms = await milestone(team, "budi", due, now, "Rapat koordinasi tim efektif")
    nur_ms = await milestone(team, "nurhayati", due, now, "Sosialisasi posyandu")

    planned_on: dict[str, datetime] = {}
    # The scheduler's sweeper, every day from the 2nd to the 22nd: just before and at 08.00
    # in Jayapura and in Palembang, and in the afternoon.
    every_minute = Sweeper(session_factory(engine))
    for day in range(1, 23):
        for clock, zone in ((time(7, 30), WIT), (time(8), WIT), (time(7, 30), WIB), (time(8), WIB)):
            moment = at(date(2026, 11, day), clock, zone)
            if moment >= now:
                await every_minute(moment)
                for key in await keys(engine, "ms:"):
                    planned_on.setdefault(key, moment)
        await every_minute(at(date(2026, 11, day), time(15), WIB))

    expected = {
        f"ms:{budi_ms}:before7:2026-11-20",
        f"ms:{budi_ms}:before3:2026-11-20",
        f"ms:{budi_ms}:before1:2026-11-20",
        f"ms:{budi_ms}:overdue:2026-11-20",
        f"ms:{budi_ms}:overdue:2026-11-20:mentor:{team['bambang']}",
        f"ms:{nur_ms}:before7:2026-11-20",
        f"ms:{nur_ms}:before3:2026-11-20",
        f"ms:{nur_ms}:before1:2026-11-20",
        f"ms:{nur_ms}:overdue:2026-11-20",
        f"ms:{nur_ms}:overdue:2026-11-20:mentor:{team['bambang']}",
    }
    assert set(planned_on) == expected
    by_key = {r.dedup_key: r for r in await rows(engine, "ms:")}
    assert len(by_key) == len(await rows(engine, "ms:")) == 10  # nothing twice
    zones = {team["budi"]: WIB, team["nurhayati"]: WIT, team["bambang"]: WIB}
    days = {"before7": 13, "before3": 17, "before1": 19, "overdue": 21}
    for key, row in by_key.items():
        zone = zones[row.recipient_id]  # type: ignore[index]
        assert local(row, zone) == (date(2026, 11, days[key.split(":")[2]]), time(8, 0)), key
        # Planned on that local day, a few minutes ahead of 08.00 at the most.
        assert timedelta(0) <= row.not_before - planned_on[key] <= reminders.PLAN_AHEAD
        assert row.expires_at == at(local(row, zone)[0], time(21, 0), zone)
        assert row.kind == "reminder" and row.status is OutboxStatus.PENDING
    assert {by_key[k].recipient_id for k in expected if "mentor" in k} == {team["bambang"]}
    assert {by_key[k].recipient_id for k in expected if k.startswith(f"ms:{nur_ms}:b")} == {
        team["nurhayati"]
    }

    message = Outgoing.from_payload(by_key[f"ms:{budi_ms}:before3:2026-11-20"].payload)
    assert message.key == "reminder.milestone.before"
    assert message.params["title"] == "Rapat koordinasi tim efektif"
    assert message.params["days"] == 3
    assert message.params["due_date"] == due
    assert Outgoing.from_payload(by_key[f"ms:{budi_ms}:before1:2026-11-20"].payload).key == (
        "reminder.milestone.tomorrow"
    )
    mentor = Outgoing.from_payload(
        by_key[f"ms:{nur_ms}:overdue:2026-11-20:mentor:{team['bambang']}"].payload
    )
    assert mentor.key == "reminder.milestone.overdue_mentor"
    assert mentor.params["participant"] == "Nurhayati Umasugi"
    assert mentor.params["bar"] == progress_bar(0)
    assert mentor.params["due_date"] == due


async def test_one_instant_three_zones_quiet_hours_and_local_mornings(
    engine: AsyncEngine, now: datetime
) -> None:
    """With reminders at 06.00: at 22.30 UTC it is 05.30 in Palembang (quiet), 06.30 in
    Makassar and 07.30 in Jayapura; Andi and Nurhayati are reminded, Budi at his own 06.00."""
    team = await cast(engine, now)
    await set_reminder_settings(engine, {"send_at": "06.00"})
    due = date(2026, 11, 10)
    ids = {who: await milestone(team, who, due, now) for who in ("budi", "nurhayati", "andi")}
    day = date(2026, 11, 7)  # before3, the same date in all three zones at this instant
    instant = datetime(2026, 11, 6, 22, 30, tzinfo=UTC)

    await run_sweep(engine, instant)
    planned = {r.recipient_id: r for r in await rows(engine, "ms:")}
    assert set(planned) == {team["nurhayati"], team["andi"]}
    assert local(planned[team["andi"]], WITA) == (day, time(6, 0))
    assert local(planned[team["nurhayati"]], WIT) == (day, time(6, 0))

    # 05.58 in Palembang: planned ahead for 06.00, never before.
    await run_sweep(engine, instant + timedelta(minutes=28))
    budi = await rows(engine, f"ms:{ids['budi']}:")
    assert [local(r, WIB) for r in budi] == [(day, time(6, 0))]

    # Each goes stale at 21.00 in its own zone: one UTC instant, three different deadlines.
    expiry = {r.recipient_id: r.expires_at for r in await rows(engine, "ms:")}
    assert expiry == {
        team["budi"]: at(day, time(21), WIB),
        team["andi"]: at(day, time(21), WITA),
        team["nurhayati"]: at(day, time(21), WIT),
    }
    assert len(set(expiry.values())) == 3

    # A milestone added in the evening: 21.30 WIB, 22.30 WITA, 23.30 WIT. Its reminder for
    # today would fall in everyone's quiet hours: nothing is planned, nothing counted stale.
    evening = datetime(2026, 11, 7, 14, 30, tzinfo=UTC)
    late = {who: await milestone(team, who, date(2026, 11, 8), evening) for who in ids}
    result = await run_sweep(engine, evening)
    assert result.planned_total == 0 and result.stale_total == 0
    for milestone_id in late.values():
        assert await rows(engine, f"ms:{milestone_id}:") == []


async def test_a_target_date_moved_twice_cancels_and_replans_nothing_twice(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await cast(engine, now)
    ms = await milestone(team, "budi", date(2026, 11, 9), now)  # 7 days from today
    prefix = f"ms:{ms}:"

    async def move(due: date) -> None:
        async with session_factory(engine)() as session, session.begin():
            await projects.edit_milestone(
                session, team["budi"], ms, "due_on", due, today=MONDAY, now=now
            )

    await run_sweep(engine, now)
    assert await keys(engine, prefix, status=OutboxStatus.PENDING) == {
        f"{prefix}before7:2026-11-09"
    }

    await move(date(2026, 11, 5))  # first move: the 7-day reminder is void; 3 days left now
    assert await keys(engine, prefix, status=OutboxStatus.PENDING) == set()
    await run_sweep(engine, now + timedelta(minutes=1))
    assert await keys(engine, prefix, status=OutboxStatus.PENDING) == {
        f"{prefix}before3:2026-11-05"
    }
    await mark_sent(engine, f"{prefix}before3:", now + timedelta(minutes=2))

    await move(date(2026, 11, 3))  # second move: due tomorrow
    await run_sweep(engine, now + timedelta(minutes=3))
    await run_sweep(engine, now + timedelta(minutes=4))
    assert await keys(engine, prefix, status=OutboxStatus.PENDING) == {
        f"{prefix}before1:2026-11-03"
    }
    # The one already sent stays sent; the cancelled one is on record, its key released.
    assert await keys(engine, prefix, status=OutboxStatus.SENT) == {f"{prefix}before3:2026-11-05"}
    dropped = await rows(engine, prefix)
    cancelled = [r for r in dropped if r.status is OutboxStatus.DROPPED]
    assert [r.dedup_key.split("~")[0] for r in cancelled] == [f"{prefix}before7:2026-11-09"]
    assert cancelled[0].last_error == "cancelled"

    # Back to the 5th: the 3-day reminder went out already and does not come again.
    await move(date(2026, 11, 5))
    await run_sweep(engine, now + timedelta(minutes=5))
    assert await keys(engine, prefix, status=OutboxStatus.PENDING) == set()
    # And back to the 9th: the 7-day reminder was never sent, so it is planned again, once.
    await move(date(2026, 11, 9))
    for minute in (6, 7):
        await run_sweep(engine, now + timedelta(minutes=minute))
    assert await keys(engine, prefix, status=OutboxStatus.PENDING) == {
        f"{prefix}before7:2026-11-09"
    }
    live = [r.dedup_key for r in await rows(engine, prefix) if r.status is not OutboxStatus.DROPPED]
    assert len(live) == len(set(live)) == 2

    # A removed milestone loses what is still pending, and is not planned again.
    async with session_factory(engine)() as session, session.begin():
        await projects.remove_milestone(session, team["budi"], ms, now)
    await run_sweep(engine, now + timedelta(minutes=8))
    assert await keys(engine, prefix, status=OutboxStatus.PENDING) == set()


class Crash(Exception):
    """The process dies in the middle of a sweep."""


async def test_a_crash_in_the_middle_of_a_sweep_duplicates_nothing(
    engine: AsyncEngine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = await cast(engine, now)
    due = date(2026, 11, 9)
    for who in ("budi", "nurhayati", "andi"):
        await milestone(team, who, due, now)
        await milestone(team, who, due, now, "Kedua")
    # Sunday 23.00 UTC: Monday 08.00 in Jayapura; Nurhayati's reminders go, and commit.
    first = await run_sweep(engine, at(MONDAY, time(8), WIT))
    assert first.planned["reminder"] == 2

    # Makassar's 08.00: the sweep dies after writing; its transaction is lost.
    real_enqueue = planning.enqueue_all

    async def dying_enqueue(session: Any, planned: list[dict[str, Any]]) -> list[str]:
        await real_enqueue(session, planned[:1])
        raise Crash()

    monkeypatch.setattr(planning, "enqueue_all", dying_enqueue)
    with pytest.raises(Crash):
        await run_sweep(engine, at(MONDAY, time(8), WITA))
    monkeypatch.setattr(planning, "enqueue_all", real_enqueue)
    assert len(await rows(engine, "ms:")) == 2

    # Restarted, a minute later: everything due is planned, once; then again: nothing new.
    again = await run_sweep(engine, at(MONDAY, time(8, 1), WITA))
    assert again.planned["reminder"] == 2
    later = await run_sweep(engine, at(MONDAY, time(8, 1), WIB))
    assert later.planned["reminder"] == 2
    assert (await run_sweep(engine, at(MONDAY, time(9), WIB))).planned_total == 0
    all_keys = [r.dedup_key for r in await rows(engine, "ms:")]
    assert len(all_keys) == len(set(all_keys)) == 6
    assert {r.recipient_id for r in await rows(engine, "ms:")} == {
        team["budi"],
        team["nurhayati"],
        team["andi"],
    }


async def test_after_three_days_down_the_useful_goes_out_and_the_stale_is_counted(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await cast(engine, now)
    a = await milestone(team, "budi", date(2026, 11, 3), now)  # tomorrow: before1 today
    b = await milestone(team, "budi", date(2026, 11, 6), now)  # before3 on the 3rd
    c = await milestone(team, "budi", date(2026, 11, 12), now)  # before7 on the 5th
    # The scheduler's job: it remembers its last committed sweep and looks back to it.
    every_minute = Sweeper(session_factory(engine))

    first = await every_minute(now)
    assert first.planned["reminder"] == 1 and first.stale_total == 0
    # The sender is down too: today's reminder waits in the queue, due to expire tonight.
    (waiting,) = await rows(engine, f"ms:{a}:")
    assert waiting.expires_at == at(MONDAY, time(21), WIB)

    back = now + timedelta(days=3)  # Thursday 5 November, 08.00 WIB
    result = await every_minute(back)
    # Missed while down: b's 3-day reminder (the 3rd), a's overdue notice (the 4th) to Budi
    # and to Bambang. Recorded as dropped and counted, never sent.
    stale = {
        f"ms:{b}:before3:2026-11-06",
        f"ms:{a}:overdue:2026-11-03",
        f"ms:{a}:overdue:2026-11-03:mentor:{team['bambang']}",
    }
    assert result.stale == {"reminder": 3}
    assert await keys(engine, "ms:", status=OutboxStatus.DROPPED) == stale
    assert {r.last_error for r in await rows(engine, "ms:") if r.dedup_key in stale} == {"stale"}
    # Still useful today: b is due tomorrow, c in a week.
    assert result.planned == {"reminder": 2}
    assert await keys(engine, "ms:", status=OutboxStatus.PENDING) == {
        f"ms:{a}:before1:2026-11-03",  # left from Monday: expired, the sender drops it
        f"ms:{b}:before1:2026-11-06",
        f"ms:{c}:before7:2026-11-12",
    }
    assert waiting.expires_at is not None and waiting.expires_at < back
    # Counted once: the next sweeps, with or without the memory of the last, find nothing.
    assert (await every_minute(back + timedelta(minutes=1))).stale_total == 0
    again = await run_sweep(engine, back + timedelta(minutes=2))
    assert again.stale_total == 0 and again.planned_total == 0


async def test_a_sweep_that_remembers_the_last_still_plans_what_appeared_since(
    engine: AsyncEngine, now: datetime
) -> None:
    """A milestone added at 10.00, due in a week: its 7-day reminder (08.00) goes at 10.01."""
    team = await cast(engine, now)
    every_minute = Sweeper(session_factory(engine))
    ten = at(MONDAY, time(10), WIB)
    await every_minute(now)
    await every_minute(ten)
    ms = await milestone(team, "budi", date(2026, 11, 9), ten)
    result = await every_minute(ten + timedelta(minutes=1))
    assert result.planned == {"reminder": 1} and result.stale_total == 0
    (row,) = await rows(engine, f"ms:{ms}:")
    assert row.dedup_key == f"ms:{ms}:before7:2026-11-09"
    assert local(row, WIB) == (MONDAY, time(8))  # already past: the sender sends it at once


async def test_vacations_suppress_reminders_and_are_not_counted_as_missed(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await cast(engine, now)
    ms = await milestone(team, "budi", date(2026, 11, 3), now)
    async with session_factory(engine)() as session, session.begin():
        await vacations.add_vacation(session, team["budi"], MONDAY, date(2026, 11, 3), today=MONDAY)
        await vacations.add_vacation(
            session, team["bambang"], date(2026, 11, 4), date(2026, 11, 4), today=MONDAY
        )
    await run_sweep(engine, now)
    assert await rows(engine, f"ms:{ms}:") == []

    # Back from leave on the 4th: Budi hears that it is overdue; Bambang, on leave, does not.
    result = await run_sweep(engine, at(date(2026, 11, 4), time(8), WIB))
    assert await keys(engine, f"ms:{ms}:") == {f"ms:{ms}:overdue:2026-11-03"}
    assert result.stale_total == 0
    assert (await run_sweep(engine, at(date(2026, 11, 5), time(8), WIB))).stale_total == 0


async def test_the_weekly_digest_comes_on_monday_at_eight_in_the_mentors_zone(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await cast(engine, now)
    first = await milestone(team, "budi", date(2026, 11, 30), now, "Rapat koordinasi")
    await milestone(team, "budi", date(2026, 12, 15), now, "Uji coba")
    await milestone(team, "nurhayati", date(2026, 12, 15), now)
    async with session_factory(engine)() as session, session.begin():
        await people.set_timezone(session, team["bambang"], WIT, now)  # Bambang moves east
        await reports.submit_report(
            session, team["budi"], first, text="Rapat perdana", percent=60, evidence=[], now=now
        )
    next_monday = date(2026, 11, 9)

    # Sunday 22.30 UTC is 05.30 WIB and 07.30 WIT: not yet.
    await run_sweep(engine, at(next_monday, time(7, 30), WIT))
    assert await rows(engine, "digest:") == []
    result = await run_sweep(engine, at(next_monday, time(8), WIT))
    assert result.planned["digest"] == 1
    (digest,) = await rows(engine, "digest:")
    assert digest.dedup_key == f"digest:{team['bambang']}:2026-W46"
    assert digest.recipient_id == team["bambang"] and digest.kind == "digest"
    assert local(digest, WIT) == (next_monday, time(8))
    message = Outgoing.from_payload(digest.payload)
    assert message.key == "reminder.digest" and message.params["count"] == 3
    lines = message.params["lines"].split("\n")
    # Each participant by name with the bar of their project; Budi's report waits for feedback.
    assert lines[lines.index("• Budi Santoso") + 1].strip() == f"{progress_bar(30)} · ⏳ 1"
    assert lines[lines.index("• Nurhayati Umasugi") + 1].strip() == f"{progress_bar(0)} · ⏳ 0"
    assert "• Andi Makkasau" in lines
    # Hasan mentors nobody: no digest. Later that Monday, nothing twice; the next week anew.
    for hour in (9, 12, 20):
        await run_sweep(engine, at(next_monday, time(hour), WIT))
    assert len(await rows(engine, "digest:")) == 1
    await run_sweep(engine, at(next_monday + timedelta(days=1), time(8), WIT))
    assert len(await rows(engine, "digest:")) == 1
    await run_sweep(engine, at(next_monday + timedelta(days=7), time(8), WIT))
    assert await keys(engine, "digest:") == {
        f"digest:{team['bambang']}:2026-W46",
        f"digest:{team['bambang']}:2026-W47",
    }


async def test_a_report_without_feedback_reminds_the_advisors_then_escalates(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await cast(engine, now)
    ms = await milestone(team, "budi", date(2026, 12, 15), now)
    ms2 = await milestone(team, "nurhayati", date(2026, 12, 15), now)
    async with session_factory(engine)() as session, session.begin():
        ignored, _ = await reports.submit_report(
            session, team["budi"], ms, text="Tahap satu", percent=40, evidence=[], now=now
        )
        answered, _ = await reports.submit_report(
            session, team["nurhayati"], ms2, text="Tahap satu", percent=20, evidence=[], now=now
        )
        # Lina (the coach) answers Nurhayati the next day; Bambang answers nobody.
        await reports.give_feedback(
            session, team["lina"], answered.update_id, "Bagus", now + timedelta(days=1)
        )

    for day in range(2, 11):
        for clock in (time(7, 59), time(8), time(12)):
            await run_sweep(engine, at(date(2026, 11, day), clock, WIB))

    waits = {r.dedup_key: r for r in await rows(engine, "fbwait:")}
    assert set(waits) == {
        f"fbwait:{ignored.update_id}:{team['bambang']}",
        f"fbwait:{ignored.update_id}:{team['lina']}",
        f"fbwait:{answered.update_id}:{team['bambang']}",
    }
    for row in waits.values():  # three days after the report, at 08.00 WIB
        assert local(row, WIB) == (date(2026, 11, 5), time(8))
    message = Outgoing.from_payload(waits[f"fbwait:{ignored.update_id}:{team['lina']}"].payload)
    assert message.key == "reminder.feedback_wait.report"  # the report itself goes with it
    assert message.thread == ignored.update_id
    assert message.params["participant"] == "Budi Santoso"
    assert message.params["submitted"] == now

    # Three days later still nobody answered Budi: Siti, the organizer, is told; once.
    (escalation,) = await rows(engine, "fbesc:")
    assert escalation.dedup_key == f"fbesc:{ignored.update_id}:{team['siti']}"
    assert escalation.recipient_id == team["siti"] and escalation.kind == "escalation"
    assert local(escalation, WIB) == (date(2026, 11, 8), time(8))
    esc = Outgoing.from_payload(escalation.payload)
    assert esc.params["advisors"] == "Dr. Ir. Bambang Wijaya, Dr. Lina Marliani"
    assert esc.params["cohort"] == COHORT


async def test_a_nudge_after_seven_silent_days_once_per_silence(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await cast(engine, now)
    ms = await milestone(team, "budi", date(2026, 12, 15), now)
    for day in range(2, 10):
        await run_sweep(engine, at(date(2026, 11, day), time(8), WIB))
        await run_sweep(engine, at(date(2026, 11, day), time(15), WIB))
    nudges = await rows(engine, f"nudge:{team['budi']}:")
    # Silent since joining on the 2nd: nudged on the 9th at 08.00, once.
    assert [r.dedup_key for r in nudges] == [f"nudge:{team['budi']}:0"]
    assert local(nudges[0], WIB) == (date(2026, 11, 9), time(8))
    assert Outgoing.from_payload(nudges[0].payload).key == "reminder.nudge.never"
    assert Outgoing.from_payload(nudges[0].payload).params["since"] == now

    reported = at(date(2026, 11, 10), time(10), WIB)
    async with session_factory(engine)() as session, session.begin():
        report, _ = await reports.submit_report(
            session, team["budi"], ms, text="Maju", percent=10, evidence=[], now=reported
        )
    for day in range(10, 18):
        await run_sweep(engine, at(date(2026, 11, day), time(8), WIB))
    nudges = await rows(engine, f"nudge:{team['budi']}:")
    # Silent again after the report of the 10th: one more nudge, on the 17th.
    assert [r.dedup_key for r in nudges] == [
        f"nudge:{team['budi']}:0",
        f"nudge:{team['budi']}:{report.update_id}",
    ]
    assert local(nudges[-1], WIB) == (date(2026, 11, 17), time(8))
    last = Outgoing.from_payload(nudges[-1].payload)
    assert last.key == "reminder.nudge" and last.params["since"] == reported


async def test_nobody_is_reminded_who_should_not_be(engine: AsyncEngine, now: datetime) -> None:
    """Not joined, withdrawn, approved and removed milestones: nothing is planned."""
    team = await cast(engine, now, absent=("teguh", "andi"))
    due = date(2026, 11, 9)
    await milestone(team, "andi", due, now)  # Andi never joined
    removed = await milestone(team, "budi", due, now)
    approved = await milestone(team, "budi", due, now, "Disetujui")
    await milestone(team, "nurhayati", due, now)  # she is withdrawn below
    async with session_factory(engine)() as session, session.begin():
        await projects.remove_milestone(session, team["budi"], removed, now)
        update_view, _ = await reports.submit_report(
            session, team["budi"], approved, text="Selesai", percent=100, evidence=[], now=now
        )
        await reports.approve(session, team["bambang"], update_view.update_id, now)
    # Nurhayati is left out of the next import: withdrawn from the cohort.
    without = "\n".join(line for line in ROSTER.splitlines() if "Nurhayati" not in line)
    await import_roster(engine, now, without)

    for day in (2, 5, 8, 10):
        await run_sweep(engine, at(date(2026, 11, day), time(8), WIB))
        await run_sweep(engine, at(date(2026, 11, day), time(8), WIT))
    assert await rows(engine, "ms:") == []
    assert await keys(engine, "nudge:") == set()


async def test_cohort_settings_change_the_days_and_bad_ones_fall_back_loudly(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await cast(engine, now)
    ms = await milestone(team, "budi", date(2026, 11, 4), now)
    await set_reminder_settings(engine, {"before_days": [2], "overdue": False})
    result = await run_sweep(engine, now)
    assert result.invalid_settings == []
    assert await keys(engine, "ms:") == {f"ms:{ms}:before2:2026-11-04"}

    await set_reminder_settings(engine, {"before_days": "sometimes"})
    result = await run_sweep(engine, at(date(2026, 11, 3), time(8), WIB))
    assert result.invalid_settings == [COHORT]
    assert f"ms:{ms}:before1:2026-11-04" in await keys(engine, "ms:")  # the defaults apply
