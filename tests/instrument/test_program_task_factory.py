"""A program's own task factory (set after loopviz instrumented its loop) is composed with the
tracker's: its tasks are recorded, its factory runs for each, and the program reads back what
it set, as under plain asyncio."""

from __future__ import annotations

import asyncio
import sys

import pytest

import loopviz
from loopviz.session import close_loop, new_loop

LOOPS = ["asyncio", "qt"]


async def _child(i: int) -> int:
    await asyncio.sleep(0)
    return i


def _run(program, loop_kind: str):
    loop = new_loop(loop_kind)
    try:
        recording = loopviz.record(loop, probes=False).start()
        try:
            value = loop.run_until_complete(program())
        finally:
            trace = recording.stop()
        after = loop.get_task_factory()
    finally:
        close_loop(loop)
    return value, trace, after


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_tasks_made_by_a_factory_the_program_sets_are_recorded(loop_kind):
    made: list[str] = []

    def factory(loop, coro, **kwargs):
        made.append(coro.__qualname__)
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def main():
        loop = asyncio.get_running_loop()
        loop.set_task_factory(factory)
        seen = loop.get_task_factory()
        results = await asyncio.gather(*(asyncio.create_task(_child(i), name=f"child-{i}")
                                         for i in range(3)))
        return seen, results

    (seen, results), trace, after = _run(main, loop_kind)
    assert results == [0, 1, 2]
    assert seen is factory and after is factory  # what plain asyncio would answer
    assert made[:3] == ["_child"] * 3  # then asyncio.run's clean-up tasks, made by it too
    children = trace.tasks_named("child-")
    assert len(children) == 3 and all(t.outcome == "result" for t in children)
    assert all(len(trace.steps_of(t.id)) == 2 for t in children)


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_resetting_the_factory_to_none_keeps_recording(loop_kind):
    async def main():
        loop = asyncio.get_running_loop()
        loop.set_task_factory(lambda lp, coro, **kw: asyncio.Task(coro, loop=lp, **kw))
        loop.set_task_factory(None)
        assert loop.get_task_factory() is None
        return await asyncio.create_task(_child(7), name="after-reset")

    value, trace, after = _run(main, loop_kind)
    assert value == 7 and after is None
    assert len(trace.tasks_named("after-reset")) == 1


def test_a_bad_factory_gets_asyncios_own_error():
    async def main():
        with pytest.raises(TypeError, match="must be a callable or None"):
            asyncio.get_running_loop().set_task_factory(42)
        return await asyncio.create_task(_child(1), name="still-recorded")

    value, trace, _ = _run(main, "asyncio")
    assert value == 1 and len(trace.tasks_named("still-recorded")) == 1


def test_loops_not_recorded_keep_asyncios_own_factory_methods():
    recorded, other = new_loop("asyncio"), asyncio.new_event_loop()
    try:
        recording = loopviz.record(recorded, probes=False).start()
        try:
            def factory(loop, coro, **kwargs):
                return asyncio.Task(coro, loop=loop, **kwargs)

            other.set_task_factory(factory)
            assert other.get_task_factory() is factory
            assert other.run_until_complete(_child(3)) == 3
        finally:
            recording.stop()
        assert asyncio.BaseEventLoop.set_task_factory.__module__ == "asyncio.base_events"
    finally:
        close_loop(recorded)
        other.close()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager_task_factory exists from 3.12")
@pytest.mark.parametrize("loop_kind", LOOPS)
def test_asyncios_eager_task_factory_set_by_the_program_is_recorded(loop_kind):
    async def main():
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        return await asyncio.gather(*(asyncio.create_task(_child(i), name=f"eager-{i}")
                                      for i in range(3)))

    value, trace, after = _run(main, loop_kind)
    assert value == [0, 1, 2] and after is asyncio.eager_task_factory
    assert len(trace.tasks_named("eager-")) == 3
