"""Forged and stale buttons: whatever data a press carries, the bot answers with a catalog text,
never with the generic "something went wrong" (a crash), on both databases."""

from __future__ import annotations

import random
import re
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.i18n import translator
from domain.markup import to_plain
from fakegram import FakeTelegram
from tests.conftest import ADMIN_ID
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import say
from tests.integration.stories import join, report

HUGE = (2**31, 2**31 + 7, 2**63, 2**64 + 1)

# Every button layout that carries a number, "{n}" where the id or index goes.
ID_LAYOUTS = (
    "pf1:{n}",
    "ex1:{n}",
    "rk1:{n}",
    "ct1:x:{n}",
    "sm1:x:{n}",
    "sm1:r:{n}",
    "sm1:c:{n}",
    "sm1:p:{n}",
    "sm1:e:{n}",
    "sm1:g:{n}",
    "gr1:l:{n}",
    "pp1:{n}:0:o",
    "pp1:1:{n}:p",
    "pj1:m:{n}",
    "pj1:d:{n}",
    "pj1:x:{n}",
    "pj1:e:{n}:title",
    "rp1:m:{n}",
    "rp1:s:{n}",
    "rp1:p:{n}",
    "fb1:f:{n}",
    "fb1:r:{n}",
    "fb1:a:{n}",
    "ak1:c:{n}",
    "ak1:e:{n}",
    "ak1:a:{n}",
    "ud1:a:{n}",
    "ud1:p:{n}",
    "ud1:c:{n}",
    "bc1:c:{n}",
    "bc1:s:{n}",
)
PREFIXES = sorted({layout.split(":")[0] for layout in ID_LAYOUTS} | {"ob1", "lg1", "tz1"})


@cache
def _catalog_patterns() -> list[re.Pattern[str]]:
    """Every catalog text of both languages as a pattern; a placeholder matches anything."""
    patterns = []
    for language in ("id", "en"):
        for template in translator(language).messages.values():
            plain = to_plain(template)
            parts = re.split(r"\{[^{}]*\}", plain)
            patterns.append(re.compile(".*".join(re.escape(p) for p in parts), re.DOTALL))
    return patterns


def _is_catalog_text(shown: str) -> bool:
    # Toasts are cut at Telegram's 200 characters; the start must still be a catalog text's.
    return any(
        p.fullmatch(shown) or (len(shown) == 200 and p.match(shown)) for p in _catalog_patterns()
    )


async def _answers(bot: RunningBot, user: Any, message: Any, data: str) -> list[str]:
    """What the user sees after the press: the toast (if it has text) and any new messages."""
    before = len(user.inbox)
    pressed = user.press_data(message, data)
    await bot.settle()
    shown = [m.plain or "" for m in user.inbox[before:]]
    answer = pressed.answer
    assert answer is not None, f"{data!r}: the press was never answered"
    if answer.text:
        shown.insert(0, answer.text)
    return shown


def _garbage(rng: random.Random) -> str:
    """Data of a known prefix with random fields: letters, signs, huge or empty numbers."""
    alphabet = "abcxyz0123456789-_:"
    fields = []
    for _ in range(rng.randint(0, 4)):
        pick = rng.random()
        if pick < 0.3:
            fields.append(str(rng.choice(HUGE) * rng.choice((1, -1))))
        elif pick < 0.5:
            fields.append(str(rng.randint(-5, 5)))
        else:
            fields.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))))
    return ":".join([rng.choice(PREFIXES), *fields])[:64]


async def test_forged_buttons_are_answered_with_a_catalog_text_never_a_crash(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    admin = telegram.user(ADMIN_ID, "Siti", "Penyelenggara")
    await report(bot, budi, "Rapat koordinasi", "Rapat perdana sudah terlaksana.", "60%")
    await say(bot, admin, "/bantuan")
    # Each layout is pressed by the person whose handler reads it, and by the others.
    people = {"admin": admin, "participant": budi, "mentor": bambang}
    generic = {translator(lang)("error.generic") for lang in ("id", "en")}

    rng = random.Random(20261102)
    forged = [layout.format(n=n) for layout in ID_LAYOUTS for n in HUGE[::2]]
    forged += [layout.format(n=-(2**63)) for layout in ID_LAYOUTS[:8]]
    forged += [_garbage(rng) for _ in range(40)]
    problems = []
    for data in forged:
        for role, user in people.items():
            message = user.last
            for shown in await _answers(bot, user, message, data):
                if shown in generic or not _is_catalog_text(shown):
                    problems.append(f"{role} pressing {data!r} saw {shown!r}")
    assert problems == []
