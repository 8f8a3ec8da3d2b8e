"""`properbot demo`: the real bot against the local fake Telegram, playing a scripted story."""

from __future__ import annotations

import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select

from bot.harness import RunningBot, running_bot
from bot.settings import Settings
from domain.clock import ManualClock
from domain.cohort_csv import parse_cohort_csv
from domain.i18n import Translator, translator
from domain.roles import Role
from domain.timezones import WIB
from fakegram import TINY_JPEG, FakeTelegram
from models import Person
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services.cohorts import import_cohort, invites_for

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pkn2-sumsel-angkatan-xxxvii.csv"
COHORT = "PKN II Angkatan XXXVII"
ORGANIZER = "BPSDM Provinsi Sumatera Selatan"
ADMIN_TELEGRAM_ID = 700001
# Monday 2 November 2026, 08.00 WIB: the first morning of the off-campus stage.
DEMO_START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


class ScenarioFailed(Exception):
    pass


@dataclass
class Actor:
    label: str
    user: Any  # fakegram user handle
    seen: dict[int, str] = field(default_factory=dict)  # message_id -> text last printed


class Transcript:
    """Acts as users and prints what they did and what the bot answered, readable by a person."""

    def __init__(
        self, bot: RunningBot, server: FakeTelegram, out: TextIO, t: Translator, clock: ManualClock
    ) -> None:
        self.bot = bot
        self.clock = clock
        self.server = server
        self.out = out
        self.t = t
        self.steps = 0
        self.step_title = ""

    def step(self, title: str) -> None:
        self.steps += 1
        self.step_title = title
        print("\n" + self.t("demo.step", title=f"{self.steps}. {title}"), file=self.out)

    async def say(self, who: Actor, text: str) -> Any:
        print(self.t("demo.user_says", who=who.label, text=text), file=self.out)
        who.user.send(text)
        await self.bot.settle()
        return self._print_new(who)

    async def reply(self, who: Actor, message: Any, text: str) -> Any:
        print(self.t("demo.user_replies", who=who.label, text=text), file=self.out)
        who.user.send(text, reply_to=message)
        await self.bot.settle()
        return self._print_new(who)

    async def photo(self, who: Actor, caption: str | None = None) -> Any:
        print(self.t("demo.user_photo", who=who.label, caption=caption or ""), file=self.out)
        who.user.send_photo(TINY_JPEG, caption=caption)
        await self.bot.settle()
        return self._print_new(who)

    def catch_up(self, who: Actor) -> Any:
        """Print what the bot sent to someone who did nothing (a report relayed to a mentor)."""
        return self._print_new(who)

    async def press(self, who: Actor, button: str, message: Any = None) -> Any:
        message = message or who.user.last
        print(self.t("demo.user_presses", who=who.label, button=button), file=self.out)
        pressed = who.user.press(message, button)
        await self.bot.settle()
        answer = pressed.answer
        if answer is not None and answer.text:
            print(self.t("demo.bot_alert", who=who.label, text=answer.text), file=self.out)
        return self._print_new(who)

    def _print_new(self, who: Actor) -> Any:
        last = None
        for message in who.user.inbox:
            current = message.plain or message.text or ""
            printed = who.seen.get(message.message_id)
            if printed == current:
                continue  # unchanged, or only its buttons were taken away
            key = "demo.bot_says" if printed is None else "demo.bot_edits"
            who.seen[message.message_id] = current
            body = textwrap.indent(message.plain or message.text or "", "    ").strip()
            if message.kind in ("photo", "document"):
                body = f"[{self.t('demo.file.' + message.kind)}] {body}".strip()
            print(self.t(key, who=who.label, text=body), file=self.out)
            if message.button_texts:
                buttons = "  ".join(f"[{b}]" for b in message.button_texts)
                print(self.t("demo.buttons", buttons=buttons), file=self.out)
            last = message
        return last

    def expect(self, condition: bool, reason: str) -> None:
        if not condition:
            raise ScenarioFailed(reason)


async def run_demo(out: TextIO, *, language: str = "id") -> int:
    """Play the story; 0 when every step did what it should."""
    t = translator(language)
    print(t("demo.title"), file=out)
    # Kept after the run, so the database the story wrote can be looked at.
    folder = Path(tempfile.mkdtemp(prefix="properbot-demo-"))
    db_path = folder / "demo.sqlite3"
    engine = create_engine(f"sqlite:///{db_path}")
    try:
        await upgrade(engine)
        codes = await _import_sample(engine, DEMO_START)
        settings = Settings(admin_telegram_ids=frozenset({ADMIN_TELEGRAM_ID}))
        clock = ManualClock(DEMO_START)
        async with (
            FakeTelegram(bot_username="properbot_demo_bot") as server,
            running_bot(server, settings, clock=clock, engine=engine) as bot,
        ):
            transcript = Transcript(bot, server, out, t, clock)
            try:
                await _story(transcript, server, codes, engine)
            except (ScenarioFailed, AssertionError, TimeoutError) as exc:
                print(t("demo.failed", step=transcript.step_title, reason=str(exc)), file=out)
                return 1
            print("\n" + t("demo.done", steps=transcript.steps, path=str(db_path)), file=out)
    finally:
        await engine.dispose()
    return 0


async def _import_sample(engine: Any, now: datetime) -> dict[str, tuple[str, Role, str]]:
    """Import the sample cohort; returns name -> (code, role, nip) for the story's cast."""
    rows = parse_cohort_csv(SAMPLE.read_bytes(), default_zone=WIB, today=now.date())
    async with session_factory(engine)() as session, session.begin():
        await import_cohort(
            session, COHORT, rows, now=now, actor_label="demo", organizer=ORGANIZER, year=2026
        )
        lines = await invites_for(session, COHORT)
    return {line.name: (line.code, line.role, line.nip) for line in lines}


def _find(codes: dict[str, tuple[str, Role, str]], starts: str) -> tuple[str, str]:
    for name, (code, _role, _nip) in codes.items():
        if name.startswith(starts):
            return name, code
    raise ScenarioFailed(f"sample cohort has nobody called {starts}")


async def _bound(engine: Any, telegram_user_id: int) -> Person | None:
    async with session_factory(engine)() as session:
        return await session.scalar(
            select(Person).where(Person.telegram_user_id == telegram_user_id)
        )


async def _story(
    tr: Transcript, server: FakeTelegram, codes: dict[str, tuple[str, Role, str]], engine: Any
) -> None:
    t = tr.t
    role: Callable[[Role], str] = lambda r: t(r.message_key)  # noqa: E731

    sri_name, sri_code = _find(codes, "Dra. Hj. Sri Wahyuni")
    agus_name, agus_code = _find(codes, "Dr. Agus Setiawan")
    rusdi_name, rusdi_code = _find(codes, "Drs. Rusdi")

    stranger = Actor(t("demo.stranger"), server.user(900001, "Tamu", language_code="id"))
    sri = Actor(
        f"{sri_name} ({role(Role.PARTICIPANT)})", server.user(100001, "Sri", language_code="id")
    )
    agus = Actor(
        f"{agus_name} ({role(Role.COACH)})", server.user(100002, "Agus", language_code="en")
    )
    rusdi = Actor(
        f"{rusdi_name} ({role(Role.MENTOR)})", server.user(100003, "Rusdi", language_code="id")
    )
    admin = Actor(
        f"Admin BPSDM ({role(Role.ADMIN)})",
        server.user(ADMIN_TELEGRAM_ID, "Yulia", language_code="id"),
    )
    intruder = Actor(
        t("demo.stranger") + " 2", server.user(900002, "Orang Lain", language_code="id")
    )

    tr.step("Tamu tak dikenal / unknown visitor")
    reply = await tr.say(stranger, "/peserta")
    tr.expect(
        reply is not None and "/start" in (reply.plain or ""), "a stranger must be told to join"
    )
    reply = await tr.say(stranger, "ABCD-2345")
    tr.expect(
        reply is not None and "4" in (reply.plain or ""), "a wrong code must say the tries left"
    )
    tr.expect(await _bound(engine, 900001) is None, "a wrong code must bind nothing")

    tr.step(
        "Peserta membuka tautan undangan / participant opens the invite link (Bahasa Indonesia)"
    )
    consent = await tr.say(sri, f"/start {sri_code}")
    tr.expect(
        consent is not None and consent.button_texts == ["Setuju", "Tidak setuju"],
        "the consent text must offer Setuju / Tidak setuju",
    )
    await tr.press(sri, "Setuju", consent)
    person = await _bound(engine, 100001)
    tr.expect(person is not None and person.consent_at is not None, "consent must bind the account")
    await tr.say(sri, "/bantuan")
    await tr.say(sri, "/proyek")

    tr.step("Kode yang sudah dipakai / a used code")
    await tr.say(intruder, f"/start {sri_code}")
    tr.expect(await _bound(engine, 900002) is None, "a used code must never bind a second account")

    tr.step("Coach dengan Telegram berbahasa Inggris / a coach whose Telegram is in English")
    await tr.say(agus, "/start")
    consent = await tr.say(agus, agus_code)
    tr.expect(
        consent is not None and consent.button_texts == ["I agree", "I do not agree"],
        "an English Telegram app must get the English consent",
    )
    await tr.press(agus, "I agree", consent)
    await tr.say(agus, "/bantuan")
    await tr.say(agus, "/peserta")

    chooser = await tr.say(agus, "/zona")
    tr.expect(chooser is not None and len(chooser.button_texts) == 3, "three zones offered")
    await tr.press(agus, chooser.button_texts[1], chooser)  # WITA: teaching in Makassar
    person = await _bound(engine, 100002)
    tr.expect(person is not None and person.timezone == "Asia/Makassar", "the zone is stored")

    tr.step(
        "Mentor di Halmahera Barat (WIT) beralih ke bahasa Inggris / a WIT mentor switches language"
    )
    consent = await tr.say(rusdi, f"/start {rusdi_code}")
    await tr.press(rusdi, "Setuju", consent)
    chooser = await tr.say(rusdi, "/bahasa")
    await tr.press(rusdi, "English", chooser)
    reply = await tr.say(rusdi, "/profil")
    tr.expect(reply is not None and "WIT" in (reply.plain or ""), "the profile shows WIT")

    await _report_story(tr, server, codes, engine, sri)

    tr.step("Peran dibatasi / a participant tries an organizer command")
    reply = await tr.say(sri, "/angkatan")
    refusal = translator("id")("access.role_required", roles=translator("id")("role.admin"))
    tr.expect(reply is not None and reply.plain == refusal, "a participant must be refused")

    tr.step("Penyelenggara dari ADMIN_TELEGRAM_IDS / the organizer, admin without a code")
    await tr.say(admin, "/start")
    reply = await tr.say(admin, "/angkatan")
    tr.expect(reply is not None and COHORT in (reply.plain or ""), "the admin sees the cohort")


async def _report_story(
    tr: Transcript,
    server: FakeTelegram,
    codes: dict[str, tuple[str, Role, str]],
    engine: Any,
    sri: Actor,
) -> None:
    """A milestone, a report with a photo, feedback by reply, the answer, and the sign-off."""
    t = tr.t
    bambang_name, bambang_code = _find(codes, "Dr. Ir. H. Bambang")
    bambang = Actor(
        f"{bambang_name} ({t(Role.MENTOR.message_key)})",
        server.user(100004, "Bambang", language_code="id"),
    )
    tr.step("Mentor bergabung / the participant's mentor joins")
    consent = await tr.say(bambang, f"/start {bambang_code}")
    await tr.press(bambang, "Setuju", consent)

    tr.step("Peserta menambah tahapan / the participant adds a milestone")
    overview = await tr.say(sri, "/proyek")
    await tr.press(sri, "➕ Tambah tahapan", overview)
    await tr.say(sri, "Peluncuran aplikasi SIPANDU di 5 kabupaten")
    await tr.press(sri, "Jangka pendek")
    confirm = await tr.say(sri, "25 Des")
    tr.expect(confirm is not None and "25 Desember 2026" in (confirm.plain or ""), "date read back")
    await tr.press(sri, "Ya", confirm)
    await tr.say(sri, "Aplikasi dipakai di 5 kabupaten")

    tr.step("Laporan dengan foto / a report with a photo")
    chooser = await tr.say(sri, "/lapor")
    await tr.press(sri, chooser.button_texts[0], chooser)
    tr.clock.advance(timedelta(days=3, hours=6))
    await tr.say(sri, "Aplikasi SIPANDU telah diuji coba di lima kabupaten bersama tim efektif.")
    await tr.photo(sri, "Peluncuran di Kabupaten Banyuasin")
    await tr.press(sri, "Selesai")
    await tr.press(sri, "100%")
    await tr.press(sri, "Kirim")
    relay = tr.catch_up(bambang)
    tr.expect(
        relay is not None and "✅ Setujui" in relay.button_texts, "the mentor gets the report"
    )

    tr.step("Umpan balik lewat balasan / feedback by reply, and the answer")
    tr.clock.advance(timedelta(hours=2))
    await tr.reply(bambang, relay, "Luar biasa. Mohon lampirkan data pengguna bulan pertama.")
    feedback = tr.catch_up(sri)
    tr.expect(feedback is not None and "Umpan balik" in (feedback.plain or ""), "feedback arrives")
    await tr.reply(sri, feedback, "Baik Pak, data pengguna akan saya kirim pekan depan.")
    tr.catch_up(bambang)

    tr.step("Persetujuan mentor / the mentor approves the milestone")
    tr.clock.advance(timedelta(hours=1))
    await tr.press(bambang, "✅ Setujui", relay)
    tr.catch_up(sri)
    status = await tr.say(sri, "/status")
    tr.expect(status is not None and "Disetujui" in (status.plain or ""), "status shows approval")
