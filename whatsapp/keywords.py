"""What people type on WhatsApp instead of commands: keywords in Indonesian and English, the
"DAFTAR <code>" of an invitation link, and the ids of the "Menu" list's rows."""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from enum import StrEnum

from domain.i18n import Translator, translator
from services.cohorts import WHATSAPP_KEYWORD


class Keyword(StrEnum):
    REPORT = "report"
    STATUS = "status"
    HELP = "help"
    CANCEL = "cancel"
    MENU = "menu"
    DONE = "done"  # ends a step that takes several files
    ADVISEES = "advisees"
    LANGUAGE = "language"
    MATERIALS = "materials"  # a presenter's seminar files (Telegram's /bahan)
    SCHEDULE = "schedule"  # coming seminars and target dates (/jadwal)
    PAUSE = "pause"  # a pause of reminders (/jeda, /cuti)
    PROJECT = "project"  # the project and its milestones, to edit (/proyek)
    ZONE = "zone"  # the time zone (/zona)


# Typed alone, in any letter case, with or without a leading "/" (Telegram habits).
WORDS: dict[str, Keyword] = {
    "lapor": Keyword.REPORT,
    "report": Keyword.REPORT,
    "status": Keyword.STATUS,
    "bantuan": Keyword.HELP,
    "help": Keyword.HELP,
    "batal": Keyword.CANCEL,
    "cancel": Keyword.CANCEL,
    "menu": Keyword.MENU,
    "selesai": Keyword.DONE,
    "done": Keyword.DONE,
    "peserta": Keyword.ADVISEES,
    "participants": Keyword.ADVISEES,
    "bahasa": Keyword.LANGUAGE,
    "language": Keyword.LANGUAGE,
    "bahan": Keyword.MATERIALS,
    "materials": Keyword.MATERIALS,
    "jadwal": Keyword.SCHEDULE,
    "schedule": Keyword.SCHEDULE,
    "jeda": Keyword.PAUSE,
    "cuti": Keyword.PAUSE,
    "pause": Keyword.PAUSE,
    "proyek": Keyword.PROJECT,
    "project": Keyword.PROJECT,
    "zona": Keyword.ZONE,
    "zone": Keyword.ZONE,
}
# The Menu list's rows answer with these ids.
MENU_ROW = "mn1"
_MENU_ID = re.compile(rf"^{MENU_ROW}:([a-z]+)$")
_JOIN = re.compile(rf"^\s*/?{WHATSAPP_KEYWORD}\b[\s:]*(\S.*)?$", re.IGNORECASE)


def keyword(text: str | None) -> Keyword | None:
    """The keyword a message is, if it is one word that names one."""
    if text is None:
        return None
    word = text.strip().lstrip("/").rstrip(".!?").strip().lower()
    return WORDS.get(word)


def join_code(text: str | None) -> str | None:
    """The code after "DAFTAR" (what a wa.me invitation types for the person); "" when the word
    came without one; None for any other text."""
    match = _JOIN.match(text or "")
    if match is None:
        return None
    return (match.group(1) or "").strip()


# JEDA with the dates after it ("JEDA 24/12 - 2/1"): the word alone is a keyword like the others.
_PAUSE = re.compile(
    rf"^\s*/?(?:{'|'.join(w for w, k in WORDS.items() if k is Keyword.PAUSE)})\b[\s:]*(\S.*)$",
    re.IGNORECASE | re.DOTALL,
)


def pause_dates(text: str | None) -> str | None:
    """The dates typed after JEDA / CUTI / PAUSE; None for any other text (and the word alone)."""
    match = _PAUSE.match(text or "")
    return None if match is None else match.group(1).strip()


def menu_id(word: Keyword) -> str:
    return f"{MENU_ROW}:{word.value}"


def menu_keyword(data: str | None) -> Keyword | None:
    """The keyword a Menu row stands for, from the row's id."""
    match = _MENU_ID.match(data or "")
    if match is None:
        return None
    try:
        return Keyword(match.group(1))
    except ValueError:
        return None


# Telegram's commands that have a keyword here. The catalogs are written for both channels and
# name the command ("kirim laporan dengan /lapor"); WhatsApp shows the keyword instead, in the
# reader's language (typed, "/lapor" works too, but it is not what WhatsApp people know).
COMMAND_KEYWORDS: dict[str, Keyword] = {
    "lapor": Keyword.REPORT,
    "status": Keyword.STATUS,
    "peserta": Keyword.ADVISEES,
    "bantuan": Keyword.HELP,
    "batal": Keyword.CANCEL,
    "bahasa": Keyword.LANGUAGE,
    "bahan": Keyword.MATERIALS,
    "jadwal": Keyword.SCHEDULE,
    "jeda": Keyword.PAUSE,
    "cuti": Keyword.PAUSE,
    "proyek": Keyword.PROJECT,
    "zona": Keyword.ZONE,
}
# A command where a sentence names it: not inside a link or a path ("t.me/x/lapor").
_COMMAND = re.compile(rf"(?<![\w/])/({'|'.join(COMMAND_KEYWORDS)})\b(?![/@])")


def commands_as_keywords(text: str, catalog: Translator) -> str:
    """`text` with each command that has a keyword named by its keyword in `catalog`'s
    language ("/lapor" -> "LAPOR" or "REPORT")."""

    def keyword_text(match: re.Match[str]) -> str:
        return catalog.template(f"wa.keyword.{COMMAND_KEYWORDS[match.group(1)].value}")

    return _COMMAND.sub(keyword_text, text)


@functools.cache
def whatsapp_translator(language: str) -> Translator:
    """The catalog of `language` as WhatsApp shows it: its texts name keywords where they
    name a command that has one. Only the texts change, never what fills them (a person's
    own words that mention /lapor stay as written)."""
    catalog = translator(language)
    messages = {key: commands_as_keywords(text, catalog) for key, text in catalog.messages.items()}
    return replace(catalog, messages=messages)
