"""Bot API methods and types from the bundled api.json, and Telegram-like parameter checking."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from fakegram.errors import bad_request
from fakegram.records import Upload

BASIC_TYPES = frozenset({"Integer", "String", "Boolean", "Float"})
ARRAY_PREFIX = "Array of "

_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DISCRIMINATOR_RE = re.compile(r'(?:must be|always) \*?"?([\w-]+)')
_DISCRIMINATOR_FIELDS = ("type", "source", "status")

# Parameters dropped from the documentation that Telegram still honours, with the field that
# replaced them: a method taking the successor also takes the legacy parameter.
_LEGACY_FIELDS: dict[str, tuple[str, str]] = {
    "reply_to_message_id": ("reply_parameters", "Integer"),
    "allow_sending_without_reply": ("reply_parameters", "Boolean"),
    "disable_web_page_preview": ("link_preview_options", "Boolean"),
}

# Telegram's own wording for a few missing parameters; the rest get "<field> is required".
_MISSING_WORDING: dict[tuple[str, str], str] = {
    ("sendMessage", "text"): "message text is empty",
    ("sendPhoto", "photo"): "there is no photo in the request",
    ("sendDocument", "document"): "there is no document in the request",
    ("*", "chat_id"): "chat_id is empty",
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: tuple[FieldSpec, ...]
    returns: tuple[str, ...]

    def field(self, name: str) -> FieldSpec | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: tuple[FieldSpec, ...]
    subtypes: tuple[str, ...]
    discriminator: tuple[str, str] | None


def _fields(raw: Sequence[Mapping[str, Any]]) -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(
            name=f["name"],
            types=tuple(f["types"]),
            required=bool(f["required"]),
            description=str(f.get("description", "")),
        )
        for f in raw
    )


def _discriminator(fields: tuple[FieldSpec, ...]) -> tuple[str, str] | None:
    for f in fields:
        if f.name in _DISCRIMINATOR_FIELDS and f.types == ("String",):
            m = _DISCRIMINATOR_RE.search(f.description)
            if m:
                return f.name, m.group(1)
    return None


class ApiSpec:
    """The Bot API as described by api.json: method lookup and value checking."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.version: str = str(raw.get("version", ""))
        self.methods: dict[str, MethodSpec] = {}
        self._by_lower: dict[str, MethodSpec] = {}
        for name, m in raw["methods"].items():
            spec = MethodSpec(
                name=name, fields=_fields(m.get("fields", [])), returns=tuple(m.get("returns", []))
            )
            self.methods[name] = spec
            self._by_lower[name.lower()] = spec
        self.types: dict[str, TypeSpec] = {}
        for name, t in raw["types"].items():
            fields = _fields(t.get("fields", []))
            self.types[name] = TypeSpec(
                name=name,
                fields=fields,
                subtypes=tuple(t.get("subtypes") or ()),
                discriminator=_discriminator(fields),
            )

    def method(self, name: str) -> MethodSpec | None:
        """The method called ``name``; Telegram matches method names case-insensitively."""
        return self._by_lower.get(name.lower())

    # -- parameters of a call -------------------------------------------------------------

    def coerce_params(
        self, method: MethodSpec, raw: Mapping[str, Any], uploads: Mapping[str, Upload]
    ) -> dict[str, Any]:
        """Typed parameters of a call, or ApiError(400) the way Telegram refuses them.

        ``raw`` values are strings (query string, form fields) or JSON values (JSON body).
        Parameters the method does not define are ignored, as Telegram ignores them.
        """
        out: dict[str, Any] = {}
        for f in method.fields:
            value: Any = raw.get(f.name)
            if value is None and "InputFile" in f.types and f.name in uploads:
                value = uploads[f.name]
            if value is None or value == "":
                if f.required:
                    raise bad_request(_missing(method.name, f.name))
                continue
            out[f.name] = self._coerce_top(f, value, uploads)
        for name, (successor, basic) in _LEGACY_FIELDS.items():
            if raw.get(name) not in (None, "") and method.field(successor) is not None:
                legacy = FieldSpec(name=name, types=(basic,), required=False, description="")
                out[name] = self._coerce_top(legacy, raw[name], uploads)
        return out

    def _coerce_top(self, f: FieldSpec, value: Any, uploads: Mapping[str, Upload]) -> Any:
        if isinstance(value, Upload):
            if "InputFile" in f.types:
                return value
            raise bad_request(f'parameter "{f.name}" can\'t be a file upload')
        basics = [t for t in f.types if t in BASIC_TYPES or t == "InputFile"]
        objects = [t for t in f.types if t not in basics]
        for t in basics:
            try:
                return self._coerce_basic(f.name, t, value, uploads)
            except _Mismatch as exc:
                if exc.detail:
                    raise bad_request(exc.detail) from None
        if not objects:
            expected = " or ".join(f.types)
            raise bad_request(f'parameter "{f.name}" must be of type {expected}, got {value!r}')
        # An object or array: JSON-serialized text in query strings and form fields.
        parsed = value
        what = _json_what(f.name)
        if isinstance(value, str):
            try:
                parsed = json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what} JSON object") from None
        problem = self._check_top_objects(parsed, objects, f.name)
        if problem is not None:
            raise bad_request(f"can't parse {what}: {problem}")
        return parsed

    def _check_top_objects(self, value: Any, types: Sequence[str], name: str) -> str | None:
        if len(types) > 1 and all(t.startswith(ARRAY_PREFIX) for t in types):
            # "Array of InputMediaPhoto or Array of InputMediaVideo" allows mixing photos and
            # videos in one album; which mixes are refused is the method's business.
            if not isinstance(value, list):
                return f"{name} must be an Array"
            inner = [t.removeprefix(ARRAY_PREFIX) for t in types]
            for i, item in enumerate(value):
                problem = self.check_value(item, inner, f"{name}[{i}]")
                if problem is not None:
                    return problem
            return None
        return self.check_value(value, types, name)

    def _coerce_basic(self, name: str, t: str, value: Any, uploads: Mapping[str, Upload]) -> Any:
        if t == "Integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and _INT_RE.match(value.strip()):
                return int(value.strip())
        elif t == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str) and _FLOAT_RE.match(value.strip()):
                return float(value.strip())
        elif t == "Boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
                return value.strip().lower() in ("true", "1")
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
        elif t == "String":
            if isinstance(value, str):
                return value
            # Telegram reads JSON numbers given for string parameters as their text.
            if isinstance(value, int | float) and not isinstance(value, bool):
                return json.dumps(value)
        elif t == "InputFile" and isinstance(value, str) and value.startswith("attach://"):
            part = uploads.get(value.removeprefix("attach://"))
            if part is None:
                raise _Mismatch(f"can't parse {name}: file {value} is not in the request")
            return part
        raise _Mismatch("")

    # -- JSON-serialized objects ----------------------------------------------------------

    def check_value(self, value: Any, types: Sequence[str], path: str) -> str | None:
        """None if ``value`` fits one of ``types``, else what is wrong and where."""
        problems: list[tuple[int, str]] = []
        unmatched = self._unmatched_discriminator(value, types)
        if unmatched is not None:
            return f'unsupported {unmatched[0]} "{unmatched[1]}" in {path}'
        for t in types:
            problem = self._check(value, t, path)
            if problem is None:
                return None
            problems.append((self._closeness(value, t), problem))
        # Report the candidate the value most resembles, e.g. InlineKeyboardMarkup for a dict
        # with "inline_keyboard", rather than the first of the alternatives.
        problems.sort(key=lambda p: -p[0])
        return problems[0][1]

    def _closeness(self, value: Any, t: str) -> int:
        spec = self.types.get(t)
        if not isinstance(value, dict) or spec is None or not spec.fields:
            return 0
        names = {f.name for f in spec.fields}
        score = len(names & set(value))
        if (
            spec.discriminator is not None
            and value.get(spec.discriminator[0]) == spec.discriminator[1]
        ):
            score += 1000
        return score

    def _unmatched_discriminator(self, value: Any, types: Sequence[str]) -> tuple[str, Any] | None:
        """(key, value) when every candidate is told apart by ``key`` and none has ``value``."""
        if not isinstance(value, dict) or len(types) < 2:
            return None
        keys = set()
        for t in types:
            spec = self.types.get(t)
            if spec is None or spec.discriminator is None:
                return None
            keys.add(spec.discriminator[0])
            if value.get(spec.discriminator[0]) == spec.discriminator[1]:
                return None
        if len(keys) != 1:
            return None
        key = keys.pop()
        return (key, value.get(key)) if key in value else None

    def _check(self, value: Any, t: str, path: str) -> str | None:
        if t.startswith(ARRAY_PREFIX):
            if not isinstance(value, list):
                return f"{path} must be an Array"
            inner = t.removeprefix(ARRAY_PREFIX)
            for i, item in enumerate(value):
                problem = self._check(item, inner, f"{path}[{i}]")
                if problem is not None:
                    return problem
            return None
        if t in BASIC_TYPES:
            ok = {
                "Integer": isinstance(value, int) and not isinstance(value, bool),
                "Float": isinstance(value, int | float) and not isinstance(value, bool),
                "Boolean": isinstance(value, bool),
                "String": isinstance(value, str),
            }[t]
            return None if ok else f'Field "{path}" must be of type {t}'
        if t == "InputFile":
            return None
        if t == "KeyboardButton" and isinstance(value, str):
            return None  # Telegram accepts a bare string as a text-only reply keyboard button.
        spec = self.types.get(t)
        if spec is None:
            return None
        if spec.subtypes:
            return self._check_union(value, spec, path)
        if not isinstance(value, dict):
            return f'Field "{path}" must be an Object ({t})'
        if spec.discriminator is not None:
            key, expected = spec.discriminator
            if key in value and value[key] != expected:
                return f'Field "{path}.{key}" must be "{expected}" for {t}'
        for f in spec.fields:
            sub = f"{path}.{f.name}"
            if f.name not in value or value[f.name] is None:
                if f.required:
                    return f'Can\'t find field "{f.name}" in {path}'
                continue
            problem = self.check_value(value[f.name], f.types, sub)
            if problem is not None:
                return problem
        return None

    def _check_union(self, value: Any, spec: TypeSpec, path: str) -> str | None:
        if isinstance(value, dict):
            keys: set[str] = set()
            for sub in spec.subtypes:
                sub_spec = self.types.get(sub)
                if sub_spec is None or sub_spec.discriminator is None:
                    continue
                key, expected = sub_spec.discriminator
                keys.add(key)
                if value.get(key) == expected:
                    return self._check(value, sub, path)
            if keys:
                key = min(keys)
                if key not in value:
                    return f'Can\'t find field "{key}" in {path}'
                return f'unsupported {key} "{value[key]}" in {path}'
        return self.check_value(value, spec.subtypes, path)


class _Mismatch(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _missing(method: str, field: str) -> str:
    wording = _MISSING_WORDING.get((method, field)) or _MISSING_WORDING.get(("*", field))
    return wording or f"{field} is required"


def _json_what(field: str) -> str:
    if field == "reply_markup":
        return "reply keyboard markup"
    if field in ("entities", "caption_entities"):
        return "entities"
    return field


@cache
def load_spec() -> ApiSpec:
    """The bundled Bot API spec, parsed once per process."""
    text = resources.files("fakegram").joinpath("data", "api.json").read_text(encoding="utf-8")
    return ApiSpec(json.loads(text))
