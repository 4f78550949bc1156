"""fire-and-forget and missing-await: lost errors, collected tasks, work that never ran."""

from __future__ import annotations

import pytest

from loopviz.demos import evidence as ev
from loopviz.demos import fire_and_forget, missing_await
from tests.demos.helpers import run_demo


def test_forgotten_failing_tasks_are_reported_as_never_retrieved() -> None:
    r = run_demo("fire_and_forget", "pitfall", orders=2)
    assert r.status == "finished"
    lost = r.trace.diagnostics_of("exception-never-retrieved")
    assert len(lost) == 2
    file, line = ev.source_line(fire_and_forget.main, "send_receipt(order), name")
    assert all(ev.same_file(d.file, file) and d.line == line for d in lost)
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_unreferenced_waiting_tasks_are_collected_while_pending() -> None:
    r = run_demo("fire_and_forget", "pitfall", demo_id="task-collected", orders=2)
    listeners = ev.tasks_running(r.trace, "wait_for_reply")
    assert len(listeners) == 2
    assert all(t.outcome == "pending" and t.ended_ns is None for t in listeners)
    assert len(r.trace.diagnostics_of("task-collected-pending")) == 2
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_kept_references_and_done_callback_lose_nothing() -> None:
    r = run_demo("fire_and_forget", "fixed", orders=2)
    assert r.trace.diagnostics_of("exception-never-retrieved") == []
    assert r.trace.diagnostics_of("task-collected-pending") == []
    outcomes = {t.outcome for t in ev.tasks_running(r.trace, "wait_for_reply")}
    assert outcomes == {"result"}
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_missing_await_is_reported_at_its_line_and_never_runs() -> None:
    r = run_demo("missing_await", "pitfall")
    file, line = ev.source_line(missing_await.main, 'save_draft("')
    never = r.trace.diagnostics_of("never-awaited")
    assert len(never) == 1
    assert ev.same_file(never[0].file, file) and never[0].line == line
    assert ev.tasks_running(r.trace, "save_draft") == []
    _, body = ev.source_line(missing_await.save_draft, "asyncio.sleep(")
    assert not [w for w in r.trace.waits if w.line == body and ev.same_file(w.file, file)]
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_awaited_coroutine_runs_and_nothing_is_reported() -> None:
    r = run_demo("missing_await", "fixed")
    assert r.trace.diagnostics_of("never-awaited") == []
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]
