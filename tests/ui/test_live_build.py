"""The worker thread a local run's live trace is built on (no window needed)."""

from __future__ import annotations

import asyncio

import pytest

import loopviz
from loopviz.trace.build import build_trace
from loopviz.trace.incremental import IncrementalBuilder
from loopviz.ui.live_build import BuildWorker


async def hops(tasks: int, steps: int, pause: float = 0.0) -> None:
    async def hop() -> None:
        for _ in range(steps):
            await asyncio.sleep(pause)

    await asyncio.gather(*(hop() for _ in range(tasks)))


def test_builds_on_the_worker_while_the_program_runs_end_as_one_whole_build() -> None:
    async def main():
        with loopviz.record() as rec:
            worker = BuildWorker(IncrementalBuilder(rec.recorder))
            taken = []

            async def follow():  # as the bridge's polls do: take what is built, ask again
                while True:
                    trace = worker.take()
                    if trace is not None:
                        taken.append(trace)
                    worker.request(50)
                    await asyncio.sleep(0.002)

            follower = asyncio.create_task(follow())
            await hops(40, 200, 0.001)  # ~0.3 s: many polls
            follower.cancel()
        return rec.recorder, worker, taken

    recorder, worker, taken = asyncio.run(main())
    assert worker.wait(10.0)
    rest = worker.take()
    taken += [rest] if rest is not None else []
    while True:  # the run is over: the rest a slice at a time, as the end of a run reads it
        assert worker.request(500) and worker.wait(10.0)
        last = worker.take()
        if worker.caught_up:
            break
    worker.close()
    whole = build_trace(recorder)
    assert len(taken) >= 2 and any(len(t.steps) < len(whole.steps) for t in taken)
    assert [len(t.steps) for t in taken] == sorted(len(t.steps) for t in taken)
    assert list(last.steps) == list(whole.steps) and list(last.waits) == list(whole.waits)
    assert worker.builds >= len(taken) and worker.cpu_ns > 0


def test_one_build_at_a_time_each_taken_once() -> None:
    async def main():
        with loopviz.record() as rec:
            await hops(5, 20)
        return rec.recorder

    worker = BuildWorker(IncrementalBuilder(asyncio.run(main())))
    assert worker.request(None)
    assert not worker.request(None)  # one is asked for already
    assert worker.wait(10.0)
    assert not worker.request(None)  # and finished, not taken yet
    assert worker.take() is not None and worker.take() is None
    assert worker.idle and worker.caught_up
    worker.close()


def test_an_error_in_a_build_is_raised_on_the_thread_that_takes_it() -> None:
    class Broken(IncrementalBuilder):
        def build(self, max_steps=None, *, last=False):
            raise ValueError("a record the builder cannot read")

    async def main():
        with loopviz.record() as rec:
            await hops(2, 2)
        return rec.recorder

    worker = BuildWorker(Broken(asyncio.run(main())))
    worker.request(None)
    assert worker.wait(10.0)
    with pytest.raises(ValueError, match="cannot read"):
        worker.take()
    assert worker.idle
    worker.close()
