"""callbacks-to-await: the callback styles show up as plain loop callbacks and no task; the
async/await style as one task with three waits; all three take about the same time."""

from __future__ import annotations

from loopviz.demos import DEFAULT

from .helpers import run_demo

STAGE = 0.05


def test_three_styles_same_result_callbacks_are_not_tasks() -> None:
    r = run_demo("callbacks_to_await", DEFAULT, stage=STAGE)
    assert r.status == "finished"
    assert r.value == ["page parsed, saved"] * 3
    labels = [c.label.split(".<locals>.")[-1] for c in r.trace.callbacks]
    assert labels == ["downloaded", "parsed", "saved", "on_downloaded", "on_parsed", "on_saved"]
    assert sorted(t.name for t in r.trace.tasks) == ["main", "with-await"]
    took = [f.data["took_s"] for f in r.findings[:2]]
    assert all(2.5 * STAGE < t < 3 * STAGE + 0.1 for t in took)
    assert all(f.ok for f in r.findings)
