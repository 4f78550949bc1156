"""sequential-vs-gather: the sequential total is the sum of the waits; gathered, the waits
overlap and the total is about one wait."""

from __future__ import annotations

import pytest

from loopviz.demos import FIXED, PITFALL

from .helpers import run_demo

DELAY = 0.3


@pytest.fixture(scope="module")
def runs():
    return {v: run_demo("sequential_vs_gather", v, fetches=3, delay=DELAY)
            for v in (PITFALL, FIXED)}


def test_sequential_takes_about_three_times_the_gathered_time(runs) -> None:
    seq = runs[PITFALL].findings[0].data["total_s"]
    gathered = runs[FIXED].findings[0].data["total_s"]
    assert 2.4 < seq / gathered < 3.3


def test_gathered_fetches_are_named_tasks_whose_waits_overlap(runs) -> None:
    trace = runs[FIXED].trace
    fetches = trace.tasks_named("fetch-")
    assert [t.name for t in fetches] == ["fetch-1", "fetch-2", "fetch-3"]
    assert runs[FIXED].findings[0].data["overlapping_waits"] == 3
    (main,) = trace.tasks_named("main")
    gather_waits = [w for w in trace.waits_of(main.id) if w.kind == "task"]
    assert len(gather_waits) == 1
    assert set(gather_waits[0].targets) == {t.id for t in fetches}


def test_sequential_fetches_suspend_main_once_each_at_the_fetch_line(runs) -> None:
    trace = runs[PITFALL].trace
    (main,) = trace.tasks_named("main")
    sleeps = [w for w in trace.waits_of(main.id) if w.kind == "sleep"]
    assert len(sleeps) == 3
    assert len({(w.file, w.line) for w in sleeps}) == 1
    assert sleeps[0].file.endswith("sequential_vs_gather.py")


def test_question_answer_follows_the_run(runs) -> None:
    from loopviz.demos import get_demo

    q = get_demo("sequential-vs-gather").question
    assert q.answer(runs[PITFALL].trace, PITFALL, fetches=3, delay=DELAY) == 1
    assert q.answer(runs[FIXED].trace, FIXED, fetches=3, delay=DELAY) == 0
