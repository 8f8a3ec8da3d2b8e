"""An idle bot does not carry the renderers' heavy libraries: they load on first use.

`properbot run` starts through bot.cli, which builds every subcommand's parser, and bot.app,
which registers every handler; neither may import matplotlib, openpyxl, fpdf or Pillow (with
numpy, about 50 MB resident; bench/memory.py measures the whole process). Nor may the worker
and the web app load what only a configured feature uses: pywa (WhatsApp), Jinja (the web
desk), segno (the desk's QR codes); together about 10 MB more, which had taken the idle bot
from 89 MB back over its 100 MB goal.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("matplotlib", "numpy", "openpyxl", "fpdf", "PIL")
FEATURE_ONLY = ("pywa", "pywa_async", "jinja2", "segno")


def loaded_after(imports: str, watched: tuple[str, ...]) -> list[str]:
    """Which of `watched` a fresh interpreter holds after `import <imports>`."""
    probe = f"import sys, {imports}; print(','.join(m for m in {watched!r} if m in sys.modules))"
    printed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    return printed.split(",") if printed else []


def test_starting_the_bot_loads_no_renderer_library() -> None:
    assert loaded_after("bot.cli, bot.app", HEAVY) == []


def test_the_probe_sees_a_renderer_once_it_is_used() -> None:
    assert "fpdf" in loaded_after("bot.app, documents.portfolio_pdf", HEAVY)


def test_starting_the_bot_loads_no_feature_it_is_not_configured_for() -> None:
    assert loaded_after("bot.cli, bot.app, bot.worker, web.app", FEATURE_ONLY) == []


def test_the_probe_sees_whatsapp_once_it_is_used() -> None:
    assert "pywa_async" in loaded_after("bot.app, whatsapp.dispatch", FEATURE_ONLY)
