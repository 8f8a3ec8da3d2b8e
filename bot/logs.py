"""Logging for every command: structlog rendering through the standard logging, console or JSON.

Everything logs through `logging` (our modules, python-telegram-bot, uvicorn, SQLAlchemy); one
handler on the root logger renders each record with structlog, as a console line or as one JSON
object per line (LOG_FORMAT). Values a record carries in `extra` become fields of its own.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog
from structlog.typing import Processor

REDACTED = "[redacted]"

# Libraries whose chatter would bury ours, or leak: httpx logs every request URL, and a Bot API
# URL carries the token; httpcore's DEBUG lines describe each request too.
QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "alembic": logging.WARNING}


class _Redact:
    """Replace known secrets (the token, the webhook secret) wherever they appear in a line:
    the last guard, should a library ever print one in a message or a traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = [s for s in secrets if s]

    def __call__(
        self, logger: object, name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        if not self._secrets:
            return event
        for key, value in event.items():
            if isinstance(value, str):
                for secret in self._secrets:
                    if secret in value:
                        value = value.replace(secret, REDACTED)
                event[key] = value
        return event


def _drop_color_message(
    logger: object, name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # uvicorn's terminal-coloured copy of each message, passed in `extra`.
    event.pop("color_message", None)
    return event


def configure_logging(
    level: str,
    log_format: str = "console",
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    force: bool = False,
) -> logging.Handler | None:
    """Route every log record through one structlog formatter on `stream` (stderr).

    Like logging.basicConfig, it leaves a root logger that already has handlers alone (a
    test runner's, an embedding program's) unless `force`; the quiet levels apply anyway.
    Returns the handler it added, None when it added none.
    """
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    root = logging.getLogger()
    if not force and any(not getattr(h, "_properbot", False) for h in root.handlers):
        return None
    shared: list[Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor
    if log_format == "json":
        # Tracebacks become one string field, so every record stays one line.
        final: list[Processor] = [structlog.processors.format_exc_info]
        renderer = structlog.processors.JSONRenderer()
    else:
        final = []
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *final,
            _Redact(secrets),
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter)
    for old in list(root.handlers):
        if getattr(old, "_properbot", False):
            root.removeHandler(old)
    handler._properbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # structlog's own loggers, should a module use them, end in the same handler.
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared[:2],
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return handler
