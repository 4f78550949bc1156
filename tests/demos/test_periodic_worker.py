"""periodic-worker: ticks on a grid vs drifting ticks; cancel() stops it, cleanup runs after."""

from __future__ import annotations

import itertools

from loopviz.demos.periodic_worker import DEMO, _ticks
from tests.demos.helpers import run_demo


def test_grid_worker_ticks_regularly_and_stops_cleanly() -> None:
    r = run_demo("periodic_worker", "fixed", period=0.2, work=0.08, run_for=1.3)
    rate, stop = r.findings
    assert rate.ok and stop.ok, [f.text for f in r.findings]
    intervals = [b - a for a, b in itertools.pairwise(_ticks(r.trace))]
    assert len(intervals) >= 4
    # Every tick interval within a range around the period (timers are noisy, and a late
    # tick on a grid is followed by a shorter interval that catches up).
    assert all(0.1e9 <= i <= 0.35e9 for i in intervals), intervals
    assert 0.17 <= rate.data["interval_s"] <= 0.23
    worker = next(t for t in r.trace.tasks if t.name == "worker")
    assert worker.outcome == "cancelled"
    assert stop.data["cleanups_after"] == 1
    # The last steps of the worker (its finally) start after the cancel.
    assert r.trace.steps_of(worker.id)[-1].start_ns >= stop.data["stop_s"] * 1e9
    assert DEMO.question is not None and DEMO.question.answer(r.trace, "fixed", period=0.2) == 0


def test_sleep_after_work_makes_ticks_drift_by_the_work_time() -> None:
    r = run_demo("periodic_worker", "pitfall", period=0.2, work=0.08, run_for=1.3)
    rate, stop = r.findings
    assert rate.ok and stop.ok, [f.text for f in r.findings]
    assert rate.data["interval_s"] >= 0.2 + 0.08 * 0.8
    assert rate.data["drift_s"] > 0.1
