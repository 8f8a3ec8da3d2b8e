"""The WhatsApp adapter's entry: one inbox row (an incoming message or a status) handled in one
database session and transaction, its row marked done in that transaction, as Telegram's
updates are (handlers/turn.py).

A message goes, in order, to: joining (a stranger's "DAFTAR <code>" and the consent buttons),
a reply to a relayed report or note (its thread), the person's open form (services/forms.py),
the keywords (LAPOR, STATUS, BANTUAN, BATAL, MENU, ...), and the Menu list for anything else.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain import actions
from domain.enums import Channel
from domain.forms import (
    Choice,
    FormButton,
    Input,
    Prompt,
    PromptKind,
    TextInput,
    decode_button,
    is_form_button,
)
from domain.i18n import SUPPORTED_LANGUAGES, format_datetime
from domain.markup import Markup, to_whatsapp
from domain.progress import progress_bar
from domain.roles import Role
from services import forms, inbox, onboarding, overview, relays, report_form, reports
from services.errors import UserFacingError
from services.feedback_form import Relayed
from services.feedback_form import begin as begin_feedback
from services.feedback_form import deliver as deliver_note
from services.feedback_form import reply as reply_in_thread
from services.form_registry import FORMS
from services.forms import Form, FormContext, Outcome
from services.inbox import InboxRow
from services.onboarding import AlreadyJoined, CodeRefused, CodeValid, Joined, Refusal
from services.people import (
    ROLE_ORDER,
    AccountRef,
    Actor,
    came_back,
    ensure_admin_person,
    load_actor,
    set_language,
    touch,
)
from services.relay_view import queue_view
from services.status_text import status_text
from whatsapp import keywords, personal_flows, seminar_flows
from whatsapp.incoming import Incoming, Kind, parse
from whatsapp.keywords import Keyword
from whatsapp.runtime import WhatsAppRuntime, runtime_of
from whatsapp.screen import WhatsAppScreen, WhatsAppTexts
from whatsapp.shaping import ListOut, Row, more_press, shorten
from whatsapp.statuses import apply_status
from whatsapp.templates import parse_view_payload

log = logging.getLogger(__name__)

PARTICIPANTS = frozenset({Role.PARTICIPANT})
ADVISORS = frozenset({Role.MENTOR, Role.COACH})
# The consent buttons under a valid code: "cs1:y:<code>" / "cs1:n:<code>".
CONSENT = "cs1"
_CONSENT = re.compile(rf"^{CONSENT}:([yn]):([A-Z0-9]{{1,40}})$")
_REPORT_ACTION = re.compile(
    rf"^{actions.REPORT}:([{actions.REPORT_NOW}{actions.CORRECT}]):(\d{{1,10}})$"
)
# The language buttons: "lg1:<code>".
LANGUAGE = "lg1"
_LANGUAGE = re.compile(rf"^{LANGUAGE}:([a-z]{{2}})$")
# The step of the report form whose "Selesai" a typed SELESAI / DONE stands for.
EVIDENCE_STEP = report_form.Step.EVIDENCE


@dataclass
class Turn:
    """One incoming message's work: the actor, the session inside its transaction, the screen."""

    actor: Actor
    runtime: WhatsAppRuntime
    incoming: Incoming
    screen: WhatsAppScreen
    open_session: AsyncSession | None = field(repr=False)
    now: datetime
    committed: list[Callable[[], None]] = field(default_factory=list)
    later: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def session(self) -> AsyncSession:
        if self.open_session is None:
            raise RuntimeError("the update's transaction has ended")
        return self.open_session

    @property
    def t(self) -> WhatsAppTexts:
        return self.screen.t

    async def role_required(self, roles: frozenset[Role]) -> None:
        """The polite refusal naming the roles that may do this."""
        names = ", ".join(self.t(r.message_key) for r in sorted(roles, key=ROLE_ORDER.index))
        await self.say("access.role_required", roles=names)

    async def say(self, key: str, /, **params: object) -> None:
        await self.screen.say(self.t(key, **params))

    def form_context(self) -> FormContext:
        assert self.actor.person_id is not None
        rt = self.runtime
        ctx = FormContext(
            open_session=self.session,
            sessions=rt.sessions,
            person_id=self.actor.person_id,
            language=self.actor.language,
            now=self.now,
            t=self.t,
            screen=self.screen,
            evidence_store=rt.evidence_store,
            max_evidence_bytes=rt.max_evidence_bytes,
            on_commit=self.committed.append,
            after_commit=self.later.append,
            wake=rt.wake,
            account_id=self.actor.account.id,
        )
        self.screen.state_of = lambda: ctx.state
        return ctx


async def handle(row: InboxRow, runtime: WhatsAppRuntime) -> None:
    """Handle one WhatsApp inbox row. Errors are logged (and the person told, for a message):
    the worker marks the row done all the same, as an update failing every time must not be
    tried for ever."""
    kind = row.payload.get("kind")
    try:
        if kind == "status":
            await _status(row, runtime)
        elif kind == "message":
            await _message(parse(row.payload), runtime)
        else:
            log.warning("WhatsApp inbox row %s of unknown kind %r", row.id, kind)
    except Exception:
        log.exception("error while handling WhatsApp inbox row %s", row.id)
        if kind == "message":
            await _tell_error(row, runtime)


def whatsapp_work(
    bot_data: MutableMapping[str, Any], row: InboxRow
) -> Callable[[], Awaitable[None]]:
    """The active worker's handling of a WhatsApp row, with the runtime its application has."""

    async def work() -> None:
        runtime = runtime_of(bot_data)
        if runtime is None:
            log.error("WhatsApp inbox row %s, but WhatsApp is not set up in this instance", row.id)
            return
        await handle(row, runtime)

    return work


async def _tell_error(row: InboxRow, runtime: WhatsAppRuntime) -> None:
    try:
        incoming = parse(row.payload)
        screen = WhatsAppScreen(
            runtime.client, incoming.wa_id, WhatsAppTexts(runtime.default_language)
        )
        await screen.say(screen.t("error.generic"))
    except Exception:  # the error report must never raise in turn
        log.exception("could not tell the WhatsApp user about the error")


async def _status(row: InboxRow, runtime: WhatsAppRuntime) -> None:
    now = runtime.clock.now()
    async with runtime.sessions() as session, session.begin():
        await apply_status(
            session,
            row.payload["status"],
            now,
            admin_external_ids=runtime.admin_telegram_ids,
            admin_channel=Channel.TELEGRAM if runtime.admin_telegram_ids else None,
        )
        await inbox.mark_current_done(session, now)


async def _message(incoming: Incoming, runtime: WhatsAppRuntime) -> None:
    now = runtime.clock.now()
    async with runtime.sessions() as session, session.begin():
        actor = await _actor(session, runtime, incoming)
        if actor.person_id is None and actor.global_admin:
            # Admins from the settings need no code; a person record keeps their preferences.
            await ensure_admin_person(
                session,
                AccountRef(Channel.WHATSAPP, incoming.wa_id),
                incoming.wa_id,
                name=incoming.name,
                language=actor.language,
                zone=runtime.default_zone,
                now=now,
            )
            actor = dataclasses.replace(
                await _actor(session, runtime, incoming), first_contact=True
            )
        if actor.person_id is not None:
            if not actor.reachable and actor.account.id is not None:
                # They were unreachable (a failed delivery) and write again.
                await came_back(session, actor.account.id, incoming.wa_id, now)
                actor = dataclasses.replace(actor, reachable=True)
            # Their 24-hour window opens (services.people.touch keeps it to a write in 10 min).
            await touch(session, actor, now)
        screen = WhatsAppScreen(runtime.client, incoming.wa_id, WhatsAppTexts(actor.language))
        turn = Turn(actor, runtime, incoming, screen, session, now)
        await _route(turn)
        if not turn.later:
            # The row is done with this transaction's work, or not at all; with steps after
            # the commit, their own commit marks it (services/inbox.py mark_on_commit).
            await inbox.mark_current_done(session, now)
    turn.open_session = None
    for callback in turn.committed:
        callback()
    marking = inbox.mark_on_commit.set(True)
    try:
        for step in turn.later:
            await step()
    finally:
        inbox.mark_on_commit.reset(marking)


async def _actor(session: AsyncSession, runtime: WhatsAppRuntime, incoming: Incoming) -> Actor:
    """Who writes from this number; the global admins come from the settings."""
    return await load_actor(
        session,
        Channel.WHATSAPP,
        incoming.wa_id,
        global_admin=incoming.wa_id in runtime.admin_wa_ids,
        default_language=runtime.default_language,
        default_zone=runtime.default_zone,
        language_hint=None,
        display_name=incoming.name,
    )


async def _route(turn: Turn) -> None:
    incoming = turn.incoming
    if not turn.actor.is_known:
        return await _stranger(turn)
    if turn.actor.first_contact:
        # An admin from the settings writing for the first time: what they can do here.
        return await _menu(turn)
    if incoming.kind is Kind.PRESS:
        return await _press(turn)
    if incoming.kind is Kind.OTHER:
        return await turn.say("text.unsupported")
    if incoming.kind is Kind.TEXT:
        code = keywords.join_code(incoming.text)
        if code is not None:
            return await _answer_code(turn, code)
        if incoming.context_id is not None and await _reply_in_thread(turn):
            return None
    return await _member_input(turn)


# --- joining -----------------------------------------------------------------------------------


async def _stranger(turn: Turn) -> None:
    incoming = turn.incoming
    if incoming.kind is Kind.PRESS:
        match = _CONSENT.match(incoming.data or "")
        if match is not None:
            return await _consent(turn, agreed=match.group(1) == "y", code=match.group(2))
        return await turn.say("wa.not_registered")
    code = keywords.join_code(incoming.text) if incoming.kind is Kind.TEXT else None
    if code is None:
        return await turn.say("wa.not_registered")
    return await _answer_code(turn, code)


async def _answer_code(turn: Turn, raw_code: str) -> None:
    if not raw_code:
        return await turn.say("wa.code_missing")
    result = await onboarding.check_code(
        turn.session,
        turn.actor.account,
        raw_code,
        now=turn.now,
        limits=turn.runtime.guess_limits,
    )
    if isinstance(result, CodeValid):
        t = turn.t
        prompt = Prompt(
            t("wa.consent.text", name=result.person_name),
            PromptKind.CHOICE,
            (
                Choice(t("consent.agree"), action=f"{CONSENT}:y:{result.code}"),
                Choice(t("consent.decline"), action=f"{CONSENT}:n:{result.code}"),
            ),
        )
        await turn.screen.show(prompt, token=None)
    elif isinstance(result, AlreadyJoined):
        await _welcome_back(turn)
    else:
        await turn.screen.say(_refusal_text(turn, result))


async def _welcome_back(turn: Turn) -> None:
    actor = turn.actor
    role = actor.main_role
    await turn.say(
        "wa.welcome_back",
        person=turn.t.nested(f"address.{actor.salutation}", name=actor.name),
        role=turn.t(role.message_key) if role else "-",
    )


def _refusal_text(turn: Turn, refusal: CodeRefused) -> str:
    t = turn.t
    if refusal.reason is Refusal.LOCKED:
        assert refusal.locked_until is not None
        until = format_datetime(refusal.locked_until, turn.actor.timezone, turn.actor.language)
        return t("code.locked", until=until)
    if refusal.reason is Refusal.USED:
        return t("code.used")
    if refusal.reason is Refusal.ACCOUNT_BOUND:
        return t("wa.account_bound")
    if refusal.reason is Refusal.CHANNEL_TAKEN:
        return t("accounts.channel_taken")
    return t("code.unknown", left=refusal.attempts_left or 0)


async def _consent(turn: Turn, *, agreed: bool, code: str) -> None:
    """ "Setuju" / "Tidak setuju" under the consent text."""
    if not agreed:
        return await turn.say("consent.declined")
    incoming = turn.incoming
    result = await onboarding.join(
        turn.session,
        AccountRef(Channel.WHATSAPP, incoming.wa_id),
        # WhatsApp delivers to the number itself: the wa_id is the chat.
        incoming.wa_id,
        code,
        language=turn.actor.language,
        now=turn.now,
        limits=turn.runtime.guess_limits,
    )
    if isinstance(result, Joined):
        if result.waiting:
            # Announcements and notices that waited for them go out right after the join.
            turn.committed.append(turn.runtime.wake)
        return await _welcome(turn, result)
    if isinstance(result, AlreadyJoined):
        return await turn.say("code.already_joined")
    return await turn.screen.say(_refusal_text(turn, result))


async def _welcome(turn: Turn, joined: Joined) -> None:
    actor = await _actor(turn.session, turn.runtime, turn.incoming)
    turn.actor = actor
    turn.screen.t = WhatsAppTexts(actor.language)
    t = turn.t
    await turn.say("consent.recorded", at=format_datetime(turn.now, actor.timezone, actor.language))
    roles = "\n".join(
        t("start.membership_line", role=t(role.message_key), cohort=cohort)
        for cohort, role in joined.memberships
    )
    await turn.say(
        "wa.joined",
        person=t.nested(f"address.{actor.salutation}", name=actor.name),
        memberships=Markup(roles) or "-",
    )
    await _menu(turn)


# --- a reply to a relayed report or note ---------------------------------------------------------


async def _reply_in_thread(turn: Turn) -> bool:
    """Words quoting a relayed report or note: a note in its thread (services/feedback_form)."""
    incoming = turn.incoming
    assert incoming.context_id is not None
    ctx = turn.form_context()
    relayed = Relayed(Channel.WHATSAPP, incoming.wa_id, incoming.context_id)
    return await reply_in_thread(ctx, relayed, incoming.text)


# --- presses -------------------------------------------------------------------------------------


async def _press(turn: Turn) -> None:
    incoming = turn.incoming
    data = incoming.data or ""
    ctx = turn.form_context()
    ctx.state = await forms.load(turn.session, ctx.person_id, ctx.now)
    more = more_press(data)
    if more is not None:
        if not await turn.screen.show_page(ctx.state, *more):
            await turn.say("wa.stale")
        return None
    button = decode_button(data)
    if button is not None or is_form_button(data):
        outcome = Outcome.STALE
        if button is not None and _allowed(ctx, turn.actor):
            outcome = await forms.answer(ctx, FORMS, button)
        if outcome is not Outcome.HANDLED:
            await turn.say("wa.stale")
        return None
    word = keywords.menu_keyword(data)
    if word is not None:
        return await _keyword(turn, ctx, word)
    view = parse_view_payload(data)
    if view is not None:
        return await _view(turn, view)
    consent = _CONSENT.match(data)
    if consent is not None:
        return await _consent(turn, agreed=consent.group(1) == "y", code=consent.group(2))
    language = _LANGUAGE.match(data)
    if language is not None:
        return await _language_chosen(turn, language.group(1))
    report_action = _REPORT_ACTION.match(data)
    if report_action is not None:
        return await _report_action(turn, ctx, report_action.group(1), int(report_action.group(2)))
    press = actions.advisor_press(data)
    if press is not None and incoming.context_id is not None:
        on = Relayed(Channel.WHATSAPP, incoming.wa_id, incoming.context_id)
        return await _advisor_press(turn, ctx, on, press)
    if await personal_flows.pressed(turn, ctx, data):
        return None
    if await seminar_flows.press(turn, ctx):
        return None
    return await turn.say("wa.stale")


async def _advisor_press(
    turn: Turn, ctx: FormContext, on: Relayed, press: actions.AdvisorPress
) -> None:
    """A button under a relayed report: feedback and revision ask for words (the feedback
    form), approval and "sudah dibaca" act at once. Only for the person it was sent to, on the
    message it came with (the services check both)."""
    if press.action in (actions.GIVE_FEEDBACK, actions.ASK_REVISION):
        return await forms.enter(ctx, lambda c: begin_feedback(c, on, press))
    person = ctx.person_id
    try:
        await reports.check_advisor_button(
            turn.session, person, on.channel, on.chat_ref, on.message_ref, press.update_id
        )
        if press.action == actions.APPROVE:
            delivery = await reports.approve(turn.session, person, press.update_id, turn.now)
            await turn.say("feedback.approved_toast")
            return await deliver_note(ctx, delivery)
        acknowledged = await reports.acknowledge(turn.session, person, press.update_id, turn.now)
    except UserFacingError as exc:
        return await turn.say(exc.key, **exc.params)
    if acknowledged is None:  # a second tap: already recorded and told
        return await turn.say("acknowledge.already")
    delivered = await relays.queue_note(turn.session, acknowledged, turn.now)
    if delivered:
        turn.committed.append(turn.runtime.wake)
    key = "acknowledge.done" if delivered else "acknowledge.saved_unreachable"
    return await turn.say(key, name=acknowledged.recipient.name)


async def _view(turn: Turn, outbox_id: int) -> None:
    """ "Lihat laporan" under a template: the tap opened the window, the relay follows in full
    through the queue."""
    assert turn.actor.person_id is not None
    queued = await queue_view(
        turn.session,
        outbox_id,
        person_id=turn.actor.person_id,
        account_id=turn.actor.account.id,
        now=turn.now,
    )
    if queued is None:
        return await turn.say("access.not_yours")
    if not queued:
        return await turn.say("wa.view.again")
    turn.committed.append(turn.runtime.wake)
    return None


async def _report_action(turn: Turn, ctx: FormContext, action: str, number: int) -> None:
    """ "Lapor sekarang" under a reminder, "Koreksi laporan" under a receipt."""
    if not turn.actor.has_any(PARTICIPANTS):
        return await turn.role_required(PARTICIPANTS)
    if action == actions.REPORT_NOW:
        return await forms.enter(ctx, lambda c: report_form.report_now(c, number))
    return await forms.enter(ctx, lambda c: report_form.correct(c, number))


def _allowed(ctx: FormContext, actor: Actor) -> bool:
    """Whether the actor may still fill in the open form (a role can be withdrawn meanwhile)."""
    form = FORMS.get(ctx.state.form) if ctx.state is not None else None
    return form is None or actor.has_any(form.roles)


# --- words and files -----------------------------------------------------------------------------


async def _member_input(turn: Turn) -> None:
    """Words or a file from a member: the open form, else a keyword, else the menu."""
    incoming = turn.incoming
    ctx = turn.form_context()
    ctx.state = state = await forms.load(turn.session, ctx.person_id, ctx.now)
    word = keywords.keyword(incoming.text) if incoming.kind is Kind.TEXT else None
    form = FORMS.get(state.form) if state is not None else None
    if state is not None and word is Keyword.CANCEL:
        await forms.discard(turn.session, ctx.person_id)
        return await turn.say(form.cancelled if form is not None else Form.cancelled)
    if (
        state is not None
        and word is Keyword.DONE
        and state.step == EVIDENCE_STEP
        # "Selesai" typed instead of tapped: the files arrive one message each on WhatsApp.
        and await forms.answer(ctx, FORMS, FormButton(state.token, "done")) is Outcome.HANDLED
    ):
        return None
    if state is not None and word in (Keyword.HELP, Keyword.MENU):
        return await _keyword(turn, ctx, word)
    active = state is not None and (form is None or not form.passive)
    if active and word is not None and word is not Keyword.DONE:
        return await turn.say("wa.busy")
    if state is not None and word is None:
        given: Input | None = incoming.media or (
            TextInput(incoming.text) if incoming.text is not None else None
        )
        if (
            given is not None
            and _allowed(ctx, turn.actor)
            and await forms.answer(ctx, FORMS, given) is Outcome.HANDLED
        ):
            return None
        if active:
            return await turn.say("wa.use_choices")
    if word is not None:
        return await _keyword(turn, ctx, word)
    dates = keywords.pause_dates(incoming.text) if incoming.kind is Kind.TEXT else None
    if dates is not None:
        return await personal_flows.pause(turn, dates)  # "JEDA 24/12 - 2/1"
    if incoming.kind is Kind.MEDIA:
        return await _file_outside_form(turn, ctx)
    await turn.say("wa.unknown")
    return await _menu(turn)


async def _file_outside_form(turn: Turn, ctx: FormContext) -> None:
    """A participant's file outside a form: offered as a report (nothing they send is lost)."""
    if not turn.actor.has_any(PARTICIPANTS):
        advisor = turn.actor.has_any(ADVISORS)
        return await turn.say("feedback.not_forwarded" if advisor else "text.unsupported")
    media = turn.incoming.media
    caption = media.caption if media is not None else None
    return await forms.enter(ctx, lambda c: report_form.offer(c, media, caption))


async def _keyword(turn: Turn, ctx: FormContext, word: Keyword) -> None:
    if word is Keyword.CANCEL:
        # With a form open the form's own handling came first.
        return await turn.say("wa.nothing_to_cancel")
    if word in (Keyword.MENU, Keyword.DONE):
        return await _menu(turn)
    if word is Keyword.HELP:
        return await _help(turn)
    if word is Keyword.REPORT:
        if not turn.actor.has_any(PARTICIPANTS):
            return await turn.role_required(PARTICIPANTS)
        return await forms.enter(ctx, report_form.begin)
    if word is Keyword.STATUS:
        if not turn.actor.has_any(PARTICIPANTS):
            return await turn.role_required(PARTICIPANTS)
        assert turn.actor.person_id is not None
        text = await status_text(
            turn.session,
            turn.actor.person_id,
            language=turn.actor.language,
            zone=turn.actor.timezone,
            now=turn.now,
        )
        return await turn.screen.say(text)
    if word is Keyword.LANGUAGE:
        return await _choose_language(turn)
    if word in seminar_flows.KEYWORDS:
        return await seminar_flows.keyword(turn, ctx, word)
    if word in personal_flows.KEYWORDS:
        return await personal_flows.keyword(turn, ctx, word)
    if word is Keyword.ADVISEES:
        if not turn.actor.has_any(ADVISORS):
            return await turn.role_required(ADVISORS)
        return await _advisees(turn)
    return await _menu(turn)


async def _choose_language(turn: Turn) -> None:
    """BAHASA: the languages as buttons, the current one marked."""
    t = turn.t
    choices = tuple(
        Choice(
            ("✓ " if lang == turn.actor.language else "") + t(f"language.name.{lang}"),
            action=f"{LANGUAGE}:{lang}",
        )
        for lang in SUPPORTED_LANGUAGES
    )
    await turn.screen.show(Prompt(t("language.choose"), PromptKind.CHOICE, choices), token=None)


async def _language_chosen(turn: Turn, language: str) -> None:
    if language not in SUPPORTED_LANGUAGES or turn.actor.person_id is None:
        return await turn.say("wa.stale")
    await set_language(turn.session, turn.actor.person_id, language, turn.now)
    turn.actor = dataclasses.replace(turn.actor, language=language)
    turn.screen.t = WhatsAppTexts(language)
    return await turn.say("language.changed")


def _menu_words(actor: Actor) -> list[Keyword]:
    words: list[Keyword] = []
    if actor.has_any(PARTICIPANTS):
        words += [Keyword.REPORT, Keyword.STATUS]
    if actor.has_any(ADVISORS):
        words.append(Keyword.ADVISEES)
    words += personal_flows.menu_words(actor)
    words += seminar_flows.menu_words(actor)
    words.append(Keyword.HELP)
    return words


async def _menu(turn: Turn) -> None:
    """The Menu list: what this person can do here, in place of Telegram's command menu."""
    t = turn.t
    rows = tuple(
        Row(keywords.menu_id(word), shorten(t(f"wa.menu.{word.value}"), 24))
        for word in _menu_words(turn.actor)
    )
    await turn.screen.send(
        ListOut(
            to_whatsapp(t("wa.menu.body")),
            shorten(t("wa.menu.button"), 20),
            shorten(t("wa.menu.section"), 24),
            rows,
        )
    )


async def _help(turn: Turn) -> None:
    t = turn.t
    lines = [t("wa.help.header")]
    if turn.actor.has_any(PARTICIPANTS):
        lines += [t("wa.help.report"), t("wa.help.status")]
    if turn.actor.has_any(ADVISORS):
        lines.append(t("wa.help.advisees"))
    lines += [t(f"wa.help.{word.value}") for word in personal_flows.help_words(turn.actor)]
    lines += [t(f"wa.help.{word.value}") for word in seminar_flows.menu_words(turn.actor)]
    lines.append(t("wa.help.common"))
    await turn.screen.say("\n".join(lines))


async def _advisees(turn: Turn) -> None:
    """PESERTA: the participants this mentor or coach guides, as /peserta lists them."""
    assert turn.actor.person_id is not None
    summaries = await overview.advisee_summaries(turn.session, turn.actor.person_id)
    if not summaries:
        return await turn.say("advisees.none")
    t, lang, zone = turn.t, turn.actor.language, turn.actor.timezone
    lines = [t("advisees.title")]
    for s in summaries:
        last = (
            format_datetime(s.last_report_at, zone, lang)
            if s.last_report_at
            else t("advisees.no_report")
        )
        lines.append(
            t(
                "advisees.summary",
                name=s.name,
                kind=t("role.participant"),
                state=t("advisees.joined" if s.joined else "advisees.not_joined"),
                project=s.project_title or t("project.none"),
                bar=progress_bar(s.progress),
                last=last,
                waiting=s.waiting,
            )
        )
    return await turn.screen.say("\n\n".join(lines))
