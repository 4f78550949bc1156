"""over-async: a task per tiny call costs far more per call than plain calls."""

from __future__ import annotations

from loopviz.demos import evidence as ev
from tests.demos.helpers import run_demo


def test_a_task_per_tiny_call_costs_much_more_than_plain_calls() -> None:
    slow = run_demo("over_async", "pitfall", calls=400)
    fast = run_demo("over_async", "fixed", calls=400)
    assert len(ev.tasks_running(slow.trace, "add_tax_async")) == 400
    assert ev.tasks_running(fast.trace, "add_tax_async") == []
    assert slow.value == fast.value
    per_slow = slow.findings[0].data["per_call_us"]
    per_fast = fast.findings[0].data["per_call_us"]
    assert per_slow > 5 * per_fast
    assert all(f.ok for f in slow.findings + fast.findings)
