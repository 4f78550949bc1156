"""Live builds: a frame's budget of steps at a time, and a ring buffer under the live views."""

from __future__ import annotations

import asyncio

import loopviz
from loopviz.trace.build import build_trace
from loopviz.trace.incremental import IncrementalBuilder
from loopviz.trace.invariants import violations
from loopviz.trace.recorder import COMPACT_AT, STEP_STRIDE


async def churn(seconds: float, workers: int = 30) -> None:
    async def worker(n: int) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            await asyncio.sleep(0.001 * (n % 4))
            await asyncio.create_task(asyncio.sleep(0), name=f"short-{n}")

    await asyncio.gather(*(worker(n) for n in range(workers)))


def test_builds_of_a_few_steps_at_a_time_catch_up_to_one_whole_build() -> None:
    async def main():
        with loopviz.record() as rec:
            builder = IncrementalBuilder(rec.recorder)
            lagging = []

            async def follow():
                while True:
                    lagging.append(builder.build(max_steps=40))
                    await asyncio.sleep(0.005)

            follower = asyncio.create_task(follow())
            await churn(0.3)
            follower.cancel()
        return rec.recorder, builder, lagging

    recorder, builder, lagging = asyncio.run(main())
    while True:  # the run is over: the rest arrives in budgets too
        last = builder.build(max_steps=500)
        if builder.caught_up:
            break
    whole = build_trace(recorder)
    assert any(len(t.steps) < len(whole.steps) for t in lagging)
    assert [t.duration_ns for t in lagging] == sorted(t.duration_ns for t in lagging)
    for trace in lagging[::10]:  # a budgeted trace is consistent up to where it ends
        assert violations(trace) == []
        assert int(trace.steps.end_ns.max(initial=0)) <= trace.duration_ns
    assert list(last.steps) == list(whole.steps)
    assert list(last.waits) == list(whole.waits)
    assert [t.id for t in last.tasks] == [t.id for t in whole.tasks]


def test_live_builds_of_a_ring_buffer_keep_the_window_and_lose_no_task() -> None:
    async def main():
        with loopviz.record(keep_last=0.1) as rec:
            builder = IncrementalBuilder(rec.recorder)
            traces = []

            async def follow():
                while True:
                    traces.append(builder.build())
                    await asyncio.sleep(0.01)

            follower = asyncio.create_task(follow())
            await churn(0.45)
            follower.cancel()
            rec.recorder.trim()
            live = builder.build()
        return rec.recorder, traces, live

    recorder, traces, live = asyncio.run(main())
    whole = build_trace(recorder)
    cut = whole.meta["ring_buffer"]["dropped_before_ns"]
    assert cut > 0.2e9
    assert violations(live) == []
    # everything the recorder still holds is in the live trace, which keeps at most about
    # two windows more (it trims once the window has moved on by its length)
    assert {t.id for t in whole.tasks} <= {t.id for t in live.tasks}
    held = whole.steps.take(whole.steps.end_ns <= live.duration_ns)
    assert set(zip(held.start_ns.tolist(), held.task.tolist(), strict=True)) <= set(
        zip(live.steps.start_ns.tolist(), live.steps.task.tolist(), strict=True))
    assert int(live.steps.end_ns.min()) >= cut - 0.1e9 - 0.02e9
    # the live traces dropped the old part while the run went on (not only at its end)
    assert any(len(t.steps) and int(t.steps.end_ns.min()) > 0.1e9 for t in traces)
    assert len(live.steps) <= 3 * len(whole.steps) + COMPACT_AT // STEP_STRIDE
    # no task is shown twice and every task a step names is known
    ids = [t.id for t in live.tasks]
    assert len(ids) == len(set(ids)) and set(live.steps.task.tolist()) <= set(ids)
