"""Normalizing Indonesian mobile numbers (08…, +62…, 62…) to E.164, as WhatsApp needs them."""

from __future__ import annotations

import re
from urllib.parse import quote

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

REGION = "ID"
COUNTRY_CODE = 62

# What people type between digit groups: spaces (also non-breaking ones from Word/Excel), dots,
# dashes of any kind, slashes and parentheses around an area code.
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212/()]+")
# A digit string spreadsheets produce from 0812…: the leading zero dropped from a number cell.
_ZERO_DROPPED = re.compile(r"8\d{8,11}")
_MOBILE_DIGITS = (9, 12)  # national significant number of an Indonesian mobile, min and max
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


class InvalidPhone(ValueError):
    """A phone number that cannot be used; `code` is a message-catalog key, `params` its
    placeholders (the caller renders them, e.g. in a roster row error)."""

    def __init__(self, code: str, params: dict[str, object]) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def normalize_phone(raw: str, *, allow_foreign: bool = False) -> str:
    """The mobile number in E.164 ("+6281234567890"), or InvalidPhone saying why not.

    Accepts 0812…, +62 812…, 62812…, 0062 812… with spaces, dots, dashes or parentheses, and
    812… (a spreadsheet number cell that lost its leading zero). A landline, a short or long
    number and, unless ``allow_foreign``, a number outside Indonesia are refused.
    """
    compact = _SEPARATORS.sub("", raw.strip())
    if not compact:
        raise InvalidPhone("phone.error.empty", {})
    body = compact[1:] if compact.startswith("+") else compact
    bad = [c for c in body if not c.isdecimal()]
    if bad:
        raise InvalidPhone("phone.error.not_digits", {"char": bad[0]})
    # Fullwidth or Arabic-Indic digits from some keyboards count as digits; compare in ASCII.
    body = "".join(str(int(c)) for c in body)
    if compact.startswith("+"):
        text = f"+{body}"
    elif body.startswith("00"):
        text = f"+{body[2:]}"
    elif body.startswith(str(COUNTRY_CODE)) and not body.startswith("0"):
        text = f"+{body}"
    elif _ZERO_DROPPED.fullmatch(body):
        text = f"0{body}"
    else:
        text = body
    try:
        number = phonenumbers.parse(text, REGION)
    except NumberParseException:
        raise InvalidPhone("phone.error.invalid", {"value": raw.strip()}) from None
    if number.country_code != COUNTRY_CODE and not allow_foreign:
        raise InvalidPhone("phone.error.not_indonesian", {"country_code": number.country_code})
    if not phonenumbers.is_valid_number(number):
        national = phonenumbers.national_significant_number(number).lstrip("0")
        # Indonesian mobile numbers are 8 followed by 8 to 11 digits: say which way it is off.
        if number.country_code == COUNTRY_CODE and national.startswith("8"):
            if len(national) < _MOBILE_DIGITS[0]:
                raise InvalidPhone("phone.error.too_short", {"value": raw.strip()})
            if len(national) > _MOBILE_DIGITS[1]:
                raise InvalidPhone("phone.error.too_long", {"value": raw.strip()})
        raise InvalidPhone("phone.error.invalid", {"value": raw.strip()})
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        # WhatsApp runs on a mobile number; an office line (021…) is a typo in the wrong column.
        raise InvalidPhone("phone.error.not_mobile", {"value": raw.strip()})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def wa_id(e164: str) -> str:
    """The WhatsApp id of an E.164 number: its digits without the plus ("6281234567890")."""
    return e164.removeprefix("+")


def wa_me_link(e164: str, text: str | None = None) -> str:
    """A wa.me link that opens a chat with the number, optionally with a ready text."""
    link = f"https://wa.me/{wa_id(e164)}"
    return f"{link}?text={quote(text)}" if text else link


def national_format(e164: str) -> str:
    """The number as Indonesians write it ("0812-3456-7890"), for showing it back to people."""
    number = phonenumbers.parse(e164, REGION)
    if number.country_code != COUNTRY_CODE:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
