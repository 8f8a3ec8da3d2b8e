"""WhatsApp message templates: one approved UTILITY template per outgoing message kind, for
messages sent outside the 24-hour customer-service window.

Each template wraps the message the queue would have sent free form: its fixed words come
from the catalogs (whatsapp_templates.po, keys `whatsapp.template.<kind>` with named
placeholders), and its one parameter, `{summary}`, is that message rendered in the
recipient's language as a single line (Meta refuses newlines, tabs and more than four spaces
in a row in a parameter, so `param_text` flattens and cuts it). In the definitions submitted
to Meta the placeholders become numbered, `{summary}` -> `{{1}}`, in `TemplateSpec.params`
order; a send fills them in the same order.

The "Lihat laporan" button. A relay (a report, a correction, a note) and a feedback reminder
outside the window carry a quick-reply button whose payload is `view:<outbox message id>`
(`view_payload`). Tapping it opens the window and sends that payload back as a button reply;
the adapter reads it with `parse_view_payload` and, after checking that the outbox row went to
the tapping account (`OutboxMessage.account_id`), shows the report of the row's payload
`thread` (the progress_update id; `note` names the feedback note when there is one) in full
with its evidence. The row's payload itself keeps no copy of the words (services.outbox
`settled`), so the report is read from the database, never from the queue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.i18n import SUPPORTED_LANGUAGES, translator

# The payload key that marks a row sent as a template (the messaging tier counts them), and
# the one that sends a row as its template whatever the window (statuses.retry_as_template).
TEMPLATE_MARK = "template"
FORCE_TEMPLATE = "as_template"

TEMPLATE_PREFIX = "properbot_"
CATEGORY = "UTILITY"
VIEW_PREFIX = "view:"
# A parameter longer than this is cut (the whole body must stay under Meta's 1,024).
PARAM_LIMIT = 600
# Meta's limit on a quick-reply button's text.
BUTTON_TEXT_LIMIT = 25
# What Meta calls our languages (its codes for Indonesian and English).
META_LANGUAGES: Mapping[str, str] = {"id": "id", "en": "en"}

_SPACES = re.compile(r" {4,}")
_LINE_END = ".:;!?…"


@dataclass(frozen=True)
class TemplateSpec:
    """The template of one outbox kind; `button`: it carries the "Lihat laporan" button."""

    kind: str
    params: tuple[str, ...] = ("summary",)
    button: bool = False

    @property
    def name(self) -> str:
        return f"{TEMPLATE_PREFIX}{self.kind}"

    @property
    def body_key(self) -> str:
        return f"whatsapp.template.{self.kind}"

    @property
    def example_key(self) -> str:
        return f"whatsapp.template.{self.kind}.example"


BUTTON_KEY = "whatsapp.template.button.view"
# The fallback for a kind without a template of its own (a kind added later, say).
NOTICE = "notice"

# Every kind the outbox carries (services/: reminders/*, seminars, seminar_materials,
# scoring, broadcasts, relays, delivery): a new kind needs its line here and its texts.
SPECS: Mapping[str, TemplateSpec] = {
    spec.kind: spec
    for spec in (
        TemplateSpec("reminder"),  # milestone reminders, to participants and mentors
        TemplateSpec("nudge"),  # a participant silent for N days
        TemplateSpec("feedback_wait", button=True),  # a report waiting for its advisor
        TemplateSpec("escalation"),  # an unanswered report, to the admins
        TemplateSpec("digest"),  # a mentor's weekly digest
        TemplateSpec("seminar_materials"),  # a presenter's laporan and bahan tayang
        TemplateSpec("seminar"),  # seminar notices, moves and cancellations
        TemplateSpec("material"),  # seminar materials passed on
        TemplateSpec("seminar_scores"),  # scores announced
        TemplateSpec("broadcast"),  # an organizer's announcement
        TemplateSpec("relay", button=True),  # reports, corrections and feedback passed on
        TemplateSpec(NOTICE),  # notices to admins and anything else
    )
}


def spec_for(kind: str) -> TemplateSpec:
    """The template a message of this outbox kind goes as outside the window."""
    return SPECS.get(kind) or SPECS[NOTICE]


def meta_language(language: str | None) -> str:
    return META_LANGUAGES.get(language or "", META_LANGUAGES["id"])


def param_text(text: str, limit: int = PARAM_LIMIT) -> str:
    """Plain text as a template parameter: one line, no tabs, at most four spaces in a row,
    at most `limit` characters (cut with an ellipsis); never empty."""
    lines = [" ".join(line.replace("\t", " ").split()) for line in text.splitlines()]
    joined = ""
    for line in filter(None, lines):
        if joined:
            joined += " " if joined[-1] in _LINE_END else " · "
        joined += line
    joined = _SPACES.sub(" ", joined).strip() or "-"
    if len(joined) > limit:
        joined = joined[: limit - 1].rstrip() + "…"
    return joined


def view_payload(outbox_id: int) -> str:
    """The "Lihat laporan" button's payload for the outbox message it came with."""
    return f"{VIEW_PREFIX}{outbox_id}"


def parse_view_payload(data: str | None) -> int | None:
    """The outbox message id of a "Lihat laporan" tap; None for any other payload."""
    if not data or not data.startswith(VIEW_PREFIX):
        return None
    rest = data[len(VIEW_PREFIX) :]
    return int(rest) if rest.isdigit() else None


def body_text(spec: TemplateSpec, language: str) -> str:
    """The template's body as Meta stores it: the catalog text, placeholders numbered."""
    numbered = {name: f"{{{{{index}}}}}" for index, name in enumerate(spec.params, start=1)}
    return translator(language)(spec.body_key, **numbered)


def button_text(language: str) -> str:
    return translator(language)(BUTTON_KEY)


def definition(spec: TemplateSpec, language: str) -> dict[str, Any]:
    """One template in the Graph API's POST /{waba_id}/message_templates format."""
    t = translator(language)
    example = [param_text(t(spec.example_key))]
    components: list[dict[str, Any]] = [
        {"type": "BODY", "text": body_text(spec, language), "example": {"body_text": [example]}}
    ]
    if spec.button:
        components.append(
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": button_text(language)}]}
        )
    return {
        "name": spec.name,
        "language": meta_language(language),
        "category": CATEGORY,
        "components": components,
    }


def definitions() -> list[dict[str, Any]]:
    """Every template in every language, for submission (`properbot whatsapp templates`)."""
    return [definition(spec, lang) for spec in SPECS.values() for lang in SUPPORTED_LANGUAGES]


def send_components(
    spec: TemplateSpec, values: Mapping[str, str], *, view: str | None = None
) -> list[dict[str, Any]]:
    """The `components` of a template send: the body's parameters in order, and the
    button's payload when the template has one."""
    parameters = [{"type": "text", "text": param_text(values[name])} for name in spec.params]
    components: list[dict[str, Any]] = [{"type": "body", "parameters": parameters}]
    if spec.button and view is not None:
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": view}],
            }
        )
    return components


# --- comparing with what the account has ----------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One template that cannot be sent as defined: "missing", "not_approved" (with Meta's
    status) or "different" (its approved text or buttons are not ours)."""

    name: str
    language: str
    kind: str
    status: str | None = None


def _shape(template: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    body, buttons = "", []
    for component in template.get("components") or []:
        ctype = str(component.get("type", "")).upper()
        if ctype == "BODY":
            body = str(component.get("text", ""))
        elif ctype == "BUTTONS":
            buttons = [str(b.get("text", "")) for b in component.get("buttons") or []]
    return str(template.get("category", "")).upper(), body, tuple(buttons)


def compare(
    wanted: Iterable[Mapping[str, Any]], existing: Iterable[Mapping[str, Any]]
) -> list[Problem]:
    """What stands between the definitions and the account's templates, in definition order."""
    found = {(str(t.get("name")), str(t.get("language"))): t for t in existing}
    problems = []
    for template in wanted:
        name, language = str(template["name"]), str(template["language"])
        there = found.get((name, language))
        if there is None:
            problems.append(Problem(name, language, "missing"))
        elif str(there.get("status", "")).upper() != "APPROVED":
            problems.append(Problem(name, language, "not_approved", str(there.get("status"))))
        elif _shape(there) != _shape(template):
            problems.append(Problem(name, language, "different"))
    return problems
