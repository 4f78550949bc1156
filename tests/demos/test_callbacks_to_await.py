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
    # three stages each (a timer may fire a little early on a coarse clock), and not more than
    # a loaded machine can stretch them: the styles cost the same, the callbacks are no faster
    assert all(2.5 * STAGE < t < 2 * 3 * STAGE for t in took)
    assert all(f.ok for f in r.findings)
