"""Hypothesis writes the programs: random trees of sleeps, gathers, task groups, raises and
cancels must behave identically bare and instrumented, on both loops, and leave sound traces.

Sleeps are counted in ``sleep(0)`` turns so the interleaving is deterministic (FIFO), not a
race between timers."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopviz.trace.invariants import violations
from tests.instrument.harness import run_everywhere


class Failure(Exception):
    pass


leaf = st.one_of(
    st.tuples(st.just("sleep"), st.integers(0, 3)),
    st.tuples(st.just("raise"), st.integers(0, 9)),
    st.tuples(st.just("cancel_self"), st.integers(0, 2)),
)


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    kids = st.lists(children, min_size=1, max_size=3)
    return st.one_of(
        st.tuples(st.just("gather"), kids, st.booleans()),
        st.tuples(st.just("group"), kids),
        st.tuples(st.just("task"), children),
        st.tuples(st.just("seq"), kids),
    )


trees = st.recursive(leaf, _extend, max_leaves=8)


async def interpret(node: tuple, path: str, log: list[Any]) -> Any:
    kind = node[0]
    log.append(("enter", path))
    try:
        if kind == "sleep":
            for _ in range(node[1]):
                await asyncio.sleep(0)
            result: Any = node[1]
        elif kind == "raise":
            await asyncio.sleep(0)
            raise Failure(f"{path}:{node[1]}")
        elif kind == "cancel_self":
            for _ in range(node[1]):
                await asyncio.sleep(0)
            asyncio.current_task().cancel()
            await asyncio.sleep(0)
            result = "not reached"
        elif kind == "gather":
            result = await asyncio.gather(
                *(interpret(c, f"{path}.{i}", log) for i, c in enumerate(node[1])),
                return_exceptions=node[2])
        elif kind == "group":
            async with asyncio.TaskGroup() as tg:
                tasks = [tg.create_task(interpret(c, f"{path}.{i}", log))
                         for i, c in enumerate(node[1])]
            result = [t.result() for t in tasks]
        elif kind == "task":
            result = await asyncio.create_task(interpret(node[1], f"{path}.t", log))
        else:  # seq
            result = [await interpret(c, f"{path}.{i}", log) for i, c in enumerate(node[1])]
    except asyncio.CancelledError:
        log.append(("cancelled", path))
        raise
    except BaseException as exc:
        log.append(("raised", path, type(exc).__name__))
        raise
    log.append(("exit", path))
    return result


def _per_task(log: list[Any]) -> dict[str, list[Any]]:
    """Each task's own events, in order. With a TaskGroup that is what is deterministic: a
    group that aborts cancels its children in the order of a *set* of tasks (their memory
    addresses), so which sibling hears of it first differs between runs of the same program,
    bare or not (seen: a plain asyncio loop and a plain Qt loop disagreeing)."""
    by_task: dict[str, list[Any]] = {}
    for entry in log:
        by_task.setdefault(entry[1], []).append(entry)
    return by_task


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_generated_program_behaves_the_same_everywhere(tree):
    async def program(log):
        return await interpret(tree, "r", log)

    runs = run_everywhere(program)
    outcome0, log0, _ = runs["asyncio"]
    exact = "group" not in repr(tree)
    for config, (outcome, log, trace) in runs.items():
        assert outcome == outcome0, f"{config} differs for {tree}"
        if exact:
            assert log == log0, f"{config} differs for {tree}"
        else:
            assert _per_task(log) == _per_task(log0), f"{config} differs for {tree}"
        if trace is not None:
            assert violations(trace) == [], f"{config}: {tree}"
