"""async-in-name-only: one long step and a frozen spinner vs many short steps."""

from __future__ import annotations

from loopviz.demos import evidence as ev
from tests.demos.helpers import run_demo


def test_coroutine_without_await_runs_as_one_long_step() -> None:
    r = run_demo("async_in_name_only", "pitfall", work=0.5)
    assert r.status == "finished"
    task = ev.first_task(r.trace, "checksum")
    steps = r.trace.steps_of(task.id)
    assert len(steps) == 1 and r.trace.waits_of(task.id) == []
    assert steps[0].end_ns - steps[0].start_ns >= 0.45e9
    spinner = ev.first_task(r.trace, "spinner")
    assert max(ev.timer_lateness(r.trace.waits_of(spinner.id))) >= 0.3e9
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_checkpoints_let_the_spinner_interleave() -> None:
    r = run_demo("async_in_name_only", "fixed", work=0.5)
    task = ev.first_task(r.trace, "checksum")
    steps = r.trace.steps_of(task.id)
    assert len(steps) >= 10
    spinner = ev.first_task(r.trace, "spinner")
    spin_steps = r.trace.steps_of(spinner.id)
    # The spinner ran between the first and the last checksum step: they interleaved.
    assert any(steps[0].end_ns <= s.start_ns <= steps[-1].start_ns for s in spin_steps)
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]
