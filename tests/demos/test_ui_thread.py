"""ui-context and wrong-thread-ui: real widgets, updated from the right and the wrong thread."""

from __future__ import annotations

from typing import Any

from loopviz.demos import evidence as ev
from loopviz.demos import wrong_thread_ui
from tests.demos.helpers import run_demo


def test_step_after_await_to_thread_runs_on_the_ui_thread(widgets_app: Any) -> None:
    r = run_demo("ui_context", "default", seconds=0.3)
    assert r.status == "finished"
    ui = r.trace.ui_thread()
    job = ev.jobs_named(r.trace, "load_report")[0]
    assert job.thread is not None and job.thread != ui
    task = ev.first_task(r.trace, "refresh")
    wait = next(w for w in r.trace.waits_of(task.id) if w.kind == "executor")
    after = [s for s in r.trace.steps_of(task.id) if s.start_ns >= wait.end_ns]
    assert after and after[0].thread == ui
    assert after[0].start_ns >= job.end_ns
    assert "shown on MainThread" in r.value and "asyncio_" in r.value
    assert r.trace.diagnostics_of("wrong-thread-ui") == []
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_worker_touching_a_widget_is_reported_with_thread_and_line(widgets_app: Any) -> None:
    r = run_demo("wrong_thread_ui", "pitfall", parts=3)
    wrong = r.trace.diagnostics_of("wrong-thread-ui")
    file, line = ev.source_line(wrong_thread_ui.main, "widgets.set_status(label, text)  #")
    [diag] = wrong  # one diagnostic for the line, counting its three calls
    assert diag.count == 3
    assert ev.same_file(diag.file, file) and diag.line == line
    assert "asyncio_" in diag.message
    assert r.value == "downloaded 3 of 3"
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_handing_updates_to_the_ui_thread_reports_nothing(widgets_app: Any) -> None:
    r = run_demo("wrong_thread_ui", "fixed", parts=3)
    assert r.trace.diagnostics_of("wrong-thread-ui") == []
    shower = ev.first_task(r.trace, "show-progress")
    assert {s.thread for s in r.trace.steps_of(shower.id)} == {r.trace.ui_thread()}
    assert r.value == "downloaded 3 of 3"
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]
