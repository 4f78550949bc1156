"""Helpers for the diagnostics tests: run a small program under the default plugins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from loopviz.session import RunResult, load_script, run_headless
from loopviz.session.plugins import default_plugins

PROGRAMS = Path(__file__).parent / "programs"


def program(name: str) -> Path:
    return PROGRAMS / f"{name}.py"


def culprit_line(name: str) -> int:
    """The line marked ``# <- culprit`` in a program."""
    lines = program(name).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if "<- culprit" in text)


def run_program(name: str, *, loop: str = "qt", runaway_limit_s: float = 10.0,
                timeout: float | None = 20.0, **kw: Any) -> RunResult:
    plugins = default_plugins(loop, runaway_limit_s=runaway_limit_s, **kw)
    return run_headless(load_script(str(program(name))), timeout=timeout, loop=loop,
                        plugins=plugins, diagnostics=False)


def kinds(result: RunResult) -> list[str]:
    """The diagnostics' kinds, less the test process's own garbage collections: its heap is
    big (every module the suite imported), and a full pass over it stalls any program run in
    it for 50-130 ms, rightly reported as "blocked ... by Python's garbage collection"."""
    return [d.kind for d in result.trace.diagnostics
            if not (d.kind == "blocked-loop" and "garbage collection" in d.message)]


def program_blocks(result: RunResult) -> list[Any]:
    """The trace's blocks, less the test process's garbage collections (see :func:`kinds`)."""
    return [b for b in result.trace.blocks if b.culprit != "gc"]


@pytest.fixture(params=["qt", "asyncio"])
def loop_kind(request: pytest.FixtureRequest) -> str:
    return request.param
