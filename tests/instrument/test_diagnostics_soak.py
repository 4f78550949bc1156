"""Blocking, deadlock and runaway programs 20 times in a row in one process: the app survives,
nothing leaks, memory stays bounded."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading
import time
import warnings

import pytest

from tests.instrument.conftest import kinds, run_program

ROUNDS = 20


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _live_tasks() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, asyncio.Task) and not o.done())


@pytest.mark.slow
def test_blocking_deadlock_and_runaway_twenty_times_in_one_process() -> None:
    run_program("sleep_block")  # warm-up: imports, Qt app, caches
    gc.collect()
    threads, tasks, rss0 = threading.active_count(), _live_tasks(), _rss_bytes()
    handler = signal.getsignal(signal.SIGUSR1)
    hook = warnings._warn_unawaited_coroutine  # type: ignore[attr-defined]
    started = time.monotonic()
    for _ in range(ROUNDS):
        assert kinds(run_program("sleep_block")) == ["blocked-loop"]
        dead = run_program("deadlock_future")
        assert kinds(dead) == ["deadlock"] and dead.value == 42
        runaway = run_program("runaway_spin", runaway_limit_s=0.3)
        assert kinds(runaway) == ["runaway-aborted"] and runaway.status == "raised"
    gc.collect()
    growth = _rss_bytes() - rss0
    print(f"\nsoak: {ROUNDS} rounds x 3 programs in {time.monotonic() - started:.1f} s, "
          f"RSS growth {growth / 2**20:.1f} MiB, threads {threads}->{threading.active_count()}")
    assert threading.active_count() <= threads
    assert _live_tasks() <= tasks
    assert signal.getsignal(signal.SIGUSR1) == handler
    assert warnings._warn_unawaited_coroutine is hook  # type: ignore[attr-defined]
    assert growth < 64 * 2**20
