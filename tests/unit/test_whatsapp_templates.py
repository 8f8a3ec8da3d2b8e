"""The WhatsApp templates: one per outbox kind, texts Meta accepts, parameters it accepts."""

from __future__ import annotations

import re

import pytest

from domain.i18n import SUPPORTED_LANGUAGES, translator
from services import broadcasts, scoring, seminar_materials, seminars
from services.outbox import RELAY
from services.reminders import (
    digests,
    escalations,
    feedback_waits,
    milestones,
    nudges,
)
from services.reminders import seminar_materials as materials_reminders
from whatsapp.templates import (
    SPECS,
    Problem,
    body_text,
    compare,
    definitions,
    param_text,
    parse_view_payload,
    send_components,
    spec_for,
    view_payload,
)

# Every kind the services queue, read from their own constants so a renamed kind fails here.
QUEUED_KINDS = {
    milestones.KIND_MILESTONE,
    nudges.KIND_NUDGE,
    feedback_waits.KIND_FEEDBACK,
    escalations.KIND_ESCALATION,
    digests.KIND_DIGEST,
    materials_reminders.KIND_SEMINAR_MATERIALS,
    seminars.OUTBOX_KIND,
    seminar_materials.OUTBOX_KIND,
    scoring.OUTBOX_KIND,
    broadcasts.KIND,
    RELAY,
    "notice",  # services.delivery: the organizers told someone is unreachable
}
_NUMBERED = re.compile(r"\{\{(\d+)\}\}")


def test_every_queued_kind_has_its_own_template() -> None:
    assert set(SPECS) >= QUEUED_KINDS
    assert spec_for("a_kind_added_later").kind == "notice"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_bodies_are_what_meta_accepts(language: str) -> None:
    for spec in SPECS.values():
        body = body_text(spec, language)
        numbers = [int(n) for n in _NUMBERED.findall(body)]
        # Numbered from 1 without gaps, one per parameter, neither first nor last.
        assert sorted(set(numbers)) == list(range(1, len(spec.params) + 1)), spec.kind
        assert not body.startswith("{{") and not body.endswith("}}"), spec.kind
        assert len(body) + 600 <= 1024, spec.kind
        assert "{" not in _NUMBERED.sub("", body), spec.kind


def test_definitions_are_in_the_graph_api_format() -> None:
    found = definitions()
    assert len(found) == 2 * len(SPECS)
    relay = next(d for d in found if d["name"] == "properbot_relay" and d["language"] == "id")
    assert relay["category"] == "UTILITY"
    body, buttons = relay["components"]
    assert body["type"] == "BODY" and "{{1}}" in body["text"]
    assert len(body["example"]["body_text"][0]) == 1
    assert buttons == {
        "type": "BUTTONS",
        "buttons": [{"type": "QUICK_REPLY", "text": "Lihat laporan"}],
    }
    english = next(d for d in found if d["name"] == "properbot_relay" and d["language"] == "en")
    assert english["components"][1]["buttons"][0]["text"] == "See report"
    reminder = next(d for d in found if d["name"] == "properbot_reminder")
    assert [c["type"] for c in reminder["components"]] == ["BODY"]


def test_a_parameter_is_one_line_meta_accepts() -> None:
    text = "**Pengingat**\n\n• Budi\t60%\n• Siti      40%\n\nSelesai."
    assert param_text(text) == "**Pengingat** · • Budi 60% · • Siti 40% · Selesai."
    long = param_text("kata " * 400)
    assert len(long) == 600 and long.endswith("…")
    assert param_text("\n \n") == "-"
    for value in (text, "a" * 2000, "x\r\ny\tz     w"):
        flat = param_text(value)
        assert "\n" not in flat and "\t" not in flat and "     " not in flat


def test_the_view_button_carries_the_outbox_message() -> None:
    assert parse_view_payload(view_payload(4521)) == 4521
    assert parse_view_payload("view:x") is None
    assert parse_view_payload("fb:1:2") is None
    assert parse_view_payload(None) is None
    components = send_components(SPECS["relay"], {"summary": "Laporan\nBudi"}, view="view:7")
    assert components == [
        {"type": "body", "parameters": [{"type": "text", "text": "Laporan · Budi"}]},
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": "view:7"}],
        },
    ]


def test_compare_names_what_is_missing_unapproved_or_different() -> None:
    wanted = definitions()
    existing = [{**d, "status": "APPROVED"} for d in wanted]
    assert compare(wanted, existing) == []
    existing.pop(0)
    existing[0] = {**existing[0], "status": "PENDING"}
    changed = existing[1]["components"][0]
    existing[1] = {**existing[1], "components": [{**changed, "text": "Halo {{1}}."}]}
    problems = compare(wanted, existing)
    first, second, third = wanted[:3]
    assert problems == [
        Problem(first["name"], first["language"], "missing"),
        Problem(second["name"], second["language"], "not_approved", "PENDING"),
        Problem(third["name"], third["language"], "different"),
    ]


def test_the_catalog_texts_exist_in_both_languages() -> None:
    for language in SUPPORTED_LANGUAGES:
        t = translator(language)
        for spec in SPECS.values():
            assert t(spec.example_key).strip()
