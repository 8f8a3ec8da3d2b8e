"""argparse in the command line's language: its own words ("usage:", "options", errors)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from domain.i18n import Translator

# argparse's own messages (Python 3.11) that a user of `properbot` can meet, by catalog key.
# argparse looks each one up through the module's `_` (gettext) when it builds a parser,
# prints help or reports an error; a message missing here stays in English.
ARGPARSE_WORDS: dict[str, str] = {
    "usage: ": "cli_help.argparse.usage",
    "positional arguments": "cli_help.argparse.positionals",
    "options": "cli_help.argparse.options",
    "show this help message and exit": "cli_help.argparse.help",
    "%(prog)s: error: %(message)s\n": "cli_help.argparse.error",
    "argument %(argument_name)s: %(message)s": "cli_help.argparse.argument",
    "unrecognized arguments: %s": "cli_help.argparse.unrecognized",
    "the following arguments are required: %s": "cli_help.argparse.required",
    "one of the arguments %s is required": "cli_help.argparse.one_required",
    "not allowed with argument %s": "cli_help.argparse.not_allowed_with",
    "ignored explicit argument %r": "cli_help.argparse.ignored_explicit",
    "expected one argument": "cli_help.argparse.expected_one",
    "expected at most one argument": "cli_help.argparse.expected_at_most_one",
    "expected at least one argument": "cli_help.argparse.expected_at_least_one",
    "ambiguous option: %(option)s could match %(matches)s": "cli_help.argparse.ambiguous",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "cli_help.argparse.unknown_command",
    "invalid choice: %(value)r (choose from %(choices)s)": "cli_help.argparse.invalid_choice",
    "invalid %(type)s value: %(value)r": "cli_help.argparse.invalid_value",
}


def argparse_gettext(t: Translator) -> Callable[[str], str]:
    """A stand-in for argparse's `_`: its English message in `t`'s language, else unchanged."""

    def gettext(message: str) -> str:
        key = ARGPARSE_WORDS.get(message) if isinstance(message, str) else None
        # The template, not t(key): argparse fills its own %-placeholders afterwards.
        return t.template(key) if key is not None else message

    return gettext


@contextmanager
def argparse_language(t: Translator) -> Iterator[None]:
    """Build parsers, print help and report errors in `t`'s language within this block.

    argparse takes its words from the module-level `_`, read when a parser is built (group
    titles, the -h help), when help is printed ("usage: ") and when parsing fails; so the
    block must span both building and parsing. The CLI parses once, in one thread.
    """
    original = argparse._  # type: ignore[attr-defined]
    argparse._ = argparse_gettext(t)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = original  # type: ignore[attr-defined]


def positive_int(t: Translator) -> Callable[[str], int]:
    """An argparse `type` for a whole number of 1 or more, its complaint in `t`'s language."""

    def positive(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(t("cli_help.option.positive", value=raw))
        return value

    return positive
