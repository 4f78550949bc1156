"""Fixtures for the teaching tools: real runs of catalogue demos (never hand-made traces for
what the app shows), recorded once per module on a fresh headless loop."""

from __future__ import annotations

import pytest

from loopviz.session import RunResult, resolve, run_headless


def run_demo(demo: str, variant: str, **params: float) -> RunResult:
    return run_headless(resolve(demo, variant, params), timeout=30)


@pytest.fixture(scope="module")
def gather_run() -> RunResult:
    """sequential-vs-gather, fixed: main waits on gather while three fetches sleep 0.3 s."""
    return run_demo("sequential-vs-gather", "fixed", delay=0.3)


@pytest.fixture(scope="module")
def blocking_run() -> RunResult:
    """blocking-sleep, pitfall: load-settings blocks the UI thread in time.sleep for 0.3 s."""
    return run_demo("blocking-sleep", "pitfall", block=0.3)
