"""`properbot demo`: the real bot against the local fake Telegram, playing a scripted story."""

from __future__ import annotations

import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.demo_materials import materials_story
from bot.demo_scores import scores_story
from bot.demo_whatsapp import (
    WhatsAppFront,
    approve_templates,
    whatsapp_front,
    whatsapp_settings,
    whatsapp_story,
)
from bot.harness import RunningBot, running_bot
from bot.settings import Settings, default_evidence_dir
from domain.clock import ManualClock
from domain.cohort_csv import parse_cohort_csv
from domain.enums import Channel, Horizon, SeminarKind
from domain.i18n import DEFAULT_LANGUAGE, Translator, format_datetime, translator
from domain.roles import Role
from domain.timezones import WIB
from fakegram import TINY_JPEG, FakeTelegram
from fakewa import FakeWhatsApp, OutgoingMessage
from handlers.broadcast import refresh_status
from models import Broadcast, Cohort, Person
from models.db import create_engine, session_factory
from models.migrate import upgrade
from services.cohorts import import_cohort, invites_for
from services.people import person_by_account
from services.projects import add_milestone
from services.seminars import NewSeminar, Organizer, reschedule_seminar, schedule_seminar

# Inside the package (package data), so `properbot demo` works from any install, the image too.
SAMPLE = Path(__file__).resolve().parent / "samples" / "pkn2-sumsel-angkatan-xxxvii.csv"
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
    user: Any  # a fakegram user, or a fakewa person on WhatsApp
    seen: dict[object, str] = field(default_factory=dict)  # message id -> text last printed
    channel: Channel = Channel.TELEGRAM


class Transcript:
    """Acts as users and prints what they did and what the bot answered, readable by a person."""

    def __init__(
        self,
        bot: RunningBot,
        server: FakeTelegram,
        out: TextIO,
        t: Translator,
        clock: ManualClock,
        sessions: async_sessionmaker[AsyncSession],
        whatsapp: WhatsAppFront | None = None,
    ) -> None:
        self.bot = bot
        self.whatsapp = whatsapp
        self.clock = clock
        self.sessions = sessions
        self.server = server
        self.out = out
        self.t = t
        self.steps = 0
        self.step_title = ""
        self.saved: list[Path] = []

    def t_for(self, who: Actor) -> Translator:
        """The catalog in `who`'s language (their Telegram's, else the bot's default): the
        buttons they press are labelled in it, whatever language the transcript is in."""
        return translator(getattr(who.user, "language_code", None) or DEFAULT_LANGUAGE)

    def step(self, title: str) -> None:
        self.steps += 1
        self.step_title = title
        print("\n" + self.t("demo.step", title=f"{self.steps}. {title}"), file=self.out)

    def line(self, who: Actor, text: str) -> None:
        """A line about someone, each of its lines marked with their channel."""
        channel = self.t(f"demo.channel.{who.channel.value}")
        for part in text.splitlines():
            print(self.t("demo.on_channel", channel=channel, line=part), file=self.out)

    async def settle(self) -> None:
        """Both channels handled: WhatsApp's webhooks, Telegram's updates and the relays."""
        if self.whatsapp is not None:
            await self.whatsapp.settle()
        await self.bot.settle()
        if self.whatsapp is not None:
            await self.whatsapp.settle()

    async def say(self, who: Actor, text: str) -> Any:
        self.line(who, self.t("demo.user_says", who=who.label, text=text))
        who.user.send(text)
        await self.settle()
        return self._print_new(who)

    async def reply(self, who: Actor, message: Any, text: str) -> Any:
        self.line(who, self.t("demo.user_replies", who=who.label, text=text))
        who.user.send(text, reply_to=message)
        await self.settle()
        return self._print_new(who)

    async def photo(self, who: Actor, caption: str | None = None) -> Any:
        self.line(who, self.t("demo.user_photo", who=who.label, caption=caption or ""))
        if who.channel is Channel.WHATSAPP:
            who.user.send_image(TINY_JPEG, caption)
        else:
            who.user.send_photo(TINY_JPEG, caption=caption)
        await self.settle()
        return self._print_new(who)

    async def deliver(self, *, sweep: bool = False) -> None:
        """What the background scheduler and sender would do at this moment."""
        if sweep:
            await self.bot.sweep()  # the scheduler's own sweeper, at the demo's clock
        # The rate limits pace sends on the clock; move it along as the sender would wait,
        # but only over what is due within the next minute.
        horizon = self.clock.now() + timedelta(minutes=1)
        for _ in range(100):
            result = await self.bot.deliver()
            if self.whatsapp is not None:
                await self.whatsapp.settle()  # the sent messages' status webhooks
            if result.next_at is None or result.next_at > horizon:
                return
            if result.next_at > self.clock.now():
                self.clock.set(result.next_at)

    def catch_up(self, who: Actor) -> Any:
        """Print what the bot sent to someone who did nothing (a report relayed to a mentor)."""
        return self._print_new(who)

    async def press(self, who: Actor, button: str, message: Any = None) -> Any:
        message = message or who.user.last
        self.line(who, self.t("demo.user_presses", who=who.label, button=button))
        if who.channel is Channel.WHATSAPP:
            # A reply button (or a template's), else a row of the list message.
            template_buttons = [text for text, _payload in message.template_buttons]
            if button in message.button_titles or button in template_buttons:
                who.user.press(message, button)
            else:
                who.user.choose(message, button)
            await self.settle()
            return self._print_new(who)
        pressed = who.user.press(message, button)
        await self.settle()
        answer = pressed.answer
        if answer is not None and answer.text:
            self.line(who, self.t("demo.bot_alert", who=who.label, text=answer.text))
        return self._print_new(who)

    def _print_new(self, who: Actor) -> Any:
        if who.channel is Channel.WHATSAPP:
            return self._print_new_whatsapp(who)
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
            self.line(who, self.t(key, who=who.label, text=body))
            if message.button_texts:
                buttons = "  ".join(f"[{b}]" for b in message.button_texts)
                self.line(who, self.t("demo.buttons", buttons=buttons))
            last = message
        return last

    def _print_new_whatsapp(self, who: Actor) -> OutgoingMessage | None:
        """What reached the phone: the text as WhatsApp shows it, a template named."""
        last = None
        for message in who.user.inbox:
            if message.wamid in who.seen:
                continue
            who.seen[message.wamid] = message.text or ""
            body = textwrap.indent(message.text or "", "    ").strip()
            if message.type in ("image", "document"):
                kind = "photo" if message.type == "image" else "document"
                body = f"[{self.t('demo.file.' + kind)}] {body}".strip()
            if message.template is not None:
                body = f"[{self.t('demo.template', name=message.template)}] {body}"
            self.line(who, self.t("demo.bot_says", who=who.label, text=body))
            choices = (
                message.button_titles
                or message.row_titles
                or [text for text, _payload in message.template_buttons]
            )
            if choices:
                buttons = "  ".join(f"[{b}]" for b in choices)
                self.line(who, self.t("demo.buttons", buttons=buttons))
            last = message
        return last

    def save_file(self, who: Actor, kind: str, folder: Path, name: str | None = None) -> Path:
        """Write the newest file of this kind the bot sent to `who` into `folder`."""
        message = next((m for m in reversed(who.user.inbox) if m.kind == kind), None)
        stored = self.server.file(message.file_id) if message and message.file_id else None
        if stored is None:
            raise ScenarioFailed(f"{who.label} received no {kind}")
        path = folder / (name or stored.file_name or f"{kind}.bin")
        path.write_bytes(stored.data)
        self.saved.append(path)
        self.line(who, self.t("demo.saved", path=str(path)))
        return path

    def expect(self, condition: bool, reason: str) -> None:
        if not condition:
            raise ScenarioFailed(reason)


async def run_demo(out: TextIO, *, language: str = "id", folder: Path | None = None) -> int:
    """Play the story; 0 when every step did what it should.

    The database and the files the story ends with (chart, spreadsheet, portfolio) are kept in
    `folder` (a new temporary folder by default), so they can be opened afterwards.
    """
    t = translator(language)
    print(t("demo.title"), file=out)
    print(t("demo.channels"), file=out)
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="properbot-demo-"))
    else:
        folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "demo.sqlite3"
    engine = create_engine(f"sqlite:///{db_path}")
    try:
        await upgrade(engine)
        codes = await _import_sample(engine, DEMO_START)
        clock = ManualClock(DEMO_START)
        async with (
            FakeTelegram(bot_username="properbot_demo_bot") as server,
            FakeWhatsApp(clock=clock) as wa,
        ):
            approve_templates(wa)
            wa.webhook_retry_delay = 0.01
            settings = Settings(
                admin_telegram_ids=frozenset({ADMIN_TELEGRAM_ID}),
                evidence_dir=default_evidence_dir(f"sqlite:///{db_path}"),
                whatsapp=whatsapp_settings(wa),
            )
            async with (
                running_bot(server, settings, clock=clock, engine=engine) as bot,
                whatsapp_front(bot.app, settings, wa, engine, clock) as front,
            ):
                transcript = Transcript(
                    bot, server, out, t, clock, session_factory(engine), whatsapp=front
                )
                try:
                    await _story(transcript, server, wa, codes, engine, folder)
                except (ScenarioFailed, AssertionError, TimeoutError) as exc:
                    print(t("demo.failed", step=transcript.step_title, reason=str(exc)), file=out)
                    return 1
                print("\n" + t("demo.done", steps=transcript.steps, path=str(db_path)), file=out)
                print(t("demo.files", folder=str(folder)), file=out)
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
        return await person_by_account(session, Channel.TELEGRAM, str(telegram_user_id))


async def _story(
    tr: Transcript,
    server: FakeTelegram,
    wa: FakeWhatsApp,
    codes: dict[str, tuple[str, Role, str]],
    engine: Any,
    folder: Path,
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

    bambang = await _report_story(tr, server, codes, engine, sri)
    await whatsapp_story(tr, wa, codes, engine, bambang, sri)
    await _delivery_story(tr, engine, codes, sri, bambang, agus, admin)

    tr.step("Peran dibatasi / a participant tries an organizer command")
    reply = await tr.say(sri, "/angkatan")
    refusal = translator("id")("access.role_required", roles=translator("id")("role.admin"))
    tr.expect(reply is not None and reply.plain == refusal, "a participant must be refused")

    tr.step("Penyelenggara dari ADMIN_TELEGRAM_IDS / the organizer, admin without a code")
    await tr.say(admin, "/start")
    reply = await tr.say(admin, "/angkatan")
    tr.expect(reply is not None and COHORT in (reply.plain or ""), "the admin sees the cohort")

    await _documents_story(tr, sri, admin, folder)
    await materials_story(tr, sri, bambang, admin)
    await scores_story(tr, server, codes, sri, admin, folder)


async def _report_story(
    tr: Transcript,
    server: FakeTelegram,
    codes: dict[str, tuple[str, Role, str]],
    engine: Any,
    sri: Actor,
) -> Actor:
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
    # Three days later. (A report's form waits 12 hours on the bot's clock, so the clock moves
    # before /lapor, not in the middle of it.)
    tr.clock.advance(timedelta(days=3, hours=6))
    chooser = await tr.say(sri, "/lapor")
    await tr.press(sri, chooser.button_texts[0], chooser)
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
    return bambang


async def _documents_story(tr: Transcript, sri: Actor, admin: Actor, folder: Path) -> None:
    """The organizer's chart and spreadsheet and the participant's portfolio, kept as files."""
    tr.step("Rekap angkatan / the organizer's progress chart")
    await tr.say(admin, "/rekap")
    tr.save_file(admin, "photo", folder, "rekap.png")

    tr.step("Ekspor angkatan / the cohort's records as a spreadsheet")
    await tr.say(admin, "/ekspor")
    tr.save_file(admin, "document", folder)

    tr.step("Portofolio peserta / the participant's portfolio for the seminar")
    await tr.say(sri, "/portofolio")
    tr.save_file(sri, "document", folder)


async def _person_id(engine: Any, telegram_user_id: int) -> int:
    person = await _bound(engine, telegram_user_id)
    if person is None:
        raise ScenarioFailed(f"nobody joined as {telegram_user_id}")
    return person.id


async def _delivery_story(
    tr: Transcript,
    engine: Any,
    codes: dict[str, tuple[str, Role, str]],
    sri: Actor,
    bambang: Actor,
    agus: Actor,
    admin: Actor,
) -> None:
    """Fast-forwarded time: a reminder, a seminar notice and its move, a broadcast."""
    t = tr.t
    sessions = session_factory(engine)
    sri_id = await _person_id(engine, 100001)

    tr.step("Pengingat tahapan / a milestone reminder, clock fast-forwarded")
    due = tr.clock.now().astimezone(WIB).date() + timedelta(days=8)
    async with sessions() as session, session.begin():
        await add_milestone(
            session,
            sri_id,
            title="Evaluasi pemanfaatan SIPANDU",
            horizon=Horizon.MEDIUM,
            due_on=due,
            expected_output="Laporan evaluasi",
            today=tr.clock.now().astimezone(WIB).date(),
            now=tr.clock.now(),
        )
    # The next morning, 08.00 WIB: seven days before the target date.
    tomorrow = tr.clock.now().astimezone(WIB).date() + timedelta(days=1)
    tr.clock.set(datetime.combine(tomorrow, time(8, 0), WIB).astimezone(UTC))
    print(t("demo.clock", now=format_datetime(tr.clock.now(), WIB, tr.t.language)), file=tr.out)
    await tr.deliver(sweep=True)
    reminder = tr.catch_up(sri)
    tr.expect(
        reminder is not None and "Evaluasi pemanfaatan SIPANDU" in (reminder.plain or ""),
        "the participant gets the 7-day reminder",
    )

    tr.step("Pemberitahuan seminar dan perubahannya / a seminar notice and its move")
    teguh_nip = next(nip for (_code, role, nip) in codes.values() if role is Role.EXAMINER)
    async with sessions() as session, session.begin():
        examiner = await session.scalar(select(Person).where(Person.nip == teguh_nip))
        assert examiner is not None
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
        assert cohort_id is not None
        starts = datetime.combine(tomorrow + timedelta(days=14), time(9, 0), WIB)
        print(
            t(
                "demo.organizer_cli",
                command=f'properbot seminar add --cohort "{COHORT}" '
                f'--kind rancangan --at "{starts:%Y-%m-%d %H:%M}" --zone WIB ...',
            ),
            file=tr.out,
        )
        planned = await schedule_seminar(
            session,
            NewSeminar(
                cohort_id=cohort_id,
                kind=SeminarKind.DESIGN,
                starts_at=starts,
                zone=WIB,
                presenter_ids=[sri_id],
                examiner_id=examiner.id,
                place="Aula BPSDM Provinsi Sumatera Selatan, Palembang",
            ),
            by=Organizer(person_id=None, label="demo", every_cohort=True),
            now=tr.clock.now(),
        )
    await tr.deliver()
    tr.catch_up(sri)
    notice = tr.catch_up(bambang)
    tr.expect(notice is not None and "seminar" in (notice.plain or "").lower(), "mentor notified")
    tr.clock.advance(timedelta(hours=3))
    moved = starts + timedelta(days=1, hours=5)
    async with sessions() as session, session.begin():
        print(
            t(
                "demo.organizer_cli",
                command=f"properbot seminar reschedule {planned.seminar_id} "
                f'--at "{moved:%Y-%m-%d %H:%M}" --zone WIB',
            ),
            file=tr.out,
        )
        await reschedule_seminar(
            session,
            planned.seminar_id,
            moved,
            zone=WIB,
            by=Organizer(person_id=None, label="demo", every_cohort=True),
            now=tr.clock.now(),
        )
    await tr.deliver()
    change = tr.catch_up(sri)
    tr.expect(change is not None, "the participant is told of the move")
    tr.catch_up(bambang)

    tr.step("Pengumuman dengan satu penerima yang memblokir bot / a broadcast, one blocked")
    tr.line(agus, t("demo.blocks", who=agus.label))
    agus.user.block()
    asked = await tr.say(admin, "/umumkan")
    tr.expect(asked is not None, "the organizer is asked for the text")
    await tr.say(admin, "Pengumpulan laporan akhir paling lambat Jumat pukul 16.00 WIB.")
    admin_t = tr.t_for(admin)
    await tr.press(admin, admin_t("broadcast.button.skip"))
    await tr.press(admin, admin_t("broadcast.button.next"))
    await tr.press(admin, admin_t("broadcast.button.send"))
    await tr.deliver()
    async with sessions() as session:
        broadcast_id = await session.scalar(select(func.max(Broadcast.id)))
    assert broadcast_id is not None
    await refresh_status(tr.bot.app.bot, sessions, broadcast_id, clock=tr.clock)
    tr.catch_up(admin)
    tr.catch_up(sri)
    tr.catch_up(bambang)
    async with sessions() as session:
        blocked = await person_by_account(session, Channel.TELEGRAM, "100002")
    tr.expect(blocked is not None and not blocked.reachable, "the blocked coach is unreachable")
