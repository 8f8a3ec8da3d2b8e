"""The WhatsApp adapter of the form engine (services/forms.py): prompts become text, reply
button or list messages sent to the person being answered, and their files are fetched from
the Cloud API at once (media ids expire).

WhatsApp cannot edit or remove a message: every prompt is a new message and old buttons stay
tappable. Each carries the form button data with its step token (domain/forms.py), so a tap on
a passed question is known as stale by the engine and never taken as an answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
from pywa import errors as wa_errors
from pywa_async import WhatsApp, types

from domain.forms import MediaInput, Prompt
from domain.markup import Markup, escape_params, to_plain, to_whatsapp
from services.forms import OpenForm
from services.outbox import MessageRef
from whatsapp.keywords import whatsapp_translator
from whatsapp.shaping import (
    MAX_ROWS,
    ROW_TITLE_MAX,
    ButtonsOut,
    Labels,
    ListOut,
    Out,
    Row,
    TextOut,
    page_count,
    page_rows,
    row_of,
    shape,
    shorten,
    split_text,
)

log = logging.getLogger(__name__)

# A reply hit a rate limit (a burst of prompts to one person): tried again after these pauses.
RETRY_PAUSES = (0.5, 1.5, 3.0)
# Where a long list's rows are kept in the open form's draft (the forms ignore unknown keys).
ROWS_KEY = "_wa_rows"


class WhatsAppTexts:
    """Catalog texts (markup) in the person's language, parameters escaped for the markup."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.translate = whatsapp_translator(language)

    def __call__(self, key: str, /, **params: object) -> str:
        return self.translate(key, **escape_params(params))

    def nested(self, key: str, /, **params: object) -> str:
        return Markup(self(key, **params))


def labels(t: WhatsAppTexts) -> Labels:
    return Labels(
        list_button=t("wa.list.button"),
        section=t("wa.list.section"),
        choose_below=to_whatsapp(t("wa.list.choose_below")),
        more=lambda page, pages: to_whatsapp(t("wa.list.more", page=page, pages=pages)),
        more_row=shorten(to_plain(t("wa.list.more_row")), ROW_TITLE_MAX),
    )


class WhatsAppScreen:
    """Shows prompts to one WhatsApp user, answers them, and fetches the files they send."""

    def __init__(self, client: WhatsApp, to: str, texts: WhatsAppTexts) -> None:
        self.client = client
        self.to = to
        self.t = texts
        # The wamids of what this screen sent, in order (the last one is the newest prompt).
        self.sent: list[str] = []
        # The open form as the engine holds it now (set by the adapter): long lists keep their
        # rows in its draft.
        self.state_of: Callable[[], OpenForm | None] = lambda: None

    @property
    def origin(self) -> MessageRef | None:
        # A WhatsApp message is no (chat id, message id) pair: no receipt to answer under.
        return None

    async def show(
        self, prompt: Prompt, *, token: str | None, in_place: bool = True
    ) -> MessageRef | None:
        # `in_place` cannot be honoured: WhatsApp never edits a message, each prompt is new.
        state = self.state_of()
        pageable = state is not None and not state.closed and token == state.token
        if pageable and state is not None and len(prompt.choices) > MAX_ROWS:
            # The rows of a long list stay with the step (saved with the form), so its "more"
            # row can show the next page; the step's next token makes them stale with it.
            state.draft[ROWS_KEY] = [
                [r.id, r.title, r.description] for r in (row_of(c, token) for c in prompt.choices)
            ]
        for out in shape(prompt, token, labels(self.t), pageable=pageable):
            await self.send(out)
        return None

    async def show_page(self, state: OpenForm | None, token: str, page: int) -> bool:
        """Page `page` of the long list the open step showed; False when that list is gone (the
        step moved on, or the form closed)."""
        kept = state.draft.get(ROWS_KEY) if state is not None and state.token == token else None
        if not isinstance(kept, list) or not kept:
            return False
        rows = tuple(Row(str(r[0]), str(r[1]), r[2] if r[2] else None) for r in kept)
        if not 0 < page < page_count(rows):
            return False
        t = labels(self.t)
        body = t.more(page + 1, page_count(rows))
        rows_shown = page_rows(rows, page, token, t)
        await self.send(ListOut(body, t.list_button, t.section, rows_shown))
        return True

    async def settle(self, prompt: Prompt) -> None:
        """WhatsApp cannot take the buttons off a sent message: the question stays as sent
        (a later tap on it is stale by its token) and is not sent again."""

    async def alert(self, text: str) -> None:
        await self.say(text)

    async def say(self, markup: str) -> None:
        """Catalog markup as one or more text messages."""
        for part in split_text(to_whatsapp(markup)):
            await self.send(TextOut(part))

    async def fetch(self, media: MediaInput) -> bytes | None:
        try:
            url = await self.client.get_media_url(media.ref)
            return await self.client.get_media_bytes(url.url)
        except (wa_errors.WhatsAppError, httpx.HTTPError) as exc:
            log.warning("WhatsApp media %s not downloaded (%s)", media.ref, exc)
            return None

    async def send(self, out: Out) -> None:
        for pause in (*RETRY_PAUSES, None):
            try:
                sent = await self._send(out)
            except (wa_errors.TooManyMessages, wa_errors.RateLimitHit) as exc:
                if pause is None:
                    raise
                log.info("WhatsApp rate limit on a reply (%s): trying again", exc.code)
                await asyncio.sleep(pause)
                continue
            self.sent.append(sent.id)
            return

    async def _send(self, out: Out) -> types.SentMessage:
        if isinstance(out, TextOut):
            return await self.client.send_message(to=self.to, text=out.body)
        if isinstance(out, ButtonsOut):
            return await self.client.send_message(
                to=self.to,
                text=out.body,
                buttons=[
                    types.Button(title=title, callback_data=id_) for id_, title in out.buttons
                ],
            )
        assert isinstance(out, ListOut)
        rows = [
            types.SectionRow(title=r.title, callback_data=r.id, description=r.description)
            for r in out.rows
        ]
        return await self.client.send_message(
            to=self.to,
            text=out.body,
            buttons=types.SectionList(
                button_title=out.button, sections=[types.Section(title=out.section, rows=rows)]
            ),
        )
