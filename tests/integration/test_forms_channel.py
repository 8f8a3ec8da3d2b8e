"""The core needs nothing of Telegram: a minimal in-memory channel, written only for this test,
drives /lapor through the form engine, the mentor's feedback and /status's view of it; the
form's state lives in the database between inputs, so each input may come to another process."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.enums import Channel
from domain.forms import FormButton, Input, MediaInput, Prompt, TextInput
from domain.i18n import translator
from fakegram import TINY_JPEG
from models import Evidence, FormState, Person, ProgressUpdate
from models.db import session_factory
from services import feedback_form, forms, projects, report_form, reports
from services.feedback_form import Relayed
from services.forms import Form, FormContext, Outcome
from services.outbox import MessageRef
from storage.evidence_store import MemoryStore
from tests.factories import add_milestones, import_roster

FORMS: dict[str, Form] = {report_form.REPORT_FORM.name: report_form.REPORT_FORM}


@dataclass
class Shown:
    prompt: Prompt
    token: str | None

    def value_of(self, label: str) -> str:
        return next(c.value for c in self.prompt.choices if c.label.startswith(label))


@dataclass
class MemoryScreen:
    """A channel that keeps what it was asked to show."""

    files: dict[str, bytes]
    shown: list[Shown] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    pressed: MessageRef | None = None

    @property
    def origin(self) -> MessageRef | None:
        return self.pressed

    async def show(
        self, prompt: Prompt, *, token: str | None, in_place: bool = True
    ) -> MessageRef | None:
        self.shown.append(Shown(prompt, token))
        return MessageRef("1", str(len(self.shown)))

    async def settle(self, prompt: Prompt) -> None:
        self.shown.append(Shown(dataclasses.replace(prompt, choices=()), None))

    async def alert(self, text: str) -> None:
        self.alerts.append(text)

    async def fetch(self, media: MediaInput) -> bytes | None:
        return self.files.get(media.ref)


class PlainTexts:
    """Catalog texts without any markup escaping: this channel shows plain text."""

    def __init__(self, language: str) -> None:
        self.translate = translator(language)

    def __call__(self, key: str, /, **params: object) -> str:
        return self.translate(key, **params)

    def nested(self, key: str, /, **params: object) -> str:
        return self.translate(key, **params)


class MemoryChannel:
    """One person on the in-memory channel. Every input opens its own session, as a separate
    process would: nothing is carried between inputs but the database."""

    def __init__(self, engine: AsyncEngine, person_id: int, now: datetime) -> None:
        self.sessions = session_factory(engine)
        self.person_id = person_id
        self.now = now
        self.store = MemoryStore()
        self.screen = MemoryScreen(files={})

    @property
    def last(self) -> Shown:
        return self.screen.shown[-1]

    async def _turn(self, work: Callable[[FormContext], Awaitable[object]]) -> object:
        later: list[Callable[[], Awaitable[None]]] = []
        async with self.sessions() as session, session.begin():
            ctx = FormContext(
                open_session=session,
                sessions=self.sessions,
                person_id=self.person_id,
                language="id",
                now=self.now,
                t=PlainTexts("id"),
                screen=self.screen,
                evidence_store=self.store,
                max_evidence_bytes=20 * 1024 * 1024,
                on_commit=lambda callback: None,
                after_commit=later.append,
            )
            ctx.state = await forms.load(session, self.person_id, self.now)
            result = await work(ctx)
        ctx.open_session = None
        for step in later:
            await step()
        return result

    async def lapor(self) -> None:
        await self._turn(lambda ctx: forms.start(ctx, report_form.begin))

    async def give(self, given: Input | FormButton) -> Outcome:
        outcome = await self._turn(lambda ctx: forms.answer(ctx, FORMS, given))
        assert isinstance(outcome, Outcome)
        return outcome

    async def reply(self, to: Relayed, words: str) -> bool:
        """Words sent in reply to a message this channel delivered."""
        taken = await self._turn(lambda ctx: feedback_form.reply(ctx, to, words))
        assert isinstance(taken, bool)
        return taken

    async def say(self, words: str) -> Outcome:
        return await self.give(TextInput(words))

    async def choose(self, label: str, shown: Shown | None = None) -> Outcome:
        shown = shown or self.last
        assert shown.token is not None
        self.screen.pressed = MessageRef("1", str(self.screen.shown.index(shown) + 1))
        return await self.give(FormButton(shown.token, shown.value_of(label)))

    async def send_file(self, ref: str, data: bytes) -> Outcome:
        self.screen.files[ref] = data
        media = MediaInput(kind="photo", ref=ref, unique_ref=f"u-{ref}", size=len(data))
        return await self.give(media)


async def _person(engine: AsyncEngine, nip: str) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Person.id).where(Person.nip == nip))
        assert found is not None
        return found


async def test_lapor_feedback_and_status_through_an_in_memory_channel(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = MemoryChannel(engine, await _person(engine, team["budi"].nip), now)

    await budi.lapor()
    assert budi.last.prompt.text == translator("id")("report.choose_milestone")
    chooser = budi.last
    assert await budi.choose(chooser.prompt.choices[0].label) is Outcome.HANDLED
    assert "kegiatan yang telah dilakukan" in budi.last.prompt.text
    assert await budi.say("Sosialisasi aplikasi ke 12 OPD.") is Outcome.HANDLED
    await budi.choose("Lewati")  # kendala
    await budi.say("Uji coba di dua kelurahan.")  # rencana berikutnya
    assert await budi.send_file("photo-1", TINY_JPEG) is Outcome.HANDLED
    assert "1" in budi.last.prompt.text  # the evidence question again, with the count
    # The chooser's token belongs to a step long gone: stale, and nothing changes.
    assert await budi.choose(chooser.prompt.choices[0].label, chooser) is Outcome.STALE
    await budi.choose("Selesai")
    await budi.choose("60%")
    summary = budi.last
    assert "Sosialisasi aplikasi ke 12 OPD." in summary.prompt.text and "60%" in summary.prompt.text
    await budi.choose("Kirim")

    receipt = budi.last
    assert receipt.token is None  # the form is closed; only the correction action remains
    assert receipt.prompt.choices[0].action is not None
    async with session_factory(engine)() as session:
        report = await session.scalar(select(ProgressUpdate))
        assert report is not None and report.progress_percent == 60
        evidence = await session.scalar(select(Evidence))
        assert evidence is not None and evidence.sha256 is not None
        assert await budi.store.get(evidence.sha256) == TINY_JPEG
        assert await session.scalar(select(FormState)) is None

    # The report reaches the mentor on this channel (it names itself by the second channel
    # the bot knows), and he replies to it: the services decide that a reply to a relayed
    # report is feedback in its thread.
    bambang = MemoryChannel(engine, await _person(engine, team["bambang"].nip), now)
    relayed = Relayed(Channel.WHATSAPP, "bambang-chat", "relay-1")
    async with session_factory(engine)() as session, session.begin():
        await reports.record_relay(
            session,
            channel=relayed.channel,
            chat_ref=relayed.chat_ref,
            message_ref=relayed.message_ref,
            recipient_id=bambang.person_id,
            update_id=report.id,
            note_id=None,
            now=now,
        )
    elsewhere = Relayed(Channel.WHATSAPP, "bambang-chat", "not-a-relay")
    assert await bambang.reply(elsewhere, "Halo.") is False  # an ordinary reply: not ours
    assert await bambang.reply(relayed, "Lanjutkan, bagus.") is True
    # Budi has no reachable account here: the note is kept, and the mentor told so.
    assert bambang.last.prompt.text == translator("id")(
        "note.saved_unreachable", name="Budi Santoso", relation="Peserta"
    )
    # Budi cannot answer a message that was sent to his mentor.
    assert await budi.reply(relayed, "Terima kasih.") is True
    assert budi.last.prompt.text == translator("id")("access.not_yours")

    # /status: the milestone at 60% with the mentor's newest note.
    async with session_factory(engine)() as session:
        view = await projects.project_view(session, budi.person_id)
    reported = next(m for m in view.milestones if m.id == report.milestone_id)
    assert reported.progress == 60
    assert reported.newest_note is not None and reported.newest_note.text == "Lanjutkan, bagus."


async def test_an_open_form_closes_after_twelve_hours(engine: AsyncEngine, now: datetime) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = MemoryChannel(engine, await _person(engine, team["budi"].nip), now)
    await budi.lapor()
    await budi.choose(budi.last.prompt.choices[0].label)

    budi.now = now + forms.FORM_LIFETIME - timedelta(minutes=1)
    assert await budi.say("Masih dalam waktu.") is Outcome.HANDLED
    budi.now += forms.FORM_LIFETIME + timedelta(minutes=1)
    assert await budi.say("Terlambat.") is Outcome.NOT_TAKEN
    assert await budi.choose("Lewati") is Outcome.STALE
    async with session_factory(engine)() as session:
        assert await session.scalar(select(FormState)) is None  # dropped when found expired


async def test_a_step_that_does_not_take_the_input_leaves_the_form_as_it_was(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = MemoryChannel(engine, await _person(engine, team["budi"].nip), now)
    await budi.lapor()
    async with session_factory(engine)() as session:
        before = await session.get_one(FormState, budi.person_id)
        token = before.token

    # Words while the milestone is to be chosen: left to the channel's other handlers.
    assert await budi.say("Teks di tengah pilihan tahapan.") is Outcome.NOT_TAKEN
    assert await budi.give(FormButton("zzzzzz", "1")) is Outcome.STALE
    async with session_factory(engine)() as session:
        after = await session.get_one(FormState, budi.person_id)
        assert (after.step, after.token) == ("milestone", token)
