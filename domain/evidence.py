"""Which files are accepted as evidence (bukti dukung) for a milestone, and how large."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from pathlib import PurePosixPath
from typing import Literal

from babel.numbers import format_decimal

from domain.i18n import resolve_language

# The catalog key listing the accepted types, to show when asking for evidence.
ACCEPTED_DESCRIPTION_KEY = "evidence.accepted"

# People say "MB" for 1024 x 1024 bytes, and Telegram's own limits are in those units.
MEGABYTE = 1024 * 1024
# The largest file the Bot API lets a bot download: the natural default for `max_bytes`.
BOT_DOWNLOAD_LIMIT = 20 * MEGABYTE

# By MIME type, including the variants that Windows, Android and older Office send for the same
# formats (CSV travels as "application/vnd.ms-excel" from Windows, for one). Macro-enabled Office
# formats (docm, xlsm, pptm) are left out on purpose: a mentor opens these files on an office PC.
ACCEPTED_MIME_TYPES: frozenset[str] = frozenset(
    {
        "application/pdf",
        "application/x-pdf",
        "image/jpeg",
        "image/jpg",
        "image/pjpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "image/heif",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "text/plain",
        "text/csv",
        "text/comma-separated-values",
        "text/x-csv",
        "application/csv",
    }
)
# Used only when the MIME type says nothing (missing, or the generic octet-stream).
ACCEPTED_EXTENSIONS: frozenset[str] = frozenset(
    {
        "pdf",
        "jpg",
        "jpeg",
        "png",
        "webp",
        "heic",
        "heif",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "odt",
        "ods",
        "odp",
        "txt",
        "csv",
    }
)
_UNKNOWN_MIME_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
# Refused whatever MIME type the sender's app claims: the file is forwarded to mentors, and
# Windows runs a file by its extension, not by the type Telegram recorded.
_DANGEROUS_EXTENSIONS = frozenset(
    {
        "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "dll", "cpl", "lnk", "hta",
        "js", "jse", "vbs", "vbe", "wsf", "wsh", "ps1", "psm1", "reg", "jar", "apk", "xapk",
        "sh", "app", "dmg", "iso", "docm", "xlsm", "pptm",
    }
)  # fmt: skip

EvidenceKind = Literal["photo", "document"]


class EvidenceRejected(ValueError):
    """A file we do not take as evidence; `code` is a catalog key, `params` its placeholders.

    Sizes in `params` are Decimals printed with a dot; `params_for` writes them for a language
    ("23,4" in Indonesian).
    """

    def __init__(self, code: str, params: dict[str, object]) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params

    def params_for(self, language: str | None) -> dict[str, object]:
        """`params` with numbers written the way `language` writes them."""
        locale = resolve_language(language)
        return {
            key: _format_number(value, locale) if isinstance(value, Decimal) else value
            for key, value in self.params.items()
        }


@dataclass(frozen=True)
class EvidenceFile:
    """What Telegram tells about a file before anyone downloads it."""

    kind: EvidenceKind
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None  # bytes; Telegram may not know it


def check_evidence(f: EvidenceFile, *, max_bytes: int) -> None:
    """Raise `EvidenceRejected` unless `f` is an accepted type of at most `max_bytes`.

    The type is checked first, so nobody shrinks a file only to learn its type is refused.
    """
    if not _accepted_type(f):
        name = f.file_name or f.mime_type or f.kind
        raise EvidenceRejected("evidence.error.unsupported", {"name": name})
    if f.size is not None and f.size > max_bytes:
        raise EvidenceRejected(
            "evidence.error.too_large",
            {
                "limit_mb": _megabytes(max_bytes, ROUND_DOWN, whole_if_possible=True),
                "size_mb": _megabytes(f.size, ROUND_UP, whole_if_possible=False),
            },
        )


def _accepted_type(f: EvidenceFile) -> bool:
    extension = _extension(f.file_name)
    if extension in _DANGEROUS_EXTENSIONS:
        return False
    if f.kind == "photo":
        return True  # Telegram recompresses photos to JPEG itself
    mime = (f.mime_type or "").split(";", 1)[0].strip().lower()
    if mime not in _UNKNOWN_MIME_TYPES:
        return mime in ACCEPTED_MIME_TYPES
    return extension in ACCEPTED_EXTENSIONS


def _extension(file_name: str | None) -> str:
    if not file_name:
        return ""
    # Names from Windows can carry backslashes; only the last part matters.
    return PurePosixPath(file_name.replace("\\", "/")).suffix.lstrip(".").lower()


def _megabytes(size: int, rounding: str, *, whole_if_possible: bool) -> Decimal:
    # The file's size rounds up and the limit down, so a file just over 20 MB never reads as
    # "20,0 MB exceeds 20 MB".
    value = (Decimal(size) / MEGABYTE).quantize(Decimal("0.1"), rounding=rounding)
    if whole_if_possible and value == value.to_integral_value():
        return value.quantize(Decimal(1))  # "20 MB", not "20,0 MB"
    return value


def _format_number(value: Decimal, locale: str) -> str:
    exponent = value.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale)
