"""How a report's words are laid out in a message: the text, then kendala (obstacles) and
rencana berikutnya (next steps) when the participant gave them."""

from __future__ import annotations

from typing import Any

_KEYS = {
    (False, False): "report.body.plain",
    (True, False): "report.body.obstacles",
    (False, True): "report.body.next_steps",
    (True, True): "report.body.full",
}


def report_body(text: str, obstacles: str | None, next_steps: str | None) -> dict[str, Any]:
    """A catalog message as a parameter ({"key", "params"}), rendered in the reader's language
    wherever the report is shown: a relay, a reminder, a correction."""
    key = _KEYS[(bool(obstacles), bool(next_steps))]
    params = {"text": text, "obstacles": obstacles or "", "next_steps": next_steps or ""}
    return {"key": key, "params": params}
