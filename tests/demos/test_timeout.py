"""timeout: asyncio.timeout() cancels the awaited task at the deadline; asyncio.wait(timeout=)
gives up waiting but leaves the work running."""

from __future__ import annotations

from loopviz.demos.timeout import DEMO
from loopviz.trace import TaskInfo, Trace
from tests.demos.helpers import run_demo


def _by_name(trace: Trace, name: str) -> TaskInfo:
    return next(t for t in trace.tasks if t.name == name)


def test_timeout_cancels_the_inner_task_at_the_deadline() -> None:
    r = run_demo("timeout", "fixed", deadline=0.5, service=1.5)
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]
    request, fetch = _by_name(r.trace, "request"), _by_name(r.trace, "fetch")
    assert request.outcome == "exception" and request.exception is not None
    assert request.exception.startswith("TimeoutError")
    assert fetch.outcome == "cancelled"
    assert fetch.ended_ns is not None and request.ended_ns is not None
    lived = (fetch.ended_ns - fetch.created_ns) / 1e9
    assert 0.45 <= lived < 0.8  # ≈ the deadline, far from the 1.5 s the service needed
    assert abs(fetch.ended_ns - request.ended_ns) < 5e7
    assert r.status == "finished"
    assert not r.trace.diagnostics_of("exception-never-retrieved")
    assert DEMO.question is not None and DEMO.question.answer(r.trace, "fixed") == 0


def test_wait_with_timeout_leaves_the_work_running_past_the_deadline() -> None:
    r = run_demo("timeout", "pitfall", deadline=0.5, service=1.2)
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]
    request, fetch = _by_name(r.trace, "request"), _by_name(r.trace, "fetch")
    assert request.exception is not None and request.exception.startswith("TimeoutError")
    assert fetch.outcome == "result"
    assert fetch.ended_ns is not None and request.ended_ns is not None
    assert (fetch.ended_ns - request.ended_ns) / 1e9 > 0.5  # ran on ≈0.7 s after giving up
    assert DEMO.question is not None and DEMO.question.answer(r.trace, "pitfall") == 1
