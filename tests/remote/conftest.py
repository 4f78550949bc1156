"""These tests run served programs and viewers on threads of the test process."""

from __future__ import annotations

import gc

import pytest


@pytest.fixture(autouse=True)
def _earlier_garbage_collected_on_the_main_thread() -> None:
    """Earlier tests leave Qt objects in reference cycles (loops, timers). The threads here
    allocate enough to start a collection themselves, and a Qt object finalised off the main
    thread can crash Qt later: collect them here, on the main thread, first."""
    gc.collect()
