"""context-vars: a ContextVar follows each request into its children and never leaks back;
a global is overwritten by whichever request ran last."""

from __future__ import annotations

from loopviz.demos.context_vars import DEMO
from loopviz.trace import Trace
from tests.demos.helpers import run_demo


def _reads_of(trace: Trace, name: str) -> list[str]:
    parent = next(t for t in trace.tasks if t.name == name)
    return [t.name.removeprefix("sees ") for t in trace.children(parent.id)
            if t.name.startswith("sees ")]


def test_each_request_and_its_child_see_their_own_context_value() -> None:
    r = run_demo("context_vars", "fixed", requests=3, delay=0.1)
    own, child = r.findings
    assert own.ok and child.ok, [f.text for f in r.findings]
    for name in "ABC":
        assert _reads_of(r.trace, f"request-{name}") == [name, name]
        # The child inherited the value, then changed only its own copy.
        assert _reads_of(r.trace, f"audit-{name}") == [name, f"{name}/audit"]
    assert DEMO.question is not None and DEMO.question.answer(r.trace, "fixed") == 0


def test_a_global_is_overwritten_by_other_requests_and_leaks_from_children() -> None:
    r = run_demo("context_vars", "pitfall", requests=3, delay=0.1)
    wrong, leaked = r.findings
    assert wrong.ok and leaked.ok, [f.text for f in r.findings]
    assert _reads_of(r.trace, "request-A")[0] != "A"
    assert wrong.data["wrong"] >= 1 and leaked.data["leaked"] >= 1
