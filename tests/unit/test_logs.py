"""Logs: one JSON object per line (LOG_FORMAT=json) or a console line, secrets never shown."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import REDACTED, configure_logging

TOKEN = "424242424:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_parse_and_carry_their_fields(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out, force=True)
    logging.getLogger("properbot.updates").info(
        "update %s handled", 7, extra={"kind": "command", "latency_ms": 12.5, "outcome": "ok"}
    )
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("bot.test").exception("it failed")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # a traceback stays inside its line
    first, second = (json.loads(line) for line in lines)
    assert first["event"] == "update 7 handled"
    assert (first["kind"], first["latency_ms"], first["outcome"]) == ("command", 12.5, "ok")
    assert first["level"] == "info" and first["logger"] == "properbot.updates"
    assert "timestamp" in first
    assert second["level"] == "error" and "ValueError: boom" in second["exception"]


def test_console_lines_show_the_fields(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "console", stream=out, force=True)
    logging.getLogger("properbot.updates").info("update", extra={"latency_ms": 3.2})
    assert "latency_ms=3.2" in out.getvalue()
    assert not out.getvalue().lstrip().startswith("{")


def test_secrets_are_redacted_and_httpx_kept_quiet(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", "json", secrets=[TOKEN, ""], stream=out, force=True)
    logging.getLogger("telegram.ext").debug("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s/x", TOKEN)
    text = out.getvalue()
    assert TOKEN not in text and REDACTED in text
    assert "HTTP Request" not in text  # httpx below WARNING never gets through
    assert logging.getLogger("httpx").level == logging.WARNING


def test_an_existing_root_handler_is_left_alone_unless_forced(restore_logging: None) -> None:
    root = logging.getLogger()
    foreign = logging.StreamHandler(io.StringIO())
    root.handlers[:] = [foreign]
    assert configure_logging("INFO", "json", stream=io.StringIO()) is None
    assert root.handlers == [foreign]
    added = configure_logging("INFO", "json", stream=io.StringIO(), force=True)
    assert added is not None and added in root.handlers
    # Configuring again replaces our own handler rather than adding a second one.
    again = configure_logging("INFO", "json", stream=io.StringIO(), force=True)
    assert added not in root.handlers and again in root.handlers
