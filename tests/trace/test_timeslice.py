"""The trace as of an instant, the events the cursor steps between, async stacks at t."""

from __future__ import annotations

import itertools
import os

from loopviz.demos import sequential_vs_gather
from loopviz.demos.evidence import source_line
from loopviz.trace.timeslice import event_times, next_event, prev_event, stacks_at, timeslice


def _fetch_wait(trace, name="fetch-2"):
    (task,) = trace.tasks_named(name)
    (wait,) = [w for w in trace.waits_of(task.id) if w.kind == "sleep"]
    return task, wait


def test_a_slice_at_the_end_is_the_whole_trace(gather_run):
    trace = gather_run.trace
    assert timeslice(trace, trace.duration_ns) is trace


def test_a_slice_inside_a_wait_shows_it_open_and_the_task_pending(gather_run):
    trace = gather_run.trace
    task, wait = _fetch_wait(trace)
    mid = (wait.start_ns + wait.ready_ns) // 2
    sliced = timeslice(trace, mid)
    assert sliced.duration_ns == mid
    assert sliced.task(task.id).outcome == "pending" and sliced.task(task.id).ended_ns is None
    (open_wait,) = [w for w in sliced.waits_of(task.id)]
    assert open_wait.end_ns is None and open_wait.ready_ns is None
    assert all(s.end_ns <= mid for s in sliced.steps)
    assert sliced.state_at(task.id, mid) == trace.state_at(task.id, mid)


def test_slices_at_growing_times_extend_each_other(gather_run):
    trace = gather_run.trace
    times = [trace.duration_ns * k // 7 for k in range(1, 8)]
    for early, late in itertools.pairwise(times):
        a, b = timeslice(trace, early), timeslice(trace, late)
        for kind in ("tasks", "waits", "jobs"):
            ra, rb = getattr(a, kind), getattr(b, kind)
            assert len(ra) <= len(rb)
        assert [(w.task, w.start_ns) for w in a.waits] == \
            [(w.task, w.start_ns) for w in b.waits[: len(a.waits)]]
        assert [t.id for t in a.tasks] == [t.id for t in b.tasks[: len(a.tasks)]]


def test_stepping_to_the_next_event_lands_on_a_step_start_exactly(gather_run):
    trace = gather_run.trace
    task, wait = _fetch_wait(trace)
    times = event_times(trace)
    assert times == sorted(set(times)) and times[0] == 0 and times[-1] == trace.duration_ns
    (resume,) = [s for s in trace.steps_of(task.id) if s.start_ns >= wait.end_ns][:1]
    # from just after the wake-up (ready), the next events lead to the resuming step's start
    t = wait.ready_ns
    assert t in times
    while t < resume.start_ns:
        t = next_event(trace, t)
    assert t == resume.start_ns
    assert prev_event(trace, next_event(trace, t)) == t
    assert next_event(trace, trace.duration_ns) == trace.duration_ns
    assert prev_event(trace, 0) == 0


def test_the_async_stack_inside_a_wait_names_the_await_line_and_its_frames(gather_run):
    trace = gather_run.trace
    _task, wait = _fetch_wait(trace)
    mid = (wait.start_ns + wait.ready_ns) // 2
    stacks = {s.name: s for s in stacks_at(trace, mid)}
    _, sleep_line = source_line(sequential_vs_gather.fetch, "await asyncio.sleep(")
    fetch = stacks["fetch-2"]
    assert fetch.state == "waiting" and fetch.line == sleep_line
    assert "asyncio.sleep" in fetch.label
    assert fetch.frames[0].function == "fetch" and fetch.frames[0].line == sleep_line
    assert os.path.basename(fetch.frames[-1].file) == "tasks.py"
    assert fetch.frames[-1].function == "sleep"
    main = stacks["main"]
    _, gather_line = source_line(sequential_vs_gather.main, "return await asyncio.gather(")
    assert main.state == "waiting" and main.line == gather_line
    assert [f.function for f in main.frames] == ["main"]  # loopviz's own wrapper is hidden
