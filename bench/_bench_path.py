"""Imported first by every benchmark: the project's packages before bench/ on sys.path.

`python bench/X.py` puts bench/ first, where whatsapp.py (the name issue 10 gives it) would be
imported instead of the project's `whatsapp` package by anything that imports it (web.app
does). bench/ stays last, so its helpers (scratch.py, likeforlike.py) are still found."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [
    str(HERE.parent),
    *(p for p in sys.path if Path(p or ".").resolve() != HERE),
    str(HERE),
]
