"""Fixtures for the timeline tests: small hand-built traces (for the pure layout functions only)
and one real recorded run of the interleaving demo (for the widget)."""

from __future__ import annotations

from typing import Any

import pytest

from loopviz.trace import Block, Callback, Job, Step, TaskInfo, ThreadInfo, Trace, Wait

MS = 1_000_000


def task(tid: int, name: str, parent: int | None = None, created: int = 0,
         ended: int | None = None, outcome: str = "pending", coro: str = "work") -> TaskInfo:
    return TaskInfo(tid, name, coro, parent, created * MS, None if ended is None else ended * MS,
                    outcome, "ValueError('x')" if outcome == "exception" else None, "demo.py", 10)


def wait(tid: int, start: int, ready: int | None, end: int | None, kind: str = "sleep",
         targets: tuple[int, ...] = (), label: str = "asyncio.sleep 10 ms") -> Wait:
    return Wait(tid, start * MS, _ns(ready), None, _ns(end), kind, targets, label, "demo.py", 14)


def _ns(ms: int | None) -> int | None:
    return None if ms is None else ms * MS


def step(tid: int, start: int, end: int, thread: int = 0) -> Step:
    return Step(tid, start * MS, end * MS, thread)


def make_trace(duration_ms: int = 100, **records: Any) -> Trace:
    """A trace of records in ms (UI thread 0, executor thread 1 unless given)."""
    records.setdefault("threads", (ThreadInfo(0, "MainThread", "ui-loop"),
                                   ThreadInfo(1, "asyncio_0", "executor")))
    for kind in ("steps", "waits", "blocks", "jobs", "callbacks"):
        records[kind] = tuple(sorted(records.get(kind, ()),
                                     key=lambda r: getattr(r, "start_ns", None) or
                                     getattr(r, "submitted_ns", 0)))
    meta = records.pop("meta", {"target": "hand", "started_at": "t0"})
    return Trace(meta=meta, duration_ns=duration_ms * MS, **records)


@pytest.fixture
def family_trace() -> Trace:
    """main (1) gathers a (2) and b (3); a has a child a1 (4). A job, a callback, a repaint,
    a block inside one of main's steps."""
    return make_trace(
        tasks=(task(1, "main", ended=90, outcome="result"),
               task(2, "a", 1, 1, ended=60, outcome="exception"),
               task(3, "b", 1, 1, ended=70, outcome="cancelled"),
               task(4, "a1", 2, 2)),
        steps=(step(1, 0, 1), step(2, 1, 2), step(3, 2, 3), step(4, 3, 4), step(2, 50, 60),
               step(3, 65, 70), step(1, 80, 90)),
        waits=(wait(1, 1, 75, 80, "task", (2, 3), "gather a, b"), wait(2, 2, 40, 50),
               wait(3, 3, None, 65, "queue", label="Queue.get"), wait(4, 4, None, None, "lock",
                                                                    label="Lock.acquire")),
        jobs=(Job(1, 3, "crunch", 5 * MS, 6 * MS, 30 * MS),),
        callbacks=(Callback(0, 20 * MS, 22 * MS, "Timer._fire"),
                   Callback(0, 30 * MS, 31 * MS, "loopviz: repaint")),
        blocks=(Block(0, 82 * MS, 88 * MS, "demo.py", 30, "crunch_inline", task=1),),
    )


@pytest.fixture(scope="session")
def interleaving_trace() -> Trace:
    """A real recorded run of the interleaving demo (3 workers gathered by main) on the Qt loop."""
    from loopviz.session import resolve, run_headless

    return run_headless(resolve("interleaving"), loop="qt").trace
