"""Message catalogs (gettext .po files read with Babel) and locale-aware date formatting."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.messages.pofile import denormalize, read_po

from domain.timezones import zone_label

SUPPORTED_LANGUAGES: tuple[str, ...] = ("id", "en")
DEFAULT_LANGUAGE = "id"
LOCALES_DIR = Path(__file__).parent / "locales"

_DATE_PATTERN = "EEEE, d MMMM y"
_TIME_PATTERN = "HH.mm"  # DOMAIN.md: times with a dot in both languages, "09.00 WIB"
_MSGID_START = re.compile(r"^msgid\s")


class CatalogError(Exception):
    """A catalog is broken: a key defined twice, an empty or positional message, a parse error."""


class MissingMessage(KeyError):
    """A key that the language's catalog does not define."""


class MissingParameter(KeyError):
    """A placeholder in the message that the caller did not pass."""


class _StrictParams(dict[str, object]):
    def __init__(self, key: str, params: Mapping[str, object]) -> None:
        super().__init__(params)
        self.key = key

    def __missing__(self, name: str) -> object:
        raise MissingParameter(f"message {self.key!r} needs parameter {name!r}")


@dataclass(frozen=True)
class Translator:
    """Renders messages of one language by key: `t("nip.error.length", count=17)`."""

    language: str
    messages: Mapping[str, str] = field(repr=False)
    # Parameters every message may use without each caller passing them (a document's
    # project term, say); a caller's own parameter of the same name wins.
    defaults: Mapping[str, object] = field(default_factory=dict, repr=False)

    def __call__(self, key: str, /, **params: object) -> str:
        """The message for `key` with `{name}` placeholders filled from `params`."""
        return self.template(key).format_map(_StrictParams(key, {**self.defaults, **params}))

    def with_defaults(self, **params: object) -> Translator:
        """This translator, with `params` filled into every message that names them."""
        return replace(self, defaults={**self.defaults, **params})

    def template(self, key: str) -> str:
        """The raw message for `key`, placeholders unfilled."""
        try:
            return self.messages[key]
        except KeyError:
            raise MissingMessage(f"no message {key!r} in language {self.language!r}") from None

    def plural(self, key: str, n: int, /, **params: object) -> str:
        """Render `key.one` or `key.other` by the language's plural rule, with `n` as `{n}`.

        Indonesian has no plural forms, so it always picks `.other`; both languages still
        define both keys so their key sets stay identical.
        """
        form = Locale.parse(self.language).plural_form(n)
        chosen = f"{key}.{form}"
        if chosen not in self.messages:
            chosen = f"{key}.other"
        return self(chosen, n=n, **params)


def resolve_language(language: str | None) -> str:
    """A supported language code for `language` ("en-US" -> "en"); the default otherwise."""
    if language:
        base = language.strip().replace("_", "-").split("-")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


def translator(language: str | None) -> Translator:
    """The cached translator for `language`; unknown or missing languages get the default."""
    return _cached_translator(resolve_language(language))


@cache
def _cached_translator(language: str) -> Translator:
    return load_translator(language, LOCALES_DIR)


def catalog_keys(language: str) -> set[str]:
    """Every key defined for `language` (used to check that all languages define the same)."""
    return set(translator(language).messages)


def load_translator(language: str, locales_dir: Path) -> Translator:
    """Read and merge every .po file in `locales_dir/<language>/LC_MESSAGES`, uncached.

    Several files exist so that each part of the project owns its own; a key defined twice,
    in one file or across files, raises `CatalogError` rather than letting one silently win.
    """
    folder = locales_dir / language / "LC_MESSAGES"
    files = sorted(folder.glob("*.po"))
    if not files:
        raise CatalogError(f"no .po files in {folder}")
    messages: dict[str, str] = {}
    origin: dict[str, str] = {}
    for path in files:
        for key, text in _read_po_file(path, language).items():
            if key in messages:
                raise CatalogError(
                    f"key {key!r} defined in both {origin[key]} and {path.name} ({language})"
                )
            messages[key] = text
            origin[key] = path.name
    return Translator(language, MappingProxyType(messages))


def _read_po_file(path: Path, language: str) -> dict[str, str]:
    raw = path.read_bytes()
    # Babel silently merges repeated msgids, so count them ourselves.
    repeated = [key for key, count in Counter(_raw_msgids(raw)).items() if count > 1]
    if repeated:
        raise CatalogError(f"{path.name} ({language}) defines {sorted(repeated)} more than once")
    with path.open("rb") as handle:
        try:
            catalog = read_po(handle, locale=language, abort_invalid=True)
        except Exception as exc:  # Babel raises its own PoFileError, or ValueError
            raise CatalogError(f"cannot read {path}: {exc}") from exc
    result: dict[str, str] = {}
    for message in catalog:
        if not message.id:
            continue  # the header entry
        if not isinstance(message.id, str) or not isinstance(message.string, str):
            raise CatalogError(f"{path.name}: use .one/.other keys, not msgid_plural")
        if message.context:
            raise CatalogError(f"{path.name}: msgctxt is not supported ({message.id!r})")
        if not message.string:
            raise CatalogError(f"{path.name}: empty message for {message.id!r}")
        _check_placeholders(path.name, message.id, message.string)
        result[message.id] = message.string
    return result


def _raw_msgids(raw: bytes) -> list[str]:
    """The msgids in a .po file's text, including those Babel would merge away."""
    ids: list[str] = []
    lines = raw.decode("utf-8-sig").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not _MSGID_START.match(line):
            continue
        parts = [line[len("msgid") :].strip()]
        while i < len(lines) and lines[i].strip().startswith('"'):
            parts.append(lines[i].strip())
            i += 1
        key = denormalize("\n".join(parts))
        if key:
            ids.append(key)
    return ids


def placeholders(text: str) -> set[str]:
    """The names of the `{name}` placeholders in a message."""
    names: set[str] = set()
    for _, field_name, _, _ in string.Formatter().parse(text):
        if field_name is not None:
            names.add(re.split(r"[.\[]", field_name, maxsplit=1)[0])
    return names


def _check_placeholders(filename: str, key: str, text: str) -> None:
    try:
        names = placeholders(text)
    except ValueError as exc:  # unbalanced braces
        raise CatalogError(f"{filename}: bad placeholder in {key!r}: {exc}") from exc
    if any(not name or name.isdigit() for name in names):
        raise CatalogError(f"{filename}: {key!r} must use named placeholders like {{name}}")


def format_date(d: date | datetime, tz: ZoneInfo | None, language: str | None) -> str:
    """A long date, "Kamis, 19 Desember 2024" / "Thursday, 19 December 2024".

    A datetime must be tz-aware; it is converted to `tz` (if given) before taking the date.
    """
    if isinstance(d, datetime):
        local = _localize(d, tz) if tz is not None else _require_aware(d)
        d = local.date()
    return babel_format_date(d, format=_DATE_PATTERN, locale=resolve_language(language))


def format_time(dt: datetime, tz: ZoneInfo, language: str | None) -> str:
    """The time in `tz` with its zone label, "09.00 WIB"."""
    local = _localize(dt, tz)
    clock = babel_format_time(local, format=_TIME_PATTERN, locale=resolve_language(language))
    return f"{clock} {zone_label(tz, local)}"


def format_datetime(dt: datetime, tz: ZoneInfo, language: str | None) -> str:
    """Date and time in `tz`, "Kamis, 19 Desember 2024, 09.00 WIB"."""
    local = _localize(dt, tz)
    return f"{format_date(local, None, language)}, {format_time(local, tz, language)}"


def _require_aware(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        # We store UTC; a naive value means someone lost the zone on the way here.
        raise ValueError("naive datetime: pass a tz-aware (UTC) datetime")
    return dt


def _localize(dt: datetime, tz: ZoneInfo) -> datetime:
    return _require_aware(dt).astimezone(tz)
