"""state-machine: N awaits → N+1 steps, suspended at each await line in source order."""

from __future__ import annotations

from loopviz.demos import DEFAULT
from loopviz.demos.state_machine import await_lines

from .helpers import run_demo


def test_three_awaits_give_four_steps_suspended_at_each_await_line_in_order() -> None:
    r = run_demo("state_machine", DEFAULT, pause=0.1)
    assert r.status == "finished"
    assert r.value.splitlines() == ["report", "user: ada", "orders: 3", "total: 42"]
    (task,) = r.trace.tasks_named("make-report")
    steps, waits = r.trace.steps_of(task.id), r.trace.waits_of(task.id)
    assert len(steps) == 4 and len(waits) == 3
    assert [w.line for w in waits] == await_lines()
    assert all(w.kind == "sleep" and w.file.endswith("state_machine.py") for w in waits)
    # Steps and waits alternate: step, wait, step, wait, step, wait, step.
    for step, wait, nxt in zip(steps, waits, steps[1:], strict=False):
        assert step.end_ns == wait.start_ns and wait.end_ns == nxt.start_ns
    assert all(f.ok for f in r.findings)


def test_await_lines_reads_the_awaits_from_the_source() -> None:
    lines = await_lines()
    assert len(lines) == 3 and lines == sorted(lines)
