"""threads-for-waiting and starvation: what blocking waits cost a thread pool."""

from __future__ import annotations

from loopviz.demos import evidence as ev
from tests.demos.helpers import run_demo


def test_blocking_waits_hold_a_worker_each_and_queue_when_the_pool_is_full() -> None:
    r = run_demo("threads_for_waiting", "pitfall", requests=6, workers=3, seconds=0.3)
    jobs = ev.jobs_named(r.trace, "fetch_blocking")
    assert len(jobs) == 6
    assert len({j.thread for j in jobs}) == 3
    assert sum(1 for j in jobs if ev.queue_gap(j) >= 0.2e9) == 3  # the second round queued
    assert all(j.end_ns - j.start_ns >= 0.25e9 for j in jobs)  # each thread just slept
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_async_waits_need_no_thread_and_all_overlap() -> None:
    r = run_demo("threads_for_waiting", "fixed", requests=6, workers=3, seconds=0.3)
    assert r.trace.jobs == ()
    tasks = r.trace.tasks_named("request-")
    assert r.trace.max_concurrency(tasks) == 6
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_quick_job_waits_in_the_queue_behind_slow_calls() -> None:
    r = run_demo("starvation", "pitfall", slow_calls=2, workers=2, seconds=0.5)
    quick = ev.jobs_named(r.trace, "read_config")[0]
    slow = ev.jobs_named(r.trace, "legacy_report")
    assert ev.queue_gap(quick) >= 0.3e9
    assert quick.start_ns >= min(j.end_ns for j in slow)  # it started when a slow call ended
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_bulkhead_pool_keeps_quick_jobs_moving() -> None:
    r = run_demo("starvation", "fixed", slow_calls=2, workers=2, seconds=0.5)
    quick = ev.jobs_named(r.trace, "read_config")[0]
    assert ev.queue_gap(quick) < 0.1e9
    assert quick.thread not in {j.thread for j in ev.jobs_named(r.trace, "legacy_report")}
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]
