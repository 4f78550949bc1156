"""deadlock: named, attributed to the result() line, and recovered by the timeout."""

from __future__ import annotations

from loopviz.demos import deadlock
from loopviz.demos import evidence as ev
from tests.demos.helpers import run_demo


def test_sync_over_async_deadlock_is_named_and_recovers() -> None:
    r = run_demo("deadlock", "pitfall", timeout=0.5)
    assert r.status == "finished"
    file, line = ev.source_line(deadlock.greeting_sync_over_async, "future.result(")
    found = r.trace.diagnostics_of("deadlock")
    assert found and ev.same_file(found[0].file, file) and found[0].line == line
    fetch = ev.tasks_running(r.trace, "fetch_greeting")
    main = ev.first_task(r.trace, "main")
    held = ev.longest_step(r.trace.steps_of(main.id))
    # The work it waited for could only start once the UI thread gave up waiting.
    assert fetch and fetch[0].created_ns >= held.end_ns - int(0.05e9)
    assert 0.4e9 <= held.end_ns - held.start_ns <= 1.0e9
    assert main.outcome == "result"
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_nested_run_fails_at_once_and_is_reported() -> None:
    r = run_demo("deadlock", "pitfall", demo_id="nested-run")
    assert r.status == "finished"
    assert len(r.value) == 2 and all("running" in e for e in r.value)
    assert r.trace.diagnostics_of("nested-run")
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_awaiting_instead_never_blocks() -> None:
    r = run_demo("deadlock", "fixed", timeout=0.5)
    assert r.value == "hello"
    assert r.trace.diagnostics_of("deadlock") == [] and ev.ui_blocks(r.trace, int(0.2e9)) == []
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]
