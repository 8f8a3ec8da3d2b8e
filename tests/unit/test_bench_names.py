"""`python bench/X.py` puts bench/ first on sys.path, where bench/whatsapp.py (the name issue
10 gives it) would be imported in place of the project's `whatsapp` package. Every benchmark
imports bench/_bench_path.py first, which puts the project's packages before bench/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_IMPORT = re.compile(r"^(?:import|from) (\S+)", re.MULTILINE)
STDLIB_OR_FUTURE = {
    "__future__", "argparse", "asyncio", "contextlib", "cProfile", "collections", "dataclasses",
    "datetime", "functools", "io", "itertools", "json", "logging", "math", "os", "pathlib",
    "pstats", "random", "re", "resource", "shutil", "signal", "socket", "statistics",
    "subprocess", "sys", "tempfile", "time", "tracemalloc", "types", "typing", "zoneinfo",
}  # fmt: skip


def test_only_whatsapp_takes_a_package_s_name() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert {"bot", "web", "whatsapp", "services"} <= packages
    assert {p.stem for p in (ROOT / "bench").glob("*.py")} & packages == {"whatsapp"}


def test_every_benchmark_puts_the_project_first_before_importing_it() -> None:
    scripts = [
        p for p in (ROOT / "bench").glob("*.py") if '__name__ == "__main__"' in p.read_text()
    ]
    assert len(scripts) >= 8
    for script in scripts:
        modules = [m.split(".")[0] for m in FIRST_IMPORT.findall(script.read_text())]
        first_other = next(m for m in modules if m not in STDLIB_OR_FUTURE)
        assert first_other == "_bench_path", script.name
