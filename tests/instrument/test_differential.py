"""Instrumentation is transparent: every program behaves the same bare and instrumented, on
plain asyncio and on loopviz's Qt loop (results, exceptions, ordering, context, threads)."""

from __future__ import annotations

import asyncio
import sys

import pytest

from loopviz.trace.invariants import violations
from tests.instrument.differential_programs import PROGRAMS, Boom, _worker
from tests.instrument.harness import run_everywhere


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_program_behaves_the_same_everywhere(program):
    runs = run_everywhere(program)
    reference = runs["asyncio"]
    for config, (outcome, log, trace) in runs.items():
        assert (outcome, log) == reference[:2], f"{config} differs from plain asyncio"
        if trace is not None:
            assert violations(trace) == [], config


def test_outcomes_in_the_trace_match_what_the_program_saw():
    runs = run_everywhere(lambda log: _outcomes_program(log))
    for config in ("asyncio+lv", "qt+lv"):
        trace = runs[config][2]
        by_name = {t.name: t for t in trace.tasks}
        assert by_name["ok"].outcome == "result"
        assert by_name["bad"].outcome == "exception"
        assert by_name["bad"].exception == "Boom: kaboom"
        assert by_name["cancelled"].outcome == "cancelled"


async def _outcomes_program(log):
    ok = asyncio.create_task(_worker(log, "ok", 1), name="ok")

    async def bad():
        raise Boom("kaboom")
    failing = asyncio.create_task(bad(), name="bad")
    doomed = asyncio.create_task(asyncio.sleep(5), name="cancelled")
    await asyncio.sleep(0)
    doomed.cancel()
    return await asyncio.gather(ok, failing, doomed, return_exceptions=True)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks exist from Python 3.12")
def test_eager_tasks_behave_the_same_and_nest_their_first_step():
    def eager(loop):
        loop.set_task_factory(asyncio.eager_task_factory)

    async def program(log):
        async def child(n):
            log.append(("child first step", n))
            await asyncio.sleep(0)
            log.append(("child second step", n))
            return n
        tasks = [asyncio.create_task(child(n), name=f"eager-{n}") for n in range(3)]
        log.append("parent continues")
        return await asyncio.gather(*tasks)

    runs = run_everywhere(program, setup=eager)
    reference = runs["asyncio"]
    for config, (outcome, log, trace) in runs.items():
        assert (outcome, log) == reference[:2], config
        if trace is not None:
            assert violations(trace) == [], config
            first = trace.steps_of(trace.tasks_named("eager-0")[0].id)[0]
            parent = next(s for s in trace.steps if s.task != first.task
                          and s.start_ns <= first.start_ns and first.end_ns <= s.end_ns)
            assert parent is not None  # the eager step ran inside its parent's step
