"""The Telegram adapter of the form engine (services/forms.py): a person's message or button
press goes to their open form before any other handler; prompts become messages with inline
keyboards, edited in place after a press; a pressed button is answered exactly once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from domain.enums import Channel, EvidenceKind
from domain.forms import (
    Input,
    MediaInput,
    Prompt,
    TextInput,
    decode_button,
    encode_button,
    is_form_button,
)
from domain.text import utf16_length
from handlers import evidence as evidence_files
from handlers.edits import edit_text
from handlers.runtime import Context, Runtime
from handlers.telegram_text import TELEGRAM_TEXT_LIMIT, markup_parts
from handlers.turn import Declined, Safe, Turn, turn
from models.db import read_outside_transaction
from services import forms
from services.form_registry import FORMS
from services.forms import Form, FormContext, Outcome
from services.outbox import MessageRef
from services.report_form import evidence_item

# /batal closes the open form.
CANCEL_COMMAND = "batal"


def telegram_ref(chat_id: int, message_id: int) -> MessageRef:
    """A Telegram message as the core names messages."""
    return MessageRef(str(chat_id), str(message_id))


class TelegramScreen:
    """Shows prompts in the chat of the update and answers its button press once."""

    def __init__(self, update: Update, context: Context) -> None:
        self.update = update
        self.bot = context.bot
        # For the forms whose desk starts a job (the /umumkan status).
        self.job_queue = context.job_queue
        self.answered = False

    @property
    def origin(self) -> MessageRef | None:
        query = self.update.callback_query
        if query is None or query.message is None:
            return None
        return telegram_ref(query.message.chat.id, query.message.message_id)

    async def show(
        self, prompt: Prompt, *, token: str | None, in_place: bool = True
    ) -> MessageRef | None:
        markup = keyboard(prompt, token)
        text = prompt.text
        if prompt.shortened is not None and utf16_length(text) > TELEGRAM_TEXT_LIMIT:
            text = prompt.shortened  # markup counted too: errs on the safe side
        query = self.update.callback_query
        if query is not None and in_place:
            # The pressed prompt turns into the next one: one message on the phone, one call.
            await edit_text(query, text, reply_markup=markup)
            return self.origin
        chat = self.update.effective_chat
        assert chat is not None
        if utf16_length(text) > TELEGRAM_TEXT_LIMIT:
            # Too long for one message (the /proyek overview of many milestones): split,
            # the buttons under the last part.
            *head, last = markup_parts(text)
            for part in head:
                await self.bot.send_message(chat.id, part, parse_mode=ParseMode.HTML)
            shown = await self.bot.send_message(
                chat.id, last, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        else:
            shown = await self.bot.send_message(chat.id, text, reply_markup=markup)
        return telegram_ref(shown.chat_id, shown.message_id)

    async def settle(self, prompt: Prompt) -> None:
        await self.show(dataclasses.replace(prompt, choices=()), token=None)

    async def alert(self, text: str) -> None:
        query = self.update.callback_query
        if query is not None and not self.answered:
            self.answered = True
            await query.answer(text[:200], show_alert=True)
            return
        chat = self.update.effective_chat
        assert chat is not None
        await self.bot.send_message(chat.id, text)

    async def finish(self) -> None:
        """Answer the press if nothing else did: Telegram refuses a second answer."""
        query = self.update.callback_query
        if query is not None and not self.answered:
            self.answered = True
            await query.answer()

    async def fetch(self, media: MediaInput) -> bytes | None:
        return await evidence_files.fetch(self.bot, evidence_item(media))


class TurnTexts:
    """Catalog texts in the actor's language, parameters escaped for Telegram's HTML."""

    def __init__(self, current: Turn) -> None:
        self.current = current

    def __call__(self, key: str, /, **params: object) -> str:
        return self.current.t(key, **params)

    def nested(self, key: str, /, **params: object) -> str:
        return Safe(self.current.t(key, **params))


def keyboard(prompt: Prompt, token: str | None) -> InlineKeyboardMarkup | None:
    if not prompt.choices:
        return None
    rows = []
    for row in prompt.rows:
        buttons = []
        for choice in row:
            if choice.action is not None:
                data = choice.action
            else:
                assert token is not None
                data = encode_button(token, choice.value)
            buttons.append(InlineKeyboardButton(choice.label, callback_data=data))
        rows.append(buttons)
    return InlineKeyboardMarkup(rows)


def form_context(
    update: Update, context: Context, current: Turn
) -> tuple[FormContext, TelegramScreen]:
    """The form engine's view of this update, inside the turn's transaction."""
    assert current.actor.person_id is not None
    screen = TelegramScreen(update, context)
    runtime = current.runtime
    ctx = FormContext(
        open_session=current.session,
        sessions=runtime.sessions,
        person_id=current.actor.person_id,
        language=current.actor.language,
        now=current.now(),
        t=TurnTexts(current),
        screen=screen,
        evidence_store=runtime.evidence_store,
        max_evidence_bytes=runtime.max_evidence_bytes,
        on_commit=current.on_commit,
        after_commit=current.after_commit,
        wake=runtime.wake,
        account_id=current.actor.account.id,
    )
    return ctx, screen


async def enter(
    update: Update,
    context: Context,
    current: Turn,
    begin: Callable[[FormContext], Coroutine[Any, Any, object]],
) -> None:
    """Open a form from a command or a button outside it (replacing an open one)."""
    ctx, screen = form_context(update, context, current)
    ctx.state = await forms.load(current.session, ctx.person_id, ctx.now)

    async def run(c: FormContext) -> None:
        await begin(c)

    await forms.start(ctx, run)
    await screen.finish()


def media_of(message: Message) -> MediaInput | None:
    """The file in a message, as the engine takes it; None when it carries none."""
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return MediaInput(
            kind=EvidenceKind.PHOTO.value,
            ref=photo.file_id,
            unique_ref=photo.file_unique_id,
            size=photo.file_size,
            caption=message.caption,
            album=message.media_group_id,
            channel=Channel.TELEGRAM.value,
        )
    if message.document:
        doc = message.document
        return MediaInput(
            kind=EvidenceKind.DOCUMENT.value,
            ref=doc.file_id,
            unique_ref=doc.file_unique_id,
            file_name=doc.file_name,
            mime_type=doc.mime_type,
            size=doc.file_size,
            caption=message.caption,
            album=message.media_group_id,
            channel=Channel.TELEGRAM.value,
        )
    return None


def _command(text: str) -> str:
    """ "/lapor@bot args" -> "lapor"."""
    return text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()


def router(interrupts: frozenset[str]) -> BaseHandler[Any, Any, Any]:
    """The handler that hands a person's input to their open form, ahead of the others.

    `interrupts`: commands answered even while a form waits (help, /start); /batal closes the
    form; any other command is told the form is waiting ("busy")."""

    @turn(members_only=False)
    async def take(update: Update, context: Context, current: Turn) -> bool:
        query = update.callback_query
        if current.actor.person_id is None:
            if query is not None:
                await query.answer(current.t("button.stale"), show_alert=True)
                return True
            raise Declined
        ctx, screen = form_context(update, context, current)
        ctx.state = await forms.load(current.session, ctx.person_id, ctx.now)
        if query is not None:
            button = decode_button(query.data)
            outcome = Outcome.STALE
            if button is not None and _allowed(ctx, current):
                outcome = await forms.answer(ctx, FORMS, button)
            if outcome is not Outcome.HANDLED:
                await screen.alert(current.t("button.stale"))
            await screen.finish()
            return True
        message = update.message
        if ctx.state is None or message is None:
            raise Declined
        if message.text is not None and message.text.startswith("/"):
            name = _command(message.text)
            if name == CANCEL_COMMAND:
                await forms.discard(current.session, ctx.person_id)
                await message.reply_text(current.t(_cancelled(ctx.state.form)))
                return True
            if name in interrupts:
                raise Declined
            await message.reply_text(current.t("conversation.busy"))
            return True
        answer: Input | None = media_of(message)
        if answer is None and message.text is not None:
            answer = TextInput(message.text)
        if answer is None or not _allowed(ctx, current):
            raise Declined
        if await forms.answer(ctx, FORMS, answer) is not Outcome.HANDLED:
            raise Declined
        return True

    async def route(update: Update, context: Context) -> None:
        if not _concerns_forms(update):
            return
        # An update the form leaves to the other handlers must meet them as if the form were
        # not there (one turn, one transaction): `take` declines it, and its turn is rolled
        # back. A command is looked at first, without a transaction: most commands come with
        # no form open, and that look is cheaper than a turn rolled back.
        if _is_command(update) and not await _form_takes(update, context, interrupts):
            return
        if await take(update, context):
            raise ApplicationHandlerStop

    return TypeHandler(Update, route)


def _is_command(update: Update) -> bool:
    message = update.message
    return (
        update.callback_query is None
        and message is not None
        and message.text is not None
        and message.text.startswith("/")
    )


async def _form_takes(update: Update, context: Context, interrupts: frozenset[str]) -> bool:
    """Whether the sender of this command has an open form that takes it (a command other
    than the interrupting ones: the form answers it with /batal or "busy")."""
    message, user = update.message, update.effective_user
    if message is None or user is None or message.text is None:
        return False
    if _command(message.text) in interrupts:
        return False
    runtime = Runtime.of(context.application)
    async with runtime.sessions() as session:
        await read_outside_transaction(session)
        state = await forms.peek_account(
            session, Channel.TELEGRAM, str(user.id), runtime.clock.now()
        )
    if state is None:
        return False
    form = FORMS.get(state.form)
    return form is None or not form.passive


def _cancelled(name: str) -> str:
    """What /batal says: the form's own text (a "Berhalangan" whose reason is skipped stays
    an answer), by default that the form is closed."""
    form = FORMS.get(name)
    return Form.cancelled if form is None else form.cancelled


def _allowed(ctx: FormContext, current: Turn) -> bool:
    """Whether the actor may still fill in the open form (a role can be withdrawn meanwhile)."""
    form = FORMS.get(ctx.state.form) if ctx.state is not None else None
    return form is None or current.actor.has_any(form.roles)


def _concerns_forms(update: Update) -> bool:
    """Only presses of form buttons and private messages can belong to a form: the rest
    goes straight on, without a look at the database."""
    query = update.callback_query
    if query is not None:
        return is_form_button(query.data)
    message = update.message
    return (
        message is not None
        and message.chat.type == message.chat.PRIVATE
        and message.from_user is not None
    )
