"""Announcements on the web desk: an organizer composes one, previews who gets it, sends it
once (a second submit of the same form changes nothing), the sender delivers it through the
fake Bot API, and the status page's counts reach the end with the failure in words. Nobody
but the cohort's organizers reaches any of it."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.roles import Role
from fakegram import FakeTelegram
from models import Broadcast, OutboxMessage, Person
from models.db import session_factory
from services import broadcasts
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, import_roster
from tests.integration.helpers import text
from tests.integration.stories import EXPORT_ROSTER as OTHER_ROSTER
from tests.integration.stories import OTHER_COHORT, cohort_id, join, photo_bytes, sha
from tests.integration.web_desk_client import (  # noqa: F401 (the fixtures)
    Browser,
    audits,
    browsers_fixture,
    desk_app_fixture,
    desk_settings,
    sign_in,
)

WORDS = "Rapat pleno Senin pukul 09.00 WIB di aula BPSDM."


async def made(engine: AsyncEngine) -> list[Broadcast]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(Broadcast).order_by(Broadcast.id)))


def token_of(page: httpx.Response) -> str:
    found = re.search(r'name="token" value="([0-9a-f]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def counts(page: httpx.Response) -> str:
    found = re.search(r'<p class="figures" data-done="(\w+)">([^<]*)</p>', page.text)
    assert found is not None, page.text
    return f"{found.group(1)}: {found.group(2)}"


async def test_compose_preview_send_once_deliver_and_watch_the_counts_reach_the_end(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    browsers: Any,
    desk_app: Any,
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    lina = await join(bot, telegram, 1006, team["lina"].code)
    teguh = await join(bot, telegram, 1007, team["teguh"].code)
    admin = telegram.user(ADMIN_ID, "Yulia")
    browser = browsers()
    assert (await sign_in(bot, admin, browser)).status_code == 303
    cohort = await cohort_id(engine)
    base = f"/dasbor/angkatan/{cohort}/pengumuman"

    overview = await browser.get(f"/dasbor/angkatan/{cohort}")
    assert f'href="{base}"' in overview.text
    form = await browser.get(base)
    assert form.status_code == 200 and text("web.announce.title", cohort=COHORT) in form.text
    assert text("web.announce.none") in form.text
    csrf = await browser.csrf()

    # Mistakes come back with the form as it was filled in; nothing is written.
    empty = await browser.post(base, data={"csrf": csrf, "text": "  ", "roles": ["mentor"]})
    assert empty.status_code == 200 and text("text.error.empty") in empty.text
    no_roles = await browser.post(base, data={"csrf": csrf, "text": WORDS})
    assert text("broadcast.error.no_roles") in no_roles.text and WORDS in no_roles.text
    assert await made(engine) == []

    # The preview: the message as recipients read it, and every recipient by name.
    fields = {"csrf": csrf, "text": WORDS, "roles": ["participant", "mentor", "coach"]}
    preview = await browser.post(base, data=fields)
    assert preview.status_code == 200
    assert f"📢 <strong>Pengumuman — {COHORT}</strong>" in preview.text and WORDS in preview.text
    assert text("web.announce.recipients", count=3) in preview.text
    for name in ("Budi Santoso", "Dr. Ir. Bambang Wijaya", "Dr. Lina Marliani"):
        assert name in preview.text
    assert "Prof. Teguh Santoso" not in preview.text  # an examiner, not chosen
    assert text("web.announce.not_joined", count=2) in preview.text  # Nurhayati and Hasan
    assert "Nurhayati Umasugi" in preview.text and "Ir. Hasan Basri" in preview.text
    assert await made(engine) == []
    # "Ubah" brings the form back filled in.
    edit = await browser.post(base, data={**fields, "step": "edit"})
    assert f">{WORDS}</textarea>" in edit.text
    assert 'value="examiner">' in edit.text and 'value="coach" checked>' in edit.text

    # Sent: queued and audited once; the same form submitted again leads to the same one.
    send = {**fields, "token": token_of(preview)}
    sender_wakes = desk_app.state.sender_wakes
    assert sender_wakes == []  # nothing queued by the form and its preview
    first = await browser.post(f"{base}/kirim", data=send)
    assert first.status_code == 303
    assert sender_wakes == ["woken"]  # the queue goes at once, not at the sender's next pass
    second = await browser.post(f"{base}/kirim", data=send)
    assert second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    (announcement,) = await made(engine)
    assert first.headers["location"] == f"{base}/{announcement.id}"
    assert announcement.text == WORDS
    assert announcement.audience["roles"] == ["participant", "mentor", "coach"]
    (entry,) = await audits(engine, "broadcast.create")
    assert entry.cohort_id == cohort and entry.details["broadcast_id"] == announcement.id
    assert entry.details["recipients"] == 3 and entry.details["not_joined"] == 2
    async with session_factory(engine)() as session:
        yulia = await session.scalar(select(Person.id).where(Person.id == entry.actor_id))
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.broadcast_id == announcement.id)
        )
    assert yulia is not None and queued == 5  # two of them wait for joining

    status = await browser.get(first.headers["location"])
    assert status.status_code == 200 and WORDS in status.text
    assert counts(status) == "no: Terkirim: 0 · Gagal: 0 · Menunggu: 3 · Menunggu bergabung: 2"
    poll = f"{base}/{announcement.id}/hitungan"
    assert f'hx-get="{poll}" hx-trigger="every 2s"' in status.text

    # Lina blocked the bot; the sender delivers the rest.
    lina.block()
    await bot.deliver()
    for person in (budi, bambang):
        assert person.last.plain == f"📢 Pengumuman — {COHORT}\n\n{WORDS}\n\nYulia"
    assert WORDS not in (teguh.last.plain or "")

    fragment = await browser.get(poll)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert counts(fragment) == "yes: Terkirim: 2 · Gagal: 1 · Menunggu: 0 · Menunggu bergabung: 2"
    assert "hx-trigger" not in fragment.text  # nothing waits: the polling stops
    assert text("web.announce.done") in fragment.text
    reasons = re.findall(r"<li>Dr\. Lina Marliani — ([^<]+)</li>", fragment.text)
    assert reasons == [text("delivery.reason.blocked")], fragment.text
    assert "Forbidden" not in fragment.text
    assert "Nurhayati Umasugi" in fragment.text  # waits for joining
    listed = await browser.get(base)
    assert f'href="{base}/{announcement.id}"' in listed.text
    # A form without a valid token sends nothing.
    stale = await browser.post(f"{base}/kirim", data={**fields, "token": "x"})
    assert stale.status_code == 200 and text("web.announce.stale") in stale.text
    assert len(await made(engine)) == 1


async def test_only_the_cohorts_organizers_reach_its_announcements(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    browsers: Any,
) -> None:
    team = await import_roster(engine, now)
    other = await import_roster(engine, now, roster=OTHER_ROSTER, cohort=OTHER_COHORT)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    lina = await join(bot, telegram, 1006, team["lina"].code)
    rina = await join(bot, telegram, 1008, other["rina"].code)  # the other cohort's admin
    admin = telegram.user(ADMIN_ID, "Yulia")
    cohort, elsewhere = await cohort_id(engine), await cohort_id(engine, OTHER_COHORT)
    async with session_factory(engine)() as session, session.begin():
        ours = await broadcasts.create_broadcast(
            session,
            cohort_id=cohort,
            author_id=None,
            text="Ours.",
            audience=broadcasts.Audience(roles=frozenset({Role.PARTICIPANT})),
            now=now,
        )
        theirs = await broadcasts.create_broadcast(
            session,
            cohort_id=elsewhere,
            author_id=None,
            text="Theirs.",
            audience=broadcasts.Audience(roles=frozenset(broadcasts.AUDIENCE_ROLES)),
            now=now,
        )
    base = f"/dasbor/angkatan/{cohort}/pengumuman"
    pages = [base, f"{base}/{ours.broadcast_id}", f"{base}/{ours.broadcast_id}/hitungan"]

    signed: dict[str, Browser] = {}
    for name, user in (
        ("admin", admin),
        ("budi", budi),
        ("bambang", bambang),
        ("lina", lina),
        ("rina", rina),
    ):
        signed[name] = browsers()
        assert (await sign_in(bot, user, signed[name])).status_code == 303
    for path in pages:
        assert (await signed["admin"].get(path)).status_code == 200, path
        for name in ("budi", "bambang", "lina", "rina"):
            answer = await signed[name].get(path)
            assert answer.status_code == 404, (name, path)
            assert COHORT not in answer.text and "Ours." not in answer.text
        stranger = await browsers().get(path)
        assert stranger.status_code == 401 and "Ours." not in stranger.text
    # Another cohort's announcement under our cohort's address: 404 for our organizer too.
    wrong = await signed["admin"].get(f"{base}/{theirs.broadcast_id}")
    assert wrong.status_code == 404 and "Theirs." not in wrong.text
    # Rina's own cohort works for her.
    mine = f"/dasbor/angkatan/{elsewhere}/pengumuman/{theirs.broadcast_id}"
    assert (await signed["rina"].get(mine)).status_code == 200

    # Posts: everyone but the organizer gets 404 (each with their own CSRF token).
    fields = {"text": WORDS, "roles": ["participant"], "token": "a" * 32}
    for name in ("budi", "bambang", "lina", "rina"):
        csrf = await signed[name].csrf()
        for path in (base, f"{base}/kirim"):
            answer = await signed[name].post(path, data={**fields, "csrf": csrf})
            assert answer.status_code == 404, (name, path)
    for path in (base, f"{base}/kirim"):
        assert (await browsers().post(path, data=fields)).status_code == 401
        # The organizer's own post without the form's token: refused.
        assert (await signed["admin"].post(path, data=fields)).status_code == 403
    assert len(await made(engine)) == 2
    assert len(await audits(engine, "broadcast.create")) == 2


async def test_an_announcement_with_a_photo_and_files_that_are_refused(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    browsers: Any,
    desk_app: Any,
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    browser = browsers()
    assert (await sign_in(bot, telegram.user(ADMIN_ID, "Yulia"), browser)).status_code == 303
    base = f"/dasbor/angkatan/{await cohort_id(engine)}/pengumuman"
    csrf = await browser.csrf()
    fields = {"csrf": csrf, "text": WORDS, "roles": ["participant"]}
    form = await browser.get(base)
    assert 'enctype="multipart/form-data"' in form.text and 'type="file"' in form.text

    # Not a photo or document (a program, whatever it claims to be), too large, or empty:
    # refused with the reason, the words kept, nothing stored or written.
    for name, data, reason in (
        ("jadwal.exe", b"MZ\x90\x00", text("web.announce.error.file_type", name="jadwal.exe")),
        (
            "besar.pdf",
            b"%PDF-1.4" + b"0" * (5 * 1024 * 1024),
            text("web.announce.error.file_size", mb=5),
        ),
        ("kosong.pdf", b"", text("web.announce.error.file_empty", name="kosong.pdf")),
    ):
        refused = await browser.post(
            base, data=fields, files={"file": (name, data, "application/pdf")}
        )
        assert refused.status_code == 200 and reason in html.unescape(refused.text)
        assert f">{WORDS}</textarea>" in refused.text
    assert await made(engine) == []

    # A photo named like a document is still a photo: what it holds decides.
    photo = photo_bytes()
    preview = await browser.post(
        base, data=fields, files={"file": ("undangan.pdf", photo, "application/pdf")}
    )
    assert preview.status_code == 200
    kb = -(-len(photo) // 1024)
    assert text("web.announce.file.photo", name="undangan.pdf", kb=kb) in preview.text
    carried = dict(re.findall(r'name="(file_\w+)" value="([^"]*)"', preview.text))
    assert carried["file_kind"] == "photo" and carried["file_sha256"] == sha(photo)

    # A forged key on "Kirim" sends nothing and asks for the file again.
    forged = {**fields, **carried, "file_sha256": "0" * 64, "token": token_of(preview)}
    gone = await browser.post(f"{base}/kirim", data=forged)
    assert gone.status_code == 200 and text("web.announce.error.file_gone") in gone.text
    assert await made(engine) == []

    sent = await browser.post(
        f"{base}/kirim", data={**fields, **carried, "token": token_of(preview)}
    )
    assert sent.status_code == 303
    (announcement,) = await made(engine)
    assert announcement.attachment == {
        "kind": "photo",
        "sha256": sha(photo),
        "file_name": "undangan.pdf",
    }
    (entry,) = await audits(engine, "broadcast.create")
    assert entry.details["attachment"] == "photo"

    # Budi gets the photo, uploaded from the evidence store, with the announcement as caption.
    await bot.deliver()
    message = budi.last
    assert message.kind == "photo" and WORDS in message.plain
    stored = telegram.file(message.file_id)
    assert stored is not None and stored.data == photo
    listed = await browser.get(base)
    assert text("web.announce.file.tag") in listed.text
