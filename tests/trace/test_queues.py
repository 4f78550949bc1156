"""The loop's own queues at an instant, derived from the trace."""

from __future__ import annotations

from loopviz.trace import Job, TaskInfo, ThreadInfo, Trace
from loopviz.trace.queues import loop_queues


def test_during_gather_the_timer_heap_holds_every_fetch_and_main_waits_on_tasks(gather_run):
    trace = gather_run.trace
    fetches = trace.tasks_named("fetch-")
    sleeps = [w for w in trace.waits if w.kind == "sleep"]
    t = (max(w.start_ns for w in sleeps) + min(w.ready_ns for w in sleeps)) // 2
    q = loop_queues(trace, t)
    assert sorted(e.name for e in q.timers) == sorted(f.name for f in fetches)
    assert [e.due_ns for e in q.timers] == sorted(e.due_ns for e in q.timers)
    assert not any(e.overdue(t) for e in q.timers)
    assert [(e.name, e.kind) for e in q.waiting] == [("main", "task")]
    assert q.ready == () and q.running == ()


def test_a_woken_task_sits_in_the_ready_queue_until_its_step_starts(gather_run):
    trace = gather_run.trace
    (fetch,) = trace.tasks_named("fetch-3")
    (wait,) = trace.waits_of(fetch.id)
    if wait.end_ns > wait.ready_ns:
        q = loop_queues(trace, wait.ready_ns)
        assert "fetch-3" in [e.name for e in q.ready]
    q = loop_queues(trace, wait.end_ns)
    assert "fetch-3" not in [e.name for e in q.ready]
    assert [e.name for e in q.running] == ["fetch-3"]


def test_during_a_block_the_thread_is_stuck_and_the_spinner_timer_is_overdue(blocking_run):
    trace = blocking_run.trace
    block = trace.longest_block()
    t = block.end_ns - (block.end_ns - block.start_ns) // 10
    q = loop_queues(trace, t)
    assert any(e.kind == "block" and e.name == "blocked in time.sleep" for e in q.running)
    spinner = [e for e in q.timers if e.name == "spinner"]
    assert spinner and spinner[0].overdue(t)


def test_executor_jobs_are_queued_until_a_worker_starts_them():
    """A hand-built trace: this checks the derivation only, not what the app shows."""
    trace = Trace(
        meta={}, threads=(ThreadInfo(0, "Main", "ui-loop"), ThreadInfo(1, "w", "executor")),
        tasks=(TaskInfo(1, "main", "main", None, 0, 100, "result", None, "x.py", 1),),
        jobs=(Job(1, 1, "work_a", 10, 20, 60), Job(1, 1, "work_b", 12, 60, 90)),
        duration_ns=100,
    )
    q = loop_queues(trace, 30)
    assert [e.name for e in q.jobs_running] == ["work_a"]
    assert [e.name for e in q.jobs_queued] == ["work_b"]
    q = loop_queues(trace, 70)
    assert [e.name for e in q.jobs_running] == ["work_b"] and q.jobs_queued == ()
