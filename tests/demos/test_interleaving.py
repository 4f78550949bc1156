"""interleaving: the workers' steps alternate on the one loop thread, waits in between."""

from __future__ import annotations

import itertools

from loopviz.demos import DEFAULT, get_demo

from .helpers import run_demo


def test_worker_steps_alternate_on_the_ui_loop_thread() -> None:
    r = run_demo("interleaving", DEFAULT, tasks=3, rounds=3, pause=0.05)
    trace = r.trace
    workers = trace.tasks_named("worker-")
    assert [t.name for t in workers] == ["worker-1", "worker-2", "worker-3"]
    ids = {t.id for t in workers}
    steps = [s for s in trace.steps if s.task in ids]
    assert {s.thread for s in steps} == {trace.ui_thread()}
    # Round by round, every worker runs once before any runs again.
    order = [s.task for s in steps]
    rounds = [set(order[i:i + 3]) for i in range(0, len(order), 3)]
    assert all(r_ == ids for r_ in rounds)
    for a, b in itertools.pairwise(steps):
        assert a.end_ns <= b.start_ns
    for t in workers:
        assert len(trace.waits_of(t.id)) == len(trace.steps_of(t.id)) - 1 == 3
    q = get_demo("interleaving").question
    assert q.answer(trace, DEFAULT, tasks=3, rounds=3, pause=0.05) == 0
    assert all(f.ok for f in r.findings)
