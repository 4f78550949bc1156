"""Each demo's lesson is on the timeline, not only in its text: the spinner's timers are late
through the block, queued jobs wait on their own row, wrong-thread calls are marked."""

from __future__ import annotations

import numpy as np

from loopviz.ui.main_window import MainWindow
from tests.ui.test_window_runs import choose


def rows_of(window: MainWindow, state: str, label: str) -> tuple[np.ndarray, np.ndarray]:
    x0, x1, rows = window.timeline.model.columns(state)
    on = np.array([window.timeline.model.rows[r].label == label for r in rows], bool)
    return x0[on], x1[on]


def test_the_blocking_demos_spinner_is_late_across_the_block(window, run_to_end) -> None:
    choose(window, "blocking-sleep", "pitfall", block=0.5)
    run_to_end(window)
    block = window.trace.longest_block()
    assert block is not None and block.end_ns - block.start_ns >= 0.4e9
    x0, x1 = rows_of(window, "late", "spinner")
    start, end = block.start_ns / 1e9, block.end_ns / 1e9
    across = (x0 <= start + 0.06) & (x1 >= end - 0.01)  # due within a tick of the block start
    assert across.any(), list(zip(x0, x1, strict=True))
    sleeping = rows_of(window, "wait:sleep", "spinner")
    assert not np.any((sleeping[0] < end - 0.06) & (sleeping[1] > start + 0.06))


def test_starvation_shows_each_slow_job_and_the_quick_job_queued(window, run_to_end) -> None:
    choose(window, "starvation", "pitfall", slow_calls=4, workers=2, seconds=0.4)
    run_to_end(window)
    model = window.timeline.model
    jobs = window.trace.jobs
    slow = [i for i, j in enumerate(jobs) if j.function.endswith("legacy_report")]
    [quick] = [i for i, j in enumerate(jobs) if j.function.endswith("read_config")]
    assert len(model.columns("job")[0]) == len(jobs)  # one segment per job, back to back or not
    queued = [model.hit(r, (a + b) / 2) for a, b, r in zip(*model.columns("queued"), strict=True)]
    refs = {h.ref for h in queued if h is not None and h.state == "queued"}
    assert quick in refs and len(refs & set(slow)) == 2  # two slow ones waited for a worker
    wait_s = (jobs[quick].start_ns - jobs[quick].submitted_ns) / 1e9
    assert wait_s >= 0.5
    assert all(model.rows[r].label.startswith("waiting for a worker")
               for r in model.columns("queued")[2])


def test_wrong_thread_calls_are_marked_on_the_worker_at_their_time(window, run_to_end) -> None:
    choose(window, "wrong-thread-ui", "pitfall")
    run_to_end(window)
    model = window.timeline.model
    wrong = window.trace.diagnostics_of("wrong-thread-ui")
    assert wrong and len(model.alerts) >= len(wrong)
    worker_rows = {model.row_of("thread", j.thread) for j in window.trace.jobs}
    marked = {(round(x, 6), int(model.row_of_key[int(k)])) for x, k, _ in model.alerts}
    for d in wrong:
        assert any(abs(x - d.t_ns / 1e9) < 1e-6 and row in worker_rows for x, row in marked)
    assert "alert" in window.timeline.legend.present
