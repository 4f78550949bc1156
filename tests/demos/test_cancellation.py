"""cancellation: cancelling main cancels the tree, cleanups run after; a CPU loop without
checkpoints holds the thread (and the cancel) until it yields."""

from __future__ import annotations

from loopviz.demos.cancellation import DEMO
from loopviz.session import Session, Target, close_loop, new_loop
from loopviz.trace import TaskInfo, Trace
from tests.demos.helpers import run_demo


def _by_name(trace: Trace, name: str) -> TaskInfo:
    return next(t for t in trace.tasks if t.name == name)


def test_cancel_ends_the_whole_tree_cancelled_with_cleanup_after() -> None:
    r = run_demo("cancellation", "fixed", cancel_after=0.4)
    assert r.status == "cancelled"
    tree, cleanups, checkpoint = r.findings
    assert tree.ok and cleanups.ok and checkpoint.ok, [f.text for f in r.findings]
    trace = r.trace
    delivered = tree.data["delivered_s"] * 1e9
    for name in ("main", "download-1", "download-2", "analyse"):
        task = _by_name(trace, name)
        assert task.outcome == "cancelled"
        # Each child's last steps (its finally cleanup) run after cancel() was called.
        if name != "main":
            assert trace.steps_of(task.id)[-1].start_ns >= delivered
    assert tree.data["delivered_s"] >= tree.data["requested_s"]


def test_checkpoints_let_the_cancel_in_within_a_chunk() -> None:
    r = run_demo("cancellation", "fixed", cancel_after=0.5, chunk_s=0.03)
    *_, checkpoint = r.findings
    assert checkpoint.ok, checkpoint.text
    assert checkpoint.data["typical_step_s"] < 0.03 * 1.5 + 0.02
    assert DEMO.question is not None
    assert DEMO.question.answer(r.trace, "fixed", chunk_s=0.03) == 1


def test_cpu_loop_without_checkpoints_holds_the_cancel_until_it_yields() -> None:
    r = run_demo("cancellation", "pitfall", cancel_after=0.4, chunks=20, chunk_s=0.04)
    tree, cleanups, held = r.findings
    assert held.ok, held.text
    assert tree.ok and cleanups.ok
    # 0.8 s of CPU work starting at ≈0.2 s: a cancel pressed at 0.4 s waits ≈0.6 s.
    assert held.data["held_s"] > 0.3
    assert tree.data["delivered_s"] - tree.data["requested_s"] > 0.3
    assert DEMO.question is not None
    assert DEMO.question.answer(r.trace, "pitfall", chunk_s=0.04) == 2


def test_the_session_cancel_button_cancels_the_tree_too() -> None:
    """With 'cancel after' 0 nothing cancels by itself: Session.cancel() (the UI's Cancel)."""
    params = {"cancel_after": 0.0}
    target = Target(DEMO.id, DEMO.title, "fixed", DEMO.source_file(),
                    lambda: DEMO.make_main("fixed", **params), DEMO, params)
    loop = new_loop("asyncio")
    try:
        session = Session(target, timeout=10)
        loop.call_later(0.5, session.cancel)
        r = loop.run_until_complete(session.run())
    finally:
        close_loop(loop)
    assert r.status == "cancelled"
    tree, cleanups, checkpoint = r.findings
    assert tree.ok and cleanups.ok and checkpoint.ok, [f.text for f in r.findings]
    assert 0.4 < tree.data["delivered_s"] < 1.5
