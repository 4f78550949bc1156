"""async-lock: a cache stampede makes N fetches; a lock makes one, the others wait on it."""

from __future__ import annotations

from loopviz.demos.async_lock import DEMO
from tests.demos.helpers import run_demo


def test_without_a_lock_every_reader_fetches_the_same_key() -> None:
    r = run_demo("async_lock", "pitfall", readers=4, fetch_s=0.4, gap=0.05)
    (finding,) = r.findings
    assert finding.ok, finding.text
    assert finding.data["fetches"] == 4
    assert finding.data["lock_waiters"] == 0


def test_with_a_lock_one_reader_fetches_and_the_others_wait_on_the_lock() -> None:
    r = run_demo("async_lock", "fixed", readers=4, fetch_s=0.4, gap=0.05)
    (finding,) = r.findings
    assert finding.ok, finding.text
    assert finding.data["fetches"] == 1
    assert finding.data["lock_waiters"] == 3
    lock_waits = [w for w in r.trace.waits if w.kind == "lock"]
    assert all(w.label == "Lock.acquire" for w in lock_waits)
    # Everyone is served by the one fetch: about one fetch time, not one per reader.
    assert finding.data["total_s"] < 2 * 0.4
    assert DEMO.question is not None and DEMO.question.answer(r.trace, "fixed") == 0
