"""What the code view marks, on real runs (pure: no window)."""

from __future__ import annotations

import numpy as np

from loopviz.session import resolve, run_headless
from loopviz.ui.code_view import code_marks, suspended_lines


def marks_task_by_task(trace, source_file: str, t_ns: int, skip: int | None) -> dict:
    """The reference: each task's ``state_at`` in turn (what the code view asked before)."""
    from loopviz.ui.code_view import same_file

    others: dict[int, list[str]] = {}
    for task in trace.tasks:
        if task.id == skip:
            continue
        state = trace.state_at(task.id, t_ns)
        if state.file and same_file(state.file, source_file):
            others.setdefault(state.line, []).append(task.name)
    return others


def test_suspended_tasks_are_marked_at_their_lines_as_each_tasks_state_says() -> None:
    target = resolve("throttle")
    trace = run_headless(target).trace
    source = target.demo.source_file()
    skip = trace.tasks[1].id
    instants = np.linspace(0, trace.duration_ns, 25).astype(np.int64).tolist()
    instants += [w.start_ns for w in list(trace.waits)[:20]]  # on a wait's first instant
    marked = 0
    for t in instants:
        expected = marks_task_by_task(trace, source, t, skip)
        assert suspended_lines(trace, source, t, skip) == expected
        assert code_marks(trace, source, skip, t).others == expected
        marked += sum(len(names) for names in expected.values())
    assert marked > 0  # tasks were suspended in the demo's file at some of those instants
    assert suspended_lines(trace, "/elsewhere/other.py", trace.duration_ns // 2) == {}

