"""fast-path: a cache hit awaited directly never suspends; as a task it runs one step but main
still waits for it; eager tasks (3.12+) remove that wait."""

from __future__ import annotations

import sys

import pytest

from loopviz.demos import FIXED, PITFALL
from loopviz.demos.fast_path import keys_for

from .helpers import run_demo

PARAMS = {"lookups": 8, "fetch": 0.05}
MISSES = len(set(keys_for(8)))


@pytest.fixture(scope="module")
def runs():
    return {v: run_demo("fast_path", v, **PARAMS) for v in (PITFALL, FIXED)}


def _main_waits(trace):
    (main,) = trace.tasks_named("main")
    return trace.waits_of(main.id)


def test_hits_awaited_directly_do_not_suspend_main(runs) -> None:
    r = runs[FIXED]
    waits = _main_waits(r.trace)
    assert len(waits) == MISSES and all(w.kind == "sleep" for w in waits)
    assert not r.trace.tasks_named("lookup-")
    assert r.value == [f"value of {k}" for k in keys_for(8)]


def test_hit_tasks_run_one_step_and_misses_wait_once(runs) -> None:
    trace = runs[PITFALL].trace
    for task in trace.tasks_named("lookup-"):
        key = task.name.rsplit("-", 1)[1]
        n = int(task.name.split("-")[1])
        hit = key in keys_for(8)[: n - 1]
        assert len(trace.steps_of(task.id)) == (1 if hit else 2), task.name
        assert len(trace.waits_of(task.id)) == (0 if hit else 1), task.name


def test_main_waits_on_every_lookup_task_even_the_hits(runs) -> None:
    assert len(_main_waits(runs[PITFALL].trace)) == PARAMS["lookups"]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the note is for Python 3.11")
def test_eager_on_311_runs_plain_tasks_and_says_so() -> None:
    r = run_demo("fast_path", PITFALL, eager=1, **PARAMS)
    assert any("need Python 3.12" in f.text for f in r.findings)
    assert all(f.ok for f in r.findings)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks need Python 3.12+")
def test_eager_tasks_finish_hits_inside_create_task() -> None:  # pragma: no cover - 3.12+
    r = run_demo("fast_path", PITFALL, eager=1, **PARAMS)
    assert len(_main_waits(r.trace)) == MISSES
    assert all(f.ok for f in r.findings)
