"""Story helpers: a user acts, the bot settles, the test reads what came back."""

from __future__ import annotations

from typing import Any

from bot.harness import RunningBot
from domain.i18n import translator
from domain.markup import escape_params, to_plain


async def say(bot: RunningBot, user: Any, text: str) -> Any:
    """The user sends text; returns the bot's newest message in that chat once it has settled."""
    user.send(text)
    await bot.settle()
    return user.last


async def press(bot: RunningBot, user: Any, message: Any, button: str) -> Any:
    """The user presses an inline button; returns the callback answer (toast), if any."""
    pressed = user.press(message, button)
    await bot.settle()
    return pressed.answer


async def press_data(bot: RunningBot, user: Any, message: Any, data: str) -> Any:
    """A forged or replayed button press with arbitrary callback data."""
    pressed = user.press_data(message, data)
    await bot.settle()
    return pressed.answer


def text(key: str, language: str = "id", **params: object) -> str:
    """The catalog text as the user sees it (the markup rendered, parameters literal)."""
    return to_plain(translator(language)(key, **escape_params(params)))
