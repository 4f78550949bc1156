"""offload-cpu: inline freezes the UI; a thread keeps it alive but GIL-bound; a process frees it."""

from __future__ import annotations

from loopviz.demos import evidence as ev
from loopviz.demos import offload_cpu
from tests.demos.helpers import run_demo


def _late(r, task_name="animate"):  # (late p50 before the work, during it, work span)
    t = r.trace
    start, end = t.lifetime(ev.first_task(t, "compute").id)
    timers = [w for w in t.waits_of(ev.first_task(t, task_name).id) if w.due_ns is not None]
    calm = ev.timer_lateness(w for w in timers if w.due_ns < start)
    busy = ev.timer_lateness(w for w in timers if start <= w.due_ns <= end)
    return ev.percentile(calm, 0.5), busy, end - start


def test_inline_cpu_work_blocks_the_ui_thread_at_its_line() -> None:
    r = run_demo("offload_cpu", "pitfall", demo_id="offload-cpu", jobs=1)
    _, busy, span = _late(r)
    assert max(busy) >= 0.5 * span
    _, first = ev.source_line(offload_cpu.count_primes, "for n in range")
    blocks = ev.ui_blocks(r.trace, int(0.2 * span))
    assert blocks and first <= blocks[0].line <= first + 3
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_thread_keeps_frames_coming_but_they_wait_for_the_gil() -> None:
    r = run_demo("offload_cpu", "pitfall", demo_id="cpu-in-a-thread")
    ui = r.trace.ui_thread()
    jobs = ev.jobs_named(r.trace, "count_primes")
    assert len(jobs) == 2 and all(j.thread not in (None, ui) for j in jobs)
    calm, busy, span = _late(r)
    assert len(busy) >= 3 and max(busy) < 0.5 * span
    assert ev.percentile(busy, 0.5) > calm  # the UI thread now queues for the GIL
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_process_pool_leaves_the_ui_thread_alone() -> None:
    r = run_demo("offload_cpu", "fixed", demo_id="offload-cpu")
    assert r.status == "finished" and len(r.value) == 2 and r.value[0] == r.value[1] > 0
    assert ev.jobs_named(r.trace, "count_primes") == []  # nothing ran on a thread of ours
    _, busy, span = _late(r)
    assert len(busy) >= 3 and max(busy) < 0.5 * span
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]
