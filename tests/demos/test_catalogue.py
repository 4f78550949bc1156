"""Every demo, every variant: it runs headless on the Qt loop, finishes as it intends, proves
its findings, and leaves a trace that keeps the Trace invariants. Plus registry sanity."""

from __future__ import annotations

import os
import sys
from collections import defaultdict

import pytest

from loopviz.demos import CATEGORIES, DEFAULT, FIXED, PITFALL, all_demos
from loopviz.demos.base import Demo
from loopviz.session import resolve, run_headless
from loopviz.trace import Trace

VALID_VARIANTS = {PITFALL, FIXED, DEFAULT}
# Headless, nobody presses Cancel: a "cancelled" run means the demo cancelled its own main on
# purpose (the cancellation demo). Anything else (raised, timeout, exited) must be declared by
# the demo module as EXPECTED_STATUS = {variant: status}.
DEFAULT_STATUSES = ("finished", "cancelled")

CASES = [pytest.param(demo, variant, id=f"{demo.id}[{variant}]",
                      marks=pytest.mark.skipif(
                          sys.version_info[:2] < demo.min_python,
                          reason=f"{demo.id} needs Python "
                                 f"{'.'.join(map(str, demo.min_python))}+"))
         for demo in all_demos() for variant in demo.variants]


def assert_trace_invariants(trace: Trace) -> None:
    ids = [t.id for t in trace.tasks]
    assert len(ids) == len(set(ids)), "a task was registered twice"
    known = set(ids)
    for t in trace.tasks:
        assert t.ended_ns is None or t.ended_ns >= t.created_ns, t

    # Steps on one thread never overlap, except an eager step nested inside its creator's.
    per_thread = defaultdict(list)
    for s in trace.steps:
        assert s.task in known and s.start_ns <= s.end_ns
        per_thread[s.thread].append(s)
    for steps in per_thread.values():
        open_ends: list[int] = []
        for s in sorted(steps, key=lambda s: (s.start_ns, -s.end_ns)):
            while open_ends and open_ends[-1] <= s.start_ns:
                open_ends.pop()
            assert not open_ends or s.end_ns <= open_ends[-1], f"steps overlap at {s}"
            open_ends.append(s.end_ns)

    # A wait starts where one of its task's steps ends and ends where the next step starts;
    # the task becomes ready within the wait.
    for w in trace.waits:
        steps = trace.steps_of(w.task)
        ends = [s.end_ns for s in steps]
        assert w.start_ns in ends, f"wait {w} does not follow a step"
        after = [s.start_ns for s in steps if s.start_ns >= w.start_ns]
        if w.end_ns is not None:
            assert after and after[0] == w.end_ns, f"wait {w} does not end at the next step"
        if w.ready_ns is not None:
            assert w.start_ns <= w.ready_ns <= (w.end_ns if w.end_ns is not None
                                                else trace.duration_ns)
    for waiter, target, _ in trace.await_edges():
        assert waiter in known and target in known


# missing-await's pitfall drops a coroutine on purpose: Python's own warning is its lesson.
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
@pytest.mark.parametrize(("demo", "variant"), CASES)
def test_demo_runs_and_proves_its_findings(demo: Demo, variant: str, qapp: object) -> None:
    # qapp: a QApplication exists before any run, so demos with real widgets can make them
    # whatever ran first in this process.
    result = run_headless(resolve(demo.id, variant), loop="qt", timeout=30)
    declared = getattr(demo.module, "EXPECTED_STATUS", {}).get(variant)
    expected = (declared,) if declared else DEFAULT_STATUSES
    assert result.status in expected, result.error
    assert result.findings, "a demo must state what the run showed"
    failed = [f.text for f in result.findings if not f.ok]
    assert not failed, failed
    assert_trace_invariants(result.trace)
    if demo.question is not None:
        answer = demo.question.answer(result.trace, variant, **demo.defaults())
        assert 0 <= answer < len(demo.question.choices)


def test_registry_ids_are_unique_and_categories_known() -> None:
    demos = all_demos()
    ids = [d.id for d in demos]
    assert len(ids) == len(set(ids))
    assert all(d.category in CATEGORIES for d in demos)
    order = [CATEGORIES.index(d.category) for d in demos]
    assert order == sorted(order), "the registry lists demos in learning order"


@pytest.mark.parametrize("demo", all_demos(), ids=lambda d: d.id)
def test_demo_is_described_and_well_formed(demo: Demo) -> None:
    assert demo.id and demo.id == demo.id.lower() and " " not in demo.id
    for text in (demo.title, demo.summary, demo.explanation, demo.csharp):
        assert text.strip()
    assert demo.variants and set(demo.variants) <= VALID_VARIANTS
    assert len(set(demo.variants)) == len(demo.variants)
    assert os.path.isfile(demo.source_file())
    names = [p.name for p in demo.params]
    assert len(names) == len(set(names))
    for p in demo.params:
        assert p.minimum <= p.default <= p.maximum, p
    if demo.question is not None:
        assert len(demo.question.choices) >= 2
